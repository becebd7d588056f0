//! Incident drills: the shop runs with one hidden cause, chosen by the seed from a pool of
//! causes; the learner investigates what production would show (logs, alerts, charts, the
//! architecture view), names the root cause from a list and is scored. A drill is written in a
//! link as its pool, seed, start time and load, never as its cause, so the link does not give
//! the answer to a casual reader; the same link gives the whole class the same incident.

use outage_lab_engine::rng::mix64;
use outage_lab_engine::scenario::{ErrorHandling, Fault, FaultKind, RateComponent, Timeout};
use outage_lab_engine::{load_scenario, Scenario, SimTime, Simulation};
use serde::Serialize;

use super::link::LinkError;

/// The shop every drill runs on.
pub const SHOP_JSON: &str = include_str!("../../scenarios/drill-shop.json");

/// The drill start times a link may ask for, in seconds.
pub const START_S: std::ops::RangeInclusive<u32> = 20..=150;
/// The loads a link may ask for, in percent of the shop's 300 requests/s.
pub const LOAD_PCT: std::ops::RangeInclusive<u32> = 50..=150;
/// The drill start when a link does not say.
pub const DEFAULT_START_S: u32 = 60;

/// A cause a drill may hide.
pub struct Cause {
    /// Its id, as links and progress name it.
    pub id: &'static str,
    /// The choice, as the list of root causes shows it.
    pub choice: &'static str,
    /// One of the five classic causes of a 500.
    pub classic: bool,
    /// Present from the start of the run (a configuration), not from the drill's start time.
    pub from_start: bool,
    /// What the screen shows that names it: the reveal's lesson.
    pub signal: &'static str,
    /// What would have mitigated it.
    pub mitigation: &'static str,
    /// Puts the cause into the shop, starting at `start_s`, on instance `instance` when it
    /// hits one.
    apply: fn(&mut Scenario, f64, u32),
}

fn fault(kind: FaultKind, start_s: f64) -> Fault {
    Fault {
        kind,
        start_s,
        duration_s: 0.0,
        multiplier: None,
        error_rate: None,
        instance: None,
        fail_fast: None,
    }
}

/// A fault from `start_s` to the end of the run.
fn lasting(s: &Scenario, kind: FaultKind, start_s: f64) -> Fault {
    Fault {
        duration_s: s.duration_s - start_s,
        ..fault(kind, start_s)
    }
}

