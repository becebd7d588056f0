//! Validation at the boundary: a [`Scenario`] becomes a [`Config`] that cannot be invalid,
//! or every problem is reported with its field path and reason. Nothing is clamped.

use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::breaker::{BreakerConfig, Window};
use crate::limits;
use crate::rng::SimRng;
use crate::scenario as s;
use crate::scenario::{
    Breaker, BreakerPreset, BreakerWindow, Capacity, Dist, ErrorHandling, Fault, FaultKind, Jitter,
    LbPolicy, QueueOverflow, RateComponent, Retry, Scenario, StampedeProtection, Step, Timeout,
    WhenOpen, SCENARIO_VERSION,
};
use crate::time::{SimDuration, SimTime, MICROS_PER_MS};

/// The largest scenario file accepted, in bytes.
pub const SCENARIO_BYTES_MAX: usize = 1 << 20;
use crate::settings::*;
pub use crate::settings::{DURATION_S_MAX, FAULTS_MAX, RATE_RPS_MAX, SETTING_MS_MAX};

/// One thing wrong with a scenario: where (a field path such as `db_pool.max_size`) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The field's path, e.g. `traffic.endpoints[1].weight`; `(file)` for the whole file.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The settings a running simulation cannot change, as scenario paths: the seed, the
/// duration, the endpoints, the instance count, the keyspace, the key skew and the fault
/// timeline. [`crate::Simulation::reconfigure`] refuses a configuration that differs in any of
/// them (naming these paths, in this order) and [`Config::keep_fixed_from`] copies them; every
/// other setting can change live. The one list of them: UIs should read it from here.
pub const RESTART_ONLY: &[&str] = &[
    "seed",
    "duration_s",
    "traffic.endpoints",
    "instances.count",
    "cache.keyspace",
    "cache.zipf_exponent",
    "faults",
];

impl Config {
    /// Whether `self` and `other` differ at restart-only setting `path` (an entry of
    /// [`RESTART_ONLY`]); `None` if `path` is not in that list.
    pub fn differs_at(&self, other: &Config, path: &str) -> Option<bool> {
        Some(match path {
            "seed" => self.seed != other.seed,
            "duration_s" => self.duration != other.duration,
            "traffic.endpoints" => self.endpoints != other.endpoints,
            "instances.count" => self.instance_count != other.instance_count,
            "cache.keyspace" => self.cache_keyspace != other.cache_keyspace,
            "cache.zipf_exponent" => self.cache_zipf_exponent != other.cache_zipf_exponent,
            "faults" => self.faults != other.faults,
            _ => return None,
        })
    }

    /// The restart-only settings ([`RESTART_ONLY`]) in which `other` differs from `self`, in
    /// the list's order.
    pub fn restart_only_differences(&self, other: &Config) -> Vec<&'static str> {
        RESTART_ONLY
            .iter()
            .copied()
            .filter(|path| self.differs_at(other, path) == Some(true))
            .collect()
    }

    /// Takes from `running` every restart-only setting ([`RESTART_ONLY`]), the ones
    /// [`crate::Simulation::reconfigure`] refuses. What is left is what can change live.
    pub fn keep_fixed_from(&mut self, running: &Config) {
        for path in RESTART_ONLY {
            self.take_setting(running, path);
        }
    }

    /// Copies restart-only setting `path` from `from`; false if `path` is not in
    /// [`RESTART_ONLY`].
    fn take_setting(&mut self, from: &Config, path: &str) -> bool {
        match path {
            "seed" => self.seed = from.seed,
            "duration_s" => self.duration = from.duration,
            "traffic.endpoints" => self.endpoints = from.endpoints.clone(),
            "instances.count" => self.instance_count = from.instance_count,
            "cache.keyspace" => self.cache_keyspace = from.cache_keyspace,
            "cache.zipf_exponent" => self.cache_zipf_exponent = from.cache_zipf_exponent,
            "faults" => self.faults = from.faults.clone(),
            _ => return false,
        }
        true
    }
}

/// Reads a scenario from JSON text. Every unknown field is reported; a syntax error or a value
/// of the wrong type stops the reading (nothing after it can be trusted) and is reported alone. A scenario that reads is then fully
/// validated by [`Config::from_scenario`], which reports every problem at once.
pub fn parse_scenario(json: &str) -> Result<Scenario, Vec<Problem>> {
    match read_scenario(json) {
        (Some(scenario), problems) if problems.is_empty() => Ok(scenario),
        (_, problems) => Err(problems),
    }
}

/// Scenario bytes as text: UTF-8, with a leading byte-order mark dropped (editors on Windows
/// write one). The command line and the browser's import both read files through this, so
/// they accept and refuse the same files.
pub fn scenario_text(bytes: &[u8]) -> Result<&str, Problem> {
    if let Some(problem) = too_big(bytes.len()) {
        return Err(problem);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| Problem {
        path: "(file)".into(),
        message: format!(
            "is not UTF-8 text (an invalid byte at offset {})",
            e.valid_up_to()
        ),
    })
}

/// The problem of a file of `len` bytes, if it is over [`SCENARIO_BYTES_MAX`].
fn too_big(len: usize) -> Option<Problem> {
    (len > SCENARIO_BYTES_MAX).then(|| Problem {
        path: "(file)".into(),
        message: format!("is {len} bytes; a scenario may be at most {SCENARIO_BYTES_MAX} bytes"),
    })
}

/// The longest piece of a file (a key, a quoted value) that a message repeats.
const QUOTE_CHARS_MAX: usize = 80;

/// `text` cut to at most `max` characters, with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => {
            let keep = text[..end]
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(end, |(i, _)| i);
            format!("{}…", &text[..keep])
        }
    }
}

/// A message with every quoted part (between backquotes or double quotes) longer than
/// [`QUOTE_CHARS_MAX`] cut short, so a 100 KB bad value does not become a 100 KB message.
fn clip_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(512));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest.as_bytes()[open] as char;
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let close = rest.find(quote).unwrap_or(rest.len());
        out.push_str(&clip(&rest[..close], QUOTE_CHARS_MAX));
        rest = &rest[close..];
        if let Some(stripped) = rest.strip_prefix(quote) {
            out.push(quote);
            rest = stripped;
        }
    }
    out.push_str(rest);
    clip(&out, 4 * QUOTE_CHARS_MAX)
}

/// Reads what can be read: the scenario if its structure is sound, and every problem found.
fn read_scenario(json: &str) -> (Option<Scenario>, Vec<Problem>) {
    let value = match strict_json(json) {
        Ok(v) => v,
        Err(problem) => return (None, vec![problem]),
    };
    let mut problems = Vec::new();
    tags_are_strings(&value, &mut String::new(), &mut problems);
    if !problems.is_empty() {
        return (None, problems);
    }
    match Scenario::deserialize(&value) {
        Ok(scenario) => {
            // Unknown fields: keys of the file that do not come back when the scenario read
            // from it is written out again.
            if let Ok(written) = serde_json::to_value(&scenario) {
                unknown_fields(&value, &written, "", &mut problems);
            }
            (Some(scenario), problems)
        }
        Err(e) => {
            let message = e.to_string();
            let path = locate_error(&value, &message);
            let problem = Problem {
                path: if path.is_empty() {
                    "(file)".into()
                } else {
                    path
                },
                message: clip_quotes(&message),
            };
            (None, vec![problem])
        }
    }
}

/// Parses JSON text, refusing a key given twice in one object (serde_json would keep the
/// last silently) with the key's path; a syntax error names the file with its line and column.
/// One pass over the text, and the text is at most [`SCENARIO_BYTES_MAX`] bytes.
fn strict_json(json: &str) -> Result<serde_json::Value, Problem> {
    if let Some(problem) = too_big(json.len()) {
        return Err(problem);
    }
    let duplicate = std::cell::RefCell::new(None::<Problem>);
    let mut de = serde_json::Deserializer::from_str(json);
    let seed = StrictValue {
        duplicate: &duplicate,
    };
    let result = serde::de::DeserializeSeed::deserialize(seed, &mut de).and_then(|v| {
        de.end()?;
        Ok(v)
    });
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(duplicate.into_inner().unwrap_or_else(|| Problem {
            path: "(file)".into(),
            message: clip_quotes(&e.to_string()),
        })),
    }
}

