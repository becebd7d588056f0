//! Helpers shared by the test modules.

use outage_lab_engine::metrics::{StatusCounts, Window};
use outage_lab_engine::{load_scenario, Config, Scenario, SecondMetrics, Simulation, Summary};

/// The text of a bundled scenario in `scenarios/`.
pub fn scenario_text(name: &str) -> String {
    let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A bundled scenario, validated.
pub fn bundled(name: &str) -> Config {
    load_scenario(&scenario_text(name))
        .unwrap_or_else(|p| panic!("{name}: {p:?}"))
        .1
}

/// A bundled scenario changed by `tweak`, then validated: tests change settings through the
/// scenario, since only validation makes a `Config`.
pub fn bundled_with(name: &str, tweak: impl FnOnce(&mut Scenario)) -> Config {
    let (mut scenario, _) =
        load_scenario(&scenario_text(name)).unwrap_or_else(|p| panic!("{name}: {p:?}"));
    tweak(&mut scenario);
    Config::from_scenario(&scenario).unwrap_or_else(|p| panic!("{name} changed: {p:?}"))
}

/// Runs a configuration to its end.
pub fn run(config: Config) -> (Simulation, Summary) {
    let mut sim = Simulation::new(config);
    let summary = sim.run_to_end();
    (sim, summary)
}

/// Erlang B: the probability that all `c` servers are busy with offered load `a` (no queue).
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

/// Erlang C: the probability that an arrival waits, `c` servers, offered load `a` < c.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let rho = a / c as f64;
    b / (1.0 - rho + rho * b)
}

/// Outcomes summed over the rows whose second ends in `from_s..=to_s`.
pub fn outcomes(rows: &[SecondMetrics], from_s: u64, to_s: u64) -> StatusCounts {
    Window::between(rows, from_s, to_s).status()
}
