//! What a run reports: per-second rows, the run summary's parts, the recorder that builds
//! them, and [`Window`], the one rolling-window helper over the rows (5xx rate, hit ratio).
//!
//! The models push observations into the [`Recorder`]; nothing else in the engine keeps
//! statistics. All types here are plain data for the CLI and the UI.

use serde::Serialize;

use crate::histogram::Histogram;
use crate::time::{SimDuration, SimTime};

/// A client-visible outcome of one HTTP attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Status {
    /// The request succeeded.
    Ok200,
    /// The application failed (an unhandled exception).
    Error500,
    /// The load balancer got a bad answer or a refused connection from an instance.
    BadGateway502,
    /// The service refused on purpose (overloaded, shedding).
    Unavailable503,
    /// The load balancer got no answer in time.
    GatewayTimeout504,
    /// The client gave up waiting.
    ClientTimeout,
}

impl Status {
    /// Every status, in display order.
    pub const ALL: [Status; 6] = [
        Status::Ok200,
        Status::Error500,
        Status::BadGateway502,
        Status::Unavailable503,
        Status::GatewayTimeout504,
        Status::ClientTimeout,
    ];

    /// The label used in reports: "200", "500", …, "client_timeout".
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok200 => "200",
            Status::Error500 => "500",
            Status::BadGateway502 => "502",
            Status::Unavailable503 => "503",
            Status::GatewayTimeout504 => "504",
            Status::ClientTimeout => "client_timeout",
        }
    }

    /// True for the statuses that count as a failure for the user.
    pub fn is_failure(self) -> bool {
        self != Status::Ok200
    }

    /// True for the server's error answers: 500, 502, 503, 504 (a client timeout is not one).
    pub fn is_5xx(self) -> bool {
        matches!(
            self,
            Status::Error500
                | Status::BadGateway502
                | Status::Unavailable503
                | Status::GatewayTimeout504
        )
    }
}

/// Why a handler failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// No pool connection became free within the connection timeout.
    PoolAcquireTimeout,
    /// The database cancelled a query at its statement timeout.
    QueryTimeout,
    /// An operator cancelled a long-running query (`pg_cancel_backend`).
    QueryCanceled,
    /// The upstream answered with an error.
    UpstreamError,
    /// The upstream did not answer within the read timeout.
    UpstreamReadTimeout,
    /// The upstream could not be reached within the connect timeout.
    UpstreamConnectTimeout,
    /// The upstream refused the connection.
    UpstreamRefused,
    /// The circuit breaker rejected the call (open, or half-open with every trial taken).
    BreakerOpen,
    /// The instance runs without its configuration (a bad deploy).
    MissingConfig,
    /// The code threw an exception nothing caught (a bug).
    UnhandledException,
    /// The instance cannot reach the database.
    DbUnreachable,
    /// The instance crashed while the request was in progress, or while loading a key others
    /// waited for.
    InstanceCrashed,
}

impl ErrorClass {
    /// Every class, in report order.
    pub const ALL: [ErrorClass; 12] = [
        ErrorClass::PoolAcquireTimeout,
        ErrorClass::QueryTimeout,
        ErrorClass::QueryCanceled,
        ErrorClass::UpstreamError,
        ErrorClass::UpstreamReadTimeout,
        ErrorClass::UpstreamConnectTimeout,
        ErrorClass::UpstreamRefused,
        ErrorClass::BreakerOpen,
        ErrorClass::MissingConfig,
        ErrorClass::UnhandledException,
        ErrorClass::DbUnreachable,
        ErrorClass::InstanceCrashed,
    ];
}

/// Counts by client-visible status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    /// Successes.
    #[serde(rename = "200")]
    pub ok_200: u64,
    /// Application failures.
    #[serde(rename = "500")]
    pub error_500: u64,
    /// Bad gateway.
    #[serde(rename = "502")]
    pub bad_gateway_502: u64,
    /// Refused on purpose.
    #[serde(rename = "503")]
    pub unavailable_503: u64,
    /// Gateway timeout.
    #[serde(rename = "504")]
    pub gateway_timeout_504: u64,
    /// The client gave up.
    pub client_timeout: u64,
}

