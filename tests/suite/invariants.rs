//! Invariants on randomized scenarios: conservation of attempts, bounded queues and pools,
//! a clock that never goes back, and ordered per-request timestamps (the engine's debug
//! assertions are on in test builds and fire on any disorder).

use outage_lab_engine::scenario::*;
use outage_lab_engine::{Config, Simulation};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};

fn dist() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0.0..20.0f64).prop_map(|ms| Dist::Constant { ms }),
        (0.1..50.0f64).prop_map(|mean_ms| Dist::Exponential { mean_ms }),
        (0.0..10.0f64, 0.0..40.0f64).prop_map(|(a, b)| Dist::Uniform {
            min_ms: a,
            max_ms: a + b
        }),
        (0.5..30.0f64, 1.0..20.0f64).prop_map(|(m, f)| Dist::Lognormal {
            median_ms: m,
            p99_ms: m * f
        }),
    ]
}

fn timeout() -> impl Strategy<Value = Timeout> {
    prop_oneof![Just(Timeout::None), (1.0..3_000.0f64).prop_map(Timeout::Ms)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        dist().prop_map(|duration| Step::Cpu { duration }),
        dist().prop_map(|miss_query| Step::CacheRead { miss_query }),
        dist().prop_map(|cost| Step::DbQuery { cost }),
        Just(Step::UpstreamCall),
    ]
}

/// An operator action early in the run (instance 0 always exists).
fn action() -> impl Strategy<Value = OperatorAction> {
    let kind = prop_oneof![
        Just(ActionKind::RestartInstance),
        Just(ActionKind::RollingRestart),
        Just(ActionKind::KillQueries),
    ];
    (kind, 0.0..15.0f64, 0.0..3.0f64).prop_map(|(kind, at_s, longer_than_s)| OperatorAction {
        kind,
        at_s,
        instance: (kind == ActionKind::RestartInstance).then_some(0),
        longer_than_s: (kind == ActionKind::KillQueries).then_some(longer_than_s),
    })
}

fn fault() -> impl Strategy<Value = Fault> {
    let kind = prop_oneof![
        Just(FaultKind::DbSlow),
        Just(FaultKind::TrafficSpike),
        Just(FaultKind::UpstreamDownFast),
        Just(FaultKind::UpstreamHang),
        Just(FaultKind::UpstreamUnreachable),
        Just(FaultKind::UpstreamSlow),
        Just(FaultKind::UpstreamErrors),
        Just(FaultKind::CacheFlush),
        Just(FaultKind::CacheDown),
        Just(FaultKind::InstanceCrash),
        Just(FaultKind::InstanceDbUnreachable),
        Just(FaultKind::BadDeploy),
    ];
    (
        kind,
        0.0..15.0f64,
        0.5..10.0f64,
        1.0..50.0f64,
        0.0..1.0f64,
        any::<bool>(),
    )
        .prop_map(|(kind, start_s, duration_s, m, e, fail_fast)| Fault {
            kind,
            start_s,
            duration_s,
            // Traffic spikes stay small: the invariant check after every event costs
            // O(attempts), and a 50x spike would make one case take minutes.
            multiplier: match kind {
                FaultKind::TrafficSpike => Some(1.0 + m / 50.0),
                FaultKind::DbSlow | FaultKind::UpstreamSlow => Some(m),
                _ => None,
            },
            error_rate: (kind == FaultKind::UpstreamErrors).then_some(e),
            // Instance 0 always exists.
            instance: matches!(
                kind,
                FaultKind::InstanceCrash | FaultKind::InstanceDbUnreachable | FaultKind::BadDeploy
            )
            .then_some(0),
            fail_fast: (kind == FaultKind::BadDeploy).then_some(fail_fast),
        })
}

