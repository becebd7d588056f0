//! An application instance and its worker threads: a worker takes an attempt, runs the
//! endpoint's handler steps on it, and goes to the next queued connection when it is done.

use super::*;
use crate::metrics::ThreadUse;

/// One application instance.
#[derive(Clone, Debug)]
pub(super) struct Instance {
    pub(super) threads_busy: u32,
    pub(super) accept_queue: VecDeque<AttemptRef>,
    /// Attempts the load balancer has sent here and not yet answered.
    pub(super) outstanding: u32,
    /// The instance's database connection pool.
    pub(super) pool: ConnectionPool<PoolWaiter>,
    /// The process is down: connections are refused.
    pub(super) down: bool,
    /// Runs without its configuration: every request fails.
    pub(super) misconfigured: bool,
    /// Cannot reach the database.
    pub(super) db_unreachable: bool,
    /// The load balancer sends it traffic.
    pub(super) in_rotation: bool,
    pub(super) probe_passes: u32,
    pub(super) probe_failures: u32,
    /// Busy threads above a lowered `max_threads`: they finish their request, then exit.
    pub(super) threads_draining: u32,
    /// Stopped by an operator's restart, not yet started again (it is also `down`).
    pub(super) restarting: bool,
}

impl Default for Instance {
    fn default() -> Self {
        Instance {
            threads_busy: 0,
            accept_queue: VecDeque::new(),
            outstanding: 0,
            pool: ConnectionPool::default(),
            down: false,
            misconfigured: false,
            db_unreachable: false,
            in_rotation: true,
            restarting: false,
            probe_passes: 0,
            probe_failures: 0,
            threads_draining: 0,
        }
    }
}

/// How long a request takes to fail when the instance fails it outright (an error page, a
/// refused database connection).
pub const FAST_FAILURE: SimDuration = SimDuration::from_millis(1);

impl Simulation {
    /// A worker (already counted busy) takes the attempt.
    pub(super) fn start_work(&mut self, a: AttemptRef) {
        let now = self.now;
        let att = self.attempt_mut(a);
        let wait = now.since(att.accepted_at);
        att.started_at = Some(now);
        self.recorder.queue_wait(wait);
        let bug_rate = self.effects.code_bug_rate;
        if self.instances[self.attempt(a).instance as usize].misconfigured {
            self.fail_soon(a, 0, Some(ErrorClass::MissingConfig), FAST_FAILURE);
        } else if bug_rate > 0.0 && self.attempt_mut(a).work.chance(bug_rate) {
            self.fail_soon(a, 0, Some(ErrorClass::UnhandledException), FAST_FAILURE);
        } else {
            self.run_step(a, 0);
        }
    }

    /// Ends step `step` after `delay`: failing with `class`, or (None) going on with a fallback.
    /// Going through an event keeps a long accept queue from recursing.
    pub(super) fn fail_soon(
        &mut self,
        a: AttemptRef,
        step: u8,
        class: Option<ErrorClass>,
        delay: SimDuration,
    ) {
        self.attempt_mut(a).phase = Phase::Step {
            step,
            part: StepPart::Failing(class),
        };
        self.schedule(self.now + delay, Event::StepDone(a));
    }

    pub(super) fn run_step(&mut self, a: AttemptRef, step: u8) {
        let now = self.now;
        let endpoint = self.attempt(a).request.endpoint as usize;
        let Some(cfg) = self.cfg.endpoints[endpoint].steps.get(step as usize) else {
            self.finish_server(a, Status::Ok200);
            return;
        };
        match *cfg {
            StepConfig::Cpu(dist) => {
                let att = self.attempt_mut(a);
                let d = dist.sample(&mut att.work);
                att.phase = Phase::Step {
                    step,
                    part: StepPart::Cpu,
                };
                self.schedule(now + d, Event::StepDone(a));
            }
            StepConfig::CacheRead(_) => {
                self.attempt_mut(a).phase = Phase::Step {
                    step,
                    part: StepPart::CacheLookup,
                };
                self.schedule(now + self.cfg.cache_lookup, Event::StepDone(a));
            }
            StepConfig::DbQuery(_) => self.acquire_connection(a, step),
            StepConfig::UpstreamCall => self.call_upstream(a, step),
        }
    }

