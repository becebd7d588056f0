//! Live reconfiguration: new settings applied mid-run the way the real software would, and the
//! settings that need a restart refused.

use super::*;

impl Simulation {
    /// Changes the settings of a running simulation, effective now, the way the real
    /// software would: a lowered thread or pool size drains (busy threads finish, returned
    /// connections close), a raised one takes waiting work at once, a shorter accept queue
    /// refuses its newest connections (502), a new breaker configuration starts CLOSED, new
    /// timeouts apply to new requests. The settings of [`crate::config::RESTART_ONLY`] cannot
    /// change during a run: if `new` changes any of them, nothing is applied and their paths
    /// come back.
    pub fn reconfigure(&mut self, new: Config) -> Result<(), Vec<&'static str>> {
        let old = &self.cfg;
        let restart = old.restart_only_differences(&new);
        if !restart.is_empty() {
            return Err(restart);
        }
        let now = self.now;
        let rate_changed = old.rate != new.rate;
        let breaker_changed = old.breaker != new.breaker;
        let health_added = old.health_check.is_none() && new.health_check.is_some();
        let cores_changed = old.db_cores != new.db_cores;
        self.cfg = new;
        if rate_changed {
            self.profile = RateProfile::new(&self.cfg.rate, &[]);
            self.arrival_generation += 1;
            self.arrival_cursor_us = now.as_micros() as f64;
            self.schedule_next_arrival();
        }
        if breaker_changed {
            self.breakers = match self.cfg.breaker {
                None => Vec::new(),
                Some((b, _)) if self.breakers.is_empty() => {
                    vec![CircuitBreaker::new(b); self.instances.len()]
                }
                Some((b, _)) => {
                    let before: Vec<BreakerState> =
                        self.breakers.iter().map(CircuitBreaker::state).collect();
                    for breaker in &mut self.breakers {
                        breaker.reconfigure(b, now);
                    }
                    for (i, from) in before.into_iter().enumerate() {
                        self.note_breaker(i, from);
                    }
                    std::mem::take(&mut self.breakers)
                }
            };
        }
        if cores_changed {
            self.db.set_cores(now, self.cfg.db_cores);
            self.reschedule_db();
        }
        match self.cfg.health_check {
            None => self.instances.iter_mut().for_each(|i| i.in_rotation = true),
            Some(h) if health_added => {
                let n = self.instances.len() as u64;
                for i in 0..self.instances.len() {
                    let offset =
                        SimDuration::from_micros(h.interval.as_micros() * (i as u64 + 1) / n);
                    self.schedule(now + offset, Event::HealthProbe(i));
                }
            }
            Some(_) => {}
        }
        for i in 0..self.instances.len() {
            self.resize_instance(i);
        }
        self.resize_user_groups();
        Ok(())
    }

    /// Fits instance `i`'s threads, accept queue and pool to the current configuration.
    pub(super) fn resize_instance(&mut self, i: usize) {
        let (max_threads, max_pool) = (self.cfg.max_threads, self.cfg.pool_max_size);
        let inst = &mut self.instances[i];
        if inst.down {
            return;
        }
        // Threads: drain the excess, or put new threads to work on queued connections.
        inst.threads_draining = inst.threads_busy.saturating_sub(max_threads);
        while self.instances[i].threads_busy < max_threads {
            let Some(next) = self.next_queued(i) else {
                break;
            };
            self.instances[i].threads_busy += 1;
            self.start_work(next);
        }
        // Accept queue: a shorter backlog refuses its newest connections.
        if let Some(cap) = self.cfg.accept_queue {
            while self.instances[i].accept_queue.len() > cap as usize {
                let Some(a) = self.instances[i].accept_queue.pop_back() else {
                    break;
                };
                let message = "connect() failed (111: Connection refused) while connecting to \
                               upstream (accept queue shortened)";
                self.log_request_error(a, None, Status::BadGateway502, message.into());
                self.attempt_mut(a).phase = Phase::Done;
                if self.attempt(a).outcome.is_none() {
                    self.set_outcome(a, Status::BadGateway502, Status::BadGateway502);
                }
                self.release_if_done(a);
            }
        }
        // Pool: close connections as they return, or grant new ones to waiters.
        self.instances[i].pool.resize(max_pool);
        while let Some(w) = self.instances[i]
            .pool
            .grant_below(max_pool, |w| waiting_in_pool(&self.attempts, w))
        {
            self.start_granted(w);
        }
    }
}