impl StatusCounts {
    /// Adds one outcome.
    pub fn add(&mut self, status: Status) {
        *self.get_mut(status) += 1;
    }
    /// The count for `status`.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Ok200 => self.ok_200,
            Status::Error500 => self.error_500,
            Status::BadGateway502 => self.bad_gateway_502,
            Status::Unavailable503 => self.unavailable_503,
            Status::GatewayTimeout504 => self.gateway_timeout_504,
            Status::ClientTimeout => self.client_timeout,
        }
    }
    fn get_mut(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::Ok200 => &mut self.ok_200,
            Status::Error500 => &mut self.error_500,
            Status::BadGateway502 => &mut self.bad_gateway_502,
            Status::Unavailable503 => &mut self.unavailable_503,
            Status::GatewayTimeout504 => &mut self.gateway_timeout_504,
            Status::ClientTimeout => &mut self.client_timeout,
        }
    }
    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &StatusCounts) {
        for status in Status::ALL {
            *self.get_mut(status) += other.get(status);
        }
    }
    /// Removes every count of `other` (a part of these counts).
    pub fn subtract(&mut self, other: &StatusCounts) {
        for status in Status::ALL {
            *self.get_mut(status) -= other.get(status);
        }
    }
    /// All outcomes.
    pub fn total(&self) -> u64 {
        Status::ALL.iter().map(|s| self.get(*s)).sum()
    }
    /// All outcomes except 200.
    pub fn failures(&self) -> u64 {
        self.total() - self.ok_200
    }
    /// Outcomes that are 5xx (500, 502, 503, 504).
    pub fn count_5xx(&self) -> u64 {
        Status::ALL
            .iter()
            .filter(|s| s.is_5xx())
            .map(|s| self.get(*s))
            .sum()
    }
    /// Share of outcomes that are 5xx (500, 502, 503, 504); 0 when there are none.
    pub fn rate_5xx(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        self.count_5xx() as f64 / total as f64
    }
    /// Share of outcomes users saw fail (every answer but a 200, client timeouts included);
    /// 0 when there are none.
    pub fn rate_failed(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        self.failures() as f64 / total as f64
    }
}

/// Where an instance's busy worker threads are, by what their request is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ThreadUse {
    /// Waiting for a database pool connection.
    pub pool_wait: u32,
    /// Running a database query (holding a connection).
    pub query: u32,
    /// Calling the payment gateway (or waiting on it).
    pub gateway: u32,
    /// Asking the cache, or waiting for another request's load of the same key.
    pub cache: u32,
    /// Computing on the thread, or writing an error.
    pub working: u32,
}

/// One instance's gauges at the end of a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceGauges {
    /// Worker threads busy.
    pub threads_busy: u32,
    /// The busy threads by what they are doing.
    pub threads: ThreadUse,
    /// Connections waiting in the accept queue.
    pub accept_queue: u32,
    /// Pool connections in use.
    pub pool_active: u32,
    /// Requests waiting for a pool connection.
    pub pool_waiters: u32,
    /// The load balancer sends it traffic.
    pub in_rotation: bool,
    /// The process is down (crashed, or refusing to start).
    pub down: bool,
    /// Outcomes of the attempts it handled during the second (in a per-second row; 0 in a
    /// live snapshot).
    pub answers: u32,
    /// Of those, the 5xx answers.
    pub answers_5xx: u32,
}

