//! Validation at the boundary: a [`Scenario`] becomes a [`Config`] that cannot be invalid,
//! or every problem is reported with its field path and reason. Nothing is clamped.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::breaker::{BreakerConfig, Window};
use crate::rng::SimRng;
use crate::scenario::{
    Breaker, BreakerPreset, BreakerWindow, Capacity, Dist, ErrorHandling, Fault, FaultKind, Jitter,
    LbPolicy, QueueOverflow, RateComponent, Retry, Scenario, StampedeProtection, Step, Timeout,
    WhenOpen, SCENARIO_VERSION,
};
use crate::time::{SimDuration, SimTime, MICROS_PER_MS};

/// The largest scenario file accepted, in bytes.
pub const SCENARIO_BYTES_MAX: usize = 1 << 20;
/// The longest run, in seconds (one day).
pub const DURATION_S_MAX: f64 = 86_400.0;
/// The longest duration any setting may name, in milliseconds (one day).
pub const SETTING_MS_MAX: f64 = 86_400_000.0;
/// The most faults a run may have, on the timeline and injected together.
pub const FAULTS_MAX: usize = 64;
/// The highest arrival rate the profile may reach, in requests per second.
pub const RATE_RPS_MAX: f64 = 1_000_000.0;

/// One thing wrong with a scenario: where (a field path such as `db_pool.max_size`) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The field's path, e.g. `traffic.endpoints[1].weight`; `(file)` for the whole file.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl Config {
    /// Takes from `running` the settings a running simulation cannot change (the ones
    /// [`crate::Simulation::reconfigure`] refuses): seed, duration, endpoints, instance count,
    /// keyspace, key skew and the fault timeline. What is left is what can change live.
    pub fn keep_fixed_from(&mut self, running: &Config) {
        self.seed = running.seed;
        self.duration = running.duration;
        self.endpoints = running.endpoints.clone();
        self.instance_count = running.instance_count;
        self.cache_keyspace = running.cache_keyspace;
        self.cache_zipf_exponent = running.cache_zipf_exponent;
        self.faults = running.faults.clone();
    }
}

/// Reads a scenario from JSON text. Every unknown field is reported; a syntax error or a value
/// of the wrong type stops the reading (nothing after it can be trusted) and is reported alone. A scenario that reads is then fully
/// validated by [`Config::from_scenario`], which reports every problem at once.
pub fn parse_scenario(json: &str) -> Result<Scenario, Vec<Problem>> {
    match read_scenario(json) {
        (Some(scenario), problems) if problems.is_empty() => Ok(scenario),
        (_, problems) => Err(problems),
    }
}

/// Reads what can be read: the scenario if its structure is sound, and every problem found.
fn read_scenario(json: &str) -> (Option<Scenario>, Vec<Problem>) {
    let file_problem = |message: String| {
        vec![Problem {
            path: "(file)".into(),
            message,
        }]
    };
    if json.len() > SCENARIO_BYTES_MAX {
        let message = format!(
            "is {} bytes; a scenario may be at most {SCENARIO_BYTES_MAX} bytes",
            json.len()
        );
        return (None, file_problem(message));
    }
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => return (None, file_problem(e.to_string())),
    };
    match Scenario::deserialize(&value) {
        Ok(scenario) => {
            // Unknown fields: keys of the file that do not come back when the scenario read
            // from it is written out again.
            let mut problems = Vec::new();
            if let Ok(written) = serde_json::to_value(&scenario) {
                unknown_fields(&value, &written, "", &mut problems);
            }
            (Some(scenario), problems)
        }
        Err(e) => {
            let message = e.to_string();
            let path = locate_error(&value, &message);
            let problem = Problem {
                path: if path.is_empty() {
                    "(file)".into()
                } else {
                    path
                },
                message,
            };
            (None, vec![problem])
        }
    }
}

