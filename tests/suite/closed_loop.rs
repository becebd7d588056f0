//! Closed-loop users: the machine-repairman model's exact throughput, users that slow down
//! with the service, total deadlines, crowds that leave, groups with their own clients, and
//! user counts changed live.

use crate::common::{bundled_with, run};
use outage_lab_engine::scenario::{Client, Retry, Scenario, Timeout, UserGroup};
use outage_lab_engine::{Config, SimTime, Simulation};

/// A group of `count` users thinking `think_time_ms` on average, from time zero.
fn users(count: u32, think_time_ms: f64) -> UserGroup {
    UserGroup {
        name: "users".into(),
        count,
        think_time_ms,
        start_s: 0.0,
        start_spread_s: None,
        requests_per_user: None,
        client: None,
    }
}

/// `scenarios/mmc.json` (one instance, c workers, exponential service of mean 10 ms) with its
/// open-loop arrivals replaced by `groups`.
fn mmc_with_users(groups: Vec<UserGroup>, tweak: impl FnOnce(&mut Scenario)) -> Config {
    bundled_with("mmc", |s| {
        s.traffic.rate.clear();
        s.traffic.users = groups;
        tweak(s);
    })
}

/// The finite-source M/M/c queue (N users thinking Z on average, c servers of rate mu): the
/// birth-death chain's stationary throughput, exact for exponential service and insensitive
/// to the think time's distribution.
fn machine_repairman_throughput(n: u32, think_s: f64, c: u32, mu: f64) -> f64 {
    let mut p = vec![1.0f64];
    for k in 0..n {
        let birth = (n - k) as f64 / think_s;
        let death = (k + 1).min(c) as f64 * mu;
        p.push(p[k as usize] * birth / death);
    }
    let total: f64 = p.iter().sum();
    (p.iter().enumerate())
        .map(|(k, pk)| pk / total * (k as u32).min(c) as f64 * mu)
        .sum()
}

#[test]
fn closed_loop_throughput_matches_the_machine_repairman_model() {
    // 8 workers of 100/s each; 80 users thinking 100 ms: offered 800/s at zero response time,
    // so the station is busy and users wait (the throughput is below N / Z).
    let (n, think_s, c, mu) = (80, 0.1, 8, 100.0);
    let expected_x = machine_repairman_throughput(n, think_s, c, mu);
    let expected_r_ms = (n as f64 / expected_x - think_s) * 1000.0;
    assert!(
        expected_x < n as f64 / think_s * 0.9,
        "a loaded case: X = {expected_x}"
    );
    for seed in [1, 2] {
        let config = mmc_with_users(vec![users(n, think_s * 1000.0)], |s| {
            s.seed = seed;
            s.duration_s = 1_000.0;
        });
        let (_, s) = run(config);
        let x = s.requests.succeeded as f64 / 1_000.0;
        assert!(
            (x - expected_x).abs() / expected_x < 0.01,
            "seed {seed}: throughput {x:.2}/s vs {expected_x:.2}/s"
        );
        // The interactive response time law: R = N / X - Z.
        let r_ms = s.latency_ms.mean;
        assert!(
            (r_ms - expected_r_ms).abs() / expected_r_ms < 0.03,
            "seed {seed}: response {r_ms:.3} ms vs {expected_r_ms:.3} ms"
        );
        assert_eq!(s.requests.failed, 0);
    }
}

#[test]
fn users_slow_down_with_the_service_where_open_loop_arrivals_do_not() {
    // One worker, 10 ms per request; 200 users thinking 1 s would send ~200/s, but the worker
    // serves 100/s: the users wait, so they send at the service's pace, no faster.
    let config = mmc_with_users(vec![users(200, 1_000.0)], |s| {
        s.instances.max_threads = 1;
        s.duration_s = 300.0;
    });
    let (sim, s) = run(config);
    let rows = &sim.seconds()[60..];
    let mean_requests = rows.iter().map(|r| r.requests).sum::<u64>() as f64 / rows.len() as f64;
    assert!(
        (90.0..=101.0).contains(&mean_requests),
        "users send at the worker's pace: {mean_requests:.1}/s"
    );
    // The queue stays bounded by the users: never more waiting than there are users.
    let (waiting, present) = sim.users_waiting_and_present();
    assert_eq!(present, 200);
    assert!(
        waiting <= 200 && sim.in_flight() <= 200,
        "{waiting} waiting"
    );
    assert!(
        s.latency_ms.mean > 500.0,
        "and each waits long: {} ms",
        s.latency_ms.mean
    );
}