/// Every cause, in the order the list shows them.
pub static CAUSES: &[Cause] = &[
    Cause {
        id: "code_bug",
        choice: "A code bug: an exception nothing catches",
        classic: true,
        from_start: false,
        signal: "500s on every instance alike, a tenth of requests, each logging the same NullPointerException; threads, pool, database and gateway all healthy.",
        mitigation: "Roll back the release (or fix the null check); a restart does not help, the bug is in the code.",
        apply: |s, t, _| {
            s.faults.push(Fault {
                error_rate: Some(0.1),
                ..lasting(s, FaultKind::CodeBug, t)
            })
        },
    },
    Cause {
        id: "pool_exhaustion",
        choice: "The database: slow queries exhausted the connection pool",
        classic: true,
        from_start: false,
        signal: "Leak-detection warnings and the slow-query log come first, then every pool is full with requests waiting, threads pile up behind the pool and the database runs at its concurrency limit.",
        mitigation: "Find the slow query (a missing index) and fix it; meanwhile kill long queries and set a statement timeout so the pool drains.",
        apply: |s, t, _| {
            s.faults.push(Fault {
                multiplier: Some(100.0),
                ..lasting(s, FaultKind::DbSlow, t)
            })
        },
    },
    Cause {
        id: "misconfiguration",
        choice: "A misconfiguration: a timeout set far too low",
        classic: true,
        from_start: true,
        signal: "Checkout fails from the first second with 'Read timed out (payment gateway)' after 150 ms, while the gateway answers in its usual 120 ms median: the read timeout is shorter than the gateway's normal latency.",
        mitigation: "Set the gateway read timeout above the gateway's p99 (about 800 ms), e.g. 2 000 ms.",
        apply: |s, _, _| s.upstream.read_timeout_ms = Timeout::Ms(150.0),
    },
    Cause {
        id: "resource_exhaustion",
        choice: "Resource exhaustion: more traffic than the service can serve",
        classic: true,
        from_start: false,
        signal: "User requests per second triple and stay there; the database runs at its concurrency limit, pools and threads fill, and no component logs an error of its own.",
        mitigation: "Add capacity (instances, database cores) or shed load with 503s; caching more of the product pages lowers the database's share.",
        apply: |s, t, _| {
            s.faults.push(Fault {
                multiplier: Some(3.0),
                ..lasting(s, FaultKind::TrafficSpike, t)
            })
        },
    },
    Cause {
        id: "bad_deploy",
        choice: "A bad deploy on one instance",
        classic: true,
        from_start: false,
        signal: "All errors come from one instance, every request it serves ends in 500 with 'required property payment.api-key is not set'; the shallow health check keeps it in rotation.",
        mitigation: "Roll the instance back to the previous release (a restart alone brings the same release back), and make the service validate its configuration at startup so a release without it never takes traffic.",
        apply: |s, t, i| {
            s.faults.push(Fault {
                instance: Some(i),
                fail_fast: Some(false),
                ..lasting(s, FaultKind::BadDeploy, t)
            })
        },
    },
    Cause {
        id: "gateway_hang",
        choice: "The payment gateway hangs",
        classic: false,
        from_start: false,
        signal: "Gateway calls stop completing and pile up; every worker thread ends up waiting on the gateway with no read timeout, product pages fail too, and nothing is logged until the balancer gives up: the database and cache are idle.",
        mitigation: "A read timeout on the gateway call and a circuit breaker (fail fast with 503), so threads are not held.",
        apply: |s, t, _| s.faults.push(lasting(s, FaultKind::UpstreamHang, t)),
    },
    Cause {
        id: "cache_stampede",
        choice: "A cache stampede: hot keys expired at once",
        classic: false,
        from_start: false,
        signal: "Cache loads jump at one instant and the hit ratio collapses; the database saturates with the same product queries, then retries keep it saturated.",
        mitigation: "Request coalescing (or stale-while-revalidate) so one request reloads a key while the others wait or get the stale copy.",
        apply: |s, t, _| s.faults.push(fault(FaultKind::CacheFlush, t)),
    },
    Cause {
        id: "retry_storm",
        choice: "A retry storm: clients retrying without backoff",
        classic: false,
        from_start: false,
        signal: "A short burst of traffic ends, but retries per second stay above user requests per second and the outage outlives its trigger: the clients retry twice at once, with no backoff or jitter.",
        mitigation: "Exponential backoff with jitter and a retry budget in the clients; honour Retry-After; shed load with 503s.",
        apply: |s, t, _| {
            s.faults.push(Fault {
                multiplier: Some(3.0),
                duration_s: 30.0,
                ..fault(FaultKind::TrafficSpike, t)
            })
        },
    },
    Cause {
        id: "sick_instance",
        choice: "One instance cannot reach the database",
        classic: false,
        from_start: false,
        signal: "All errors come from one instance and name 'Connection to db:5432 refused'; the shallow health check still passes, so the balancer keeps sending it a quarter of the traffic.",
        mitigation: "A deep health check (one that touches the database) takes it out of rotation; restart or replace it.",
        apply: |s, t, i| {
            s.faults.push(Fault {
                instance: Some(i),
                ..lasting(s, FaultKind::InstanceDbUnreachable, t)
            })
        },
    },
    Cause {
        id: "swallowed_errors",
        choice: "Gateway failures hidden behind 200s",
        classic: false,
        from_start: false,
        signal: "Users fail at checkout while monitoring's 5xx rate stays at zero: the log shows the gateway's 500s, but the application answers 200 with an error body.",
        mitigation: "Answer honest status codes (500/503) so alerts fire; then deal with the gateway's errors (retry with backoff, breaker).",
        apply: |s, t, _| {
            s.error_handling = ErrorHandling::Swallow;
            s.faults.push(Fault {
                error_rate: Some(0.3),
                ..lasting(s, FaultKind::UpstreamErrors, t)
            })
        },
    },
];

