//! Guided lessons: each lesson of the model as a few steps (observe, predict, change one thing,
//! verify) over its preset. A step advances on a condition of the run or of the settings, the
//! run pauses at the key moment, a prediction is answered before the run goes on, and every
//! step points at the part of the page that shows it. The lessons form a course, each ending
//! with its challenge.

use outage_lab_engine::scenario::{HealthCheckKind, StampedeProtection, Timeout};
use outage_lab_engine::{Scenario, SecondMetrics, Simulation};

use super::challenges::{at_least, at_most, Metric, Requirement, PRODUCT};
use super::pacing::Speed;

/// The part of the page a step points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// The play, step and reset buttons.
    Transport,
    /// The readouts row.
    Readouts,
    /// The architecture view.
    Architecture,
    /// One chart, by its id.
    Chart(&'static str),
    /// The log panel.
    Log,
    /// The alerts panel.
    Alerts,
    /// The settings drawer, with these settings marked (by knob id).
    Settings(&'static [&'static str]),
}

/// A question asked before the run goes on.
#[derive(Debug)]
pub struct Prediction {
    /// The question.
    pub question: &'static str,
    /// The answers offered.
    pub options: &'static [&'static str],
    /// The right one's index.
    pub right: usize,
    /// Why, shown once answered.
    pub why: &'static str,
}