/// Finds where the error `message` comes from: it goes down the document, one field or
/// element at a time, into the part whose removal makes that error go away. Removing a
/// required field (a `kind` tag, say) only trades the error for "missing field"; when that is
/// all a level shows, the field holding the value the message quotes is the one. Only runs on a
/// broken file, and costs a few dozen readings of a small document.
fn locate_error(root: &serde_json::Value, message: &str) -> String {
    use serde_json::Value;
    let outcome = |doc: &Value| Scenario::deserialize(doc).err().map(|e| e.to_string());
    let mut steps: Vec<PathStep> = Vec::new();
    'descend: while let Some(node) = walk(root, &steps) {
        let children: Vec<PathStep> = match node {
            Value::Object(map) => map.keys().cloned().map(PathStep::Key).collect(),
            Value::Array(items) => (0..items.len()).map(PathStep::Index).collect(),
            _ => break,
        };
        let mut required = Vec::new();
        for child in children {
            let mut probe = root.clone();
            if let Some(parent) = walk_mut(&mut probe, &steps) {
                match (&child, parent) {
                    (PathStep::Key(k), Value::Object(map)) => {
                        map.remove(k);
                    }
                    (PathStep::Index(i), Value::Array(items)) => {
                        items.remove(*i);
                    }
                    _ => continue,
                }
            }
            match outcome(&probe) {
                Some(m) if m == message => {}
                Some(m) if matches!(&child, PathStep::Key(k) if m == format!("missing field `{k}`")) => {
                    required.push(child)
                }
                _ => {
                    steps.push(child);
                    continue 'descend;
                }
            }
        }
        let quoted = |step: &PathStep| {
            let mut path = steps.iter().map(PathStep::clone).collect::<Vec<_>>();
            path.push(step.clone());
            walk(root, &path).is_some_and(|v| quotes_within(message, v))
        };
        let pick = match required.len() {
            1 => required.pop(),
            _ => required
                .iter()
                .position(quoted)
                .map(|i| required.swap_remove(i)),
        };
        match pick {
            Some(child) => steps.push(child),
            None => break,
        }
    }
    let mut path = String::new();
    for step in steps {
        match step {
            PathStep::Key(k) if path.is_empty() => path = k,
            PathStep::Key(k) => path = format!("{path}.{k}"),
            PathStep::Index(i) => path = format!("{path}[{i}]"),
        }
    }
    path
}

/// Whether `value` or anything inside it is what `message` quotes.
fn quotes_within(message: &str, value: &serde_json::Value) -> bool {
    message_quotes(message, value)
        || match value {
            serde_json::Value::Object(map) => map.values().any(|v| quotes_within(message, v)),
            serde_json::Value::Array(items) => items.iter().any(|v| quotes_within(message, v)),
            _ => false,
        }
}

/// Whether serde's "invalid type/value: <unexpected>, expected ..." message describes `value`.
fn message_quotes(message: &str, value: &serde_json::Value) -> bool {
    use serde_json::Value;
    let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    else {
        return false;
    };
    let unexpected = rest.split(", expected").next().unwrap_or_default();
    let described = match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
    };
    unexpected == described
}

/// One step down a JSON document.
#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn walk<'a>(mut node: &'a serde_json::Value, steps: &[PathStep]) -> Option<&'a serde_json::Value> {
    for step in steps {
        node = match step {
            PathStep::Key(k) => node.get(k)?,
            PathStep::Index(i) => node.get(*i)?,
        };
    }
    Some(node)
}

fn walk_mut<'a>(
    mut node: &'a mut serde_json::Value,
    steps: &[PathStep],
) -> Option<&'a mut serde_json::Value> {
    for step in steps {
        node = match step {
            PathStep::Key(k) => node.get_mut(k)?,
            PathStep::Index(i) => node.get_mut(*i)?,
        };
    }
    Some(node)
}

/// Optional fields, written only when set: a `null` under one of these names means "not set",
/// not an unknown field.
const OPTIONAL_FIELDS: [&str; 16] = [
    "retry",
    "health_check",
    "breaker",
    "window",
    "minimum_calls",
    "failure_rate_threshold_pct",
    "slow_call_rate_threshold_pct",
    "slow_call_duration_ms",
    "wait_in_open_ms",
    "permitted_calls_in_half_open",
    "automatic_half_open",
    "budget",
    "multiplier",
    "error_rate",
    "instance",
    "fail_fast",
];

