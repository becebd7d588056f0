//! Database queries: their cost, starting them on the shared database, their completion and
//! their statement timeout.

use super::*;

impl Simulation {
    /// The cost of the query of step `step`, drawn from the attempt's work stream and
    /// multiplied by an active missing-index fault.
    pub(super) fn query_cost(&mut self, a: AttemptRef, step: u8) -> SimDuration {
        let multiplier = self.effects.db_cost_multiplier;
        let endpoint = self.attempt(a).request.endpoint as usize;
        let dist = match self.cfg.endpoints[endpoint].steps[step as usize] {
            StepConfig::CacheRead(d) | StepConfig::DbQuery(d) => d,
            _ => unreachable!("queries start only from cache-read and db-query steps"),
        };
        let base = dist.sample(&mut self.attempt_mut(a).work);
        SimDuration::from_micros(libm::round(base.as_micros() as f64 * multiplier) as u64)
    }

    pub(super) fn start_query(&mut self, a: AttemptRef, step: u8) {
        let now = self.now;
        let cost = self.query_cost(a, step);
        let att = self.attempt_mut(a);
        att.tokens += 1;
        let token = att.tokens;
        let query_id = (att.id << 8) | (token as u64 & 0xff);
        let key = self.db.start(now, query_id, cost, QueryOwner::Attempt(a));
        let timed = self.cfg.query_timeout.is_some();
        self.attempt_mut(a).phase = Phase::Step {
            step,
            part: StepPart::Query {
                token,
                key,
                since: now,
                timed,
            },
        };
        self.recorder.query_started(self.db.running());
        if let Some(t) = self.cfg.query_timeout {
            self.schedule_timer(t, Event::QueryTimeout { attempt: a, token });
        }
        if let Some(t) = self.cfg.leak_detection_threshold {
            self.schedule_timer(t, Event::LeakCheck { attempt: a, token });
        }
        self.reschedule_db();
    }

    /// HikariCP's leak detection: attempt `a` has held its connection (in this model, for its
    /// query) longer than the threshold. It logs what HikariCP logs, though here nothing
    /// leaked: a slow query holds the connection.
    pub(super) fn leak_detected(&mut self, a: AttemptRef) {
        let att = self.attempt(a);
        let (i, id) = (att.instance, att.id);
        let connection = (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32;
        let thread = id % u64::from(self.cfg.max_threads.max(1)) + 1;
        let endpoint = self.cfg.endpoints[att.request.endpoint as usize]
            .name
            .clone();
        let message = format!(
            "Connection leak detection triggered for org.postgresql.jdbc.PgConnection@{connection:08x} \
             on thread http-nio-8080-exec-{thread}, stack trace follows \
             (java.lang.Exception: Apparent connection leak detected, in {endpoint})"
        );
        self.log(Level::Warn, LogSource::Instance, Some(i), message);
    }

    /// PostgreSQL's `log_min_duration_statement`: a query of `endpoint` that ran `duration`.
    fn log_slow_query(&mut self, endpoint: Option<usize>, duration: SimDuration) {
        let Some(min) = self.cfg.log_min_duration_statement else {
            return;
        };
        if duration <= min {
            return;
        }
        let tag = match endpoint {
            Some(e) => format!("/* {} */", self.cfg.endpoints[e].name),
            None => "/* cache refresh */".into(),
        };
        let ms = duration.as_micros() as f64 / 1000.0;
        let message = format!("LOG:  duration: {ms:.3} ms  statement: {tag} SELECT …");
        self.log(Level::Warn, LogSource::Database, None, message);
    }

    /// HikariCP's housekeeper (every [`crate::settings::POOL_HOUSEKEEPING_S`] seconds): each
    /// pool's stats, logged while requests wait for a connection (HikariCP logs them at DEBUG
    /// every time; the lab shows them when they matter).
    pub(super) fn log_pool_stats(&mut self) {
        let max = self.cfg.pool_max_size;
        for i in 0..self.instances.len() {
            let pool = &self.instances[i].pool;
            let (active, waiting) = (pool.active(), pool.waiting());
            if waiting == 0 || self.instances[i].down {
                continue;
            }
            let total = active.max(max);
            let message = format!(
                "HikariPool-1 - Pool stats (total={total}, active={active}, idle={}, waiting={waiting})",
                total - active
            );
            self.log(Level::Warn, LogSource::Instance, Some(i as u16), message);
        }
    }

    pub(super) fn reschedule_db(&mut self) {
        self.db_generation += 1;
        if let Some(t) = self.db.next_finish() {
            let generation = self.db_generation;
            self.schedule(t.max(self.now), Event::QueryDone { generation });
        }
    }

    pub(super) fn queries_done(&mut self) {
        let mut done = std::mem::take(&mut self.finished_queries);
        self.db.take_finished(self.now, &mut done);
        self.reschedule_db();
        for owner in done.drain(..) {
            let a = match owner {
                QueryOwner::Attempt(a) => a,
                QueryOwner::Refresh(key, started) => {
                    self.refreshes_running -= 1;
                    self.log_slow_query(None, self.now.since(started));
                    let labels = [
                        Stream::Work as u64,
                        u64::MAX,
                        key as u64,
                        started.as_micros(),
                    ];
                    let draw = SimRng::derived(self.cfg.seed, &labels).open01();
                    self.fill_cache(key, started, draw);
                    continue;
                }
            };
            let att = self.attempt(a);
            let (i, key, endpoint) = (
                att.instance as usize,
                att.request.key,
                att.request.endpoint as usize,
            );
            let Phase::Step { step, part } = att.phase else {
                unreachable!("query without a step")
            };
            if let StepPart::Query { since, .. } = part {
                self.log_slow_query(Some(endpoint), self.now.since(since));
            }
            self.release_connection(i);
            if matches!(
                self.cfg.endpoints[endpoint].steps[step as usize],
                StepConfig::CacheRead(_)
            ) {
                let started = self.attempt(a).load_started;
                let draw = self.attempt_mut(a).work.open01();
                self.fill_cache(key, started, draw);
                if self.attempt_mut(a).loading_key.take().is_some() {
                    for waiter in self.cache.take_waiters(key) {
                        if self.is_coalescing(waiter) {
                            self.run_step(waiter, step + 1);
                        }
                    }
                }
            }
            self.run_step(a, step + 1);
        }
        self.finished_queries = done;
    }

    /// The statement timeout of an attempt still running the query it belongs to.
    pub(super) fn query_timeout(&mut self, a: AttemptRef) {
        let att = self.attempt(a);
        let Phase::Step {
            part: StepPart::Query { key, .. },
            ..
        } = att.phase
        else {
            unreachable!("is_stale lets a query timeout through only during its query");
        };
        let i = att.instance as usize;
        self.db.cancel(self.now, key);
        self.reschedule_db();
        self.release_connection(i);
        self.fail(a, ErrorClass::QueryTimeout);
    }
}
