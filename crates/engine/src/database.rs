//! The database server: a fixed number of cores shared by the running queries
//! (egalitarian processor sharing). With `n` queries on `c` cores each progresses at
//! `min(1, c / n)` of real time, so latency grows with concurrency once the cores are
//! oversubscribed. Tracked with a virtual-work clock, so each change costs O(log n).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::time::{SimDuration, SimTime};

/// A query's place in the finishing order: virtual work at which it completes, then its id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FinishKey {
    work_us: f64,
    query: u64,
}

impl Eq for FinishKey {}
impl PartialOrd for FinishKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for FinishKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.work_us
            .total_cmp(&other.work_us)
            .then(self.query.cmp(&other.query))
    }
}

/// The shared database server.
#[derive(Clone, Debug)]
pub struct DatabaseServer<T> {
    cores: f64,
    /// Work (in core-microseconds) each running query has received since the start.
    work_clock_us: f64,
    updated_at: SimTime,
    running: BTreeMap<FinishKey, T>,
}

impl<T: Copy> DatabaseServer<T> {
    /// A server with `cores` cores and nothing running.
    pub fn new(cores: u32) -> Self {
        DatabaseServer {
            cores: cores as f64,
            work_clock_us: 0.0,
            updated_at: SimTime::ZERO,
            running: BTreeMap::new(),
        }
    }

    /// Changes the number of cores from `now` on.
    pub fn set_cores(&mut self, now: SimTime, cores: u32) {
        self.advance(now);
        self.cores = cores as f64;
    }

    /// Queries running now.
    pub fn running(&self) -> u32 {
        self.running.len() as u32
    }

    /// How fast each running query progresses (core-µs per µs).
    fn speed(&self) -> f64 {
        let n = self.running.len() as f64;
        if n <= self.cores {
            1.0
        } else {
            self.cores / n
        }
    }

    fn advance(&mut self, now: SimTime) {
        let elapsed = now.since(self.updated_at).as_micros() as f64;
        if !self.running.is_empty() {
            self.work_clock_us += elapsed * self.speed();
        }
        self.updated_at = now;
    }

    /// Starts query `query` (a unique id) needing `cost` of one core's time; returns its key.
    pub fn start(&mut self, now: SimTime, query: u64, cost: SimDuration, owner: T) -> FinishKey {
        self.advance(now);
        let key = FinishKey {
            work_us: self.work_clock_us + cost.as_micros() as f64,
            query,
        };
        self.running.insert(key, owner);
        key
    }

    /// Cancels a running query (statement timeout); returns its owner if it was running.
    pub fn cancel(&mut self, now: SimTime, key: FinishKey) -> Option<T> {
        self.advance(now);
        self.running.remove(&key)
    }

    /// Removes and returns the owners of every query that has finished by `now`.
    pub fn take_finished(&mut self, now: SimTime, out: &mut Vec<T>) {
        self.advance(now);
        // Work is tracked in floats; a query within a nanosecond of done is done.
        let done_by = self.work_clock_us + 1e-3;
        while let Some(entry) = self.running.first_entry() {
            if entry.key().work_us <= done_by {
                out.push(entry.remove());
            } else {
                break;
            }
        }
    }

    /// When the next query will finish if nothing changes, or `None` when idle.
    pub fn next_finish(&self) -> Option<SimTime> {
        let (first, _) = self.running.first_key_value()?;
        let remaining = (first.work_us - self.work_clock_us).max(0.0);
        let wait_us = libm::ceil(remaining / self.speed()) as u64;
        Some(self.updated_at + SimDuration::from_micros(wait_us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_to_idle(db: &mut DatabaseServer<u32>) -> Vec<(u32, u64)> {
        let mut done = vec![];
        let mut out = vec![];
        while let Some(t) = db.next_finish() {
            db.take_finished(t, &mut out);
            for q in out.drain(..) {
                done.push((q, t.as_micros()));
            }
        }
        done
    }

    #[test]
    fn queries_within_the_cores_run_at_full_speed() {
        let mut db = DatabaseServer::new(2);
        db.start(SimTime::ZERO, 1, SimDuration::from_millis(10), 1);
        db.start(SimTime::ZERO, 2, SimDuration::from_millis(20), 2);
        assert_eq!(run_to_idle(&mut db), vec![(1, 10_000), (2, 20_000)]);
    }

    #[test]
    fn oversubscribed_cores_are_shared() {
        // One core, two 10 ms queries: both progress at half speed and finish at 20 ms.
        let mut db = DatabaseServer::new(1);
        db.start(SimTime::ZERO, 1, SimDuration::from_millis(10), 1);
        db.start(SimTime::ZERO, 2, SimDuration::from_millis(10), 2);
        assert_eq!(run_to_idle(&mut db), vec![(1, 20_000), (2, 20_000)]);
        // A 10 ms query alone for 5 ms, then joined by a 2 ms one: the short one needs 4 ms
        // at half speed (done at 9 ms), the long one has 3 ms left at full speed (12 ms).
        let mut db = DatabaseServer::new(1);
        db.start(SimTime::ZERO, 1, SimDuration::from_millis(10), 1);
        db.start(
            SimTime::from_micros(5_000),
            2,
            SimDuration::from_millis(2),
            2,
        );
        assert_eq!(run_to_idle(&mut db), vec![(2, 9_000), (1, 12_000)]);
    }

    #[test]
    fn a_cancelled_query_frees_its_share() {
        let mut db = DatabaseServer::new(1);
        let k = db.start(SimTime::ZERO, 1, SimDuration::from_millis(100), 1);
        db.start(SimTime::ZERO, 2, SimDuration::from_millis(10), 2);
        assert_eq!(db.cancel(SimTime::from_micros(10_000), k), Some(1));
        // Query 2 got 5 ms of work in the first 10 ms, then runs alone: done at 15 ms.
        assert_eq!(run_to_idle(&mut db), vec![(2, 15_000)]);
    }
}
