//! The scenario file format (version 1): plain serde data, as a person writes it.
//!
//! A `Scenario` is what comes from JSON, a shared link or the UI's controls. It is checked once,
//! at the boundary, by [`crate::config::Config::from_scenario`], which turns it into types that
//! cannot be invalid or reports every problem with its field path. Units are in field names
//! (`_ms`, `_s`, `_rps`); defaults mirror the production software each part imitates.
//! `docs/scenario.md` is the reference for people; `outage-lab schema` prints the JSON Schema.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The scenario format version this build reads and writes.
pub const SCENARIO_VERSION: u32 = 1;

/// A whole simulated world: traffic, the service's parts, their settings, and timed faults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; this build reads version 1.
    pub version: u32,
    /// A short title.
    #[serde(default)]
    pub name: String,
    /// What the scenario shows and what to watch.
    #[serde(default)]
    pub description: String,
    /// The seed that drives every random draw; the same seed gives the same run.
    #[serde(default = "defaults::seed")]
    pub seed: u64,
    /// How long the run lasts, in virtual seconds.
    pub duration_s: f64,
    /// Who calls the service and what they ask for.
    pub traffic: Traffic,
    /// The calling clients' behaviour.
    #[serde(default)]
    pub client: Client,
    /// The load balancer in front of the instances.
    #[serde(default)]
    pub load_balancer: LoadBalancer,
    /// The application instances.
    #[serde(default)]
    pub instances: Instances,
    /// The shared cache in front of the database.
    #[serde(default)]
    pub cache: Cache,
    /// Each instance's database connection pool.
    #[serde(default)]
    pub db_pool: DbPool,
    /// The database server shared by all instances.
    #[serde(default)]
    pub database: Database,
    /// The upstream dependency (a payment gateway).
    #[serde(default)]
    pub upstream: Upstream,
    /// How the application turns failures into responses.
    #[serde(default = "defaults::error_handling")]
    pub error_handling: ErrorHandling,
    /// Faults that start and end at given times.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// What the on-call engineer does, and when (restarts, killing long queries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<OperatorAction>,
}

/// The arrival process and the endpoint mix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Traffic {
    /// The arrival rate over time: the sum of these components, times any active spikes.
    pub rate: Vec<RateComponent>,
    /// The endpoints users call, with their relative weights.
    pub endpoints: Vec<Endpoint>,
    /// Closed-loop user groups, sending beside the open-loop `rate` (which may be empty); absent
    /// for none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserGroup>,
}

/// A closed-loop population: each user sends a request, waits for its end (an answer, an
/// error, its client's timeout or deadline, retries included), thinks, and sends the next.
/// Under overload such users slow down with the service, where open-loop arrivals do not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct UserGroup {
    /// How the group is called in the page and its notes, e.g. `browsers`.
    #[serde(default)]
    pub name: String,
    /// Users in the group; each has at most one request in progress.
    pub count: u32,
    /// Mean think time between the end of a user's request and the next, in milliseconds
    /// (exponentially distributed).
    pub think_time_ms: f64,
    /// When the group's users start, in seconds.
    #[serde(default)]
    pub start_s: f64,
    /// The users send their first request evenly at random over this many seconds from
    /// `start_s` (0: all at once, a crowd); absent: each after a first think time, as if it had
    /// been browsing already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_spread_s: Option<f64>,
    /// Requests each user sends before leaving; absent: users stay to the end of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_user: Option<u32>,
    /// The group's own timeouts and retries; absent: the scenario's `client`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
}

/// One component of the arrival-rate profile (user requests per second).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RateComponent {
    /// A constant rate for the whole run.
    Constant {
        /// Requests per second.
        rps: f64,
    },
    /// Adds `rps` from `at_s` on (a negative `rps` lowers the rate).
    Step {
        /// When the step happens, in seconds.
        at_s: f64,
        /// Requests per second added from then on.
        rps: f64,
    },
    /// A linear ramp: nothing before `start_s`, `from_rps` rising to `to_rps` at `end_s`, then
    /// `to_rps` for the rest of the run.
    Ramp {
        /// When the ramp starts, in seconds.
        start_s: f64,
        /// When the ramp ends, in seconds.
        end_s: f64,
        /// Rate at the start, requests per second.
        from_rps: f64,
        /// Rate at the end and after, requests per second.
        to_rps: f64,
    },
    /// Multiplies the whole rate by `multiplier` between `start_s` and `start_s + duration_s`.
    Spike {
        /// When the spike starts, in seconds.
        start_s: f64,
        /// How long it lasts, in seconds.
        duration_s: f64,
        /// Factor applied to the rate during the spike.
        multiplier: f64,
    },
}

