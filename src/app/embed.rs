//! Embedding: the `embed=1` page's options from its address, and the message protocol between
//! an embedded frame and its host page (see `docs/embedding.md`).

use serde_json::{json, Value as Json};

use super::charts::CHARTS;
use super::knobs::knob;

/// A part of the page that can be shown or hidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    /// Play, pause, step, reset, speed, seed and the clock.
    Transport,
    /// The preset picker.
    Presets,
    /// What to watch and what fixes it.
    Lesson,
    /// The big numbers (5xx, p99, goodput, ...).
    Readouts,
    /// The architecture view.
    Architecture,
    /// The fault buttons.
    Faults,
    /// The charts.
    Charts,
    /// The settings.
    Controls,
    /// The alerts panel.
    Alerts,
    /// The log panel.
    Logs,
    /// Links, embed code, exports and imports.
    Share,
}

impl Panel {
    /// Every panel, with its name in the `panels` parameter.
    pub const ALL: [(Panel, &'static str); 11] = [
        (Panel::Transport, "transport"),
        (Panel::Presets, "presets"),
        (Panel::Lesson, "lesson"),
        (Panel::Readouts, "readouts"),
        (Panel::Architecture, "architecture"),
        (Panel::Faults, "faults"),
        (Panel::Charts, "charts"),
        (Panel::Controls, "controls"),
        (Panel::Alerts, "alerts"),
        (Panel::Logs, "logs"),
        (Panel::Share, "share"),
    ];

    /// The panel's name in the `panels` parameter.
    pub fn name(self) -> &'static str {
        Panel::ALL
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("", |(_, n)| n)
    }
}

/// How the page presents itself, from its address.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedOptions {
    /// Compact chrome for a frame in another page.
    pub embed: bool,
    /// The panels shown.
    pub panels: Vec<Panel>,
    /// The charts shown (by id), all if `None`.
    pub charts: Option<Vec<String>>,
    /// The settings shown (by knob id), all if `None`.
    pub controls: Option<Vec<String>>,
    /// Settings are shown but cannot be changed.
    pub locked: bool,
    /// Start playing at once.
    pub autoplay: bool,
    /// Pause when the virtual clock reaches this many seconds.
    pub stop_s: Option<f64>,
    /// Host origins allowed to send commands and to receive the frame's state.
    pub origins: Vec<String>,
    /// The colour theme.
    pub theme: Theme,
    /// The accent colour (buttons, links), `#` and 3 or 6 hex digits, if given.
    pub accent: Option<String>,
    /// The embed's layout: which panels and charts by default, and how much chrome.
    pub layout: Layout,
}

/// An embed's layout: a preset choice of panels and charts that fits a docs page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// The transport, the architecture view and the status chart, with the settings named by
    /// `controls` pinned under the transport (the embed's default).
    #[default]
    Compact,
    /// The transport and one chart (the status chart unless `charts` says).
    Chart,
    /// The transport, the readouts and the architecture view.
    Diagram,
    /// The lesson, the transport, the readouts, the architecture view and the status chart.
    Lesson,
    /// Everything, with the full transport (A/B and seed).
    Full,
}

impl Layout {
    /// Every layout, in the order `layout=`'s error message lists them.
    pub const ALL: [Layout; 5] = [
        Layout::Compact,
        Layout::Chart,
        Layout::Diagram,
        Layout::Lesson,
        Layout::Full,
    ];

    /// Reads a layout's name.
    pub fn parse(text: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.name() == text)
    }

    /// Its name, as in `layout=`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Compact => "compact",
            Layout::Chart => "chart",
            Layout::Diagram => "diagram",
            Layout::Lesson => "lesson",
            Layout::Full => "full",
        }
    }

    /// The panels it shows.
    pub fn panels(self) -> Vec<Panel> {
        use Panel::*;
        match self {
            Layout::Compact => vec![Transport, Architecture, Charts],
            Layout::Chart => vec![Transport, Charts],
            Layout::Diagram => vec![Transport, Readouts, Architecture],
            Layout::Lesson => vec![Lesson, Transport, Readouts, Architecture, Charts],
            Layout::Full => Panel::ALL.iter().map(|(p, _)| *p).collect(),
        }
    }

    /// The charts it shows when `charts` is not given (`None`: all).
    pub fn charts(self) -> Option<Vec<String>> {
        (self != Layout::Full).then(|| vec!["status".to_string()])
    }
}

