//! The figures the page shows in words and numbers, from the per-second rows: the readouts
//! row (last ten seconds), the architecture view's flows (last second) and the A/B table.

use outage_lab_engine::metrics::{hit_ratio, Window};
use outage_lab_engine::SecondMetrics;

use super::driver::Driver;

/// Rows the readouts average over (the last ten virtual seconds).
pub const READOUT_ROWS: usize = 10;

/// The readouts' figures over the last [`READOUT_ROWS`] seconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Readouts {
    /// Outcomes by true status.
    pub status: outage_lab_engine::metrics::StatusCounts,
    /// Outcomes as monitoring saw them.
    pub seen: outage_lab_engine::metrics::StatusCounts,
    /// The worst per-second p99 of successful answers, in milliseconds; `None` when nothing
    /// succeeded (a total outage must not read as fast).
    pub p99_ok_ms: Option<f64>,
    /// The worst per-second p99 of failed answers (client timeouts included), in milliseconds;
    /// `None` when nothing failed.
    pub p99_failed_ms: Option<f64>,
    /// How long the oldest attempt still in flight has waited, at the last second, in
    /// milliseconds; `None` when none is.
    pub oldest_in_flight_ms: Option<f64>,
    /// Mean successful user requests per second.
    pub goodput_per_s: f64,
    /// Each endpoint's outcomes (by true status), in the scenario's order.
    pub endpoints: Vec<outage_lab_engine::metrics::StatusCounts>,
    /// Calls sent per new user request (first attempts and retries over first attempts);
    /// `None` without new requests.
    pub amplification: Option<f64>,
}

/// The largest of the values there are, or `None` when there are none.
fn worst(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values.flatten().reduce(f64::max)
}

impl Readouts {
    /// The figures of the last [`READOUT_ROWS`] of `rows`.
    pub fn of(rows: &[SecondMetrics]) -> Readouts {
        let window = Window::last(rows, READOUT_ROWS);
        let recent = window.rows();
        let n = recent.len().max(1) as f64;
        Readouts {
            status: window.status(),
            seen: window.status_seen(),
            p99_ok_ms: worst(recent.iter().map(|r| r.latency_ok_p99_ms)),
            p99_failed_ms: worst(recent.iter().map(|r| r.latency_failed_p99_ms)),
            oldest_in_flight_ms: recent.last().and_then(|r| r.oldest_in_flight_ms),
            goodput_per_s: recent.iter().map(|r| r.goodput).sum::<u64>() as f64 / n,
            amplification: {
                let requests: u64 = recent.iter().map(|r| r.requests).sum();
                let retries: u64 = recent.iter().map(|r| r.retries).sum();
                (requests > 0).then(|| (requests + retries) as f64 / requests as f64)
            },
            endpoints: (0..recent.last().map_or(0, |r| r.endpoints.len()))
                .map(|e| window.endpoint_status(e))
                .collect(),
        }
    }
}

/// What the architecture view's flows show, from the last row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flow {
    /// Requests per second into the load balancer over the last second.
    pub arrivals_per_s: f64,
    /// Cache hit ratio over the last second, if there were lookups.
    pub cache_hit_ratio: Option<f64>,
    /// Database queries over the last second.
    pub db_queries_per_s: f64,
    /// Gateway calls over the last second.
    pub upstream_calls: u64,
    /// Gateway calls over the last second that failed.
    pub upstream_failures: u64,
    /// Each instance's answers over the last second and how many were 5xx.
    pub instance_answers: Vec<(u32, u32)>,
}

impl Flow {
    /// Instance `i`'s share of 5xx answers over the last second, if it answered any.
    pub fn instance_5xx(&self, i: usize) -> Option<f64> {
        let (answers, failed) = *self.instance_answers.get(i)?;
        (answers > 0).then(|| failed as f64 / answers as f64)
    }
}

impl Flow {
    /// The flows of the last row, or none moving before the first.
    pub fn of(last: Option<&SecondMetrics>) -> Flow {
        Flow {
            arrivals_per_s: last.map_or(0.0, |r| r.arrivals as f64),
            cache_hit_ratio: last.and_then(|r| hit_ratio(r.cache_hits, r.cache_misses)),
            db_queries_per_s: last.map_or(0.0, |r| r.db_queries as f64),
            upstream_calls: last.map_or(0, |r| r.upstream_calls),
            upstream_failures: last.map_or(0, |r| r.upstream_failures),
            instance_answers: last.map_or(Vec::new(), |r| {
                r.instances
                    .iter()
                    .map(|g| (g.answers, g.answers_5xx))
                    .collect()
            }),
        }
    }
}

