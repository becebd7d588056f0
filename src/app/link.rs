//! The page's state in its address: a preset, the changes made to it, the seed and the speed.
//!
//! The query string: `v=<format>&preset=<id>&seed=<n>&speed=<x>` and, when the scenario differs
//! from the preset's, the changes as a JSON merge patch (RFC 7386) from the preset's scenario:
//! - version 2 (written now): `z=<base64url of the patch, deflated>`;
//! - version 1 (still read): `d=<base64url of the patch>`.
//!
//! In A/B mode, version 2 adds `b=<base64url of the deflated patch from side A's scenario to
//! side B's>` (B always has A's seed).
//!
//! Only the changes travel, compressed, so typical links stay short (a whole imported scenario
//! fits in about 1 500 characters). Reading is bounded (link length, decoded and inflated
//! sizes) and reports what is wrong with a link rather than guessing. Every format version ever
//! written keeps being read: `tests/fixtures/links/` holds links of each, with the scenario
//! they must open.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use outage_lab_engine::config::Config;
use outage_lab_engine::{parse_scenario, Scenario};
use serde_json::{Map, Value as Json};

use super::pacing::Speed;
use super::presets::{preset, DEFAULT_PRESET};

/// The link format this build writes (and the newest it reads).
pub const LINK_VERSION: u32 = 2;
/// The oldest link format this build reads.
pub const LINK_VERSION_OLDEST: u32 = 1;
/// The longest query string read, in characters.
pub const LINK_CHARS_MAX: usize = 16_384;

/// What a link opens.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkState {
    /// The preset the scenario starts from.
    pub preset: String,
    /// The scenario, changes and seed included.
    pub scenario: Scenario,
    /// The playback speed.
    pub speed: Speed,
    /// In A/B mode, side B's scenario (side A's is `scenario`); same seed, same arrivals.
    pub compare: Option<Scenario>,
    /// The challenge being attempted, if any: its starting scenario is the base the changes
    /// are written from (`challenge=<id>`).
    pub challenge: Option<&'static str>,
}

impl LinkState {
    /// A preset as it ships, at normal speed.
    pub fn from_preset(id: &str) -> Option<LinkState> {
        let p = preset(id)?;
        Some(LinkState {
            preset: p.id.into(),
            scenario: parse_scenario(p.scenario_json).ok()?,
            speed: Speed::Times(1.0),
            compare: None,
            challenge: None,
        })
    }

    /// A challenge at its start: its scenario set up, on the preset it is built from.
    pub fn from_challenge(id: &str) -> Option<LinkState> {
        let c = super::challenges::challenge(id)?;
        let preset = super::presets::PRESETS
            .iter()
            .find(|p| p.scenario_json == c.scenario_json)
            .map_or(DEFAULT_PRESET, |p| p.id);
        Some(LinkState {
            preset: preset.into(),
            scenario: c.start(),
            speed: Speed::Times(10.0),
            compare: None,
            challenge: Some(c.id),
        })
    }

    /// The scenario the changes of a link are written from: the challenge's start, or the
    /// preset as it ships.
    fn base(&self) -> Option<Scenario> {
        match self.challenge {
            Some(id) => LinkState::from_challenge(id).map(|s| s.scenario),
            None => LinkState::from_preset(&self.preset).map(|s| s.scenario),
        }
    }

    /// The default page: the default preset.
    pub fn default_state() -> LinkState {
        LinkState::from_preset(DEFAULT_PRESET).expect("the default preset is bundled and valid")
    }
}

/// Why a link could not be opened.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkError {
    /// The parameter at fault (`v`, `preset`, `d`, ...), or a scenario field path.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn error(field: &str, message: impl Into<String>) -> LinkError {
    LinkError {
        field: field.into(),
        message: message.into(),
    }
}

