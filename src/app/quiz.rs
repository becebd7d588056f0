//! The quick drill for interviews: a failed request's log line and trace, taken from a real
//! run of the model, and the question "which status should this return, and why?" (500, 502,
//! 503 or 504), with the reasoning behind the honest answer.

use outage_lab_engine::metrics::{ErrorClass, Status};
use outage_lab_engine::observe::LogEvent;
use outage_lab_engine::scenario::{Capacity, Fault, FaultKind, QueueOverflow, Timeout};
use outage_lab_engine::{load_scenario, Config, Scenario, SimTime, Simulation};

/// A situation that produces one kind of failed request.
pub struct QuizCase {
    /// Its id.
    pub id: &'static str,
    /// What surrounds the request, as the question tells it.
    pub context: &'static str,
    /// The scenario that produces it.
    build: fn() -> Scenario,
    /// The log line asked about: the first the run writes that matches.
    pick: fn(&LogEvent) -> bool,
    /// How far the run goes looking for it, in seconds.
    until_s: u64,
    /// Why the honest status is the one the model gives.
    pub why: &'static str,
}

fn bundled(json: &str) -> Scenario {
    load_scenario(json).expect("bundled scenarios are valid").0
}

fn seed_incident() -> Scenario {
    bundled(include_str!("../../scenarios/seed-incident.json"))
}

fn shop_with(kind: FaultKind, error_rate: Option<f64>) -> Scenario {
    let mut s = super::drills::shop();
    s.faults.push(Fault {
        kind,
        start_s: 40.0,
        duration_s: 100.0,
        multiplier: None,
        error_rate,
        instance: matches!(kind, FaultKind::BadDeploy | FaultKind::InstanceCrash).then_some(1),
        fail_fast: (kind == FaultKind::BadDeploy).then_some(false),
    });
    s
}

fn class_is(class: ErrorClass) -> impl Fn(&LogEvent) -> bool {
    move |e| e.error_class == Some(class) && e.status.is_some()
}