/// Builds a [`serde_json::Value`] while parsing and fails on a duplicate key, leaving the
/// problem in `duplicate`. Its path is built only on that failure: each enclosing object or
/// array puts its part in front as the error goes up, so parsing a sound file builds no paths.
struct StrictValue<'a> {
    duplicate: &'a std::cell::RefCell<Option<Problem>>,
}

impl StrictValue<'_> {
    /// Puts `part` (`key` or `[i]`) in front of the failed duplicate's path, if there is one.
    fn prefix(&self, part: &str) {
        if let Some(p) = self.duplicate.borrow_mut().as_mut() {
            let dot = if p.path.is_empty() || p.path.starts_with('[') {
                ""
            } else {
                "."
            };
            p.path = format!("{part}{dot}{}", p.path);
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue<'_> {
    type Value = serde_json::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let seed = StrictValue {
                duplicate: self.duplicate,
            };
            match seq.next_element_seed(seed) {
                Ok(Some(v)) => items.push(v),
                Ok(None) => return Ok(serde_json::Value::Array(items)),
                Err(e) => {
                    self.prefix(&format!("[{}]", items.len()));
                    return Err(e);
                }
            }
        }
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let message = "is given twice in the same object (a key may appear once)";
                *self.duplicate.borrow_mut() = Some(Problem {
                    path: String::new(),
                    message: message.into(),
                });
                self.prefix(&clip(&key, QUOTE_CHARS_MAX));
                return Err(serde::de::Error::custom("duplicate key"));
            }
            let seed = StrictValue {
                duplicate: self.duplicate,
            };
            match map.next_value_seed(seed) {
                Ok(value) => {
                    object.insert(key, value);
                }
                Err(e) => {
                    self.prefix(&clip(&key, QUOTE_CHARS_MAX));
                    return Err(e);
                }
            }
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// Every `kind` in the format names a variant by a string; serde would also take a number
/// (a variant's index), which no person means: refuse it with its path.
fn tags_are_strings(value: &serde_json::Value, path: &mut String, problems: &mut Vec<Problem>) {
    use serde_json::Value;
    let len = path.len();
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&clip(key, QUOTE_CHARS_MAX));
                if key == "kind" && !v.is_string() {
                    problems.push(Problem {
                        path: path.clone(),
                        message: format!(
                            "is {}; a kind is written as a string, e.g. \"constant\"",
                            clip(&v.to_string(), QUOTE_CHARS_MAX)
                        ),
                    });
                }
                tags_are_strings(v, path, problems);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                use fmt::Write as _;
                let _ = write!(path, "[{i}]");
                tags_are_strings(v, path, problems);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The parts of the format that contain other parts, for finding where an error is: each is
/// read on its own, so the search goes down one level at a time and costs one reading of each
/// level's part (linear in the file's size). Leaves need no entry: the last step finds the
/// field from the message (a missing or unknown field's name, or the value it quotes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Scenario,
    Traffic,
    RateList,
    Rate,
    EndpointList,
    Endpoint,
    StepList,
    Step,
    Dist,
    Client,
    Retry,
    RetryBudget,
    LoadBalancer,
    HealthCheck,
    Instances,
    Cache,
    Stampede,
    DbPool,
    Database,
    Upstream,
    Breaker,
    BreakerWindow,
    FaultList,
    Fault,
}

impl Part {
    /// The error reading `value` as this part, if any.
    fn error(self, value: &serde_json::Value) -> Option<String> {
        use crate::scenario as s;
        fn err<'a, T: Deserialize<'a>>(v: &'a serde_json::Value) -> Option<String> {
            T::deserialize(v).err().map(|e| e.to_string())
        }
        match self {
            Part::Scenario => err::<Scenario>(value),
            Part::Traffic => err::<s::Traffic>(value),
            Part::RateList => err::<Vec<RateComponent>>(value),
            Part::Rate => err::<RateComponent>(value),
            Part::EndpointList => err::<Vec<s::Endpoint>>(value),
            Part::Endpoint => err::<s::Endpoint>(value),
            Part::StepList => err::<Vec<Step>>(value),
            Part::Step => err::<Step>(value),
            Part::Dist => err::<Dist>(value),
            Part::Client => err::<s::Client>(value),
            Part::Retry => err::<Retry>(value),
            Part::RetryBudget => err::<s::RetryBudget>(value),
            Part::LoadBalancer => err::<s::LoadBalancer>(value),
            Part::HealthCheck => err::<s::HealthCheck>(value),
            Part::Instances => err::<s::Instances>(value),
            Part::Cache => err::<s::Cache>(value),
            Part::Stampede => err::<StampedeProtection>(value),
            Part::DbPool => err::<s::DbPool>(value),
            Part::Database => err::<s::Database>(value),
            Part::Upstream => err::<s::Upstream>(value),
            Part::Breaker => err::<Breaker>(value),
            Part::BreakerWindow => err::<BreakerWindow>(value),
            Part::FaultList => err::<Vec<Fault>>(value),
            Part::Fault => err::<Fault>(value),
        }
    }

    /// The part under `key` of an object of this part (whose `kind` is given), if it is one.
    fn field(self, key: &str, kind: Option<&str>) -> Option<Part> {
        Some(match (self, key) {
            (Part::Scenario, "traffic") => Part::Traffic,
            (Part::Scenario, "client") => Part::Client,
            (Part::Scenario, "load_balancer") => Part::LoadBalancer,
            (Part::Scenario, "instances") => Part::Instances,
            (Part::Scenario, "cache") => Part::Cache,
            (Part::Scenario, "db_pool") => Part::DbPool,
            (Part::Scenario, "database") => Part::Database,
            (Part::Scenario, "upstream") => Part::Upstream,
            (Part::Scenario, "faults") => Part::FaultList,
            (Part::Traffic, "rate") => Part::RateList,
            (Part::Traffic, "endpoints") => Part::EndpointList,
            (Part::Endpoint, "steps") => Part::StepList,
            (Part::Step, "duration") if kind == Some("cpu") => Part::Dist,
            (Part::Step, "miss_query") if kind == Some("cache_read") => Part::Dist,
            (Part::Step, "cost") if kind == Some("db_query") => Part::Dist,
            (Part::Client, "retry") => Part::Retry,
            (Part::Retry, "budget") => Part::RetryBudget,
            (Part::LoadBalancer, "health_check") => Part::HealthCheck,
            (Part::Cache, "stampede_protection") => Part::Stampede,
            (Part::Upstream, "latency") => Part::Dist,
            (Part::Upstream, "breaker") => Part::Breaker,
            (Part::Breaker, "window") => Part::BreakerWindow,
            _ => return None,
        })
    }

    /// The part of each element of a list part.
    fn element(self) -> Option<Part> {
        match self {
            Part::RateList => Some(Part::Rate),
            Part::EndpointList => Some(Part::Endpoint),
            Part::StepList => Some(Part::Step),
            Part::FaultList => Some(Part::Fault),
            _ => None,
        }
    }
}

/// Finds where the reading error `message` comes from. Reading stops at the first error in
/// the order it visits the document, so the search goes down into the first part, in that
/// order, that does not read on its own; where no part below fails, the message names the
/// field: a missing or unknown field by name, a wrong value by quoting it. Each level is read
/// once, so the cost is linear in the file's size.
fn locate_error(root: &serde_json::Value, message: &str) -> String {
    use serde_json::Value;
    let mut path = String::new();
    let mut node = root;
    let mut part = Part::Scenario;
    loop {
        let next = match node {
            Value::Object(map) => {
                let kind = map.get("kind").and_then(Value::as_str);
                map.iter().find_map(|(key, v)| {
                    let child = part.field(key, kind)?;
                    child
                        .error(v)
                        .map(|_| (format!(".{}", clip(key, QUOTE_CHARS_MAX)), v, child))
                })
            }
            Value::Array(items) => part.element().and_then(|child| {
                items
                    .iter()
                    .enumerate()
                    .find_map(|(i, v)| child.error(v).map(|_| (format!("[{i}]"), v, child)))
            }),
            _ => None,
        };
        match next {
            Some((step, v, child)) => {
                path.push_str(&step);
                node = v;
                part = child;
            }
            None => break,
        }
    }
    if let Some(field) = field_named_by(node, message) {
        path.push('.');
        path.push_str(&clip(&field, QUOTE_CHARS_MAX));
    }
    path.trim_start_matches('.').to_string()
}

