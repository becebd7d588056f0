//! The web app's logic, natively: its settings agree with the engine's validation, links
//! round-trip and refuse what is broken, and the driver paces runs without changing them.

use outage_lab::app::driver::{Applied, Driver};
use outage_lab::app::knobs::{knob, Input, Value, KNOBS};
use outage_lab::app::link::{decode, encode, LinkState, LINK_VERSION};
use outage_lab::app::pacing::Speed;
use outage_lab::app::presets::PRESETS;
use outage_lab_engine::config::Config;
use outage_lab_engine::scenario::{Fault, FaultKind};
use outage_lab_engine::{parse_scenario, Scenario, Simulation};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn preset_scenario(id: &str) -> Scenario {
    LinkState::from_preset(id).expect("bundled").scenario
}

fn value_text(v: &Value, off: Option<&str>) -> String {
    match v {
        Value::Number(n) => format!("{n}"),
        Value::Off => off.unwrap_or("none").into(),
        Value::Choice(c) => c.clone(),
        Value::Flag(b) => b.to_string(),
    }
}

#[test]
fn every_preset_is_valid_and_its_fix_names_real_settings() {
    assert!(PRESETS.len() >= 10);
    for p in PRESETS {
        let scenario =
            parse_scenario(p.scenario_json).unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
        Config::from_scenario(&scenario).unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
        for id in p.fix_knobs {
            assert!(knob(id).is_some(), "{}: no setting {id}", p.id);
        }
        if let Some(other) = p.counterpart {
            assert!(PRESETS.iter().any(|q| q.id == other), "{}: {other}", p.id);
        }
    }
}