/// Everything measured in one virtual second `[t_s - 1, t_s)`; gauges are read at `t_s`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SecondMetrics {
    /// The end of the second, in seconds since the start.
    pub t_s: u64,
    /// Attempts that reached the load balancer.
    pub arrivals: u64,
    /// Outcomes by true status.
    pub status: StatusCounts,
    /// Outcomes by the status monitoring saw (differs from `status` when errors are swallowed).
    pub status_seen: StatusCounts,
    /// The part of `status_seen` from non-critical endpoints (their errors only warn).
    pub status_seen_noncritical: StatusCounts,
    /// Outcomes by true status of each endpoint, in the scenario's order.
    pub endpoints: Vec<StatusCounts>,
    /// New user requests (first attempts).
    pub requests: u64,
    /// Retry attempts sent.
    pub retries: u64,
    /// User requests that ended in success this second (goodput).
    pub goodput: u64,
    /// Median latency of the outcomes, in milliseconds.
    pub latency_p50_ms: f64,
    /// 90th percentile latency, in milliseconds.
    pub latency_p90_ms: f64,
    /// 99th percentile latency, in milliseconds.
    pub latency_p99_ms: f64,
    /// Largest latency, in milliseconds.
    pub latency_max_ms: f64,
    /// 99th percentile latency of the successful outcomes (200), in milliseconds; `None` when
    /// nothing succeeded this second (a total outage must not read as fast).
    pub latency_ok_p99_ms: Option<f64>,
    /// 99th percentile latency of the failed outcomes (every answer but a 200, client timeouts
    /// included), in milliseconds; `None` when nothing failed this second.
    pub latency_failed_p99_ms: Option<f64>,
    /// How long the oldest attempt still waiting for its outcome has waited, at the end of the
    /// second, in milliseconds; `None` when none is in flight.
    pub oldest_in_flight_ms: Option<f64>,
    /// Worker threads busy, all instances.
    pub threads_busy: u32,
    /// Accept-queue length, all instances.
    pub accept_queue: u32,
    /// Pool connections in use, all instances.
    pub pool_active: u32,
    /// Requests waiting for a connection, all instances.
    pub pool_waiters: u32,
    /// Mean wait of the connection acquisitions granted this second, in milliseconds.
    pub pool_wait_ms_mean: f64,
    /// Acquisitions that gave up at the connection timeout.
    pub pool_acquire_timeouts: u64,
    /// Queries started.
    pub db_queries: u64,
    /// Queries running on the database at the end of the second.
    pub db_concurrency: u32,
    /// Cache hits.
    pub cache_hits: u64,
    /// Cache misses.
    pub cache_misses: u64,
    /// Database loads made to fill the cache (misses, early and background refreshes).
    pub cache_loads: u64,
    /// Upstream calls started.
    pub upstream_calls: u64,
    /// Upstream calls that failed (error, timeout, refused).
    pub upstream_failures: u64,
    /// Calls the breakers rejected.
    pub breaker_rejections: u64,
    /// Instances whose breaker is OPEN at the end of the second.
    pub breakers_open: u32,
    /// Instances whose breaker is HALF_OPEN at the end of the second.
    pub breakers_half_open: u32,
    /// Instances the load balancer sends traffic to, at the end of the second.
    pub instances_in_rotation: u32,
    /// Attempts in the system (arrived, no outcome yet) at the end of the second.
    pub in_flight: u64,
    /// Per-instance gauges.
    pub instances: Vec<InstanceGauges>,
}

/// Count, mean and quantiles of a latency, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
}

/// Attempt accounting: arrived = completed + in flight at the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AttemptCounts {
    /// Attempts that reached the load balancer.
    pub arrived: u64,
    /// Attempts with a client-visible outcome.
    pub completed: u64,
    /// Attempts still waiting for an outcome when the run ended.
    pub in_flight_at_end: u64,
}

/// A mean, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MeanMs {
    /// Mean, in milliseconds.
    pub mean: f64,
}

/// Database figures of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct DbSummary {
    /// Queries started.
    pub queries: u64,
    /// Queries cancelled at the statement timeout.
    pub query_timeouts: u64,
    /// Connection acquisitions that timed out.
    pub pool_acquire_timeouts: u64,
    /// Mean wait of granted acquisitions, in milliseconds.
    pub pool_wait_ms_mean: f64,
    /// Most queries running at once.
    pub concurrency_max: u32,
}

/// Cache figures of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CacheSummary {
    /// Lookups that found a fresh entry.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// hits / (hits + misses); 0 when there were no lookups.
    pub hit_ratio: f64,
    /// Hits served from an expired entry (stale-while-revalidate).
    pub stale_hits: u64,
    /// Misses that waited for another request's load (coalescing).
    pub coalesced: u64,
    /// Hits that recomputed early (probabilistic early refresh).
    pub early_refreshes: u64,
    /// Database loads made to fill the cache.
    pub loads: u64,
}