/// One side's figures in the A/B table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SideFigures {
    /// Share of answers users saw fail (client timeouts included) over the last ten seconds.
    pub users_failed_recent: f64,
    /// Share of 5xx over the last ten seconds.
    pub rate_5xx_recent: f64,
    /// Worst per-second p99 of successes over the last ten seconds, in milliseconds; NaN when
    /// nothing succeeded (shown as "–").
    pub p99_ok_ms_recent: f64,
    /// Worst per-second p99 of failures over the last ten seconds, in milliseconds; NaN when
    /// nothing failed.
    pub p99_failed_ms_recent: f64,
    /// Successful user requests per second over the last ten seconds.
    pub goodput_per_s_recent: f64,
    /// Share of 5xx over the whole run so far.
    pub rate_5xx_run: f64,
    /// User requests over the whole run so far.
    pub requests_run: f64,
    /// Successful user requests over the whole run so far.
    pub succeeded_run: f64,
}

impl SideFigures {
    /// The figures of one side's run so far.
    pub fn of(side: &Driver) -> SideFigures {
        let rows = side.sim().seconds();
        let recent = Readouts::of(rows);
        SideFigures {
            users_failed_recent: recent.status.rate_failed(),
            rate_5xx_recent: recent.status.rate_5xx(),
            p99_ok_ms_recent: recent.p99_ok_ms.unwrap_or(f64::NAN),
            p99_failed_ms_recent: recent.p99_failed_ms.unwrap_or(f64::NAN),
            goodput_per_s_recent: recent.goodput_per_s,
            rate_5xx_run: Window::last(rows, rows.len()).error_rate_5xx(),
            requests_run: rows.iter().map(|r| r.requests).sum::<u64>() as f64,
            succeeded_run: rows.iter().map(|r| r.goodput).sum::<u64>() as f64,
        }
    }
}

/// A row of the A/B table.
pub struct AbRow {
    /// What the row shows.
    pub label: &'static str,
    /// Its `data-testid` stem (`ab-{id}-a`, `ab-{id}-b`).
    pub id: &'static str,
    /// The figure it shows.
    pub pick: fn(&SideFigures) -> f64,
    /// How the figure is written.
    pub show: fn(f64) -> String,
}

/// The rows of the A/B table, in order.
pub static AB_ROWS: [AbRow; 8] = [
    AbRow {
        label: "failed (users), last 10 s",
        id: "failed",
        pick: |f| f.users_failed_recent,
        show: |v| format!("{:.1} %", 100.0 * v),
    },
    AbRow {
        label: "5xx, last 10 s",
        id: "5xx",
        pick: |f| f.rate_5xx_recent,
        show: |v| format!("{:.1} %", 100.0 * v),
    },
    AbRow {
        label: "p99 of successes, last 10 s",
        id: "p99",
        pick: |f| f.p99_ok_ms_recent,
        show: latency_or_dash,
    },
    AbRow {
        label: "p99 of failures, last 10 s",
        id: "p99-failed",
        pick: |f| f.p99_failed_ms_recent,
        show: latency_or_dash,
    },
    AbRow {
        label: "goodput, last 10 s",
        id: "goodput",
        pick: |f| f.goodput_per_s_recent,
        show: |v| format!("{v:.0}/s"),
    },
    AbRow {
        label: "5xx, whole run",
        id: "5xx-run",
        pick: |f| f.rate_5xx_run,
        show: |v| format!("{:.2} %", 100.0 * v),
    },
    AbRow {
        label: "user requests, whole run",
        id: "requests",
        pick: |f| f.requests_run,
        show: |v| format!("{v:.0}"),
    },
    AbRow {
        label: "succeeded, whole run",
        id: "succeeded",
        pick: |f| f.succeeded_run,
        show: |v| format!("{v:.0}"),
    },
];

/// The difference B − A as the table writes it: a sign (none for zero) and the row's format;
/// "–" when either side has no value.
pub fn difference_text(row: &AbRow, a: f64, b: f64) -> String {
    let diff = b - a;
    if diff.is_nan() {
        return "–".into();
    }
    let sign = if diff > 0.0 {
        "+"
    } else if diff < 0.0 {
        "−"
    } else {
        ""
    };
    format!("{sign}{}", (row.show)(diff.abs()))
}

/// A latency as [`latency_text`] writes it, or "–" for none (NaN).
pub fn latency_or_dash(ms: f64) -> String {
    if ms.is_nan() {
        "–".into()
    } else {
        latency_text(ms)
    }
}

/// A latency as the readouts write it: milliseconds below a second, else seconds.
pub fn latency_text(ms: f64) -> String {
    if ms < 1.0 {
        "<1 ms".into()
    } else if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}