/// The colour theme: light, dark, or following the system's preference.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    /// Dark when the system prefers dark (`prefers-color-scheme`), light otherwise.
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// Reads `auto`, `light` or `dark`.
    pub fn parse(text: &str) -> Option<Theme> {
        match text {
            "auto" => Some(Theme::Auto),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    /// Its name, as in `theme=` and the page's `data-theme`.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// An accent colour as given (`2456c7`, `#2456c7` or `fa0`): `#` and its hex digits, or
/// `None` when it is not 3 or 6 hex digits.
pub fn accent_colour(text: &str) -> Option<String> {
    let hex = text.strip_prefix('#').unwrap_or(text);
    ((hex.len() == 3 || hex.len() == 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_lowercase()))
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            embed: false,
            panels: Panel::ALL.iter().map(|(p, _)| *p).collect(),
            charts: None,
            controls: None,
            locked: false,
            autoplay: false,
            stop_s: None,
            origins: Vec::new(),
            theme: Theme::Auto,
            accent: None,
            layout: Layout::Full,
        }
    }
}

impl EmbedOptions {
    /// Whether `panel` is shown.
    pub fn shows(&self, panel: Panel) -> bool {
        self.panels.contains(&panel)
    }

    /// Whether the chart `id` is shown.
    pub fn shows_chart(&self, id: &str) -> bool {
        self.charts
            .as_ref()
            .is_none_or(|c| c.iter().any(|x| x == id))
    }

    /// Whether the setting `id` is shown.
    pub fn shows_control(&self, id: &str) -> bool {
        self.controls
            .as_ref()
            .is_none_or(|c| c.iter().any(|x| x == id))
    }

    /// Whether this is an embed below the `full` layout, which keeps its chrome to what fits a
    /// docs column: one caption line, no chart options, a clock without the speed.
    pub fn is_docs_embed(&self) -> bool {
        self.embed && self.layout != Layout::Full
    }

    /// Whether the settings are pinned in the page (under the transport) rather than in a
    /// drawer: in an embed below the `full` layout that names at most [`PINNED_SETTINGS_MAX`]
    /// settings with `controls`.
    pub fn pins_settings(&self) -> bool {
        self.is_docs_embed()
            && self.shows(Panel::Controls)
            && self
                .controls
                .as_ref()
                .is_some_and(|c| !c.is_empty() && c.len() <= PINNED_SETTINGS_MAX)
    }

    /// Whether a message from `origin` may be obeyed.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }
}

/// The most settings an embed pins under its transport; more go in the settings drawer.
pub const PINNED_SETTINGS_MAX: usize = 4;

/// Whether `id` passes an optional list: everything passes when there is no list.
pub fn listed(list: Option<&[String]>, id: &str) -> bool {
    list.is_none_or(|ids| ids.iter().any(|x| x == id))
}

/// Reads the embedding parameters of a query string: `embed`, `panels`, `charts`, `controls`,
/// `lock`, `autoplay`, `stop`, `origins`. Other parameters are ignored. A known parameter with
/// a bad value is left out and described in the returned problems (`name: reason`).
pub fn parse_options(query: &str) -> (EmbedOptions, Vec<String>) {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut options = EmbedOptions::default();
    let mut problems = Vec::new();
    let params: Vec<(&str, String)> = super::link::query_pairs(query)
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    };
    let flag = |name: &str, problems: &mut Vec<String>| match get(name) {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            problems.push(format!("{name}: \"{other}\" is neither 1 nor 0"));
            false
        }
    };
    options.embed = flag("embed", &mut problems);
    if options.embed {
        options.layout = Layout::Compact;
    }
    if let Some(l) = get("layout") {
        match Layout::parse(l) {
            Some(layout) => options.layout = layout,
            None => problems.push(format!(
                "layout: \"{l}\" is not one of {}",
                Layout::ALL.map(Layout::name).join(", ")
            )),
        }
    }
    if options.embed || options.layout != Layout::Full {
        options.panels = options.layout.panels();
        options.charts = options.layout.charts();
    }
    options.locked = flag("lock", &mut problems);
    options.autoplay = flag("autoplay", &mut problems);
    if let Some(list) = get("panels") {
        options.panels = panels(list, &mut problems);
    }
    if let Some(list) = get("charts") {
        options.charts = Some(charts(list, &mut problems));
    }
    if let Some(list) = get("controls") {
        options.controls = Some(controls(list, &mut problems));
        // Naming settings in a layout shows them (an explicit `panels` decides for itself).
        if options.layout != Layout::Full && get("panels").is_none() {
            options.panels.push(Panel::Controls);
        }
    }
    if let Some(stop) = get("stop") {
        match stop.parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 => options.stop_s = Some(s),
            _ => problems.push(format!(
                "stop: \"{stop}\" is not a number of seconds above 0"
            )),
        }
    }
    if let Some(list) = get("origins") {
        options.origins = origins(list, &mut problems);
    }
    read_looks(get("theme"), get("accent"), &mut options, &mut problems);
    (options, problems)
}