/// An endpoint of the service and the steps its handler runs, in order, on one worker thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Endpoint {
    /// How the endpoint shows in charts and logs, e.g. `GET /product/{id}`.
    pub name: String,
    /// Relative share of user requests (any positive numbers; they are normalised).
    pub weight: f64,
    /// Whether its errors page someone (5xx over 1 %) or only warn (5xx over 5 %).
    #[serde(default = "defaults::yes")]
    pub critical: bool,
    /// The handler's steps, run one after another while holding the worker thread.
    pub steps: Vec<Step>,
}

/// One step of a request handler.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Work on the worker thread itself (parsing, templating, business logic).
    Cpu {
        /// How long the work takes.
        duration: Dist,
    },
    /// Read-through cache: a hit answers after the cache's latency; a miss runs a database query
    /// (through the pool) and fills the key.
    CacheRead {
        /// Cost of the database query that loads a missing key.
        miss_query: Dist,
    },
    /// A database query or write through the connection pool.
    DbQuery {
        /// Work the query needs on one database core.
        cost: Dist,
    },
    /// A call to the upstream dependency.
    UpstreamCall,
}

/// A distribution of durations, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Always the same.
    Constant {
        /// The duration, in milliseconds.
        ms: f64,
    },
    /// Exponential (memoryless), as in M/M/c queues.
    Exponential {
        /// Mean, in milliseconds.
        mean_ms: f64,
    },
    /// Uniform between two bounds.
    Uniform {
        /// Lower bound, in milliseconds.
        min_ms: f64,
        /// Upper bound, in milliseconds.
        max_ms: f64,
    },
    /// Log-normal, given by its median and 99th percentile: the usual shape of real latencies.
    Lognormal {
        /// Median, in milliseconds.
        median_ms: f64,
        /// 99th percentile, in milliseconds (at least the median).
        p99_ms: f64,
    },
}

/// The calling clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Client {
    /// How long a client waits for one attempt before giving up (the server may go on working).
    #[serde(default = "defaults::client_timeout")]
    pub timeout_ms: Timeout,
    /// How long a user waits for a request in all, retries and their delays included, before
    /// giving up on it (a gRPC deadline); `"none"` (the default) for no such limit.
    #[serde(
        default = "defaults::deadline",
        skip_serializing_if = "Timeout::is_none"
    )]
    pub deadline_ms: Timeout,
    /// Retries; absent for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
}

/// How the load balancer picks an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LbPolicy {
    /// Each instance in turn.
    RoundRobin,
    /// The instance with the fewest requests in progress.
    LeastOutstanding,
}

/// The load balancer (a reverse proxy such as nginx).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LoadBalancer {
    /// How an instance is chosen.
    #[serde(default = "defaults::lb_policy")]
    pub policy: LbPolicy,
    /// How long the balancer waits for an instance's answer before answering 504
    /// (nginx `proxy_read_timeout`, default 60 000 ms).
    #[serde(default = "defaults::gateway_timeout")]
    pub gateway_timeout_ms: Timeout,
    /// Active health checks; absent for none (every instance always in rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
}

/// What a health check looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheckKind {
    /// The process answers (it needs a free worker thread to do so).
    Shallow,
    /// Ready to serve: configuration loaded, database reachable, pool use under the threshold,
    /// breaker not open; answers 503 otherwise.
    Deep,
}