/// Reports every key of `read` (the file) that `written` (the scenario read from it, written
/// out again) lacks, with its path (`a.b[2].c`).
fn unknown_fields(
    read: &serde_json::Value,
    written: &serde_json::Value,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    use serde_json::Value;
    match (read, written) {
        (Value::Object(file), Value::Object(known)) => {
            for (key, value) in file {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match known.get(key) {
                    Some(w) => unknown_fields(value, w, &here, problems),
                    None if value.is_null() && OPTIONAL_FIELDS.contains(&key.as_str()) => {}
                    None => problems.push(Problem {
                        path: here,
                        message: format!("unknown field `{key}`"),
                    }),
                }
            }
        }
        (Value::Array(file), Value::Array(known)) => {
            for (i, (value, w)) in file.iter().zip(known).enumerate() {
                unknown_fields(value, w, &format!("{path}[{i}]"), problems);
            }
        }
        _ => {}
    }
}

/// Reads and validates a scenario in one go, reporting unknown fields and range or
/// consistency problems together.
pub fn load_scenario(json: &str) -> Result<(Scenario, Config), Vec<Problem>> {
    let (scenario, mut problems) = read_scenario(json);
    let Some(scenario) = scenario else {
        return Err(problems);
    };
    match Config::from_scenario(&scenario) {
        Ok(config) if problems.is_empty() => Ok((scenario, config)),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// A validated duration distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DurationDist {
    /// Always this long.
    Constant(SimDuration),
    /// Exponential with this mean, in microseconds.
    Exponential {
        /// Mean, in microseconds.
        mean_us: f64,
    },
    /// Uniform between two bounds, in microseconds.
    Uniform {
        /// Lower bound, in microseconds.
        min_us: f64,
        /// Upper bound, in microseconds.
        max_us: f64,
    },
    /// Log-normal: `exp(mu + sigma * z)` microseconds.
    Lognormal {
        /// Log of the median, in log-microseconds.
        mu: f64,
        /// Shape.
        sigma: f64,
    },
}

/// The 99th percentile of the standard normal distribution.
const Z_P99: f64 = 2.326_347_874_040_841;

impl DurationDist {
    /// Draws one duration; the result never exceeds a day.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let us = match *self {
            DurationDist::Constant(d) => return d,
            DurationDist::Exponential { mean_us } => rng.exponential(mean_us),
            DurationDist::Uniform { min_us, max_us } => min_us + (max_us - min_us) * rng.open01(),
            DurationDist::Lognormal { mu, sigma } => libm::exp(mu + sigma * rng.standard_normal()),
        };
        SimDuration::from_micros(libm::round(us.min(SETTING_MS_MAX * MICROS_PER_MS as f64)) as u64)
    }

    /// The mean of the distribution, in microseconds.
    pub fn mean_us(&self) -> f64 {
        match *self {
            DurationDist::Constant(d) => d.as_micros() as f64,
            DurationDist::Exponential { mean_us } => mean_us,
            DurationDist::Uniform { min_us, max_us } => (min_us + max_us) / 2.0,
            DurationDist::Lognormal { mu, sigma } => libm::exp(mu + sigma * sigma / 2.0),
        }
    }
}

/// A validated handler step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepConfig {
    /// Work on the worker thread.
    Cpu(DurationDist),
    /// Read-through cache; on a miss, a query with this cost.
    CacheRead(DurationDist),
    /// A database query with this cost.
    DbQuery(DurationDist),
    /// A call to the upstream.
    UpstreamCall,
}

/// A validated endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointConfig {
    /// Display name.
    pub name: String,
    /// Share of user requests, normalised so that all endpoints sum to 1.
    pub share: f64,
    /// Its errors page (true) or only warn (false).
    pub critical: bool,
    /// Handler steps in order.
    pub steps: Vec<StepConfig>,
}

/// A validated fault window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultConfig {
    /// Which fault.
    pub kind: FaultKind,
    /// When it starts.
    pub start: SimTime,
    /// When it ends (equal to `start` for instantaneous faults).
    pub end: SimTime,
    /// Factor for faults that multiply something; 1 otherwise.
    pub multiplier: f64,
    /// Error share for `upstream_errors`; 0 otherwise.
    pub error_rate: f64,
    /// The instance for instance faults; 0 otherwise.
    pub instance: usize,
    /// For `bad_deploy`: startup validation on.
    pub fail_fast: bool,
}

