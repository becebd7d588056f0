//! Validation at the boundary: a [`Scenario`] becomes a [`Config`] that cannot be invalid,
//! or every problem is reported with its field path and reason. Nothing is clamped.

use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::breaker::{BreakerConfig, Window};
use crate::limits;
use crate::rng::SimRng;
use crate::scenario as s;
use crate::scenario::{
    ActionKind, Breaker, BreakerPreset, BreakerWindow, Capacity, Dist, ErrorHandling, Fault,
    FaultKind, Jitter, LbPolicy, OperatorAction, QueueOverflow, RateComponent, Retry, Scenario,
    StampedeProtection, Step, Timeout, WhenOpen, SCENARIO_VERSION,
};
use crate::time::{SimDuration, SimTime, MICROS_PER_MS};

mod check;
mod read;
mod work;

pub use check::{validate_action, validate_fault};
pub use read::*;
pub use work::*;

/// The largest scenario file accepted, in bytes.
pub const SCENARIO_BYTES_MAX: usize = 1 << 20;
use crate::settings::*;
pub use crate::settings::{DURATION_S_MAX, FAULTS_MAX, RATE_RPS_MAX, SETTING_MS_MAX};

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

/// The settings a running simulation cannot change, as scenario paths: the seed, the
/// duration, the endpoints, the instance count, the keyspace, the key skew, the fault
/// timeline and the operator actions' timeline. [`crate::Simulation::reconfigure`] refuses a configuration that differs in any of
/// them (naming these paths, in this order) and [`Config::keep_fixed_from`] copies them; every
/// other setting can change live. The one list of them: UIs should read it from here.
pub const RESTART_ONLY: &[&str] = &[
    "seed",
    "duration_s",
    "traffic.endpoints",
    "traffic.users",
    "instances.count",
    "cache.keyspace",
    "cache.zipf_exponent",
    "faults",
    "actions",
];

impl Config {
    /// Whether `self` and `other` differ at restart-only setting `path` (an entry of
    /// [`RESTART_ONLY`]); `None` if `path` is not in that list.
    pub fn differs_at(&self, other: &Config, path: &str) -> Option<bool> {
        Some(match path {
            "seed" => self.seed != other.seed,
            "duration_s" => self.duration != other.duration,
            "traffic.endpoints" => self.endpoints != other.endpoints,
            "traffic.users" => !same_user_groups(&self.users, &other.users),
            "instances.count" => self.instance_count != other.instance_count,
            "cache.keyspace" => self.cache_keyspace != other.cache_keyspace,
            "cache.zipf_exponent" => self.cache_zipf_exponent != other.cache_zipf_exponent,
            "faults" => self.faults != other.faults,
            "actions" => self.actions != other.actions,
            _ => return None,
        })
    }

    /// The restart-only settings ([`RESTART_ONLY`]) in which `other` differs from `self`, in
    /// the list's order.
    pub fn restart_only_differences(&self, other: &Config) -> Vec<&'static str> {
        RESTART_ONLY
            .iter()
            .copied()
            .filter(|path| self.differs_at(other, path) == Some(true))
            .collect()
    }

    /// Takes from `running` every restart-only setting ([`RESTART_ONLY`]), the ones
    /// [`crate::Simulation::reconfigure`] refuses. What is left is what can change live.
    pub fn keep_fixed_from(&mut self, running: &Config) {
        for path in RESTART_ONLY {
            self.take_setting(running, path);
        }
    }

    /// Copies restart-only setting `path` from `from`; false if `path` is not in
    /// [`RESTART_ONLY`].
    fn take_setting(&mut self, from: &Config, path: &str) -> bool {
        match path {
            "seed" => self.seed = from.seed,
            "duration_s" => self.duration = from.duration,
            "traffic.endpoints" => self.endpoints = from.endpoints.clone(),
            "traffic.users" => {
                if !same_user_groups(&self.users, &from.users) {
                    self.users = from.users.clone();
                    self.clients.truncate(1);
                    self.clients.extend_from_slice(&from.clients[1..]);
                }
            }
            "instances.count" => self.instance_count = from.instance_count,
            "cache.keyspace" => self.cache_keyspace = from.cache_keyspace,
            "cache.zipf_exponent" => self.cache_zipf_exponent = from.cache_zipf_exponent,
            "faults" => self.faults = from.faults.clone(),
            "actions" => self.actions = from.actions.clone(),
            _ => return false,
        }
        true
    }
}