/// The field of object `node` that `message` is about: the missing or unknown field it names,
/// `kind` for an unknown variant of a tagged part, or the field holding the value it quotes.
fn field_named_by(node: &serde_json::Value, message: &str) -> Option<String> {
    let map = node.as_object()?;
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    if let Some(field) = named("missing field `").or_else(|| named("unknown field `")) {
        return Some(field);
    }
    if message.starts_with("unknown variant `") {
        if let Some(kind) = named("unknown variant `") {
            let holder = map.iter().find(|(_, v)| v.as_str() == Some(kind.as_str()));
            return holder.map(|(k, _)| k.clone());
        }
    }
    map.iter()
        .find(|(_, v)| message_quotes(message, v))
        .map(|(k, _)| k.clone())
}

/// Whether serde's "invalid type/value: <unexpected>, expected ..." message describes `value`.
fn message_quotes(message: &str, value: &serde_json::Value) -> bool {
    use serde_json::Value;
    let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    else {
        return false;
    };
    let unexpected = rest.split(", expected").next().unwrap_or_default();
    let described = match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
    };
    unexpected == described
}

/// Optional fields, written only when set: a `null` under one of these names means "not set",
/// not an unknown field.
const OPTIONAL_FIELDS: [&str; 16] = [
    "retry",
    "health_check",
    "breaker",
    "window",
    "minimum_calls",
    "failure_rate_threshold_pct",
    "slow_call_rate_threshold_pct",
    "slow_call_duration_ms",
    "wait_in_open_ms",
    "permitted_calls_in_half_open",
    "automatic_half_open",
    "budget",
    "multiplier",
    "error_rate",
    "instance",
    "fail_fast",
];

/// Reports every key of `read` (the file) that `written` (the scenario read from it, written
/// out again) lacks, with its path (`a.b[2].c`).
fn unknown_fields(
    read: &serde_json::Value,
    written: &serde_json::Value,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    use serde_json::Value;
    match (read, written) {
        (Value::Object(file), Value::Object(known)) => {
            for (key, value) in file {
                let key_shown = clip(key, QUOTE_CHARS_MAX);
                let here = if path.is_empty() {
                    key_shown
                } else {
                    format!("{path}.{key_shown}")
                };
                match known.get(key) {
                    Some(w) => unknown_fields(value, w, &here, problems),
                    None if value.is_null() && OPTIONAL_FIELDS.contains(&key.as_str()) => {}
                    None => problems.push(Problem {
                        path: here,
                        message: format!("unknown field `{}`", clip(key, QUOTE_CHARS_MAX)),
                    }),
                }
            }
        }
        (Value::Array(file), Value::Array(known)) => {
            for (i, (value, w)) in file.iter().zip(known).enumerate() {
                unknown_fields(value, w, &format!("{path}[{i}]"), problems);
            }
        }
        _ => {}
    }
}

/// Reads and validates a scenario in one go, reporting unknown fields and range or
/// consistency problems together.
pub fn load_scenario(json: &str) -> Result<(Scenario, Config), Vec<Problem>> {
    let (scenario, mut problems) = read_scenario(json);
    let Some(scenario) = scenario else {
        return Err(problems);
    };
    match Config::from_scenario(&scenario) {
        Ok(config) if problems.is_empty() => Ok((scenario, config)),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// A validated duration distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DurationDist {
    /// Always this long.
    Constant(SimDuration),
    /// Exponential with this mean, in microseconds.
    Exponential {
        /// Mean, in microseconds.
        mean_us: f64,
    },
    /// Uniform between two bounds, in microseconds.
    Uniform {
        /// Lower bound, in microseconds.
        min_us: f64,
        /// Upper bound, in microseconds.
        max_us: f64,
    },
    /// Log-normal: `exp(mu + sigma * z)` microseconds.
    Lognormal {
        /// Log of the median, in log-microseconds.
        mu: f64,
        /// Shape.
        sigma: f64,
    },
}

/// The 99th percentile of the standard normal distribution.
const Z_P99: f64 = 2.326_347_874_040_841;

impl DurationDist {
    /// Draws one duration; the result never exceeds a day.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let us = match *self {
            DurationDist::Constant(d) => return d,
            DurationDist::Exponential { mean_us } => rng.exponential(mean_us),
            DurationDist::Uniform { min_us, max_us } => min_us + (max_us - min_us) * rng.open01(),
            DurationDist::Lognormal { mu, sigma } => libm::exp(mu + sigma * rng.standard_normal()),
        };
        SimDuration::from_micros(libm::round(us.min(SETTING_MS_MAX * MICROS_PER_MS as f64)) as u64)
    }

    /// The mean of the distribution, in microseconds.
    pub fn mean_us(&self) -> f64 {
        match *self {
            DurationDist::Constant(d) => d.as_micros() as f64,
            DurationDist::Exponential { mean_us } => mean_us,
            DurationDist::Uniform { min_us, max_us } => (min_us + max_us) / 2.0,
            DurationDist::Lognormal { mu, sigma } => libm::exp(mu + sigma * sigma / 2.0),
        }
    }
}

/// A validated handler step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepConfig {
    /// Work on the worker thread.
    Cpu(DurationDist),
    /// Read-through cache; on a miss, a query with this cost.
    CacheRead(DurationDist),
    /// A database query with this cost.
    DbQuery(DurationDist),
    /// A call to the upstream.
    UpstreamCall,
}

/// A validated endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointConfig {
    /// Display name.
    pub name: String,
    /// Share of user requests, normalised so that all endpoints sum to 1.
    pub share: f64,
    /// Its errors page (true) or only warn (false).
    pub critical: bool,
    /// Handler steps in order.
    pub steps: Vec<StepConfig>,
}

/// A validated fault window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultConfig {
    /// Which fault.
    pub kind: FaultKind,
    /// When it starts.
    pub start: SimTime,
    /// When it ends (equal to `start` for instantaneous faults).
    pub end: SimTime,
    /// Factor for faults that multiply something; 1 otherwise.
    pub multiplier: f64,
    /// Error share for `upstream_errors`; 0 otherwise.
    pub error_rate: f64,
    /// The instance for instance faults; 0 otherwise.
    pub instance: usize,
    /// For `bad_deploy`: startup validation on.
    pub fail_fast: bool,
}

/// Validated health checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthCheckConfig {
    /// Deep (readiness) rather than shallow (liveness).
    pub deep: bool,
    /// Time between probes of one instance.
    pub interval: SimDuration,
    /// How long a probe waits for a free worker.
    pub timeout: SimDuration,
    /// Failures that take an instance out.
    pub unhealthy_threshold: u32,
    /// Successes that bring it back.
    pub healthy_threshold: u32,
    /// Deep checks fail above this pool use (percent).
    pub deep_pool_use_max_pct: f64,
    /// Route to every instance when none is healthy.
    pub fail_open: bool,
}

/// Validated client retries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryConfig {
    /// Attempts per user request, the first included (≥ 2).
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub backoff_base: SimDuration,
    /// The longest delay.
    pub backoff_cap: SimDuration,
    /// Spread added to delays.
    pub jitter: Jitter,
    /// Retry 5xx answers.
    pub retry_on_5xx: bool,
    /// Retry client timeouts.
    pub retry_on_timeout: bool,
    /// Wait at least Retry-After.
    pub honor_retry_after: bool,
    /// Retry budget: (tokens per new request, tokens per second).
    pub budget: Option<(f64, f64)>,
}

/// Validated stampede protection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StampedeConfig {
    /// None: concurrent misses all load.
    None,
    /// One load per key; other misses wait for it.
    Coalescing,
    /// Serve stale up to this long past expiry while one background refresh runs.
    StaleWhileRevalidate(SimDuration),
    /// XFetch with this beta.
    ProbabilisticEarlyRefresh(f64),
}

