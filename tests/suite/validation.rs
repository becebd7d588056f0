//! Bad scenarios get every problem with its field path, never a panic and never a clamp.

use outage_lab_engine::{load_scenario, parse_scenario, Config};

fn problems(json: &str) -> Vec<String> {
    match load_scenario(json) {
        Ok(_) => vec![],
        Err(p) => p.iter().map(|p| p.to_string()).collect(),
    }
}

fn with(patch: &str) -> String {
    // A valid minimal scenario with `patch` merged over it.
    let mut base: serde_json::Value = serde_json::from_str(
        r#"{ "version": 1, "duration_s": 10,
             "traffic": { "rate": [ { "kind": "constant", "rps": 10 } ],
                          "endpoints": [ { "name": "GET /", "weight": 1,
                            "steps": [ { "kind": "cpu", "duration": { "kind": "constant", "ms": 1 } } ] } ] } }"#,
    )
    .unwrap();
    let patch: serde_json::Value = serde_json::from_str(patch).unwrap();
    merge(&mut base, patch);
    base.to_string()
}

fn merge(a: &mut serde_json::Value, b: serde_json::Value) {
    match (a, b) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (a, b) => *a = b,
    }
}

#[test]
fn the_minimal_scenario_is_valid_and_takes_the_real_defaults() {
    let (_, c) = load_scenario(&with("{}")).expect("valid");
    assert_eq!(c.max_threads(), 200, "Tomcat maxThreads");
    assert_eq!(c.accept_queue(), Some(100), "Tomcat acceptCount");
    assert_eq!(c.pool_max_size(), 10, "HikariCP maximumPoolSize");
    assert_eq!(
        c.pool_timeout().map(|d| d.as_micros()),
        Some(30_000_000),
        "HikariCP connectionTimeout"
    );
    assert_eq!(
        c.gateway_timeout().map(|d| d.as_micros()),
        Some(60_000_000),
        "nginx proxy_read_timeout"
    );
}

#[test]
fn every_range_problem_is_reported_at_once_with_its_path() {
    let p = problems(&with(
        r#"{ "duration_s": -5, "db_pool": { "max_size": 0, "connection_timeout_ms": -1 },
             "instances": { "count": 0 }, "upstream": { "error_rate": 1.5 },
             "cache": { "zipf_exponent": 9 } }"#,
    ));
    for path in [
        "duration_s:",
        "db_pool.max_size:",
        "db_pool.connection_timeout_ms:",
        "instances.count:",
        "upstream.error_rate:",
        "cache.zipf_exponent:",
    ] {
        assert!(
            p.iter().any(|m| m.starts_with(path)),
            "no problem for {path} in {p:#?}"
        );
    }
    assert_eq!(p.len(), 6, "{p:#?}");
}

#[test]
fn inconsistent_settings_name_both_fields() {
    let p = problems(&with(
        r#"{ "traffic": { "rate": [ { "kind": "ramp", "start_s": 10, "end_s": 5, "from_rps": 1, "to_rps": 2 } ] },
             "faults": [ { "kind": "db_slow", "start_s": 1, "duration_s": 5 },
                         { "kind": "cache_flush", "start_s": 1, "multiplier": 3 } ] }"#,
    ));
    assert!(
        p.iter()
            .any(|m| m.starts_with("traffic.rate[0].end_s:") && m.contains("start_s")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("faults[0].multiplier: is required")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("faults[1].multiplier: is not used")),
        "{p:#?}"
    );
}

#[test]
fn structural_problems_name_the_field() {
    let cases = [
        (
            r#"{ "db_pool": { "max_size": "ten" } }"#,
            "db_pool.max_size",
        ),
        (r#"{ "db_pool": { "max_sise": 10 } }"#, "db_pool.max_sise"),
        (
            r#"{ "instances": { "max_threads": -3 } }"#,
            "instances.max_threads",
        ),
        (
            r#"{ "instances": { "max_threads": 99999999999999999999 } }"#,
            "instances.max_threads",
        ),
        (
            r#"{ "instances": { "accept_queue": "lots" } }"#,
            "instances.accept_queue",
        ),
        (
            r#"{ "client": { "timeout_ms": "never" } }"#,
            "client.timeout_ms",
        ),
        (
            r#"{ "traffic": { "rate": [ { "kind": "sine" } ] } }"#,
            "traffic.rate[0]",
        ),
    ];
    for (patch, path) in cases {
        let p = problems(&with(patch));
        assert_eq!(p.len(), 1, "{patch}: {p:#?}");
        assert!(
            p[0].starts_with(path),
            "{patch}: expected {path}, got {}",
            p[0]
        );
    }
    let unknown = problems(&with(r#"{ "db_pool": { "max_sise": 10 } }"#));
    assert!(
        unknown[0].contains("unknown field `max_sise`"),
        "{unknown:?}"
    );
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "null",
        "[]",
        "{",
        "\u{0}",
        "{\"version\": 1e400}",
        "{\"version\": 1, \"duration_s\": 1e308}",
        "{\"version\": 18446744073709551616}",
        &"[".repeat(10_000),
        &format!("{{\"name\": \"{}\"}}", "x".repeat(2 << 20)),
    ];
    for input in inputs {
        assert!(load_scenario(input).is_err(), "{:.40} was accepted", input);
    }
}

#[test]
fn huge_and_non_finite_values_are_rejected_not_clamped() {
    let p = problems(&with(
        r#"{ "duration_s": 1e12, "cache": { "ttl_ms": 1e300 } }"#,
    ));
    assert!(
        p.iter()
            .any(|m| m.starts_with("duration_s:") && m.contains("at most")),
        "{p:#?}"
    );
    assert!(p.iter().any(|m| m.starts_with("cache.ttl_ms:")), "{p:#?}");
}

#[test]
fn every_bundled_scenario_is_valid_and_round_trips() {
    let dir = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario =
            parse_scenario(&text).unwrap_or_else(|p| panic!("{}: {p:?}", path.display()));
        let config = Config::from_scenario(&scenario)
            .unwrap_or_else(|p| panic!("{}: {p:?}", path.display()));
        let again = parse_scenario(&serde_json::to_string(&scenario).unwrap()).unwrap();
        assert_eq!(again, scenario);
        assert_eq!(Config::from_scenario(&again).unwrap(), config);
        seen += 1;
    }
    assert!(seen >= 4);
}

#[test]
fn instance_faults_name_their_instance_and_nothing_else() {
    let p = problems(&with(
        r#"{ "instances": { "count": 2 },
             "faults": [ { "kind": "instance_crash", "start_s": 1, "duration_s": 5 },
                         { "kind": "bad_deploy", "start_s": 1, "duration_s": 5, "instance": 2 },
                         { "kind": "cache_flush", "start_s": 1, "instance": 0, "fail_fast": true } ] }"#,
    ));
    assert!(
        p.iter()
            .any(|m| m.starts_with("faults[0].instance: is required")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("faults[1].instance: is 2; there are 2 instances")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("faults[2].instance: is not used")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("faults[2].fail_fast: is not used")),
        "{p:#?}"
    );
}

