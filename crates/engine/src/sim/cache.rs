//! The cache read step: lookups, loads through the pool, fills with TTL jitter, and the
//! stampede protections (coalescing, stale-while-revalidate, probabilistic early refresh).

use super::*;
use crate::cache::jittered_ttl;

impl Simulation {
    /// The cache answered the lookup of step `step`.
    pub(super) fn cache_lookup_done(&mut self, a: AttemptRef, step: u8) {
        let now = self.now;
        let key = self.attempt(a).request.key;
        if self.effects.cache_down {
            // A cache that is down answers nothing: every lookup is a miss, and fills are lost.
            self.recorder.cache_lookup(false);
            self.load_for_cache(a, step);
            return;
        }
        let fresh = self.cache.is_fresh(key, now);
        match self.cfg.stampede {
            StampedeConfig::None => {
                self.recorder.cache_lookup(fresh);
                if fresh {
                    self.run_step(a, step + 1);
                } else {
                    self.load_for_cache(a, step);
                }
            }
            StampedeConfig::Coalescing => {
                self.recorder.cache_lookup(fresh);
                if fresh {
                    self.run_step(a, step + 1);
                } else if self.cache.is_loading(key) {
                    self.recorder.cache_coalesced();
                    self.attempt_mut(a).phase = Phase::Step {
                        step,
                        part: StepPart::CoalesceWait,
                    };
                    self.cache.add_waiter(key, a);
                } else {
                    self.cache.start_loading(key);
                    self.attempt_mut(a).loading_key = Some(key);
                    self.load_for_cache(a, step);
                }
            }
            StampedeConfig::StaleWhileRevalidate(stale_for) => {
                let usable_stale = self.cache.is_usable_stale(key, now, stale_for);
                self.recorder.cache_lookup(fresh || usable_stale);
                if fresh {
                    self.run_step(a, step + 1);
                } else if usable_stale {
                    self.recorder.cache_stale_hit();
                    if !self.cache.is_loading(key) {
                        self.start_refresh(a, step, key);
                    }
                    self.run_step(a, step + 1);
                } else {
                    self.load_for_cache(a, step);
                }
            }
            StampedeConfig::ProbabilisticEarlyRefresh(beta) => {
                // XFetch: the draw comes from the attempt's work stream, and only when fresh.
                let early = fresh && {
                    let u = self.attempt_mut(a).work.open01();
                    self.cache.refreshes_early(key, now, beta, u)
                };
                let hit = fresh && !early;
                self.recorder.cache_lookup(hit);
                if hit {
                    self.run_step(a, step + 1);
                } else {
                    if early {
                        self.recorder.cache_early_refresh();
                    }
                    self.load_for_cache(a, step);
                }
            }
        }
    }

    /// The request loads its key from the database through the pool.
    pub(super) fn load_for_cache(&mut self, a: AttemptRef, step: u8) {
        self.recorder.cache_load();
        self.attempt_mut(a).load_started = self.now;
        self.acquire_connection(a, step);
    }

    /// A background refresh of `key` (stale-while-revalidate): runs on the database on its own
    /// executor's connection, holding no request thread and no pool connection.
    pub(super) fn start_refresh(&mut self, a: AttemptRef, step: u8, key: u32) {
        let cost = self.query_cost(a, step);
        self.cache.start_loading(key);
        self.recorder.cache_load();
        self.refreshes_running += 1;
        // Refresh ids live in the upper half of the id space, apart from attempts' queries; one
        // refresh per key runs at a time.
        let query_id = (1 << 63) | ((key as u64) << 32) | (self.db_generation & 0xffff_ffff);
        self.db
            .start(self.now, query_id, cost, QueryOwner::Refresh(key, self.now));
        self.recorder.query_started(self.db.running());
        self.reschedule_db();
    }

    /// Fills `key` after a load that started at `started`.
    pub(super) fn fill_cache(&mut self, key: u32, started: SimTime, ttl_draw: f64) {
        self.cache.stop_loading(key);
        if self.effects.cache_down {
            return;
        }
        let ttl = jittered_ttl(self.cfg.cache_ttl, self.cfg.cache_ttl_jitter_pct, ttl_draw);
        self.cache.fill(key, self.now, ttl, started);
    }

    /// True if the attempt is alive and waiting for another request's load.
    pub(super) fn is_coalescing(&self, a: AttemptRef) -> bool {
        self.get_attempt(a).is_some_and(|att| {
            matches!(
                att.phase,
                Phase::Step {
                    part: StepPart::CoalesceWait,
                    ..
                }
            )
        })
    }
}