/// The `theme` and `accent` parameters, into `options` (bad values into `problems`).
fn read_looks(
    theme: Option<&str>,
    accent: Option<&str>,
    options: &mut EmbedOptions,
    problems: &mut Vec<String>,
) {
    if let Some(t) = theme {
        match Theme::parse(t) {
            Some(theme) => options.theme = theme,
            None => problems.push(format!("theme: \"{t}\" is not one of auto, light, dark")),
        }
    }
    if let Some(a) = accent {
        match accent_colour(a) {
            Some(c) => options.accent = Some(c),
            None => problems.push(format!(
                "accent: \"{a}\" is not a colour of 3 or 6 hex digits (e.g. 2456c7)"
            )),
        }
    }
}

/// The names in a comma-separated list, empty ones skipped.
fn names(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').filter(|n| !n.is_empty())
}

/// The `panels` parameter: the known panel names, the others described in `problems`.
fn panels(list: &str, problems: &mut Vec<String>) -> Vec<Panel> {
    let mut panels = Vec::new();
    for name in names(list) {
        match Panel::ALL.iter().find(|(_, n)| *n == name) {
            Some((p, _)) => panels.push(*p),
            None => problems.push(format!(
                "panels: \"{name}\" is not one of {}",
                Panel::ALL.map(|(_, n)| n).join(", ")
            )),
        }
    }
    panels
}

/// The `charts` parameter: the ids of the chart table, the others described in `problems`.
fn charts(list: &str, problems: &mut Vec<String>) -> Vec<String> {
    let ids: Vec<&str> = CHARTS.iter().map(|c| c.id).collect();
    let (known, unknown): (Vec<&str>, Vec<&str>) = names(list).partition(|n| ids.contains(n));
    for name in unknown {
        problems.push(format!(
            "charts: \"{name}\" is not one of {}",
            ids.join(", ")
        ));
    }
    known.into_iter().map(str::to_owned).collect()
}

/// The `controls` parameter: setting ids, the unknown ones described in `problems`.
fn controls(list: &str, problems: &mut Vec<String>) -> Vec<String> {
    let mut ids = Vec::new();
    for id in names(list) {
        if knob(id).is_some() {
            ids.push(id.to_owned());
        } else {
            problems.push(format!("controls: \"{id}\" is not a setting"));
        }
    }
    ids
}

/// The `origins` parameter: the well-formed origins, the others described in `problems`.
fn origins(list: &str, problems: &mut Vec<String>) -> Vec<String> {
    let mut origins = Vec::new();
    for origin in names(list) {
        if is_origin(origin) {
            origins.push(origin.to_owned());
        } else {
            problems.push(format!(
                "origins: \"{origin}\" is not an origin (scheme://host[:port], no path)"
            ));
        }
    }
    origins
}

/// `http(s)://host[:port]` with nothing after it.
fn is_origin(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => (h, Some(p)),
        _ => (rest, None),
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
}

/// A command a host page sent, after its shape was checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Start or resume.
    Play,
    /// Pause.
    Pause,
    /// Back to time zero.
    Reset,
    /// Open a preset by id.
    LoadPreset(String),
    /// Open a link's state (its query string).
    LoadLink(String),
    /// Reply with the current state (`state` message).
    GetState,
    /// Switch the colour theme.
    SetTheme(Theme),
    /// Change a setting (knob id) to a value, as the settings panel would.
    Set {
        /// The knob id, e.g. `db_pool.max_size`.
        setting: String,
        /// The value, as the panel takes it (`5000`, `none`, `coalescing`).
        value: String,
    },
    /// Inject a fault now: a scenario fault (its `start_s` is now).
    Fault(Json),
    /// Play until the clock reaches this many seconds, then pause.
    RunTo(f64),
    /// Post a `second` message with the figures of every second as it closes (`true`), or stop.
    Subscribe(bool),
}

/// The largest command accepted, in bytes of JSON.
pub const COMMAND_BYTES_MAX: usize = 20_000;

