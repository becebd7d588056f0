//! Fixing an incident while it runs: what a live change leaves under the old settings, and the
//! operator actions that finish the fix (seed incident: pool of 10, no timeouts, 30 s queries
//! from 60 s on).

use crate::common::{bundled, bundled_with, outcomes};
use outage_lab_engine::scenario::{ActionKind, OperatorAction, Timeout};
use outage_lab_engine::{Config, SimTime, Simulation};

/// The seed incident with the lesson's fix, in as many of its three settings as `settings` says
/// (pool 50, then a 5 s connection timeout, then a 10 s statement timeout).
fn fixed(settings: usize) -> Config {
    bundled_with("seed-incident", |s| {
        s.db_pool.max_size = 50;
        if settings >= 2 {
            s.db_pool.connection_timeout_ms = Timeout::Ms(5000.0);
        }
        if settings >= 3 {
            s.database.query_timeout_ms = Timeout::Ms(10000.0);
        }
    })
}

fn at(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

/// The seed incident at 100 s, with the fix applied one setting at a time, 5 s apart: the
/// pool first, as a responder raising the visible limit would.
fn fixed_one_setting_at_a_time() -> Simulation {
    let mut sim = Simulation::new(bundled("seed-incident"));
    for (settings, t) in [(1, 100), (2, 105), (3, 110)] {
        sim.run_until(at(t));
        sim.reconfigure(fixed(settings))
            .expect("every setting is live");
    }
    sim
}

/// More than 70 % of answers succeed from `from_s` to the end (product pages, 85 % of the
/// traffic, are served again).
fn assert_pages_back(sim: &Simulation, from_s: u64, when: &str) {
    let late = outcomes(sim.seconds(), from_s, 240);
    assert!(
        late.ok_200 as f64 > 0.7 * late.total() as f64,
        "{when}: {late:?}"
    );
}

fn action(kind: ActionKind, longer_than_s: Option<f64>) -> OperatorAction {
    OperatorAction {
        kind,
        at_s: 0.0,
        instance: None,
        longer_than_s,
    }
}

#[test]
fn the_whole_fix_applied_at_once_mid_incident_brings_product_pages_back() {
    let mut sim = Simulation::new(bundled("seed-incident"));
    sim.run_until(at(100));
    sim.reconfigure(fixed(3)).expect("live");
    // 160 new connections went to the oldest waiters, whose queries get the statement
    // timeout; the 600 waiters behind them queued without a connection timeout, and the 40
    // queries running since before the change have no statement timeout.
    let carried = sim.snapshot().carried_over;
    assert_eq!(
        (
            carried.pool_waiters_without_timeout,
            carried.queries_without_timeout
        ),
        (600, 40)
    );
    // The timed queries end within 10 s each and hand their connections down the queue: the
    // old waiters are gone within 40 s. The 40 old queries still hold their connections.
    sim.run_until(at(140));
    let carried = sim.snapshot().carried_over;
    assert_eq!(carried.pool_waiters_without_timeout, 0, "{carried:?}");
    assert!(carried.queries_without_timeout > 30, "{carried:?}");
    sim.run_to_end();
    assert_pages_back(&sim, 180, "product pages (85 %) come back");
}

#[test]
fn the_pool_raised_before_the_timeouts_leaves_work_that_never_times_out() {
    let mut sim = fixed_one_setting_at_a_time();
    sim.run_to_end();
    let snapshot = sim.snapshot();
    let carried = snapshot.carried_over;
    // 40 new connections per instance went to the waiters queued since 60 s, before the
    // statement timeout existed: 200 queries of 30 s now share 8 cores (about 750 s each), and
    // nearly all of them started without a statement timeout.
    assert_eq!(snapshot.db_concurrency, 200);
    assert!(carried.queries_without_timeout >= 190, "{carried:?}");
    // The waiters queued before the connection timeout was set keep none: they are nearly
    // all of them (the few newer ones time out after 5 s and are replaced).
    let waiters: u32 = snapshot
        .instances
        .iter()
        .map(|i| i.gauges.pool_waiters)
        .sum();
    assert!(carried.pool_waiters_without_timeout >= 550, "{carried:?}");
    assert!(
        waiters - carried.pool_waiters_without_timeout < 50,
        "{waiters} waiters"
    );
    // The threads are where the census says: waiting for a connection or in a query.
    for i in &snapshot.instances {
        let t = i.gauges.threads;
        assert_eq!(t.pool_wait + t.query, i.gauges.threads_busy, "{t:?}");
        assert_eq!(i.gauges.threads_busy, 200);
    }
    // So the fix looks like it failed: almost nothing succeeds to the end.
    let late = outcomes(sim.seconds(), 120, 240);
    assert!(late.ok_200 * 50 < late.total(), "{late:?}");
}

#[test]
fn killing_the_long_queries_finishes_the_fix_live() {
    let mut sim = fixed_one_setting_at_a_time();
    sim.run_until(at(120));
    sim.take_action(&action(ActionKind::KillQueries, Some(10.0)))
        .expect("valid");
    sim.run_until(at(121));
    assert_eq!(sim.snapshot().carried_over.queries_without_timeout, 0);
    assert_eq!(sim.summary().errors.query_canceled, 200);
    sim.run_to_end();
    // The freed connections serve the old waiters with the statement timeout (10 s each),
    // then new requests under both timeouts: product pages come back.
    assert_pages_back(&sim, 200, "after the kill");
    assert!(sim.snapshot().carried_over.is_empty());
}

#[test]
fn a_rolling_restart_finishes_the_fix_one_instance_at_a_time() {
    let mut sim = fixed_one_setting_at_a_time();
    sim.run_until(at(120));
    sim.take_action(&action(ActionKind::RollingRestart, None))
        .expect("valid");
    // Instance 0 stops at once; instances 1 to 3 follow 10 s apart.
    sim.run_until(at(125));
    let down: Vec<bool> = sim
        .snapshot()
        .instances
        .iter()
        .map(|i| i.gauges.down)
        .collect();
    assert_eq!(down, [true, false, false, false]);
    sim.run_until(at(135));
    let down: Vec<bool> = sim
        .snapshot()
        .instances
        .iter()
        .map(|i| i.gauges.down)
        .collect();
    assert_eq!(down, [false, true, false, false]);
    sim.run_until(at(161));
    let snapshot = sim.snapshot();
    assert!(snapshot.instances.iter().all(|i| !i.gauges.down));
    // Restarted instances start with the settings of now: no waiter lacks a timeout.
    assert_eq!(snapshot.carried_over.pool_waiters_without_timeout, 0);
    let log: Vec<&str> = sim.logs().events().map(|e| e.message.as_str()).collect();
    assert!(
        log.iter().any(|m| m.contains("rolling restart done")),
        "{log:?}"
    );
    sim.run_to_end();
    assert_pages_back(&sim, 200, "after the restarts");
}

#[test]
fn an_action_taken_live_runs_as_the_same_action_on_the_timeline() {
    let restart = OperatorAction {
        instance: Some(2),
        ..action(ActionKind::RestartInstance, None)
    };
    let mut live = Simulation::new(bundled("seed-incident"));
    live.run_until(at(90));
    let when = live.take_action(&restart).expect("valid");
    let written = bundled_with("seed-incident", |s| {
        s.actions.push(OperatorAction {
            at_s: when.as_micros() as f64 / 1e6,
            ..restart.clone()
        })
    });
    let mut timeline = Simulation::new(written);
    let (mut live_summary, timeline_summary) = (live.run_to_end(), timeline.run_to_end());
    // Stale events dropped by the queue's sweeps are bookkeeping: when a sweep runs depends on
    // the queue's length, which the live action changed by one event for a while.
    live_summary.events_skipped = timeline_summary.events_skipped;
    assert_eq!(live_summary, timeline_summary);
    assert_eq!(live.seconds(), timeline.seconds());
}

#[test]
fn actions_with_missing_or_misplaced_fields_are_refused_by_name() {
    let sim = Simulation::new(bundled("seed-incident"));
    let problems = |a: OperatorAction| {
        sim.check_action_at(&a, at(1))
            .expect_err("invalid")
            .into_iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        problems(action(ActionKind::RestartInstance, None)),
        ["action.instance: is required for kind restart_instance"]
    );
    assert_eq!(
        problems(OperatorAction {
            instance: Some(4),
            ..action(ActionKind::RestartInstance, None)
        }),
        ["action.instance: is 4; there are 4 instances (0 to 3)"]
    );
    assert_eq!(
        problems(action(ActionKind::KillQueries, Some(-1.0))),
        ["action.longer_than_s: is -1; must be from 0 to 86400"]
    );
    assert_eq!(
        problems(action(ActionKind::RollingRestart, Some(3.0))),
        ["action.longer_than_s: is not used by kind rolling_restart"]
    );
}
