//! Validation, one function per scenario section: each reads its part of a [`Scenario`],
//! reports every problem with its field path, and returns the validated values that
//! [`Config::from_scenario`] assembles.

use super::*;

/// Collects problems while walking a scenario.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A finite number in `[min, max]`.
    fn number(&mut self, path: &str, value: f64, min: f64, max: f64) -> f64 {
        if !value.is_finite() {
            self.fail(path, "must be a finite number");
        } else if value < min || value > max {
            self.fail(path, format!("is {value}; must be from {min} to {max}"));
        }
        value
    }

    /// A finite number greater than zero and at most `max`.
    fn positive(&mut self, path: &str, value: f64, max: f64) -> f64 {
        if !value.is_finite() {
            self.fail(path, "must be a finite number");
        } else if value <= 0.0 || value > max {
            self.fail(
                path,
                format!("is {value}; must be greater than 0 and at most {max}"),
            );
        }
        value
    }

    /// A whole number in `[min, max]`.
    fn count(&mut self, path: &str, value: u32, min: u32, max: u32) -> u32 {
        if value < min || value > max {
            self.fail(path, format!("is {value}; must be from {min} to {max}"));
        }
        value
    }

    fn millis(&mut self, path: &str, ms: f64) -> SimDuration {
        let ms = self.number(path, ms, 0.0, SETTING_MS_MAX);
        if ms.is_finite() && (0.0..=SETTING_MS_MAX).contains(&ms) {
            SimDuration::from_millis_f64(ms)
        } else {
            SimDuration::ZERO
        }
    }

    fn timeout(&mut self, path: &str, timeout: Timeout) -> Option<SimDuration> {
        match timeout {
            Timeout::None => None,
            Timeout::Ms(ms) => {
                let ms = self.positive(path, ms, SETTING_MS_MAX);
                Some(SimDuration::from_millis_f64(if ms.is_finite() {
                    ms.max(0.0)
                } else {
                    0.0
                }))
            }
        }
    }

    /// HikariCP's leak detection threshold: none, or at least
    /// [`LEAK_DETECTION_THRESHOLD_MS_MIN`] (HikariCP disables lower values).
    fn leak_threshold(&mut self, threshold: Timeout) -> Option<SimDuration> {
        let path = "db_pool.leak_detection_threshold_ms";
        if let Timeout::Ms(ms) = threshold {
            if ms.is_finite() && ms < LEAK_DETECTION_THRESHOLD_MS_MIN {
                let min = LEAK_DETECTION_THRESHOLD_MS_MIN;
                let message = format!("is {ms}; HikariCP takes {min} ms or more, or none");
                self.fail(path, message);
                return None;
            }
        }
        self.timeout(path, threshold)
    }

    fn seconds(&mut self, path: &str, s: f64) -> SimTime {
        let s = self.number(path, s, 0.0, DURATION_S_MAX);
        if s.is_finite() && s >= 0.0 {
            SimTime::from_micros(
                SimDuration::from_millis_f64(s.min(DURATION_S_MAX) * 1000.0).as_micros(),
            )
        } else {
            SimTime::ZERO
        }
    }

    fn dist(&mut self, path: &str, dist: &Dist) -> DurationDist {
        let us = MICROS_PER_MS as f64;
        match *dist {
            Dist::Constant { ms } => DurationDist::Constant(self.millis(&format!("{path}.ms"), ms)),
            Dist::Exponential { mean_ms } => {
                let m = self.positive(&format!("{path}.mean_ms"), mean_ms, SETTING_MS_MAX);
                DurationDist::Exponential { mean_us: m * us }
            }
            Dist::Uniform { min_ms, max_ms } => {
                let lo = self.number(&format!("{path}.min_ms"), min_ms, 0.0, SETTING_MS_MAX);
                let hi = self.number(&format!("{path}.max_ms"), max_ms, 0.0, SETTING_MS_MAX);
                if lo > hi {
                    self.fail(
                        format!("{path}.max_ms"),
                        format!("is {hi}; must be at least min_ms ({lo})"),
                    );
                }
                DurationDist::Uniform {
                    min_us: lo * us,
                    max_us: hi * us,
                }
            }
            Dist::Lognormal { median_ms, p99_ms } => {
                let median = self.positive(&format!("{path}.median_ms"), median_ms, SETTING_MS_MAX);
                let p99 = self.positive(&format!("{path}.p99_ms"), p99_ms, SETTING_MS_MAX);
                if p99 < median {
                    self.fail(
                        format!("{path}.p99_ms"),
                        format!("is {p99}; must be at least median_ms ({median})"),
                    );
                }
                let median_us = median * us;
                DurationDist::Lognormal {
                    mu: libm::log(median_us),
                    sigma: libm::log(p99 / median) / Z_P99,
                }
            }
        }
    }
}