fn breaker() -> impl Strategy<Value = Option<Breaker>> {
    proptest::option::of(
        (
            any::<bool>(),
            prop_oneof![
                (1u32..30).prop_map(|calls| BreakerWindow::CountBased { calls }),
                (1u32..5).prop_map(|seconds| BreakerWindow::TimeBased { seconds }),
            ],
            1u32..20,
            1.0..100.0f64,
            (1.0..2_000.0f64, 1u32..5, any::<bool>(), any::<bool>()),
        )
            .prop_map(
                |(hystrix, window, minimum, threshold, (wait_ms, trials, auto, fallback))| {
                    Breaker {
                        preset: if hystrix {
                            BreakerPreset::Hystrix
                        } else {
                            BreakerPreset::Resilience4j
                        },
                        window: Some(window),
                        minimum_calls: Some(minimum),
                        failure_rate_threshold_pct: Some(threshold),
                        slow_call_rate_threshold_pct: Some(threshold),
                        slow_call_duration_ms: Some(200.0),
                        wait_in_open_ms: Some(wait_ms),
                        permitted_calls_in_half_open: Some(trials),
                        automatic_half_open: Some(auto),
                        when_open: if fallback {
                            WhenOpen::Degraded200
                        } else {
                            WhenOpen::Unavailable503
                        },
                    }
                },
            ),
    )
}

fn retry() -> impl Strategy<Value = Option<Retry>> {
    proptest::option::of(
        (
            1u32..4,
            0.0..200.0f64,
            prop_oneof![
                Just(Jitter::None),
                Just(Jitter::Full),
                Just(Jitter::Equal),
                Just(Jitter::Decorrelated)
            ],
            any::<(bool, bool, bool)>(),
            proptest::option::of((0.0..0.5f64, 0.0..20.0f64)),
        )
            .prop_map(
                |(max_attempts, base, jitter, (on_5xx, on_timeout, honor), budget)| Retry {
                    max_attempts,
                    backoff_base_ms: base,
                    backoff_cap_ms: base * 10.0,
                    jitter,
                    retry_on_5xx: on_5xx,
                    retry_on_timeout: on_timeout,
                    honor_retry_after: honor,
                    budget: budget.map(|(ratio, min_retries_per_s)| RetryBudget {
                        ratio,
                        min_retries_per_s,
                    }),
                },
            ),
    )
}

/// Closed-loop groups: a few users each, some a crowd at once, some leaving after a few
/// requests, some with their own client (a total deadline among its settings).
fn user_group() -> impl Strategy<Value = UserGroup> {
    (
        1u32..40,
        1.0..2_000.0f64,
        0.0..3.0f64,
        proptest::option::of(0.0..3.0f64),
        proptest::option::of(1u32..20),
        proptest::option::of((timeout(), timeout(), retry())),
    )
        .prop_map(
            |(count, think_time_ms, start_s, start_spread_s, requests_per_user, client)| {
                UserGroup {
                    name: "users".into(),
                    count,
                    think_time_ms,
                    start_s,
                    start_spread_s,
                    requests_per_user,
                    client: client.map(|(timeout_ms, deadline_ms, retry)| Client {
                        timeout_ms,
                        deadline_ms,
                        retry,
                    }),
                }
            },
        )
}

fn stampede() -> impl Strategy<Value = StampedeProtection> {
    prop_oneof![
        Just(StampedeProtection::None),
        Just(StampedeProtection::Coalescing),
        (0.0..2_000.0f64)
            .prop_map(|stale_ms| StampedeProtection::StaleWhileRevalidate { stale_ms }),
        (0.1..4.0f64).prop_map(|beta| StampedeProtection::ProbabilisticEarlyRefresh { beta }),
    ]
}