/// A validated scenario: every field is in range and consistent.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Seed of the run.
    pub(crate) seed: u64,
    /// Length of the run.
    pub(crate) duration: SimDuration,
    /// Arrival-rate profile.
    pub(crate) rate: Vec<RateComponent>,
    /// Endpoints with normalised shares.
    pub(crate) endpoints: Vec<EndpointConfig>,
    /// Client per-attempt timeout.
    pub(crate) client_timeout: Option<SimDuration>,
    /// Load balancer policy.
    pub(crate) lb_policy: LbPolicy,
    /// Load balancer gateway timeout.
    pub(crate) gateway_timeout: Option<SimDuration>,
    /// Load balancer health checks.
    pub(crate) health_check: Option<HealthCheckConfig>,
    /// Number of instances.
    pub(crate) instance_count: usize,
    /// Worker threads per instance.
    pub(crate) max_threads: u32,
    /// Accept-queue capacity per instance; `None` is unbounded.
    pub(crate) accept_queue: Option<u32>,
    /// What a full accept queue does.
    pub(crate) queue_overflow: QueueOverflow,
    /// Number of cache keys.
    pub(crate) cache_keyspace: u32,
    /// Zipf exponent of key popularity.
    pub(crate) cache_zipf_exponent: f64,
    /// Cache time to live.
    pub(crate) cache_ttl: SimDuration,
    /// Cache lookup latency.
    pub(crate) cache_lookup: SimDuration,
    /// Connections per instance pool.
    pub(crate) pool_max_size: u32,
    /// Pool acquire timeout; `None` waits forever.
    pub(crate) pool_timeout: Option<SimDuration>,
    /// Database cores.
    pub(crate) db_cores: u32,
    /// Statement timeout.
    pub(crate) query_timeout: Option<SimDuration>,
    /// Upstream latency.
    pub(crate) upstream_latency: DurationDist,
    /// Upstream error share.
    pub(crate) upstream_error_rate: f64,
    /// Upstream connect timeout.
    pub(crate) upstream_connect_timeout: Option<SimDuration>,
    /// Upstream read timeout.
    pub(crate) upstream_read_timeout: Option<SimDuration>,
    /// Upstream circuit breaker, per instance, and what to answer when it rejects.
    pub(crate) breaker: Option<(BreakerConfig, WhenOpen)>,
    /// Honest or swallowed errors.
    pub(crate) error_handling: ErrorHandling,
    /// Client retries; `None` for a single attempt.
    pub(crate) retry: Option<RetryConfig>,
    /// TTL spread in percent.
    pub(crate) cache_ttl_jitter_pct: f64,
    /// Stampede protection.
    pub(crate) stampede: StampedeConfig,
    /// Timed faults, sorted by start.
    pub(crate) faults: Vec<FaultConfig>,
}

/// Read access to a validated configuration: only [`Config::from_scenario`] makes one, so
/// nothing outside validation can write a field.
impl Config {
    /// Seed of the run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Length of the run.
    pub fn duration(&self) -> SimDuration {
        self.duration
    }

    /// Arrival-rate profile.
    pub fn rate(&self) -> &[RateComponent] {
        &self.rate
    }

    /// Endpoints with normalised shares.
    pub fn endpoints(&self) -> &[EndpointConfig] {
        &self.endpoints
    }

    /// Client per-attempt timeout.
    pub fn client_timeout(&self) -> Option<SimDuration> {
        self.client_timeout
    }

    /// Load balancer policy.
    pub fn lb_policy(&self) -> LbPolicy {
        self.lb_policy
    }

    /// Load balancer gateway timeout.
    pub fn gateway_timeout(&self) -> Option<SimDuration> {
        self.gateway_timeout
    }

    /// Load balancer health checks.
    pub fn health_check(&self) -> Option<HealthCheckConfig> {
        self.health_check
    }

    /// Number of instances.
    pub fn instance_count(&self) -> usize {
        self.instance_count
    }

    /// Worker threads per instance.
    pub fn max_threads(&self) -> u32 {
        self.max_threads
    }

    /// Accept-queue capacity per instance; `None` is unbounded.
    pub fn accept_queue(&self) -> Option<u32> {
        self.accept_queue
    }

    /// What a full accept queue does.
    pub fn queue_overflow(&self) -> QueueOverflow {
        self.queue_overflow
    }

    /// Number of cache keys.
    pub fn cache_keyspace(&self) -> u32 {
        self.cache_keyspace
    }

    /// Zipf exponent of key popularity.
    pub fn cache_zipf_exponent(&self) -> f64 {
        self.cache_zipf_exponent
    }

    /// Cache time to live.
    pub fn cache_ttl(&self) -> SimDuration {
        self.cache_ttl
    }

    /// Cache lookup latency.
    pub fn cache_lookup(&self) -> SimDuration {
        self.cache_lookup
    }

    /// Connections per instance pool.
    pub fn pool_max_size(&self) -> u32 {
        self.pool_max_size
    }

    /// Pool acquire timeout; `None` waits forever.
    pub fn pool_timeout(&self) -> Option<SimDuration> {
        self.pool_timeout
    }

    /// Database cores.
    pub fn db_cores(&self) -> u32 {
        self.db_cores
    }

    /// Statement timeout.
    pub fn query_timeout(&self) -> Option<SimDuration> {
        self.query_timeout
    }

    /// Upstream latency.
    pub fn upstream_latency(&self) -> DurationDist {
        self.upstream_latency
    }

    /// Upstream error share.
    pub fn upstream_error_rate(&self) -> f64 {
        self.upstream_error_rate
    }

    /// Upstream connect timeout.
    pub fn upstream_connect_timeout(&self) -> Option<SimDuration> {
        self.upstream_connect_timeout
    }

    /// Upstream read timeout.
    pub fn upstream_read_timeout(&self) -> Option<SimDuration> {
        self.upstream_read_timeout
    }

    /// Upstream circuit breaker, per instance, and what to answer when it rejects.
    pub fn breaker(&self) -> Option<(BreakerConfig, WhenOpen)> {
        self.breaker
    }

    /// Honest or swallowed errors.
    pub fn error_handling(&self) -> ErrorHandling {
        self.error_handling
    }

    /// Client retries; `None` for a single attempt.
    pub fn retry(&self) -> Option<RetryConfig> {
        self.retry
    }

    /// TTL spread in percent.
    pub fn cache_ttl_jitter_pct(&self) -> f64 {
        self.cache_ttl_jitter_pct
    }

    /// Stampede protection.
    pub fn stampede(&self) -> StampedeConfig {
        self.stampede
    }

    /// Timed faults, sorted by start.
    pub fn faults(&self) -> &[FaultConfig] {
        &self.faults
    }
}

