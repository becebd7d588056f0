//! Every setting a learner can change from the page, as data: what it is called, its unit, the
//! range the engine accepts, the production default it mirrors, a one-line explanation, and how
//! it reads and writes a [`Scenario`]. The web app renders these; the tests check them against
//! the engine's validation so a control never offers a value the engine refuses.

use outage_lab_engine::breaker::{BreakerConfig, Window};
use outage_lab_engine::config::{Config, Problem, RATE_RPS_MAX, RESTART_ONLY, SETTING_MS_MAX};
use outage_lab_engine::scenario::{
    Breaker, BreakerPreset, BreakerWindow, Capacity, Dist, ErrorHandling, HealthCheck,
    HealthCheckKind, Jitter, LbPolicy, QueueOverflow, RateComponent, Retry, RetryBudget,
    StampedeProtection, Timeout, UserGroup, WhenAllUnhealthy, WhenOpen,
};
use outage_lab_engine::{settings, Scenario};
use std::ops::RangeInclusive;

/// The component a setting belongs to; controls are grouped by it, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Arrival rate and run length.
    Traffic,
    /// The calling clients: timeouts and retries.
    Clients,
    /// The load balancer and its health checks.
    LoadBalancer,
    /// Instances, their accept queue and worker threads.
    Instances,
    /// The cache in front of the database.
    Cache,
    /// The connection pool and the database server.
    Database,
    /// The payment gateway and the circuit breaker around it.
    Upstream,
    /// How failures become responses.
    ErrorHandling,
}

impl Group {
    /// Every group, in display order.
    pub const ALL: [Group; 8] = [
        Group::Traffic,
        Group::Clients,
        Group::LoadBalancer,
        Group::Instances,
        Group::Cache,
        Group::Database,
        Group::Upstream,
        Group::ErrorHandling,
    ];

    /// The group's heading.
    pub fn title(self) -> &'static str {
        match self {
            Group::Traffic => "Traffic",
            Group::Clients => "Clients and retries",
            Group::LoadBalancer => "Load balancer and health checks",
            Group::Instances => "Instances and thread pool",
            Group::Cache => "Cache",
            Group::Database => "DB pool and database",
            Group::Upstream => "Upstream and circuit breaker",
            Group::ErrorHandling => "Error handling",
        }
    }
}

/// How a setting is entered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Input {
    /// A number the engine accepts from `min` to `max` (`min_exclusive`: strictly above `min`).
    Number {
        /// Smallest accepted value.
        min: f64,
        /// Whether `min` itself is refused (the value must be greater).
        min_exclusive: bool,
        /// Largest accepted value.
        max: f64,
        /// Whole numbers only.
        integer: bool,
        /// "No limit", if the setting has it.
        off: Option<Off>,
        /// The slider's span (a typed value may go beyond it, within `min..=max`).
        slider: (f64, f64),
        /// The slider moves on a logarithmic scale.
        log: bool,
    },
    /// One of a few named values: (value as in the scenario file, label).
    Choice(&'static [(&'static str, &'static str)]),
    /// On or off.
    Toggle,
}

/// A number setting's "no limit" option.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Off {
    /// The word for it, as in the scenario file (`none`, `unbounded`).
    pub word: &'static str,
    /// The value a control returns to when the limit is switched back on: the production
    /// default the setting mirrors.
    pub back_to: f64,
}

/// A setting's value as a control shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number, in the knob's unit.
    Number(f64),
    /// "No limit" (a timeout of `none`, an `unbounded` queue).
    Off,
    /// A named choice, as written in the scenario file.
    Choice(String),
    /// A toggle.
    Flag(bool),
}

/// One setting of the model.
pub struct Knob {
    /// The scenario field it edits, e.g. `db_pool.max_size`; problems with this path (or
    /// under it) belong to this control.
    pub id: &'static str,
    /// Where it is shown.
    pub group: Group,
    /// Its label.
    pub label: &'static str,
    /// Its unit (empty for choices and toggles).
    pub unit: &'static str,
    /// How it is entered, and the range the engine accepts.
    pub input: Input,
    /// The real-world default it mirrors.
    pub mirrors: &'static str,
    /// What it does in production, in one line.
    pub help: &'static str,
    get: fn(&Scenario) -> Option<Value>,
    set: fn(&mut Scenario, &Value),
}

/// A setting changed and validated: the scenario with the change, and its configuration.
#[derive(Clone, Debug)]
pub struct Change {
    /// The scenario with the change written in.
    pub scenario: Scenario,
    /// What validation made of it.
    pub config: Config,
}

impl std::fmt::Debug for Knob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl Knob {
    /// The setting's value in `scenario`, or `None` when it does not apply there (e.g. retry
    /// settings while retries are off).
    pub fn get(&self, scenario: &Scenario) -> Option<Value> {
        (self.get)(scenario)
    }

    /// Sets this setting in `to` to its value in `from` (nothing when it does not apply in
    /// `from`): how a check puts back the settings it allows to change.
    pub fn copy_value(&self, from: &Scenario, to: &mut Scenario) {
        if let Some(v) = (self.get)(from) {
            (self.set)(to, &v);
        }
    }

    /// The range the engine accepts, in words, e.g. `1 to 1000` or `0 to 86400000, or none`.
    pub fn range_text(&self) -> String {
        match self.input {
            Input::Number {
                min,
                min_exclusive,
                max,
                off,
                ..
            } => {
                let lower = if min_exclusive {
                    format!("above {}", fmt_number(min))
                } else {
                    fmt_number(min)
                };
                let words = format!("{lower} to {}", fmt_number(max));
                match off {
                    Some(off) => format!("{words}, or {}", off.word),
                    None => words,
                }
            }
            Input::Choice(options) => options
                .iter()
                .map(|(v, _)| *v)
                .collect::<Vec<_>>()
                .join(" | "),
            Input::Toggle => "on | off".into(),
        }
    }