/// Upstream figures of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct UpstreamSummary {
    /// Calls started.
    pub calls: u64,
    /// Calls that failed.
    pub failures: u64,
}

/// User requests (a request and its retries) and the amplification retries cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RequestSummary {
    /// User requests that arrived.
    pub arrived: u64,
    /// User requests whose last attempt succeeded (truly, not a swallowed error).
    pub succeeded: u64,
    /// User requests that ended in failure.
    pub failed: u64,
    /// Successes answered by a fallback (degraded 200).
    pub degraded: u64,
    /// The longest a user request took from its first attempt to its end (retries and their
    /// backoff included), in milliseconds; 0 before any ended.
    pub longest_ms: f64,
}

/// Outcomes of one endpoint's attempts, by true status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EndpointSummary {
    /// The endpoint's name.
    pub name: String,
    /// Its attempts' outcomes.
    pub status: StatusCounts,
}

/// Circuit breaker figures, all instances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BreakerSummary {
    /// Times a breaker opened.
    pub opened: u64,
    /// Calls rejected because the breaker was OPEN.
    pub rejected_open: u64,
    /// Calls rejected in HALF_OPEN because every trial call was taken.
    pub not_permitted: u64,
}

/// Little's law over the run, from two independent bookkeepings: the time-average number of
/// attempts in the system (integrated on every change), and arrival rate times mean time in
/// the system (summed per attempt, truncated at the end of the run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LittlesLaw {
    /// Time-average number in the system (L).
    pub mean_in_system: f64,
    /// Arrivals per second (λ).
    pub arrival_rate_per_s: f64,
    /// Mean time in the system in seconds, in-flight attempts counted up to the end (W).
    pub mean_time_in_system_s: f64,
}

/// Errors by class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCounts {
    /// Pool acquisitions that timed out.
    pub pool_acquire_timeout: u64,
    /// Statement timeouts.
    pub query_timeout: u64,
    /// Queries an operator cancelled.
    pub query_canceled: u64,
    /// Upstream error answers.
    pub upstream_error: u64,
    /// Upstream read timeouts.
    pub upstream_read_timeout: u64,
    /// Upstream connect timeouts.
    pub upstream_connect_timeout: u64,
    /// Upstream refused connections.
    pub upstream_refused: u64,
    /// Calls the circuit breaker rejected.
    pub breaker_open: u64,
    /// Requests on an instance without its configuration.
    pub missing_config: u64,
    /// Requests that ended in an unhandled exception.
    pub unhandled_exception: u64,
    /// Queries on an instance that cannot reach the database.
    pub db_unreachable: u64,
    /// Requests lost or failed because an instance crashed.
    pub instance_crashed: u64,
}

impl ErrorCounts {
    fn add(&mut self, class: ErrorClass) {
        match class {
            ErrorClass::PoolAcquireTimeout => self.pool_acquire_timeout += 1,
            ErrorClass::QueryTimeout => self.query_timeout += 1,
            ErrorClass::UpstreamError => self.upstream_error += 1,
            ErrorClass::UpstreamReadTimeout => self.upstream_read_timeout += 1,
            ErrorClass::UpstreamConnectTimeout => self.upstream_connect_timeout += 1,
            ErrorClass::UpstreamRefused => self.upstream_refused += 1,
            ErrorClass::BreakerOpen => self.breaker_open += 1,
            ErrorClass::MissingConfig => self.missing_config += 1,
            ErrorClass::UnhandledException => self.unhandled_exception += 1,
            ErrorClass::DbUnreachable => self.db_unreachable += 1,
            ErrorClass::InstanceCrashed => self.instance_crashed += 1,
            ErrorClass::QueryCanceled => self.query_canceled += 1,
        }
    }
}

/// Gauges read at the end of a second.
#[derive(Clone, Debug, Default)]
pub struct Gauges {
    /// Per-instance gauges.
    pub instances: Vec<InstanceGauges>,
    /// Queries running on the database.
    pub db_concurrency: u32,
    /// Attempts in the system.
    pub in_flight: u64,
    /// How long the oldest attempt waiting for its outcome has waited, if one is.
    pub oldest_in_flight: Option<SimDuration>,
    /// Instances whose breaker is OPEN.
    pub breakers_open: u32,
    /// Instances whose breaker is HALF_OPEN.
    pub breakers_half_open: u32,
}