/// Whether two lists of user groups are the same but for what may change live: each group's
/// user count and think time, and the settings of its client.
fn same_user_groups(a: &[UserGroupConfig], b: &[UserGroupConfig]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let live = |g: &UserGroupConfig| UserGroupConfig {
                count: 0,
                think_mean: SimDuration::ZERO,
                ..g.clone()
            };
            live(x) == live(y)
        })
}

/// A validated client: how long it waits for an attempt and for a request in all, and how it
/// retries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClientPolicy {
    /// Per-attempt timeout; `None` waits forever.
    pub timeout: Option<SimDuration>,
    /// Total deadline of a user request, retries and their delays included; `None` for none.
    pub deadline: Option<SimDuration>,
    /// Retries; `None` for a single attempt.
    pub retry: Option<RetryConfig>,
}

/// A validated closed-loop user group.
#[derive(Clone, Debug, PartialEq)]
pub struct UserGroupConfig {
    /// The group's name (may be empty).
    pub name: String,
    /// Users in the group.
    pub count: u32,
    /// Mean think time (exponential), greater than zero.
    pub think_mean: SimDuration,
    /// When the group starts.
    pub start: SimTime,
    /// First requests spread evenly over this long from `start`; `None`: after a first think.
    pub start_spread: Option<SimDuration>,
    /// Requests per user before leaving; `None`: to the end of the run.
    pub requests_per_user: Option<u32>,
    /// The group's client, an index into [`Config::clients`] (0: the scenario's `client`).
    pub client: usize,
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

/// A validated operator action.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActionConfig {
    /// Which action.
    pub kind: ActionKind,
    /// When it is taken.
    pub at: SimTime,
    /// The instance for `restart_instance`; 0 otherwise.
    pub instance: usize,
    /// For `kill_queries`: the age above which a query is cancelled; zero otherwise.
    pub longer_than: SimDuration,
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
    pub(crate) seed: u64,
    /// Length of the run.
    pub(crate) duration: SimDuration,
    /// Arrival-rate profile.
    pub(crate) rate: Vec<RateComponent>,
    /// Endpoints with normalised shares.
    pub(crate) endpoints: Vec<EndpointConfig>,
    /// The clients: 0 is the scenario's `client`, then one per user group with its own.
    pub(crate) clients: Vec<ClientPolicy>,
    /// Closed-loop user groups.
    pub(crate) users: Vec<UserGroupConfig>,
    /// Load balancer policy.
    pub(crate) lb_policy: LbPolicy,
    /// Load balancer gateway timeout.
    pub(crate) gateway_timeout: Option<SimDuration>,
    /// Load balancer health checks.
    pub(crate) health_check: Option<HealthCheckConfig>,
    /// Number of instances.
    pub(crate) instance_count: usize,
    /// Worker threads per instance.
    pub(crate) max_threads: u32,
    /// Accept-queue capacity per instance; `None` is unbounded.
    pub(crate) accept_queue: Option<u32>,
    /// What a full accept queue does.
    pub(crate) queue_overflow: QueueOverflow,
    /// Workers drop queued requests whose client gave up (deadline propagation).
    pub(crate) drop_expired: bool,
    /// Number of cache keys.
    pub(crate) cache_keyspace: u32,
    /// Zipf exponent of key popularity.
    pub(crate) cache_zipf_exponent: f64,
    /// Cache time to live.
    pub(crate) cache_ttl: SimDuration,
    /// Cache lookup latency.
    pub(crate) cache_lookup: SimDuration,
    /// Connections per instance pool.
    pub(crate) pool_max_size: u32,
    /// Pool acquire timeout; `None` waits forever.
    pub(crate) pool_timeout: Option<SimDuration>,
    /// Database cores.
    pub(crate) db_cores: u32,
    /// Statement timeout.
    pub(crate) query_timeout: Option<SimDuration>,
    /// HikariCP leak detection: warn when a connection is held longer.
    pub(crate) leak_detection_threshold: Option<SimDuration>,
    /// PostgreSQL slow-query log: log completed queries that ran longer.
    pub(crate) log_min_duration_statement: Option<SimDuration>,
    /// Upstream latency.
    pub(crate) upstream_latency: DurationDist,
    /// Upstream error share.
    pub(crate) upstream_error_rate: f64,
    /// Upstream connect timeout.
    pub(crate) upstream_connect_timeout: Option<SimDuration>,
    /// Upstream read timeout.
    pub(crate) upstream_read_timeout: Option<SimDuration>,
    /// Upstream circuit breaker, per instance, and what to answer when it rejects.
    pub(crate) breaker: Option<(BreakerConfig, WhenOpen)>,
    /// Honest or swallowed errors.
    pub(crate) error_handling: ErrorHandling,
    /// TTL spread in percent.
    pub(crate) cache_ttl_jitter_pct: f64,
    /// Stampede protection.
    pub(crate) stampede: StampedeConfig,
    /// Timed faults, sorted by start.
    pub(crate) faults: Vec<FaultConfig>,
    /// Operator actions, sorted by time.
    pub(crate) actions: Vec<ActionConfig>,
}