/// Every case, in the order a quiz asks them.
pub static CASES: &[QuizCase] = &[
    QuizCase {
        id: "pool_timeout",
        context: "Black Friday: queries have slowed to 30 s and the connection pool of 10 is full. This checkout waited for a connection with HikariCP's connectionTimeout of 5 s.",
        build: || {
            let mut s = seed_incident();
            s.db_pool.connection_timeout_ms = Timeout::Ms(5_000.0);
            s
        },
        pick: |e| class_is(ErrorClass::PoolAcquireTimeout)(e),
        until_s: 90,
        why: "500: the application failed. Its handler threw (SQLTransientConnectionException: connection is not available) and nothing decided to refuse on purpose. It is not a gateway, so not 502 or 504. The stack trace blames the pool, a symptom; the slow query is the cause. A health check returning 503 above 80 % pool use would have taken the instance out before it came to this.",
    },
    QuizCase {
        id: "statement_timeout",
        context: "The same slow queries, now with PostgreSQL's statement_timeout of 10 s: the database cancelled this checkout's query.",
        build: || bundled(include_str!("../../scenarios/seed-incident-fixed.json")),
        pick: |e| class_is(ErrorClass::QueryTimeout)(e),
        until_s: 100,
        why: "500: the query was cancelled and the handler failed with the exception. The database is not a gateway the client talks to; the application failed to do its job. Timeouts make it fail in 10 s instead of hanging forever, which frees the connection for others.",
    },
    QuizCase {
        id: "breaker_open",
        context: "The payment gateway hangs. The checkout service has a read timeout and a circuit breaker, which opened after the failures piled up. This checkout arrived while it was open.",
        build: || bundled(include_str!("../../scenarios/upstream-hang-fixed.json")),
        pick: |e| class_is(ErrorClass::BreakerOpen)(e),
        until_s: 120,
        why: "503 with Retry-After: the service knows its dependency is down and refuses on purpose, at once, instead of holding a thread for a call that will time out. Retry-After tells well-behaved clients when to come back. Monitoring can tell this deliberate refusal from a crash (500).",
    },
    QuizCase {
        id: "read_timeout",
        context: "The payment gateway hangs: it accepts connections and never answers. The checkout service's call to it has a read timeout of 2 s, which fired.",
        build: || bundled(include_str!("../../scenarios/upstream-hang-fixed.json")),
        pick: |e| class_is(ErrorClass::UpstreamReadTimeout)(e),
        until_s: 120,
        why: "500: the application's handler failed with SocketTimeoutException. The application is not the gateway; 504 is what the load balancer in front says when the application itself does not answer in time. (Once a breaker knows the dependency is down, the honest answer becomes a fast 503.)",
    },
    QuizCase {
        id: "gateway_timeout",
        context: "The payment gateway hangs and the application has no read timeout, so its worker thread waits forever. The load balancer in front has proxy_read_timeout 10 s.",
        build: || {
            let mut s = bundled(include_str!("../../scenarios/upstream-hang.json"));
            s.load_balancer.gateway_timeout_ms = Timeout::Ms(10_000.0);
            s
        },
        pick: |e| e.status == Some(Status::GatewayTimeout504),
        until_s: 120,
        why: "504: the load balancer is the gateway here; it got no answer from the instance in time and says so. The instance is still holding the thread: a 504 wave means work piling up behind it.",
    },
    QuizCase {
        id: "queue_full",
        context: "Every worker thread is blocked on the database pool and the accept queue (Tomcat acceptCount 100) is full; the instance refuses new connections.",
        build: seed_incident,
        pick: |e| e.status == Some(Status::BadGateway502) && e.message.contains("accept queue full"),
        until_s: 120,
        why: "502: the load balancer got a bad answer from upstream: the connection was refused. Nobody refused on purpose with a status; the socket was simply closed. Configured to shed load, the instance would answer 503 instead, which tells clients it is overload, not breakage.",
    },
    QuizCase {
        id: "load_shed",
        context: "The same overload, but the instance sheds load: when its accept queue is full it answers at once instead of refusing the connection.",
        build: || {
            let mut s = seed_incident();
            s.instances.queue_overflow = QueueOverflow::Shed503;
            s.instances.accept_queue = Capacity::Limit(100);
            s
        },
        pick: |e| e.status == Some(Status::Unavailable503) && e.message.contains("load shedder"),
        until_s: 120,
        why: "503: the service refuses on purpose because it is overloaded, cheaply, so the requests it does accept can finish. Retries should back off; a Retry-After header says for how long.",
    },
    QuizCase {
        id: "no_live_upstreams",
        context: "Every instance has failed its health check (their worker threads are all stuck on a hung gateway), so the load balancer has nowhere to send this request.",
        build: || shop_with(FaultKind::UpstreamHang, None),
        pick: |e| e.status == Some(Status::Unavailable503) && e.message.contains("no live upstreams"),
        until_s: 120,
        why: "503: the load balancer refuses on purpose: no healthy instance is left. It is not a bad answer from upstream (502) nor a slow one (504); there was nobody to ask.",
    },
    QuizCase {
        id: "instance_crashed",
        context: "Instance 1's process has died. The load balancer's health check has not noticed yet, so it still sends requests there.",
        build: || shop_with(FaultKind::InstanceCrash, None),
        pick: |e| e.status == Some(Status::BadGateway502) && e.message.contains("Connection refused") && !e.message.contains("accept queue"),
        until_s: 60,
        why: "502: the load balancer is the gateway, and its upstream refused the connection (the dead process's port is closed): a bad gateway reply. The application never answered, so it cannot be its 500. A health check takes the dead instance out within a few probes.",
    },
    QuizCase {
        id: "code_bug",
        context: "A release added a coupon field; requests without one reach code that dereferences it.",
        build: || shop_with(FaultKind::CodeBug, Some(0.1)),
        pick: |e| class_is(ErrorClass::UnhandledException)(e),
        until_s: 60,
        why: "500: the textbook case, an exception nothing caught. The error id in the response lets support find this exact stack trace. Answering 200 with an error body instead would hide the bug from every alert.",
    },
    QuizCase {
        id: "missing_config",
        context: "Instance 1 runs a deploy that shipped without its payment API key, and it does not check its configuration at startup.",
        build: || shop_with(FaultKind::BadDeploy, None),
        pick: |e| class_is(ErrorClass::MissingConfig)(e),
        until_s: 90,
        why: "500: the application failed on every request. Validating the configuration at startup would have made the instance refuse to start, so the health check kept it out of rotation and users never saw it.",
    },
    QuizCase {
        id: "upstream_error",
        context: "The payment gateway answered this checkout's call with its own 500 Internal Server Error.",
        build: || shop_with(FaultKind::UpstreamErrors, Some(0.3)),
        pick: |e| class_is(ErrorClass::UpstreamError)(e),
        until_s: 60,
        why: "500: the checkout failed because of an error the application did not handle. The application is not a proxy of the gateway, so passing on 502 would mislead; if it knows the gateway is down (a breaker), 503 with Retry-After is more honest still.",
    },
];

