//! The native command-line runner: `outage-lab run | validate | schema | challenge | sweep`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use outage_lab_engine::config::{scenario_text, Config, Problem, DURATION_S_MAX};
use outage_lab_engine::{load_scenario, scenario_json_schema, Simulation, Summary};
use serde::Serialize;

/// Exit code for a scenario with problems, or a bad command line.
const EXIT_INVALID: i32 = 2;
/// Exit code for an input/output failure (unreadable scenario, unwritable CSV).
const EXIT_IO: i32 = 1;
/// Exit code for a run that stopped early at a runtime limit of the work model (its summary
/// so far is still printed).
const EXIT_STOPPED: i32 = 3;

#[derive(Parser)]
#[command(
    name = "outage-lab",
    version,
    about = "Simulate a web service under load and watch it fail."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario headless and print its summary (exit code 0; 2 invalid; 3 when the run
    /// stopped early at a runtime limit, with the summary so far).
    Run {
        /// The scenario file (JSON).
        scenario: PathBuf,
        /// Seed to use instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Run length in virtual seconds, instead of the scenario's.
        #[arg(long = "duration-s", allow_negative_numbers = true)]
        duration_s: Option<f64>,
        /// Print the summary as one JSON object.
        #[arg(long)]
        json: bool,
        /// Write the per-second series to this CSV file.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Check a scenario and report every problem (exit code 0 valid, 2 invalid).
    Validate {
        /// The scenario file (JSON).
        scenario: PathBuf,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// The challenges: list them, or judge a scenario file against one.
    #[command(subcommand)]
    Challenge(ChallengeCommand),
    /// Run a scenario over a grid of settings, in parallel, and print one CSV line per cell
    /// (or a JSON array): SLO met at the end, recovery after the trigger, goodput, 5xx, p99.
    Sweep {
        /// The scenario file (JSON).
        scenario: PathBuf,
        /// A setting and its values, e.g. `--vary db_pool.max_size=10,20,50`; repeat to vary
        /// several (the grid is every combination; at most 10 000 cells with the seeds).
        #[arg(long = "vary", required = true)]
        vary: Vec<String>,
        /// Seeds per combination: the scenario's seed and the next ones.
        #[arg(long, default_value_t = 1)]
        seeds: u64,
        /// Parallel runs (default: every core).
        #[arg(long)]
        jobs: Option<usize>,
        /// Print a JSON array instead of CSV.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ChallengeCommand {
    /// List the challenges: id, level, title, goal and the settings that may change.
    List,
    /// Print a challenge's starting scenario (JSON), to change and submit.
    Start {
        /// The challenge's id (see `challenge list`).
        id: String,
    },
    /// Judge a scenario against a challenge (exit code 0 pass, 1 fail, 2 invalid).
    Check {
        /// The challenge's id (see `challenge list`).
        id: String,
        /// The scenario file (JSON): the challenge's scenario with your changes.
        scenario: PathBuf,
        /// Print the verdict as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// The `--json` output: the engine's summary plus the wall-clock time of the run.
#[derive(Serialize)]
struct RunReport<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    wall_ms: f64,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_INVALID } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Schema => {
            println!("{}", scenario_json_schema());
            0
        }
        Command::Validate { scenario } => match read_config(&scenario, None, None) {
            Ok(_) => {
                println!("{}: valid", scenario.display());
                0
            }
            Err(code) => code,
        },
        Command::Run {
            scenario,
            seed,
            duration_s,
            json,
            csv,
        } => run(&scenario, seed, duration_s, json, csv.as_deref()),
        Command::Challenge(ChallengeCommand::List) => {
            list_challenges();
            0
        }
        Command::Challenge(ChallengeCommand::Start { id }) => {
            match outage_lab::app::challenges::challenge(&id) {
                Some(c) => {
                    println!("{}", outage_lab::app::export::scenario_json(&c.start()));
                    0
                }
                None => {
                    eprintln!("challenge: \"{id}\" is not a challenge (see `challenge list`)");
                    EXIT_INVALID
                }
            }
        }
        Command::Challenge(ChallengeCommand::Check { id, scenario, json }) => {
            check_challenge(&id, &scenario, json)
        }
        Command::Sweep {
            scenario,
            vary,
            seeds,
            jobs,
            json,
        } => sweep(&scenario, &vary, seeds, jobs, json),
    }
}

/// Runs a grid in parallel (results in grid order, whatever the number of jobs), with a
/// progress bar on a terminal.
fn sweep(path: &Path, vary: &[String], seeds: u64, jobs: Option<usize>, json: bool) -> i32 {
    use outage_lab::app::sweep::{csv_header, csv_line, Grid};
    use rayon::prelude::*;
    let scenario = match read_scenario(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let grid = match Grid::new(scenario, vary, seeds) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_INVALID;
        }
    };
    let cells = match grid.cells() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_INVALID;
        }
    };
    if jobs == Some(0) {
        eprintln!("--jobs: must be at least 1");
        return EXIT_INVALID;
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("--jobs: {e}");
            return EXIT_INVALID;
        }
    };
    let bar = indicatif::ProgressBar::new(cells.len() as u64);
    let started = Instant::now();
    let outcomes: Vec<_> = pool.install(|| {
        (cells.par_iter())
            .map(|c| {
                let o = c.run();
                bar.inc(1);
                o
            })
            .collect()
    });
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string(&outcomes).unwrap_or_default());
    } else {
        println!("{}", csv_header(&grid));
        for o in &outcomes {
            println!("{}", csv_line(o));
        }
    }
    eprintln!(
        "{} cells in {secs:.2} s ({:.1} cells/s) on {} threads",
        outcomes.len(),
        outcomes.len() as f64 / secs.max(1e-9),
        pool.current_num_threads()
    );
    0
}

