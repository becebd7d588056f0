//! The load balancer: picking an instance in rotation, routing or refusing an attempt, and the
//! health probes that move instances in and out of rotation.

use super::*;

impl Simulation {
    /// The instance for the next request among those in rotation, or `None` if none is.
    pub(super) fn pick_instance(&mut self) -> Option<usize> {
        let n = self.instances.len();
        let start = self.round_robin_next % n;
        let fail_open = self.failing_open();
        let mut candidates = (0..n)
            .map(|k| (start + k) % n)
            .filter(|&i| fail_open || self.instances[i].in_rotation);
        let chosen = match self.cfg.lb_policy {
            LbPolicy::RoundRobin => candidates.next(),
            LbPolicy::LeastOutstanding => candidates.min_by_key(|&i| self.instances[i].outstanding),
        }?;
        self.round_robin_next = (chosen + 1) % n;
        Some(chosen)
    }

    /// Whether the balancer is failing open: every instance is out of rotation and the health
    /// check's policy sends traffic to all of them anyway.
    pub(super) fn failing_open(&self) -> bool {
        self.cfg.health_check.is_some_and(|h| h.fail_open)
            && self.instances.iter().all(|i| !i.in_rotation)
    }

    pub(super) fn route(&mut self, a: AttemptRef) {
        let Some(i) = self.pick_instance() else {
            // No healthy instance: the balancer itself answers 503.
            let message = "no live upstreams while connecting to upstream".to_string();
            self.log_request_error(a, None, Status::Unavailable503, message);
            self.attempt_mut(a).phase = Phase::Done;
            self.set_outcome(a, Status::Unavailable503, Status::Unavailable503);
            self.release_if_done(a);
            return;
        };
        let att = self.attempt_mut(a);
        att.instance = i as u16;
        att.routed = true;
        self.instances[i].outstanding += 1;
        let inst = &self.instances[i];
        if inst.down {
            // Connection refused: the balancer answers 502.
            let message =
                "connect() failed (111: Connection refused) while connecting to upstream".into();
            self.log_request_error(a, None, Status::BadGateway502, message);
            self.attempt_mut(a).phase = Phase::Done;
            self.set_outcome(a, Status::BadGateway502, Status::BadGateway502);
            self.release_if_done(a);
        } else if inst.threads_busy < self.cfg.max_threads {
            self.instances[i].threads_busy += 1;
            self.start_work(a);
        } else if self
            .cfg
            .accept_queue
            .is_none_or(|cap| (inst.accept_queue.len() as u32) < cap)
        {
            self.instances[i].accept_queue.push_back(a);
        } else {
            let (status, message) = match self.cfg.queue_overflow {
                QueueOverflow::Refuse => (
                    Status::BadGateway502,
                    "connect() failed (111: Connection refused) while connecting to upstream \
                     (accept queue full)",
                ),
                QueueOverflow::Shed503 => (
                    Status::Unavailable503,
                    "load shedder: server too busy (accept queue full)",
                ),
            };
            self.log_request_error(a, None, status, message.into());
            self.attempt_mut(a).phase = Phase::Done;
            self.set_outcome(a, status, status);
            self.release_if_done(a);
        }
    }

    /// One probe of instance `i`; the next is scheduled an interval later. A probe needs a
    /// worker thread like any request: with none free it waits, up to its timeout.
    pub(super) fn health_probe(&mut self, i: usize) {
        let Some(h) = self.cfg.health_check else {
            return;
        };
        self.schedule(self.now + h.interval, Event::HealthProbe(i));
        if self.instances[i].down {
            self.record_probe(i, false);
        } else if self.has_free_worker(i) {
            let pass = self.probe_answer(i);
            self.record_probe(i, pass);
        } else {
            self.schedule(self.now + h.timeout, Event::HealthProbeTimeout(i));
        }
    }

    /// A waiting probe's timeout: answered if a worker has come free by now, else failed.
    /// (The probe is modelled as answered at its deadline when a worker is free then.)
    pub(super) fn health_probe_timeout(&mut self, i: usize) {
        let pass = !self.instances[i].down && self.has_free_worker(i) && self.probe_answer(i);
        self.record_probe(i, pass);
    }

    pub(super) fn has_free_worker(&self, i: usize) -> bool {
        let inst = &self.instances[i];
        inst.threads_busy - inst.threads_draining < self.cfg.max_threads
    }

    /// What the instance answers to a probe: shallow passes; deep checks readiness.
    pub(super) fn probe_answer(&self, i: usize) -> bool {
        let Some(h) = self.cfg.health_check else {
            return true;
        };
        let inst = &self.instances[i];
        let pool_use_pct = 100.0 * inst.pool.active() as f64 / self.cfg.pool_max_size as f64;
        let breaker_open = self
            .breakers
            .get(i)
            .is_some_and(|b| b.state() == BreakerState::Open);
        !h.deep
            || (!inst.misconfigured
                && !inst.db_unreachable
                && pool_use_pct <= h.deep_pool_use_max_pct
                && !breaker_open)
    }

    /// Counts a probe result; enough in a row move the instance in or out of rotation.
    pub(super) fn record_probe(&mut self, i: usize, pass: bool) {
        let Some(h) = self.cfg.health_check else {
            return;
        };
        let inst = &mut self.instances[i];
        if pass {
            inst.probe_passes += 1;
            inst.probe_failures = 0;
            if !inst.in_rotation && inst.probe_passes >= h.healthy_threshold {
                inst.in_rotation = true;
                let message = format!(
                    "health check passed {} times: back in rotation",
                    h.healthy_threshold
                );
                self.log(
                    Level::Info,
                    LogSource::LoadBalancer,
                    Some(i as u16),
                    message,
                );
            }
        } else {
            inst.probe_failures += 1;
            inst.probe_passes = 0;
            if inst.in_rotation && inst.probe_failures >= h.unhealthy_threshold {
                inst.in_rotation = false;
                let message = format!(
                    "health check failed {} times: out of rotation",
                    h.unhealthy_threshold
                );
                self.log(
                    Level::Warn,
                    LogSource::LoadBalancer,
                    Some(i as u16),
                    message,
                );
            }
        }
    }
}