prop_compose! {
    fn scenario()(
        seed in any::<u64>(),
        // Most cases are small; some are heavy (tens of thousands of requests/s) and some
        // long (minutes), to reach queues, pools and timers at scale.
        (duration_s, rps) in prop_oneof![
            6 => (2.0..10.0f64, 1.0..150.0f64),
            2 => (0.5..2.0f64, 5_000.0..40_000.0f64),
            2 => (60.0..300.0f64, 1.0..20.0f64),
        ],
        spike in proptest::option::of((0.0..10.0f64, 1.0..5.0f64, 1.0..3.0f64)),
        endpoints in proptest::collection::vec((0.1..10.0f64, proptest::collection::vec(step(), 1..4)), 1..3),
        client_timeout in timeout(),
        deadline in timeout(),
        users in proptest::collection::vec(user_group(), 0..3),
        gateway_timeout in timeout(),
        least_outstanding in any::<bool>(),
        count in 1u32..4,
        max_threads in 1u32..24,
        accept_queue in prop_oneof![Just(Capacity::Unbounded), (0u32..30).prop_map(Capacity::Limit)],
        shed in any::<bool>(),
        drop_expired in any::<bool>(),
        keyspace in 1u32..200,
        ttl_ms in 10.0..5_000.0f64,
        pool in 1u32..6,
        pool_timeout in timeout(),
        cores in 1u32..4,
        query_timeout in timeout(),
        leak in proptest::option::of(2_000.0..5_000.0f64),
        slow_log in timeout(),
        upstream_latency in dist(),
        error_rate in 0.0..0.5f64,
        connect_timeout in timeout(),
        read_timeout in timeout(),
        faults in proptest::collection::vec(fault(), 0..12),
        actions in proptest::collection::vec(action(), 0..3),
        breaker in breaker(),
        retry in retry(),
        stampede_protection in stampede(),
        ttl_jitter_pct in 0.0..50.0f64,
        swallow in any::<bool>(),
        health_check in proptest::option::of((any::<bool>(), 100.0..3_000.0f64, 1u32..4, 1u32..4, 10.0..100.0f64)),
    ) -> Scenario {
        let mut rate = vec![RateComponent::Constant { rps }];
        if let Some((start_s, duration_s, multiplier)) = spike {
            rate.push(RateComponent::Spike { start_s, duration_s, multiplier });
        }
        Scenario {
            version: 1,
            name: "random".into(),
            description: String::new(),
            seed,
            duration_s,
            traffic: Traffic {
                rate,
                endpoints: endpoints
                    .into_iter()
                    .enumerate()
                    .map(|(i, (weight, steps))| Endpoint { name: format!("E{i}"), weight, critical: i == 0, steps })
                    .collect(),
                users,
            },
            client: Client {
                timeout_ms: client_timeout,
                retry,
                deadline_ms: deadline,
            },
            load_balancer: LoadBalancer {
                policy: if least_outstanding { LbPolicy::LeastOutstanding } else { LbPolicy::RoundRobin },
                gateway_timeout_ms: gateway_timeout,
                health_check: health_check.map(|(deep, interval_ms, unhealthy, healthy, pool_pct)| HealthCheck {
                    kind: if deep { HealthCheckKind::Deep } else { HealthCheckKind::Shallow },
                    interval_ms,
                    timeout_ms: interval_ms / 2.0,
                    unhealthy_threshold: unhealthy,
                    healthy_threshold: healthy,
                    deep_pool_use_max_pct: pool_pct,
                    when_all_unhealthy: if deep { WhenAllUnhealthy::FailOpen } else { WhenAllUnhealthy::Reject503 },
                }),
            },
            instances: Instances {
                count,
                max_threads,
                accept_queue,
                queue_overflow: if shed { QueueOverflow::Shed503 } else { QueueOverflow::Refuse },
                drop_expired,
            },
            cache: Cache { keyspace, zipf_exponent: 1.0, ttl_ms, lookup_ms: 0.5, ttl_jitter_pct, stampede_protection },
            db_pool: DbPool {
                max_size: pool,
                connection_timeout_ms: pool_timeout,
                leak_detection_threshold_ms: leak.map_or(Timeout::None, Timeout::Ms),
            },
            database: Database {
                cores,
                query_timeout_ms: query_timeout,
                log_min_duration_statement_ms: slow_log,
            },
            upstream: Upstream {
                latency: upstream_latency,
                error_rate,
                connect_timeout_ms: connect_timeout,
                read_timeout_ms: read_timeout,
                breaker,
            },
            error_handling: if swallow { ErrorHandling::Swallow } else { ErrorHandling::Honest },
            faults,
            actions,
        }
    }
}

/// When to run `check_invariants`, which walks every attempt slot: as many as were ever alive
/// at once (the storage keeps its slots after a burst). After every event while that peak is
/// small; otherwise every 1 009th event (a prime, so it drifts over the event kinds) or every
/// `peak`-th, whichever is rarer, so checking costs O(1) per event amortized and a random case
/// that once had 300 000 attempts alive cannot take minutes once they are gone.
struct CheckCadence {
    next: u64,
    peak_alive: usize,
}

