//! Queueing theory: the engine's M/M/c and loss systems against Erlang C and Erlang B,
//! and Little's law over whole runs.

use crate::common::{bundled, bundled_with, erlang_b, erlang_c, run};
use outage_lab_engine::scenario::{Capacity, RateComponent};

#[test]
fn mmc_mean_queue_wait_matches_erlang_c() {
    // scenarios/mmc.json: one instance, c = 8 workers, λ = 600/s, exponential service with
    // mean 10 ms (μ = 100/s), unbounded queue, no timeouts: M/M/8 at ρ = 0.75.
    let (c, lambda, mu) = (8u32, 600.0, 100.0);
    let expected_wq_ms = erlang_c(c, lambda / mu) / (c as f64 * mu - lambda) * 1000.0;
    for seed in [1, 2] {
        let config = bundled_with("mmc", |s| {
            s.seed = seed;
            s.duration_s = 3_000.0;
        });
        let (_, s) = run(config);
        let wq = s.queue_wait_ms.mean;
        let error = (wq - expected_wq_ms).abs() / expected_wq_ms;
        assert!(
            error < 0.03,
            "seed {seed}: mean queue wait {wq:.4} ms vs Erlang C {expected_wq_ms:.4} ms ({:.2}% off)",
            100.0 * error
        );
        // Mean response time = Wq + 1/μ.
        let w_ms = s.latency_ms.mean;
        let expected_w_ms = expected_wq_ms + 1000.0 / mu;
        assert!(
            (w_ms - expected_w_ms).abs() / expected_w_ms < 0.01,
            "W {w_ms} vs {expected_w_ms}"
        );
    }
}

#[test]
fn loss_system_rejection_rate_matches_erlang_b() {
    // c = 10 workers, no waiting room (accept queue 0, refused => 502), offered load 8 Erlang.
    let (c, lambda, mu) = (10u32, 800.0, 100.0);
    let expected = erlang_b(c, lambda / mu);
    for seed in [3, 4] {
        let config = bundled_with("mmc", |s| {
            s.seed = seed;
            s.instances.max_threads = c;
            s.instances.accept_queue = Capacity::Limit(0);
            s.traffic.rate = vec![RateComponent::Constant { rps: lambda }];
            s.duration_s = 2_000.0;
        });
        let (_, s) = run(config);
        let completed = s.attempts.completed as f64;
        let rejected = s.status.bad_gateway_502 as f64 / completed;
        let error = (rejected - expected).abs() / expected;
        assert!(
            error < 0.03,
            "seed {seed}: rejection rate {rejected:.5} vs Erlang B {expected:.5} ({:.2}% off)",
            100.0 * error
        );
        assert_eq!(s.queue_wait_ms.mean, 0.0, "a loss system never queues");
    }
}

#[test]
fn littles_law_holds_over_whole_runs() {
    for name in ["mmc", "baseline", "seed-incident", "seed-incident-fixed"] {
        let (_, s) = run(bundled(name));
        let l = s.littles_law;
        let lambda_w = l.arrival_rate_per_s * l.mean_time_in_system_s;
        // Both sides are computed independently (time integral vs per-attempt sums,
        // in-flight attempts truncated at the end), so they agree to rounding.
        assert!(
            (l.mean_in_system - lambda_w).abs() <= 1e-9 * l.mean_in_system.max(1.0),
            "{name}: L = {} but λW = {lambda_w}",
            l.mean_in_system
        );
        assert!(
            l.mean_in_system > 0.0,
            "{name}: an empty system tests nothing"
        );
    }
}
