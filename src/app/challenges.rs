//! Challenges: a scenario to fix, a goal in SLO terms, the settings that may change and a
//! budget. The judge runs a submitted scenario to its end and says pass or fail with every
//! requirement's measured value: the same verdict for the same scenario, natively and in wasm.

use outage_lab_engine::config::{Config, Problem};
use outage_lab_engine::metrics::Window;
use outage_lab_engine::scenario::{StampedeProtection, Timeout};
use outage_lab_engine::{load_scenario, Scenario, SecondMetrics, Simulation, Summary};
use serde::Serialize;

use super::knobs::KNOBS;

/// Whether setting `id` is among `allowed` (an id also allows the ids under it).
pub fn allows(allowed: &[&str], id: &str) -> bool {
    allowed
        .iter()
        .any(|a| id == *a || id.strip_prefix(a).is_some_and(|rest| rest.starts_with('.')))
}

/// What a requirement measures over its window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The share of one endpoint's answers that succeeded.
    EndpointSuccess(&'static str),
    /// The share of answers users saw fail (5xx and client timeouts).
    UsersFailed,
    /// The share of answers that were truly 5xx but looked fine to monitoring.
    HiddenErrors,
    /// The most cache loads of the database in any one second.
    PeakCacheLoadsPerS,
    /// The p99 of failed answers in a typical second (the median over the window's seconds
    /// with failures), in milliseconds: how fast failures are, a half-open trial aside.
    P99FailedMs,
    /// User requests that succeeded, as a share of those that arrived.
    GoodputShare,
    /// The p99 of successful answers in a typical second (the median over the window's
    /// seconds with successes), in milliseconds.
    P99OkMs,
    /// Calls sent over the whole run (first attempts and retries).
    CallsSent,
    /// Clients (user requests) who ended in failure over the whole run.
    ClientsFailed,
}

/// One requirement: `metric` over seconds `from_s..=to_s` at most (or at least) `bound`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Requirement {
    /// What is measured.
    pub metric: Metric,
    /// The window's first second (its rows end in `from_s..=to_s`).
    pub from_s: u64,
    /// The window's last second.
    pub to_s: u64,
    /// `true`: the value must be at least `bound`; `false`: at most.
    pub at_least: bool,
    /// The bound, in the metric's unit (shares from 0 to 1).
    pub bound: f64,
}

/// A challenge.
pub struct Challenge {
    /// Its id, as the command line and links name it.
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// 1 (a first fix), 2 (two mechanisms together) or 3 (under a tight budget).
    pub level: u8,
    /// The situation, in a sentence or two.
    pub brief: &'static str,
    /// The scenario it starts from (a bundled one)...
    pub scenario_json: &'static str,
    /// ...changed this way for the challenge.
    pub setup: fn(&mut Scenario),
    /// What must hold.
    pub goal: &'static [Requirement],
    /// The settings that may change, by knob id; an id also allows the ids under it
    /// (`client.retry` allows `client.retry.jitter`).
    pub allowed: &'static [&'static str],
    /// At most this many database connections over all instances (pool size times instances).
    pub db_connections_max: Option<u32>,
    /// At most this many worker threads over all instances (threads times instances).
    pub threads_max: Option<u32>,
    /// A known solution, applied to the starting scenario (tests show it passes).
    pub solution: fn(&mut Scenario),
}

/// One requirement's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measured {
    /// The requirement, in words.
    pub text: String,
    /// The value measured.
    pub value: f64,
    /// Whether it holds.
    pub passed: bool,
}

/// The judge's verdict on a submitted scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The challenge.
    pub challenge: &'static str,
    /// Every requirement held and every constraint was kept.
    pub passed: bool,
    /// The settings changed from the start, by knob id.
    pub changes: Vec<&'static str>,
    /// Constraints broken (a setting not allowed, the budget), in words.
    pub broken: Vec<String>,
    /// Each requirement, measured.
    pub requirements: Vec<Measured>,
}

impl Challenge {
    /// The starting scenario.
    pub fn start(&self) -> Scenario {
        let mut s = load_scenario(self.scenario_json)
            .expect("bundled challenge scenarios are valid")
            .0;
        (self.setup)(&mut s);
        s
    }