impl Checker {
    fn breaker(&mut self, b: &Breaker) -> BreakerConfig {
        let p = "upstream.breaker";
        let mut cfg = match b.preset {
            BreakerPreset::Resilience4j => BreakerConfig::resilience4j(),
            BreakerPreset::Hystrix => BreakerConfig::hystrix(),
        };
        if let Some(w) = b.window {
            cfg.window = match w {
                BreakerWindow::CountBased { calls } => Window::CountBased(self.count_in(
                    &format!("{p}.window.calls"),
                    calls,
                    BREAKER_WINDOW_CALLS,
                )),
                BreakerWindow::TimeBased { seconds } => Window::TimeBased(self.count_in(
                    &format!("{p}.window.seconds"),
                    seconds,
                    BREAKER_WINDOW_S,
                )),
            };
        }
        if let Some(n) = b.minimum_calls {
            cfg.minimum_calls =
                self.count_in(&format!("{p}.minimum_calls"), n, BREAKER_MINIMUM_CALLS);
        }
        if let Some(v) = b.failure_rate_threshold_pct {
            cfg.failure_rate_threshold_pct = self.positive(
                &format!("{p}.failure_rate_threshold_pct"),
                v,
                THRESHOLD_PCT_MAX,
            );
        }
        if let Some(v) = b.slow_call_rate_threshold_pct {
            cfg.slow_call_rate_threshold_pct = self.positive(
                &format!("{p}.slow_call_rate_threshold_pct"),
                v,
                THRESHOLD_PCT_MAX,
            );
        }
        if let Some(ms) = b.slow_call_duration_ms {
            let ms = self.positive(&format!("{p}.slow_call_duration_ms"), ms, SETTING_MS_MAX);
            cfg.slow_call_duration = SimDuration::from_millis_f64(ms.clamp(0.0, SETTING_MS_MAX));
        }
        if let Some(ms) = b.wait_in_open_ms {
            let ms = self.positive(&format!("{p}.wait_in_open_ms"), ms, SETTING_MS_MAX);
            cfg.wait_in_open = SimDuration::from_millis_f64(ms.clamp(0.0, SETTING_MS_MAX));
        }
        if let Some(n) = b.permitted_calls_in_half_open {
            cfg.permitted_in_half_open = self.count_in(
                &format!("{p}.permitted_calls_in_half_open"),
                n,
                BREAKER_HALF_OPEN_CALLS,
            );
        }
        if let Some(on) = b.automatic_half_open {
            cfg.automatic_half_open = on;
        }
        cfg
    }

    /// A fault's kind-specific field `name`: required when the kind `uses` it, an error when it
    /// does not; returns the value when it is both used and given.
    fn fault_param<T>(
        &mut self,
        p: &str,
        name: &str,
        kind: FaultKind,
        uses: bool,
        given: Option<T>,
    ) -> Option<T> {
        match (uses, given) {
            (true, None) => {
                let message = format!("is required for kind {}", kind_name(kind));
                self.fail(format!("{p}.{name}"), message);
                None
            }
            (false, Some(_)) => {
                let message = format!("is not used by kind {}", kind_name(kind));
                self.fail(format!("{p}.{name}"), message);
                None
            }
            (_, given) => given,
        }
    }

