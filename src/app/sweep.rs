//! Sweeps: a scenario run over a grid of settings (and seeds), each cell judged on what a
//! map of "where a system gets stuck" needs: did it meet the SLO at the end, did it recover
//! after its trigger and how long that took, goodput, 5xx, p99. The grid and a cell's run are
//! plain functions, the same natively and in wasm; the command line runs cells in parallel.

use outage_lab_engine::config::Config;
use outage_lab_engine::scenario::RateComponent;
use outage_lab_engine::{Scenario, SecondMetrics, Simulation};
use serde::Serialize;

use super::knobs::knob;

/// At most this many cells (values multiplied over the varied settings, times seeds).
pub const CELLS_MAX: usize = 10_000;
/// The objective a cell is judged on: at most this share of answers failed in a second.
pub const SLO_FAILED_MAX: f64 = 0.01;

/// One varied setting: its knob id and the values, as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// The knob id (the scenario path), e.g. `db_pool.max_size`.
    pub path: &'static str,
    /// The values, as a setting takes them (`5000`, `none`, `coalescing`).
    pub values: Vec<String>,
}

/// A grid: the scenario, the varied settings and how many seeds per combination.
#[derive(Clone, Debug)]
pub struct Grid {
    base: Scenario,
    varies: Vec<Vary>,
    seeds: u64,
}

/// One cell: the values of each varied setting, the seed, and its scenario.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The values, in the order of the varied settings.
    pub values: Vec<String>,
    /// The seed.
    pub seed: u64,
    config: Config,
    trigger_end_s: Option<f64>,
}

/// What a cell's run gave.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// The values, in the order of the varied settings.
    pub values: Vec<String>,
    /// The seed.
    pub seed: u64,
    /// Every second of the run's last quarter had at most 1 % of answers failed.
    pub slo_met_at_end: bool,
    /// When the trigger (the last fault or traffic spike) ended, in seconds, if there is one.
    pub trigger_end_s: Option<f64>,
    /// Seconds from the trigger's end until every later second met the objective; `None` if
    /// it never did (it stayed failed: metastable) or there is no trigger.
    pub recovered_after_s: Option<f64>,
    /// User requests that succeeded, per second, over the run.
    pub goodput_per_s: f64,
    /// The share of answers that were 5xx.
    pub rate_5xx: f64,
    /// The share of answers users saw fail (5xx and client timeouts).
    pub failed_share: f64,
    /// The p99 latency over the run, in milliseconds.
    pub p99_ms: f64,
}

/// The end of the last fault or traffic spike, in seconds.
fn trigger_end(s: &Scenario) -> Option<f64> {
    let faults = s.faults.iter().map(|f| f.start_s + f.duration_s);
    let spikes = s.traffic.rate.iter().filter_map(|c| match c {
        RateComponent::Spike {
            start_s,
            duration_s,
            ..
        } => Some(start_s + duration_s),
        _ => None,
    });
    faults.chain(spikes).reduce(f64::max)
}

fn failed_share(r: &SecondMetrics) -> f64 {
    r.status.rate_failed()
}

impl Grid {
    /// A grid over `base`: each `--vary` is `PATH=V1,V2,...`; `seeds` seeds per combination
    /// (the scenario's seed, then the next ones). The settings and the grid's size are checked
    /// here; each cell's values when [`Grid::cells`] builds them, before anything runs.
    pub fn new(base: Scenario, varies: &[String], seeds: u64) -> Result<Grid, String> {
        if seeds == 0 {
            return Err("--seeds: must be at least 1".into());
        }
        let mut parsed = Vec::new();
        for v in varies {
            let (path, values) = v
                .split_once('=')
                .ok_or_else(|| format!("--vary \"{v}\": write PATH=V1,V2,..."))?;
            let k = knob(path.trim()).ok_or_else(|| {
                format!("--vary \"{v}\": \"{path}\" is not a setting (see docs/scenario.md)")
            })?;
            let values: Vec<String> = values.split(',').map(|x| x.trim().to_string()).collect();
            if values.iter().any(String::is_empty) {
                return Err(format!("--vary \"{v}\": an empty value"));
            }
            parsed.push(Vary { path: k.id, values });
        }
        (parsed.iter())
            .try_fold(seeds as usize, |n, v| n.checked_mul(v.values.len()))
            .filter(|n| *n <= CELLS_MAX)
            .ok_or_else(|| format!("the grid has more than {CELLS_MAX} cells"))?;
        Ok(Grid {
            base,
            varies: parsed,
            seeds,
        })
    }