/// Collects problems while walking a scenario.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A finite number in `[min, max]`.
    fn number(&mut self, path: &str, value: f64, min: f64, max: f64) -> f64 {
        if !value.is_finite() {
            self.fail(path, "must be a finite number");
        } else if value < min || value > max {
            self.fail(path, format!("is {value}; must be from {min} to {max}"));
        }
        value
    }

    /// A finite number greater than zero and at most `max`.
    fn positive(&mut self, path: &str, value: f64, max: f64) -> f64 {
        if !value.is_finite() {
            self.fail(path, "must be a finite number");
        } else if value <= 0.0 || value > max {
            self.fail(
                path,
                format!("is {value}; must be greater than 0 and at most {max}"),
            );
        }
        value
    }

    /// A whole number in `[min, max]`.
    fn count(&mut self, path: &str, value: u32, min: u32, max: u32) -> u32 {
        if value < min || value > max {
            self.fail(path, format!("is {value}; must be from {min} to {max}"));
        }
        value
    }

    fn millis(&mut self, path: &str, ms: f64) -> SimDuration {
        let ms = self.number(path, ms, 0.0, SETTING_MS_MAX);
        if ms.is_finite() && (0.0..=SETTING_MS_MAX).contains(&ms) {
            SimDuration::from_millis_f64(ms)
        } else {
            SimDuration::ZERO
        }
    }

    fn timeout(&mut self, path: &str, timeout: Timeout) -> Option<SimDuration> {
        match timeout {
            Timeout::None => None,
            Timeout::Ms(ms) => {
                let ms = self.positive(path, ms, SETTING_MS_MAX);
                Some(SimDuration::from_millis_f64(if ms.is_finite() {
                    ms.max(0.0)
                } else {
                    0.0
                }))
            }
        }
    }

    fn seconds(&mut self, path: &str, s: f64) -> SimTime {
        let s = self.number(path, s, 0.0, DURATION_S_MAX);
        if s.is_finite() && s >= 0.0 {
            SimTime::from_micros(
                SimDuration::from_millis_f64(s.min(DURATION_S_MAX) * 1000.0).as_micros(),
            )
        } else {
            SimTime::ZERO
        }
    }

    fn dist(&mut self, path: &str, dist: &Dist) -> DurationDist {
        let us = MICROS_PER_MS as f64;
        match *dist {
            Dist::Constant { ms } => DurationDist::Constant(self.millis(&format!("{path}.ms"), ms)),
            Dist::Exponential { mean_ms } => {
                let m = self.positive(&format!("{path}.mean_ms"), mean_ms, SETTING_MS_MAX);
                DurationDist::Exponential { mean_us: m * us }
            }
            Dist::Uniform { min_ms, max_ms } => {
                let lo = self.number(&format!("{path}.min_ms"), min_ms, 0.0, SETTING_MS_MAX);
                let hi = self.number(&format!("{path}.max_ms"), max_ms, 0.0, SETTING_MS_MAX);
                if lo > hi {
                    self.fail(
                        format!("{path}.max_ms"),
                        format!("is {hi}; must be at least min_ms ({lo})"),
                    );
                }
                DurationDist::Uniform {
                    min_us: lo * us,
                    max_us: hi * us,
                }
            }
            Dist::Lognormal { median_ms, p99_ms } => {
                let median = self.positive(&format!("{path}.median_ms"), median_ms, SETTING_MS_MAX);
                let p99 = self.positive(&format!("{path}.p99_ms"), p99_ms, SETTING_MS_MAX);
                if p99 < median {
                    self.fail(
                        format!("{path}.p99_ms"),
                        format!("is {p99}; must be at least median_ms ({median})"),
                    );
                }
                let median_us = median * us;
                DurationDist::Lognormal {
                    mu: libm::log(median_us),
                    sigma: libm::log(p99 / median) / Z_P99,
                }
            }
        }
    }
}

impl Checker {
    fn breaker(&mut self, b: &Breaker) -> BreakerConfig {
        let p = "upstream.breaker";
        let mut cfg = match b.preset {
            BreakerPreset::Resilience4j => BreakerConfig::resilience4j(),
            BreakerPreset::Hystrix => BreakerConfig::hystrix(),
        };
        if let Some(w) = b.window {
            cfg.window = match w {
                BreakerWindow::CountBased { calls } => Window::CountBased(self.count_in(
                    &format!("{p}.window.calls"),
                    calls,
                    BREAKER_WINDOW_CALLS,
                )),
                BreakerWindow::TimeBased { seconds } => Window::TimeBased(self.count_in(
                    &format!("{p}.window.seconds"),
                    seconds,
                    BREAKER_WINDOW_S,
                )),
            };
        }
        if let Some(n) = b.minimum_calls {
            cfg.minimum_calls =
                self.count_in(&format!("{p}.minimum_calls"), n, BREAKER_MINIMUM_CALLS);
        }
        if let Some(v) = b.failure_rate_threshold_pct {
            cfg.failure_rate_threshold_pct = self.positive(
                &format!("{p}.failure_rate_threshold_pct"),
                v,
                THRESHOLD_PCT_MAX,
            );
        }
        if let Some(v) = b.slow_call_rate_threshold_pct {
            cfg.slow_call_rate_threshold_pct = self.positive(
                &format!("{p}.slow_call_rate_threshold_pct"),
                v,
                THRESHOLD_PCT_MAX,
            );
        }
        if let Some(ms) = b.slow_call_duration_ms {
            let ms = self.positive(&format!("{p}.slow_call_duration_ms"), ms, SETTING_MS_MAX);
            cfg.slow_call_duration = SimDuration::from_millis_f64(ms.clamp(0.0, SETTING_MS_MAX));
        }
        if let Some(ms) = b.wait_in_open_ms {
            let ms = self.positive(&format!("{p}.wait_in_open_ms"), ms, SETTING_MS_MAX);
            cfg.wait_in_open = SimDuration::from_millis_f64(ms.clamp(0.0, SETTING_MS_MAX));
        }
        if let Some(n) = b.permitted_calls_in_half_open {
            cfg.permitted_in_half_open = self.count_in(
                &format!("{p}.permitted_calls_in_half_open"),
                n,
                BREAKER_HALF_OPEN_CALLS,
            );
        }
        if let Some(on) = b.automatic_half_open {
            cfg.automatic_half_open = on;
        }
        cfg
    }

    /// A fault's kind-specific field `name`: required when the kind `uses` it, an error when it
    /// does not; returns the value when it is both used and given.
    fn fault_param<T>(
        &mut self,
        p: &str,
        name: &str,
        kind: FaultKind,
        uses: bool,
        given: Option<T>,
    ) -> Option<T> {
        match (uses, given) {
            (true, None) => {
                let message = format!("is required for kind {}", kind_name(kind));
                self.fail(format!("{p}.{name}"), message);
                None
            }
            (false, Some(_)) => {
                let message = format!("is not used by kind {}", kind_name(kind));
                self.fail(format!("{p}.{name}"), message);
                None
            }
            (_, given) => given,
        }
    }

    /// Checks one fault at `p` for a service of `instance_count` instances.
    fn fault(&mut self, p: &str, f: &Fault, instance_count: u32) -> FaultConfig {
        let c = self;
        let start = c.seconds(&format!("{p}.start_s"), f.start_s);
        let instant = f.kind == FaultKind::CacheFlush;
        let end = if instant {
            start
        } else {
            let d = c.positive(&format!("{p}.duration_s"), f.duration_s, DURATION_S_MAX);
            start
                + SimDuration::from_millis_f64(
                    if d.is_finite() {
                        d.clamp(0.0, DURATION_S_MAX)
                    } else {
                        0.0
                    } * 1000.0,
                )
        };
        let uses_multiplier = matches!(
            f.kind,
            FaultKind::DbSlow | FaultKind::TrafficSpike | FaultKind::UpstreamSlow
        );
        let multiplier = match c.fault_param(p, "multiplier", f.kind, uses_multiplier, f.multiplier)
        {
            Some(m) => c.positive(&format!("{p}.multiplier"), m, limits::FAULT_MULTIPLIER_MAX),
            None => 1.0,
        };
        let uses_instance = matches!(
            f.kind,
            FaultKind::InstanceCrash | FaultKind::InstanceDbUnreachable | FaultKind::BadDeploy
        );
        let instance = match c.fault_param(p, "instance", f.kind, uses_instance, f.instance) {
            Some(i) => {
                if i >= instance_count.max(1) {
                    c.fail(
                        format!("{p}.instance"),
                        format!(
                            "is {i}; there are {} instances (0 to {})",
                            instance_count,
                            instance_count.saturating_sub(1)
                        ),
                    );
                }
                i as usize
            }
            None => 0,
        };
        if f.kind != FaultKind::BadDeploy {
            // Optional for bad deploys; an error for every other kind.
            c.fault_param(p, "fail_fast", f.kind, false, f.fail_fast);
        }
        let uses_error_rate = f.kind == FaultKind::UpstreamErrors;
        let error_rate = match c.fault_param(p, "error_rate", f.kind, uses_error_rate, f.error_rate)
        {
            Some(r) => c.number_in(&format!("{p}.error_rate"), r, ERROR_RATE),
            None => 0.0,
        };
        FaultConfig {
            kind: f.kind,
            start,
            end,
            multiplier,
            error_rate,
            instance,
            fail_fast: f.fail_fast.unwrap_or(false),
        }
    }