#[test]
fn a_total_deadline_ends_a_request_and_its_retries_at_the_deadline() {
    // The worker takes 10 s per request; attempts time out after 400 ms and are retried at
    // once up to 10 times, but the user gives up on the request after 1 s in all.
    let config = mmc_with_users(vec![users(5, 1_000.0)], |s| {
        s.traffic.endpoints[0].steps = serde_json::from_str(
            r#"[{"kind": "cpu", "duration": {"kind": "constant", "ms": 10000}}]"#,
        )
        .unwrap();
        s.client = Client {
            timeout_ms: Timeout::Ms(400.0),
            deadline_ms: Timeout::Ms(1_000.0),
            retry: Some(Retry {
                max_attempts: 10,
                backoff_base_ms: 0.0,
                backoff_cap_ms: 0.0,
                ..Retry::default()
            }),
        };
        s.duration_s = 60.0;
    });
    let (_, s) = run(config);
    assert_eq!(s.requests.succeeded, 0);
    assert!(s.requests.failed > 50, "{} failed", s.requests.failed);
    // Attempts at 0, 400 and 800 ms; the third is cut at 1 000 ms by the deadline.
    assert!(
        (s.requests.longest_ms - 1_000.0).abs() < 0.01,
        "longest request {} ms",
        s.requests.longest_ms
    );
    let attempts_per_request = s.attempts.arrived as f64 / s.requests.arrived as f64;
    assert!(
        (2.9..=3.0).contains(&attempts_per_request),
        "three attempts per request, not ten: {attempts_per_request:.2}"
    );
}

#[test]
fn a_crowd_arrives_at_once_sends_its_share_and_leaves() {
    let crowd = UserGroup {
        name: "crowd".into(),
        start_s: 20.0,
        start_spread_s: Some(0.0),
        requests_per_user: Some(3),
        ..users(500, 2_000.0)
    };
    let config = mmc_with_users(vec![crowd], |s| s.duration_s = 120.0);
    let (sim, s) = run(config);
    assert_eq!(s.requests.arrived, 1_500, "500 users x 3 requests");
    let rows = sim.seconds();
    // Row i holds the second ending at i + 1 s; the crowd's first requests come at 20 s sharp.
    assert!(
        rows[..19].iter().all(|r| r.requests == 0),
        "nobody before 20 s"
    );
    assert_eq!(rows[19].requests, 500, "all 500 at 20 s exactly");
    assert!(
        rows[60..].iter().all(|r| r.requests == 0),
        "gone after their three requests"
    );
    assert_eq!(sim.users_waiting_and_present(), (0, 500));
}