/// Load balancer health checks (ALB and Kubernetes readiness style).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HealthCheck {
    /// Shallow or deep.
    pub kind: HealthCheckKind,
    /// Time between probes of one instance, in milliseconds.
    #[serde(default = "defaults::health_interval_ms")]
    pub interval_ms: f64,
    /// How long a probe waits for an answer, in milliseconds (a saturated instance has no
    /// free worker to answer it).
    #[serde(default = "defaults::health_timeout_ms")]
    pub timeout_ms: f64,
    /// Consecutive failed probes that take an instance out of rotation.
    #[serde(default = "defaults::unhealthy_threshold")]
    pub unhealthy_threshold: u32,
    /// Consecutive passed probes that put it back.
    #[serde(default = "defaults::healthy_threshold")]
    pub healthy_threshold: u32,
    /// Deep checks fail above this pool use, in percent.
    #[serde(default = "defaults::deep_pool_use_max_pct")]
    pub deep_pool_use_max_pct: f64,
    /// What the balancer does when every instance is out of rotation.
    #[serde(default = "defaults::when_all_unhealthy")]
    pub when_all_unhealthy: WhenAllUnhealthy,
}

/// What a load balancer does when no instance passes its health checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WhenAllUnhealthy {
    /// Answer 503 itself: nothing is healthy.
    #[serde(rename = "reject_503")]
    Reject503,
    /// Route to every instance anyway (AWS ALB's fail-open, Envoy's panic mode): a check that
    /// fails everywhere at once says more about the check than about the instances.
    FailOpen,
}

/// What happens to a connection that arrives when an instance's accept queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueOverflow {
    /// The connection is refused at the TCP level (Tomcat); the load balancer answers 502.
    Refuse,
    /// A load shedder in front of the pool answers 503 itself (IIS "server too busy").
    #[serde(rename = "shed_503")]
    Shed503,
}

/// The application instances: identical servers, each with its own pools.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Instances {
    /// How many instances run behind the load balancer.
    #[serde(default = "defaults::instance_count")]
    pub count: u32,
    /// Worker threads per instance (Tomcat `maxThreads`, default 200).
    #[serde(default = "defaults::max_threads")]
    pub max_threads: u32,
    /// Connections that may wait for a worker (Tomcat `acceptCount`, default 100), or "unbounded".
    #[serde(default = "defaults::accept_queue")]
    pub accept_queue: Capacity,
    /// What a full accept queue does to a new connection.
    #[serde(default = "defaults::queue_overflow")]
    pub queue_overflow: QueueOverflow,
    /// Deadline propagation: each request carries when its client gives up (as a gRPC
    /// deadline does), and a worker drops a queued request whose client already has, instead
    /// of serving it late. Off by default (a plain HTTP server cannot know).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop_expired: bool,
}

/// The shared cache (a Redis or memcached in front of the database).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cache {
    /// How many distinct keys users ask for.
    #[serde(default = "defaults::keyspace")]
    pub keyspace: u32,
    /// Zipf exponent of key popularity: 0 is uniform, about 1 is typical web traffic.
    #[serde(default = "defaults::zipf_exponent")]
    pub zipf_exponent: f64,
    /// How long a filled key stays fresh, in milliseconds.
    #[serde(default = "defaults::ttl_ms")]
    pub ttl_ms: f64,
    /// How long a cache lookup takes, in milliseconds.
    #[serde(default = "defaults::cache_latency_ms")]
    pub lookup_ms: f64,
    /// Random spread of each fill's TTL, in percent (10: TTL ± 10 %), so keys filled together
    /// do not all expire together.
    #[serde(default)]
    pub ttl_jitter_pct: f64,
    /// Protection against stampedes on expired keys.
    #[serde(default = "defaults::stampede")]
    pub stampede_protection: StampedeProtection,
}

/// Each instance's database connection pool (HikariCP semantics).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DbPool {
    /// Connections per instance (HikariCP `maximumPoolSize`, default 10).
    #[serde(default = "defaults::pool_size")]
    pub max_size: u32,
    /// How long a request waits for a free connection before failing
    /// (HikariCP `connectionTimeout`, default 30 000 ms), or "none" to wait forever.
    #[serde(default = "defaults::connection_timeout")]
    pub connection_timeout_ms: Timeout,
    /// Logs a warning when a connection has been out of the pool longer than this (HikariCP
    /// `leakDetectionThreshold`: at least 2 000 ms; default 0, written "none", off).
    #[serde(default = "defaults::no_timeout")]
    pub leak_detection_threshold_ms: Timeout,
}

