//! Regression tests for inputs that validation used to accept and that hung, exhausted memory,
//! panicked or were reported badly (the bounded-work issue), one test per defect, named after it.

use std::process::Command;

use outage_lab::app::driver::{Applied, Driver};
use outage_lab::app::knobs::knob;
use outage_lab::app::link::LinkState;
use outage_lab::app::pacing::Speed;
use outage_lab_engine::config::{scenario_text, Config};
use outage_lab_engine::limits::{Cap, ARRIVAL_RPS_MAX};
use outage_lab_engine::scenario::{Fault, FaultKind};
use outage_lab_engine::{load_scenario, SimTime, Simulation};

/// The one-endpoint scenario of the reports, with `extra` fields spliced in at the top level.
fn tiny(rps: f64, duration_s: f64, extra: &str) -> String {
    format!(
        r#"{{"version":1,"duration_s":{duration_s},"traffic":{{"rate":[{{"kind":"constant","rps":{rps}}}],"endpoints":[{{"name":"a","weight":1,"steps":[{{"kind":"cpu","duration":{{"kind":"constant","ms":1}}}}]}}]}}{extra}}}"#
    )
}

fn problems(json: &str) -> Vec<String> {
    match load_scenario(json) {
        Ok(_) => vec![],
        Err(p) => p.iter().map(ToString::to_string).collect(),
    }
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_outage-lab"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outage-lab-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const SPIKE: &str = r#"{"kind":"traffic_spike","start_s":1,"duration_s":60,"multiplier":1000000}"#;

#[test]
fn defect_1_a_traffic_spike_fault_past_the_rate_limit_is_refused_naming_the_fault() {
    let one = tiny(300.0, 60.0, &format!(r#","faults":[{SPIKE}]"#));
    let p = problems(&one);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with(
            "faults[0].multiplier: the arrival rate reaches 300000000 requests/s at 1 s"
        ),
        "{p:?}"
    );
    assert!(
        p[0].contains(&format!("at most {ARRIVAL_RPS_MAX}")),
        "{p:?}"
    );
    // 64 stacked copies: the product would be infinite; it is refused as a finite figure.
    let many = vec![SPIKE; 64].join(",");
    let p = problems(&tiny(300.0, 60.0, &format!(r#","faults":[{many}]"#)));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains(".multiplier: traffic_spike faults active together at 1 s multiply by 1e12"),
        "{p:?}"
    );
    let file = temp_file(
        "stacked.json",
        tiny(300.0, 60.0, &format!(r#","faults":[{many}]"#)).as_bytes(),
    );
    let out = cli(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // A spike on a profile that is zero at the time stays finite too (0 x inf was NaN).
    let zero =
        r#","faults":[{"kind":"traffic_spike","start_s":0,"duration_s":5,"multiplier":1000}]"#;
    let p = problems(&tiny(0.0, 10.0, zero));
    assert!(p.is_empty(), "{p:?}");
    // Injected at run time, the same check applies against the faults already there.
    let (_, config) = load_scenario(&tiny(300.0, 60.0, "")).unwrap();
    let mut sim = Simulation::new(config);
    sim.run_until(SimTime::from_secs(2));
    let fault: Fault = serde_json::from_str(SPIKE).unwrap();
    let p = sim.inject_fault(&fault).unwrap_err();
    assert_eq!(p[0].path, "fault.multiplier", "{p:?}");
    let ok = Fault {
        multiplier: Some(100.0),
        ..fault.clone()
    };
    sim.inject_fault(&ok)
        .expect("30 000 requests/s is within the limit");
    let p = sim.inject_fault(&ok).unwrap_err();
    assert!(p[0].message.contains("reaches 3000000 requests/s"), "{p:?}");
    // What is left runs in bounded time and ends.
    let summary = sim.run_to_end();
    assert!(summary.stopped.is_none());
    assert_eq!(summary.sim_seconds, 60.0);
}

#[test]
fn defect_2_memory_follows_the_work_in_flight_not_the_rate_times_the_timeouts() {
    // The reported link: a million requests/s. Refused, with the limit.
    let p = problems(&tiny(1_000_000.0, 60.0, ""));
    assert!(
        p[0].starts_with("traffic.rate[0].rps: is 1000000; must be from 0 to 100000"),
        "{p:?}"
    );
    // 50 000 requests/s with the default 30 s client and 60 s gateway timeouts: the queue
    // would hold rate x timeouts = 4.5 M timers; dropping stale ones keeps it near the work
    // in flight.
    let (_, config) = load_scenario(&tiny(50_000.0, 4.0, "")).unwrap();
    let mut sim = Simulation::new(config);
    let (mut queued_max, mut alive_max) = (0, 0);
    while sim.step().is_some() {
        queued_max = queued_max.max(sim.queued_events());
        alive_max = alive_max.max(sim.attempts_alive());
    }
    let summary = sim.summary();
    assert!(
        summary.attempts.arrived > 190_000,
        "{}",
        summary.attempts.arrived
    );
    assert!(
        summary.events_skipped > 190_000,
        "stale timers were dropped"
    );
    assert!(
        queued_max < 4 * alive_max + 10_000,
        "queue peaked at {queued_max} events for {alive_max} attempts alive"
    );
}

#[test]
fn defect_2_a_run_that_piles_up_work_stops_at_a_cap_and_keeps_its_results() {
    // One worker, an unbounded accept queue, no timeouts: every request waits for ever.
    let extra = r#","instances":{"count":1,"max_threads":1,"accept_queue":"unbounded"},
        "client":{"timeout_ms":"none"},"load_balancer":{"gateway_timeout_ms":"none"}"#;
    let json = tiny(100_000.0, 30.0, extra);
    let (_, config) = load_scenario(&json).unwrap();
    let summary = Simulation::new(config).run_to_end();
    let stop = summary.stopped.expect("stopped at a cap");
    assert_eq!(stop.cap, Cap::AttemptsInFlight);
    assert!(stop.at < SimTime::from_secs(10), "{}", stop.at);
    assert_eq!(
        summary.attempts.arrived,
        summary.attempts.completed + summary.attempts.in_flight_at_end
    );
    assert!(summary.sim_seconds < 10.0 && summary.status.ok_200 > 0);
    // The command line prints the summary so far and exits 3 with the reason.
    let file = temp_file("pile-up.json", json.as_bytes());
    let out = cli(&["run", file.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("attempts in flight at once, above the limit of 500000"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stopped"]["cap"], "attempts_in_flight");
}

#[test]
fn defect_3_a_fault_for_an_instance_the_next_run_lacks_is_refused_and_reset_works() {
    let baseline = LinkState::from_preset("baseline").unwrap().scenario;
    let mut driver = Driver::new(baseline, Speed::Times(1.0)).unwrap();
    driver.play();
    driver.frame(16.0, || false);
    let count = knob("instances.count").unwrap();
    assert_eq!(driver.set_knob(count, "1"), Ok(Applied::OnReset));
    let crash = Fault {
        kind: FaultKind::InstanceCrash,
        start_s: 0.0,
        duration_s: 60.0,
        multiplier: None,
        error_rate: None,
        instance: Some(3),
        fail_fast: None,
    };
    let p = driver.inject(&crash).unwrap_err();
    assert_eq!(p[0].path, "fault.instance", "{p:?}");
    assert!(p[0].message.contains("there are 1 instances"), "{p:?}");
    assert!(driver.scenario().faults.is_empty(), "nothing was written");
    assert!(Config::from_scenario(driver.scenario()).is_ok());
    driver.reset();
    assert_eq!(driver.sim().config().instance_count(), 1);
    // Instance 0 exists in both: accepted, and replayed after a reset.
    let ok = Fault {
        instance: Some(0),
        ..crash
    };
    driver.inject(&ok).unwrap();
    driver.reset();
    assert_eq!(driver.sim().config().faults().len(), 1);
}

#[test]
fn defect_3_a_fault_injected_in_the_last_microsecond_of_a_maximal_run() {
    let (scenario, _) = load_scenario(&tiny(0.5, 86_400.0, "")).unwrap();
    let mut driver = Driver::new(scenario, Speed::Max).unwrap();
    let end = driver.sim().end();
    let flush = Fault {
        kind: FaultKind::CacheFlush,
        start_s: 0.0,
        duration_s: 0.0,
        multiplier: None,
        error_rate: None,
        instance: None,
        fail_fast: None,
    };
    // One microsecond before the end a fault may still start, exactly at the end.
    let mut sim = driver.sim().clone();
    sim.run_until(SimTime::from_micros(end.as_micros() - 1));
    assert_eq!(sim.inject_fault(&flush), Ok(end));
    // At the end there is no time left for one: refused, nothing written, reset works.
    driver.play();
    while driver.is_playing() {
        driver.frame(100.0, || false);
    }
    assert!(driver.sim().is_finished());
    let p = driver.inject(&flush).unwrap_err();
    assert_eq!(p[0].path, "fault", "{p:?}");
    assert!(p[0].message.contains("can no longer start"), "{p:?}");
    assert!(driver.scenario().faults.is_empty());
    driver.reset();
    assert_eq!(driver.sim().now(), SimTime::ZERO);
}

#[test]
fn defect_4_a_wrong_type_after_thousands_of_siblings_is_located_in_one_pass() {
    // The reported file: 8 000 rate pieces, then one with a string where a number goes,
    // padded to about 1 MiB (the most a scenario may be).
    let piece = r#"{"kind":"constant","rps":1}"#;
    let mut pieces = vec![piece; 36_000];
    pieces.push(r#"{"kind":"constant","rps":"x"}"#);
    let json = format!(
        r#"{{"version":1,"duration_s":10,"traffic":{{"rate":[{}],"endpoints":[]}}}}"#,
        pieces.join(",")
    );
    assert!(
        json.len() > 1_000_000 && json.len() <= 1 << 20,
        "{}",
        json.len()
    );
    let started = std::time::Instant::now();
    let p = problems(&json);
    eprintln!("located in {:?}", started.elapsed());
    assert_eq!(
        p,
        [r#"traffic.rate[36000].rps: invalid type: string "x", expected f64"#]
    );
}

#[test]
fn defect_5_messages_name_the_right_field_and_refuse_what_was_read_leniently() {
    let base = tiny(10.0, 10.0, "");
    // A missing field is named at its own path.
    let p = problems(&base.replace(r#""duration_s":10,"#, ""));
    assert_eq!(p, ["duration_s: missing field `duration_s`"]);
    let p = problems(&tiny(
        10.0,
        10.0,
        r#","faults":[{"kind":"cache_flush","duration_s":0}]"#,
    ));
    assert_eq!(p, ["faults[0].start_s: missing field `start_s`"]);
    // `kind` errors at the level of the object they are in.
    let p = problems(&base.replace(
        r#""kind":"constant","ms":1"#,
        r#""kind":"constant","ms":"1""#,
    ));
    assert_eq!(
        p,
        [r#"traffic.endpoints[0].steps[0].duration.ms: invalid type: string "1", expected f64"#]
    );
    let p = problems(&base.replace(r#"{"kind":"cpu","#, r#"{"kind":"gpu","#));
    assert!(
        p[0].starts_with("traffic.endpoints[0].steps[0].kind: unknown variant `gpu`"),
        "{p:?}"
    );
    let p = problems(&base.replace(r#""kind":"constant","rps""#, r#""kind":"constant","rpz""#));
    assert!(
        p[0].starts_with("traffic.rate[0].rpz: unknown field `rpz`"),
        "{p:?}"
    );
    // A number where a kind's name goes was read as the first kind: refused.
    let p = problems(&base.replace(r#"{"kind":"constant","rps""#, r#"{"kind":0,"rps""#));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("traffic.rate[0].kind: is 0; a kind is written as a string"),
        "{p:?}"
    );
    // Duplicate keys were accepted, the last one winning: refused, with the path.
    let p = problems(&base.replace(r#""duration_s":10,"#, r#""duration_s":10,"duration_s":20,"#));
    assert_eq!(
        p,
        ["duration_s: is given twice in the same object (a key may appear once)"]
    );
    let p = problems(&base.replace(r#""rps":10"#, r#""rps":10,"rps":10"#));
    assert_eq!(p[0].split(':').next(), Some("traffic.rate[0].rps"));
    // A bad value is quoted briefly, not repeated whole.
    let long = "x".repeat(100_000);
    let p = problems(&base.replace(r#""rps":10"#, &format!(r#""rps":"{long}""#)));
    assert_eq!(p.len(), 1);
    assert!(p[0].len() < 250, "{} characters", p[0].len());
    assert!(
        p[0].starts_with("traffic.rate[0].rps: invalid type: string \"xxxx"),
        "{}",
        &p[0][..60]
    );
    let p = problems(&base.replace(r#""version":1"#, &format!(r#""version":1,"{long}":1"#)));
    assert!(
        p.iter().all(|m| m.len() < 250),
        "{:?}",
        p.iter().map(String::len).collect::<Vec<_>>()
    );
}

#[test]
fn defect_5_byte_order_marks_and_invalid_utf8_get_the_same_decision_everywhere() {
    let base = tiny(10.0, 10.0, "");
    // The same decision for byte-order marks and invalid UTF-8, in the CLI and in the browser
    // (both read files through `scenario_text`): a BOM is dropped, invalid UTF-8 is refused.
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(base.as_bytes());
    assert_eq!(scenario_text(&with_bom), Ok(base.as_str()));
    let file = temp_file("bom.json", &with_bom);
    assert_eq!(
        cli(&["validate", file.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let mut broken = base.clone().into_bytes();
    broken.insert(20, 0xFF);
    let e = scenario_text(&broken).unwrap_err();
    assert_eq!(
        e.to_string(),
        "(file): is not UTF-8 text (an invalid byte at offset 20)"
    );
    let file = temp_file("latin1.json", &broken);
    let out = cli(&["validate", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "invalid UTF-8 is an invalid scenario"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not UTF-8 text"));
}
