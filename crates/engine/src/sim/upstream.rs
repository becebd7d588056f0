//! The upstream call (the payment gateway): its latency, errors and timeouts under the active
//! faults, behind the instance's circuit breaker.

use super::*;

/// How long Linux keeps retrying a SYN before a connect fails on its own (6 retries: 127 s).
pub const OS_CONNECT_GIVE_UP: SimDuration = SimDuration::from_secs(127);
/// How long a refused connection takes to fail.
pub const REFUSED_CONNECT: SimDuration = SimDuration::from_millis(1);
/// Retry-After sent when a half-open breaker has no trial call left.
pub const NOT_PERMITTED_RETRY_AFTER: SimDuration = SimDuration::from_secs(1);

impl Simulation {
    pub(super) fn call_upstream(&mut self, a: AttemptRef, step: u8) {
        let now = self.now;
        let instance = self.attempt(a).instance as usize;
        let mut permit = None;
        if let Some(b) = self.breakers.get_mut(instance) {
            let from = b.state();
            let acquired = b.try_acquire(now);
            self.note_breaker(instance, from);
            match acquired {
                Ok(p) => permit = Some(p),
                Err(rejection) => {
                    let (open, retry_after) = match rejection {
                        Rejection::Open { retry_after } => (true, retry_after),
                        Rejection::NotPermitted => (false, NOT_PERMITTED_RETRY_AFTER),
                    };
                    self.recorder.breaker_rejected(open);
                    let when_open = self.cfg.breaker.map(|(_, w)| w);
                    let att = self.attempt_mut(a);
                    if when_open == Some(WhenOpen::Degraded200) {
                        att.degraded = true;
                        self.fail_soon(a, step, None, SimDuration::ZERO);
                    } else {
                        att.retry_after = Some(retry_after);
                        self.fail_soon(a, step, Some(ErrorClass::BreakerOpen), SimDuration::ZERO);
                    }
                    return;
                }
            }
        }
        let cfg = &self.cfg;
        let effects = self.effects;
        let att = &mut self.attempts[a.slot as usize];
        let upstream = |result| StepPart::Upstream {
            result,
            permit,
            started: now,
        };
        let (delay, part) = match effects.upstream_mode {
            UpstreamMode::DownFast => {
                (REFUSED_CONNECT, upstream(Some(ErrorClass::UpstreamRefused)))
            }
            UpstreamMode::Unreachable => (
                cfg.upstream_connect_timeout.unwrap_or(OS_CONNECT_GIVE_UP),
                upstream(Some(ErrorClass::UpstreamConnectTimeout)),
            ),
            UpstreamMode::Hang => match cfg.upstream_read_timeout {
                Some(t) => (t, upstream(Some(ErrorClass::UpstreamReadTimeout))),
                None => (SimDuration::ZERO, StepPart::UpstreamHung),
            },
            UpstreamMode::Normal => {
                let base = cfg.upstream_latency.sample(&mut att.work);
                let latency = SimDuration::from_micros(libm::round(
                    base.as_micros() as f64 * effects.upstream_latency_multiplier,
                ) as u64);
                let error_rate = 1.0
                    - (1.0 - cfg.upstream_error_rate) * (1.0 - effects.upstream_extra_error_rate);
                let error = att.work.chance(error_rate);
                match cfg.upstream_read_timeout {
                    Some(t) if latency > t => (t, upstream(Some(ErrorClass::UpstreamReadTimeout))),
                    _ => (
                        latency,
                        upstream(error.then_some(ErrorClass::UpstreamError)),
                    ),
                }
            }
        };
        att.phase = Phase::Step { step, part };
        self.recorder.upstream_call();
        if part != StepPart::UpstreamHung {
            self.schedule(now + delay, Event::StepDone(a));
        }
    }

    pub(super) fn breaker_opened(&mut self, instance: usize) {
        self.recorder.breaker_opened();
        let message = "CircuitBreaker 'payment' changed state to OPEN".to_string();
        self.log(
            Level::Warn,
            LogSource::Instance,
            Some(instance as u16),
            message,
        );
        let b = &self.breakers[instance];
        if b.config().automatic_half_open {
            if let Some(until) = b.open_until() {
                self.schedule(until, Event::BreakerWake(instance));
            }
        }
    }
}