    /// The starting scenario with the known solution applied.
    pub fn solved(&self) -> Scenario {
        let mut s = self.start();
        (self.solution)(&mut s);
        s
    }

    /// Whether setting `id` may change in this challenge.
    pub fn allows(&self, id: &str) -> bool {
        allows(self.allowed, id)
    }

    /// The budget `scenario` breaks, in words, if it breaks one.
    pub fn over_budget(&self, scenario: &Scenario) -> Option<String> {
        let (pool, count) = (scenario.db_pool.max_size, scenario.instances.count);
        if let Some(max) = self.db_connections_max.filter(|m| pool * count > *m) {
            return Some(format!(
                "{} database connections ({pool} per instance x {count} instances); the budget is {max}",
                pool * count
            ));
        }
        let threads = scenario.instances.max_threads * count;
        if let Some(max) = self.threads_max.filter(|m| threads > *m) {
            return Some(format!("{threads} worker threads; the budget is {max}"));
        }
        None
    }

    /// The goal and constraints in words, for `challenge list`.
    pub fn goal_text(&self) -> String {
        let mut parts: Vec<String> = self.goal.iter().map(requirement_text).collect();
        if let Some(max) = self.db_connections_max {
            parts.push(format!("at most {max} database connections in all"));
        }
        if let Some(max) = self.threads_max {
            parts.push(format!("at most {max} worker threads in all"));
        }
        parts.join("; ")
    }

    /// Judges `submitted`: its problems if it is invalid, else the verdict.
    pub fn check(&self, submitted: &Scenario) -> Result<Verdict, Vec<Problem>> {
        let config = Config::from_scenario(submitted)?;
        let start = self.start();
        let changes: Vec<&'static str> = KNOBS
            .iter()
            .filter(|k| k.get(&start) != k.get(submitted))
            .map(|k| k.id)
            .collect();
        let mut broken: Vec<String> = (changes.iter())
            .filter(|id| !self.allows(id))
            .map(|id| format!("{id} may not change in this challenge"))
            .collect();
        if broken.is_empty() && !self.only_allowed_changed(&start, submitted) {
            broken.push("something besides the settings changed (endpoints, faults, actions, seed or run length)".into());
        }
        broken.extend(self.over_budget(submitted));
        let mut sim = Simulation::new(config);
        let summary = sim.run_to_end();
        let requirements: Vec<Measured> = (self.goal.iter())
            .map(|r| measure(r, sim.seconds(), &summary))
            .collect();
        Ok(Verdict {
            challenge: self.id,
            passed: broken.is_empty() && requirements.iter().all(|m| m.passed),
            changes,
            broken,
            requirements,
        })
    }

    /// Whether `submitted` equals `start` once the allowed settings are put back.
    fn only_allowed_changed(&self, start: &Scenario, submitted: &Scenario) -> bool {
        let mut back = submitted.clone();
        for k in KNOBS.iter().filter(|k| self.allows(k.id)) {
            k.copy_value(start, &mut back);
        }
        back.name.clone_from(&start.name);
        back.description.clone_from(&start.description);
        back == *start
    }
}

fn metric_text(m: Metric) -> String {
    match m {
        Metric::EndpointSuccess(e) => format!("{e} successes"),
        Metric::UsersFailed => "answers users saw fail".into(),
        Metric::HiddenErrors => "5xx hidden from monitoring".into(),
        Metric::PeakCacheLoadsPerS => "peak cache loads per second".into(),
        Metric::P99FailedMs => "p99 of failures in a typical second (ms)".into(),
        Metric::P99OkMs => "p99 of successes in a typical second (ms)".into(),
        Metric::GoodputShare => "user requests that succeeded".into(),
        Metric::CallsSent => "calls sent".into(),
        Metric::ClientsFailed => "clients who failed".into(),
    }
}

fn is_share(m: Metric) -> bool {
    matches!(
        m,
        Metric::EndpointSuccess(_)
            | Metric::UsersFailed
            | Metric::HiddenErrors
            | Metric::GoodputShare
    )
}