    /// Checks one fault at `p` for a service of `instance_count` instances.
    fn fault(&mut self, p: &str, f: &Fault, instance_count: u32) -> FaultConfig {
        let c = self;
        let start = c.seconds(&format!("{p}.start_s"), f.start_s);
        let instant = f.kind == FaultKind::CacheFlush;
        let end = if instant {
            start
        } else {
            let d = c.positive(&format!("{p}.duration_s"), f.duration_s, DURATION_S_MAX);
            start
                + SimDuration::from_millis_f64(
                    if d.is_finite() {
                        d.clamp(0.0, DURATION_S_MAX)
                    } else {
                        0.0
                    } * 1000.0,
                )
        };
        let uses_multiplier = matches!(
            f.kind,
            FaultKind::DbSlow | FaultKind::TrafficSpike | FaultKind::UpstreamSlow
        );
        let multiplier = match c.fault_param(p, "multiplier", f.kind, uses_multiplier, f.multiplier)
        {
            Some(m) => c.positive(&format!("{p}.multiplier"), m, limits::FAULT_MULTIPLIER_MAX),
            None => 1.0,
        };
        let uses_instance = matches!(
            f.kind,
            FaultKind::InstanceCrash | FaultKind::InstanceDbUnreachable | FaultKind::BadDeploy
        );
        let instance = match c.fault_param(p, "instance", f.kind, uses_instance, f.instance) {
            Some(i) => {
                if i >= instance_count.max(1) {
                    c.fail(
                        format!("{p}.instance"),
                        format!(
                            "is {i}; there are {} instances (0 to {})",
                            instance_count,
                            instance_count.saturating_sub(1)
                        ),
                    );
                }
                i as usize
            }
            None => 0,
        };
        if f.kind != FaultKind::BadDeploy {
            // Optional for bad deploys; an error for every other kind.
            c.fault_param(p, "fail_fast", f.kind, false, f.fail_fast);
        }
        let uses_error_rate = matches!(f.kind, FaultKind::UpstreamErrors | FaultKind::CodeBug);
        let error_rate = match c.fault_param(p, "error_rate", f.kind, uses_error_rate, f.error_rate)
        {
            Some(r) => c.number_in(&format!("{p}.error_rate"), r, ERROR_RATE),
            None => 0.0,
        };
        FaultConfig {
            kind: f.kind,
            start,
            end,
            multiplier,
            error_rate,
            instance,
            fail_fast: f.fail_fast.unwrap_or(false),
        }
    }

    /// Checks one operator action at `p` for a service of `instance_count` instances.
    fn action(&mut self, p: &str, a: &OperatorAction, instance_count: u32) -> ActionConfig {
        let at = self.seconds(&format!("{p}.at_s"), a.at_s);
        let name = action_name(a.kind);
        let param = |c: &mut Checker, field: &str, uses: bool, given: bool| match (uses, given) {
            (true, false) => c.fail(
                format!("{p}.{field}"),
                format!("is required for kind {name}"),
            ),
            (false, true) => c.fail(
                format!("{p}.{field}"),
                format!("is not used by kind {name}"),
            ),
            _ => {}
        };
        let restarts_one = a.kind == ActionKind::RestartInstance;
        param(self, "instance", restarts_one, a.instance.is_some());
        let kills = a.kind == ActionKind::KillQueries;
        param(self, "longer_than_s", kills, a.longer_than_s.is_some());
        let instance = match a.instance.filter(|_| restarts_one) {
            Some(i) if i >= instance_count.max(1) => {
                self.fail(
                    format!("{p}.instance"),
                    format!(
                        "is {i}; there are {instance_count} instances (0 to {})",
                        instance_count.saturating_sub(1)
                    ),
                );
                0
            }
            Some(i) => i as usize,
            None => 0,
        };
        let longer_than = match a.longer_than_s.filter(|_| kills) {
            Some(s) => {
                let s = self.number(&format!("{p}.longer_than_s"), s, 0.0, DURATION_S_MAX);
                SimDuration::from_millis_f64(s.clamp(0.0, DURATION_S_MAX) * 1000.0)
            }
            None => SimDuration::ZERO,
        };
        ActionConfig {
            kind: a.kind,
            at,
            instance,
            longer_than,
        }
    }

