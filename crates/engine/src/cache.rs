//! The cache's state: per key an expiry, the time its last load took, whether a load or refresh
//! is under way, and the requests waiting for another's load (single flight). It answers the
//! questions the stampede protections ask (fresh, usable stale, XFetch's early refresh); what
//! a request then does is the simulation's business. Waiters are of any type `W`.

use std::collections::BTreeMap;

use crate::time::{SimDuration, SimTime};

/// Every key's cache state.
#[derive(Clone, Debug)]
pub struct Cache<W> {
    /// Per key: when its entry expires (`SimTime::ZERO` = absent).
    expires: Vec<SimTime>,
    /// Per key: how long its last load took (XFetch's delta).
    load_time: Vec<SimDuration>,
    /// Per key: a load or refresh is under way (coalescing, stale-while-revalidate).
    loading: Vec<bool>,
    /// Per key: requests waiting for another request's load, in arrival order.
    waiters: BTreeMap<u32, Vec<W>>,
}

/// A TTL spread by `jitter_pct` percent either side: `draw` in [0, 1) picks where.
pub fn jittered_ttl(ttl: SimDuration, jitter_pct: f64, draw: f64) -> SimDuration {
    let jitter = jitter_pct / 100.0;
    let ttl_us = ttl.as_micros() as f64 * (1.0 + jitter * (2.0 * draw - 1.0));
    SimDuration::from_micros(libm::round(ttl_us) as u64)
}

impl<W> Cache<W> {
    /// An empty cache of `keys` keys.
    pub fn new(keys: u32) -> Self {
        Cache {
            expires: vec![SimTime::ZERO; keys as usize],
            load_time: vec![SimDuration::ZERO; keys as usize],
            loading: vec![false; keys as usize],
            waiters: BTreeMap::new(),
        }
    }

    /// When `key`'s entry expires; `SimTime::ZERO` if it has none.
    pub fn expires(&self, key: u32) -> SimTime {
        self.expires[key as usize]
    }

    /// True if `key` has an entry that has not expired at `now`.
    pub fn is_fresh(&self, key: u32, now: SimTime) -> bool {
        self.expires(key) > now
    }

    /// True if `key`'s entry has expired at `now` but may still be served for `stale_for`.
    pub fn is_usable_stale(&self, key: u32, now: SimTime, stale_for: SimDuration) -> bool {
        let expires = self.expires(key);
        !self.is_fresh(key, now) && expires != SimTime::ZERO && expires + stale_for > now
    }

    /// XFetch (Vattani et al.): a fresh entry is recomputed early when
    /// `now − delta·beta·ln(u) ≥ expiry`, with delta the last load's time and `u` in (0, 1).
    pub fn refreshes_early(&self, key: u32, now: SimTime, beta: f64, u: f64) -> bool {
        let delta_us = self.load_time[key as usize].as_micros() as f64;
        now.as_micros() as f64 - delta_us * beta * libm::log(u)
            >= self.expires(key).as_micros() as f64
    }

    /// True while a load or refresh of `key` is under way.
    pub fn is_loading(&self, key: u32) -> bool {
        self.loading[key as usize]
    }

    /// A load or refresh of `key` starts.
    pub fn start_loading(&mut self, key: u32) {
        self.loading[key as usize] = true;
    }

    /// The load or refresh of `key` is over (filled or not).
    pub fn stop_loading(&mut self, key: u32) {
        self.loading[key as usize] = false;
    }

    /// Stores `key` at `now` for `ttl`, after a load that started at `started`.
    pub fn fill(&mut self, key: u32, now: SimTime, ttl: SimDuration, started: SimTime) {
        self.expires[key as usize] = now + ttl;
        self.load_time[key as usize] = now.since(started);
    }

    /// Drops every entry (a flush); loads under way go on.
    pub fn flush(&mut self) {
        self.expires.fill(SimTime::ZERO);
    }

    /// `waiter` waits for the load of `key` under way.
    pub fn add_waiter(&mut self, key: u32, waiter: W) {
        self.waiters.entry(key).or_default().push(waiter);
    }

    /// Everyone waiting for `key`, in arrival order; they wait no more.
    pub fn take_waiters(&mut self, key: u32) -> Vec<W> {
        self.waiters.remove(&key).unwrap_or_default()
    }

    /// The load of `key` failed or was lost: it is over, and its waiters come back.
    pub fn load_failed(&mut self, key: u32) -> Vec<W> {
        self.stop_loading(key);
        self.take_waiters(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn an_entry_is_fresh_until_its_ttl_then_stale_for_a_while_then_gone() {
        let mut c: Cache<u32> = Cache::new(4);
        assert!(!c.is_fresh(1, secs(0)), "absent");
        assert!(!c.is_usable_stale(1, secs(0), SimDuration::from_secs(100)));
        c.fill(1, secs(10), SimDuration::from_secs(5), secs(9));
        assert!(c.is_fresh(1, secs(14)));
        assert!(!c.is_fresh(1, secs(15)), "expires at 15 s");
        let stale_for = SimDuration::from_secs(3);
        assert!(c.is_usable_stale(1, secs(17), stale_for));
        assert!(!c.is_usable_stale(1, secs(18), stale_for));
        assert!(!c.is_fresh(2, secs(11)), "other keys untouched");
        c.flush();
        assert!(!c.is_fresh(1, secs(11)));
    }

    #[test]
    fn xfetch_refreshes_earlier_the_closer_to_expiry_and_the_slower_the_load() {
        let mut c: Cache<u32> = Cache::new(1);
        // Expires at 20 s; the last load took 1 s.
        c.fill(0, secs(10), SimDuration::from_secs(10), secs(9));
        // -ln(u) = 1 for u = 1/e: early from 19 s on with beta 1, from 18 s with beta 2.
        let u = 1.0 / std::f64::consts::E;
        assert!(!c.refreshes_early(0, SimTime::from_micros(18_900 * 1_000), 1.0, u));
        assert!(c.refreshes_early(0, SimTime::from_micros(19_001 * 1_000), 1.0, u));
        assert!(c.refreshes_early(0, SimTime::from_micros(18_001 * 1_000), 2.0, u));
        assert!(
            !c.refreshes_early(0, secs(11), 1.0, 0.999),
            "u near 1: almost never early"
        );
    }

    #[test]
    fn waiters_of_a_load_come_back_once_in_order() {
        let mut c: Cache<u32> = Cache::new(3);
        c.start_loading(2);
        assert!(c.is_loading(2) && !c.is_loading(1));
        c.add_waiter(2, 7);
        c.add_waiter(2, 8);
        c.add_waiter(1, 9);
        assert_eq!(c.load_failed(2), vec![7, 8]);
        assert!(!c.is_loading(2));
        assert_eq!(c.take_waiters(2), Vec::<u32>::new(), "only once");
        assert_eq!(c.take_waiters(1), vec![9]);
    }

    #[test]
    fn a_jittered_ttl_spreads_either_side() {
        let ttl = SimDuration::from_secs(10);
        assert_eq!(jittered_ttl(ttl, 0.0, 0.9), ttl);
        assert_eq!(jittered_ttl(ttl, 20.0, 0.5), ttl);
        assert_eq!(jittered_ttl(ttl, 20.0, 0.0), SimDuration::from_secs(8));
        assert_eq!(jittered_ttl(ttl, 20.0, 1.0), SimDuration::from_secs(12));
    }
}