    /// Reads what a person typed or picked: a number, the knob's "off" word, a choice's value,
    /// or `true`/`false`. A problem names the field and why; nothing is rounded or clamped.
    pub fn parse(&self, text: &str) -> Result<Value, Problem> {
        let text = text.trim();
        let problem = |message: String| Problem {
            path: self.id.into(),
            message,
        };
        match self.input {
            Input::Number { integer, off, .. } => {
                if off.is_some_and(|off| off.word.eq_ignore_ascii_case(text)) {
                    return Ok(Value::Off);
                }
                let or_word = off.map(|o| format!(" or {}", o.word)).unwrap_or_default();
                let n: f64 = text
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite())
                    .ok_or_else(|| problem(format!("\"{text}\" is not a number{or_word}")))?;
                if integer && n.fract() != 0.0 {
                    return Err(problem(format!("is {text}; must be a whole number")));
                }
                Ok(Value::Number(n))
            }
            Input::Choice(options) => options
                .iter()
                .find(|(v, _)| *v == text)
                .map(|(v, _)| Value::Choice((*v).into()))
                .ok_or_else(|| {
                    problem(format!(
                        "\"{text}\" is not one of {}",
                        self.range_text().replace(" | ", ", ")
                    ))
                }),
            Input::Toggle => match text {
                "true" | "on" => Ok(Value::Flag(true)),
                "false" | "off" => Ok(Value::Flag(false)),
                _ => Err(problem(format!("\"{text}\" is neither on nor off"))),
            },
        }
    }

    /// `scenario` with this setting changed to what `text` says, validated as a whole (the
    /// configuration validation made comes with it, so nothing validates twice): every problem
    /// comes back with its field path, and `scenario` itself is never touched.
    pub fn apply(&self, scenario: &Scenario, text: &str) -> Result<Change, Vec<Problem>> {
        let value = self.parse(text).map_err(|p| vec![p])?;
        self.apply_value(scenario, &value)
    }

    /// Like [`Knob::apply`], with a value already read.
    pub fn apply_value(&self, scenario: &Scenario, value: &Value) -> Result<Change, Vec<Problem>> {
        if self.get(scenario).is_none() {
            return Err(vec![Problem {
                path: self.id.into(),
                message: "does not apply to this scenario".into(),
            }]);
        }
        if let (Value::Number(n), Input::Number { integer: true, .. }) = (value, self.input) {
            if *n < 0.0 || *n > u32::MAX as f64 {
                return Err(vec![Problem {
                    path: self.id.into(),
                    message: format!("is {n}; {}", self.range_text()),
                }]);
            }
        }
        let mut next = scenario.clone();
        (self.set)(&mut next, value);
        let config = Config::from_scenario(&next)?;
        Ok(Change {
            scenario: next,
            config,
        })
    }

    /// Whether a running simulation takes a change at once; false for the engine's
    /// restart-only settings ([`RESTART_ONLY`]), which apply on reset.
    pub fn live(&self) -> bool {
        let under = |inner: &str, outer: &str| {
            inner == outer
                || inner
                    .strip_prefix(outer)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        !RESTART_ONLY
            .iter()
            .any(|path| under(self.id, path) || under(path, self.id))
    }

    /// Whether a problem's field path belongs to this control.
    pub fn owns(&self, path: &str) -> bool {
        path == self.id
            || path
                .strip_prefix(self.id)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    }
}

/// Formats a number without a trailing `.0` and with no exponent for the ranges used here.
pub fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A knob by its id.
pub fn knob(id: &str) -> Option<&'static Knob> {
    KNOBS.iter().find(|k| k.id == id)
}

// ---- helpers for the table ----

fn num(n: f64) -> Option<Value> {
    Some(Value::Number(n))
}

fn timeout(t: Timeout) -> Option<Value> {
    Some(match t {
        Timeout::Ms(ms) => Value::Number(ms),
        Timeout::None => Value::Off,
    })
}

fn to_timeout(v: &Value) -> Timeout {
    match v {
        Value::Number(ms) => Timeout::Ms(*ms),
        _ => Timeout::None,
    }
}

fn number_of(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        _ => f64::NAN,
    }
}

fn count_of(v: &Value) -> u32 {
    number_of(v) as u32
}

fn flag_of(v: &Value) -> bool {
    matches!(v, Value::Flag(true))
}

fn choice_of(v: &Value) -> &str {
    match v {
        Value::Choice(s) => s,
        _ => "",
    }
}

/// The enums a choice control edits, with their names as in the scenario file.
trait Named: Copy + PartialEq + 'static {
    const NAMES: &'static [(Self, &'static str)];
}

macro_rules! named {
    ($t:ty: $($v:expr => $n:literal),+ $(,)?) => {
        impl Named for $t {
            const NAMES: &'static [(Self, &'static str)] = &[$(($v, $n)),+];
        }
    };
}

named!(Jitter: Jitter::None => "none", Jitter::Full => "full", Jitter::Equal => "equal", Jitter::Decorrelated => "decorrelated");
named!(LbPolicy: LbPolicy::RoundRobin => "round_robin", LbPolicy::LeastOutstanding => "least_outstanding");
named!(HealthCheckKind: HealthCheckKind::Shallow => "shallow", HealthCheckKind::Deep => "deep");
named!(WhenAllUnhealthy: WhenAllUnhealthy::Reject503 => "reject_503", WhenAllUnhealthy::FailOpen => "fail_open");
named!(QueueOverflow: QueueOverflow::Refuse => "refuse", QueueOverflow::Shed503 => "shed_503");
named!(BreakerPreset: BreakerPreset::Resilience4j => "resilience4j", BreakerPreset::Hystrix => "hystrix");
named!(WhenOpen: WhenOpen::Unavailable503 => "unavailable_503", WhenOpen::Degraded200 => "degraded_200");
named!(ErrorHandling: ErrorHandling::Honest => "honest", ErrorHandling::Swallow => "swallow");

fn choice<T: Named>(value: T) -> Option<Value> {
    T::NAMES
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, name)| Value::Choice((*name).into()))
}

fn from_choice<T: Named>(v: &Value) -> Option<T> {
    let name = choice_of(v);
    T::NAMES.iter().find(|(_, n)| *n == name).map(|(v, _)| *v)
}

const fn ms(min_exclusive: bool, off: Option<Off>, slider: (f64, f64)) -> Input {
    Input::Number {
        min: 0.0,
        min_exclusive,
        max: SETTING_MS_MAX,
        integer: false,
        off,
        slider,
        log: true,
    }
}

const fn number(min: f64, min_exclusive: bool, max: f64, slider: (f64, f64), log: bool) -> Input {
    Input::Number {
        min,
        min_exclusive,
        max,
        integer: false,
        off: None,
        slider,
        log,
    }
}

/// A whole number in one of the engine's named ranges.
const fn whole_in(range: RangeInclusive<u32>, slider: (f64, f64), log: bool) -> Input {
    whole(*range.start() as f64, *range.end() as f64, slider, log)
}

/// A number in one of the engine's named ranges (its lower end included).
const fn number_in(range: RangeInclusive<f64>, slider: (f64, f64), log: bool) -> Input {
    number(*range.start(), false, *range.end(), slider, log)
}

const fn whole(min: f64, max: f64, slider: (f64, f64), log: bool) -> Input {
    Input::Number {
        min,
        min_exclusive: false,
        max,
        integer: true,
        off: None,
        slider,
        log,
    }
}