/// Lists the challenges (a closed pipe, as with `| head`, ends the listing quietly).
fn list_challenges() {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    for c in outage_lab::app::challenges::CHALLENGES {
        let written = writeln!(out, "{}  (level {})  {}", c.id, c.level, c.title)
            .and_then(|_| writeln!(out, "    {}", c.brief))
            .and_then(|_| writeln!(out, "    goal: {}", c.goal_text()))
            .and_then(|_| writeln!(out, "    may change: {}", c.allowed.join(", ")));
        if written.is_err() {
            return;
        }
    }
}

/// Exit code of a challenge a scenario did not pass.
const EXIT_FAILED: i32 = 1;

fn check_challenge(id: &str, path: &Path, json: bool) -> i32 {
    use outage_lab::app::challenges::{challenge, CHALLENGES};
    let Some(c) = challenge(id) else {
        let ids: Vec<&str> = CHALLENGES.iter().map(|c| c.id).collect();
        eprintln!(
            "challenge: \"{id}\" is not a challenge; one of {}",
            ids.join(", ")
        );
        return EXIT_INVALID;
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return EXIT_INVALID;
        }
    };
    let loaded = match scenario_text(&bytes) {
        Ok(text) => load_scenario(text),
        Err(p) => Err(vec![p]),
    };
    let scenario = match loaded {
        Ok((s, _)) => s,
        Err(problems) => {
            report_problems(path, &problems);
            return EXIT_INVALID;
        }
    };
    let verdict = match c.check(&scenario) {
        Ok(v) => v,
        Err(problems) => {
            report_problems(path, &problems);
            return EXIT_INVALID;
        }
    };
    if json {
        println!("{}", serde_json::to_string(&verdict).unwrap_or_default());
    } else {
        println!("{}: {}", c.id, if verdict.passed { "PASS" } else { "FAIL" });
        for m in &verdict.requirements {
            let mark = if m.passed { "ok  " } else { "FAIL" };
            println!(
                "  {mark} {}: measured {}",
                m.text,
                outage_lab::app::charts::trim(m.value)
            );
        }
        for b in &verdict.broken {
            println!("  FAIL {b}");
        }
        println!(
            "  changed: {}",
            if verdict.changes.is_empty() {
                "nothing".to_string()
            } else {
                verdict.changes.join(", ")
            }
        );
    }
    if verdict.passed {
        0
    } else {
        EXIT_FAILED
    }
}

fn report_problems(path: &Path, problems: &[Problem]) {
    eprintln!("{}: {} problem(s)", path.display(), problems.len());
    for p in problems {
        eprintln!("  {p}");
    }
}

