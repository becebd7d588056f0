//! The model's invariants, checked in tests after every event.

use super::*;

impl Simulation {
    /// Checks the model's invariants; returns the first one broken. Cheap enough to call after
    /// every event in tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.check_conservation()?;
        self.check_users()?;
        let per_instance = self.per_instance_counts();
        let mut querying = 0u32;
        for (idx, (inst, &counts)) in self.instances.iter().zip(&per_instance).enumerate() {
            querying += counts.1;
            self.check_instance(inst, counts)
                .map_err(|what| format!("instance {idx}: {what}"))?;
        }
        if querying + self.refreshes_running != self.db.running() {
            return Err(format!(
                "database runs {} queries, attempts hold {querying}",
                self.db.running()
            ));
        }
        Ok(())
    }

    /// Attempts are conserved: arrived = completed + in flight, and the in-flight count is the
    /// attempts without an outcome.
    fn check_conservation(&self) -> Result<(), String> {
        let s = &self.recorder;
        if s.arrived != s.status.total() + self.in_flight {
            return Err(format!(
                "conservation: arrived {} != completed {} + in flight {}",
                s.arrived,
                s.status.total(),
                self.in_flight
            ));
        }
        let no_outcome = self
            .attempts
            .iter()
            .filter(|(_, a)| a.outcome.is_none())
            .count() as u64;
        if no_outcome != self.in_flight {
            return Err(format!(
                "in flight {} but {no_outcome} attempts lack an outcome",
                self.in_flight
            ));
        }
        if self.in_system_area_us > 0 && self.area_updated_at != self.now {
            return Err("the in-system integral lags the clock".into());
        }
        Ok(())
    }

    /// Closed-loop users: a user waits exactly while one request of its is in progress (an
    /// attempt without an outcome, or a retry scheduled), has its next request scheduled
    /// exactly once while it thinks, and never both.
    fn check_users(&self) -> Result<(), String> {
        if self.users.is_empty() {
            return Ok(());
        }
        let mut in_progress: Vec<Vec<u32>> = self.users.iter().map(|g| vec![0; g.len()]).collect();
        let mut sends: Vec<Vec<u32>> = in_progress.clone();
        let live = (self.attempts.iter())
            .filter(|(_, a)| a.outcome.is_none())
            .map(|(_, a)| a.request);
        let retries = self.queue.iter().filter_map(|s| match s.event {
            Event::Retry(r) => Some(r),
            _ => None,
        });
        for r in live.chain(retries).filter(|r| r.source > 0) {
            in_progress[r.source as usize - 1][r.user as usize] += 1;
        }
        for s in self.queue.iter() {
            if let Event::UserSends { group, user } = s.event {
                sends[group as usize][user as usize] += 1;
            }
        }
        let waiting = self.users.iter().flatten().filter(|s| s.waiting).count() as u64;
        if waiting != self.users_waiting {
            return Err(format!(
                "{waiting} users wait, the count says {}",
                self.users_waiting
            ));
        }
        for (g, users) in self.users.iter().enumerate() {
            for (u, state) in users.iter().enumerate() {
                let (n, m) = (in_progress[g][u], sends[g][u]);
                if n != state.waiting as u32 || m != state.scheduled as u32 || n + m > 1 {
                    return Err(format!(
                        "user {u} of group {g}: waiting {} with {n} requests in progress, \
                         scheduled {} with {m} sends queued",
                        state.waiting, state.scheduled
                    ));
                }
            }
        }
        Ok(())
    }

    /// One pass over the attempts: per instance, (in a step, holding a connection, waiting).
    fn per_instance_counts(&self) -> Vec<(u32, u32, u32)> {
        let mut per_instance = vec![(0u32, 0u32, 0u32); self.instances.len()];
        for (_, a) in self.attempts.iter() {
            if let Phase::Step { part, .. } = a.phase {
                let counts = &mut per_instance[a.instance as usize];
                counts.0 += 1;
                match part {
                    StepPart::Query { .. } => counts.1 += 1,
                    StepPart::PoolWait { .. } => counts.2 += 1,
                    _ => {}
                }
            }
        }
        per_instance
    }

    /// One instance's bounds, against the attempts counted on it; the first one broken.
    fn check_instance(
        &self,
        inst: &Instance,
        (working, holding, waiting): (u32, u32, u32),
    ) -> Result<(), &'static str> {
        let cap = self.cfg.accept_queue.unwrap_or(u32::MAX);
        let checks = [
            (
                inst.threads_busy <= self.cfg.max_threads + inst.threads_draining
                    && inst.threads_draining <= inst.threads_busy,
                "threads busy above max_threads (beyond those draining)",
            ),
            (
                inst.threads_busy == working,
                "threads busy differs from attempts in a step",
            ),
            (
                (inst.accept_queue.len() as u64) <= cap as u64,
                "accept queue above capacity",
            ),
            (
                inst.pool.active() <= self.cfg.pool_max_size + inst.pool.draining()
                    && inst.pool.draining() <= inst.pool.active(),
                "pool active above max_size (beyond those draining)",
            ),
            (
                inst.pool.active() == holding,
                "pool active differs from attempts holding a connection",
            ),
            (
                inst.pool.waiting() == waiting,
                "pool waiters differ from attempts waiting",
            ),
            (
                inst.pool.waiting() <= inst.threads_busy,
                "more pool waiters than busy threads",
            ),
            (!inst.restarting || inst.down, "restarting but not down"),
            (
                !inst.down || (inst.threads_busy == 0 && inst.pool.active() == 0),
                "a down instance has busy threads or connections",
            ),
            (
                inst.accept_queue.is_empty()
                    || inst.threads_busy - inst.threads_draining == self.cfg.max_threads,
                "requests queue while a worker is idle",
            ),
        ];
        for (ok, what) in checks {
            if !ok {
                return Err(what);
            }
        }
        Ok(())
    }
}
