//! Outcomes and retries: an attempt's failure, its client-visible outcome (set exactly once),
//! the client's timeouts, and the retry policy with its backoff, jitter and budget.

use super::*;

impl Simulation {
    /// The handler failed with an exception: the central handler answers 500, or 503 with
    /// Retry-After when the dependency is known to be down (breaker open).
    pub(super) fn fail(&mut self, a: AttemptRef, class: ErrorClass) {
        self.recorder.error(class);
        let status = if class == ErrorClass::BreakerOpen {
            Status::Unavailable503
        } else {
            Status::Error500
        };
        let pool_timeout_ms = self.cfg.pool_timeout.map(|d| d.as_millis_f64());
        self.log_request_error(
            a,
            Some(class),
            status,
            error_message(class, pool_timeout_ms),
        );
        let loading = self.attempt_mut(a).loading_key.take();
        self.finish_server(a, status);
        if let Some(key) = loading {
            // Single flight: everyone waiting for this load gets its error.
            for waiter in self.cache.load_failed(key) {
                if self.is_coalescing(waiter) {
                    self.fail(waiter, class);
                }
            }
        }
    }

    /// Records the outcome of an attempt (exactly once): its true status and the status
    /// monitoring sees; then the client retries or the user request ends.
    pub(super) fn set_outcome(&mut self, a: AttemptRef, status: Status, seen: Status) {
        let now = self.now;
        let att = self.attempt_mut(a);
        debug_assert!(att.outcome.is_none(), "attempt {} ended twice", att.id);
        att.outcome = Some((status, now));
        let latency = now.since(att.arrived_at);
        let i = att.instance as usize;
        debug_assert!(att.arrived_at <= att.accepted_at);
        debug_assert!(att
            .started_at
            .is_none_or(|s| att.accepted_at <= s && s <= now));
        let (request, retry_after, degraded) = (att.request, att.retry_after, att.degraded);
        if att.routed {
            self.instances[i].outstanding -= 1;
            self.recorder.instance_outcome(i, status);
        }
        self.in_flight -= 1;
        self.recorder
            .outcome(request.endpoint as usize, status, seen, latency);
        let client = self.client_of(request.source);
        let policy = self.cfg.clients[client];
        let retry_at = policy.retry.and_then(|retry| {
            if !self.is_retryable(&retry, &request, seen) {
                return None;
            }
            let delay = self.retry_delay(&retry, &request, retry_after);
            // A retry that would start at or after the deadline is not sent (and costs no
            // budget).
            let before_deadline = now + delay < request.deadline;
            (before_deadline && self.budget_allows(client)).then_some((now + delay, delay))
        });
        match retry_at {
            Some((at, delay)) => {
                let next = RequestInfo {
                    attempt_no: request.attempt_no + 1,
                    prev_delay: delay,
                    ..request
                };
                self.schedule(at, Event::Retry(next));
            }
            None => {
                (self.recorder).request_done(status, degraded, now.since(request.started));
                self.user_request_ended(&request);
            }
        }
    }

    /// Whether `seen` may be retried at all: a retryable answer, attempts left.
    fn is_retryable(&self, retry: &RetryConfig, request: &RequestInfo, seen: Status) -> bool {
        let retryable = match seen {
            Status::Ok200 => false,
            Status::ClientTimeout => retry.retry_on_timeout,
            _ => retry.retry_on_5xx,
        };
        retryable && request.attempt_no < retry.max_attempts
    }

    /// Whether client `client`'s retry budget, if it has one, pays for a retry now (taking
    /// its token).
    fn budget_allows(&mut self, client: usize) -> bool {
        match self.budget_rates(client) {
            Some(rates) => self.retry_budgets[client].try_withdraw(self.now, rates),
            None => true,
        }
    }

    /// The retry budget's rates of client `client` now, if it has one.
    pub(super) fn budget_rates(&self, client: usize) -> Option<BudgetRates> {
        let (ratio, min_retries_per_s) = self.cfg.clients[client].retry.and_then(|r| r.budget)?;
        Some(BudgetRates {
            ratio,
            min_retries_per_s,
        })
    }

    /// The delay before the next attempt: capped exponential backoff with jitter (AWS
    /// "Exponential Backoff and Jitter"), at least Retry-After when honoured.
    pub(super) fn retry_delay(
        &self,
        retry: &RetryConfig,
        request: &RequestInfo,
        retry_after: Option<SimDuration>,
    ) -> SimDuration {
        let mut rng = SimRng::derived(
            self.cfg.seed,
            &[
                Stream::Retries as u64,
                request.id,
                request.attempt_no as u64,
            ],
        );
        let base = retry.backoff_base.as_micros() as f64;
        let cap = retry.backoff_cap.as_micros() as f64;
        let exponent = (request.attempt_no - 1).min(62) as i32;
        let exp = (base * libm::pow(2.0, exponent as f64)).min(cap);
        let us = match retry.jitter {
            Jitter::None => exp,
            Jitter::Full => exp * rng.open01(),
            Jitter::Equal => exp / 2.0 + exp / 2.0 * rng.open01(),
            Jitter::Decorrelated => {
                let prev = request.prev_delay.as_micros() as f64;
                let high = (prev * 3.0).max(base);
                (base + (high - base) * rng.open01()).min(cap)
            }
        };
        let delay = SimDuration::from_micros(libm::round(us) as u64);
        match retry_after {
            Some(after) if retry.honor_retry_after => delay.max(after),
            _ => delay,
        }
    }

    /// The client's or the balancer's timeout of a live attempt with no outcome yet.
    pub(super) fn client_gives_up(&mut self, a: AttemptRef, status: Status) {
        if status == Status::GatewayTimeout504 {
            let message = "upstream timed out (110: Connection timed out) while reading response \
                           header from upstream";
            self.log_request_error(a, None, status, message.into());
        }
        self.set_outcome(a, status, status);
        self.release_if_done(a);
    }
}