/// The database server, shared by every instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Database {
    /// CPU cores; when more queries run than cores, they share them and all slow down.
    #[serde(default = "defaults::db_cores")]
    pub cores: u32,
    /// Statement timeout: the database cancels a query running longer (PostgreSQL
    /// `statement_timeout`, default none).
    #[serde(default = "defaults::no_timeout")]
    pub query_timeout_ms: Timeout,
    /// Logs every query that completes after running longer than this, with its duration
    /// (PostgreSQL `log_min_duration_statement`; default -1, written "none", off).
    #[serde(default = "defaults::no_timeout")]
    pub log_min_duration_statement_ms: Timeout,
}

/// The upstream dependency, called over the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Upstream {
    /// How long the upstream takes to answer.
    #[serde(default = "defaults::upstream_latency")]
    pub latency: Dist,
    /// Share of calls that fail with an error response, from 0 to 1.
    #[serde(default)]
    pub error_rate: f64,
    /// How long the client waits to establish a connection, or "none" (Linux gives up after
    /// about 127 s of SYN retries).
    #[serde(default = "defaults::connect_timeout")]
    pub connect_timeout_ms: Timeout,
    /// How long the client waits for the answer once connected, or "none" (the default of many
    /// HTTP clients: wait forever).
    #[serde(default = "defaults::no_timeout")]
    pub read_timeout_ms: Timeout,
    /// A circuit breaker around the call, one per instance; absent or null for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<Breaker>,
}

/// Which library's defaults a breaker starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerPreset {
    /// resilience4j: 100-call window, minimum 100 calls, 50 % failures, 60 s open, 10 trials.
    Resilience4j,
    /// Hystrix-like: 20 calls, 50 % errors, 5 s sleep window, 1 trial.
    Hystrix,
}

/// A breaker's sliding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BreakerWindow {
    /// The last `calls` calls.
    CountBased {
        /// Window size in calls.
        calls: u32,
    },
    /// The calls of the last `seconds` seconds.
    TimeBased {
        /// Window size in seconds.
        seconds: u32,
    },
}

/// What the handler answers when the breaker rejects a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WhenOpen {
    /// 503 with Retry-After: the dependency is known to be down.
    #[serde(rename = "unavailable_503")]
    Unavailable503,
    /// A degraded 200 from a fallback (e.g. "payment pending"), counted as degraded.
    #[serde(rename = "degraded_200")]
    Degraded200,
}

/// A circuit breaker (resilience4j semantics); unset fields take the preset's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Breaker {
    /// The defaults to start from.
    #[serde(default = "defaults::breaker_preset")]
    pub preset: BreakerPreset,
    /// The sliding window (`slidingWindowType` and `slidingWindowSize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<BreakerWindow>,
    /// Calls needed before rates are evaluated (`minimumNumberOfCalls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_calls: Option<u32>,
    /// Failure rate in percent that opens the breaker (`failureRateThreshold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_rate_threshold_pct: Option<f64>,
    /// Slow-call rate in percent that opens the breaker (`slowCallRateThreshold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_call_rate_threshold_pct: Option<f64>,
    /// Calls longer than this are slow (`slowCallDurationThreshold`), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_call_duration_ms: Option<f64>,
    /// How long the breaker stays open (`waitDurationInOpenState`), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_in_open_ms: Option<f64>,
    /// Trial calls in half-open (`permittedNumberOfCallsInHalfOpenState`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permitted_calls_in_half_open: Option<u32>,
    /// Move to half-open by timer (`automaticTransitionFromOpenToHalfOpenEnabled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic_half_open: Option<bool>,
    /// What the handler answers when a call is rejected.
    #[serde(default = "defaults::when_open")]
    pub when_open: WhenOpen,
}

