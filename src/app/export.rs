//! Downloads: the per-second metrics (CSV and JSON), the log ring (JSON lines) and the scenario
//! (JSON). The command-line runner writes the same CSV.

use std::fmt::Write as _;

use outage_lab_engine::observe::LogEvent;
use outage_lab_engine::{Scenario, SecondMetrics};

/// The per-second series as CSV: totals, what monitoring saw, retries and breakers, then each
/// instance's gauges.
pub fn series_csv(rows: &[SecondMetrics]) -> String {
    let instances = rows.first().map_or(0, |r| r.instances.len());
    let mut out = String::from(
        "t_s,arrivals,status_200,status_500,status_502,status_503,status_504,client_timeout,\
         latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_max_ms,threads_busy,accept_queue,\
         pool_active,pool_waiters,pool_wait_ms_mean,pool_acquire_timeouts,db_queries,db_concurrency,\
         cache_hits,cache_misses,upstream_calls,upstream_failures,in_flight,\
         seen_200,seen_500,seen_502,seen_503,seen_504,requests,retries,goodput,cache_loads,\
         breaker_rejections,breakers_open,breakers_half_open,instances_in_rotation,\
         latency_ok_p99_ms,latency_failed_p99_ms,oldest_in_flight_ms",
    );
    for i in 0..instances {
        let _ = write!(
            out,
            ",i{i}_threads_busy,i{i}_accept_queue,i{i}_pool_active,i{i}_pool_waiters"
        );
    }
    out.push('\n');
    for r in rows {
        csv_row(&mut out, r);
    }
    out
}

/// One row of [`series_csv`].
fn csv_row(out: &mut String, r: &SecondMetrics) {
    let s = &r.status;
    let _ = write!(
        out,
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.3},{},{},{},{},{},{},{},{}",
        r.t_s,
        r.arrivals,
        s.ok_200,
        s.error_500,
        s.bad_gateway_502,
        s.unavailable_503,
        s.gateway_timeout_504,
        s.client_timeout,
        r.latency_p50_ms,
        r.latency_p90_ms,
        r.latency_p99_ms,
        r.latency_max_ms,
        r.threads_busy,
        r.accept_queue,
        r.pool_active,
        r.pool_waiters,
        r.pool_wait_ms_mean,
        r.pool_acquire_timeouts,
        r.db_queries,
        r.db_concurrency,
        r.cache_hits,
        r.cache_misses,
        r.upstream_calls,
        r.upstream_failures,
        r.in_flight
    );
    let seen = &r.status_seen;
    let _ = write!(
        out,
        ",{},{},{},{},{},{},{},{},{},{},{},{},{}",
        seen.ok_200,
        seen.error_500,
        seen.bad_gateway_502,
        seen.unavailable_503,
        seen.gateway_timeout_504,
        r.requests,
        r.retries,
        r.goodput,
        r.cache_loads,
        r.breaker_rejections,
        r.breakers_open,
        r.breakers_half_open,
        r.instances_in_rotation
    );
    let blank = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let _ = write!(
        out,
        ",{},{},{}",
        blank(r.latency_ok_p99_ms),
        blank(r.latency_failed_p99_ms),
        blank(r.oldest_in_flight_ms)
    );
    for g in &r.instances {
        let _ = write!(
            out,
            ",{},{},{},{}",
            g.threads_busy, g.accept_queue, g.pool_active, g.pool_waiters
        );
    }
    out.push('\n');
}

/// Writes any value as JSON through `serde_json::Value`: each type's serialization is compiled
/// once (for `Value`) rather than once per output format, which keeps the wasm smaller.
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T, pretty: bool) -> String {
    let value = serde_json::to_value(value).unwrap_or_default();
    if pretty {
        serde_json::to_string_pretty(&value).unwrap_or_default()
    } else {
        value.to_string()
    }
}

/// The per-second series as a JSON array of rows.
pub fn series_json(rows: &[SecondMetrics]) -> String {
    to_json(rows, false)
}

/// The log events as JSON lines, oldest first.
pub fn logs_jsonl<'a>(events: impl Iterator<Item = &'a LogEvent>) -> String {
    let mut out = String::new();
    for e in events {
        out.push_str(&to_json(e, false));
        out.push('\n');
    }
    out
}

/// The scenario as a readable JSON file that `outage-lab run` and the page's import read back.
pub fn scenario_json(scenario: &Scenario) -> String {
    to_json(scenario, true)
}