/// Checks a host's message: `{ "target": "outage-lab", "version": 1, "command": ... }`.
/// `Ok(None)` means the message is not for this frame (ignore it quietly); `Err` says what is
/// wrong with one that is.
pub fn parse_command(message: &Json) -> Result<Option<Command>, String> {
    let Some(obj) = message.as_object() else {
        return Ok(None);
    };
    if obj.get("target").and_then(Json::as_str) != Some("outage-lab") {
        return Ok(None);
    }
    if message.to_string().len() > COMMAND_BYTES_MAX {
        return Err(format!("the message is over {COMMAND_BYTES_MAX} bytes"));
    }
    match obj.get("version").and_then(Json::as_u64) {
        Some(1) => {}
        other => {
            return Err(format!(
                "version: {} is not supported; this frame speaks version 1",
                other.map_or("missing".into(), |v| v.to_string())
            ))
        }
    }
    let command = obj
        .get("command")
        .and_then(Json::as_str)
        .ok_or("command: missing (play, pause, reset, load, get_state, theme, set, fault, run_to or subscribe)")?;
    let allowed: &[&str] = match command {
        "load" => &["target", "version", "command", "preset", "link"],
        "theme" => &["target", "version", "command", "theme"],
        "set" => &["target", "version", "command", "setting", "value"],
        "fault" => &["target", "version", "command", "fault"],
        "run_to" => &["target", "version", "command", "t_s"],
        "subscribe" => &["target", "version", "command", "seconds"],
        _ => &["target", "version", "command"],
    };
    if let Some(extra) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("{extra}: not a field of the {command} command"));
    }
    Ok(Some(match command {
        "play" => Command::Play,
        "pause" => Command::Pause,
        "reset" => Command::Reset,
        "get_state" => Command::GetState,
        "set" => set_command(obj)?,
        "fault" => match obj.get("fault") {
            Some(f @ Json::Object(_)) => Command::Fault(f.clone()),
            _ => return Err("fault: needs fault, an object as in a scenario's faults".into()),
        },
        "run_to" => match obj.get("t_s").and_then(Json::as_f64) {
            Some(t) if t.is_finite() && t > 0.0 => Command::RunTo(t),
            _ => return Err("run_to: needs t_s, a number of seconds above 0".into()),
        },
        "subscribe" => match obj.get("seconds").and_then(Json::as_bool) {
            Some(on) => Command::Subscribe(on),
            None => return Err("subscribe: needs seconds, true or false".into()),
        },
        "theme" => match obj
            .get("theme")
            .and_then(Json::as_str)
            .and_then(Theme::parse)
        {
            Some(t) => Command::SetTheme(t),
            None => return Err("theme: needs theme, one of auto, light, dark".into()),
        },
        "load" => match (obj.get("preset"), obj.get("link")) {
            (Some(Json::String(p)), None) => Command::LoadPreset(p.clone()),
            (None, Some(Json::String(l))) => Command::LoadLink(l.clone()),
            _ => {
                return Err(
                    "load: needs exactly one of preset (a string) or link (a string)".into(),
                )
            }
        },
        other => {
            return Err(format!(
                "command: \"{other}\" is not one of play, pause, reset, load, get_state, theme, set, fault, run_to, subscribe"
            ))
        }
    }))
}

/// The `set` command: a setting id and its value (a string, a number, or a flag: on or off).
fn set_command(obj: &serde_json::Map<String, Json>) -> Result<Command, String> {
    let value = match obj.get("value") {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Bool(b)) => if *b { "on" } else { "off" }.to_string(),
        Some(n @ Json::Number(_)) => n.to_string(),
        _ => None.ok_or("set: needs value, a string, a number or true/false")?,
    };
    match obj.get("setting") {
        Some(Json::String(setting)) => Ok(Command::Set {
            setting: setting.clone(),
            value,
        }),
        _ => Err("set: needs setting, a setting id such as db_pool.max_size".into()),
    }
}

/// A message from the frame to its host.
pub fn message(kind: &str, mut fields: Json) -> Json {
    let mut out = json!({ "source": "outage-lab", "version": 1, "type": kind });
    if let (Some(o), Some(f)) = (out.as_object_mut(), fields.as_object_mut()) {
        o.append(f);
    }
    out
}

/// The `<iframe>` snippet that embeds `app_url` (the page's address with its state), sandboxed
/// so that it works on a plain static host: scripts, its own origin (the lab's, which differs
/// from the host's, so it still cannot reach the host page; it loads its module and wasm without
/// CORS headers and keeps progress), and downloads.
pub fn iframe_snippet(app_url: &str, title: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    let sep = if app_url.contains('?') { '&' } else { '?' };
    format!(
        "<iframe src=\"{}\" title=\"Outage Lab: {}\" width=\"100%\" height=\"720\" sandbox=\"allow-scripts allow-same-origin allow-downloads\" allow=\"clipboard-write\" loading=\"lazy\"></iframe>",
        escape(&format!("{app_url}{sep}embed=1")),
        escape(title)
    )
}