impl CheckCadence {
    fn new() -> CheckCadence {
        CheckCadence {
            next: 0,
            peak_alive: 0,
        }
    }

    fn due(&mut self, events: u64, alive: usize) -> bool {
        self.peak_alive = self.peak_alive.max(alive);
        if self.peak_alive < 256 {
            return true;
        }
        if events < self.next {
            return false;
        }
        self.next = events + 1009.max(self.peak_alive as u64);
        true
    }
}

/// Whether validation takes `scenario` or refuses it only for the work model's limits (stacked
/// random spikes can exceed the arrival-rate limit; such cases are skipped, not failed).
fn within_work_limits(scenario: &Scenario) -> bool {
    match Config::from_scenario(scenario) {
        Ok(_) => true,
        Err(problems) => !problems
            .iter()
            .all(|p| p.message.contains("requests/s at") || p.message.contains("multiply by")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_after_every_event(scenario in scenario()) {
        prop_assume!(within_work_limits(&scenario));
        let config = Config::from_scenario(&scenario).map_err(|p| TestCaseError::fail(format!("{p:?}")))?;
        let seed = config.seed();
        let mut sim = Simulation::new(config);
        let mut last = sim.now();
        let mut n = 0u64;
        let mut cadence = CheckCadence::new();
        while let Some(t) = sim.step() {
            prop_assert!(t >= last, "seed {seed}: clock went back from {last} to {t}");
            last = t;
            n += 1;
            if cadence.due(n, sim.attempts_alive()) {
                if let Err(broken) = sim.check_invariants() {
                    prop_assert!(false, "seed {seed} at {t}: {broken}");
                }
            }
        }
        if let Err(broken) = sim.check_invariants() {
            prop_assert!(false, "seed {seed} at the end: {broken}");
        }
        prop_assert!(sim.stopped().is_none(), "seed {seed}: {:?}", sim.stopped());
        let s = sim.run_to_end();
        prop_assert_eq!(s.attempts.arrived, s.attempts.completed + s.attempts.in_flight_at_end);
        prop_assert_eq!(s.attempts.completed, s.status.total());
        prop_assert_eq!(s.status.total(), s.status_seen.total());
        // Every attempt is a first attempt or a retry; a user request ends at most once.
        prop_assert_eq!(s.attempts.arrived, s.requests.arrived + s.retries);
        prop_assert!(s.requests.succeeded + s.requests.failed <= s.requests.arrived);
        let rows = sim.seconds();
        let by_second: u64 = rows.iter().map(|r| r.status.total()).sum();
        // Outcomes after the last whole second are in the summary but in no row.
        prop_assert!(by_second <= s.status.total());
        prop_assert_eq!(rows.len() as u64, sim.end().whole_secs());
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 150,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_through_a_live_reconfiguration(first in scenario(), second in scenario(), at in 0.1..0.9f64) {
        prop_assume!(within_work_limits(&first) && within_work_limits(&second));
        let config = Config::from_scenario(&first).map_err(|p| TestCaseError::fail(format!("{p:?}")))?;
        let mut next = Config::from_scenario(&second).map_err(|p| TestCaseError::fail(format!("{p:?}")))?;
        // Keep what cannot change during a run; take every live setting from the second.
        next.keep_fixed_from(&config);
        let seed = config.seed();
        let mut sim = Simulation::new(config);
        let switch = outage_lab_engine::SimTime::from_micros((sim.end().as_micros() as f64 * at) as u64);
        sim.run_until(switch);
        prop_assert!(sim.reconfigure(next).is_ok());
        if let Err(broken) = sim.check_invariants() {
            prop_assert!(false, "seed {seed} right after reconfiguring: {broken}");
        }
        let mut cadence = CheckCadence::new();
        while let Some(t) = sim.step() {
            if cadence.due(sim.events(), sim.attempts_alive()) {
                if let Err(broken) = sim.check_invariants() {
                    prop_assert!(false, "seed {seed} at {t}: {broken}");
                }
            }
        }
        let s = sim.run_to_end();
        prop_assert_eq!(s.attempts.arrived, s.attempts.completed + s.attempts.in_flight_at_end);
    }
}
