//! Fuzzing in every test run, bounded: mutated scenarios through validation and a short run,
//! and random or mutated links, embedding parameters and host commands through their
//! decoders. Each input must give a result or named-field problems, never a panic; accepted
//! scenarios run within their event budget. Seeded, so a failure prints the case that made it.

use outage_lab::app::embed::{parse_command, parse_options};
use outage_lab::app::link::{decode, encode, LinkState};
use outage_lab::app::presets::PRESETS;
use outage_lab_engine::{load_scenario, SimTime, Simulation};
use serde_json::{json, Value};

/// Scenarios mutated, validated and (when valid) run for a virtual second, per test run.
const SCENARIO_CASES: usize = 10_000;
/// Links, embedding parameter strings and host commands decoded, per test run.
const DECODER_CASES: usize = 100_000;
/// The most events one mutated scenario may process in the fuzz run (its short run).
const EVENTS_PER_CASE: u64 = 20_000;

/// A small deterministic generator (SplitMix64): the fuzz cases are the same in every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.next().is_multiple_of(one_in)
    }
}

/// A value a person or an attacker might put anywhere.
fn odd_value(g: &mut Gen) -> Value {
    let numbers = [
        0.0,
        -1.0,
        1.0,
        0.5,
        1e-300,
        1e300,
        -1e300,
        86_400.0,
        86_400.001,
        1e6,
        100_000.0,
        1e9,
        4_294_967_296.0,
        3.5,
        64.0,
        65.0,
    ];
    let words = [
        "none",
        "unbounded",
        "constant",
        "spike",
        "cpu",
        "x",
        "",
        "kind",
        "db_slow",
        "deep",
        "shed_503",
        "traffic_spike",
        "instance_crash",
        "ramp",
    ];
    match g.below(9) {
        0 => json!(numbers[g.below(numbers.len())]),
        1 => json!(g.next() % 1_000),
        2 => json!(words[g.below(words.len())]),
        3 => Value::Null,
        4 => json!(g.chance(2)),
        5 => json!([]),
        6 => json!({}),
        7 => json!({ "kind": words[g.below(words.len())] }),
        _ => json!(-(g.below(10) as i64)),
    }
}

/// Every path to a node of `v`, as pointers (`/a/0/b`).
fn pointers(v: &Value, here: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{here}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let p = format!("{here}/{i}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        _ => {}
    }
}

/// One to four random edits of `doc`: replace a node, delete it, duplicate an array element,
/// or add a fault or a rate piece with odd fields.
fn mutate(doc: &mut Value, g: &mut Gen) {
    for _ in 0..1 + g.below(4) {
        let mut paths = Vec::new();
        pointers(doc, String::new(), &mut paths);
        let Some(path) = paths.get(g.below(paths.len())).cloned() else {
            return;
        };
        let (parent, last) = path.rsplit_once('/').unwrap_or(("", &path));
        match g.below(6) {
            0 | 1 => {
                if let Some(node) = doc.pointer_mut(&path) {
                    *node = odd_value(g);
                }
            }
            2 => match doc.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(last);
                }
                Some(Value::Array(items)) if !items.is_empty() => {
                    let i = g.below(items.len());
                    items.remove(i);
                }
                _ => {}
            },
            3 => {
                if let Some(Value::Array(items)) = doc.pointer_mut(parent) {
                    if let Some(copy) = items.first().cloned() {
                        for _ in 0..g.below(8) {
                            items.push(copy.clone());
                        }
                    }
                }
            }
            4 => {
                let kinds = [
                    "traffic_spike",
                    "db_slow",
                    "upstream_slow",
                    "instance_crash",
                    "bad_deploy",
                    "cache_flush",
                    "upstream_hang",
                ];
                let fault = json!({
                    "kind": kinds[g.below(kinds.len())],
                    "start_s": g.below(20),
                    "duration_s": 1 + g.below(30),
                    "multiplier": ([2.0, 1000.0, 1e6])[g.below(3)],
                    "instance": g.below(6),
                });
                let n = 1 + g.below(8);
                if let Some(Value::Array(faults)) = doc.pointer_mut("/faults") {
                    faults.extend(std::iter::repeat_n(fault, n));
                } else if let Some(map) = doc.as_object_mut() {
                    map.insert("faults".into(), Value::Array(vec![fault; n]));
                }
            }
            _ => {
                if let Some(node) = doc.pointer_mut(&path) {
                    let inner = std::mem::take(node);
                    *node = json!({ "kind": "constant", "rps": inner });
                }
            }
        }
    }
}

fn bundled_documents() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut docs: Vec<Value> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap()
        })
        .collect();
    docs.sort_by_key(|d| d["name"].as_str().unwrap_or_default().to_string());
    docs
}