/// How the application turns failures into responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorHandling {
    /// A central handler: unexpected exceptions are 500 with an error id, a dependency known to
    /// be down is 503 with Retry-After.
    Honest,
    /// Every error becomes 200 with an error body: monitoring goes blind.
    Swallow,
}

/// Random spread added to retry delays (AWS "Exponential Backoff and Jitter").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Exactly the capped exponential delay.
    None,
    /// Uniform between 0 and the delay.
    Full,
    /// Half the delay plus uniform up to the other half.
    Equal,
    /// Uniform between the base and three times the previous delay, capped.
    Decorrelated,
}

/// A client-side retry budget: a token bucket that lets retries through only while tokens last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RetryBudget {
    /// Tokens earned per new user request (0.1: retries may add at most about 10 % load;
    /// Finagle's default is 0.2).
    pub ratio: f64,
    /// Tokens earned per second regardless of traffic, so low traffic can still retry.
    pub min_retries_per_s: f64,
}

/// How clients retry failed attempts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Retry {
    /// Attempts per user request, the first included (1 = no retries).
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// Delay before the first retry, in milliseconds (0 = immediately).
    #[serde(default = "defaults::backoff_base_ms")]
    pub backoff_base_ms: f64,
    /// The longest delay, in milliseconds.
    #[serde(default = "defaults::backoff_cap_ms")]
    pub backoff_cap_ms: f64,
    /// Spread added to the delays.
    #[serde(default = "defaults::jitter")]
    pub jitter: Jitter,
    /// Retry answers 500, 502, 503 and 504.
    #[serde(default = "defaults::yes")]
    pub retry_on_5xx: bool,
    /// Retry attempts the client gave up on.
    #[serde(default = "defaults::yes")]
    pub retry_on_timeout: bool,
    /// Wait at least as long as a 503's Retry-After says.
    #[serde(default = "defaults::yes")]
    pub honor_retry_after: bool,
    /// An optional retry budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<RetryBudget>,
}

/// How the cache keeps many requests from reloading one expired key at once.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StampedeProtection {
    /// Every concurrent miss on a key queries the database.
    None,
    /// Single flight: one load per key; the other misses wait for it.
    Coalescing,
    /// An expired entry is served stale for `stale_ms` while one background refresh reloads it.
    StaleWhileRevalidate {
        /// How long past its TTL an entry may be served, in milliseconds.
        stale_ms: f64,
    },
    /// XFetch: each hit recomputes early with a probability that rises towards expiry.
    ProbabilisticEarlyRefresh {
        /// Eagerness: 1 is the paper's default, larger refreshes earlier.
        beta: f64,
    },
}

/// The kinds of fault a scenario can schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A missing index: every query costs `multiplier` times more.
    DbSlow,
    /// The arrival rate is multiplied by `multiplier`.
    TrafficSpike,
    /// The upstream refuses connections at once (fails fast).
    UpstreamDownFast,
    /// The upstream accepts connections and never answers: only a read timeout helps.
    UpstreamHang,
    /// The upstream is unreachable (packets dropped): only a connect timeout helps.
    UpstreamUnreachable,
    /// The upstream's latency is multiplied by `multiplier`.
    UpstreamSlow,
    /// The upstream fails a share `error_rate` of calls.
    UpstreamErrors,
    /// Every cache entry is dropped at `start_s` (the duration is ignored).
    CacheFlush,
    /// The cache is unreachable: every lookup misses and fills are lost.
    CacheDown,
    /// Instance `instance` crashes (requests in progress are lost: 502) and restarts at the end.
    InstanceCrash,
    /// Instance `instance` cannot reach the database: its queries fail at once.
    InstanceDbUnreachable,
    /// Instance `instance` runs a deploy missing its configuration until the end (rollback).
    /// With `fail_fast` it refuses to start; without, it serves 500 for everything.
    BadDeploy,
    /// A code path a release broke: a share `error_rate` of requests, on every instance, end
    /// in an unhandled exception (500) as soon as they start.
    CodeBug,
}

