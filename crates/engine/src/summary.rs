//! The run summary, assembled in one place ([`Summary::assemble`]) from the recorder's counts,
//! the simulation's own figures (events, the in-system integral, a stop), the alerts and the
//! log. `metrics` and `observe` each know nothing of the other's output; this module is the
//! one that reads both.

use serde::Serialize;

use crate::histogram::Histogram;
use crate::limits::LimitExceeded;
use crate::metrics::{
    hit_ratio, AttemptCounts, BreakerSummary, CacheSummary, DbSummary, EndpointSummary,
    ErrorCounts, LatencySummary, LittlesLaw, MeanMs, Recorder, RequestSummary, StatusCounts,
    UpstreamSummary,
};
use crate::observe::{AlertEvent, Alerts, LogRing};
use crate::time::SimTime;

/// What a whole run measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// The seed of the run.
    pub seed: u64,
    /// Virtual seconds simulated.
    pub sim_seconds: f64,
    /// Events processed that did work.
    pub events: u64,
    /// Events that had nothing left to do when they fell due (a timeout of an attempt that had
    /// already ended, a superseded arrival candidate), popped or dropped from the queue unrun.
    pub events_skipped: u64,
    /// Set when the run stopped early because it crossed a runtime limit; the figures are
    /// those of the run up to then.
    pub stopped: Option<LimitExceeded>,
    /// Attempt accounting.
    pub attempts: AttemptCounts,
    /// Outcomes by true status.
    pub status: StatusCounts,
    /// Outcomes as monitoring saw them.
    pub status_seen: StatusCounts,
    /// Outcomes per endpoint, in scenario order.
    pub endpoints: Vec<EndpointSummary>,
    /// User requests.
    pub requests: RequestSummary,
    /// Retry attempts sent.
    pub retries: u64,
    /// Attempts per user request (1 without retries).
    pub amplification: f64,
    /// Circuit breaker figures.
    pub breaker: BreakerSummary,
    /// Latency of all outcomes.
    pub latency_ms: LatencySummary,
    /// Time from arrival at an instance until a worker takes the request.
    pub queue_wait_ms: MeanMs,
    /// Database figures.
    pub db: DbSummary,
    /// Cache figures.
    pub cache: CacheSummary,
    /// Upstream figures.
    pub upstream: UpstreamSummary,
    /// Handler failures by class.
    pub errors: ErrorCounts,
    /// Server-side completions that arrived after the client had its outcome (wasted work).
    pub late_responses: u64,
    /// Queued requests dropped unserved because their client had given up (deadline
    /// propagation, `instances.drop_expired`).
    pub expired_dropped: u64,
    /// Little's law figures.
    pub littles_law: LittlesLaw,
    /// Alerts fired during the run, with their resolve times.
    pub alerts: Vec<AlertEvent>,
    /// The log ring's figures.
    pub logs: LogSummary,
}

/// What the log shows of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LogSummary {
    /// Events logged.
    pub events: u64,
    /// Incidents opened (bursts of errors).
    pub incidents: u64,
    /// The message of the first incident's first error: the root cause when an error names it.
    pub first_error: Option<String>,
    /// The message of the first warning of the run of warnings that led up to that error.
    pub first_warning: Option<String>,
}

/// What the simulation knows of a run besides what the recorder counted.
pub(crate) struct RunState<'a> {
    /// The seed of the run.
    pub seed: u64,
    /// The time the summary is taken at.
    pub end: SimTime,
    /// Events that did work.
    pub events: u64,
    /// Events that had nothing left to do.
    pub events_skipped: u64,
    /// The runtime limit the run stopped at, if it did.
    pub stopped: Option<LimitExceeded>,
    /// Attempts without an outcome yet.
    pub in_flight: u64,
    /// The integral of attempts in the system over time, in attempt-microseconds.
    pub in_system_area_us: u128,
    /// The time in the system so far of the attempts still in flight, in microseconds.
    pub in_flight_sojourn_us: u128,
    /// What the models reported.
    pub recorder: &'a Recorder,
    /// The alert history.
    pub alerts: &'a Alerts,
    /// The log ring.
    pub logs: &'a LogRing,
}

fn mean_ms(sum_us: u128, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        sum_us as f64 / n as f64 / 1000.0
    }
}

fn latency(h: &Histogram) -> LatencySummary {
    let ms = |us: u64| us as f64 / 1000.0;
    LatencySummary {
        mean: h.mean_us() / 1000.0,
        p50: ms(h.quantile_us(0.50)),
        p90: ms(h.quantile_us(0.90)),
        p99: ms(h.quantile_us(0.99)),
        max: ms(h.max_us()),
    }
}

fn littles_law(run: &RunState) -> LittlesLaw {
    let r = run.recorder;
    let secs = run.end.as_secs_f64();
    LittlesLaw {
        mean_in_system: if secs > 0.0 {
            run.in_system_area_us as f64 / run.end.as_micros() as f64
        } else {
            0.0
        },
        arrival_rate_per_s: if secs > 0.0 {
            r.arrived as f64 / secs
        } else {
            0.0
        },
        mean_time_in_system_s: if r.arrived == 0 {
            0.0
        } else {
            (r.sojourn_us + run.in_flight_sojourn_us) as f64 / r.arrived as f64 / 1e6
        },
    }
}

fn log_summary(logs: &LogRing) -> LogSummary {
    LogSummary {
        events: logs.total,
        incidents: logs.incident_starts().len() as u64,
        first_error: logs.incident_starts().first().map(|e| e.message.clone()),
        first_warning: (logs.incident_warnings().first())
            .and_then(|w| w.as_ref().map(|w| w.message.clone())),
    }
}

impl Summary {
    /// The summary of a run so far: the one place a [`Summary`] is built.
    pub(crate) fn assemble(run: RunState) -> Summary {
        let r = run.recorder;
        Summary {
            seed: run.seed,
            sim_seconds: run.end.as_secs_f64(),
            events: run.events,
            events_skipped: run.events_skipped,
            stopped: run.stopped,
            attempts: AttemptCounts {
                arrived: r.arrived,
                completed: r.status.total(),
                in_flight_at_end: run.in_flight,
            },
            status: r.status,
            status_seen: r.status_seen,
            endpoints: r.by_endpoint.clone(),
            requests: r.requests,
            retries: r.retries,
            amplification: if r.requests.arrived == 0 {
                0.0
            } else {
                r.arrived as f64 / r.requests.arrived as f64
            },
            breaker: r.breaker,
            latency_ms: latency(&r.run_latency),
            queue_wait_ms: MeanMs {
                mean: mean_ms(r.queue_wait_us, r.queue_waits),
            },
            db: DbSummary {
                pool_wait_ms_mean: mean_ms(r.pool_wait_us, r.pool_grants),
                ..r.db
            },
            cache: CacheSummary {
                hit_ratio: hit_ratio(r.cache.hits, r.cache.misses).unwrap_or(0.0),
                ..r.cache
            },
            upstream: r.upstream,
            errors: r.errors,
            late_responses: r.late_responses,
            expired_dropped: r.expired_dropped,
            littles_law: littles_law(&run),
            alerts: run.alerts.history.clone(),
            logs: log_summary(run.logs),
        }
    }
}