    /// The varied settings.
    pub fn varies(&self) -> &[Vary] {
        &self.varies
    }

    /// Every cell, in grid order (the first setting varies slowest, the seed fastest), or the
    /// first value a setting refuses, named.
    pub fn cells(&self) -> Result<Vec<Cell>, String> {
        let mut combos: Vec<Vec<String>> = vec![Vec::new()];
        for v in &self.varies {
            combos = (combos.iter())
                .flat_map(|c| {
                    v.values.iter().map(move |x| {
                        let mut next = c.clone();
                        next.push(x.clone());
                        next
                    })
                })
                .collect();
        }
        let mut cells = Vec::with_capacity(combos.len() * self.seeds as usize);
        for values in combos {
            let mut s = self.base.clone();
            for (v, text) in self.varies.iter().zip(&values) {
                let k = knob(v.path).expect("checked when parsed");
                s = k
                    .apply(&s, text)
                    .map_err(|p| format!("{}={text}: {}", v.path, p[0]))?
                    .scenario;
            }
            for i in 0..self.seeds {
                let mut seeded = s.clone();
                seeded.seed = s.seed.wrapping_add(i);
                let config = Config::from_scenario(&seeded)
                    .map_err(|p| format!("{}: {}", values.join(", "), p[0]))?;
                cells.push(Cell {
                    values: values.clone(),
                    seed: seeded.seed,
                    config,
                    trigger_end_s: trigger_end(&seeded),
                });
            }
        }
        Ok(cells)
    }
}

impl Cell {
    /// Runs the cell to its end and judges it.
    pub fn run(&self) -> Outcome {
        let mut sim = Simulation::new(self.config.clone());
        let summary = sim.run_to_end();
        let rows = sim.seconds();
        let n = rows.len();
        let last_quarter = &rows[n - n / 4..];
        let slo_met_at_end = last_quarter
            .iter()
            .all(|r| failed_share(r) <= SLO_FAILED_MAX);
        // The first second after the trigger from which every second met the objective.
        let recovered_after_s = self.trigger_end_s.and_then(|end| {
            let tail_ok = rows.iter().rposition(|r| failed_share(r) > SLO_FAILED_MAX);
            let from_s = tail_ok.map_or(0, |i| rows[i].t_s);
            (tail_ok != Some(n - 1)).then(|| (from_s as f64 - end).max(0.0))
        });
        Outcome {
            values: self.values.clone(),
            seed: self.seed,
            slo_met_at_end,
            trigger_end_s: self.trigger_end_s,
            recovered_after_s,
            goodput_per_s: summary.requests.succeeded as f64 / summary.sim_seconds.max(1e-9),
            rate_5xx: summary.status.rate_5xx(),
            failed_share: summary.status.rate_failed(),
            p99_ms: summary.latency_ms.p99,
        }
    }
}

/// The CSV header for `grid`'s outcomes.
pub fn csv_header(grid: &Grid) -> String {
    let mut cols: Vec<&str> = grid.varies().iter().map(|v| v.path).collect();
    cols.extend([
        "seed",
        "slo_met_at_end",
        "trigger_end_s",
        "recovered_after_s",
        "goodput_per_s",
        "rate_5xx",
        "failed_share",
        "p99_ms",
    ]);
    cols.join(",")
}

/// One outcome as a CSV line.
pub fn csv_line(o: &Outcome) -> String {
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
    let mut cols: Vec<String> = o.values.clone();
    cols.extend([
        o.seed.to_string(),
        o.slo_met_at_end.to_string(),
        opt(o.trigger_end_s),
        opt(o.recovered_after_s),
        format!("{:.3}", o.goodput_per_s),
        format!("{:.6}", o.rate_5xx),
        format!("{:.6}", o.failed_share),
        format!("{:.3}", o.p99_ms),
    ]);
    cols.join(",")
}