const fn pct(min_exclusive: bool, max: f64) -> Input {
    Input::Number {
        min: 0.0,
        min_exclusive,
        max,
        integer: false,
        off: None,
        slider: (0.0, max),
        log: false,
    }
}

/// A timeout in milliseconds that may be `none`; switched back on, it returns to `back_to`.
const fn timeout_input(back_to: f64) -> Input {
    ms(
        true,
        Some(Off {
            word: "none",
            back_to,
        }),
        (10.0, 120_000.0),
    )
}

/// The base arrival rate: the profile's constant component.
fn base_rps(s: &Scenario) -> Option<Value> {
    s.traffic.rate.iter().find_map(|c| match c {
        RateComponent::Constant { rps } => num(*rps),
        _ => None,
    })
}

fn set_base_rps(s: &mut Scenario, v: &Value) {
    for c in &mut s.traffic.rate {
        if let RateComponent::Constant { rps } = c {
            *rps = number_of(v);
            return;
        }
    }
}

/// Changes the scenario's first user group, if it has one (the users' settings read it).
fn first_group(s: &mut Scenario, change: impl FnOnce(&mut UserGroup)) {
    if let Some(g) = s.traffic.users.first_mut() {
        change(g);
    }
}

fn retry(s: &Scenario) -> Option<&Retry> {
    s.client.retry.as_ref()
}

fn retry_mut(s: &mut Scenario) -> &mut Retry {
    s.client.retry.get_or_insert_with(Retry::default)
}

fn health(s: &Scenario) -> Option<&HealthCheck> {
    s.load_balancer.health_check.as_ref()
}

fn health_mut(s: &mut Scenario) -> &mut HealthCheck {
    s.load_balancer
        .health_check
        .get_or_insert_with(HealthCheck::default)
}

fn breaker(s: &Scenario) -> Option<&Breaker> {
    s.upstream.breaker.as_ref()
}

fn breaker_mut(s: &mut Scenario) -> &mut Breaker {
    s.upstream.breaker.get_or_insert_with(Breaker::default)
}

/// The preset values a breaker's unset fields take.
fn breaker_defaults(b: &Breaker) -> BreakerConfig {
    match b.preset {
        BreakerPreset::Resilience4j => BreakerConfig::resilience4j(),
        BreakerPreset::Hystrix => BreakerConfig::hystrix(),
    }
}

fn window_size(b: &Breaker) -> u32 {
    match b.window {
        Some(BreakerWindow::CountBased { calls }) => calls,
        Some(BreakerWindow::TimeBased { seconds }) => seconds,
        None => match breaker_defaults(b).window {
            Window::CountBased(n) | Window::TimeBased(n) => n,
        },
    }
}

fn window_is_time_based(b: &Breaker) -> bool {
    match b.window {
        Some(w) => matches!(w, BreakerWindow::TimeBased { .. }),
        None => matches!(breaker_defaults(b).window, Window::TimeBased(_)),
    }
}

fn lognormal(s: &Scenario) -> Option<(f64, f64)> {
    match s.upstream.latency {
        Dist::Lognormal { median_ms, p99_ms } => Some((median_ms, p99_ms)),
        _ => None,
    }
}

const ON_OFF: Input = Input::Toggle;