    /// `actions`, sorted by time.
    fn actions(&mut self, scenario: &Scenario) -> Vec<ActionConfig> {
        if scenario.actions.len() > ACTIONS_MAX {
            self.fail("actions", format!("may have at most {ACTIONS_MAX} actions"));
        }
        let mut actions: Vec<ActionConfig> = (scenario.actions.iter().enumerate())
            .map(|(i, a)| self.action(&format!("actions[{i}]"), a, scenario.instances.count))
            .collect();
        actions.sort_by_key(|a| a.at);
        actions
    }

    /// A client section at path `p` (`client`, or a user group's `client`).
    fn client(&mut self, p: &str, c: &s::Client) -> ClientPolicy {
        ClientPolicy {
            timeout: self.timeout(&format!("{p}.timeout_ms"), c.timeout_ms),
            deadline: self.timeout(&format!("{p}.deadline_ms"), c.deadline_ms),
            retry: c.retry.as_ref().and_then(|r| self.retry(p, r)),
        }
    }

    /// `traffic.users`: the closed-loop groups, and the clients of those that have their own
    /// (appended to `clients`, whose entry 0 is the scenario's).
    fn user_groups(
        &mut self,
        groups: &[s::UserGroup],
        clients: &mut Vec<ClientPolicy>,
    ) -> Vec<UserGroupConfig> {
        if groups.len() > USER_GROUPS_MAX {
            self.fail(
                "traffic.users",
                format!("may have at most {USER_GROUPS_MAX} groups"),
            );
        }
        let total: u64 = groups.iter().map(|g| g.count as u64).sum();
        if total > USERS_PER_RUN_MAX {
            self.fail(
                "traffic.users",
                format!("have {total} users in all; at most {USERS_PER_RUN_MAX} are supported"),
            );
        }
        let mut out = Vec::with_capacity(groups.len());
        for (i, g) in groups.iter().enumerate() {
            let p = format!("traffic.users[{i}]");
            let count = self.count_in(&format!("{p}.count"), g.count, USERS_PER_GROUP);
            let think_ms = self.positive(
                &format!("{p}.think_time_ms"),
                g.think_time_ms,
                SETTING_MS_MAX,
            );
            let think_mean = if think_ms.is_finite() && think_ms > 0.0 {
                SimDuration::from_millis_f64(think_ms.min(SETTING_MS_MAX))
            } else {
                SimDuration::ZERO
            };
            let start = self.seconds(&format!("{p}.start_s"), g.start_s);
            let start_spread = g.start_spread_s.map(|spread| {
                let t = self.seconds(&format!("{p}.start_spread_s"), spread);
                SimDuration::from_micros(t.as_micros())
            });
            let requests_per_user = g
                .requests_per_user
                .map(|n| self.count_in(&format!("{p}.requests_per_user"), n, REQUESTS_PER_USER));
            let client = match &g.client {
                Some(c) => {
                    clients.push(self.client(&format!("{p}.client"), c));
                    clients.len() - 1
                }
                None => 0,
            };
            out.push(UserGroupConfig {
                name: g.name.clone(),
                count,
                think_mean,
                start,
                start_spread,
                requests_per_user,
                client,
            });
        }
        out
    }

    fn retry(&mut self, client: &str, r: &Retry) -> Option<RetryConfig> {
        let p = &format!("{client}.retry");
        let max_attempts =
            self.count_in(&format!("{p}.max_attempts"), r.max_attempts, RETRY_ATTEMPTS);
        let base = self.millis(&format!("{p}.backoff_base_ms"), r.backoff_base_ms);
        let cap = self.millis(&format!("{p}.backoff_cap_ms"), r.backoff_cap_ms);
        if r.backoff_cap_ms < r.backoff_base_ms {
            self.fail(
                format!("{p}.backoff_cap_ms"),
                format!(
                    "is {}; must be at least backoff_base_ms ({})",
                    r.backoff_cap_ms, r.backoff_base_ms
                ),
            );
        }
        let budget = r.budget.as_ref().map(|b| {
            (
                self.number_in(
                    &format!("{p}.budget.ratio"),
                    b.ratio,
                    RETRY_BUDGET_TOKENS_PER_REQUEST,
                ),
                self.number(
                    &format!("{p}.budget.min_retries_per_s"),
                    b.min_retries_per_s,
                    0.0,
                    RATE_RPS_MAX,
                ),
            )
        });
        (max_attempts > 1).then_some(RetryConfig {
            max_attempts,
            backoff_base: base,
            backoff_cap: cap,
            jitter: r.jitter,
            retry_on_5xx: r.retry_on_5xx,
            retry_on_timeout: r.retry_on_timeout,
            honor_retry_after: r.honor_retry_after,
            budget,
        })
    }
}