    pub(super) fn step_done(&mut self, a: AttemptRef) {
        let Some(att) = self.get_attempt(a) else {
            return;
        };
        let Phase::Step { step, part } = att.phase else {
            return;
        };
        match part {
            StepPart::Cpu => self.run_step(a, step + 1),
            StepPart::CacheLookup => self.cache_lookup_done(a, step),
            StepPart::Upstream {
                result,
                permit,
                started,
            } => {
                let instance = att.instance as usize;
                if let (Some(permit), Some(b)) = (permit, self.breakers.get_mut(instance)) {
                    let from = b.state();
                    let changed =
                        b.record(permit, self.now, self.now.since(started), result.is_some());
                    self.note_breaker(instance, from);
                    if changed == Some(BreakerState::Open) {
                        self.breaker_opened(instance);
                    }
                }
                match result {
                    None => self.run_step(a, step + 1),
                    Some(class) => self.fail(a, class),
                }
            }
            StepPart::Failing(None) => self.run_step(a, step + 1),
            StepPart::Failing(Some(class)) => self.fail(a, class),
            StepPart::PoolWait { .. }
            | StepPart::Query { .. }
            | StepPart::UpstreamHung
            | StepPart::CoalesceWait => {
                debug_assert!(false, "StepDone in part {part:?}");
            }
        }
    }

    /// The server side ends with true status `status`: the worker is freed and takes the next
    /// queued connection; the answer reaches the client unless it already had an outcome.
    pub(super) fn finish_server(&mut self, a: AttemptRef, status: Status) {
        let swallow = self.cfg.error_handling == ErrorHandling::Swallow;
        let att = self.attempt_mut(a);
        att.phase = Phase::Done;
        let i = att.instance as usize;
        let late = att.outcome.is_some();
        if late {
            self.recorder.late_response();
        } else {
            // Swallowing turns every application error into a 200 with an error body.
            let seen = if swallow && status != Status::Ok200 {
                Status::Ok200
            } else {
                status
            };
            self.set_outcome(a, status, seen);
        }
        self.release_if_done(a);
        // The worker exits if the pool shrank, or goes to the next queued connection, or idles.
        if self.instances[i].threads_draining > 0 {
            self.instances[i].threads_draining -= 1;
            self.instances[i].threads_busy -= 1;
        } else if let Some(next) = self.next_queued(i) {
            self.start_work(next);
        } else {
            self.instances[i].threads_busy -= 1;
        }
    }

    /// The next queued connection of instance `i` a free worker should serve: the front of
    /// its accept queue, but with deadline propagation (`drop_expired`) the requests whose
    /// client already gave up are dropped unserved first.
    pub(super) fn next_queued(&mut self, i: usize) -> Option<AttemptRef> {
        loop {
            let next = self.instances[i].accept_queue.pop_front()?;
            if !(self.cfg.drop_expired && self.attempt(next).outcome.is_some()) {
                return Some(next);
            }
            self.recorder.expired_dropped();
            self.attempt_mut(next).phase = Phase::Done;
            self.release_if_done(next);
        }
    }

    /// Current gauges of every instance, with its busy threads broken down as `threads`
    /// (from a census) says.
    pub(super) fn instance_gauges(&self, threads: &[ThreadUse]) -> Vec<InstanceGauges> {
        self.instances
            .iter()
            .zip(threads)
            .map(|(i, &threads)| InstanceGauges {
                threads,
                threads_busy: i.threads_busy,
                accept_queue: i.accept_queue.len() as u32,
                pool_active: i.pool.active(),
                pool_waiters: i.pool.waiting(),
                in_rotation: i.in_rotation,
                down: i.down,
                answers: 0,
                answers_5xx: 0,
            })
            .collect()
    }
}
