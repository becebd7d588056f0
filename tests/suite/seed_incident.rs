//! The seed incident: a pool of 10 with no acquire timeout meets queries slowed to ~30 s by a
//! missing index at Black-Friday load; and the fix (pool 50, 5 s acquire timeout, 10 s
//! statement timeout, deep health check failing above 80 % pool use).

use crate::common::{bundled, run};
use outage_lab_engine::metrics::StatusCounts;
use outage_lab_engine::observe::Level;

use crate::common::outcomes;

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
    // …fast: 99 % of requests end within acquire + statement timeout (plus CPU work); the
    // slowest few also queued for a worker in the minute the deep health checks flapped.
    assert!(
        summary.latency_ms.p99 < 15_100.0,
        "p99 {}",
        summary.latency_ms.p99
    );
    assert!(
        summary.latency_ms.max < 20_000.0,
        "max {}",
        summary.latency_ms.max
    );
    // …and once the checks settle (every instance fails them, so the balancer fails open) the
    // threads never run out, so cache hits keep succeeding.
    assert!(rows
        .iter()
        .filter(|r| r.t_s > 120)
        .all(|r| r.threads_busy < 800 && r.accept_queue == 0 && r.instances_in_rotation == 0));
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

#[test]
fn a_deep_check_failing_everywhere_without_fail_open_turns_degradation_into_an_outage() {
    let (open_sim, _) = run(bundled("seed-incident-fixed"));
    let config = crate::common::bundled_with("seed-incident-fixed", |s| {
        let h = s
            .load_balancer
            .health_check
            .as_mut()
            .expect("health checks");
        h.when_all_unhealthy = outage_lab_engine::scenario::WhenAllUnhealthy::Reject503;
    });
    let (closed_sim, closed) = run(config);
    let fail_open = success_share(&outcomes(open_sim.seconds(), 121, 240));
    let reject = success_share(&outcomes(closed_sim.seconds(), 121, 240));
    // Every instance's pool is over 80 %, so every instance fails the deep check: rejecting
    // then answers 503 for requests the cache could have served.
    assert!(fail_open > 0.75, "fail open: {fail_open:.3}");
    // (Instances flap in and out as their probes time out, so the survivors also overflow.)
    assert!(
        reject < fail_open - 0.15,
        "reject: {reject:.3} vs fail open {fail_open:.3}"
    );
    assert!(closed.status.unavailable_503 > 5_000, "{:?}", closed.status);
}

/// The log lines of a run, with when and at what level.
fn lines(sim: &outage_lab_engine::Simulation) -> Vec<(f64, Level, &str)> {
    (sim.logs().events())
        .map(|e| (e.t_ms / 1000.0, e.level, e.message.as_str()))
        .collect()
}

#[test]
fn with_no_timeout_the_first_error_is_a_symptom_and_the_warnings_before_it_name_the_cause() {
    let (sim, summary) = run(bundled("seed-incident"));
    // No timeout fires, so nothing about the pool or the query is an error: the first error
    // is the accept queue refusing connections once every thread is blocked.
    let first_error = summary.logs.first_error.as_deref().expect("an incident");
    assert!(first_error.contains("accept queue full"), "{first_error}");
    let incident = &sim.logs().incident_starts()[0];
    // The warnings began before it: HikariCP's leak detection flags the connections the slow
    // queries have held for 2 s, seconds after the index went missing.
    let warning = sim.logs().incident_warnings()[0]
        .as_ref()
        .expect("warnings before it");
    assert!(warning
        .message
        .starts_with("Connection leak detection triggered"));
    assert!(
        (62.0..63.0).contains(&(warning.t_ms / 1000.0)),
        "{warning:?}"
    );
    assert!(warning.t_ms < incident.t_ms);
    // HikariCP's housekeeper logs the waiting requests at 90 s; the ring keeps the newest
    // lines, so look for the stats at the end of the run (240 s).
    let stats: Vec<_> = lines(&sim)
        .into_iter()
        .filter(|(_, _, m)| m.starts_with("HikariPool-1 - Pool stats"))
        .collect();
    assert!(
        !stats.is_empty(),
        "pool stats are logged while requests wait"
    );
    assert!(
        stats.iter().all(|(t, level, m)| *level == Level::Warn
            && *t == 240.0
            && m.contains("idle=0, waiting=")),
        "{stats:?}"
    );
}

#[test]
fn the_slow_query_log_reports_the_queries_that_finish_with_their_durations() {
    // The ring keeps the newest lines: read it every virtual second.
    let mut sim = outage_lab_engine::Simulation::new(bundled("seed-incident"));
    let (mut slow, mut seen, mut first_at) = (Vec::new(), 0, None);
    while !sim.is_finished() {
        sim.run_until(sim.now() + outage_lab_engine::SimDuration::from_secs(1));
        for e in sim.logs().events().filter(|e| e.seq >= seen) {
            if let Some(m) = e.message.strip_prefix("LOG:  duration: ") {
                slow.push(m.split(' ').next().unwrap().parse::<f64>().unwrap());
                first_at = first_at.or(Some(e.t_ms / 1000.0));
                assert_eq!(e.source, outage_lab_engine::observe::LogSource::Database);
            }
        }
        seen = sim.logs().total;
    }
    // Queries that started after 60 s cost about 30 s of work (a lognormal around it) and
    // share 8 cores with 39 others: every one reported is over the 1 s threshold, most over
    // 30 s, and the first comes within a minute of the index going missing.
    assert!(
        slow.len() > 10,
        "slow queries complete before the end: {slow:?}"
    );
    assert!(slow.iter().all(|&ms| ms > 1_000.0), "{slow:?}");
    let mut sorted = slow.clone();
    sorted.sort_by(f64::total_cmp);
    assert!(sorted[sorted.len() / 2] > 30_000.0, "{slow:?}");
    assert!(
        first_at.expect("one logged") < 120.0,
        "first at {first_at:?}"
    );
}

#[test]
fn the_log_thresholds_change_what_is_logged_never_the_run() {
    let (quiet, _) = run(crate::common::bundled_with("seed-incident", |s| {
        s.db_pool.leak_detection_threshold_ms = outage_lab_engine::scenario::Timeout::None;
        s.database.log_min_duration_statement_ms = outage_lab_engine::scenario::Timeout::None;
    }));
    let (logged, _) = run(bundled("seed-incident"));
    assert_eq!(quiet.seconds(), logged.seconds());
    assert!(logged.logs().total > quiet.logs().total);
}