/// What makes a step advance.
pub enum Until {
    /// The learner presses "Next".
    Next,
    /// The run reaches a state (checked every frame).
    Run(fn(&Simulation) -> bool),
    /// The settings are so (checked after every change).
    Settings(fn(&Scenario) -> bool),
    /// After the run starts over from 0 (Reset or replay), the requirements hold once the run
    /// has passed the last of their windows.
    Verified(&'static [Requirement]),
}

/// One step.
pub struct Step {
    /// What to do or look at.
    pub text: &'static str,
    /// Where on the page.
    pub points_at: Region,
    /// Asked first, if any.
    pub predict: Option<Prediction>,
    /// What ends the step.
    pub until: Until,
    /// Pause the run the moment the step ends (the lesson's key moment).
    pub pause_when_met: bool,
    /// The figure the step is about, as the run has it now.
    pub reading: Option<fn(&Simulation) -> String>,
}

/// A guided lesson.
pub struct Guide {
    /// Its id, as links and progress name it.
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// The preset it runs on.
    pub preset: &'static str,
    /// Its steps, 4 to 8.
    pub steps: &'static [Step],
    /// The challenge that ends it in the course.
    pub challenge: &'static str,
    /// The speed it plays at (fast through the quiet start; the steps pause at the moments).
    pub speed: Speed,
}

fn last(sim: &Simulation) -> Option<&SecondMetrics> {
    sim.seconds().last()
}

/// Whether the run's clock has reached `t` seconds.
fn past(sim: &Simulation, t: f64) -> bool {
    sim.now().as_secs_f64() >= t
}

fn rate_5xx_text(r: &SecondMetrics) -> String {
    format!("5xx this second: {:.0} %", 100.0 * r.status.rate_5xx())
}

fn ms_at_most(t: Timeout, max: f64) -> bool {
    matches!(t, Timeout::Ms(ms) if ms <= max)
}

/// Every guided lesson, in the course's order.
pub static GUIDES: &[Guide] = &[
    Guide {
        id: "pool",
        title: "A pool with no timeout",
        preset: "seed-incident",
        challenge: "pool-exhaustion",
        speed: Speed::Times(5.0),
        steps: &[
            Step {
                text: "Press Play. It is Black Friday: 400 requests/s on four instances, each with a database pool of 10 connections. Watch the pool bars in the architecture view: mostly empty.",
                points_at: Region::Architecture,
                predict: None,
                until: Until::Run(|s| past(s, 55.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("pool connections in use: {} of 40", r.pool_active))),
            },
            Step {
                text: "Play on and watch the pool bars and the saturation chart.",
                points_at: Region::Chart("saturation"),
                predict: Some(Prediction {
                    question: "At 60 s a missing index makes every query take 30 s. What happens to the pool?",
                    options: &[
                        "Queries are slower, but the pool copes",
                        "The 10 connections fill, requests queue for them, and the queue grows",
                        "The database refuses the queries at once",
                    ],
                    right: 1,
                    why: "Each query now holds its connection for 30 s. Ten connections serve a third of a query per second, while dozens arrive: the rest wait for a connection, with no timeout to stop the wait.",
                }),
                until: Until::Run(|s| last(s).is_some_and(|r| r.pool_waiters > 40)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("requests waiting for a connection: {}", r.pool_waiters))),
            },
            Step {
                text: "There: over 40 requests wait for a connection, each holding a worker thread while it waits. Play on to 90 s and watch the threads: they run out, and product pages fail too.",
                points_at: Region::Architecture,
                predict: None,
                until: Until::Run(|s| past(s, 90.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("threads busy: {} of 800 · {}", r.threads_busy, rate_5xx_text(r)))),
            },
            Step {
                text: "Now read the log's incidents box: the first error is the accept queue refusing connections, a symptom (no timeout ever fired). The warnings before it (leak detection, pool stats, slow queries) name the cause. Press Next.",
                points_at: Region::Log,
                predict: None,
                until: Until::Next,
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Change one thing: open the settings and set the pool's connection timeout to 5 000 ms (HikariCP's connectionTimeout), so a request gives up on a connection instead of holding its thread forever.",
                points_at: Region::Settings(&["db_pool.connection_timeout_ms"]),
                predict: Some(Prediction {
                    question: "With a 5 s connection timeout, what happens to the requests that cannot get a connection?",
                    options: &[
                        "They succeed, just later",
                        "They fail fast with a 500 and free their thread, so product pages keep their threads",
                        "They are retried by the database",
                    ],
                    right: 1,
                    why: "A timeout turns an endless wait into a quick, honest 500 (the pool acquire timeout), and the worker thread is free again for requests that do not need the database.",
                }),
                until: Until::Settings(|s| ms_at_most(s.db_pool.connection_timeout_ms, 10_000.0)),
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Verify: press Reset and play again. From 120 s, at least nine product pages in ten must succeed while the queries are still slow.",
                points_at: Region::Transport,
                predict: None,
                until: Until::Verified(&[at_least(Metric::EndpointSuccess(PRODUCT), 120, 160, 0.9)]),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), rate_5xx_text)),
            },
        ],
    },
    Guide {
        id: "hang",
        title: "A hung dependency takes every endpoint down",
        preset: "upstream-hang",
        challenge: "hung-gateway",
        speed: Speed::Times(5.0),
        steps: &[
            Step {
                text: "Press Play: 300 requests/s; one in five is a checkout that calls the payment gateway, the rest are product pages that never do.",
                points_at: Region::Architecture,
                predict: None,
                until: Until::Run(|s| past(s, 55.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("threads busy: {} of 800", r.threads_busy))),
            },
            Step {
                text: "Play on and watch the threads and the successes by endpoint.",
                points_at: Region::Chart("endpoints"),
                predict: Some(Prediction {
                    question: "At 60 s the gateway accepts connections and never answers; the call has no read timeout. What happens to product pages?",
                    options: &[
                        "Nothing: they never call the gateway",
                        "They fail too: checkouts hold every worker thread while they wait",
                        "They slow down a little",
                    ],
                    right: 1,
                    why: "Each checkout holds its thread for as long as the call hangs. Sixty new checkouts a second fill 800 threads in under 15 s; then product pages have no thread to run on.",
                }),
                until: Until::Run(|s| last(s).is_some_and(|r| r.threads_busy >= 760)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("threads busy: {} of 800 · {}", r.threads_busy, rate_5xx_text(r)))),
            },
            Step {
                text: "Change one thing: set the gateway's read timeout to 2 000 ms.",
                points_at: Region::Settings(&["upstream.read_timeout_ms"]),
                predict: None,
                until: Until::Settings(|s| ms_at_most(s.upstream.read_timeout_ms, 5_000.0)),
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Verify: press Reset and play again. While the gateway hangs, product pages must keep 99 % of their answers successful.",
                points_at: Region::Transport,
                predict: None,
                until: Until::Verified(&[at_least(Metric::EndpointSuccess(PRODUCT), 90, 150, 0.99)]),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), rate_5xx_text)),
            },
        ],
    },
    Guide {
        id: "stampede",
        title: "A hot key's stampede",
        preset: "cache-stampede",
        challenge: "stampede",
        speed: Speed::Times(1.0),
        steps: &[
            Step {
                text: "Press Play: 1 000 requests/s all ask for one hot key, cached for 10 s; reloading it from the database takes 200 ms.",
                points_at: Region::Chart("cache"),
                predict: None,
                until: Until::Run(|s| past(s, 8.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("cache loads this second: {}", r.cache_loads))),
            },
            Step {
                text: "Play on and watch the cache loads per second.",
                points_at: Region::Chart("cache"),
                predict: Some(Prediction {
                    question: "At about 10 s the key expires. How many requests reload it from the database?",
                    options: &[
                        "One: the first one reloads it",
                        "About 200: every request in the 200 ms the reload takes misses and reloads it too",
                        "None: the cache serves the old value",
                    ],
                    right: 1,
                    why: "Without protection, every request that finds the key missing goes to the database. For the 200 ms of the reload, that is every request: a stampede, again at every expiry.",
                }),
                until: Until::Run(|s| last(s).is_some_and(|r| r.cache_loads >= 50)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("cache loads this second: {}", r.cache_loads))),
            },
            Step {
                text: "Change one thing: set stampede protection to request coalescing (one request reloads, the others wait for it).",
                points_at: Region::Settings(&["cache.stampede_protection"]),
                predict: None,
                until: Until::Settings(|s| s.cache.stampede_protection != StampedeProtection::None),
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Verify: press Reset and play again. No second may see more than 10 loads.",
                points_at: Region::Chart("cache"),
                predict: None,
                until: Until::Verified(&[at_most(Metric::PeakCacheLoadsPerS, 6, 40, 10.0)]),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("cache loads this second: {}", r.cache_loads))),
            },
        ],
    },
    Guide {
        id: "retries",
        title: "Retries that outlive their trigger",
        preset: "retry-storm",
        challenge: "retry-storm",
        speed: Speed::Times(5.0),
        steps: &[
            Step {
                text: "Press Play: 700 requests/s on a service that can do about 1 000; clients time out after 1 s and retry at once, up to 4 attempts.",
                points_at: Region::Chart("retries"),
                predict: None,
                until: Until::Run(|s| past(s, 25.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("user requests {}/s · retries {}/s", r.requests, r.retries))),
            },
            Step {
                text: "Play on past the spike and watch retries against user requests.",
                points_at: Region::Chart("retries"),
                predict: Some(Prediction {
                    question: "From 30 s to 60 s traffic doubles. What happens after 60 s, when it is back to normal?",
                    options: &[
                        "The service recovers at once",
                        "It stays down: the retries alone keep it above capacity",
                        "It recovers over a second or two",
                    ],
                    right: 1,
                    why: "During the spike the queue grew past the clients' timeout, so every answer comes too late and every request is sent up to four times. Four times 700 is far over capacity: the overload sustains itself after its trigger is gone.",
                }),
                until: Until::Run(|s| past(s, 80.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("user requests {}/s · retries {}/s · goodput {}/s", r.requests, r.retries, r.goodput))),
            },
            Step {
                text: "Change one thing: give the clients a retry budget (retries at most 10 % of requests). The budget is under “Retries” in the settings.",
                points_at: Region::Settings(&["client.retry.budget", "client.retry.budget.ratio"]),
                predict: None,
                until: Until::Settings(|s| s.client.retry.as_ref().is_some_and(|r| r.budget.is_some() || r.max_attempts <= 1)),
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Verify: press Reset and play again. From 120 s, nine user requests in ten must succeed.",
                points_at: Region::Transport,
                predict: None,
                until: Until::Verified(&[at_least(Metric::GoodputShare, 120, 160, 0.9)]),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("goodput {}/s", r.goodput))),
            },
        ],
    },
    Guide {
        id: "health",
        title: "A shallow health check keeps a sick instance",
        preset: "sick-instance",
        challenge: "sick-instance",
        speed: Speed::Times(5.0),
        steps: &[
            Step {
                text: "Press Play: four instances; the balancer asks each every 5 s whether its process answers (a shallow check).",
                points_at: Region::Architecture,
                predict: None,
                until: Until::Run(|s| past(s, 25.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("instances in rotation: {}", r.instances_in_rotation))),
            },
            Step {
                text: "Play on and watch the instances in the architecture view.",
                points_at: Region::Architecture,
                predict: Some(Prediction {
                    question: "At 30 s instance 2 loses its database connection. What does the balancer do?",
                    options: &[
                        "Takes instance 2 out of rotation at its next check",
                        "Keeps it in rotation: its process still answers, so a quarter of requests fail",
                        "Takes every instance out",
                    ],
                    right: 1,
                    why: "A shallow check only asks whether the process answers, and it does. Instance 2 keeps its quarter of the traffic and fails every request that needs the database.",
                }),
                until: Until::Run(|s| past(s, 50.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("instances in rotation: {} · {}", r.instances_in_rotation, rate_5xx_text(r)))),
            },
            Step {
                text: "Change one thing: make the health check deep (it checks the database, the pool and the configuration).",
                points_at: Region::Settings(&["load_balancer.health_check.kind"]),
                predict: None,
                until: Until::Settings(|s| s.load_balancer.health_check.as_ref().is_some_and(|h| h.kind == HealthCheckKind::Deep)),
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Verify: press Reset and play again. From 90 s, at most 1 % of users may fail.",
                points_at: Region::Transport,
                predict: None,
                until: Until::Verified(&[at_most(Metric::UsersFailed, 90, 130, 0.01)]),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("instances in rotation: {}", r.instances_in_rotation))),
            },
        ],
    },
    Guide {
        id: "honest",
        title: "A lying 200 blinds monitoring",
        preset: "lying-200",
        challenge: "lying-200",
        speed: Speed::Times(5.0),
        steps: &[
            Step {
                text: "Press Play: a healthy shop. Watch the responses chart: the 5xx rate line and the dotted line, the 5xx rate as monitoring sees it.",
                points_at: Region::Chart("status"),
                predict: None,
                until: Until::Run(|s| past(s, 55.0)),
                pause_when_met: true,
                reading: None,
            },
            Step {
                text: "Play on and compare the two lines.",
                points_at: Region::Chart("status"),
                predict: Some(Prediction {
                    question: "At 60 s the gateway fails 30 % of payments. The application catches every exception and answers 200 with an error body. What does monitoring's 5xx rate show?",
                    options: &[
                        "About 6 %: 30 % of the checkouts",
                        "0 %: monitoring sees only 200s",
                        "100 %",
                    ],
                    right: 1,
                    why: "Monitoring counts status codes. A swallowed error is a 200, so the dashboards stay green and no alert fires while a third of the checkouts fail.",
                }),
                until: Until::Run(|s| past(s, 80.0)),
                pause_when_met: true,
                reading: Some(|s| last(s).map_or(String::new(), |r| format!("true 5xx this second: {} · seen by monitoring: {}", r.status.error_500, r.status_seen.error_500))),
            },
            Step {
                text: "Change one thing: set error handling to honest status codes.",
                points_at: Region::Settings(&["error_handling"]),
                predict: None,
                until: Until::Settings(|s| s.error_handling == outage_lab_engine::scenario::ErrorHandling::Honest),
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Verify: press Reset and play again. Every failure must show as what it is.",
                points_at: Region::Chart("status"),
                predict: None,
                until: Until::Verified(&[at_most(Metric::HiddenErrors, 60, 100, 0.0)]),
                pause_when_met: true,
                reading: None,
            },
        ],
    },
    Guide {
        id: "capacity",
        title: "Overload: queues near full capacity",
        preset: "mmc",
        challenge: "capacity",
        speed: Speed::Times(5.0),
        steps: &[
            Step {
                text: "Press Play: 600 requests/s of 10 ms work each (exponential) on 8 threads, so the threads are 75 % busy and a request waits for one now and then.",
                points_at: Region::Chart("latency"),
                predict: None,
                until: Until::Run(|s| past(s, 20.0)),
                pause_when_met: true,
                reading: Some(p99_reading),
            },
            Step {
                text: "Open the settings and raise the load to 760 requests/s (95 % busy).",
                points_at: Region::Settings(&["traffic.rate"]),
                predict: Some(Prediction {
                    question: "Raising the load from 600 to 760 requests/s, about a quarter more, what happens to the time a request waits for a thread?",
                    options: &[
                        "It rises by about a quarter, like the load",
                        "It grows many times over: near full use, the queue grows much faster than the load",
                        "Nothing: the threads are not all busy",
                    ],
                    right: 1,
                    why: "Waiting grows like 1 / (1 - utilisation): from 75 % to 95 % busy that term grows five times, and bursts a 25 % margin absorbed now queue. Erlang C (the theory panel) gives the mean wait: about 2 ms at 600 requests/s, about 21 ms at 760. The p99 of successes, which includes the 10 ms of work and is already in the fifties at 600 requests/s, rises much less.",
                }),
                until: Until::Settings(|s| {
                    s.traffic.rate.iter().any(|c| {
                        matches!(c, outage_lab_engine::scenario::RateComponent::Constant { rps } if *rps >= 760.0)
                    })
                }),
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Press Reset and Run to the end: the mean wait for a thread grows about tenfold (the theory panel), and the typical second's p99 passes 55 ms.",
                points_at: Region::Chart("latency"),
                predict: None,
                until: Until::Verified(&[at_least(Metric::P99OkMs, 30, 120, 55.0)]),
                pause_when_met: true,
                reading: Some(p99_reading),
            },
            Step {
                text: "Change one thing: one more thread (9 instead of 8), about 12 % more capacity.",
                points_at: Region::Settings(&["instances.max_threads"]),
                predict: None,
                until: Until::Settings(|s| s.instances.max_threads >= 9),
                pause_when_met: false,
                reading: None,
            },
            Step {
                text: "Verify: press Reset and Run to the end. The typical second's p99 must stay under 55 ms.",
                points_at: Region::Chart("latency"),
                predict: None,
                until: Until::Verified(&[at_most(Metric::P99OkMs, 30, 120, 55.0)]),
                pause_when_met: true,
                reading: Some(p99_reading),
            },
        ],
    },
];