/// Validated health checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthCheckConfig {
    /// Deep (readiness) rather than shallow (liveness).
    pub deep: bool,
    /// Time between probes of one instance.
    pub interval: SimDuration,
    /// How long a probe waits for a free worker.
    pub timeout: SimDuration,
    /// Failures that take an instance out.
    pub unhealthy_threshold: u32,
    /// Successes that bring it back.
    pub healthy_threshold: u32,
    /// Deep checks fail above this pool use (percent).
    pub deep_pool_use_max_pct: f64,
    /// Route to every instance when none is healthy.
    pub fail_open: bool,
}

/// Validated client retries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryConfig {
    /// Attempts per user request, the first included (≥ 2).
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub backoff_base: SimDuration,
    /// The longest delay.
    pub backoff_cap: SimDuration,
    /// Spread added to delays.
    pub jitter: Jitter,
    /// Retry 5xx answers.
    pub retry_on_5xx: bool,
    /// Retry client timeouts.
    pub retry_on_timeout: bool,
    /// Wait at least Retry-After.
    pub honor_retry_after: bool,
    /// Retry budget: (tokens per new request, tokens per second).
    pub budget: Option<(f64, f64)>,
}

/// Validated stampede protection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StampedeConfig {
    /// None: concurrent misses all load.
    None,
    /// One load per key; other misses wait for it.
    Coalescing,
    /// Serve stale up to this long past expiry while one background refresh runs.
    StaleWhileRevalidate(SimDuration),
    /// XFetch with this beta.
    ProbabilisticEarlyRefresh(f64),
}