/// The cache section, validated.
struct CacheSettings {
    keyspace: u32,
    zipf_exponent: f64,
    ttl: SimDuration,
    lookup: SimDuration,
    ttl_jitter_pct: f64,
    stampede: StampedeConfig,
}

/// The upstream section, validated.
struct UpstreamSettings {
    latency: DurationDist,
    error_rate: f64,
    connect_timeout: Option<SimDuration>,
    read_timeout: Option<SimDuration>,
    breaker: Option<(BreakerConfig, WhenOpen)>,
}

/// One validating function per scenario section, called in the order problems are reported.
impl Checker {
    fn count_in(&mut self, path: &str, value: u32, range: RangeInclusive<u32>) -> u32 {
        self.count(path, value, *range.start(), *range.end())
    }

    fn number_in(&mut self, path: &str, value: f64, range: RangeInclusive<f64>) -> f64 {
        self.number(path, value, *range.start(), *range.end())
    }

    /// The format version and the run's length.
    fn run_length(&mut self, scenario: &Scenario) -> SimDuration {
        if scenario.version != SCENARIO_VERSION {
            self.fail(
                "version",
                format!(
                    "is {}; this build reads version {SCENARIO_VERSION}",
                    scenario.version
                ),
            );
        }
        let duration_s = self.positive("duration_s", scenario.duration_s, DURATION_S_MAX);
        if duration_s.is_finite() && duration_s > 0.0 {
            SimDuration::from_millis_f64(duration_s.min(DURATION_S_MAX) * 1000.0)
        } else {
            SimDuration::ZERO
        }
    }

    /// `traffic.rate`: the arrival-rate profile (empty only beside closed-loop users).
    fn rate(&mut self, rate: &[RateComponent], has_users: bool) {
        if rate.is_empty() && !has_users {
            self.fail(
                "traffic.rate",
                "needs at least one component (or traffic.users a group)",
            );
        }
        if rate.len() > RATE_COMPONENTS_MAX {
            self.fail(
                "traffic.rate",
                format!("may have at most {RATE_COMPONENTS_MAX} components"),
            );
        }
        for (i, comp) in rate.iter().enumerate() {
            self.rate_component(&format!("traffic.rate[{i}]"), comp);
        }
    }

    fn rate_component(&mut self, p: &str, comp: &RateComponent) {
        match *comp {
            RateComponent::Constant { rps } => {
                self.number(&format!("{p}.rps"), rps, 0.0, RATE_RPS_MAX);
            }
            RateComponent::Step { at_s, rps } => {
                self.seconds(&format!("{p}.at_s"), at_s);
                self.number(&format!("{p}.rps"), rps, -RATE_RPS_MAX, RATE_RPS_MAX);
            }
            RateComponent::Ramp {
                start_s,
                end_s,
                from_rps,
                to_rps,
            } => {
                self.seconds(&format!("{p}.start_s"), start_s);
                self.seconds(&format!("{p}.end_s"), end_s);
                if end_s <= start_s {
                    self.fail(
                        format!("{p}.end_s"),
                        format!("is {end_s}; must be later than start_s ({start_s})"),
                    );
                }
                self.number(&format!("{p}.from_rps"), from_rps, 0.0, RATE_RPS_MAX);
                self.number(&format!("{p}.to_rps"), to_rps, 0.0, RATE_RPS_MAX);
            }
            RateComponent::Spike {
                start_s,
                duration_s,
                multiplier,
            } => {
                self.seconds(&format!("{p}.start_s"), start_s);
                self.positive(&format!("{p}.duration_s"), duration_s, DURATION_S_MAX);
                self.number_in(
                    &format!("{p}.multiplier"),
                    multiplier,
                    RATE_SPIKE_MULTIPLIER,
                );
            }
        }
    }