#[test]
fn every_setting_reads_back_what_it_writes_on_every_preset() {
    for p in PRESETS {
        let scenario = preset_scenario(p.id);
        for k in KNOBS {
            let Some(value) = k.get(&scenario) else {
                continue;
            };
            let off = match k.input {
                Input::Number { off, .. } => off.map(|o| o.word),
                _ => None,
            };
            let again = k
                .apply(&scenario, &value_text(&value, off))
                .unwrap_or_else(|e| panic!("{} on {}: {e:?}", k.id, p.id))
                .scenario;
            assert_eq!(k.get(&again), Some(value.clone()), "{} on {}", k.id, p.id);
            if let Input::Choice(options) = k.input {
                for (option, _) in options {
                    let changed = k.apply(&scenario, option);
                    if let Ok(changed) = changed {
                        assert_eq!(
                            k.get(&changed.scenario),
                            Some(Value::Choice((*option).into())),
                            "{}",
                            k.id
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn out_of_range_and_unreadable_values_are_refused_naming_the_setting() {
    // Every setting shows on some preset once its section is switched on: the closed-loop
    // users' on the users' preset, every other on the fixed hang.
    let sections_on = |mut scenario: Scenario| {
        for id in [
            "client.retry",
            "client.retry.budget",
            "load_balancer.health_check",
        ] {
            scenario = knob(id).unwrap().apply(&scenario, "on").expect(id).scenario;
        }
        scenario
    };
    let scenario = sections_on(preset_scenario("upstream-hang-fixed"));
    let of_users = |id: &str| id.starts_with("traffic.users");
    refuses_bad_values(&scenario, |id| !of_users(id));
    let users = preset_scenario("retry-storm-users");
    assert!(knob("traffic.users[0].count")
        .unwrap()
        .get(&users)
        .is_some());
    refuses_bad_values(&users, of_users);
}

/// Every setting `checked` picks applies to `scenario` (but those of a stampede protection
/// not chosen) and refuses unreadable, too large and too small values, naming itself.
fn refuses_bad_values(scenario: &Scenario, checked: impl Fn(&str) -> bool) {
    let scenario = scenario.clone();
    for k in KNOBS.iter().filter(|k| checked(k.id)) {
        if k.get(&scenario).is_none() {
            assert!(
                [
                    "cache.stampede_protection.stale_ms",
                    "cache.stampede_protection.beta",
                ]
                .contains(&k.id),
                "{} does not apply",
                k.id
            );
            continue;
        }
        let bad = k.apply(&scenario, "twelve").expect_err(k.id);
        assert_eq!(bad.len(), 1);
        assert!(k.owns(&bad[0].path), "{}: {:?}", k.id, bad[0]);
        if let Input::Number {
            min,
            min_exclusive,
            max,
            integer,
            ..
        } = k.input
        {
            let above = if integer { max + 1.0 } else { max * 1.5 + 1.0 };
            let problems = k.apply(&scenario, &format!("{above}")).expect_err(k.id);
            assert!(
                problems.iter().any(|p| k.owns(&p.path)),
                "{} above max: {problems:?}",
                k.id
            );
            let below = if min_exclusive { min } else { min - 1.0 };
            let problems = k.apply(&scenario, &format!("{below}")).expect_err(k.id);
            assert!(
                problems.iter().any(|p| k.owns(&p.path)),
                "{} below min: {problems:?}",
                k.id
            );
            if integer {
                let problems = k
                    .apply(&scenario, &format!("{}.5", min.max(1.0)))
                    .expect_err(k.id);
                assert!(problems[0].message.contains("whole number"), "{problems:?}");
            }
        }
    }
}

#[test]
fn links_round_trip_every_preset_and_changes() {
    for p in PRESETS {
        let state = LinkState::from_preset(p.id).unwrap();
        let query = encode(&state);
        assert!(
            !query.contains("&z="),
            "an unchanged preset needs no diff: {query}"
        );
        assert_eq!(decode(&query).unwrap(), state);
    }
    let mut state = LinkState::from_preset("seed-incident").unwrap();
    state.scenario = knob("db_pool.max_size")
        .unwrap()
        .apply(&state.scenario, "50")
        .unwrap()
        .scenario;
    state.scenario = knob("db_pool.connection_timeout_ms")
        .unwrap()
        .apply(&state.scenario, "5000")
        .unwrap()
        .scenario;
    state.scenario = knob("load_balancer.health_check")
        .unwrap()
        .apply(&state.scenario, "on")
        .unwrap()
        .scenario;
    state.scenario.seed = 77;
    state.speed = Speed::Times(25.0);
    let query = encode(&state);
    assert!(query.len() < 600, "{} characters: {query}", query.len());
    assert!(query.starts_with(&format!("v={LINK_VERSION}&")));
    assert_eq!(decode(&format!("?{query}")).unwrap(), state);
    // Switching a section off travels too (a null in the merge patch).
    let mut off = LinkState::from_preset("upstream-hang-fixed").unwrap();
    off.scenario = knob("upstream.breaker")
        .unwrap()
        .apply(&off.scenario, "off")
        .unwrap()
        .scenario;
    assert_eq!(decode(&encode(&off)).unwrap(), off);
}

#[test]
fn broken_links_say_what_is_wrong() {
    let cases = [
        ("v=9&preset=baseline", "v", "newer"),
        ("v=x&preset=baseline", "v", "link formats 1 to 2"),
        ("preset=baseline", "v", "missing"),
        ("v=1&preset=nope", "preset", "not a preset"),
        ("v=1&preset=baseline&speed=3", "speed", "not one of"),
        ("v=1&preset=baseline&seed=-4", "seed", "whole number"),
        ("v=1&preset=baseline&d=!!!", "d", "base64"),
        ("v=1&preset=baseline&d=bm90IGpzb24", "d", "not JSON"),
        ("v=1&preset=baseline&d=WzFd", "d", "object"),
        // {"db_pool":{"max_size":0}}
        (
            "v=1&preset=baseline&d=eyJkYl9wb29sIjp7Im1heF9zaXplIjowfX0",
            "db_pool.max_size",
            "from 1",
        ),
        // {"db_pool":{"max_sise":3}}
        (
            "v=1&preset=baseline&d=eyJkYl9wb29sIjp7Im1heF9zaXNlIjozfX0",
            "db_pool.max_sise",
            "unknown",
        ),
        ("v=1&preset=%zz", "preset", "%-escape"),
    ];
    for (query, field, words) in cases {
        let e = decode(query).expect_err(query);
        assert_eq!(e.field, field, "{query}: {e}");
        assert!(e.message.contains(words), "{query}: {e}");
    }
    // Version 2: compressed changes; the other version's field is refused.
    for (query, field, words) in [
        (
            "v=2&preset=baseline&d=eyJkYl9wb29sIjp7Im1heF9zaXplIjowfX0",
            "d",
            "not part of link format 2",
        ),
        (
            "v=1&preset=baseline&z=AAAA",
            "z",
            "not part of link format 1",
        ),
        (
            "v=2&preset=baseline&z=bm90IGRlZmxhdGVk",
            "z",
            "not deflated",
        ),
    ] {
        let e = decode(query).expect_err(query);
        assert_eq!(e.field, field, "{query}: {e}");
        assert!(e.message.contains(words), "{query}: {e}");
    }
    // A deflate bomb (a megabyte of spaces in a few hundred bytes) stops at the limit.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b' '; 1 << 20], 9);
    let query = format!("v=2&preset=baseline&z={}", base64_url(&bomb));
    assert!(query.len() < 4_000, "{}", query.len());
    let e = decode(&query).expect_err("bomb");
    assert!(e.message.contains("inflates to more than"), "{e}");
    let long = format!("v=1&d={}", "A".repeat(20_000));
    assert_eq!(decode(&long).expect_err("long").field, "link");
    // No link parameters at all: the default page (other parameters are the host's business).
    assert_eq!(decode("").unwrap(), LinkState::default_state());
    assert_eq!(decode("?utm_source=x").unwrap(), LinkState::default_state());
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn links_of_every_format_version_open_the_same_scenario_today() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/links");
    let mut versions = std::collections::BTreeSet::new();
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.to_str().and_then(|p| p.strip_suffix(".link")) else {
            continue;
        };
        let link = std::fs::read_to_string(&path).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{stem}.expected.json")).unwrap(),
        )
        .unwrap();
        let state = decode(link.trim()).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(state.preset, expected["preset"], "{stem}");
        assert_eq!(state.speed.as_param(), expected["speed"], "{stem}");
        let scenario: Scenario = serde_json::from_value(expected["scenario"].clone()).unwrap();
        assert_eq!(state.scenario, scenario, "{stem}");
        let compare: Option<Scenario> =
            serde_json::from_value(expected.get("compare").cloned().unwrap_or_default()).unwrap();
        assert_eq!(state.compare, compare, "{stem}");
        versions.insert(link.split('&').next().unwrap().to_string());
        count += 1;
    }
    let every: std::collections::BTreeSet<String> = (outage_lab::app::link::LINK_VERSION_OLDEST
        ..=LINK_VERSION)
        .map(|v| format!("v={v}"))
        .collect();
    assert_eq!(versions, every, "a fixture for every format version");
    assert!(count >= 7);
}

#[test]
fn a_b_links_carry_side_b_as_changes_to_side_a() {
    let mut state = LinkState::from_preset("upstream-hang").unwrap();
    let b = knob("upstream.read_timeout_ms")
        .unwrap()
        .apply(&state.scenario, "2000")
        .unwrap()
        .scenario;
    let b = knob("upstream.breaker")
        .unwrap()
        .apply(&b, "on")
        .unwrap()
        .scenario;
    state.compare = Some(b);
    state.scenario.seed = 9;
    state.compare.as_mut().unwrap().seed = 9;
    let query = encode(&state);
    assert!(query.contains("&b="), "{query}");
    assert!(query.len() < 400, "{query}");
    assert_eq!(decode(&query).unwrap(), state);
    let e = decode("v=1&preset=baseline&b=AAAA").expect_err("b in format 1");
    assert_eq!(e.field, "b");
}

#[test]
fn side_b_is_a_copy_of_the_run_that_only_changes_what_is_changed() {
    // A copy made mid-run continues exactly as the original (same instant, same streams) ...
    let mut a = Driver::new(preset_scenario("seed-incident"), Speed::Max).unwrap();
    a.play();
    while a.sim().now().whole_secs() < 30 {
        a.frame(16.0, || true);
    }
    let mut b = a.clone();
    let mut same = a.clone();
    // ... and a fixed pool on side B changes outcomes but not who arrives when (common random
    // numbers: arrivals, endpoints and keys come from their own streams).
    b.set_knob(knob("db_pool.max_size").unwrap(), "50").unwrap();
    b.set_knob(knob("db_pool.connection_timeout_ms").unwrap(), "5000")
        .unwrap();
    run_driver_to_end(&mut a, 5);
    run_driver_to_end(&mut b, 5);
    run_driver_to_end(&mut same, 9);
    assert_eq!(same.sim().summary(), a.sim().summary());
    let arrivals = |d: &Driver| {
        d.sim()
            .seconds()
            .iter()
            .map(|r| r.arrivals)
            .collect::<Vec<_>>()
    };
    assert_eq!(arrivals(&a), arrivals(&b));
    let (sa, sb) = (a.sim().summary(), b.sim().summary());
    assert!(
        sb.status.ok_200 > sa.status.ok_200,
        "{:?} vs {:?}",
        sb.status,
        sa.status
    );
    assert!(
        sb.status.error_500 > sa.status.error_500 + 100,
        "side B fails fast with 500 (acquire timeouts)"
    );
}

#[test]
fn a_whole_imported_scenario_fits_in_a_short_link() {
    // Every preset's scenario, carried in full as changes to another preset's.
    for p in PRESETS {
        let state = LinkState {
            preset: "mmc".into(),
            scenario: preset_scenario(p.id),
            speed: Speed::Times(1.0),
            compare: None,
            challenge: None,
        };
        let query = encode(&state);
        assert!(query.len() < 2_000, "{}: {} characters", p.id, query.len());
        assert_eq!(decode(&query).unwrap(), state, "{}", p.id);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 500,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_link_makes_decoding_panic(tail in ".{0,200}", d in "[A-Za-z0-9_=-]{0,120}") {
        let _ = decode(&tail);
        let _ = decode(&format!("v=1&preset=baseline&d={d}"));
        let _ = decode(&format!("v=2&preset=baseline&z={d}"));
        let _ = decode(&format!("v=1&{tail}"));
    }
}

fn run_driver_to_end(driver: &mut Driver, budget_chunks: u32) -> u32 {
    driver.play();
    let mut frames = 0;
    while driver.is_playing() {
        let mut chunks = 0;
        driver.frame(16.0, || {
            chunks += 1;
            chunks >= budget_chunks
        });
        frames += 1;
    }
    frames
}

#[test]
fn the_driver_paces_a_run_without_changing_it() {
    let scenario = preset_scenario("seed-incident");
    let mut uninterrupted = Simulation::new(Config::from_scenario(&scenario).unwrap());
    let expected = uninterrupted.run_to_end();

    let mut driver = Driver::new(scenario.clone(), Speed::Max).unwrap();
    let frames = run_driver_to_end(&mut driver, 4);
    assert!(frames > 10, "{frames} frames: the budget splits the run");
    assert_eq!(driver.sim().summary(), expected);

    // At 100x a frame of 16 ms asks for 1.6 virtual seconds; with one chunk per frame the
    // busy incident cannot keep up, and the driver says so instead of blocking.
    let mut slow = Driver::new(scenario, Speed::Times(100.0)).unwrap();
    slow.play();
    let mut lagged = false;
    for _ in 0..400 {
        let report = slow.frame(16.0, || true);
        lagged |= report.lagging;
    }
    assert!(lagged);
    assert!(slow.achieved_speed() < 100.0, "{}", slow.achieved_speed());
    // At 1x, 16 ms of wall time is 16 ms of virtual time.
    let mut real_time = Driver::new(preset_scenario("baseline"), Speed::Times(1.0)).unwrap();
    real_time.play();
    for _ in 0..10 {
        assert!(!real_time.frame(16.0, || false).lagging);
    }
    assert_eq!(real_time.sim().now().as_micros(), 160_000);
    // Paused, nothing moves; a step is one virtual second.
    real_time.pause();
    real_time.frame(16.0, || false);
    assert_eq!(real_time.sim().now().as_micros(), 160_000);
    // A step is one virtual second, carried out by the frames that follow within their
    // budget (a frame whose budget is spent at once still moves one chunk of events).
    real_time.step_second();
    assert!(real_time.is_stepping() && !real_time.is_playing());
    for _ in 0..1000 {
        if !real_time.is_stepping() {
            break;
        }
        real_time.frame(16.0, || true);
    }
    assert!(!real_time.is_stepping());
    assert_eq!(real_time.sim().now().as_micros(), 1_000_000);
}

#[test]
fn live_settings_act_now_and_restart_only_ones_wait_for_a_reset() {
    let mut driver = Driver::new(preset_scenario("seed-incident"), Speed::Max).unwrap();
    driver.play();
    while driver.sim().now().whole_secs() < 90 {
        driver.frame(16.0, || true);
    }
    let pool = knob("db_pool.max_size").unwrap();
    assert_eq!(driver.set_knob(pool, "50"), Ok(Applied::Live));
    assert_eq!(driver.sim().config().pool_max_size(), 50);
    let count = knob("instances.count").unwrap();
    assert_eq!(driver.set_knob(count, "6"), Ok(Applied::OnReset));
    assert_eq!(driver.pending_restart(), ["instances.count"]);
    assert_eq!(driver.sim().config().instance_count(), 4);
    // A live change after a pending one still applies live.
    let timeout = knob("db_pool.connection_timeout_ms").unwrap();
    assert_eq!(driver.set_knob(timeout, "5000"), Ok(Applied::Live));
    // A refused value changes nothing.
    let before = driver.scenario().clone();
    let problems = driver.set_knob(pool, "0").expect_err("0 connections");
    assert_eq!(problems[0].path, "db_pool.max_size");
    assert_eq!(driver.scenario(), &before);
    assert_eq!(driver.sim().config().pool_max_size(), 50);
    driver.reset();
    assert!(driver.pending_restart().is_empty());
    assert_eq!(driver.sim().config().instance_count(), 6);
    assert_eq!(driver.sim().now().as_micros(), 0);
}

#[test]
fn a_link_copied_after_injecting_a_fault_replays_the_same_run() {
    let mut driver = Driver::new(preset_scenario("baseline"), Speed::Max).unwrap();
    driver.play();
    while driver.sim().now().whole_secs() < 40 {
        driver.frame(16.0, || true);
    }
    let fault = Fault {
        kind: FaultKind::DbSlow,
        start_s: 0.0,
        duration_s: 60.0,
        multiplier: Some(2_000.0),
        error_rate: None,
        instance: None,
        fail_fast: None,
    };
    driver.inject(&fault).unwrap();
    run_driver_to_end(&mut driver, 3);
    let live = driver.sim().summary();
    assert!(
        live.status.error_500 + live.status.bad_gateway_502 + live.status.gateway_timeout_504 > 0
    );

    let state = LinkState {
        preset: "baseline".into(),
        scenario: driver.scenario().clone(),
        speed: driver.speed,
        compare: None,
        challenge: None,
    };
    let reopened = decode(&encode(&state)).unwrap();
    assert_eq!(reopened, state);
    let mut again = Driver::new(reopened.scenario, reopened.speed).unwrap();
    run_driver_to_end(&mut again, 7);
    assert_eq!(again.sim().summary(), live);
    assert_eq!(again.sim().seconds(), driver.sim().seconds());
}

#[test]
fn playback_pauses_at_the_stop_time_and_resumes_from_there() {
    let mut driver = Driver::new(preset_scenario("baseline"), Speed::Times(100.0)).unwrap();
    driver.pause_at = Some(outage_lab_engine::SimTime::from_secs(12));
    driver.play();
    for _ in 0..100 {
        driver.frame(16.0, || false);
    }
    assert!(!driver.is_playing());
    assert_eq!(
        driver.sim().now(),
        outage_lab_engine::SimTime::from_secs(12)
    );
    driver.play();
    driver.frame(16.0, || false);
    assert!(driver.sim().now() > outage_lab_engine::SimTime::from_secs(12));
}

#[test]
fn embed_options_are_read_and_bad_ones_named() {
    use outage_lab::app::embed::{parse_options, Panel};
    let (o, problems) = parse_options(
        "?v=1&preset=baseline&embed=1&panels=transport,charts,controls&charts=status,latency&controls=db_pool.max_size&lock=1&autoplay=1&stop=90&origins=https://docs.example.com,http://127.0.0.1:5173&utm=x",
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert!(o.embed && o.locked && o.autoplay);
    assert_eq!(o.panels, [Panel::Transport, Panel::Charts, Panel::Controls]);
    assert!(o.shows_chart("latency") && !o.shows_chart("retries"));
    assert!(o.shows_control("db_pool.max_size") && !o.shows_control("instances.count"));
    assert_eq!(o.stop_s, Some(90.0));
    assert!(o.allows("https://docs.example.com") && !o.allows("https://evil.example"));
    // Without parameters: the full page; `embed=1` alone: the compact default.
    let (full, _) = parse_options("");
    assert!(!full.embed && full.shows(Panel::Logs) && full.origins.is_empty());
    let (compact, _) = parse_options("embed=1");
    assert!(compact.shows(Panel::Charts) && !compact.shows(Panel::Logs));
    assert!(!compact.shows(Panel::Controls) && !compact.pins_settings());
    // Naming up to four settings in a layout pins them; five go in the drawer; `panels` decides
    // for itself; the full page never pins.
    let (pinned, _) = parse_options("embed=1&controls=db_pool.max_size,instances.count&lock=1");
    assert!(pinned.shows(Panel::Controls) && pinned.pins_settings());
    let five = "db_pool.max_size,instances.count,instances.max_threads,database.cores,cache.ttl_ms";
    let (drawer, problems) = parse_options(&format!("embed=1&controls={five}"));
    assert!(problems.is_empty(), "{problems:?}");
    assert!(drawer.shows(Panel::Controls) && !drawer.pins_settings());
    let (told, _) = parse_options("embed=1&panels=transport,charts&controls=db_pool.max_size");
    assert!(!told.shows(Panel::Controls) && !told.pins_settings());
    let (page, _) = parse_options("controls=db_pool.max_size");
    assert!(page.shows(Panel::Controls) && !page.pins_settings());
    let (_, problems) = parse_options(
        "embed=yes&panels=charts,sidebar&charts=pie&controls=db_pool.size&stop=-1&origins=https://a.example/path,javascript:alert(1)",
    );
    let joined = problems.join("\n");
    for field in [
        "embed:",
        "panels: \"sidebar\"",
        "charts: \"pie\"",
        "controls: \"db_pool.size\"",
        "stop:",
        "origins: \"https://a.example/path\"",
        "origins: \"javascript:alert(1)\"",
    ] {
        assert!(joined.contains(field), "{field} in {joined}");
    }
}

#[test]
fn host_commands_are_checked_for_shape() {
    use outage_lab::app::embed::{parse_command, Command};
    use serde_json::json;
    let ok = |v| parse_command(&v).unwrap();
    assert_eq!(
        ok(json!({"target": "outage-lab", "version": 1, "command": "play"})),
        Some(Command::Play)
    );
    assert_eq!(
        ok(
            json!({"target": "outage-lab", "version": 1, "command": "load", "preset": "seed-incident"})
        ),
        Some(Command::LoadPreset("seed-incident".into()))
    );
    // Other pages' messages are none of our business.
    assert_eq!(ok(json!({"type": "webpackOk"})), None);
    assert_eq!(ok(json!("hello")), None);
    for (bad, words) in [
        (
            json!({"target": "outage-lab", "version": 2, "command": "play"}),
            "version",
        ),
        (
            json!({"target": "outage-lab", "version": 1}),
            "command: missing",
        ),
        (
            json!({"target": "outage-lab", "version": 1, "command": "explode"}),
            "not one of",
        ),
        (
            json!({"target": "outage-lab", "version": 1, "command": "play", "speed": 9}),
            "speed: not a field",
        ),
        (
            json!({"target": "outage-lab", "version": 1, "command": "load"}),
            "exactly one",
        ),
        (
            json!({"target": "outage-lab", "version": 1, "command": "load", "preset": 3}),
            "exactly one",
        ),
        (
            json!({"target": "outage-lab", "version": 1, "command": "load", "link": "x".repeat(30_000)}),
            "bytes",
        ),
    ] {
        let e = parse_command(&bad).expect_err(words);
        assert!(e.contains(words), "{e}");
    }
}

#[test]
fn the_embed_snippet_is_sandboxed_and_escaped() {
    let s = outage_lab::app::embed::iframe_snippet(
        "https://lab.example/?v=1&preset=baseline",
        "A \"quoted\" <title>",
    );
    assert!(s.contains("sandbox=\"allow-scripts allow-same-origin allow-downloads\""));
    assert!(s.contains("src=\"https://lab.example/?v=1&amp;preset=baseline&amp;embed=1\""));
    assert!(s.contains("A &quot;quoted&quot; &lt;title>"));
}

#[test]
fn switching_a_limit_back_on_restores_a_value_the_engine_accepts() {
    let mut scenario = preset_scenario("upstream-hang-fixed");
    scenario = knob("client.retry")
        .unwrap()
        .apply(&scenario, "on")
        .unwrap()
        .scenario;
    let mut checked = 0;
    for k in KNOBS {
        let Input::Number { off: Some(off), .. } = k.input else {
            continue;
        };
        let Some(_) = k.get(&scenario) else { continue };
        let limited = k
            .apply(&scenario, &outage_lab::app::knobs::fmt_number(off.back_to))
            .unwrap_or_else(|e| panic!("{}: {e:?}", k.id))
            .scenario;
        assert_eq!(
            k.get(&limited),
            Some(Value::Number(off.back_to)),
            "{}",
            k.id
        );
        checked += 1;
    }
    assert_eq!(
        checked, 10,
        "every timeout, the total deadline, the accept queue and the two log thresholds"
    );
}

#[test]
fn a_scenario_too_heavy_for_the_chosen_speed_is_flagged_with_a_speed_that_fits() {
    use outage_lab::app::pacing::{too_fast, Speed};
    let light = outage_lab_engine::load_scenario(&crate::common::scenario_text("baseline"))
        .unwrap()
        .1;
    assert_eq!(too_fast(&light, Speed::Times(10.0)), None);
    assert_eq!(too_fast(&light, Speed::Max), None);
    let mut heavy = preset_scenario("baseline");
    heavy.traffic.rate =
        vec![outage_lab_engine::scenario::RateComponent::Constant { rps: 50_000.0 }];
    let heavy = outage_lab_engine::Config::from_scenario(&heavy).unwrap();
    let (reachable, fits) = too_fast(&heavy, Speed::Times(10.0)).expect("50 000 rps at 10x");
    assert!(reachable < 10.0, "{reachable}");
    let Some(Speed::Times(x)) = fits else {
        panic!("{fits:?}")
    };
    assert!(x <= reachable && too_fast(&heavy, Speed::Times(x)).is_none());
}
