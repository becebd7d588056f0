//! Retry strategies side by side (the "retries in contention" lesson): the same burst of
//! clients run once per strategy to the end, with what each cost: calls sent, clients who gave
//! up, and how long the slowest client took.

use outage_lab_engine::config::{Config, Problem};
use outage_lab_engine::scenario::Jitter;
use outage_lab_engine::{Scenario, Simulation};

/// A retry strategy: the backoff base and the jitter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strategy {
    /// Its name in the table.
    pub label: &'static str,
    /// The first retry's delay, in milliseconds (0: retry at once, no backoff).
    pub backoff_base_ms: f64,
    /// How the delay is spread.
    pub jitter: Jitter,
}

/// The strategies compared, from worst to best known.
pub static STRATEGIES: [Strategy; 5] = [
    Strategy {
        label: "no backoff",
        backoff_base_ms: 0.0,
        jitter: Jitter::None,
    },
    Strategy {
        label: "exponential backoff, no jitter",
        backoff_base_ms: 5.0,
        jitter: Jitter::None,
    },
    Strategy {
        label: "exponential backoff, full jitter",
        backoff_base_ms: 5.0,
        jitter: Jitter::Full,
    },
    Strategy {
        label: "exponential backoff, equal jitter",
        backoff_base_ms: 5.0,
        jitter: Jitter::Equal,
    },
    Strategy {
        label: "exponential backoff, decorrelated jitter",
        backoff_base_ms: 5.0,
        jitter: Jitter::Decorrelated,
    },
];

/// What one strategy cost over a whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategyResult {
    /// The strategy.
    pub strategy: Strategy,
    /// Calls sent (first attempts and retries).
    pub calls: u64,
    /// Clients (user requests).
    pub clients: u64,
    /// Clients who ran out of attempts.
    pub gave_up: u64,
    /// How long the slowest client took, first attempt to its end, in milliseconds.
    pub slowest_ms: f64,
}

impl Strategy {
    /// `scenario` with this strategy's retries (the other retry settings kept); `None` when
    /// the scenario has no retries.
    pub fn applied_to(&self, scenario: &Scenario) -> Option<Scenario> {
        let mut s = scenario.clone();
        let retry = s.client.retry.as_mut()?;
        retry.backoff_base_ms = self.backoff_base_ms;
        retry.jitter = self.jitter;
        Some(s)
    }

    /// Whether `scenario` uses this strategy.
    pub fn is_used_by(&self, scenario: &Scenario) -> bool {
        scenario
            .client
            .retry
            .as_ref()
            .is_some_and(|r| r.backoff_base_ms == self.backoff_base_ms && r.jitter == self.jitter)
    }
}

/// The most clients (expected user requests) a comparison runs: five whole runs happen at
/// once in the page, so they must stay small (the lesson has about 75).
pub const CLIENTS_MAX: f64 = 1_000.0;

/// Runs `scenario` once per strategy, to the end, or says why not: it is invalid, or it
/// expects more than [`CLIENTS_MAX`] clients (each run would take too long in the page).
pub fn compare(scenario: &Scenario) -> Result<Vec<StrategyResult>, String> {
    let config = Config::from_scenario(scenario).map_err(|p| describe(&p))?;
    let clients = config.work().requests;
    if clients > CLIENTS_MAX {
        return Err(format!(
            "this run expects about {clients:.0} clients; the side-by-side runs at most {CLIENTS_MAX:.0} (lower the load)"
        ));
    }
    run_each(scenario).map_err(|p| describe(&p))
}

fn describe(problems: &[Problem]) -> String {
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    text.join("; ")
}

fn run_each(scenario: &Scenario) -> Result<Vec<StrategyResult>, Vec<Problem>> {
    STRATEGIES
        .iter()
        .filter_map(|strategy| strategy.applied_to(scenario).map(|s| (strategy, s)))
        .map(|(strategy, s)| {
            let summary = Simulation::new(Config::from_scenario(&s)?).run_to_end();
            Ok(StrategyResult {
                strategy: *strategy,
                calls: summary.attempts.arrived,
                clients: summary.requests.arrived,
                gave_up: summary.requests.failed,
                slowest_ms: summary.requests.longest_ms,
            })
        })
        .collect()
}