    /// `traffic.endpoints`: names, weights (normalised to shares) and handler steps.
    fn endpoints(&mut self, list: &[s::Endpoint]) -> Vec<EndpointConfig> {
        if list.is_empty() {
            self.fail("traffic.endpoints", "needs at least one endpoint");
        }
        if list.len() > ENDPOINTS_MAX {
            self.fail(
                "traffic.endpoints",
                format!("may have at most {ENDPOINTS_MAX} endpoints"),
            );
        }
        let total_weight: f64 = list
            .iter()
            .map(|e| e.weight)
            .filter(|w| w.is_finite() && *w > 0.0)
            .sum();
        let mut endpoints = Vec::with_capacity(list.len());
        for (i, ep) in list.iter().enumerate() {
            let p = format!("traffic.endpoints[{i}]");
            if ep.name.trim().is_empty() {
                self.fail(format!("{p}.name"), "must not be empty");
            }
            if list[..i].iter().any(|o| o.name == ep.name) {
                self.fail(
                    format!("{p}.name"),
                    format!("\"{}\" is used twice", ep.name),
                );
            }
            let w = self.positive(&format!("{p}.weight"), ep.weight, ENDPOINT_WEIGHT_MAX);
            let steps = self.steps(&p, &ep.steps);
            endpoints.push(EndpointConfig {
                name: ep.name.clone(),
                critical: ep.critical,
                share: if total_weight > 0.0 {
                    w / total_weight
                } else {
                    0.0
                },
                steps,
            });
        }
        endpoints
    }

    /// An endpoint's handler steps, at `p`.
    fn steps(&mut self, p: &str, steps: &[Step]) -> Vec<StepConfig> {
        if steps.is_empty() {
            self.fail(format!("{p}.steps"), "needs at least one step");
        }
        if steps.len() > ENDPOINT_STEPS_MAX {
            self.fail(
                format!("{p}.steps"),
                format!("may have at most {ENDPOINT_STEPS_MAX} steps"),
            );
        }
        steps
            .iter()
            .enumerate()
            .map(|(j, step)| {
                let sp = format!("{p}.steps[{j}]");
                match step {
                    Step::Cpu { duration } => {
                        StepConfig::Cpu(self.dist(&format!("{sp}.duration"), duration))
                    }
                    Step::CacheRead { miss_query } => {
                        StepConfig::CacheRead(self.dist(&format!("{sp}.miss_query"), miss_query))
                    }
                    Step::DbQuery { cost } => {
                        StepConfig::DbQuery(self.dist(&format!("{sp}.cost"), cost))
                    }
                    Step::UpstreamCall => StepConfig::UpstreamCall,
                }
            })
            .collect()
    }

    /// `load_balancer.health_check`.
    fn health_check(&mut self, h: &s::HealthCheck) -> HealthCheckConfig {
        let p = "load_balancer.health_check";
        let interval = self.positive(
            &format!("{p}.interval_ms"),
            h.interval_ms,
            HEALTH_CHECK_MS_MAX,
        );
        let interval =
            SimDuration::from_millis_f64(interval.clamp(0.0, HEALTH_CHECK_MS_MAX).max(1.0));
        let t = self.positive(
            &format!("{p}.timeout_ms"),
            h.timeout_ms,
            HEALTH_CHECK_MS_MAX,
        );
        let timeout = SimDuration::from_millis_f64(t.clamp(0.0, HEALTH_CHECK_MS_MAX));
        let unhealthy_threshold = self.count_in(
            &format!("{p}.unhealthy_threshold"),
            h.unhealthy_threshold,
            HEALTH_CHECK_THRESHOLD_PROBES,
        );
        let healthy_threshold = self.count_in(
            &format!("{p}.healthy_threshold"),
            h.healthy_threshold,
            HEALTH_CHECK_THRESHOLD_PROBES,
        );
        HealthCheckConfig {
            deep: h.kind == crate::scenario::HealthCheckKind::Deep,
            interval,
            timeout,
            unhealthy_threshold,
            healthy_threshold,
            fail_open: h.when_all_unhealthy == crate::scenario::WhenAllUnhealthy::FailOpen,
            deep_pool_use_max_pct: self.positive(
                &format!("{p}.deep_pool_use_max_pct"),
                h.deep_pool_use_max_pct,
                THRESHOLD_PCT_MAX,
            ),
        }
    }

