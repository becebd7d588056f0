//! Each setting the page offers does what its table entry says: a setting marked live changes
//! the running simulation (never silently dropped), a restart-only one leaves the run alone
//! and waits for a reset.

use std::collections::BTreeSet;

use outage_lab::app::driver::{Applied, Driver};
use outage_lab::app::knobs::{fmt_number, knob, Input, Knob, Value, KNOBS};
use outage_lab::app::link::LinkState;
use outage_lab::app::pacing::Speed;
use outage_lab::app::presets::PRESETS;
use outage_lab_engine::config::Config;
use outage_lab_engine::{Scenario, SimTime};

/// Values other than `value` a person could enter for `k`, most likely accepted first.
fn other_values(k: &Knob, value: &Value) -> Vec<String> {
    match (k.input, value) {
        (Input::Toggle, Value::Flag(on)) => vec![if *on { "off" } else { "on" }.into()],
        (Input::Choice(options), Value::Choice(current)) => options
            .iter()
            .filter(|(v, _)| v != current)
            .map(|(v, _)| (*v).to_string())
            .collect(),
        (Input::Number { off, slider, .. }, Value::Off) => {
            let back = off.map_or(slider.0, |o| o.back_to);
            vec![fmt_number(back), fmt_number(slider.1)]
        }
        (
            Input::Number {
                off, slider, min, ..
            },
            Value::Number(n),
        ) => {
            let mut out: Vec<String> =
                [n * 2.0, n / 2.0, n + 1.0, n - 1.0, slider.0, slider.1, min]
                    .into_iter()
                    .filter(|v| v != n)
                    .map(|v| fmt_number((v * 1000.0).round() / 1000.0))
                    .collect();
            out.extend(off.map(|o| o.word.to_string()));
            out
        }
        _ => Vec::new(),
    }
}

/// `preset`'s scenario with the sections above `k` switched on as needed (retries before the
/// retry budget, a stampede protection before its parameters), if `k` can apply at all.
fn scenario_for(preset: &str, k: &Knob) -> Option<Scenario> {
    let mut scenario = LinkState::from_preset(preset).expect("bundled").scenario;
    let parts: Vec<&str> = k.id.split('.').collect();
    for n in 1..parts.len() {
        let Some(parent) = knob(&parts[..n].join(".")) else {
            continue;
        };
        if k.get(&scenario).is_some() {
            break;
        }
        let Some(value) = parent.get(&scenario) else {
            continue;
        };
        for text in other_values(parent, &value) {
            if let Ok(change) = parent.apply(&scenario, &text) {
                let opens = knob(&parts[..=n].join("."))
                    .is_none_or(|next| next.get(&change.scenario).is_some());
                if opens {
                    scenario = change.scenario;
                    break;
                }
            }
        }
    }
    k.get(&scenario).is_some().then_some(scenario)
}

/// A driver on `scenario`, five virtual seconds in.
fn running(scenario: &Scenario) -> Driver {
    let mut driver = Driver::new(scenario.clone(), Speed::Max).expect("valid");
    driver.follow(SimTime::from_secs(5), || false);
    driver
}

#[test]
fn every_live_setting_changes_the_running_simulation_and_restart_only_ones_wait() {
    let mut changed_live = BTreeSet::new();
    let mut waited = BTreeSet::new();
    for p in PRESETS {
        for k in KNOBS {
            let Some(scenario) = scenario_for(p.id, k) else {
                continue;
            };
            let value = k.get(&scenario).expect("applies");
            for text in other_values(k, &value) {
                let mut driver = running(&scenario);
                let before = driver.sim().config().clone();
                let Ok(applied) = driver.set_knob(k, &text) else {
                    continue;
                };
                let after = driver.sim().config();
                if k.live() {
                    assert_eq!(applied, Applied::Live, "{} is marked live", k.id);
                    assert_ne!(
                        *after, before,
                        "{} = {text} on {}: accepted live, but the running simulation did not change",
                        k.id, p.id
                    );
                    let mut expected = Config::from_scenario(driver.scenario()).expect("valid");
                    expected.keep_fixed_from(&before);
                    assert_eq!(
                        *after, expected,
                        "{} = {text} on {}: the whole change runs",
                        k.id, p.id
                    );
                    changed_live.insert(k.id);
                } else {
                    assert_eq!(applied, Applied::OnReset, "{} is restart-only", k.id);
                    assert_eq!(
                        *after, before,
                        "{}: a restart-only change leaves the run alone",
                        k.id
                    );
                    assert_eq!(driver.pending_restart(), [k.id]);
                    driver.reset();
                    let fresh = Config::from_scenario(driver.scenario()).expect("valid");
                    assert_eq!(
                        *driver.sim().config(),
                        fresh,
                        "{}: the reset applies it",
                        k.id
                    );
                    waited.insert(k.id);
                }
                break;
            }
        }
    }
    let missed: Vec<&str> = KNOBS
        .iter()
        .map(|k| k.id)
        .filter(|id| !changed_live.contains(id) && !waited.contains(id))
        .collect();
    assert!(
        missed.is_empty(),
        "settings no preset could change: {missed:?}"
    );
}

#[test]
fn a_section_switched_on_starts_from_the_defaults_it_says_it_mirrors() {
    let scenario = LinkState::from_preset("retry-storm")
        .expect("bundled")
        .scenario;
    let on = knob("client.retry.budget")
        .expect("knob")
        .apply(&scenario, "on")
        .expect("valid")
        .scenario;
    let ratio = knob("client.retry.budget.ratio").expect("knob");
    assert_eq!(
        ratio.get(&on),
        Some(Value::Number(0.2)),
        "Finagle's percentCanRetry"
    );
    assert!(ratio.mirrors.contains("0.2"));
    let floor = knob("client.retry.budget.min_retries_per_s").expect("knob");
    assert_eq!(
        floor.get(&on),
        Some(Value::Number(10.0)),
        "Finagle's minRetriesPerSec"
    );
    let baseline = LinkState::from_preset("baseline")
        .expect("bundled")
        .scenario;
    let checked = knob("load_balancer.health_check")
        .expect("knob")
        .apply(&baseline, "on")
        .expect("valid")
        .scenario;
    assert_eq!(
        checked.load_balancer.health_check,
        Some(outage_lab_engine::scenario::HealthCheck::default())
    );
}