/// A cause by id.
pub fn cause(id: &str) -> Option<&'static Cause> {
    CAUSES.iter().find(|c| c.id == id)
}

/// A drill: the causes it may hide, its seed, when the cause starts and how much traffic.
#[derive(Clone, Debug, PartialEq)]
pub struct DrillSpec {
    /// The causes the seed chooses from (at least one), in [`CAUSES`] order.
    pub pool: Vec<&'static Cause>,
    /// The seed: it chooses the cause and the instance, and drives the run.
    pub seed: u64,
    /// When the cause starts, in seconds (for causes not present from the start).
    pub start_s: u32,
    /// Traffic, in percent of the shop's.
    pub load_pct: u32,
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        self.id == other.id
    }
}

impl DrillSpec {
    /// A drill over every cause, starting at the default time, at the shop's load.
    pub fn every_cause(seed: u64) -> DrillSpec {
        DrillSpec {
            pool: CAUSES.iter().collect(),
            seed,
            start_s: DEFAULT_START_S,
            load_pct: 100,
        }
    }

    /// The hidden cause: the seed's choice from the pool.
    pub fn cause(&self) -> &'static Cause {
        let i = mix64(self.seed ^ 0x6472_696c_6c00_0001) % self.pool.len() as u64;
        self.pool[i as usize]
    }

    /// The instance a cause that hits one instance hits.
    pub fn instance(&self) -> u32 {
        let count = shop().instances.count.max(1) as u64;
        (mix64(self.seed ^ 0x6472_696c_6c00_0002) % count) as u32
    }

    /// When the incident starts, in seconds: the drill's start, or 0 for a configuration.
    pub fn incident_start_s(&self) -> f64 {
        if self.cause().from_start {
            0.0
        } else {
            f64::from(self.start_s)
        }
    }

    /// The scenario the drill runs: the shop with its load and the hidden cause, under a name
    /// that does not tell it.
    pub fn scenario(&self) -> Scenario {
        let mut s = shop();
        s.seed = self.seed;
        let scale = f64::from(self.load_pct) / 100.0;
        for segment in &mut s.traffic.rate {
            if let RateComponent::Ramp {
                from_rps, to_rps, ..
            } = segment
            {
                *from_rps *= scale;
                *to_rps *= scale;
            }
        }
        (self.cause().apply)(&mut s, f64::from(self.start_s), self.instance());
        s.name = "Incident drill".into();
        s.description = "Something is wrong with the shop. Find the root cause.".into();
        s
    }

    /// The drill's link parameters (without a leading `?`): pool, seed, start and load. The
    /// cause is not among them.
    pub fn to_query(&self) -> String {
        let pool = if self.pool.len() == CAUSES.len() {
            "all".to_string()
        } else {
            let ids: Vec<&str> = self.pool.iter().map(|c| c.id).collect();
            ids.join(",")
        };
        format!(
            "drill={pool}&seed={}&at={}&load={}",
            self.seed, self.start_s, self.load_pct
        )
    }

    /// Reads a drill from link parameters (`drill`, `seed`, `at`, `load`); the first
    /// parameter that is wrong is named with its reason.
    pub fn from_params(params: &[(String, String)]) -> Result<DrillSpec, LinkError> {
        let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        let pool_text = get("drill").ok_or_else(|| LinkError {
            field: "drill".into(),
            message: "is missing".into(),
        })?;
        let pool: Vec<&'static Cause> = if pool_text == "all" {
            CAUSES.iter().collect()
        } else {
            let mut pool = Vec::new();
            for id in pool_text.split(',') {
                let c = cause(id).ok_or_else(|| LinkError {
                    field: "drill".into(),
                    message: format!(
                        "\"{id}\" is not a cause (causes: all, {})",
                        CAUSES.iter().map(|c| c.id).collect::<Vec<_>>().join(", ")
                    ),
                })?;
                if !pool.contains(&c) {
                    pool.push(c);
                }
            }
            pool.sort_by_key(|c| CAUSES.iter().position(|x| x.id == c.id));
            pool
        };
        let seed = match get("seed") {
            None => 1,
            Some(t) => t.parse::<u64>().map_err(|_| LinkError {
                field: "seed".into(),
                message: format!("\"{t}\" is not a whole number from 0 to {}", u64::MAX),
            })?,
        };
        let start_s = number(get("at"), "at", START_S, DEFAULT_START_S, "s")?;
        let load_pct = number(get("load"), "load", LOAD_PCT, 100, "%")?;
        Ok(DrillSpec {
            pool,
            seed,
            start_s,
            load_pct,
        })
    }
}

