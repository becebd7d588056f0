//! Golden files: every bundled scenario's summary and per-second CSV, as the CLI prints them, kept
//! byte for byte in `tests/golden/scenarios/`. A refactoring must leave them identical; a change
//! of behaviour rewrites them on purpose (`OUTAGE_LAB_WRITE_GOLDEN=1 cargo test golden`) and the
//! diff shows what changed.

use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/scenarios")
}

/// The summary JSON without the one wall-clock field, pretty-printed so a diff is readable.
fn stable_summary(stdout: &[u8]) -> String {
    let mut value: serde_json::Value = serde_json::from_slice(stdout).expect("summary is JSON");
    value
        .as_object_mut()
        .expect("summary is an object")
        .remove("wall_ms");
    serde_json::to_string_pretty(&value).expect("serialisable") + "\n"
}

/// Compares `actual` with the golden file `name`, or writes it when asked to.
fn check(name: &str, actual: &str, mismatches: &mut Vec<String>) {
    let path = golden_dir().join(name);
    if std::env::var_os("OUTAGE_LAB_WRITE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .map_or("the length".to_string(), |i| format!("line {}", i + 1));
        mismatches.push(format!("{name} differs at {line}"));
    }
}

#[test]
fn every_bundled_scenario_matches_its_golden_summary_and_csv() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&scenarios)
        .expect("scenarios/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    assert!(
        names.len() >= 10,
        "the bundled scenarios are found: {names:?}"
    );
    let scratch = std::env::temp_dir().join(format!("outage-lab-golden-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let mut mismatches = Vec::new();
    for name in &names {
        let csv_path = scratch.join(format!("{name}.csv"));
        let out = Command::new(env!("CARGO_BIN_EXE_outage-lab"))
            .arg("run")
            .arg(scenarios.join(format!("{name}.json")))
            .arg("--json")
            .arg("--csv")
            .arg(&csv_path)
            .output()
            .expect("the CLI runs");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        check(
            &format!("{name}.summary.json"),
            &stable_summary(&out.stdout),
            &mut mismatches,
        );
        let csv = std::fs::read_to_string(&csv_path).expect("CSV written");
        check(&format!("{name}.csv"), &csv, &mut mismatches);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        mismatches.is_empty(),
        "golden files differ:\n{}",
        mismatches.join("\n")
    );
}