/// The last second's p99 of successes, in words.
fn p99_reading(s: &Simulation) -> String {
    last(s)
        .and_then(|r| r.latency_ok_p99_ms)
        .map_or(String::new(), |p| {
            format!("p99 of successes this second: {p:.1} ms")
        })
}

/// A guided lesson by id.
pub fn guide(id: &str) -> Option<&'static Guide> {
    GUIDES.iter().find(|g| g.id == id)
}

/// A guided lesson in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct GuideRun {
    /// The lesson.
    pub id: &'static str,
    /// The step shown (== the number of steps once completed).
    pub step: usize,
    /// The answer picked to the step's prediction, if asked.
    pub answer: Option<usize>,
    /// Predictions answered right so far, and asked so far.
    pub predictions: (u32, u32),
    /// The page's run counter when the step began (a verify step needs a new run).
    pub step_run: u64,
    /// A verify step's last outcome, in words (why it did not pass yet).
    pub note: Option<String>,
}

impl GuideRun {
    /// The lesson.
    pub fn guide(&self) -> &'static Guide {
        guide(self.id).expect("runs name bundled lessons")
    }

    /// The step shown, or `None` once the lesson is complete.
    pub fn current(&self) -> Option<&'static Step> {
        self.guide().steps.get(self.step)
    }

    /// Whether the run must wait for an answer to the step's prediction.
    pub fn awaits_answer(&self) -> bool {
        self.current()
            .is_some_and(|s| s.predict.is_some() && self.answer.is_none())
    }

    /// Whether the lesson is complete.
    pub fn completed(&self) -> bool {
        self.step >= self.guide().steps.len()
    }
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text)
    }
}