/// Writes a state as a query string (without the leading `?`).
pub fn encode(state: &LinkState) -> String {
    let mut query = format!(
        "v={LINK_VERSION}&preset={}&seed={}&speed={}",
        state.preset,
        state.scenario.seed,
        state.speed.as_param()
    );
    if let Some(id) = state.challenge {
        query.push_str("&challenge=");
        query.push_str(id);
    }
    if let Some(base) = state.base() {
        let mut scenario = state.scenario.clone();
        scenario.seed = base.seed;
        if scenario != base {
            query.push_str("&z=");
            query.push_str(&encode_changes(&base, &scenario));
        }
    }
    if let Some(b) = &state.compare {
        query.push_str("&b=");
        query.push_str(&encode_changes(&state.scenario, b));
    }
    query
}

/// The changes from `from` to `to`: a JSON merge patch, deflated, base64url (what
/// [`apply_diff`] reads back).
fn encode_changes(from: &Scenario, to: &Scenario) -> String {
    let from = serde_json::to_value(from).unwrap_or(Json::Null);
    let to = serde_json::to_value(to).unwrap_or(Json::Null);
    let patch = merge_diff(&from, &to).to_string();
    URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(patch.as_bytes(), 9))
}

/// Reads a query string (with or without the leading `?`). An empty one is the default page;
/// unknown parameters are ignored (embedding pages add their own).
pub fn decode(query: &str) -> Result<LinkState, LinkError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > LINK_CHARS_MAX {
        return Err(error(
            "link",
            format!(
                "is {} characters long; at most {LINK_CHARS_MAX} are read",
                query.len()
            ),
        ));
    }
    let params = parse_query(query)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if params.iter().all(|(k, _)| {
        !["v", "preset", "seed", "speed", "d", "z", "challenge"].contains(&k.as_str())
    }) {
        return Ok(LinkState::default_state());
    }
    let version = link_version(get("v"))?;
    // Each version's field for the changes; the other's is refused, not silently ignored.
    let (field, other) = if version == 1 { ("d", "z") } else { ("z", "d") };
    if get(other).is_some() {
        return Err(error(
            other,
            format!("is not part of link format {version}"),
        ));
    }
    let preset_id = get("preset").unwrap_or(DEFAULT_PRESET);
    let mut state = match get("challenge") {
        Some(id) => LinkState::from_challenge(id).ok_or_else(|| {
            error(
                "challenge",
                format!("\"{id}\" is not a challenge of this version"),
            )
        })?,
        None => LinkState::from_preset(preset_id).ok_or_else(|| {
            error(
                "preset",
                format!("\"{preset_id}\" is not a preset of this version"),
            )
        })?,
    };
    if let Some(speed) = get("speed") {
        state.speed = Speed::from_param(speed).ok_or_else(|| {
            error(
                "speed",
                format!("\"{speed}\" is not one of {}", Speed::param_list()),
            )
        })?;
    }
    if let Some(changes) = get(field) {
        state.scenario = apply_diff(&state.scenario, field, changes, version == 2)?;
    }
    if let Some(seed) = get("seed") {
        state.scenario.seed = seed.parse().map_err(|_| {
            error(
                "seed",
                format!("\"{seed}\" is not a whole number from 0 to {}", u64::MAX),
            )
        })?;
    }
    if let Some(changes) = get("b") {
        state.compare = Some(side_b(&state.scenario, changes)?);
    }
    check_valid(&state.scenario)?;
    Ok(state)
}

/// The link's format version (`v`), if this version reads it.
fn link_version(v: Option<&str>) -> Result<u32, LinkError> {
    let Some(v) = v else {
        return Err(error(
            "v",
            "is missing: the link does not say its format version",
        ));
    };
    match v.parse::<u32>() {
        Ok(n) if (LINK_VERSION_OLDEST..=LINK_VERSION).contains(&n) => Ok(n),
        Ok(n) if n > LINK_VERSION => Err(error(
            "v",
            format!("is {n}: the link comes from a newer version of Outage Lab (this one reads versions {LINK_VERSION_OLDEST} to {LINK_VERSION})"),
        )),
        _ => Err(error(
            "v",
            format!("is \"{v}\"; this version reads link formats {LINK_VERSION_OLDEST} to {LINK_VERSION}"),
        )),
    }
}