    fn retry(&mut self, r: &Retry) -> Option<RetryConfig> {
        let p = "client.retry";
        let max_attempts =
            self.count_in(&format!("{p}.max_attempts"), r.max_attempts, RETRY_ATTEMPTS);
        let base = self.millis(&format!("{p}.backoff_base_ms"), r.backoff_base_ms);
        let cap = self.millis(&format!("{p}.backoff_cap_ms"), r.backoff_cap_ms);
        if r.backoff_cap_ms < r.backoff_base_ms {
            self.fail(
                format!("{p}.backoff_cap_ms"),
                format!(
                    "is {}; must be at least backoff_base_ms ({})",
                    r.backoff_cap_ms, r.backoff_base_ms
                ),
            );
        }
        let budget = r.budget.as_ref().map(|b| {
            (
                self.number_in(
                    &format!("{p}.budget.ratio"),
                    b.ratio,
                    RETRY_BUDGET_TOKENS_PER_REQUEST,
                ),
                self.number(
                    &format!("{p}.budget.min_retries_per_s"),
                    b.min_retries_per_s,
                    0.0,
                    RATE_RPS_MAX,
                ),
            )
        });
        (max_attempts > 1).then_some(RetryConfig {
            max_attempts,
            backoff_base: base,
            backoff_cap: cap,
            jitter: r.jitter,
            retry_on_5xx: r.retry_on_5xx,
            retry_on_timeout: r.retry_on_timeout,
            honor_retry_after: r.honor_retry_after,
            budget,
        })
    }
}

/// The cache section, validated.
struct CacheSettings {
    keyspace: u32,
    zipf_exponent: f64,
    ttl: SimDuration,
    lookup: SimDuration,
    ttl_jitter_pct: f64,
    stampede: StampedeConfig,
}

/// The upstream section, validated.
struct UpstreamSettings {
    latency: DurationDist,
    error_rate: f64,
    connect_timeout: Option<SimDuration>,
    read_timeout: Option<SimDuration>,
    breaker: Option<(BreakerConfig, WhenOpen)>,
}

/// One validating function per scenario section, called in the order problems are reported.
impl Checker {
    fn count_in(&mut self, path: &str, value: u32, range: RangeInclusive<u32>) -> u32 {
        self.count(path, value, *range.start(), *range.end())
    }

    fn number_in(&mut self, path: &str, value: f64, range: RangeInclusive<f64>) -> f64 {
        self.number(path, value, *range.start(), *range.end())
    }

    /// The format version and the run's length.
    fn run_length(&mut self, scenario: &Scenario) -> SimDuration {
        if scenario.version != SCENARIO_VERSION {
            self.fail(
                "version",
                format!(
                    "is {}; this build reads version {SCENARIO_VERSION}",
                    scenario.version
                ),
            );
        }
        let duration_s = self.positive("duration_s", scenario.duration_s, DURATION_S_MAX);
        if duration_s.is_finite() && duration_s > 0.0 {
            SimDuration::from_millis_f64(duration_s.min(DURATION_S_MAX) * 1000.0)
        } else {
            SimDuration::ZERO
        }
    }

    /// `traffic.rate`: the arrival-rate profile.
    fn rate(&mut self, rate: &[RateComponent]) {
        if rate.is_empty() {
            self.fail("traffic.rate", "needs at least one component");
        }
        if rate.len() > RATE_COMPONENTS_MAX {
            self.fail(
                "traffic.rate",
                format!("may have at most {RATE_COMPONENTS_MAX} components"),
            );
        }
        for (i, comp) in rate.iter().enumerate() {
            self.rate_component(&format!("traffic.rate[{i}]"), comp);
        }
    }

    fn rate_component(&mut self, p: &str, comp: &RateComponent) {
        match *comp {
            RateComponent::Constant { rps } => {
                self.number(&format!("{p}.rps"), rps, 0.0, RATE_RPS_MAX);
            }
            RateComponent::Step { at_s, rps } => {
                self.seconds(&format!("{p}.at_s"), at_s);
                self.number(&format!("{p}.rps"), rps, -RATE_RPS_MAX, RATE_RPS_MAX);
            }
            RateComponent::Ramp {
                start_s,
                end_s,
                from_rps,
                to_rps,
            } => {
                self.seconds(&format!("{p}.start_s"), start_s);
                self.seconds(&format!("{p}.end_s"), end_s);
                if end_s <= start_s {
                    self.fail(
                        format!("{p}.end_s"),
                        format!("is {end_s}; must be later than start_s ({start_s})"),
                    );
                }
                self.number(&format!("{p}.from_rps"), from_rps, 0.0, RATE_RPS_MAX);
                self.number(&format!("{p}.to_rps"), to_rps, 0.0, RATE_RPS_MAX);
            }
            RateComponent::Spike {
                start_s,
                duration_s,
                multiplier,
            } => {
                self.seconds(&format!("{p}.start_s"), start_s);
                self.positive(&format!("{p}.duration_s"), duration_s, DURATION_S_MAX);
                self.number_in(
                    &format!("{p}.multiplier"),
                    multiplier,
                    RATE_SPIKE_MULTIPLIER,
                );
            }
        }
    }

    /// `traffic.endpoints`: names, weights (normalised to shares) and handler steps.
    fn endpoints(&mut self, list: &[s::Endpoint]) -> Vec<EndpointConfig> {
        if list.is_empty() {
            self.fail("traffic.endpoints", "needs at least one endpoint");
        }
        if list.len() > ENDPOINTS_MAX {
            self.fail(
                "traffic.endpoints",
                format!("may have at most {ENDPOINTS_MAX} endpoints"),
            );
        }
        let total_weight: f64 = list
            .iter()
            .map(|e| e.weight)
            .filter(|w| w.is_finite() && *w > 0.0)
            .sum();
        let mut endpoints = Vec::with_capacity(list.len());
        for (i, ep) in list.iter().enumerate() {
            let p = format!("traffic.endpoints[{i}]");
            if ep.name.trim().is_empty() {
                self.fail(format!("{p}.name"), "must not be empty");
            }
            if list[..i].iter().any(|o| o.name == ep.name) {
                self.fail(
                    format!("{p}.name"),
                    format!("\"{}\" is used twice", ep.name),
                );
            }
            let w = self.positive(&format!("{p}.weight"), ep.weight, ENDPOINT_WEIGHT_MAX);
            let steps = self.steps(&p, &ep.steps);
            endpoints.push(EndpointConfig {
                name: ep.name.clone(),
                critical: ep.critical,
                share: if total_weight > 0.0 {
                    w / total_weight
                } else {
                    0.0
                },
                steps,
            });
        }
        endpoints
    }

    /// An endpoint's handler steps, at `p`.
    fn steps(&mut self, p: &str, steps: &[Step]) -> Vec<StepConfig> {
        if steps.is_empty() {
            self.fail(format!("{p}.steps"), "needs at least one step");
        }
        if steps.len() > ENDPOINT_STEPS_MAX {
            self.fail(
                format!("{p}.steps"),
                format!("may have at most {ENDPOINT_STEPS_MAX} steps"),
            );
        }
        steps
            .iter()
            .enumerate()
            .map(|(j, step)| {
                let sp = format!("{p}.steps[{j}]");
                match step {
                    Step::Cpu { duration } => {
                        StepConfig::Cpu(self.dist(&format!("{sp}.duration"), duration))
                    }
                    Step::CacheRead { miss_query } => {
                        StepConfig::CacheRead(self.dist(&format!("{sp}.miss_query"), miss_query))
                    }
                    Step::DbQuery { cost } => {
                        StepConfig::DbQuery(self.dist(&format!("{sp}.cost"), cost))
                    }
                    Step::UpstreamCall => StepConfig::UpstreamCall,
                }
            })
            .collect()
    }

    /// `load_balancer.health_check`.
    fn health_check(&mut self, h: &s::HealthCheck) -> HealthCheckConfig {
        let p = "load_balancer.health_check";
        let interval = self.positive(
            &format!("{p}.interval_ms"),
            h.interval_ms,
            HEALTH_CHECK_MS_MAX,
        );
        let interval =
            SimDuration::from_millis_f64(interval.clamp(0.0, HEALTH_CHECK_MS_MAX).max(1.0));
        let t = self.positive(
            &format!("{p}.timeout_ms"),
            h.timeout_ms,
            HEALTH_CHECK_MS_MAX,
        );
        let timeout = SimDuration::from_millis_f64(t.clamp(0.0, HEALTH_CHECK_MS_MAX));
        let unhealthy_threshold = self.count_in(
            &format!("{p}.unhealthy_threshold"),
            h.unhealthy_threshold,
            HEALTH_CHECK_THRESHOLD_PROBES,
        );
        let healthy_threshold = self.count_in(
            &format!("{p}.healthy_threshold"),
            h.healthy_threshold,
            HEALTH_CHECK_THRESHOLD_PROBES,
        );
        HealthCheckConfig {
            deep: h.kind == crate::scenario::HealthCheckKind::Deep,
            interval,
            timeout,
            unhealthy_threshold,
            healthy_threshold,
            fail_open: h.when_all_unhealthy == crate::scenario::WhenAllUnhealthy::FailOpen,
            deep_pool_use_max_pct: self.positive(
                &format!("{p}.deep_pool_use_max_pct"),
                h.deep_pool_use_max_pct,
                THRESHOLD_PCT_MAX,
            ),
        }
    }