/// Collects observations as the models make them.
#[derive(Clone, Debug)]
pub struct Recorder {
    /// Rows of the seconds that have ended.
    pub rows: Vec<SecondMetrics>,
    pub(crate) current: SecondMetrics,
    pub(crate) second_latency: Histogram,
    /// This second's outcomes per instance: (answers, 5xx answers).
    pub(crate) second_instance_answers: Vec<(u32, u32)>,
    /// This second's latencies of successes and of failures, apart.
    pub(crate) second_latency_ok: Histogram,
    pub(crate) second_latency_failed: Histogram,
    pub(crate) second_pool_wait_us: u128,
    pub(crate) second_pool_grants: u64,

    pub(crate) run_latency: Histogram,
    /// Attempts that reached the load balancer.
    pub arrived: u64,
    /// Outcomes by true status over the run.
    pub status: StatusCounts,
    pub(crate) status_seen: StatusCounts,
    pub(crate) by_endpoint: Vec<EndpointSummary>,
    pub(crate) critical: Vec<bool>,
    pub(crate) requests: RequestSummary,
    pub(crate) retries: u64,
    pub(crate) breaker: BreakerSummary,
    pub(crate) queue_wait_us: u128,
    pub(crate) queue_waits: u64,
    pub(crate) pool_wait_us: u128,
    pub(crate) pool_grants: u64,
    pub(crate) db: DbSummary,
    pub(crate) cache: CacheSummary,
    pub(crate) upstream: UpstreamSummary,
    pub(crate) errors: ErrorCounts,
    pub(crate) late_responses: u64,
    pub(crate) expired_dropped: u64,
    /// Sum of (outcome − arrival) over completed attempts, in microseconds.
    pub(crate) sojourn_us: u128,
}

impl Recorder {
    /// An empty recorder for endpoints with these names, critical or not.
    pub fn new(endpoints: &[(String, bool)]) -> Self {
        Recorder {
            rows: Vec::new(),
            current: SecondMetrics::default(),
            second_latency: Histogram::new(),
            second_instance_answers: Vec::new(),
            second_latency_ok: Histogram::new(),
            second_latency_failed: Histogram::new(),
            second_pool_wait_us: 0,
            second_pool_grants: 0,
            run_latency: Histogram::new(),
            arrived: 0,
            status: StatusCounts::default(),
            status_seen: StatusCounts::default(),
            critical: endpoints.iter().map(|(_, critical)| *critical).collect(),
            by_endpoint: endpoints
                .iter()
                .map(|(name, _)| EndpointSummary {
                    name: name.clone(),
                    status: StatusCounts::default(),
                })
                .collect(),
            requests: RequestSummary::default(),
            retries: 0,
            breaker: BreakerSummary::default(),
            queue_wait_us: 0,
            queue_waits: 0,
            pool_wait_us: 0,
            pool_grants: 0,
            db: DbSummary::default(),
            cache: CacheSummary::default(),
            upstream: UpstreamSummary::default(),
            errors: ErrorCounts::default(),
            late_responses: 0,
            expired_dropped: 0,
            sojourn_us: 0,
        }
    }

    /// An attempt reached the load balancer.
    pub fn arrival(&mut self) {
        self.arrived += 1;
        self.current.arrivals += 1;
    }

    /// A new user request arrived (its first attempt follows).
    pub fn request(&mut self) {
        self.requests.arrived += 1;
        self.current.requests += 1;
    }

    /// A retry attempt was sent.
    pub fn retry(&mut self) {
        self.retries += 1;
        self.current.retries += 1;
    }

    /// A user request ended after `took` (from its first attempt): its last attempt's true
    /// status, and whether a fallback answered.
    pub fn request_done(&mut self, status: Status, degraded: bool, took: SimDuration) {
        self.requests.longest_ms = self.requests.longest_ms.max(took.as_millis_f64());
        if status == Status::Ok200 {
            self.requests.succeeded += 1;
            self.current.goodput += 1;
            if degraded {
                self.requests.degraded += 1;
            }
        } else {
            self.requests.failed += 1;
        }
    }