/// Read access to a validated configuration: only [`Config::from_scenario`] makes one, so
/// nothing outside validation can write a field.
impl Config {
    /// Seed of the run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Length of the run.
    pub fn duration(&self) -> SimDuration {
        self.duration
    }

    /// Arrival-rate profile.
    pub fn rate(&self) -> &[RateComponent] {
        &self.rate
    }

    /// Endpoints with normalised shares.
    pub fn endpoints(&self) -> &[EndpointConfig] {
        &self.endpoints
    }

    /// Client per-attempt timeout.
    pub fn client_timeout(&self) -> Option<SimDuration> {
        self.clients[0].timeout
    }

    /// The clients: 0 is the scenario's `client`, then one per user group with its own.
    pub fn clients(&self) -> &[ClientPolicy] {
        &self.clients
    }

    /// Closed-loop user groups.
    pub fn user_groups(&self) -> &[UserGroupConfig] {
        &self.users
    }

    /// Load balancer policy.
    pub fn lb_policy(&self) -> LbPolicy {
        self.lb_policy
    }

    /// Load balancer gateway timeout.
    pub fn gateway_timeout(&self) -> Option<SimDuration> {
        self.gateway_timeout
    }

    /// Load balancer health checks.
    pub fn health_check(&self) -> Option<HealthCheckConfig> {
        self.health_check
    }

    /// Number of instances.
    pub fn instance_count(&self) -> usize {
        self.instance_count
    }

    /// Worker threads per instance.
    pub fn max_threads(&self) -> u32 {
        self.max_threads
    }

    /// Accept-queue capacity per instance; `None` is unbounded.
    pub fn accept_queue(&self) -> Option<u32> {
        self.accept_queue
    }

    /// What a full accept queue does.
    pub fn queue_overflow(&self) -> QueueOverflow {
        self.queue_overflow
    }

    /// Workers drop queued requests whose client gave up (deadline propagation).
    pub fn drop_expired(&self) -> bool {
        self.drop_expired
    }

    /// Number of cache keys.
    pub fn cache_keyspace(&self) -> u32 {
        self.cache_keyspace
    }

    /// Zipf exponent of key popularity.
    pub fn cache_zipf_exponent(&self) -> f64 {
        self.cache_zipf_exponent
    }

    /// Cache time to live.
    pub fn cache_ttl(&self) -> SimDuration {
        self.cache_ttl
    }

    /// Cache lookup latency.
    pub fn cache_lookup(&self) -> SimDuration {
        self.cache_lookup
    }

    /// Connections per instance pool.
    pub fn pool_max_size(&self) -> u32 {
        self.pool_max_size
    }

    /// Pool acquire timeout; `None` waits forever.
    pub fn pool_timeout(&self) -> Option<SimDuration> {
        self.pool_timeout
    }

    /// HikariCP leak detection threshold; `None` is off.
    pub fn leak_detection_threshold(&self) -> Option<SimDuration> {
        self.leak_detection_threshold
    }

    /// PostgreSQL `log_min_duration_statement`; `None` is off.
    pub fn log_min_duration_statement(&self) -> Option<SimDuration> {
        self.log_min_duration_statement
    }

    /// Database cores.
    pub fn db_cores(&self) -> u32 {
        self.db_cores
    }

    /// Statement timeout.
    pub fn query_timeout(&self) -> Option<SimDuration> {
        self.query_timeout
    }

    /// Upstream latency.
    pub fn upstream_latency(&self) -> DurationDist {
        self.upstream_latency
    }

    /// Upstream error share.
    pub fn upstream_error_rate(&self) -> f64 {
        self.upstream_error_rate
    }

    /// Upstream connect timeout.
    pub fn upstream_connect_timeout(&self) -> Option<SimDuration> {
        self.upstream_connect_timeout
    }

    /// Upstream read timeout.
    pub fn upstream_read_timeout(&self) -> Option<SimDuration> {
        self.upstream_read_timeout
    }

    /// Upstream circuit breaker, per instance, and what to answer when it rejects.
    pub fn breaker(&self) -> Option<(BreakerConfig, WhenOpen)> {
        self.breaker
    }

    /// Honest or swallowed errors.
    pub fn error_handling(&self) -> ErrorHandling {
        self.error_handling
    }

    /// Client retries; `None` for a single attempt.
    pub fn retry(&self) -> Option<RetryConfig> {
        self.clients[0].retry
    }