/// Side B: side A with the `b` parameter's changes, the same seed, validated.
fn side_b(a: &Scenario, changes: &str) -> Result<Scenario, LinkError> {
    let mut b = apply_diff(a, "b", changes, true)?;
    b.seed = a.seed;
    Config::from_scenario(&b).map_err(|problems| {
        error(
            &format!("b: {}", problems[0].path),
            problems[0].message.clone(),
        )
    })?;
    Ok(b)
}

/// The first problem of an invalid scenario (and how many more there are).
fn check_valid(scenario: &Scenario) -> Result<(), LinkError> {
    Config::from_scenario(scenario).map_err(|problems| {
        let first = &problems[0];
        let more = if problems.len() > 1 {
            format!(" (and {} more problems)", problems.len() - 1)
        } else {
            String::new()
        };
        error(&first.path, format!("{}{more}", first.message))
    })?;
    Ok(())
}

/// The decoded size limit of the `d` parameter, in bytes.
const DIFF_BYTES_MAX: usize = 64 * 1024;

fn apply_diff(
    base: &Scenario,
    field: &str,
    text: &str,
    deflated: bool,
) -> Result<Scenario, LinkError> {
    let mut bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| error(field, format!("is not base64url: {e}")))?;
    if deflated {
        bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, DIFF_BYTES_MAX)
            .map_err(|e| match e.status {
                miniz_oxide::inflate::TINFLStatus::HasMoreOutput => error(
                    field,
                    format!("inflates to more than {DIFF_BYTES_MAX} bytes"),
                ),
                _ => error(field, "is not deflated data"),
            })?;
    }
    if bytes.len() > DIFF_BYTES_MAX {
        return Err(error(
            field,
            format!("decodes to {} bytes; at most {DIFF_BYTES_MAX}", bytes.len()),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| error(field, "is not UTF-8 text"))?;
    let patch: Json =
        serde_json::from_str(&text).map_err(|e| error(field, format!("is not JSON: {e}")))?;
    if !patch.is_object() {
        return Err(error(field, "must be a JSON object of changes"));
    }
    let mut doc = serde_json::to_value(base).map_err(|e| error(field, e.to_string()))?;
    merge_apply(&mut doc, &patch);
    parse_scenario(&doc.to_string()).map_err(|problems| {
        let first = &problems[0];
        error(&first.path, first.message.clone())
    })
}

/// Splits `a=b&c=d`, percent-decoding values.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, LinkError> {
    query_pairs(query)
        .map(|(k, value)| {
            let value = value.ok_or_else(|| error(k, "has a broken %-escape"))?;
            Ok((k.to_string(), value))
        })
        .collect()
}

/// The `name=value` pairs of a query string (without its `?`), values percent-decoded; a value
/// with a broken escape is `None`.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (&str, Option<String>)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (k, percent_decode(v))
        })
}

/// Decodes `%XX` escapes and `+`; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The JSON merge patch (RFC 7386) that turns `from` into `to`.
pub fn merge_diff(from: &Json, to: &Json) -> Json {
    match (from, to) {
        (Json::Object(a), Json::Object(b)) => {
            let mut patch = Map::new();
            for (k, vb) in b {
                match a.get(k) {
                    Some(va) if va == vb => {}
                    Some(va) if va.is_object() && vb.is_object() => {
                        patch.insert(k.clone(), merge_diff(va, vb));
                    }
                    _ => {
                        patch.insert(k.clone(), vb.clone());
                    }
                }
            }
            for k in a.keys() {
                if !b.contains_key(k) {
                    patch.insert(k.clone(), Json::Null);
                }
            }
            Json::Object(patch)
        }
        _ => to.clone(),
    }
}

/// Applies a JSON merge patch (RFC 7386) to `doc`.
pub fn merge_apply(doc: &mut Json, patch: &Json) {
    let Json::Object(changes) = patch else {
        *doc = patch.clone();
        return;
    };
    if !doc.is_object() {
        *doc = Json::Object(Map::new());
    }
    let Json::Object(target) = doc else { return };
    for (k, v) in changes {
        if v.is_null() {
            target.remove(k);
        } else {
            merge_apply(target.entry(k.clone()).or_insert(Json::Null), v);
        }
    }
}