/// A question: a case and the failed request's log line, as the run wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// The case's index in [`CASES`].
    pub case: usize,
    /// The log line, trace included.
    pub event: LogEvent,
}

impl Question {
    /// The case.
    pub fn case(&self) -> &'static QuizCase {
        &CASES[self.case]
    }

    /// The status the request ended with in the model: the answer.
    pub fn answer(&self) -> Status {
        self.event
            .status
            .expect("questions are about failed requests")
    }
}

/// The question of case `i`: its scenario is run until the line it asks about (`None` if the
/// run never writes one: a test shows every case does).
pub fn question(i: usize) -> Option<Question> {
    let case = CASES.get(i)?;
    let config = Config::from_scenario(&(case.build)()).expect("quiz scenarios are valid");
    let mut sim = Simulation::new(config);
    for t in 1..=case.until_s {
        sim.run_until(SimTime::from_secs(t));
        if let Some(e) = sim.logs().events().find(|e| (case.pick)(e)) {
            return Some(Question {
                case: i,
                event: e.clone(),
            });
        }
    }
    None
}

/// The answers offered, as status codes with their names.
pub const CHOICES: [(Status, &str); 4] = [
    (Status::Error500, "500 Internal Server Error"),
    (Status::BadGateway502, "502 Bad Gateway"),
    (Status::Unavailable503, "503 Service Unavailable"),
    (Status::GatewayTimeout504, "504 Gateway Timeout"),
];

/// A quiz in progress: which question, what was picked, the tally.
#[derive(Clone, Debug, PartialEq)]
pub struct QuizRun {
    /// The question shown.
    pub question: Option<Question>,
    /// The answer picked for it, if any.
    pub picked: Option<Status>,
    /// Questions answered right so far.
    pub right: u32,
    /// Questions answered so far.
    pub answered: u32,
}

impl QuizRun {
    /// A quiz at its first question.
    pub fn new() -> QuizRun {
        QuizRun {
            question: question(0),
            picked: None,
            right: 0,
            answered: 0,
        }
    }

    /// Picks an answer to the question shown (once).
    pub fn pick(&mut self, status: Status) {
        let Some(q) = &self.question else { return };
        if self.picked.is_some() {
            return;
        }
        self.picked = Some(status);
        self.answered += 1;
        if status == q.answer() {
            self.right += 1;
        }
    }

    /// The next question (after the last, the first again).
    pub fn next(&mut self) {
        let i = self
            .question
            .as_ref()
            .map_or(0, |q| (q.case + 1) % CASES.len());
        self.question = question(i);
        self.picked = None;
    }
}

impl Default for QuizRun {
    fn default() -> QuizRun {
        QuizRun::new()
    }
}