#[test]
fn breaker_and_retry_settings_are_checked() {
    let p = problems(&with(
        r#"{ "upstream": { "breaker": { "failure_rate_threshold_pct": 0, "window": { "kind": "count_based", "calls": 0 } } },
             "client": { "retry": { "max_attempts": 101, "backoff_base_ms": 500, "backoff_cap_ms": 100 } } }"#,
    ));
    for path in [
        "upstream.breaker.failure_rate_threshold_pct:",
        "upstream.breaker.window.calls:",
        "client.retry.max_attempts:",
        "client.retry.backoff_cap_ms:",
    ] {
        assert!(
            p.iter().any(|m| m.starts_with(path)),
            "no problem for {path} in {p:#?}"
        );
    }
}

#[test]
fn every_unknown_field_is_reported_with_the_range_problems() {
    let p = problems(&with(
        r#"{ "db_pool": { "max_sise": 10, "max_size": 0 }, "cache": { "tll_ms": 5 },
             "traffic": { "endpoints": [ { "name": "GET /", "weight": 1, "wieght": 2,
               "steps": [ { "kind": "cpu", "duration": { "kind": "constant", "ms": 1 } } ] } ] } }"#,
    ));
    for expected in [
        "db_pool.max_sise: unknown field `max_sise`",
        "cache.tll_ms: unknown field `tll_ms`",
        "traffic.endpoints[0].wieght: unknown field `wieght`",
        "db_pool.max_size: is 0",
    ] {
        assert!(
            p.iter().any(|m| m.starts_with(expected)),
            "no {expected} in {p:#?}"
        );
    }
    assert_eq!(p.len(), 4, "{p:#?}");
}

#[test]
fn unknown_fields_are_found_at_every_depth_and_null_means_unset_only_for_optional_fields() {
    let p = problems(&with(
        r#"{ "client": { "retry": null, "retyr": null },
             "faults": [ { "kind": "cache_flush", "start_s": 5, "strat_s": 6, "multiplier": null } ],
             "upstream": { "breaker": { "wait_in_open_ms": null, "colour": "red" } } }"#,
    ));
    assert_eq!(
        p,
        [
            "client.retyr: unknown field `retyr`",
            "faults[0].strat_s: unknown field `strat_s`",
            "upstream.breaker.colour: unknown field `colour`",
        ],
        "{p:#?}"
    );
}

#[test]
fn a_wrong_type_is_located_down_to_its_field_even_inside_tagged_objects() {
    let cases = [
        (
            r#"{ "traffic": { "rate": [ { "kind": "constant", "rps": 10 } ], "endpoints": [ { "name": "GET /", "weight": 1,
                 "steps": [ { "kind": "cpu", "duration": { "kind": "constant", "ms": "x" } } ] } ] } }"#,
            "traffic.endpoints[0].steps[0].duration.ms",
        ),
        (r#"{ "duration_s": "long" }"#, "duration_s"),
        (r#"{ "db_pool": { "max_size": -3 } }"#, "db_pool.max_size"),
        (
            r#"{ "upstream": { "breaker": { "when_open": "teapot_418" } } }"#,
            "upstream.breaker.when_open",
        ),
        (
            r#"{ "faults": [ { "kind": "db_slow", "start_s": 1, "multiplier": 2 }, { "kind": "meteor", "start_s": 1 } ] }"#,
            "faults[1].kind",
        ),
    ];
    for (patch, path) in cases {
        let p = problems(&with(patch));
        assert_eq!(p.len(), 1, "{patch}: {p:#?}");
        assert!(
            p[0].starts_with(&format!("{path}: ")),
            "{patch}: expected {path}, got {}",
            p[0]
        );
    }
}
