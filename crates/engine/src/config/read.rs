//! Reading scenario text strictly: UTF-8 and size, one pass of JSON that refuses duplicate
//! keys and non-string tags, then serde into a [`Scenario`], every problem located at its field
//! path in linear time; quotes clipped so a message stays short.

use super::*;

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
    ActionList,
    Action,
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
            Part::ActionList => err::<Vec<s::OperatorAction>>(value),
            Part::Action => err::<s::OperatorAction>(value),
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
            (Part::Scenario, "actions") => Part::ActionList,
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
            Part::ActionList => Some(Part::Action),
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