/// Reads and validates a scenario file, with the command line's seed and duration put into
/// the scenario first, so they are validated (and bounded) like the rest of it.
/// Reads and validates a scenario file, reporting its problems (with their fields).
fn read_scenario(path: &Path) -> Result<outage_lab_engine::Scenario, i32> {
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("{}: cannot read: {e}", path.display());
        EXIT_IO
    })?;
    let invalid = |problems: &[Problem]| {
        report_problems(path, problems);
        EXIT_INVALID
    };
    let text = scenario_text(&bytes).map_err(|p| invalid(&[p]))?;
    load_scenario(text).map(|(s, _)| s).map_err(|p| invalid(&p))
}

fn read_config(path: &Path, seed: Option<u64>, duration_s: Option<f64>) -> Result<Config, i32> {
    let invalid = |problems: &[Problem]| {
        report_problems(path, problems);
        EXIT_INVALID
    };
    let mut scenario = read_scenario(path)?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    if let Some(d) = duration_s {
        if !(d.is_finite() && d > 0.0 && d <= DURATION_S_MAX) {
            eprintln!("--duration-s: is {d}; must be greater than 0 and at most {DURATION_S_MAX}");
            return Err(EXIT_INVALID);
        }
        scenario.duration_s = d;
    }
    Config::from_scenario(&scenario).map_err(|p| invalid(&p))
}

fn run(
    path: &Path,
    seed: Option<u64>,
    duration_s: Option<f64>,
    json: bool,
    csv: Option<&Path>,
) -> i32 {
    let config = match read_config(path, seed, duration_s) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let started = Instant::now();
    let mut sim = Simulation::new(config);
    let summary = sim.run_to_end();
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;

    if let Some(csv_path) = csv {
        if let Err(e) = std::fs::write(csv_path, outage_lab::app::export::series_csv(sim.seconds()))
        {
            eprintln!("{}: cannot write: {e}", csv_path.display());
            return EXIT_IO;
        }
    }
    if json {
        let report = RunReport {
            summary: &summary,
            wall_ms,
        };
        match serde_json::to_string(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("cannot encode the summary: {e}");
                return EXIT_IO;
            }
        }
    } else {
        print!("{}", human_summary(&summary, wall_ms));
    }
    match summary.stopped {
        Some(stop) => {
            eprintln!("{}: {stop}", path.display());
            EXIT_STOPPED
        }
        None => 0,
    }
}

fn human_summary(s: &Summary, wall_ms: f64) -> String {
    let mut o = String::new();
    let pct = |n: u64| {
        if s.attempts.arrived == 0 {
            0.0
        } else {
            100.0 * n as f64 / s.attempts.arrived as f64
        }
    };
    let _ = writeln!(
        o,
        "seed {}  simulated {:.0} s  {} events ({} skipped) in {:.0} ms",
        s.seed, s.sim_seconds, s.events, s.events_skipped, wall_ms
    );
    let _ = writeln!(
        o,
        "attempts: {} arrived, {} completed, {} in flight at the end",
        s.attempts.arrived, s.attempts.completed, s.attempts.in_flight_at_end
    );
    let st = &s.status;
    for (label, n) in [
        ("200", st.ok_200),
        ("500", st.error_500),
        ("502", st.bad_gateway_502),
        ("503", st.unavailable_503),
        ("504", st.gateway_timeout_504),
        ("client timeout", st.client_timeout),
    ] {
        let _ = writeln!(o, "  {label:>14}: {n:>9}  ({:.2}%)", pct(n));
    }
    let l = &s.latency_ms;
    let _ = writeln!(
        o,
        "latency ms: mean {:.1}  p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        l.mean, l.p50, l.p90, l.p99, l.max
    );
    let _ = writeln!(o, "accept-queue wait ms: mean {:.2}", s.queue_wait_ms.mean);
    let _ = writeln!(
        o,
        "db: {} queries, {} pool acquire timeouts, {} query timeouts, pool wait mean {:.1} ms, peak concurrency {}",
        s.db.queries, s.db.pool_acquire_timeouts, s.db.query_timeouts, s.db.pool_wait_ms_mean, s.db.concurrency_max
    );
    let _ = writeln!(
        o,
        "cache: {} hits, {} misses ({:.1}% hits)",
        s.cache.hits,
        s.cache.misses,
        100.0 * s.cache.hit_ratio
    );
    let _ = writeln!(
        o,
        "upstream: {} calls, {} failures",
        s.upstream.calls, s.upstream.failures
    );
    o
}