    /// A breaker opened.
    pub fn breaker_opened(&mut self) {
        self.breaker.opened += 1;
    }

    /// A breaker rejected a call; `open` tells OPEN from HALF_OPEN's "not permitted".
    pub fn breaker_rejected(&mut self, open: bool) {
        if open {
            self.breaker.rejected_open += 1;
        } else {
            self.breaker.not_permitted += 1;
        }
        self.current.breaker_rejections += 1;
    }

    /// An attempt got its outcome after `latency`: the true status and the one monitoring saw.
    pub fn outcome(&mut self, endpoint: usize, status: Status, seen: Status, latency: SimDuration) {
        self.status.add(status);
        self.by_endpoint[endpoint].status.add(status);
        self.current.status.add(status);
        if self.current.endpoints.len() <= endpoint {
            self.current
                .endpoints
                .resize(self.by_endpoint.len(), StatusCounts::default());
        }
        self.current.endpoints[endpoint].add(status);
        self.status_seen.add(seen);
        self.current.status_seen.add(seen);
        if !self.critical[endpoint] {
            self.current.status_seen_noncritical.add(seen);
        }
        self.second_latency.record(latency.as_micros());
        if status == Status::Ok200 {
            self.second_latency_ok.record(latency.as_micros());
        } else {
            self.second_latency_failed.record(latency.as_micros());
        }
        self.run_latency.record(latency.as_micros());
        self.sojourn_us += latency.as_micros() as u128;
    }

    /// Instance `instance` handled an attempt that ended with `status`.
    pub fn instance_outcome(&mut self, instance: usize, status: Status) {
        if self.second_instance_answers.len() <= instance {
            self.second_instance_answers.resize(instance + 1, (0, 0));
        }
        let counts = &mut self.second_instance_answers[instance];
        counts.0 += 1;
        if status.is_5xx() {
            counts.1 += 1;
        }
    }

    /// A worker took a request after it waited `wait` in the accept queue.
    pub fn queue_wait(&mut self, wait: SimDuration) {
        self.queue_wait_us += wait.as_micros() as u128;
        self.queue_waits += 1;
    }

    /// A pool connection was granted after `wait`.
    pub fn pool_grant(&mut self, wait: SimDuration) {
        self.pool_wait_us += wait.as_micros() as u128;
        self.pool_grants += 1;
        self.second_pool_wait_us += wait.as_micros() as u128;
        self.second_pool_grants += 1;
    }

    /// A handler failed.
    pub fn error(&mut self, class: ErrorClass) {
        self.errors.add(class);
        match class {
            ErrorClass::PoolAcquireTimeout => {
                self.db.pool_acquire_timeouts += 1;
                self.current.pool_acquire_timeouts += 1;
            }
            ErrorClass::QueryTimeout => self.db.query_timeouts += 1,
            ErrorClass::UpstreamError
            | ErrorClass::UpstreamReadTimeout
            | ErrorClass::UpstreamConnectTimeout
            | ErrorClass::UpstreamRefused => {
                self.upstream.failures += 1;
                self.current.upstream_failures += 1;
            }
            ErrorClass::BreakerOpen
            | ErrorClass::QueryCanceled
            | ErrorClass::MissingConfig
            | ErrorClass::UnhandledException
            | ErrorClass::DbUnreachable
            | ErrorClass::InstanceCrashed => {}
        }
    }

    /// A query started; `running` queries are now on the database.
    pub fn query_started(&mut self, running: u32) {
        self.db.queries += 1;
        self.current.db_queries += 1;
        self.db.concurrency_max = self.db.concurrency_max.max(running);
    }

    /// A cache lookup finished.
    pub fn cache_lookup(&mut self, hit: bool) {
        if hit {
            self.cache.hits += 1;
            self.current.cache_hits += 1;
        } else {
            self.cache.misses += 1;
            self.current.cache_misses += 1;
        }
    }