/// A requirement in words: "GET /product/{id} successes at least 95 % over 120-240 s".
pub fn requirement_text(r: &Requirement) -> String {
    let bound = if is_share(r.metric) {
        format!("{} %", super::charts::trim(100.0 * r.bound))
    } else {
        super::charts::trim(r.bound)
    };
    let side = if r.at_least { "at least" } else { "at most" };
    let window = match r.metric {
        Metric::CallsSent | Metric::ClientsFailed => "over the run".to_string(),
        _ => format!("over {}-{} s", r.from_s, r.to_s),
    };
    format!("{} {side} {bound} {window}", metric_text(r.metric))
}

/// The median of `values` (0 when there are none): the typical second.
fn typical(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Measures requirement `r` on a run's rows and summary.
pub fn measure(r: &Requirement, rows: &[SecondMetrics], summary: &Summary) -> Measured {
    let w = Window::between(rows, r.from_s, r.to_s);
    let value = match r.metric {
        Metric::EndpointSuccess(name) => {
            let e = summary.endpoints.iter().position(|e| e.name == name);
            let c = e.map(|e| w.endpoint_status(e)).unwrap_or_default();
            if c.total() == 0 {
                0.0
            } else {
                c.ok_200 as f64 / c.total() as f64
            }
        }
        Metric::UsersFailed => w.status().rate_failed(),
        Metric::HiddenErrors => (w.status().rate_5xx() - w.status_seen().rate_5xx()).max(0.0),
        Metric::PeakCacheLoadsPerS => {
            w.rows().iter().map(|r| r.cache_loads).max().unwrap_or(0) as f64
        }
        Metric::P99FailedMs => typical(w.rows().iter().filter_map(|r| r.latency_failed_p99_ms)),
        Metric::P99OkMs => typical(w.rows().iter().filter_map(|r| r.latency_ok_p99_ms)),
        Metric::GoodputShare => {
            let requests: u64 = w.rows().iter().map(|r| r.requests).sum();
            let goodput: u64 = w.rows().iter().map(|r| r.goodput).sum();
            if requests == 0 {
                0.0
            } else {
                goodput as f64 / requests as f64
            }
        }
        Metric::CallsSent => summary.attempts.arrived as f64,
        Metric::ClientsFailed => summary.requests.failed as f64,
    };
    let passed = if r.at_least {
        value >= r.bound
    } else {
        value <= r.bound
    };
    Measured {
        text: requirement_text(r),
        value,
        passed,
    }
}

/// A challenge by id.
pub fn challenge(id: &str) -> Option<&'static Challenge> {
    CHALLENGES.iter().find(|c| c.id == id)
}

/// A requirement that `metric` is at least `bound` over `from_s..=to_s`.
pub const fn at_least(metric: Metric, from_s: u64, to_s: u64, bound: f64) -> Requirement {
    Requirement {
        metric,
        from_s,
        to_s,
        at_least: true,
        bound,
    }
}

/// A requirement that `metric` is at most `bound` over `from_s..=to_s`.
pub const fn at_most(metric: Metric, from_s: u64, to_s: u64, bound: f64) -> Requirement {
    Requirement {
        metric,
        from_s,
        to_s,
        at_least: false,
        bound,
    }
}

/// The product page endpoint of the bundled shops.
pub const PRODUCT: &str = "GET /product/{id}";
const CHECKOUT: &str = "POST /checkout";

fn ms(v: f64) -> Timeout {
    Timeout::Ms(v)
}

fn retry(s: &mut Scenario) -> &mut outage_lab_engine::scenario::Retry {
    s.client
        .retry
        .as_mut()
        .expect("the challenge's clients retry")
}

fn breaker_on(s: &mut Scenario) {
    s.upstream.breaker = Some(outage_lab_engine::scenario::Breaker::default());
}

const SEED_INCIDENT: &str = include_str!("../../scenarios/seed-incident.json");
const UPSTREAM_HANG: &str = include_str!("../../scenarios/upstream-hang.json");

