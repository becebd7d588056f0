//! The `outage-lab` binary, run as a user would.

use std::process::{Command, Output};

fn outage_lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_outage-lab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outage-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn run_json_has_every_documented_key_and_adds_up() {
    let out = outage_lab(&[
        "run",
        "scenarios/baseline.json",
        "--json",
        "--duration-s",
        "30",
        "--seed",
        "9",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in [
        "/seed",
        "/sim_seconds",
        "/events",
        "/wall_ms",
        "/attempts/arrived",
        "/attempts/completed",
        "/attempts/in_flight_at_end",
        "/status/200",
        "/status/500",
        "/status/502",
        "/status/503",
        "/status/504",
        "/status/client_timeout",
        "/latency_ms/mean",
        "/latency_ms/p50",
        "/latency_ms/p90",
        "/latency_ms/p99",
        "/latency_ms/max",
        "/queue_wait_ms/mean",
        "/db/queries",
        "/db/pool_acquire_timeouts",
        "/db/pool_wait_ms_mean",
        "/cache/hits",
        "/cache/misses",
        "/retries",
        "/amplification",
        "/breaker/opened",
        "/breaker/not_permitted",
        "/status_seen/200",
        "/status_seen/500",
        "/alerts",
        "/requests/arrived",
        "/logs/incidents",
    ] {
        assert!(v.pointer(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["seed"], 9);
    assert_eq!(v["sim_seconds"], 30.0);
    let n = |p: &str| v.pointer(p).and_then(|x| x.as_u64()).unwrap();
    let statuses: u64 = ["200", "500", "502", "503", "504", "client_timeout"]
        .iter()
        .map(|s| n(&format!("/status/{s}")))
        .sum();
    assert_eq!(n("/attempts/completed"), statuses);
    assert_eq!(
        n("/attempts/arrived"),
        statuses + n("/attempts/in_flight_at_end")
    );
}

#[test]
fn run_csv_writes_one_row_per_second_with_a_header() {
    let csv = std::env::temp_dir().join(format!("outage-lab-{}.csv", std::process::id()));
    let out = outage_lab(&[
        "run",
        "scenarios/baseline.json",
        "--duration-s",
        "12",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("t_s,arrivals,status_200,status_500"));
    assert_eq!(lines.len(), 13);
    let columns = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == columns));
    assert!(lines[12].starts_with("12,"));
    for column in [
        "seen_500",
        "retries",
        "goodput",
        "breakers_open",
        "instances_in_rotation",
        "i3_pool_waiters",
    ] {
        assert!(
            lines[0].split(',').any(|c| c == column),
            "no column {column}"
        );
    }
}

#[test]
fn validate_reports_problems_with_field_names_and_exit_code_2() {
    let ok = outage_lab(&["validate", "scenarios/seed-incident.json"]);
    assert_eq!(ok.status.code(), Some(0));
    let bad = temp_file(
        "bad.json",
        r#"{ "version": 1, "duration_s": -1, "db_pool": { "max_size": 0 },
             "traffic": { "rate": [ { "kind": "constant", "rps": 5 } ], "endpoints": [] } }"#,
    );
    let out = outage_lab(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for field in ["duration_s", "db_pool.max_size", "traffic.endpoints"] {
        assert!(err.contains(field), "{field} not named in: {err}");
    }
}

#[test]
fn bad_files_never_panic() {
    for (name, text) in [
        ("empty.json", ""),
        ("text.json", "hello"),
        (
            "neg.json",
            r#"{"version":1,"duration_s":10,"traffic":{"rate":[{"kind":"constant","rps":-1e400}],"endpoints":[]}}"#,
        ),
    ] {
        let path = temp_file(name, text);
        for cmd in ["validate", "run"] {
            let out = outage_lab(&[cmd, path.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{cmd} {name}");
            assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
        }
    }
    let out = outage_lab(&["run", "scenarios/baseline.json", "--duration-s", "-4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--duration-s"));
    let out = outage_lab(&["run", "does-not-exist.json"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn schema_is_json_and_describes_the_format() {
    let out = outage_lab(&["schema"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let props = v["properties"].as_object().expect("properties");
    for key in [
        "version",
        "duration_s",
        "traffic",
        "db_pool",
        "upstream",
        "faults",
    ] {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
    assert!(v["required"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "traffic"));
}

#[test]
fn challenges_are_listed_and_judged_with_exit_codes_for_pass_fail_and_invalid() {
    use outage_lab::app::challenges::CHALLENGES;
    let list = outage_lab(&["challenge", "list"]);
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout);
    for c in CHALLENGES {
        assert!(
            text.contains(c.id) && text.contains(&c.goal_text()),
            "{}",
            c.id
        );
    }
    let c = CHALLENGES
        .iter()
        .find(|c| c.id == "capacity")
        .expect("a challenge");
    // `challenge start` prints the starting scenario, set up for the challenge.
    let printed = outage_lab(&["challenge", "start", c.id]);
    assert!(printed.status.success());
    let printed = String::from_utf8_lossy(&printed.stdout).to_string();
    assert!(
        printed.contains("760"),
        "the capacity challenge starts at 760 requests/s"
    );
    let start = temp_file("challenge-start.json", &printed);
    let solved = serde_json::to_string(&c.solved()).unwrap();
    let solved = temp_file("challenge-solved.json", &solved);
    let check = |file: &std::path::Path, json: bool| {
        let mut args = vec!["challenge", "check", c.id, file.to_str().unwrap()];
        if json {
            args.push("--json");
        }
        outage_lab(&args)
    };
    let failed = check(&start, false);
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stdout).contains(": FAIL"));
    let passed = check(&solved, true);
    assert_eq!(passed.status.code(), Some(0));
    let verdict: serde_json::Value = serde_json::from_slice(&passed.stdout).unwrap();
    assert_eq!(verdict["passed"], true);
    assert_eq!(verdict["challenge"], c.id);
    let broken = temp_file("challenge-broken.json", "{ \"version\": 1 }");
    let invalid = check(&broken, false);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("problem"));
    let unknown = outage_lab(&["challenge", "check", "no-such", start.to_str().unwrap()]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("is not a challenge"));
}

#[test]
fn a_sweep_maps_where_the_retry_storm_gets_stuck_the_same_whatever_the_jobs() {
    let args = |jobs: &'static str| {
        vec![
            "sweep",
            "scenarios/retry-storm.json",
            "--vary",
            "client.retry.max_attempts=1,4",
            "--vary",
            "client.retry.budget=off,on",
            "--jobs",
            jobs,
        ]
    };
    let one = outage_lab(&args("1"));
    let two = outage_lab(&args("2"));
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(
        one.stdout, two.stdout,
        "results are in grid order, whatever the jobs"
    );
    let text = String::from_utf8(one.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "client.retry.max_attempts,client.retry.budget,seed,slo_met_at_end,trigger_end_s,recovered_after_s,goodput_per_s,rate_5xx,failed_share,p99_ms"
    );
    assert_eq!(lines.len(), 5);
    let cell = |attempts: &str, budget: &str| {
        let line = lines[1..]
            .iter()
            .find(|l| l.starts_with(&format!("{attempts},{budget},")))
            .expect("a cell");
        line.split(',').map(str::to_string).collect::<Vec<_>>()
    };
    // Four attempts and no budget: the spike ends at 60 s and the service never recovers.
    let stuck = cell("4", "off");
    assert_eq!(
        (stuck[3].as_str(), stuck[4].as_str(), stuck[5].as_str()),
        ("false", "60", "")
    );
    // A retry budget: it recovers within seconds of the spike and meets the SLO at the end.
    let budget = cell("4", "on");
    assert_eq!(budget[3], "true");
    let after: f64 = budget[5].parse().expect("recovered");
    assert!(after < 30.0, "recovered {after} s after the spike");
    let summary = String::from_utf8_lossy(&two.stderr);
    assert!(
        summary.contains("4 cells in") && summary.contains("on 2 threads"),
        "{summary}"
    );
}

#[test]
fn a_sweep_names_a_bad_setting_or_value_and_refuses_a_grid_too_big() {
    let bad = |vary: &str| {
        let out = outage_lab(&["sweep", "scenarios/baseline.json", "--vary", vary]);
        assert_eq!(out.status.code(), Some(2), "{vary}");
        String::from_utf8(out.stderr).expect("utf-8")
    };
    assert!(bad("db_pool.size=1,2").contains("\"db_pool.size\" is not a setting"));
    assert!(bad("db_pool.max_size").contains("write PATH=V1,V2"));
    let e = bad("db_pool.max_size=10,-3");
    assert!(
        e.starts_with("db_pool.max_size=-3: db_pool.max_size:"),
        "{e}"
    );
    let many: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let (a, b) = (
        format!("db_pool.max_size={}", many.join(",")),
        format!("instances.max_threads={}", many.join(",")),
    );
    let out = outage_lab(&[
        "sweep",
        "scenarios/baseline.json",
        "--vary",
        &a,
        "--vary",
        &b,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than 10000 cells"));
}