    /// TTL spread in percent.
    pub fn cache_ttl_jitter_pct(&self) -> f64 {
        self.cache_ttl_jitter_pct
    }

    /// Stampede protection.
    pub fn stampede(&self) -> StampedeConfig {
        self.stampede
    }

    /// Timed faults, sorted by start.
    pub fn faults(&self) -> &[FaultConfig] {
        &self.faults
    }

    /// Operator actions, sorted by time.
    pub fn actions(&self) -> &[ActionConfig] {
        &self.actions
    }
}

/// The name an operator action kind has in scenario files.
pub fn action_name(kind: ActionKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The name a fault kind has in scenario files.
pub fn kind_name(kind: FaultKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_ENDPOINTS: &str = r#"{ "version": 1, "duration_s": 60,
      "traffic": { "rate": [ { "kind": "constant", "rps": 50 } ],
        "endpoints": [ { "name": "GET /", "weight": 1,
          "steps": [ { "kind": "cpu", "duration": { "kind": "constant", "ms": 5 } } ] } ] } }"#;

    fn base() -> (Scenario, Config) {
        load_scenario(TWO_ENDPOINTS).expect("valid")
    }

    /// A scenario differing from the base at exactly one restart-only path.
    fn changed_at(path: &str) -> Config {
        let (mut s, _) = base();
        match path {
            "seed" => s.seed += 1,
            "duration_s" => s.duration_s += 1.0,
            "traffic.endpoints" => s.traffic.endpoints[0].name = "GET /other".into(),
            "traffic.users" => s.traffic.users.push(crate::scenario::UserGroup {
                name: "browsers".into(),
                count: 10,
                think_time_ms: 1_000.0,
                start_s: 0.0,
                start_spread_s: None,
                requests_per_user: None,
                client: None,
            }),
            "instances.count" => s.instances.count += 1,
            "cache.keyspace" => s.cache.keyspace += 1,
            "cache.zipf_exponent" => s.cache.zipf_exponent += 0.5,
            "faults" => s.faults.push(crate::scenario::Fault {
                kind: FaultKind::CacheFlush,
                start_s: 10.0,
                duration_s: 0.0,
                multiplier: None,
                error_rate: None,
                instance: None,
                fail_fast: None,
            }),
            "actions" => s.actions.push(OperatorAction {
                kind: ActionKind::RollingRestart,
                at_s: 10.0,
                instance: None,
                longer_than_s: None,
            }),
            other => panic!("no change written for restart-only path {other}"),
        }
        Config::from_scenario(&s).expect("still valid")
    }

    #[test]
    fn every_restart_only_path_is_checked_alone() {
        let (_, config) = base();
        for path in RESTART_ONLY {
            let other = changed_at(path);
            assert_eq!(config.differs_at(&other, path), Some(true), "{path}");
            assert_eq!(config.restart_only_differences(&other), vec![*path]);
            let mut kept = other.clone();
            kept.keep_fixed_from(&config);
            assert_eq!(kept, config, "keep_fixed_from takes {path} back");
        }
        assert_eq!(config.differs_at(&config, "db_pool.max_size"), None);
    }

    #[test]
    fn a_config_differing_only_in_live_settings_is_accepted_live() {
        let (mut s, config) = base();
        s.db_pool.max_size = 50;
        s.instances.max_threads = 7;
        s.upstream.breaker = Some(crate::scenario::Breaker::default());
        let live = Config::from_scenario(&s).expect("valid");
        assert!(config.restart_only_differences(&live).is_empty());
        let mut sim = crate::Simulation::new(config.clone());
        sim.run_until(SimTime::from_secs(10));
        assert_eq!(sim.reconfigure(live.clone()), Ok(()));
        assert_eq!(sim.config().pool_max_size(), 50);
        assert_eq!(
            sim.reconfigure(changed_at("instances.count")),
            Err(vec!["instances.count"])
        );
    }

    #[test]
    fn validation_uses_the_named_limits() {
        let (mut s, _) = base();
        s.db_pool.max_size = *POOL_CONNECTIONS.end();
        s.instances.count = *INSTANCES_COUNT.end();
        assert!(Config::from_scenario(&s).is_ok());
        s.db_pool.max_size = *POOL_CONNECTIONS.end() + 1;
        s.instances.count = *INSTANCES_COUNT.end() + 1;
        let paths: Vec<String> = Config::from_scenario(&s)
            .expect_err("over the limits")
            .into_iter()
            .map(|p| p.path)
            .collect();
        assert_eq!(paths, ["instances.count", "db_pool.max_size"]);
    }
}