    /// `instances`: how many, threads, the accept queue.
    fn instances(&mut self, inst: &s::Instances) -> (usize, u32, Option<u32>) {
        let count = self.count_in("instances.count", inst.count, INSTANCES_COUNT) as usize;
        let max_threads = self.count_in(
            "instances.max_threads",
            inst.max_threads,
            THREADS_PER_INSTANCE,
        );
        let accept_queue = match inst.accept_queue {
            Capacity::Unbounded => None,
            Capacity::Limit(n) => {
                Some(self.count_in("instances.accept_queue", n, ACCEPT_QUEUE_CONNECTIONS))
            }
        };
        (count, max_threads, accept_queue)
    }

    /// `cache`.
    fn cache(&mut self, cache: &s::Cache) -> CacheSettings {
        let keyspace = self.count_in("cache.keyspace", cache.keyspace, CACHE_KEYS);
        let zipf_exponent = self.number_in(
            "cache.zipf_exponent",
            cache.zipf_exponent,
            CACHE_ZIPF_EXPONENT,
        );
        let ttl_ms = self.positive("cache.ttl_ms", cache.ttl_ms, SETTING_MS_MAX);
        let lookup = self.millis("cache.lookup_ms", cache.lookup_ms);
        let ttl_jitter_pct = self.number_in(
            "cache.ttl_jitter_pct",
            cache.ttl_jitter_pct,
            CACHE_TTL_JITTER_PCT,
        );
        let stampede = match cache.stampede_protection {
            StampedeProtection::None => StampedeConfig::None,
            StampedeProtection::Coalescing => StampedeConfig::Coalescing,
            StampedeProtection::StaleWhileRevalidate { stale_ms } => {
                StampedeConfig::StaleWhileRevalidate(
                    self.millis("cache.stampede_protection.stale_ms", stale_ms),
                )
            }
            StampedeProtection::ProbabilisticEarlyRefresh { beta } => {
                StampedeConfig::ProbabilisticEarlyRefresh(self.positive(
                    "cache.stampede_protection.beta",
                    beta,
                    STAMPEDE_BETA_MAX,
                ))
            }
        };
        CacheSettings {
            keyspace,
            zipf_exponent,
            ttl: SimDuration::from_millis_f64(ttl_ms),
            lookup,
            ttl_jitter_pct,
            stampede,
        }
    }

    /// `upstream`, its breaker included.
    fn upstream(&mut self, up: &s::Upstream) -> UpstreamSettings {
        UpstreamSettings {
            latency: self.dist("upstream.latency", &up.latency),
            error_rate: self.number_in("upstream.error_rate", up.error_rate, ERROR_RATE),
            connect_timeout: self.timeout("upstream.connect_timeout_ms", up.connect_timeout_ms),
            read_timeout: self.timeout("upstream.read_timeout_ms", up.read_timeout_ms),
            breaker: up.breaker.as_ref().map(|b| (self.breaker(b), b.when_open)),
        }
    }

    /// `faults`, sorted by start, and the work model with them (only if all else is valid).
    fn faults(&mut self, scenario: &Scenario, duration: SimDuration) -> Vec<FaultConfig> {
        if scenario.faults.len() > FAULTS_MAX {
            self.fail("faults", format!("may have at most {FAULTS_MAX} faults"));
        }
        let mut faults = Vec::with_capacity(scenario.faults.len());
        for (i, f) in scenario.faults.iter().enumerate() {
            faults.push(self.fault(&format!("faults[{i}]"), f, scenario.instances.count));
        }
        if self.problems.is_empty() {
            let paths: Vec<String> = (0..faults.len()).map(|i| format!("faults[{i}]")).collect();
            let rate = &scenario.traffic.rate;
            self.problems
                .extend(work_problems(rate, duration, &faults, &paths));
        }
        faults.sort_by_key(|f| f.start);
        faults
    }
}

impl Config {
    /// Validates `scenario`, returning every problem found.
    pub fn from_scenario(scenario: &Scenario) -> Result<Config, Vec<Problem>> {
        let mut c = Checker { problems: vec![] };
        let duration = c.run_length(scenario);
        c.rate(&scenario.traffic.rate);
        let endpoints = c.endpoints(&scenario.traffic.endpoints);
        let client_timeout = c.timeout("client.timeout_ms", scenario.client.timeout_ms);
        let lb = &scenario.load_balancer;
        let gateway_timeout = c.timeout("load_balancer.gateway_timeout_ms", lb.gateway_timeout_ms);
        let health_check = lb.health_check.as_ref().map(|h| c.health_check(h));
        let (instance_count, max_threads, accept_queue) = c.instances(&scenario.instances);
        let cache = c.cache(&scenario.cache);
        let pool = &scenario.db_pool;
        let pool_max_size = c.count_in("db_pool.max_size", pool.max_size, POOL_CONNECTIONS);
        let pool_timeout = c.timeout("db_pool.connection_timeout_ms", pool.connection_timeout_ms);
        let db = &scenario.database;
        let db_cores = c.count_in("database.cores", db.cores, DB_CORES);
        let query_timeout = c.timeout("database.query_timeout_ms", db.query_timeout_ms);
        let up = c.upstream(&scenario.upstream);
        let retry = scenario.client.retry.as_ref().and_then(|r| c.retry(r));
        let faults = c.faults(scenario, duration);
        if !c.problems.is_empty() {
            return Err(c.problems);
        }
        Ok(Config {
            seed: scenario.seed,
            duration,
            rate: scenario.traffic.rate.clone(),
            endpoints,
            client_timeout,
            lb_policy: lb.policy,
            gateway_timeout,
            health_check,
            instance_count,
            max_threads,
            accept_queue,
            queue_overflow: scenario.instances.queue_overflow,
            cache_keyspace: cache.keyspace,
            cache_zipf_exponent: cache.zipf_exponent,
            cache_ttl: cache.ttl,
            cache_lookup: cache.lookup,
            pool_max_size,
            pool_timeout,
            db_cores,
            query_timeout,
            upstream_latency: up.latency,
            upstream_error_rate: up.error_rate,
            upstream_connect_timeout: up.connect_timeout,
            upstream_read_timeout: up.read_timeout,
            breaker: up.breaker,
            error_handling: scenario.error_handling,
            retry,
            cache_ttl_jitter_pct: cache.ttl_jitter_pct,
            stampede: cache.stampede,
            faults,
        })
    }
}

/// Validates a fault injected while a run is under way, for a service of `instance_count`
/// instances; `start_s` is the current virtual time. Problems name the fault's fields.
pub fn validate_fault(fault: &Fault, instance_count: u32) -> Result<FaultConfig, Vec<Problem>> {
    let mut c = Checker { problems: vec![] };
    let config = c.fault("fault", fault, instance_count);
    if c.problems.is_empty() {
        Ok(config)
    } else {
        Err(c.problems)
    }
}

/// What a run's arrival process asks of the engine, computed from its rate profile and faults
/// before it runs (the work model's figures).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkEstimate {
    /// The highest arrival rate, spikes included, in user requests per second.
    pub peak_rps: f64,
    /// When that rate is first reached.
    pub peak_at: SimTime,
    /// The traffic spike with the largest factor active at the peak (index into the faults).
    pub peak_spike: Option<usize>,
    /// User requests expected over the whole run.
    pub requests: f64,
    /// The first instant where faults of one kind multiply by more than
    /// [`limits::FAULT_MULTIPLIER_MAX`]: (kind, the fault with the largest factor, product, when).
    pub excess: Option<(FaultKind, usize, f64, SimTime)>,
}