/// What an on-call engineer can do to the running service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Restart instance `instance`: the process stops at once (requests in progress are lost:
    /// the balancer answers 502), then starts again [`crate::settings::RESTART_BOOT_S`] seconds
    /// later with free threads, an empty pool and the settings of that moment.
    RestartInstance,
    /// Restart every instance, one at a time, in order: the next one stops when the one before
    /// is back.
    RollingRestart,
    /// Cancel every request's query that has run longer than `longer_than_s` seconds
    /// (PostgreSQL `pg_cancel_backend`): each of those requests fails with a 500.
    KillQueries,
}

/// An operator action at `at_s` seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OperatorAction {
    /// Which action.
    pub kind: ActionKind,
    /// When, in seconds.
    pub at_s: f64,
    /// Which instance (from 0), for `restart_instance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<u32>,
    /// For `kill_queries`: queries that have run longer than this many seconds are cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longer_than_s: Option<f64>,
}

/// A fault active from `start_s` for `duration_s` seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Fault {
    /// Which fault.
    pub kind: FaultKind,
    /// When it starts, in seconds.
    pub start_s: f64,
    /// How long it lasts, in seconds (ignored for instantaneous faults).
    #[serde(default)]
    pub duration_s: f64,
    /// Factor for `db_slow`, `traffic_spike` and `upstream_slow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<f64>,
    /// Share of failing calls for `upstream_errors` (or of requests for `code_bug`), from 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    /// Which instance (from 0) for `instance_crash`, `instance_db_unreachable`, `bad_deploy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<u32>,
    /// For `bad_deploy`: the instance validates its configuration at startup and refuses to
    /// start without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_fast: Option<bool>,
}

/// A timeout in milliseconds, or none at all (written `"none"`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Timeout {
    /// Wait at most this many milliseconds.
    Ms(f64),
    /// Wait forever.
    None,
}

/// A capacity: a count, or no limit at all (written `"unbounded"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    /// At most this many.
    Limit(u32),
    /// No limit.
    Unbounded,
}

impl Timeout {
    /// True for `"none"` (no limit).
    pub fn is_none(&self) -> bool {
        matches!(self, Timeout::None)
    }
}