/// Every challenge, by level.
pub static CHALLENGES: &[Challenge] = &[
    Challenge {
        id: "pool-exhaustion",
        title: "Black Friday: keep product pages up while the queries are slow",
        level: 1,
        brief: "A dropped index makes queries take 30 s from 60 s on. Product pages are mostly cache hits: keep them served while the database is slow.",
        scenario_json: SEED_INCIDENT,
        setup: |_| {},
        goal: &[at_least(Metric::EndpointSuccess(PRODUCT), 120, 240, 0.9)],
        allowed: &["db_pool", "database.query_timeout_ms", "database.cores"],
        db_connections_max: Some(200),
        threads_max: None,
        solution: |s| {
            s.db_pool.max_size = 50;
            s.db_pool.connection_timeout_ms = ms(5_000.0);
            s.database.query_timeout_ms = ms(10_000.0);
        },
    },
    Challenge {
        id: "pool-on-a-budget",
        title: "Black Friday on a budget: 100 connections in all",
        level: 3,
        brief: "The same slow queries, but the database takes at most 100 connections from the whole fleet. Keep product pages up and no more than 22 % of answers failing (a bigger pool would not help a slow database).",
        scenario_json: SEED_INCIDENT,
        setup: |_| {},
        goal: &[
            at_least(Metric::EndpointSuccess(PRODUCT), 120, 240, 0.9),
            at_most(Metric::UsersFailed, 120, 240, 0.22),
        ],
        allowed: &["db_pool", "database.query_timeout_ms"],
        db_connections_max: Some(100),
        threads_max: None,
        solution: |s| {
            s.db_pool.max_size = 25;
            s.db_pool.connection_timeout_ms = ms(1_000.0);
            s.database.query_timeout_ms = ms(5_000.0);
        },
    },
    Challenge {
        id: "hung-gateway",
        title: "A hung payment gateway takes the shop down",
        level: 1,
        brief: "From 60 s the gateway accepts connections and never answers. Product pages never call it: keep them up.",
        scenario_json: UPSTREAM_HANG,
        setup: |_| {},
        goal: &[at_least(Metric::EndpointSuccess(PRODUCT), 90, 180, 0.99)],
        allowed: &["upstream"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| s.upstream.read_timeout_ms = ms(2_000.0),
    },
    Challenge {
        id: "fail-fast",
        title: "Fail fast while the gateway hangs",
        level: 2,
        brief: "Keep product pages up, and make checkouts fail at once (with a 503) instead of after a timeout while the gateway hangs.",
        scenario_json: UPSTREAM_HANG,
        setup: |_| {},
        goal: &[
            at_least(Metric::EndpointSuccess(PRODUCT), 90, 180, 0.99),
            at_most(Metric::P99FailedMs, 90, 180, 200.0),
        ],
        allowed: &["upstream"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| {
            s.upstream.read_timeout_ms = ms(2_000.0);
            breaker_on(s);
        },
    },
    Challenge {
        id: "recover-after-the-hang",
        title: "Fail fast, then recover on your own",
        level: 2,
        brief: "As in fail fast, and once the gateway answers again (180 s), checkouts must succeed again without anyone touching the service.",
        scenario_json: UPSTREAM_HANG,
        setup: |_| {},
        goal: &[
            at_least(Metric::EndpointSuccess(PRODUCT), 90, 180, 0.99),
            at_most(Metric::P99FailedMs, 90, 180, 200.0),
            at_least(Metric::EndpointSuccess(CHECKOUT), 200, 240, 0.95),
        ],
        allowed: &["upstream"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| {
            s.upstream.read_timeout_ms = ms(2_000.0);
            breaker_on(s);
        },
    },
    Challenge {
        id: "stampede",
        title: "A hot key's stampede",
        level: 1,
        brief: "Every 10 s the hottest key expires and a couple of hundred requests reload it from the database at once. Cut each expiry to a handful of loads.",
        scenario_json: include_str!("../../scenarios/cache-stampede.json"),
        setup: |_| {},
        goal: &[at_most(Metric::PeakCacheLoadsPerS, 6, 120, 10.0)],
        allowed: &["cache.stampede_protection"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| s.cache.stampede_protection = StampedeProtection::Coalescing,
    },
    Challenge {
        id: "retry-storm",
        title: "A retry storm that outlives its spike",
        level: 2,
        brief: "A 30 s spike makes clients time out and retry at once; after it the retries alone keep the service down. Let the service recover: nine user requests in ten succeed from 120 s on.",
        scenario_json: include_str!("../../scenarios/retry-storm.json"),
        setup: |_| {},
        goal: &[at_least(Metric::GoodputShare, 120, 240, 0.9)],
        allowed: &["client.retry"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| {
            retry(s).budget = Some(outage_lab_engine::scenario::RetryBudget {
                ratio: 0.1,
                min_retries_per_s: 10.0,
            })
        },
    },
    Challenge {
        id: "contention",
        title: "Clients contending for one lock",
        level: 1,
        brief: "About 75 clients hit one row lock at once and retry with no backoff: most run out of attempts. Every client must succeed, with at most 600 calls in all.",
        scenario_json: include_str!("../../scenarios/retry-contention.json"),
        setup: |_| {},
        goal: &[
            at_most(Metric::ClientsFailed, 0, 60, 0.0),
            at_most(Metric::CallsSent, 0, 60, 600.0),
        ],
        allowed: &["client.retry.backoff_base_ms", "client.retry.jitter"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| {
            let r = retry(s);
            r.backoff_base_ms = 5.0;
            r.jitter = outage_lab_engine::scenario::Jitter::Full;
        },
    },
    Challenge {
        id: "sick-instance",
        title: "One instance lost its database",
        level: 1,
        brief: "From 30 s one instance cannot reach the database; its process is fine, so the health check keeps passing. Take it out of rotation: under 1 % of answers fail from 90 s on.",
        scenario_json: include_str!("../../scenarios/sick-instance.json"),
        setup: |_| {},
        goal: &[at_most(Metric::UsersFailed, 90, 180, 0.01)],
        allowed: &["load_balancer.health_check"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| {
            if let Some(h) = s.load_balancer.health_check.as_mut() {
                h.kind = outage_lab_engine::scenario::HealthCheckKind::Deep;
            }
        },
    },
    Challenge {
        id: "lying-200",
        title: "Errors the monitoring cannot see",
        level: 1,
        brief: "From 60 s the gateway fails 30 % of payments, and the application answers them with 200. Make the monitoring see every error.",
        scenario_json: include_str!("../../scenarios/lying-200.json"),
        setup: |_| {},
        goal: &[at_most(Metric::HiddenErrors, 60, 240, 0.0)],
        allowed: &["error_handling"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| s.error_handling = outage_lab_engine::scenario::ErrorHandling::Honest,
    },
    Challenge {
        id: "capacity",
        title: "Enough threads, and no more",
        level: 2,
        brief: "An M/M/c service: 760 requests/s of 10 ms each (exponential) on 8 threads, 95 % busy, so requests queue. Keep the typical second's p99 under 55 ms with at most 9 threads.",
        scenario_json: include_str!("../../scenarios/mmc.json"),
        setup: |s| {
            s.traffic.rate = vec![outage_lab_engine::scenario::RateComponent::Constant { rps: 760.0 }];
            s.duration_s = 300.0;
        },
        goal: &[at_most(Metric::P99OkMs, 60, 300, 55.0)],
        allowed: &["instances.max_threads"],
        db_connections_max: None,
        threads_max: Some(9),
        solution: |s| s.instances.max_threads = 9,
    },
    Challenge {
        id: "shared-deep-check",
        title: "A deep health check on a shared database",
        level: 3,
        brief: "The Black Friday fix with a deep health check that fails above 80 % pool use, and a balancer that answers 503 when no instance is healthy. The database is shared, so the check fails everywhere at once. Keep product pages up.",
        scenario_json: include_str!("../../scenarios/seed-incident-fixed.json"),
        setup: |s| {
            if let Some(h) = s.load_balancer.health_check.as_mut() {
                h.when_all_unhealthy = outage_lab_engine::scenario::WhenAllUnhealthy::Reject503;
            }
        },
        goal: &[at_least(Metric::EndpointSuccess(PRODUCT), 120, 240, 0.9)],
        allowed: &["load_balancer.health_check"],
        db_connections_max: None,
        threads_max: None,
        solution: |s| {
            if let Some(h) = s.load_balancer.health_check.as_mut() {
                h.kind = outage_lab_engine::scenario::HealthCheckKind::Shallow;
            }
        },
    },
];