#[test]
fn mutated_scenarios_validate_with_named_problems_or_run_within_bounds() {
    let docs = bundled_documents();
    let mut g = Gen(0x5eed_0001);
    let (mut valid, mut invalid) = (0, 0);
    for case in 0..SCENARIO_CASES {
        let mut doc = docs[g.below(docs.len())].clone();
        mutate(&mut doc, &mut g);
        let text = doc.to_string();
        match load_scenario(&text) {
            Ok((_, config)) => {
                valid += 1;
                let mut sim = Simulation::new(config);
                sim.run_until_budget(SimTime::from_secs(1), EVENTS_PER_CASE);
                let s = sim.summary();
                assert_eq!(
                    s.attempts.arrived,
                    s.attempts.completed + s.attempts.in_flight_at_end,
                    "case {case}: {text}"
                );
            }
            Err(problems) => {
                invalid += 1;
                assert!(!problems.is_empty(), "case {case}");
                for p in &problems {
                    assert!(
                        !p.path.is_empty() && !p.message.is_empty(),
                        "case {case}: {p:?} for {text}"
                    );
                    assert!(
                        p.message.len() <= 400,
                        "case {case}: {} chars",
                        p.message.len()
                    );
                    // A document that parses as JSON names a field, never just the file.
                    assert_ne!(p.path, "(file)", "case {case}: {p} for {text}");
                }
            }
        }
    }
    eprintln!("{SCENARIO_CASES} mutated scenarios: {valid} valid and run, {invalid} refused");
    assert!(valid > SCENARIO_CASES / 20 && invalid > SCENARIO_CASES / 2);
}

/// A query-string-ish text: one of the valid links with a few bytes changed, cut or added, or
/// random pairs of known and unknown parameters.
fn odd_query(g: &mut Gen, links: &[String]) -> String {
    let alphabet = b"?&=%v2zbpresetdspeedseedembedpanelschartscontrolslockautoplaystoporigins0123456789._-~+/:,;xXZ\xff";
    match g.below(3) {
        0 => {
            let mut bytes = links[g.below(links.len())].clone().into_bytes();
            for _ in 0..1 + g.below(4) {
                match g.below(3) {
                    0 if !bytes.is_empty() => {
                        let i = g.below(bytes.len());
                        bytes[i] = alphabet[g.below(alphabet.len())];
                    }
                    1 if !bytes.is_empty() => {
                        let i = g.below(bytes.len());
                        bytes.truncate(i);
                    }
                    _ => {
                        let i = g.below(bytes.len() + 1);
                        bytes.insert(i, alphabet[g.below(alphabet.len())]);
                    }
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        1 => {
            let keys = [
                "v", "preset", "seed", "speed", "z", "d", "b", "embed", "panels", "charts",
                "controls", "lock", "autoplay", "stop", "origins", "zz",
            ];
            let values = [
                "1",
                "2",
                "3",
                "0",
                "max",
                "-1",
                "1e309",
                "baseline",
                "nope",
                "arch,charts",
                "%zz",
                "",
                "AAAA",
                "eJwDAAAAAAE",
                "http://127.0.0.1:9",
                "99999999999999999999",
            ];
            (0..g.below(8))
                .map(|_| {
                    format!(
                        "{}={}",
                        keys[g.below(keys.len())],
                        values[g.below(values.len())]
                    )
                })
                .collect::<Vec<_>>()
                .join("&")
        }
        _ => (0..g.below(64))
            .map(|_| alphabet[g.below(alphabet.len() - 1)] as char)
            .collect(),
    }
}

#[test]
fn random_and_mutated_links_embed_parameters_and_host_commands_never_panic() {
    let links: Vec<String> = PRESETS
        .iter()
        .map(|p| encode(&LinkState::from_preset(p.id).unwrap()))
        .collect();
    let mut g = Gen(0x5eed_0002);
    let (mut opened, mut refused, mut commands_ok) = (0, 0, 0);
    let mut slowest = std::time::Duration::ZERO;
    for case in 0..DECODER_CASES {
        let query = odd_query(&mut g, &links);
        let started = std::time::Instant::now();
        match decode(&query) {
            Ok(state) => {
                opened += 1;
                // Whatever opens is a valid scenario (the address never holds anything else).
                assert!(
                    outage_lab_engine::Config::from_scenario(&state.scenario).is_ok(),
                    "case {case}: {query}"
                );
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().is_empty(), "case {case}");
            }
        }
        let (_, problems) = parse_options(&query);
        assert!(
            problems.iter().all(|p| !p.is_empty() && p.len() < 400),
            "case {case}"
        );
        let command = match g.below(4) {
            0 => json!({ "target": "outage-lab", "version": 1, "command": odd_value(&mut g) }),
            1 => json!({ "target": "outage-lab", "version": odd_value(&mut g), "command": "load",
                         "preset": odd_value(&mut g) }),
            2 => json!({ "target": "outage-lab", "version": 1, "command": "load", "link": query }),
            _ => json!({ "target": "outage-lab", "version": 1,
                         "command": (["play", "pause", "reset", "get_state", "load"])[g.below(5)],
                         "extra": odd_value(&mut g) }),
        };
        match parse_command(&command) {
            Ok(_) => commands_ok += 1,
            Err(e) => assert!(!e.is_empty() && e.len() < 400, "case {case}: {e}"),
        }
        slowest = slowest.max(started.elapsed());
    }
    eprintln!(
        "{DECODER_CASES} queries and commands: {opened} links opened, {refused} refused, \
         {commands_ok} commands accepted; slowest case {slowest:?}"
    );
    assert!(opened > 0 && refused > DECODER_CASES / 4 && commands_ok > 0);
}