impl Serialize for Timeout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Timeout::Ms(ms) => s.serialize_f64(*ms),
            Timeout::None => s.serialize_str("none"),
        }
    }
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timeout;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of milliseconds or the string \"none\"")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Timeout, E> {
                Ok(Timeout::Ms(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timeout, E> {
                Ok(Timeout::Ms(v as f64))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timeout, E> {
                Ok(Timeout::Ms(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timeout, E> {
                if v == "none" {
                    Ok(Timeout::None)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Timeout {
    fn schema_name() -> Cow<'static, str> {
        "Timeout".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Milliseconds, or \"none\" to wait forever.",
            "oneOf": [ { "type": "number", "minimum": 0 }, { "const": "none" } ]
        })
    }
}

impl Serialize for Capacity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Capacity::Limit(n) => s.serialize_u32(*n),
            Capacity::Unbounded => s.serialize_str("unbounded"),
        }
    }
}

impl<'de> Deserialize<'de> for Capacity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Capacity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number from 0 to 4294967295 or the string \"unbounded\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Capacity, E> {
                u32::try_from(v)
                    .map(Capacity::Limit)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Capacity, E> {
                Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Capacity, E> {
                Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Capacity, E> {
                if v == "unbounded" {
                    Ok(Capacity::Unbounded)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Capacity {
    fn schema_name() -> Cow<'static, str> {
        "Capacity".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A count, or \"unbounded\".",
            "oneOf": [ { "type": "integer", "minimum": 0, "maximum": 4294967295u64 }, { "const": "unbounded" } ]
        })
    }
}

impl Default for Client {
    fn default() -> Self {
        Client {
            timeout_ms: defaults::client_timeout(),
            deadline_ms: defaults::deadline(),
            retry: None,
        }
    }
}

impl Default for LoadBalancer {
    fn default() -> Self {
        LoadBalancer {
            policy: defaults::lb_policy(),
            gateway_timeout_ms: defaults::gateway_timeout(),
            health_check: None,
        }
    }
}

impl Default for Instances {
    fn default() -> Self {
        Instances {
            count: defaults::instance_count(),
            max_threads: defaults::max_threads(),
            accept_queue: defaults::accept_queue(),
            queue_overflow: defaults::queue_overflow(),
            drop_expired: false,
        }
    }
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            keyspace: defaults::keyspace(),
            zipf_exponent: defaults::zipf_exponent(),
            ttl_ms: defaults::ttl_ms(),
            lookup_ms: defaults::cache_latency_ms(),
            ttl_jitter_pct: 0.0,
            stampede_protection: defaults::stampede(),
        }
    }
}

impl Default for DbPool {
    fn default() -> Self {
        DbPool {
            max_size: defaults::pool_size(),
            connection_timeout_ms: defaults::connection_timeout(),
            leak_detection_threshold_ms: defaults::no_timeout(),
        }
    }
}

impl Default for Database {
    fn default() -> Self {
        Database {
            cores: defaults::db_cores(),
            query_timeout_ms: defaults::no_timeout(),
            log_min_duration_statement_ms: defaults::no_timeout(),
        }
    }
}

impl Default for Upstream {
    fn default() -> Self {
        Upstream {
            latency: defaults::upstream_latency(),
            error_rate: 0.0,
            connect_timeout_ms: defaults::connect_timeout(),
            read_timeout_ms: defaults::no_timeout(),
            breaker: None,
        }
    }
}

/// A health check switched on with its defaults: a shallow probe every 5 s with a 2 s timeout,
/// out after 3 failures (Kubernetes' `failureThreshold`), back after 2 passes (the low end of
/// ALB's `HealthyThresholdCount`), a deep check failing above 80 % pool use, and a 503 when
/// nothing is healthy (see [`defaults`]).
impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            kind: HealthCheckKind::Shallow,
            interval_ms: defaults::health_interval_ms(),
            timeout_ms: defaults::health_timeout_ms(),
            unhealthy_threshold: defaults::unhealthy_threshold(),
            healthy_threshold: defaults::healthy_threshold(),
            deep_pool_use_max_pct: defaults::deep_pool_use_max_pct(),
            when_all_unhealthy: defaults::when_all_unhealthy(),
        }
    }
}

/// A breaker switched on with its defaults: resilience4j's preset with nothing overridden,
/// answering 503 with Retry-After while open.
impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            preset: defaults::breaker_preset(),
            window: None,
            minimum_calls: None,
            failure_rate_threshold_pct: None,
            slow_call_rate_threshold_pct: None,
            slow_call_duration_ms: None,
            wait_in_open_ms: None,
            permitted_calls_in_half_open: None,
            automatic_half_open: None,
            when_open: defaults::when_open(),
        }
    }
}

/// Retries switched on with their defaults: three attempts in all, full-jitter exponential
/// backoff from 100 ms capped at 10 s (AWS' recommendation), retrying 5xx and timeouts,
/// honouring Retry-After, and no budget (the serde defaults of [`Retry`]'s fields).
impl Default for Retry {
    fn default() -> Self {
        Retry {
            max_attempts: defaults::max_attempts(),
            backoff_base_ms: defaults::backoff_base_ms(),
            backoff_cap_ms: defaults::backoff_cap_ms(),
            jitter: defaults::jitter(),
            retry_on_5xx: true,
            retry_on_timeout: true,
            honor_retry_after: true,
            budget: None,
        }
    }
}

/// Finagle's default `RetryBudget` (`com.twitter.finagle.service.RetryBudget`): `percentCanRetry`
/// 20 % (0.2 tokens per request) and `minRetriesPerSec` 10, over a `ttl` of 10 s (the bucket
/// here holds ten seconds' worth).
impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            ratio: 0.2,
            min_retries_per_s: 10.0,
        }
    }
}

/// The defaults, named after the production settings they mirror.
pub mod defaults {
    use super::*;