fn number(
    text: Option<&String>,
    field: &'static str,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
    unit: &str,
) -> Result<u32, LinkError> {
    let Some(t) = text else {
        return Ok(default);
    };
    match t.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(LinkError {
            field: field.into(),
            message: format!(
                "\"{t}\" is not a whole number from {} to {} {unit}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// The shop, as bundled (read once).
pub fn shop() -> Scenario {
    static SHOP: std::sync::OnceLock<Scenario> = std::sync::OnceLock::new();
    SHOP.get_or_init(|| {
        load_scenario(SHOP_JSON)
            .expect("the bundled shop is valid")
            .0
    })
    .clone()
}

/// One part of a drill's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScorePart {
    /// What it rewards, with the figure it was computed from.
    pub label: String,
    /// Points earned.
    pub points: u32,
    /// Points possible.
    pub max: u32,
}

/// How a diagnosis scored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrillScore {
    /// The cause named.
    pub named: &'static str,
    /// The cause hidden.
    pub actual: &'static str,
    /// Whether they are the same.
    pub correct: bool,
    /// Virtual seconds from the incident's start to the diagnosis (negative: named before it
    /// began).
    pub virtual_s: f64,
    /// Wall seconds from opening the drill to the diagnosis.
    pub wall_s: f64,
    /// User requests failed by the diagnosis, in the learner's run.
    pub failed: u64,
    /// User requests failed by the same time had nobody touched anything.
    pub failed_untouched: u64,
    /// The parts of the score.
    pub parts: Vec<ScorePart>,
    /// The total, out of 100 (0 when the diagnosis is wrong).
    pub points: u32,
}

/// Points for naming the right cause.
pub const POINTS_CORRECT: u32 = 50;
/// Points for a quick diagnosis in virtual time (full within 30 s of the incident's start,
/// none after 180 s).
pub const POINTS_VIRTUAL: u32 = 20;
/// Points for a quick diagnosis in wall time (full within 60 s, none after 10 minutes).
pub const POINTS_WALL: u32 = 10;
/// Points for doing no harm; one is lost per 25 user requests failed beyond doing nothing.
pub const POINTS_NO_HARM: u32 = 20;

fn linear(value: f64, full_below: f64, none_above: f64, max: u32) -> u32 {
    let share = ((none_above - value) / (none_above - full_below)).clamp(0.0, 1.0);
    (share * f64::from(max)).round() as u32
}

impl DrillSpec {
    /// Scores naming `named` at virtual time `at` after `wall_s` wall seconds, when the
    /// learner's run had failed `failed` user requests by then. The run nobody touched is
    /// simulated to the same time to count the harm the learner's changes did.
    pub fn score(
        &self,
        named: &'static Cause,
        at: SimTime,
        wall_s: f64,
        failed: u64,
    ) -> DrillScore {
        let config = outage_lab_engine::config::Config::from_scenario(&self.scenario())
            .expect("drill scenarios are valid");
        let mut untouched = Simulation::new(config);
        untouched.run_until(at);
        let failed_untouched = untouched.summary().requests.failed;
        let actual = self.cause();
        let correct = named.id == actual.id;
        let virtual_s = at.as_secs_f64() - self.incident_start_s();
        let harm = failed.saturating_sub(failed_untouched);
        let parts = vec![
            ScorePart {
                label: format!("named the root cause: {}", named.choice),
                points: if correct { POINTS_CORRECT } else { 0 },
                max: POINTS_CORRECT,
            },
            ScorePart {
                label: format!(
                    "{:.0} virtual seconds after the incident began",
                    virtual_s.max(0.0)
                ),
                points: if virtual_s < 0.0 {
                    0
                } else {
                    linear(virtual_s, 30.0, 180.0, POINTS_VIRTUAL)
                },
                max: POINTS_VIRTUAL,
            },
            ScorePart {
                label: format!("{:.0} wall seconds after opening the drill", wall_s),
                points: linear(wall_s, 60.0, 600.0, POINTS_WALL),
                max: POINTS_WALL,
            },
            ScorePart {
                label: format!(
                    "{harm} user requests failed because of your changes ({failed} failed, {failed_untouched} with no change)"
                ),
                points: POINTS_NO_HARM.saturating_sub((harm / 25).min(u64::from(POINTS_NO_HARM)) as u32),
                max: POINTS_NO_HARM,
            },
        ];
        let points = if correct {
            parts.iter().map(|p| p.points).sum()
        } else {
            0
        };
        DrillScore {
            named: named.id,
            actual: actual.id,
            correct,
            virtual_s,
            wall_s,
            failed,
            failed_untouched,
            parts,
            points,
        }
    }
}

/// A drill open on the page: what the learner picked, and once they named a cause, the
/// score and the reveal.
#[derive(Clone, Debug, PartialEq)]
pub struct DrillRun {
    /// The drill.
    pub spec: DrillSpec,
    /// Opened from a trainer's answer link: the cause is shown from the start.
    pub answer_view: bool,
    /// When it was opened, wall-clock milliseconds.
    pub opened_ms: f64,
    /// The cause picked in the list, not yet submitted.
    pub choice: Option<&'static Cause>,
    /// The score, once a cause was named.
    pub score: Option<DrillScore>,
    /// The reveal's timeline: when, and what (the cause, the first error, the first alert,
    /// the learner's changes and actions, the diagnosis), in time order.
    pub timeline: Vec<(f64, String)>,
}

impl DrillRun {
    /// Whether the page may show the cause (faults, bands, captions): after the diagnosis,
    /// or on a trainer's answer link.
    pub fn revealed(&self) -> bool {
        self.answer_view || self.score.is_some()
    }
}

/// The trainer's form: the causes a drill may hide, when, how much traffic, which seed.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainerForm {
    /// The causes ticked, by id.
    pub pool: Vec<&'static str>,
    /// The start time as typed, in seconds.
    pub at_text: String,
    /// The load as typed, in percent.
    pub load_text: String,
    /// The seed as typed.
    pub seed_text: String,
}

impl Default for TrainerForm {
    fn default() -> TrainerForm {
        TrainerForm {
            pool: CAUSES.iter().map(|c| c.id).collect(),
            at_text: DEFAULT_START_S.to_string(),
            load_text: "100".into(),
            seed_text: "1".into(),
        }
    }
}

/// A field of the trainer's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrainerField {
    /// When the cause starts.
    At,
    /// The load.
    Load,
    /// The seed.
    Seed,
}

impl TrainerForm {
    /// The drill the form describes, or the first field that is wrong and why.
    pub fn spec(&self) -> Result<DrillSpec, LinkError> {
        if self.pool.is_empty() {
            return Err(LinkError {
                field: "causes".into(),
                message: "tick at least one cause".into(),
            });
        }
        let params = vec![
            ("drill".to_string(), self.pool.join(",")),
            ("seed".to_string(), self.seed_text.trim().to_string()),
            ("at".to_string(), self.at_text.trim().to_string()),
            ("load".to_string(), self.load_text.trim().to_string()),
        ];
        DrillSpec::from_params(&params)
    }
}