/// The [`WorkEstimate`] of a rate profile with its faults over a run of `duration`. Every
/// figure is finite: multipliers are combined only while their product stays within limits.
pub fn work_estimate(
    rate: &[RateComponent],
    duration: SimDuration,
    faults: &[FaultConfig],
) -> WorkEstimate {
    let end = SimTime::ZERO + duration;
    let times: Vec<SimTime> = faults.iter().flat_map(|f| [f.start, f.end]).collect();
    let profile = crate::traffic::RateProfile::new(rate, &times);
    let mut w = WorkEstimate {
        peak_rps: 0.0,
        peak_at: SimTime::ZERO,
        peak_spike: None,
        requests: 0.0,
        excess: None,
    };
    let mut t = SimTime::ZERO;
    while t < end {
        let next = profile.next_breakpoint(t).unwrap_or(end).min(end);
        let mut spike = 1.0;
        for kind in [
            FaultKind::TrafficSpike,
            FaultKind::DbSlow,
            FaultKind::UpstreamSlow,
        ] {
            let mut product = 1.0f64;
            let mut largest = None::<(usize, f64)>;
            let active = faults
                .iter()
                .enumerate()
                .filter(|(_, f)| f.kind == kind && f.start <= t && t < f.end);
            for (i, f) in active {
                product *= f.multiplier;
                if largest.is_none_or(|(_, m)| f.multiplier >= m) {
                    largest = Some((i, f.multiplier));
                }
                if product > limits::FAULT_MULTIPLIER_MAX {
                    // Stop while the figure is finite (64 factors of 1e6 would overflow).
                    break;
                }
            }
            if product > limits::FAULT_MULTIPLIER_MAX {
                w.excess = Some((kind, largest.map_or(0, |(i, _)| i), product, t));
                return w;
            }
            if kind == FaultKind::TrafficSpike {
                spike = product;
                let bound = profile.bound_between(t, next) * product;
                if bound > w.peak_rps {
                    w.peak_rps = bound;
                    w.peak_at = t;
                    w.peak_spike = largest.map(|(i, _)| i);
                }
            }
        }
        let last = SimTime::from_micros(next.as_micros().saturating_sub(1).max(t.as_micros()));
        let mean_rps = (profile.rate_at(t) + profile.rate_at(last)) / 2.0 * spike;
        w.requests += mean_rps * next.since(t).as_secs_f64();
        t = next;
    }
    w
}

/// The work model's checks on a rate profile and its faults (each fault's path given): the
/// arrival rate never above [`limits::ARRIVAL_RPS_MAX`], at most
/// [`limits::REQUESTS_PER_RUN_MAX`] user requests expected over the run, and no kind of fault
/// multiplying anything by more than [`limits::FAULT_MULTIPLIER_MAX`] at once.
pub fn work_problems(
    rate: &[RateComponent],
    duration: SimDuration,
    faults: &[FaultConfig],
    paths: &[String],
) -> Vec<Problem> {
    use crate::limits::{ARRIVAL_RPS_MAX, FAULT_MULTIPLIER_MAX, REQUESTS_PER_RUN_MAX};
    let w = work_estimate(rate, duration, faults);
    let problem = |path: String, message: String| vec![Problem { path, message }];
    if let Some((kind, i, product, at)) = w.excess {
        return problem(
            format!("{}.multiplier", paths[i]),
            format!(
                "{} faults active together at {} s multiply by {product:e}; at most \
                 {FAULT_MULTIPLIER_MAX:e} at once is supported",
                kind_name(kind),
                at.as_secs_f64()
            ),
        );
    }
    if w.peak_rps > ARRIVAL_RPS_MAX {
        let (path, because) = match w.peak_spike {
            Some(i) => (
                format!("{}.multiplier", paths[i]),
                " with the traffic spikes active then",
            ),
            None => ("traffic.rate".to_string(), ""),
        };
        return problem(
            path,
            format!(
                "the arrival rate reaches {} requests/s at {} s{because}; at most \
                 {ARRIVAL_RPS_MAX} are supported",
                round_figure(w.peak_rps),
                w.peak_at.as_secs_f64(),
            ),
        );
    }
    if w.requests > REQUESTS_PER_RUN_MAX {
        return problem(
            "duration_s".into(),
            format!(
                "the run expects {} user requests over {} s; at most {REQUESTS_PER_RUN_MAX} are \
                 supported (shorten the run or lower the rate)",
                round_figure(w.requests),
                duration.as_secs_f64(),
            ),
        );
    }
    Vec::new()
}

impl Config {
    /// The work model's figures for this run (its faults, injected ones included).
    pub fn work(&self) -> WorkEstimate {
        work_estimate(&self.rate, self.duration, &self.faults)
    }
}

/// A figure for a message: whole numbers as such, huge ones in scientific notation.
fn round_figure(x: f64) -> String {
    if x < 1e15 {
        format!("{}", libm::round(x))
    } else {
        format!("{x:e}")
    }
}

/// The name a fault kind has in scenario files.
pub fn kind_name(kind: FaultKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_ENDPOINTS: &str = r#"{ "version": 1, "duration_s": 60,
      "traffic": { "rate": [ { "kind": "constant", "rps": 50 } ],
        "endpoints": [ { "name": "GET /", "weight": 1,
          "steps": [ { "kind": "cpu", "duration": { "kind": "constant", "ms": 5 } } ] } ] } }"#;

    fn base() -> (Scenario, Config) {
        load_scenario(TWO_ENDPOINTS).expect("valid")
    }

    /// A scenario differing from the base at exactly one restart-only path.
    fn changed_at(path: &str) -> Config {
        let (mut s, _) = base();
        match path {
            "seed" => s.seed += 1,
            "duration_s" => s.duration_s += 1.0,
            "traffic.endpoints" => s.traffic.endpoints[0].name = "GET /other".into(),
            "instances.count" => s.instances.count += 1,
            "cache.keyspace" => s.cache.keyspace += 1,
            "cache.zipf_exponent" => s.cache.zipf_exponent += 0.5,
            "faults" => s.faults.push(crate::scenario::Fault {
                kind: FaultKind::CacheFlush,
                start_s: 10.0,
                duration_s: 0.0,
                multiplier: None,
                error_rate: None,
                instance: None,
                fail_fast: None,
            }),
            other => panic!("no change written for restart-only path {other}"),
        }
        Config::from_scenario(&s).expect("still valid")
    }

    #[test]
    fn every_restart_only_path_is_checked_alone() {
        let (_, config) = base();
        for path in RESTART_ONLY {
            let other = changed_at(path);
            assert_eq!(config.differs_at(&other, path), Some(true), "{path}");
            assert_eq!(config.restart_only_differences(&other), vec![*path]);
            let mut kept = other.clone();
            kept.keep_fixed_from(&config);
            assert_eq!(kept, config, "keep_fixed_from takes {path} back");
        }
        assert_eq!(config.differs_at(&config, "db_pool.max_size"), None);
    }

    #[test]
    fn a_config_differing_only_in_live_settings_is_accepted_live() {
        let (mut s, config) = base();
        s.db_pool.max_size = 50;
        s.instances.max_threads = 7;
        s.upstream.breaker = Some(crate::scenario::Breaker::default());
        let live = Config::from_scenario(&s).expect("valid");
        assert!(config.restart_only_differences(&live).is_empty());
        let mut sim = crate::Simulation::new(config.clone());
        sim.run_until(SimTime::from_secs(10));
        assert_eq!(sim.reconfigure(live.clone()), Ok(()));
        assert_eq!(sim.config().pool_max_size(), 50);
        assert_eq!(
            sim.reconfigure(changed_at("instances.count")),
            Err(vec!["instances.count"])
        );
    }

    #[test]
    fn validation_uses_the_named_limits() {
        let (mut s, _) = base();
        s.db_pool.max_size = *POOL_CONNECTIONS.end();
        s.instances.count = *INSTANCES_COUNT.end();
        assert!(Config::from_scenario(&s).is_ok());
        s.db_pool.max_size = *POOL_CONNECTIONS.end() + 1;
        s.instances.count = *INSTANCES_COUNT.end() + 1;
        let paths: Vec<String> = Config::from_scenario(&s)
            .expect_err("over the limits")
            .into_iter()
            .map(|p| p.path)
            .collect();
        assert_eq!(paths, ["instances.count", "db_pool.max_size"]);
    }
}