#[test]
fn each_group_retries_by_its_own_client() {
    // Every request fails (the gateway answers 500, no breaker): browsers do not retry, a
    // batch job retries up to 5 attempts. Each user sends 20 requests and leaves.
    let browsers = UserGroup {
        requests_per_user: Some(20),
        ..users(10, 500.0)
    };
    let mut batch = browsers.clone();
    batch.name = "batch".into();
    batch.client = Some(Client {
        retry: Some(Retry {
            max_attempts: 5,
            backoff_base_ms: 10.0,
            backoff_cap_ms: 10.0,
            ..Retry::default()
        }),
        ..Client::default()
    });
    let config = mmc_with_users(vec![browsers, batch], |s| {
        s.traffic.endpoints[0].steps =
            serde_json::from_str(r#"[{"kind": "upstream_call"}]"#).unwrap();
        s.upstream.error_rate = 1.0;
        s.duration_s = 100.0;
    });
    let (_, s) = run(config);
    assert_eq!((s.requests.arrived, s.requests.failed), (400, 400));
    // Browsers: one attempt per request; batch: five. Retries = 4 x the batch's 200.
    assert_eq!(s.retries, 800);
    assert_eq!(s.attempts.arrived, 400 + 800);
}

#[test]
fn lowering_the_user_count_live_lets_users_leave_and_raising_it_brings_them_back() {
    let base = mmc_with_users(vec![users(100, 500.0)], |s| s.duration_s = 90.0);
    let with_count = |n: u32| mmc_with_users(vec![users(n, 500.0)], |s| s.duration_s = 90.0);
    let mut sim = Simulation::new(base);
    sim.run_until(SimTime::from_secs(30));
    sim.reconfigure(with_count(20))
        .expect("a user count changes live");
    sim.run_until(SimTime::from_secs(60));
    sim.reconfigure(with_count(200)).expect("and again");
    sim.run_until(SimTime::from_secs(90));
    sim.check_invariants().unwrap();
    let rate = |from: usize, to: usize| {
        let rows = &sim.seconds()[from..to];
        rows.iter().map(|r| r.requests).sum::<u64>() as f64 / rows.len() as f64
    };
    // N / (Z + R) with R ~ 10 ms: ~196, ~39 and ~392 requests/s.
    for (from, to, expected) in [(5, 30, 196.0), (35, 60, 39.2), (65, 90, 392.0)] {
        let r = rate(from, to);
        assert!(
            (r - expected).abs() / expected < 0.12,
            "{from}-{to} s: {r:.1}/s vs {expected}"
        );
    }
    assert_eq!(sim.users_waiting_and_present().1, 200);
}

#[test]
fn user_groups_are_validated_field_by_field() {
    let bad = |tweak: fn(&mut UserGroup)| {
        let mut g = users(10, 100.0);
        tweak(&mut g);
        let (mut scenario, _) =
            outage_lab_engine::load_scenario(&crate::common::scenario_text("mmc")).unwrap();
        scenario.traffic.users = vec![g];
        Config::from_scenario(&scenario).unwrap_err()
    };
    let p = bad(|g| g.count = 0);
    assert_eq!(p[0].path, "traffic.users[0].count", "{p:?}");
    let p = bad(|g| g.think_time_ms = 0.0);
    assert_eq!(p[0].path, "traffic.users[0].think_time_ms", "{p:?}");
    assert!(p[0].message.contains("greater than 0"), "{p:?}");
    let p = bad(|g| g.requests_per_user = Some(0));
    assert_eq!(p[0].path, "traffic.users[0].requests_per_user", "{p:?}");
    let p = bad(|g| g.start_spread_s = Some(f64::NAN));
    assert_eq!(p[0].path, "traffic.users[0].start_spread_s", "{p:?}");
    // 100 000 users thinking 1 ms could send 1e8 requests/s: refused, with the figure.
    let p = bad(|g| {
        g.count = 100_000;
        g.think_time_ms = 1.0;
    });
    assert_eq!(p[0].path, "traffic.users", "{p:?}");
    assert!(p[0].message.contains("100000000 requests/s"), "{p:?}");
    // No open-loop rate and no users: the rate is named.
    let (mut scenario, _) =
        outage_lab_engine::load_scenario(&crate::common::scenario_text("mmc")).unwrap();
    scenario.traffic.rate.clear();
    let p = Config::from_scenario(&scenario).unwrap_err();
    assert_eq!(p[0].path, "traffic.rate", "{p:?}");
}

#[test]
fn a_deadline_lowered_live_leaves_requests_under_way_their_own() {
    // Attempts time out after 400 ms and are retried 1 s later, within a 5 s deadline. At 10 s
    // the deadline drops to 500 ms: requests already under way keep 5 s (their retries still
    // go out), new ones get 500 ms, and nothing is scheduled in the past.
    let with_deadline = |ms: f64| {
        mmc_with_users(vec![users(20, 1_000.0)], |s| {
            s.traffic.endpoints[0].steps = serde_json::from_str(
                r#"[{"kind": "cpu", "duration": {"kind": "constant", "ms": 10000}}]"#,
            )
            .unwrap();
            s.client = Client {
                timeout_ms: Timeout::Ms(400.0),
                deadline_ms: Timeout::Ms(ms),
                retry: Some(Retry {
                    max_attempts: 10,
                    backoff_base_ms: 1_000.0,
                    backoff_cap_ms: 1_000.0,
                    jitter: outage_lab_engine::scenario::Jitter::None,
                    ..Retry::default()
                }),
            };
            s.duration_s = 30.0;
        })
    };
    let mut sim = Simulation::new(with_deadline(5_000.0));
    sim.run_until(SimTime::from_secs(10));
    sim.reconfigure(with_deadline(500.0))
        .expect("a deadline changes live");
    while sim.step().is_some() {
        sim.check_invariants().unwrap();
    }
    let s = sim.summary();
    assert!(
        s.requests.longest_ms <= 5_000.0 + 1e-6,
        "{} ms",
        s.requests.longest_ms
    );
    assert!(s.retries > 0);
}
