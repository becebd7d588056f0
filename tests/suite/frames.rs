//! Driving the engine as a UI frame loop does: small budgeted steps, snapshots in between.

use crate::common::{bundled, bundled_with, run};
use outage_lab_engine::breaker::BreakerState;
use outage_lab_engine::observe::AlertRule;
use outage_lab_engine::{SimDuration, SimTime, Simulation};

#[test]
fn budgeted_frames_reach_exactly_the_uninterrupted_result() {
    let config = bundled("upstream-hang-fixed");
    let (_, whole) = run(config.clone());
    let mut sim = Simulation::new(config);
    let frame = SimDuration::from_millis(250);
    let mut target = SimTime::ZERO;
    let mut frames = 0;
    while !sim.is_finished() {
        let progress = sim.run_until_budget(target, 500);
        assert!(progress.events <= 500);
        if progress.reached {
            target += frame;
        }
        frames += 1;
    }
    assert!(
        frames > 960,
        "the budget split the run into many frames ({frames})"
    );
    assert_eq!(sim.summary(), whole);
}

#[test]
fn a_snapshot_shows_where_the_service_hurts() {
    let mut sim = Simulation::new(bundled("seed-incident"));
    sim.run_until(SimTime::from_secs(150));
    let snap = sim.snapshot();
    assert_eq!(snap.now_s, 150.0);
    assert_eq!(
        snap.active_faults,
        vec![outage_lab_engine::scenario::FaultKind::DbSlow]
    );
    assert!(snap
        .instances
        .iter()
        .all(|i| i.gauges.threads_busy == snap.max_threads));
    assert!(snap
        .instances
        .iter()
        .all(|i| i.gauges.pool_active == snap.pool_max_size));
    assert!(snap.alerts_firing.contains(&AlertRule::ErrorRate5m));
    assert!(snap.alerts_firing.contains(&AlertRule::PoolUsePage));

    let mut sim = Simulation::new(bundled("upstream-hang-fixed"));
    sim.run_until(SimTime::from_secs(100));
    let snap = sim.snapshot();
    assert!(
        snap.instances
            .iter()
            .all(|i| i.breaker == Some(BreakerState::Open)),
        "{:?}",
        snap.instances
    );
    sim.run_until(SimTime::from_secs(240));
    assert!(sim
        .snapshot()
        .instances
        .iter()
        .all(|i| i.breaker == Some(BreakerState::Closed)));
    assert!(sim.snapshot().active_faults.is_empty());
}

#[test]
fn settings_change_live_and_the_invariants_hold_through_the_change() {
    let original = bundled("seed-incident");
    let mut sim = Simulation::new(original.clone());
    sim.run_until(SimTime::from_secs(90));
    // Mid-incident: shrink the threads and the accept queue, grow the pool, add timeouts.
    let fixed = bundled_with("seed-incident", |s| {
        use outage_lab_engine::scenario::{Capacity, Timeout};
        s.instances.max_threads = 100;
        s.instances.accept_queue = Capacity::Limit(20);
        s.db_pool.max_size = 50;
        s.db_pool.connection_timeout_ms = Timeout::Ms(5_000.0);
        s.database.query_timeout_ms = Timeout::Ms(10_000.0);
    });
    sim.reconfigure(fixed.clone())
        .expect("all of these change live");
    sim.check_invariants().expect("right after the change");
    let before = sim.summary().status;
    while sim.step().is_some() {
        if let Err(broken) = sim.check_invariants() {
            panic!("at {}: {broken}", sim.now());
        }
    }
    sim.run_until(sim.end());
    let snap = sim.snapshot();
    // The surplus threads drained away; the queue and pool fit the new sizes.
    assert!(snap
        .instances
        .iter()
        .all(|i| i.gauges.threads_busy <= 100 && i.gauges.accept_queue <= 20));
    let after = sim.summary().status;
    assert!(
        after.error_500 > before.error_500,
        "the new timeouts fail fast with 500"
    );
    assert!(
        after.ok_200 > before.ok_200 + 5_000,
        "cache hits get served again"
    );

    // Settings that cannot change during a run are named, and nothing is applied.
    let other = bundled_with("seed-incident", |s| {
        use outage_lab_engine::scenario::{Capacity, Timeout};
        s.instances.max_threads = 100;
        s.instances.accept_queue = Capacity::Limit(20);
        s.db_pool.max_size = 50;
        s.db_pool.connection_timeout_ms = Timeout::Ms(5_000.0);
        s.database.query_timeout_ms = Timeout::Ms(10_000.0);
        s.instances.count = 5;
        s.cache.keyspace = 7;
    });
    assert_eq!(
        sim.reconfigure(other),
        Err(vec!["instances.count", "cache.keyspace"])
    );
}