    /// Seed used when a scenario names none.
    pub fn seed() -> u64 {
        1
    }
    /// A typical HTTP client's per-attempt timeout: 30 s.
    pub fn client_timeout() -> Timeout {
        Timeout::Ms(30_000.0)
    }
    /// No total deadline: a user waits out every attempt and retry.
    pub fn deadline() -> Timeout {
        Timeout::None
    }
    /// Round robin, nginx's default.
    pub fn lb_policy() -> LbPolicy {
        LbPolicy::RoundRobin
    }
    /// nginx `proxy_read_timeout`: 60 s.
    pub fn gateway_timeout() -> Timeout {
        Timeout::Ms(60_000.0)
    }
    /// Two instances.
    pub fn instance_count() -> u32 {
        2
    }
    /// Tomcat `maxThreads`: 200.
    pub fn max_threads() -> u32 {
        200
    }
    /// Tomcat `acceptCount`: 100.
    pub fn accept_queue() -> Capacity {
        Capacity::Limit(100)
    }
    /// Tomcat refuses connections when its accept queue is full.
    pub fn queue_overflow() -> QueueOverflow {
        QueueOverflow::Refuse
    }
    /// Ten thousand products.
    pub fn keyspace() -> u32 {
        10_000
    }
    /// Zipf exponent 1.0.
    pub fn zipf_exponent() -> f64 {
        1.0
    }
    /// Cache TTL: 60 s.
    pub fn ttl_ms() -> f64 {
        60_000.0
    }
    /// A cache lookup over a local network: 0.5 ms.
    pub fn cache_latency_ms() -> f64 {
        0.5
    }
    /// HikariCP `maximumPoolSize`: 10.
    pub fn pool_size() -> u32 {
        10
    }
    /// HikariCP `connectionTimeout`: 30 000 ms.
    pub fn connection_timeout() -> Timeout {
        Timeout::Ms(30_000.0)
    }
    /// Eight database cores.
    pub fn db_cores() -> u32 {
        8
    }
    /// No timeout.
    pub fn no_timeout() -> Timeout {
        Timeout::None
    }
    /// A payment gateway: median 120 ms, p99 800 ms.
    pub fn upstream_latency() -> Dist {
        Dist::Lognormal {
            median_ms: 120.0,
            p99_ms: 800.0,
        }
    }
    /// A connect timeout of 1 s.
    pub fn connect_timeout() -> Timeout {
        Timeout::Ms(1_000.0)
    }
    /// resilience4j's defaults.
    pub fn breaker_preset() -> BreakerPreset {
        BreakerPreset::Resilience4j
    }
    /// 503 with Retry-After.
    pub fn when_open() -> WhenOpen {
        WhenOpen::Unavailable503
    }
    /// A probe every 5 s.
    pub fn health_interval_ms() -> f64 {
        5_000.0
    }
    /// A probe times out after 2 s.
    pub fn health_timeout_ms() -> f64 {
        2_000.0
    }
    /// Three failures take an instance out (Kubernetes `failureThreshold`).
    pub fn unhealthy_threshold() -> u32 {
        3
    }
    /// Two successes bring it back (ALB `HealthyThresholdCount` 2... 5; 2 here).
    pub fn healthy_threshold() -> u32 {
        2
    }
    /// Deep checks fail above 80 % pool use.
    pub fn deep_pool_use_max_pct() -> f64 {
        80.0
    }
    /// With nothing healthy, the balancer answers 503.
    pub fn when_all_unhealthy() -> WhenAllUnhealthy {
        WhenAllUnhealthy::Reject503
    }
    /// Honest status codes.
    pub fn error_handling() -> ErrorHandling {
        ErrorHandling::Honest
    }
    /// Three attempts in all, as many client libraries do.
    pub fn max_attempts() -> u32 {
        3
    }
    /// 100 ms before the first retry.
    pub fn backoff_base_ms() -> f64 {
        100.0
    }
    /// At most 10 s between attempts.
    pub fn backoff_cap_ms() -> f64 {
        10_000.0
    }
    /// Full jitter, the AWS recommendation.
    pub fn jitter() -> Jitter {
        Jitter::Full
    }
    /// Yes.
    pub fn yes() -> bool {
        true
    }
    /// No stampede protection.
    pub fn stampede() -> StampedeProtection {
        StampedeProtection::None
    }
}
