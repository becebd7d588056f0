//! Writes link fixtures for the current format, by hand, when a new link format is released:
//! `cargo test --test suite gen_fixtures -- --ignored`. Fixtures of released formats are never
//! rewritten: `app::links_of_every_format_version_open_the_same_scenario_today` reads them all.

use outage_lab::app::knobs::knob;
use outage_lab::app::link::{encode, LinkState, LINK_VERSION};
use outage_lab::app::pacing::Speed;
use outage_lab_engine::scenario::{Fault, FaultKind};

fn cases() -> Vec<(&'static str, LinkState)> {
    let mut a = LinkState::from_preset("seed-incident").unwrap();
    for (id, v) in [
        ("db_pool.max_size", "50"),
        ("db_pool.connection_timeout_ms", "5000"),
        ("load_balancer.health_check", "on"),
    ] {
        a.scenario = knob(id).unwrap().apply(&a.scenario, v).unwrap().scenario;
    }
    a.scenario.seed = 77;
    a.speed = Speed::Times(25.0);
    let mut b = LinkState::from_preset("baseline").unwrap();
    b.scenario = knob("upstream.breaker")
        .unwrap()
        .apply(&b.scenario, "on")
        .unwrap()
        .scenario;
    b.scenario.faults.push(Fault {
        kind: FaultKind::DbSlow,
        start_s: 40.000001,
        duration_s: 60.0,
        multiplier: Some(1000.0),
        error_rate: None,
        instance: None,
        fail_fast: None,
    });
    let mut c = LinkState::from_preset("upstream-hang-fixed").unwrap();
    c.scenario = knob("upstream.breaker")
        .unwrap()
        .apply(&c.scenario, "off")
        .unwrap()
        .scenario;
    c.speed = Speed::Max;
    let mut d = LinkState::from_preset("seed-incident").unwrap();
    let mut fixed = d.scenario.clone();
    for (id, v) in [
        ("db_pool.max_size", "50"),
        ("db_pool.connection_timeout_ms", "5000"),
    ] {
        fixed = knob(id).unwrap().apply(&fixed, v).unwrap().scenario;
    }
    d.compare = Some(fixed);
    vec![
        ("pool-fix", a),
        ("fault-and-breaker", b),
        ("breaker-off", c),
        ("ab-pool", d),
    ]
}

#[test]
#[ignore = "writes the current format's link fixtures; run by hand for a new format"]
fn gen_fixtures() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/links");
    for (name, state) in cases() {
        let stem = format!("{dir}/v{LINK_VERSION}-{name}");
        std::fs::write(format!("{stem}.link"), encode(&state) + "\n").unwrap();
        let expected = serde_json::json!({
            "preset": state.preset,
            "speed": state.speed.as_param(),
            "scenario": state.scenario,
            "compare": state.compare,
        });
        std::fs::write(
            format!("{stem}.expected.json"),
            serde_json::to_string_pretty(&expected).unwrap() + "\n",
        )
        .unwrap();
    }
}
