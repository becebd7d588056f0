//! Arrivals and clients: the thinned Poisson process of new user requests, their endpoint and
//! key, and each attempt's start with its client and gateway timeouts.

use super::*;

impl Simulation {
    /// Draws the next candidate of the thinned Poisson process from the cursor on.
    pub(super) fn schedule_next_arrival(&mut self) {
        let mut from_us = self.arrival_cursor_us;
        loop {
            let from = SimTime::from_micros(libm::ceil(from_us) as u64);
            if from > self.end {
                return;
            }
            let segment_end = self.profile.next_breakpoint(from).unwrap_or(SimTime::NEVER);
            let bound =
                self.profile.bound_between(from, segment_end) * self.effects.traffic_multiplier;
            if bound <= 0.0 {
                if segment_end == SimTime::NEVER {
                    return;
                }
                from_us = segment_end.as_micros() as f64;
                continue;
            }
            let candidate_us = from_us + self.arrivals_rng.exponential(MICROS_PER_S as f64 / bound);
            if candidate_us >= segment_end.as_micros() as f64 {
                // Memoryless: start afresh at the breakpoint with the next segment's bound.
                from_us = segment_end.as_micros() as f64;
                continue;
            }
            self.arrival_cursor_us = candidate_us;
            self.arrival_bound_rps = bound;
            let at = SimTime::from_micros(libm::floor(candidate_us) as u64).max(self.now);
            if at <= self.end {
                let generation = self.arrival_generation;
                self.schedule(at, Event::ArrivalCandidate { generation });
            }
            return;
        }
    }

    pub(super) fn arrival_candidate(&mut self) {
        let rate = self.profile.rate_at(self.now) * self.effects.traffic_multiplier;
        let accept = self.arrivals_rng.open01() * self.arrival_bound_rps < rate;
        if accept {
            self.new_request(0, 0);
        }
        self.schedule_next_arrival();
    }

    /// A new user request from `source` (0: the open-loop arrivals, `g + 1`: user `user` of
    /// group `g`).
    pub(super) fn new_request(&mut self, source: u8, user: u32) {
        let u = self.mix_rng.open01();
        let endpoint = self
            .endpoint_cumulative
            .partition_point(|&c| c < u)
            .min(self.cfg.endpoints.len() - 1) as u16;
        let key = self.zipf.sample(&mut self.mix_rng);
        let id = self.next_request_id;
        self.next_request_id += 1;
        self.recorder.request();
        let client = self.client_of(source);
        self.client_requests_this_second[client] += 1;
        if let Some(rates) = self.budget_rates(client) {
            self.retry_budgets[client].deposit(self.now, rates);
        }
        self.start_attempt(RequestInfo {
            id,
            attempt_no: 1,
            endpoint,
            key,
            started: self.now,
            prev_delay: (self.cfg.clients[client].retry)
                .map_or(SimDuration::ZERO, |r| r.backoff_base),
            deadline: (self.cfg.clients[client].deadline).map_or(SimTime::NEVER, |d| self.now + d),
            source,
            user,
        });
    }

    /// Sends one attempt of a user request to the load balancer.
    pub(super) fn start_attempt(&mut self, request: RequestInfo) {
        let id = self.next_attempt_id;
        self.next_attempt_id += 1;
        let attempt = Attempt {
            id,
            request,
            instance: 0,
            work: SimRng::derived(
                self.cfg.seed,
                &[Stream::Work as u64, request.id, request.attempt_no as u64],
            ),
            arrived_at: self.now,
            accepted_at: self.now,
            started_at: None,
            outcome: None,
            phase: Phase::Queued,
            tokens: 0,
            routed: false,
            retry_after: None,
            degraded: false,
            loading_key: None,
            load_started: SimTime::ZERO,
        };
        let slot = self.attempts.insert(attempt) as u32;
        let a = AttemptRef { slot, id };
        self.recorder.arrival();
        self.in_flight += 1;
        match self.cfg.clients[self.client_of(request.source)].timeout {
            Some(t) if self.now + t < request.deadline => {
                self.schedule_timer(t, Event::ClientTimeout(a))
            }
            _ if request.deadline != SimTime::NEVER => {
                self.schedule(request.deadline, Event::ClientTimeout(a))
            }
            _ => {}
        }
        if let Some(t) = self.cfg.gateway_timeout {
            self.schedule_timer(t, Event::GatewayTimeout(a));
        }
        self.route(a);
    }
}