    /// `instances`: how many, threads, the accept queue.
    fn instances(&mut self, inst: &s::Instances) -> (usize, u32, Option<u32>) {
        let count = self.count_in("instances.count", inst.count, INSTANCES_COUNT) as usize;
        let max_threads = self.count_in(
            "instances.max_threads",
            inst.max_threads,
            THREADS_PER_INSTANCE,
        );
        let accept_queue = match inst.accept_queue {
            Capacity::Unbounded => None,
            Capacity::Limit(n) => {
                Some(self.count_in("instances.accept_queue", n, ACCEPT_QUEUE_CONNECTIONS))
            }
        };
        (count, max_threads, accept_queue)
    }

    /// `cache`.
    fn cache(&mut self, cache: &s::Cache) -> CacheSettings {
        let keyspace = self.count_in("cache.keyspace", cache.keyspace, CACHE_KEYS);
        let zipf_exponent = self.number_in(
            "cache.zipf_exponent",
            cache.zipf_exponent,
            CACHE_ZIPF_EXPONENT,
        );
        let ttl_ms = self.positive("cache.ttl_ms", cache.ttl_ms, SETTING_MS_MAX);
        let lookup = self.millis("cache.lookup_ms", cache.lookup_ms);
        let ttl_jitter_pct = self.number_in(
            "cache.ttl_jitter_pct",
            cache.ttl_jitter_pct,
            CACHE_TTL_JITTER_PCT,
        );
        let stampede = match cache.stampede_protection {
            StampedeProtection::None => StampedeConfig::None,
            StampedeProtection::Coalescing => StampedeConfig::Coalescing,
            StampedeProtection::StaleWhileRevalidate { stale_ms } => {
                StampedeConfig::StaleWhileRevalidate(
                    self.millis("cache.stampede_protection.stale_ms", stale_ms),
                )
            }
            StampedeProtection::ProbabilisticEarlyRefresh { beta } => {
                StampedeConfig::ProbabilisticEarlyRefresh(self.positive(
                    "cache.stampede_protection.beta",
                    beta,
                    STAMPEDE_BETA_MAX,
                ))
            }
        };
        CacheSettings {
            keyspace,
            zipf_exponent,
            ttl: SimDuration::from_millis_f64(ttl_ms),
            lookup,
            ttl_jitter_pct,
            stampede,
        }
    }

    /// `upstream`, its breaker included.
    fn upstream(&mut self, up: &s::Upstream) -> UpstreamSettings {
        UpstreamSettings {
            latency: self.dist("upstream.latency", &up.latency),
            error_rate: self.number_in("upstream.error_rate", up.error_rate, ERROR_RATE),
            connect_timeout: self.timeout("upstream.connect_timeout_ms", up.connect_timeout_ms),
            read_timeout: self.timeout("upstream.read_timeout_ms", up.read_timeout_ms),
            breaker: up.breaker.as_ref().map(|b| (self.breaker(b), b.when_open)),
        }
    }

    /// `faults`, sorted by start, and the work model with them (only if all else is valid).
    fn faults(
        &mut self,
        scenario: &Scenario,
        duration: SimDuration,
        users: &[UserGroupConfig],
    ) -> Vec<FaultConfig> {
        if scenario.faults.len() > FAULTS_MAX {
            self.fail("faults", format!("may have at most {FAULTS_MAX} faults"));
        }
        let mut faults = Vec::with_capacity(scenario.faults.len());
        for (i, f) in scenario.faults.iter().enumerate() {
            faults.push(self.fault(&format!("faults[{i}]"), f, scenario.instances.count));
        }
        if self.problems.is_empty() {
            let paths: Vec<String> = (0..faults.len()).map(|i| format!("faults[{i}]")).collect();
            let rate = &scenario.traffic.rate;
            self.problems
                .extend(work_problems(rate, users, duration, &faults, &paths));
        }
        faults.sort_by_key(|f| f.start);
        faults
    }
}

