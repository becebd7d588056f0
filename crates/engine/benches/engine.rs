//! Events per second of the engine on the M/M/c model and on the baseline scenario.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use outage_lab_engine::{load_scenario, Simulation};

const MMC: &str = include_str!("../../../scenarios/mmc.json");
const BASELINE: &str = include_str!("../../../scenarios/baseline.json");

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    for (name, json) in [("mmc", MMC), ("baseline", BASELINE)] {
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