    /// A hit served stale (stale-while-revalidate).
    pub fn cache_stale_hit(&mut self) {
        self.cache.stale_hits += 1;
    }

    /// A miss waited for another request's load.
    pub fn cache_coalesced(&mut self) {
        self.cache.coalesced += 1;
    }

    /// A hit chose to recompute early.
    pub fn cache_early_refresh(&mut self) {
        self.cache.early_refreshes += 1;
    }

    /// A database load to fill the cache started.
    pub fn cache_load(&mut self) {
        self.cache.loads += 1;
        self.current.cache_loads += 1;
    }

    /// An upstream call started.
    pub fn upstream_call(&mut self) {
        self.upstream.calls += 1;
        self.current.upstream_calls += 1;
    }

    /// A worker dropped a queued request unserved: its client had already given up.
    pub fn expired_dropped(&mut self) {
        self.expired_dropped += 1;
    }

    /// A server finished a request whose client already had an outcome.
    pub fn late_response(&mut self) {
        self.late_responses += 1;
    }

    /// Closes the second ending at `t`, with the gauges read now.
    pub fn close_second(&mut self, t: SimTime, gauges: Gauges) {
        let Gauges {
            instances,
            db_concurrency,
            in_flight,
            oldest_in_flight,
            breakers_open,
            breakers_half_open,
        } = gauges;
        let mut row = std::mem::take(&mut self.current);
        row.endpoints
            .resize(self.by_endpoint.len(), StatusCounts::default());
        row.breakers_open = breakers_open;
        row.breakers_half_open = breakers_half_open;
        row.t_s = t.whole_secs();
        let ms = |us: u64| us as f64 / 1000.0;
        row.latency_p50_ms = ms(self.second_latency.quantile_us(0.50));
        row.latency_p90_ms = ms(self.second_latency.quantile_us(0.90));
        row.latency_p99_ms = ms(self.second_latency.quantile_us(0.99));
        row.latency_max_ms = ms(self.second_latency.max_us());
        self.second_latency.reset();
        let p99 = |h: &mut Histogram| {
            let p = (h.count() > 0).then(|| ms(h.quantile_us(0.99)));
            h.reset();
            p
        };
        row.latency_ok_p99_ms = p99(&mut self.second_latency_ok);
        row.latency_failed_p99_ms = p99(&mut self.second_latency_failed);
        row.oldest_in_flight_ms = oldest_in_flight.map(|d| ms(d.as_micros()));
        row.pool_wait_ms_mean = if self.second_pool_grants == 0 {
            0.0
        } else {
            self.second_pool_wait_us as f64 / self.second_pool_grants as f64 / 1000.0
        };
        self.second_pool_wait_us = 0;
        self.second_pool_grants = 0;
        for g in &instances {
            row.threads_busy += g.threads_busy;
            row.accept_queue += g.accept_queue;
            row.pool_active += g.pool_active;
            row.pool_waiters += g.pool_waiters;
        }
        row.instances_in_rotation = instances.iter().filter(|g| g.in_rotation).count() as u32;
        row.instances = instances;
        for (g, counts) in row
            .instances
            .iter_mut()
            .zip(&mut self.second_instance_answers)
        {
            (g.answers, g.answers_5xx) = std::mem::take(counts);
        }
        row.db_concurrency = db_concurrency;
        row.in_flight = in_flight;
        self.rows.push(row);
    }

    /// Sum of completed attempts' times in the system, in microseconds.
    pub fn completed_sojourn_us(&self) -> u128 {
        self.sojourn_us
    }
}

/// The share of cache lookups that hit; `None` without lookups.
pub fn hit_ratio(hits: u64, misses: u64) -> Option<f64> {
    let lookups = hits + misses;
    (lookups > 0).then(|| hits as f64 / lookups as f64)
}

/// A rolling window over the per-second rows: the figures alerts, readouts and tests compute
/// over "the last n seconds" or "seconds a to b", written once.
#[derive(Clone, Copy, Debug)]
pub struct Window<'a> {
    rows: &'a [SecondMetrics],
}

impl<'a> Window<'a> {
    /// The last `seconds` rows (all of them while fewer have closed).
    pub fn last(rows: &'a [SecondMetrics], seconds: usize) -> Self {
        Window {
            rows: &rows[rows.len().saturating_sub(seconds)..],
        }
    }

