//! The seed incident: a pool of 10 with no acquire timeout meets queries slowed to ~30 s by a
//! missing index at Black-Friday load; and the fix (pool 50, 5 s acquire timeout, 10 s
//! statement timeout).

use crate::common::{bundled, run};
use outage_lab_engine::metrics::StatusCounts;
use outage_lab_engine::SecondMetrics;

/// Outcomes summed over the rows whose second ends in `from_s..=to_s`.
fn outcomes(rows: &[SecondMetrics], from_s: u64, to_s: u64) -> StatusCounts {
    let mut sum = StatusCounts::default();
    for r in rows.iter().filter(|r| (from_s..=to_s).contains(&r.t_s)) {
        sum.ok_200 += r.status.ok_200;
        sum.error_500 += r.status.error_500;
        sum.bad_gateway_502 += r.status.bad_gateway_502;
        sum.unavailable_503 += r.status.unavailable_503;
        sum.gateway_timeout_504 += r.status.gateway_timeout_504;
        sum.client_timeout += r.status.client_timeout;
    }
    sum
}

fn success_share(c: &StatusCounts) -> f64 {
    c.ok_200 as f64 / c.total() as f64
}

#[test]
fn before_the_slowdown_both_configurations_are_healthy() {
    for name in ["seed-incident", "seed-incident-fixed"] {
        let (sim, _) = run(bundled(name));
        let healthy = outcomes(sim.seconds(), 1, 60);
        assert!(success_share(&healthy) > 0.99, "{name}: {healthy:?}");
    }
}

#[test]
fn without_an_acquire_timeout_nearly_every_request_fails_within_a_minute() {
    let (sim, summary) = run(bundled("seed-incident"));
    let rows = sim.seconds();
    // The index goes missing at 60 s; from 120 s on, count every outcome.
    let after = outcomes(rows, 121, 240);
    assert!(after.total() > 40_000, "load kept arriving: {after:?}");
    assert!(
        success_share(&after) < 0.01,
        "nearly every request must fail: {after:?}"
    );
    // The failures are the wall of refused connections (502) and gateway timeouts (504):
    // every worker is blocked waiting for a connection, cache hits included.
    assert!(after.bad_gateway_502 + after.gateway_timeout_504 > after.total() * 95 / 100);
    // Waiters pile up in the pools and never time out; the threads are all taken.
    let peak = rows
        .iter()
        .filter(|r| r.t_s > 120)
        .map(|r| r.pool_waiters)
        .max()
        .unwrap_or(0);
    assert!(peak > 700, "pool waiters peaked at {peak}");
    assert!(rows
        .iter()
        .filter(|r| r.t_s > 120)
        .all(|r| r.threads_busy == 800));
    assert_eq!(summary.db.pool_acquire_timeouts, 0);
}

#[test]
fn the_fix_fails_fast_and_keeps_cache_served_reads_alive() {
    let (sim, summary) = run(bundled("seed-incident-fixed"));
    let rows = sim.seconds();
    let after = outcomes(rows, 121, 240);
    // Database-bound requests fail with 500 (acquire timeout 5 s, statement timeout 10 s)…
    assert!(
        after.error_500 as f64 > 0.10 * after.total() as f64,
        "{after:?}"
    );
    assert_eq!(
        after.bad_gateway_502 + after.gateway_timeout_504 + after.client_timeout,
        0
    );
    assert!(summary.db.pool_acquire_timeouts > 5_000 && summary.db.query_timeouts > 2_000);
    // …fast: no request takes longer than acquire + statement timeout (plus CPU work).
    assert!(
        summary.latency_ms.max < 15_100.0,
        "max latency {}",
        summary.latency_ms.max
    );
    // …and the threads never run out, so cache hits keep succeeding.
    assert!(rows
        .iter()
        .all(|r| r.threads_busy < 800 && r.accept_queue == 0));
    let hits: u64 = rows
        .iter()
        .filter(|r| r.t_s > 120)
        .map(|r| r.cache_hits)
        .sum();
    assert!(
        after.ok_200 as f64 >= 0.98 * hits as f64,
        "200s {} vs cache hits {hits}",
        after.ok_200
    );
    assert!(success_share(&after) > 0.75, "{after:?}");
}