impl Config {
    /// Validates `scenario`, returning every problem found.
    pub fn from_scenario(scenario: &Scenario) -> Result<Config, Vec<Problem>> {
        let mut c = Checker { problems: vec![] };
        let duration = c.run_length(scenario);
        c.rate(&scenario.traffic.rate, !scenario.traffic.users.is_empty());
        let endpoints = c.endpoints(&scenario.traffic.endpoints);
        let mut clients = vec![c.client("client", &scenario.client)];
        let users = c.user_groups(&scenario.traffic.users, &mut clients);
        let lb = &scenario.load_balancer;
        let gateway_timeout = c.timeout("load_balancer.gateway_timeout_ms", lb.gateway_timeout_ms);
        let health_check = lb.health_check.as_ref().map(|h| c.health_check(h));
        let (instance_count, max_threads, accept_queue) = c.instances(&scenario.instances);
        let cache = c.cache(&scenario.cache);
        let pool = &scenario.db_pool;
        let pool_max_size = c.count_in("db_pool.max_size", pool.max_size, POOL_CONNECTIONS);
        let pool_timeout = c.timeout("db_pool.connection_timeout_ms", pool.connection_timeout_ms);
        let db = &scenario.database;
        let db_cores = c.count_in("database.cores", db.cores, DB_CORES);
        let query_timeout = c.timeout("database.query_timeout_ms", db.query_timeout_ms);
        let leak_detection_threshold = c.leak_threshold(pool.leak_detection_threshold_ms);
        let log_min_duration_statement = c.timeout(
            "database.log_min_duration_statement_ms",
            db.log_min_duration_statement_ms,
        );
        let up = c.upstream(&scenario.upstream);
        let faults = c.faults(scenario, duration, &users);
        let actions = c.actions(scenario);
        if !c.problems.is_empty() {
            return Err(c.problems);
        }
        Ok(Config {
            seed: scenario.seed,
            duration,
            rate: scenario.traffic.rate.clone(),
            endpoints,
            clients,
            users,
            lb_policy: lb.policy,
            gateway_timeout,
            health_check,
            instance_count,
            max_threads,
            accept_queue,
            queue_overflow: scenario.instances.queue_overflow,
            drop_expired: scenario.instances.drop_expired,
            cache_keyspace: cache.keyspace,
            cache_zipf_exponent: cache.zipf_exponent,
            cache_ttl: cache.ttl,
            cache_lookup: cache.lookup,
            pool_max_size,
            pool_timeout,
            db_cores,
            query_timeout,
            leak_detection_threshold,
            log_min_duration_statement,
            upstream_latency: up.latency,
            upstream_error_rate: up.error_rate,
            upstream_connect_timeout: up.connect_timeout,
            upstream_read_timeout: up.read_timeout,
            breaker: up.breaker,
            error_handling: scenario.error_handling,
            cache_ttl_jitter_pct: cache.ttl_jitter_pct,
            stampede: cache.stampede,
            faults,
            actions,
        })
    }
}

/// Validates an operator action taken while a run is under way, for a service of
/// `instance_count` instances. Problems name the action's fields as `action.…`.
pub fn validate_action(
    action: &OperatorAction,
    instance_count: u32,
) -> Result<ActionConfig, Vec<Problem>> {
    let mut c = Checker { problems: vec![] };
    let config = c.action("action", action, instance_count);
    if c.problems.is_empty() {
        Ok(config)
    } else {
        Err(c.problems)
    }
}

/// Validates a fault injected while a run is under way, for a service of `instance_count`
/// instances; `start_s` is the current virtual time. Problems name the fault's fields.
pub fn validate_fault(fault: &Fault, instance_count: u32) -> Result<FaultConfig, Vec<Problem>> {
    let mut c = Checker { problems: vec![] };
    let config = c.fault("fault", fault, instance_count);
    if c.problems.is_empty() {
        Ok(config)
    } else {
        Err(c.problems)
    }
}