/// Every setting of the model the page offers, grouped by component.
pub static KNOBS: &[Knob] = &[
    // ---- traffic ----
    Knob {
        id: "traffic.rate",
        group: Group::Traffic,
        label: "Load",
        unit: "requests/s",
        input: number(0.0, false, RATE_RPS_MAX, (0.0, 5_000.0), false),
        mirrors: "the scenario's base rate",
        help: "New user requests per second (Poisson arrivals); spikes and ramps of the scenario add to it.",
        get: base_rps,
        set: set_base_rps,
    },
    Knob {
        id: "traffic.users[0].count",
        group: Group::Traffic,
        label: "Users",
        unit: "users",
        input: whole_in(settings::USERS_PER_GROUP, (10.0, 20_000.0), true),
        mirrors: "the scenario's first user group",
        help: "Closed-loop users: each waits for its answer (or gives up), thinks, then sends its next request, so a slow service slows them down too.",
        get: |s| s.traffic.users.first().and_then(|g| num(g.count as f64)),
        set: |s, v| first_group(s, |g| g.count = count_of(v)),
    },
    Knob {
        id: "traffic.users[0].think_time_ms",
        group: Group::Traffic,
        label: "Think time",
        unit: "ms",
        input: ms(true, None, (100.0, 60_000.0)),
        mirrors: "the scenario's first user group",
        help: "How long a user reads between the end of one request and its next, on average (exponential): N users send about N / (think time + response time) requests/s.",
        get: |s| s.traffic.users.first().and_then(|g| num(g.think_time_ms)),
        set: |s, v| first_group(s, |g| g.think_time_ms = number_of(v)),
    },
    Knob {
        id: "duration_s",
        group: Group::Traffic,
        label: "Run length",
        unit: "s",
        input: number(0.0, true, settings::DURATION_S_MAX, (10.0, 3_600.0), true),
        mirrors: "",
        help: "How many virtual seconds the run lasts.",
        get: |s| num(s.duration_s),
        set: |s, v| s.duration_s = number_of(v),
    },
    // ---- clients ----
    Knob {
        id: "client.timeout_ms",
        group: Group::Clients,
        label: "Client timeout",
        unit: "ms",
        input: timeout_input(30_000.0),
        mirrors: "typical HTTP client 30 000 ms",
        help: "How long a caller waits for one attempt; the server keeps working on abandoned requests.",
        get: |s| timeout(s.client.timeout_ms),
        set: |s, v| s.client.timeout_ms = to_timeout(v),
    },
    Knob {
        id: "client.deadline_ms",
        group: Group::Clients,
        label: "Total deadline",
        unit: "ms",
        input: timeout_input(10_000.0),
        mirrors: "a gRPC deadline; browsers have none",
        help: "How long a user waits for a request in all, retries and their delays included; no retry starts after it.",
        get: |s| timeout(s.client.deadline_ms),
        set: |s, v| s.client.deadline_ms = to_timeout(v),
    },
    Knob {
        id: "client.retry",
        group: Group::Clients,
        label: "Retries",
        unit: "",
        input: ON_OFF,
        mirrors: "AWS SDK standard mode: on, 3 attempts",
        help: "Clients retry failed attempts; every retry is more load on a service that is already failing.",
        get: |s| Some(Value::Flag(s.client.retry.is_some())),
        set: |s, v| s.client.retry = flag_of(v).then(Retry::default),
    },
    Knob {
        id: "client.retry.max_attempts",
        group: Group::Clients,
        label: "Max attempts",
        unit: "attempts",
        input: whole_in(settings::RETRY_ATTEMPTS, (1.0, 10.0), false),
        mirrors: "AWS SDK standard mode 3",
        help: "Attempts per user request, the first included: the worst-case load multiplier.",
        get: |s| retry(s).and_then(|r| num(r.max_attempts as f64)),
        set: |s, v| retry_mut(s).max_attempts = count_of(v),
    },
    Knob {
        id: "client.retry.backoff_base_ms",
        group: Group::Clients,
        label: "Backoff base",
        unit: "ms",
        input: ms(false, None, (1.0, 10_000.0)),
        mirrors: "AWS SDK 100 ms",
        help: "Delay before the first retry; it doubles with each attempt up to the cap (0 = retry at once).",
        get: |s| retry(s).and_then(|r| num(r.backoff_base_ms)),
        set: |s, v| retry_mut(s).backoff_base_ms = number_of(v),
    },
    Knob {
        id: "client.retry.backoff_cap_ms",
        group: Group::Clients,
        label: "Backoff cap",
        unit: "ms",
        input: ms(false, None, (1.0, 60_000.0)),
        mirrors: "AWS SDK 20 000 ms",
        help: "The longest delay between attempts.",
        get: |s| retry(s).and_then(|r| num(r.backoff_cap_ms)),
        set: |s, v| retry_mut(s).backoff_cap_ms = number_of(v),
    },
    Knob {
        id: "client.retry.jitter",
        group: Group::Clients,
        label: "Jitter",
        unit: "",
        input: Input::Choice(&[
            ("none", "none"),
            ("full", "full"),
            ("equal", "equal"),
            ("decorrelated", "decorrelated"),
        ]),
        mirrors: "AWS SDK full jitter",
        help: "Random spread of the delays, so clients that failed together do not retry together.",
        get: |s| retry(s).and_then(|r| choice(r.jitter)),
        set: |s, v| {
            if let Some(j) = from_choice::<Jitter>(v) {
                retry_mut(s).jitter = j;
            }
        },
    },
    Knob {
        id: "client.retry.retry_on_5xx",
        group: Group::Clients,
        label: "Retry on 5xx",
        unit: "",
        input: ON_OFF,
        mirrors: "most SDKs: on for 500, 502, 503, 504",
        help: "Retry answers 500, 502, 503 and 504.",
        get: |s| retry(s).map(|r| Value::Flag(r.retry_on_5xx)),
        set: |s, v| retry_mut(s).retry_on_5xx = flag_of(v),
    },
    Knob {
        id: "client.retry.retry_on_timeout",
        group: Group::Clients,
        label: "Retry on timeout",
        unit: "",
        input: ON_OFF,
        mirrors: "most SDKs: on",
        help: "Retry attempts the client gave up on, although the server may still be working on them.",
        get: |s| retry(s).map(|r| Value::Flag(r.retry_on_timeout)),
        set: |s, v| retry_mut(s).retry_on_timeout = flag_of(v),
    },
    Knob {
        id: "client.retry.honor_retry_after",
        group: Group::Clients,
        label: "Honour Retry-After",
        unit: "",
        input: ON_OFF,
        mirrors: "RFC 9110: clients should",
        help: "Wait at least as long as a 503's Retry-After header says.",
        get: |s| retry(s).map(|r| Value::Flag(r.honor_retry_after)),
        set: |s, v| retry_mut(s).honor_retry_after = flag_of(v),
    },
    Knob {
        id: "client.retry.budget",
        group: Group::Clients,
        label: "Retry budget",
        unit: "",
        input: ON_OFF,
        mirrors: "Finagle RetryBudget: on, 20 %",
        help: "A token bucket: retries may add only a share of the load, so they cannot multiply an overload.",
        get: |s| retry(s).map(|r| Value::Flag(r.budget.is_some())),
        set: |s, v| {
            retry_mut(s).budget = flag_of(v).then(RetryBudget::default)
        },
    },
    Knob {
        id: "client.retry.budget.ratio",
        group: Group::Clients,
        label: "Budget ratio",
        unit: "tokens/request",
        input: number_in(settings::RETRY_BUDGET_TOKENS_PER_REQUEST, (0.0, 1.0), false),
        mirrors: "Finagle 0.2",
        help: "Retry tokens earned per new request: 0.2 (the default) lets retries add at most about 20 % load.",
        get: |s| retry(s).and_then(|r| r.budget.as_ref()).and_then(|b| num(b.ratio)),
        set: |s, v| {
            if let Some(b) = retry_mut(s).budget.as_mut() {
                b.ratio = number_of(v);
            }
        },
    },
    Knob {
        id: "client.retry.budget.min_retries_per_s",
        group: Group::Clients,
        label: "Budget floor",
        unit: "retries/s",
        input: number(0.0, false, RATE_RPS_MAX, (0.0, 100.0), false),
        mirrors: "Finagle 10 retries/s",
        help: "Retries allowed per second regardless of traffic, so quiet clients can still retry.",
        get: |s| {
            retry(s)
                .and_then(|r| r.budget.as_ref())
                .and_then(|b| num(b.min_retries_per_s))
        },
        set: |s, v| {
            if let Some(b) = retry_mut(s).budget.as_mut() {
                b.min_retries_per_s = number_of(v);
            }
        },
    },
    // ---- load balancer ----
    Knob {
        id: "load_balancer.policy",
        group: Group::LoadBalancer,
        label: "Balancing",
        unit: "",
        input: Input::Choice(&[
            ("round_robin", "round robin"),
            ("least_outstanding", "least outstanding requests"),
        ]),
        mirrors: "nginx default round robin",
        help: "How the balancer picks an instance; least outstanding steers around a slow one.",
        get: |s| choice(s.load_balancer.policy),
        set: |s, v| {
            if let Some(p) = from_choice::<LbPolicy>(v) {
                s.load_balancer.policy = p;
            }
        },
    },
    Knob {
        id: "load_balancer.gateway_timeout_ms",
        group: Group::LoadBalancer,
        label: "Gateway timeout",
        unit: "ms",
        input: timeout_input(60_000.0),
        mirrors: "nginx proxy_read_timeout 60 000 ms",
        help: "The balancer answers 504 when an instance has not answered in this time.",
        get: |s| timeout(s.load_balancer.gateway_timeout_ms),
        set: |s, v| s.load_balancer.gateway_timeout_ms = to_timeout(v),
    },
    Knob {
        id: "load_balancer.health_check",
        group: Group::LoadBalancer,
        label: "Health checks",
        unit: "",
        input: ON_OFF,
        mirrors: "AWS ALB: always on",
        help: "The balancer probes each instance and takes failing ones out of rotation.",
        get: |s| Some(Value::Flag(s.load_balancer.health_check.is_some())),
        set: |s, v| {
            if flag_of(v) {
                health_mut(s);
            } else {
                s.load_balancer.health_check = None;
            }
        },
    },
    Knob {
        id: "load_balancer.health_check.kind",
        group: Group::LoadBalancer,
        label: "Check depth",
        unit: "",
        input: Input::Choice(&[
            ("shallow", "shallow (process alive)"),
            ("deep", "deep (DB, pool, breaker)"),
        ]),
        mirrors: "Spring Boot /actuator/health: deep",
        help: "A shallow check only proves the process answers; a deep one tries the dependencies.",
        get: |s| health(s).and_then(|h| choice(h.kind)),
        set: |s, v| {
            if let Some(k) = from_choice::<HealthCheckKind>(v) {
                health_mut(s).kind = k;
            }
        },
    },
    Knob {
        id: "load_balancer.health_check.interval_ms",
        group: Group::LoadBalancer,
        label: "Check interval",
        unit: "ms",
        input: number(0.0, true, settings::HEALTH_CHECK_MS_MAX, (500.0, 60_000.0), true),
        mirrors: "AWS ALB 30 000 ms",
        help: "Time between two probes of one instance.",
        get: |s| health(s).and_then(|h| num(h.interval_ms)),
        set: |s, v| health_mut(s).interval_ms = number_of(v),
    },
    Knob {
        id: "load_balancer.health_check.timeout_ms",
        group: Group::LoadBalancer,
        label: "Probe timeout",
        unit: "ms",
        input: number(0.0, true, settings::HEALTH_CHECK_MS_MAX, (100.0, 30_000.0), true),
        mirrors: "AWS ALB 5 000 ms",
        help: "A probe not answered in this time fails (a probe needs a free worker thread too).",
        get: |s| health(s).and_then(|h| num(h.timeout_ms)),
        set: |s, v| health_mut(s).timeout_ms = number_of(v),
    },
    Knob {
        id: "load_balancer.health_check.unhealthy_threshold",
        group: Group::LoadBalancer,
        label: "Unhealthy after",
        unit: "failed probes",
        input: whole_in(settings::HEALTH_CHECK_THRESHOLD_PROBES, (1.0, 10.0), false),
        mirrors: "AWS ALB 2",
        help: "Consecutive failed probes that take an instance out of rotation.",
        get: |s| health(s).and_then(|h| num(h.unhealthy_threshold as f64)),
        set: |s, v| health_mut(s).unhealthy_threshold = count_of(v),
    },
    Knob {
        id: "load_balancer.health_check.healthy_threshold",
        group: Group::LoadBalancer,
        label: "Healthy after",
        unit: "good probes",
        input: whole_in(settings::HEALTH_CHECK_THRESHOLD_PROBES, (1.0, 10.0), false),
        mirrors: "AWS ALB 5",
        help: "Consecutive passing probes that bring an instance back.",
        get: |s| health(s).and_then(|h| num(h.healthy_threshold as f64)),
        set: |s, v| health_mut(s).healthy_threshold = count_of(v),
    },
    Knob {
        id: "load_balancer.health_check.deep_pool_use_max_pct",
        group: Group::LoadBalancer,
        label: "Deep check: pool use limit",
        unit: "%",
        input: pct(true, settings::THRESHOLD_PCT_MAX),
        mirrors: "80 % (the pool-use warning level)",
        help: "A deep check answers 503 when more of the DB pool than this is in use.",
        get: |s| health(s).and_then(|h| num(h.deep_pool_use_max_pct)),
        set: |s, v| health_mut(s).deep_pool_use_max_pct = number_of(v),
    },
    Knob {
        id: "load_balancer.health_check.when_all_unhealthy",
        group: Group::LoadBalancer,
        label: "All instances unhealthy",
        unit: "",
        input: Input::Choice(&[
            ("reject_503", "reject with 503"),
            ("fail_open", "fail open (route to all)"),
        ]),
        mirrors: "AWS ALB and Envoy: fail open",
        help: "What the balancer does when every check fails: refuse, or trust no check and route anyway.",
        get: |s| health(s).and_then(|h| choice(h.when_all_unhealthy)),
        set: |s, v| {
            if let Some(w) = from_choice::<WhenAllUnhealthy>(v) {
                health_mut(s).when_all_unhealthy = w;
            }
        },
    },
    // ---- instances ----
    Knob {
        id: "instances.count",
        group: Group::Instances,
        label: "Instances",
        unit: "instances",
        input: whole_in(settings::INSTANCES_COUNT, (1.0, 16.0), false),
        mirrors: "",
        help: "Application servers behind the balancer.",
        get: |s| num(s.instances.count as f64),
        set: |s, v| s.instances.count = count_of(v),
    },
    Knob {
        id: "instances.max_threads",
        group: Group::Instances,
        label: "Worker threads",
        unit: "threads/instance",
        input: whole_in(settings::THREADS_PER_INSTANCE, (1.0, 1_000.0), true),
        mirrors: "Tomcat maxThreads 200",
        help: "Requests one instance handles at once; a request holds its thread for everything it waits on.",
        get: |s| num(s.instances.max_threads as f64),
        set: |s, v| s.instances.max_threads = count_of(v),
    },
    Knob {
        id: "instances.accept_queue",
        group: Group::Instances,
        label: "Accept queue",
        unit: "connections",
        input: Input::Number {
            min: *settings::ACCEPT_QUEUE_CONNECTIONS.start() as f64,
            min_exclusive: false,
            max: *settings::ACCEPT_QUEUE_CONNECTIONS.end() as f64,
            integer: true,
            off: Some(Off {
                word: "unbounded",
                back_to: 100.0,
            }),
            slider: (0.0, 2_000.0),
            log: false,
        },
        mirrors: "Tomcat acceptCount 100",
        help: "Connections that wait for a free thread; beyond it new ones are refused.",
        get: |s| {
            Some(match s.instances.accept_queue {
                Capacity::Limit(n) => Value::Number(n as f64),
                Capacity::Unbounded => Value::Off,
            })
        },
        set: |s, v| {
            s.instances.accept_queue = match v {
                Value::Number(n) => Capacity::Limit(*n as u32),
                _ => Capacity::Unbounded,
            }
        },
    },
    Knob {
        id: "instances.queue_overflow",
        group: Group::Instances,
        label: "Queue full",
        unit: "",
        input: Input::Choice(&[
            ("refuse", "refuse the connection (502)"),
            ("shed_503", "shed load (503)"),
        ]),
        mirrors: "Tomcat: refuse",
        help: "A full queue either refuses connections (the balancer answers 502) or answers 503 on purpose.",
        get: |s| choice(s.instances.queue_overflow),
        set: |s, v| {
            if let Some(q) = from_choice::<QueueOverflow>(v) {
                s.instances.queue_overflow = q;
            }
        },
    },
    // ---- cache ----
    Knob {
        id: "instances.drop_expired",
        group: Group::Instances,
        label: "Drop expired requests",
        unit: "",
        input: ON_OFF,
        mirrors: "gRPC deadline propagation; plain HTTP servers: off",
        help: "Requests carry when their client gives up; a worker drops a queued request whose client already has, instead of serving it late.",
        get: |s| Some(Value::Flag(s.instances.drop_expired)),
        set: |s, v| s.instances.drop_expired = flag_of(v),
    },
    Knob {
        id: "cache.ttl_ms",
        group: Group::Cache,
        label: "TTL",
        unit: "ms",
        input: ms(true, None, (100.0, 600_000.0)),
        mirrors: "60 000 ms",
        help: "How long a loaded key stays fresh.",
        get: |s| num(s.cache.ttl_ms),
        set: |s, v| s.cache.ttl_ms = number_of(v),
    },
    Knob {
        id: "cache.ttl_jitter_pct",
        group: Group::Cache,
        label: "TTL jitter",
        unit: "%",
        input: pct(false, *settings::CACHE_TTL_JITTER_PCT.end()),
        mirrors: "0 % (none)",
        help: "Random spread of TTLs, so keys loaded together do not expire together.",
        get: |s| num(s.cache.ttl_jitter_pct),
        set: |s, v| s.cache.ttl_jitter_pct = number_of(v),
    },
    Knob {
        id: "cache.lookup_ms",
        group: Group::Cache,
        label: "Lookup time",
        unit: "ms",
        input: ms(false, None, (0.1, 100.0)),
        mirrors: "Redis on the same network 0.5 ms",
        help: "Latency of one cache round trip.",
        get: |s| num(s.cache.lookup_ms),
        set: |s, v| s.cache.lookup_ms = number_of(v),
    },
    Knob {
        id: "cache.stampede_protection",
        group: Group::Cache,
        label: "Stampede protection",
        unit: "",
        input: Input::Choice(&[
            ("none", "none"),
            ("coalescing", "request coalescing"),
            ("stale_while_revalidate", "stale-while-revalidate"),
            ("probabilistic_early_refresh", "probabilistic early refresh"),
        ]),
        mirrors: "none by default",
        help: "How many requests may reload one expired key at once.",
        get: |s| {
            Some(Value::Choice(
                match s.cache.stampede_protection {
                    StampedeProtection::None => "none",
                    StampedeProtection::Coalescing => "coalescing",
                    StampedeProtection::StaleWhileRevalidate { .. } => "stale_while_revalidate",
                    StampedeProtection::ProbabilisticEarlyRefresh { .. } => {
                        "probabilistic_early_refresh"
                    }
                }
                .into(),
            ))
        },
        set: |s, v| {
            s.cache.stampede_protection = match choice_of(v) {
                "coalescing" => StampedeProtection::Coalescing,
                "stale_while_revalidate" => {
                    StampedeProtection::StaleWhileRevalidate { stale_ms: 10_000.0 }
                }
                "probabilistic_early_refresh" => {
                    StampedeProtection::ProbabilisticEarlyRefresh { beta: 1.0 }
                }
                _ => StampedeProtection::None,
            }
        },
    },
    Knob {
        id: "cache.stampede_protection.stale_ms",
        group: Group::Cache,
        label: "Serve stale for",
        unit: "ms",
        input: ms(false, None, (100.0, 600_000.0)),
        mirrors: "RFC 5861 stale-while-revalidate",
        help: "How long past its TTL an entry may be served while one background refresh reloads it.",
        get: |s| match s.cache.stampede_protection {
            StampedeProtection::StaleWhileRevalidate { stale_ms } => num(stale_ms),
            _ => None,
        },
        set: |s, v| {
            s.cache.stampede_protection = StampedeProtection::StaleWhileRevalidate {
                stale_ms: number_of(v),
            }
        },
    },
    Knob {
        id: "cache.stampede_protection.beta",
        group: Group::Cache,
        label: "Early refresh beta",
        unit: "",
        input: number(0.0, true, settings::STAMPEDE_BETA_MAX, (0.1, 10.0), true),
        mirrors: "XFetch paper 1",
        help: "Eagerness of probabilistic early refresh: larger refreshes sooner.",
        get: |s| match s.cache.stampede_protection {
            StampedeProtection::ProbabilisticEarlyRefresh { beta } => num(beta),
            _ => None,
        },
        set: |s, v| {
            s.cache.stampede_protection = StampedeProtection::ProbabilisticEarlyRefresh {
                beta: number_of(v),
            }
        },
    },
    Knob {
        id: "cache.keyspace",
        group: Group::Cache,
        label: "Keys",
        unit: "keys",
        input: whole_in(settings::CACHE_KEYS, (1.0, 1_000_000.0), true),
        mirrors: "",
        help: "Distinct cache keys requests ask for.",
        get: |s| num(s.cache.keyspace as f64),
        set: |s, v| s.cache.keyspace = count_of(v),
    },
    Knob {
        id: "cache.zipf_exponent",
        group: Group::Cache,
        label: "Key skew (Zipf)",
        unit: "",
        input: number_in(settings::CACHE_ZIPF_EXPONENT, (0.0, 2.0), false),
        mirrors: "web traffic about 1",
        help: "How concentrated requests are on popular keys: 0 is uniform, higher makes hot keys hotter.",
        get: |s| num(s.cache.zipf_exponent),
        set: |s, v| s.cache.zipf_exponent = number_of(v),
    },
    // ---- database ----
    Knob {
        id: "db_pool.max_size",
        group: Group::Database,
        label: "Pool size",
        unit: "connections/instance",
        input: whole_in(settings::POOL_CONNECTIONS, (1.0, 200.0), false),
        mirrors: "HikariCP maximumPoolSize 10",
        help: "Connections each instance may hold; every query needs one for its whole duration.",
        get: |s| num(s.db_pool.max_size as f64),
        set: |s, v| s.db_pool.max_size = count_of(v),
    },
    Knob {
        id: "db_pool.connection_timeout_ms",
        group: Group::Database,
        label: "Connection timeout",
        unit: "ms",
        input: timeout_input(30_000.0),
        mirrors: "HikariCP connectionTimeout 30 000 ms",
        help: "How long a request waits for a free connection before failing (500); none waits forever.",
        get: |s| timeout(s.db_pool.connection_timeout_ms),
        set: |s, v| s.db_pool.connection_timeout_ms = to_timeout(v),
    },
    Knob {
        id: "db_pool.leak_detection_threshold_ms",
        group: Group::Database,
        label: "Leak detection",
        unit: "ms",
        input: Input::Number {
            min: settings::LEAK_DETECTION_THRESHOLD_MS_MIN,
            min_exclusive: false,
            max: SETTING_MS_MAX,
            integer: false,
            off: Some(Off {
                word: "none",
                back_to: 2_000.0,
            }),
            slider: (2_000.0, 120_000.0),
            log: true,
        },
        mirrors: "HikariCP leakDetectionThreshold 0 (off), at least 2 000 ms",
        help: "Logs a warning when a connection is held longer than this: a slow query shows here before anything times out.",
        get: |s| timeout(s.db_pool.leak_detection_threshold_ms),
        set: |s, v| s.db_pool.leak_detection_threshold_ms = to_timeout(v),
    },
    Knob {
        id: "database.cores",
        group: Group::Database,
        label: "Database cores",
        unit: "cores",
        input: whole_in(settings::DB_CORES, (1.0, 64.0), false),
        mirrors: "",
        help: "Queries beyond this many share the cores and all slow down together.",
        get: |s| num(s.database.cores as f64),
        set: |s, v| s.database.cores = count_of(v),
    },
    Knob {
        id: "database.query_timeout_ms",
        group: Group::Database,
        label: "Statement timeout",
        unit: "ms",
        input: timeout_input(10_000.0),
        mirrors: "PostgreSQL statement_timeout 0 (none)",
        help: "The database cancels a query running longer than this, freeing its connection.",
        get: |s| timeout(s.database.query_timeout_ms),
        set: |s, v| s.database.query_timeout_ms = to_timeout(v),
    },
    Knob {
        id: "database.log_min_duration_statement_ms",
        group: Group::Database,
        label: "Slow-query log",
        unit: "ms",
        input: timeout_input(1_000.0),
        mirrors: "PostgreSQL log_min_duration_statement -1 (off)",
        help: "The database logs each query that completes after running longer than this, with its duration.",
        get: |s| timeout(s.database.log_min_duration_statement_ms),
        set: |s, v| s.database.log_min_duration_statement_ms = to_timeout(v),
    },
    // ---- upstream ----
    Knob {
        id: "upstream.latency.median_ms",
        group: Group::Upstream,
        label: "Gateway latency, median",
        unit: "ms",
        input: ms(true, None, (1.0, 10_000.0)),
        mirrors: "payment APIs about 120 ms",
        help: "Typical time the payment gateway takes to answer.",
        get: |s| lognormal(s).and_then(|(m, _)| num(m)),
        set: |s, v| {
            if let Dist::Lognormal { median_ms, .. } = &mut s.upstream.latency {
                *median_ms = number_of(v);
            }
        },
    },
    Knob {
        id: "upstream.latency.p99_ms",
        group: Group::Upstream,
        label: "Gateway latency, p99",
        unit: "ms",
        input: ms(true, None, (1.0, 60_000.0)),
        mirrors: "payment APIs about 800 ms",
        help: "The slow tail: one call in a hundred takes longer than this.",
        get: |s| lognormal(s).and_then(|(_, p)| num(p)),
        set: |s, v| {
            if let Dist::Lognormal { p99_ms, .. } = &mut s.upstream.latency {
                *p99_ms = number_of(v);
            }
        },
    },
    Knob {
        id: "upstream.error_rate",
        group: Group::Upstream,
        label: "Gateway error rate",
        unit: "share of calls",
        input: number_in(settings::ERROR_RATE, (0.0, 1.0), false),
        mirrors: "healthy: under 0.001",
        help: "Share of gateway calls that fail even when it is up.",
        get: |s| num(s.upstream.error_rate),
        set: |s, v| s.upstream.error_rate = number_of(v),
    },
    Knob {
        id: "upstream.connect_timeout_ms",
        group: Group::Upstream,
        label: "Connect timeout",
        unit: "ms",
        input: timeout_input(1_000.0),
        mirrors: "java.net.http default none (Linux gives up after ~127 s)",
        help: "How long to wait for a TCP connection to an unreachable gateway.",
        get: |s| timeout(s.upstream.connect_timeout_ms),
        set: |s, v| s.upstream.connect_timeout_ms = to_timeout(v),
    },
    Knob {
        id: "upstream.read_timeout_ms",
        group: Group::Upstream,
        label: "Read timeout",
        unit: "ms",
        input: timeout_input(2_000.0),
        mirrors: "java.net.http default none (wait forever)",
        help: "How long to wait for the gateway's answer; without it a hung gateway holds threads forever.",
        get: |s| timeout(s.upstream.read_timeout_ms),
        set: |s, v| s.upstream.read_timeout_ms = to_timeout(v),
    },
    Knob {
        id: "upstream.breaker",
        group: Group::Upstream,
        label: "Circuit breaker",
        unit: "",
        input: ON_OFF,
        mirrors: "resilience4j CircuitBreaker",
        help: "Stops calling a failing gateway for a while and fails fast instead of waiting.",
        get: |s| Some(Value::Flag(s.upstream.breaker.is_some())),
        set: |s, v| {
            if flag_of(v) {
                breaker_mut(s);
            } else {
                s.upstream.breaker = None;
            }
        },
    },
    Knob {
        id: "upstream.breaker.preset",
        group: Group::Upstream,
        label: "Breaker defaults",
        unit: "",
        input: Input::Choice(&[("resilience4j", "resilience4j"), ("hystrix", "Hystrix")]),
        mirrors: "resilience4j",
        help: "The library whose defaults the settings below start from.",
        get: |s| breaker(s).and_then(|b| choice(b.preset)),
        set: |s, v| {
            if let Some(p) = from_choice::<BreakerPreset>(v) {
                breaker_mut(s).preset = p;
            }
        },
    },
    Knob {
        id: "upstream.breaker.when_open",
        group: Group::Upstream,
        label: "While open, answer",
        unit: "",
        input: Input::Choice(&[
            ("unavailable_503", "503 with Retry-After"),
            ("degraded_200", "degraded 200 (fallback)"),
        ]),
        mirrors: "503 with Retry-After",
        help: "A rejected call fails fast with 503, or a fallback answers (e.g. \"payment pending\").",
        get: |s| breaker(s).and_then(|b| choice(b.when_open)),
        set: |s, v| {
            if let Some(w) = from_choice::<WhenOpen>(v) {
                breaker_mut(s).when_open = w;
            }
        },
    },
    Knob {
        id: "upstream.breaker.window.kind",
        group: Group::Upstream,
        label: "Window type",
        unit: "",
        input: Input::Choice(&[("count_based", "count based"), ("time_based", "time based")]),
        mirrors: "resilience4j COUNT_BASED",
        help: "Whether failure rates are computed over the last N calls or the last N seconds.",
        get: |s| {
            breaker(s).map(|b| {
                Value::Choice(if window_is_time_based(b) { "time_based" } else { "count_based" }.into())
            })
        },
        set: |s, v| {
            let b = breaker_mut(s);
            let n = window_size(b);
            b.window = Some(if choice_of(v) == "time_based" {
                BreakerWindow::TimeBased { seconds: n }
            } else {
                BreakerWindow::CountBased { calls: n }
            });
        },
    },
    Knob {
        id: "upstream.breaker.window",
        group: Group::Upstream,
        label: "Window size",
        unit: "calls or s",
        input: whole_in(settings::BREAKER_WINDOW_CALLS, (1.0, 200.0), false),
        mirrors: "resilience4j 100 calls",
        help: "How many calls (or seconds) the failure rate is computed over (time based: at most 3600).",
        get: |s| breaker(s).and_then(|b| num(window_size(b) as f64)),
        set: |s, v| {
            let b = breaker_mut(s);
            let n = count_of(v);
            b.window = Some(if window_is_time_based(b) {
                BreakerWindow::TimeBased { seconds: n }
            } else {
                BreakerWindow::CountBased { calls: n }
            });
        },
    },
    Knob {
        id: "upstream.breaker.minimum_calls",
        group: Group::Upstream,
        label: "Minimum calls",
        unit: "calls",
        input: whole_in(settings::BREAKER_MINIMUM_CALLS, (1.0, 200.0), false),
        mirrors: "resilience4j 100",
        help: "Calls needed before the breaker judges the rates at all.",
        get: |s| breaker(s).and_then(|b| num(b.minimum_calls.unwrap_or(breaker_defaults(b).minimum_calls) as f64)),
        set: |s, v| breaker_mut(s).minimum_calls = Some(count_of(v)),
    },
    Knob {
        id: "upstream.breaker.failure_rate_threshold_pct",
        group: Group::Upstream,
        label: "Failure rate threshold",
        unit: "%",
        input: pct(true, settings::THRESHOLD_PCT_MAX),
        mirrors: "resilience4j 50 %",
        help: "The breaker opens when at least this share of calls in the window failed.",
        get: |s| {
            breaker(s).and_then(|b| {
                num(b
                    .failure_rate_threshold_pct
                    .unwrap_or(breaker_defaults(b).failure_rate_threshold_pct))
            })
        },
        set: |s, v| breaker_mut(s).failure_rate_threshold_pct = Some(number_of(v)),
    },
    Knob {
        id: "upstream.breaker.slow_call_rate_threshold_pct",
        group: Group::Upstream,
        label: "Slow call threshold",
        unit: "%",
        input: pct(true, settings::THRESHOLD_PCT_MAX),
        mirrors: "resilience4j 100 %",
        help: "The breaker also opens when this share of calls was slow.",
        get: |s| {
            breaker(s).and_then(|b| {
                num(b
                    .slow_call_rate_threshold_pct
                    .unwrap_or(breaker_defaults(b).slow_call_rate_threshold_pct))
            })
        },
        set: |s, v| breaker_mut(s).slow_call_rate_threshold_pct = Some(number_of(v)),
    },
    Knob {
        id: "upstream.breaker.slow_call_duration_ms",
        group: Group::Upstream,
        label: "Slow call duration",
        unit: "ms",
        input: ms(true, None, (10.0, 120_000.0)),
        mirrors: "resilience4j 60 000 ms",
        help: "A call longer than this counts as slow.",
        get: |s| {
            breaker(s).and_then(|b| {
                num(b
                    .slow_call_duration_ms
                    .unwrap_or(breaker_defaults(b).slow_call_duration.as_millis_f64()))
            })
        },
        set: |s, v| breaker_mut(s).slow_call_duration_ms = Some(number_of(v)),
    },
    Knob {
        id: "upstream.breaker.wait_in_open_ms",
        group: Group::Upstream,
        label: "Open for",
        unit: "ms",
        input: ms(true, None, (100.0, 300_000.0)),
        mirrors: "resilience4j 60 000 ms",
        help: "How long the breaker fails fast before letting trial calls through.",
        get: |s| {
            breaker(s).and_then(|b| {
                num(b
                    .wait_in_open_ms
                    .unwrap_or(breaker_defaults(b).wait_in_open.as_millis_f64()))
            })
        },
        set: |s, v| breaker_mut(s).wait_in_open_ms = Some(number_of(v)),
    },
    Knob {
        id: "upstream.breaker.permitted_calls_in_half_open",
        group: Group::Upstream,
        label: "Trial calls",
        unit: "calls",
        input: whole_in(settings::BREAKER_HALF_OPEN_CALLS, (1.0, 50.0), false),
        mirrors: "resilience4j 10",
        help: "Calls let through in half-open to decide whether the gateway is back.",
        get: |s| {
            breaker(s).and_then(|b| {
                num(b
                    .permitted_calls_in_half_open
                    .unwrap_or(breaker_defaults(b).permitted_in_half_open) as f64)
            })
        },
        set: |s, v| breaker_mut(s).permitted_calls_in_half_open = Some(count_of(v)),
    },
    Knob {
        id: "upstream.breaker.automatic_half_open",
        group: Group::Upstream,
        label: "Half-open by timer",
        unit: "",
        input: ON_OFF,
        mirrors: "resilience4j off (waits for the next call)",
        help: "Move to half-open when the wait ends, rather than on the next call after it.",
        get: |s| {
            breaker(s).map(|b| {
                Value::Flag(
                    b.automatic_half_open
                        .unwrap_or(breaker_defaults(b).automatic_half_open),
                )
            })
        },
        set: |s, v| breaker_mut(s).automatic_half_open = Some(flag_of(v)),
    },
    // ---- error handling ----
    Knob {
        id: "error_handling",
        group: Group::ErrorHandling,
        label: "Errors become",
        unit: "",
        input: Input::Choice(&[
            ("honest", "honest status codes (500/503)"),
            ("swallow", "200 with an error body"),
        ]),
        mirrors: "a central exception handler: honest",
        help: "Swallowed errors answer 200: users still fail, but monitoring sees nothing.",
        get: |s| choice(s.error_handling),
        set: |s, v| {
            if let Some(e) = from_choice::<ErrorHandling>(v) {
                s.error_handling = e;
            }
        },
    },
];