    /// The rows whose second ends in `from_s..=to_s` (rows are in time order).
    pub fn between(rows: &'a [SecondMetrics], from_s: u64, to_s: u64) -> Self {
        let start = rows.partition_point(|r| r.t_s < from_s);
        let end = rows.partition_point(|r| r.t_s <= to_s).max(start);
        Window {
            rows: &rows[start..end],
        }
    }

    /// The rows in the window.
    pub fn rows(&self) -> &'a [SecondMetrics] {
        self.rows
    }

    fn sum(&self, field: impl Fn(&SecondMetrics) -> &StatusCounts) -> StatusCounts {
        let mut sum = StatusCounts::default();
        for r in self.rows {
            sum.merge(field(r));
        }
        sum
    }

    /// Outcomes by true status over the window.
    pub fn status(&self) -> StatusCounts {
        self.sum(|r| &r.status)
    }

    /// Outcomes as monitoring saw them over the window.
    pub fn status_seen(&self) -> StatusCounts {
        self.sum(|r| &r.status_seen)
    }

    /// Outcomes monitoring saw from non-critical endpoints over the window.
    pub fn status_seen_noncritical(&self) -> StatusCounts {
        self.sum(|r| &r.status_seen_noncritical)
    }

    /// Outcomes of endpoint `endpoint` (by its index in the scenario) over the window.
    pub fn endpoint_status(&self, endpoint: usize) -> StatusCounts {
        let mut sum = StatusCounts::default();
        for r in self.rows {
            if let Some(c) = r.endpoints.get(endpoint) {
                sum.merge(c);
            }
        }
        sum
    }

    /// The share of outcomes that were 5xx (true status) over the window; 0 without outcomes.
    pub fn error_rate_5xx(&self) -> f64 {
        self.status().rate_5xx()
    }

    /// The share of outcomes monitoring saw as 5xx over the window; 0 without outcomes.
    pub fn error_rate_5xx_seen(&self) -> f64 {
        self.status_seen().rate_5xx()
    }

    /// The cache hit ratio over the window; `None` without lookups.
    pub fn cache_hit_ratio(&self) -> Option<f64> {
        let hits = self.rows.iter().map(|r| r.cache_hits).sum();
        let misses = self.rows.iter().map(|r| r.cache_misses).sum();
        hit_ratio(hits, misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t_s: u64, ok: u64, errors: u64, hits: u64, misses: u64) -> SecondMetrics {
        let mut r = SecondMetrics {
            t_s,
            cache_hits: hits,
            cache_misses: misses,
            ..SecondMetrics::default()
        };
        for _ in 0..ok {
            r.status.add(Status::Ok200);
        }
        for _ in 0..errors {
            r.status.add(Status::Error500);
        }
        r.status_seen = r.status;
        r
    }

    #[test]
    fn a_window_covers_exactly_its_seconds() {
        let rows: Vec<SecondMetrics> = (1..=10).map(|t| row(t, 9, t / 10, 3, 1)).collect();
        assert_eq!(Window::last(&rows, 3).rows().len(), 3);
        assert_eq!(Window::last(&rows, 30).rows().len(), 10);
        let w = Window::between(&rows, 4, 6);
        assert_eq!(
            w.rows().iter().map(|r| r.t_s).collect::<Vec<_>>(),
            [4, 5, 6]
        );
        assert!(Window::between(&rows, 7, 3).rows().is_empty());
        // Only second 10 has an error: 1 of the last two seconds' 19 outcomes.
        assert_eq!(Window::last(&rows, 2).error_rate_5xx(), 1.0 / 19.0);
        assert_eq!(Window::last(&rows, 2).error_rate_5xx_seen(), 1.0 / 19.0);
        assert_eq!(Window::between(&rows, 1, 9).error_rate_5xx(), 0.0);
        assert_eq!(w.cache_hit_ratio(), Some(0.75));
        assert_eq!(Window::last(&[], 5).cache_hit_ratio(), None);
        assert_eq!(hit_ratio(0, 0), None);
    }
}
