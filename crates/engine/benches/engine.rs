//! Events per second of the engine on the M/M/c model, on the baseline scenario, and on the
//! baseline with every mechanism switched on (breakers, retries, stampede protection, TTL
//! jitter, deep health checks, swallowed-error bookkeeping).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use outage_lab_engine::{load_scenario, Simulation};

const MMC: &str = include_str!("../../../scenarios/mmc.json");
const BASELINE: &str = include_str!("../../../scenarios/baseline.json");

/// The baseline with every optional mechanism on.
fn baseline_all_mechanisms() -> String {
    let mut s: serde_json::Value = serde_json::from_str(BASELINE).expect("JSON");
    s["upstream"]["breaker"] = serde_json::json!({ "preset": "resilience4j" });
    s["upstream"]["read_timeout_ms"] = serde_json::json!(2000);
    s["client"]["retry"] = serde_json::json!({ "max_attempts": 3, "jitter": "full" });
    s["cache"]["stampede_protection"] = serde_json::json!({ "kind": "coalescing" });
    s["cache"]["ttl_jitter_pct"] = serde_json::json!(10);
    s["load_balancer"]["health_check"] = serde_json::json!({ "kind": "deep" });
    s["database"]["query_timeout_ms"] = serde_json::json!(10000);
    s.to_string()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    let all = baseline_all_mechanisms();
    for (name, json) in [
        ("mmc", MMC),
        ("baseline", BASELINE),
        ("baseline_all_mechanisms", all.as_str()),
    ] {
        let (_, config) = load_scenario(json).expect("bundled scenario is valid");
        // Count the events once, so criterion reports events per second.
        let events = Simulation::new(config.clone()).run_to_end().events;
        group.throughput(Throughput::Elements(events));
        group.bench_with_input(BenchmarkId::from_parameter(name), &config, |b, config| {
            b.iter(|| Simulation::new(config.clone()).run_to_end().events)
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