/// A validated scenario: every field is in range and consistent.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Seed of the run.
    pub seed: u64,
    /// Length of the run.
    pub duration: SimDuration,
    /// Arrival-rate profile.
    pub rate: Vec<RateComponent>,
    /// Endpoints with normalised shares.
    pub endpoints: Vec<EndpointConfig>,
    /// Client per-attempt timeout.
    pub client_timeout: Option<SimDuration>,
    /// Load balancer policy.
    pub lb_policy: LbPolicy,
    /// Load balancer gateway timeout.
    pub gateway_timeout: Option<SimDuration>,
    /// Load balancer health checks.
    pub health_check: Option<HealthCheckConfig>,
    /// Number of instances.
    pub instance_count: usize,
    /// Worker threads per instance.
    pub max_threads: u32,
    /// Accept-queue capacity per instance; `None` is unbounded.
    pub accept_queue: Option<u32>,
    /// What a full accept queue does.
    pub queue_overflow: QueueOverflow,
    /// Number of cache keys.
    pub cache_keyspace: u32,
    /// Zipf exponent of key popularity.
    pub cache_zipf_exponent: f64,
    /// Cache time to live.
    pub cache_ttl: SimDuration,
    /// Cache lookup latency.
    pub cache_lookup: SimDuration,
    /// Connections per instance pool.
    pub pool_max_size: u32,
    /// Pool acquire timeout; `None` waits forever.
    pub pool_timeout: Option<SimDuration>,
    /// Database cores.
    pub db_cores: u32,
    /// Statement timeout.
    pub query_timeout: Option<SimDuration>,
    /// Upstream latency.
    pub upstream_latency: DurationDist,
    /// Upstream error share.
    pub upstream_error_rate: f64,
    /// Upstream connect timeout.
    pub upstream_connect_timeout: Option<SimDuration>,
    /// Upstream read timeout.
    pub upstream_read_timeout: Option<SimDuration>,
    /// Upstream circuit breaker, per instance, and what to answer when it rejects.
    pub breaker: Option<(BreakerConfig, WhenOpen)>,
    /// Honest or swallowed errors.
    pub error_handling: ErrorHandling,
    /// Client retries; `None` for a single attempt.
    pub retry: Option<RetryConfig>,
    /// TTL spread in percent.
    pub cache_ttl_jitter_pct: f64,
    /// Stampede protection.
    pub stampede: StampedeConfig,
    /// Timed faults, sorted by start.
    pub faults: Vec<FaultConfig>,
}

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
                BreakerWindow::CountBased { calls } => {
                    Window::CountBased(self.count(&format!("{p}.window.calls"), calls, 1, 10_000))
                }
                BreakerWindow::TimeBased { seconds } => {
                    Window::TimeBased(self.count(&format!("{p}.window.seconds"), seconds, 1, 3_600))
                }
            };
        }
        if let Some(n) = b.minimum_calls {
            cfg.minimum_calls = self.count(&format!("{p}.minimum_calls"), n, 1, 10_000);
        }
        if let Some(v) = b.failure_rate_threshold_pct {
            cfg.failure_rate_threshold_pct =
                self.positive(&format!("{p}.failure_rate_threshold_pct"), v, 100.0);
        }
        if let Some(v) = b.slow_call_rate_threshold_pct {
            cfg.slow_call_rate_threshold_pct =
                self.positive(&format!("{p}.slow_call_rate_threshold_pct"), v, 100.0);
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
            cfg.permitted_in_half_open =
                self.count(&format!("{p}.permitted_calls_in_half_open"), n, 1, 1_000);
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
            Some(m) => c.positive(&format!("{p}.multiplier"), m, 1_000_000.0),
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
        let uses_error_rate = f.kind == FaultKind::UpstreamErrors;
        let error_rate = match c.fault_param(p, "error_rate", f.kind, uses_error_rate, f.error_rate)
        {
            Some(r) => c.number(&format!("{p}.error_rate"), r, 0.0, 1.0),
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

    fn retry(&mut self, r: &Retry) -> Option<RetryConfig> {
        let p = "client.retry";
        let max_attempts = self.count(&format!("{p}.max_attempts"), r.max_attempts, 1, 100);
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
                self.number(&format!("{p}.budget.ratio"), b.ratio, 0.0, 1.0),
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

impl Config {
    /// Validates `scenario`, returning every problem found.
    pub fn from_scenario(scenario: &Scenario) -> Result<Config, Vec<Problem>> {
        let mut c = Checker { problems: vec![] };
        if scenario.version != SCENARIO_VERSION {
            c.fail(
                "version",
                format!(
                    "is {}; this build reads version {SCENARIO_VERSION}",
                    scenario.version
                ),
            );
        }
        let duration_s = c.positive("duration_s", scenario.duration_s, DURATION_S_MAX);
        let duration = if duration_s.is_finite() && duration_s > 0.0 {
            SimDuration::from_millis_f64(duration_s.min(DURATION_S_MAX) * 1000.0)
        } else {
            SimDuration::ZERO
        };

        // Traffic.
        let traffic = &scenario.traffic;
        if traffic.rate.is_empty() {
            c.fail("traffic.rate", "needs at least one component");
        }
        if traffic.rate.len() > 64 {
            c.fail("traffic.rate", "may have at most 64 components");
        }
        for (i, comp) in traffic.rate.iter().enumerate() {
            let p = format!("traffic.rate[{i}]");
            match *comp {
                RateComponent::Constant { rps } => {
                    c.number(&format!("{p}.rps"), rps, 0.0, RATE_RPS_MAX);
                }
                RateComponent::Step { at_s, rps } => {
                    c.seconds(&format!("{p}.at_s"), at_s);
                    c.number(&format!("{p}.rps"), rps, -RATE_RPS_MAX, RATE_RPS_MAX);
                }
                RateComponent::Ramp {
                    start_s,
                    end_s,
                    from_rps,
                    to_rps,
                } => {
                    c.seconds(&format!("{p}.start_s"), start_s);
                    c.seconds(&format!("{p}.end_s"), end_s);
                    if end_s <= start_s {
                        c.fail(
                            format!("{p}.end_s"),
                            format!("is {end_s}; must be later than start_s ({start_s})"),
                        );
                    }
                    c.number(&format!("{p}.from_rps"), from_rps, 0.0, RATE_RPS_MAX);
                    c.number(&format!("{p}.to_rps"), to_rps, 0.0, RATE_RPS_MAX);
                }
                RateComponent::Spike {
                    start_s,
                    duration_s,
                    multiplier,
                } => {
                    c.seconds(&format!("{p}.start_s"), start_s);
                    c.positive(&format!("{p}.duration_s"), duration_s, DURATION_S_MAX);
                    c.number(&format!("{p}.multiplier"), multiplier, 0.0, 1000.0);
                }
            }
        }
        if c.problems.is_empty() {
            let peak = crate::traffic::RateProfile::new(&traffic.rate, &[]).peak_rps();
            if peak > RATE_RPS_MAX {
                c.fail(
                    "traffic.rate",
                    format!("peaks at {peak} requests/s; at most {RATE_RPS_MAX} are supported"),
                );
            }
        }

        if traffic.endpoints.is_empty() {
            c.fail("traffic.endpoints", "needs at least one endpoint");
        }
        if traffic.endpoints.len() > 32 {
            c.fail("traffic.endpoints", "may have at most 32 endpoints");
        }
        let total_weight: f64 = traffic
            .endpoints
            .iter()
            .map(|e| e.weight)
            .filter(|w| w.is_finite() && *w > 0.0)
            .sum();
        let mut endpoints = Vec::with_capacity(traffic.endpoints.len());
        for (i, ep) in traffic.endpoints.iter().enumerate() {
            let p = format!("traffic.endpoints[{i}]");
            if ep.name.trim().is_empty() {
                c.fail(format!("{p}.name"), "must not be empty");
            }
            if traffic.endpoints[..i].iter().any(|o| o.name == ep.name) {
                c.fail(
                    format!("{p}.name"),
                    format!("\"{}\" is used twice", ep.name),
                );
            }
            let w = c.positive(&format!("{p}.weight"), ep.weight, 1e9);
            if ep.steps.is_empty() {
                c.fail(format!("{p}.steps"), "needs at least one step");
            }
            if ep.steps.len() > 16 {
                c.fail(format!("{p}.steps"), "may have at most 16 steps");
            }
            let steps = ep
                .steps
                .iter()
                .enumerate()
                .map(|(j, step)| {
                    let sp = format!("{p}.steps[{j}]");
                    match step {
                        Step::Cpu { duration } => {
                            StepConfig::Cpu(c.dist(&format!("{sp}.duration"), duration))
                        }
                        Step::CacheRead { miss_query } => {
                            StepConfig::CacheRead(c.dist(&format!("{sp}.miss_query"), miss_query))
                        }
                        Step::DbQuery { cost } => {
                            StepConfig::DbQuery(c.dist(&format!("{sp}.cost"), cost))
                        }
                        Step::UpstreamCall => StepConfig::UpstreamCall,
                    }
                })
                .collect();
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

        let client_timeout = c.timeout("client.timeout_ms", scenario.client.timeout_ms);
        let gateway_timeout = c.timeout(
            "load_balancer.gateway_timeout_ms",
            scenario.load_balancer.gateway_timeout_ms,
        );

        let health_check = scenario.load_balancer.health_check.as_ref().map(|h| {
            let p = "load_balancer.health_check";
            let interval = c.positive(&format!("{p}.interval_ms"), h.interval_ms, 3_600_000.0);
            HealthCheckConfig {
                deep: h.kind == crate::scenario::HealthCheckKind::Deep,
                interval: SimDuration::from_millis_f64(interval.clamp(0.0, 3_600_000.0).max(1.0)),
                timeout: {
                    let t = c.positive(&format!("{p}.timeout_ms"), h.timeout_ms, 3_600_000.0);
                    SimDuration::from_millis_f64(t.clamp(0.0, 3_600_000.0))
                },
                unhealthy_threshold: c.count(
                    &format!("{p}.unhealthy_threshold"),
                    h.unhealthy_threshold,
                    1,
                    100,
                ),
                healthy_threshold: c.count(
                    &format!("{p}.healthy_threshold"),
                    h.healthy_threshold,
                    1,
                    100,
                ),
                fail_open: h.when_all_unhealthy == crate::scenario::WhenAllUnhealthy::FailOpen,
                deep_pool_use_max_pct: c.positive(
                    &format!("{p}.deep_pool_use_max_pct"),
                    h.deep_pool_use_max_pct,
                    100.0,
                ),
            }
        });
        let inst = &scenario.instances;
        let instance_count = c.count("instances.count", inst.count, 1, 64) as usize;
        let max_threads = c.count("instances.max_threads", inst.max_threads, 1, 10_000);
        let accept_queue = match inst.accept_queue {
            Capacity::Unbounded => None,
            Capacity::Limit(n) => Some(c.count("instances.accept_queue", n, 0, 100_000)),
        };

        let cache = &scenario.cache;
        let cache_keyspace = c.count("cache.keyspace", cache.keyspace, 1, 1_000_000);
        let cache_zipf_exponent = c.number("cache.zipf_exponent", cache.zipf_exponent, 0.0, 5.0);
        let ttl_ms = c.positive("cache.ttl_ms", cache.ttl_ms, SETTING_MS_MAX);
        let cache_lookup = c.millis("cache.lookup_ms", cache.lookup_ms);
        let cache_ttl_jitter_pct =
            c.number("cache.ttl_jitter_pct", cache.ttl_jitter_pct, 0.0, 99.0);
        let stampede = match cache.stampede_protection {
            StampedeProtection::None => StampedeConfig::None,
            StampedeProtection::Coalescing => StampedeConfig::Coalescing,
            StampedeProtection::StaleWhileRevalidate { stale_ms } => {
                StampedeConfig::StaleWhileRevalidate(
                    c.millis("cache.stampede_protection.stale_ms", stale_ms),
                )
            }
            StampedeProtection::ProbabilisticEarlyRefresh { beta } => {
                StampedeConfig::ProbabilisticEarlyRefresh(c.positive(
                    "cache.stampede_protection.beta",
                    beta,
                    100.0,
                ))
            }
        };

        let pool_max_size = c.count("db_pool.max_size", scenario.db_pool.max_size, 1, 1_000);
        let pool_timeout = c.timeout(
            "db_pool.connection_timeout_ms",
            scenario.db_pool.connection_timeout_ms,
        );
        let db_cores = c.count("database.cores", scenario.database.cores, 1, 1_024);
        let query_timeout = c.timeout(
            "database.query_timeout_ms",
            scenario.database.query_timeout_ms,
        );

        let up = &scenario.upstream;
        let upstream_latency = c.dist("upstream.latency", &up.latency);
        let upstream_error_rate = c.number("upstream.error_rate", up.error_rate, 0.0, 1.0);
        let upstream_connect_timeout =
            c.timeout("upstream.connect_timeout_ms", up.connect_timeout_ms);
        let upstream_read_timeout = c.timeout("upstream.read_timeout_ms", up.read_timeout_ms);
        let breaker = up.breaker.as_ref().map(|b| (c.breaker(b), b.when_open));
        let retry = scenario.client.retry.as_ref().and_then(|r| c.retry(r));

        if scenario.faults.len() > FAULTS_MAX {
            c.fail("faults", format!("may have at most {FAULTS_MAX} faults"));
        }
        let mut faults = Vec::with_capacity(scenario.faults.len());
        for (i, f) in scenario.faults.iter().enumerate() {
            faults.push(c.fault(&format!("faults[{i}]"), f, inst.count));
        }
        faults.sort_by_key(|f| f.start);

        if !c.problems.is_empty() {
            return Err(c.problems);
        }
        Ok(Config {
            seed: scenario.seed,
            duration,
            rate: traffic.rate.clone(),
            endpoints,
            client_timeout,
            lb_policy: scenario.load_balancer.policy,
            gateway_timeout,
            health_check,
            instance_count,
            max_threads,
            accept_queue,
            queue_overflow: inst.queue_overflow,
            cache_keyspace,
            cache_zipf_exponent,
            cache_ttl: SimDuration::from_millis_f64(ttl_ms),
            cache_lookup,
            pool_max_size,
            pool_timeout,
            db_cores,
            query_timeout,
            upstream_latency,
            upstream_error_rate,
            upstream_connect_timeout,
            upstream_read_timeout,
            breaker,
            error_handling: scenario.error_handling,
            retry,
            cache_ttl_jitter_pct,
            stampede,
            faults,
        })
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

/// The name a fault kind has in scenario files.
pub fn kind_name(kind: FaultKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
