//! The web app (wasm only): a Yew page over [`Driver`], which alone advances the simulation,
//! once per animation frame within a time budget. Views read snapshots, rows and logs.

mod architecture;
mod charts;
mod controls;
mod embed;
mod files;
mod panels;

use std::rc::Rc;

use crate::app::driver::{Applied, Driver};
use crate::app::embed::{iframe_snippet, message, parse_options, Command, EmbedOptions, Panel};
use crate::app::export;
use crate::app::knobs::knob;
use crate::app::link::{decode, encode, LinkState};
use crate::app::pacing::{Speed, SPEEDS};
use crate::app::presets::{preset, Preset, PRESETS};
use outage_lab_engine::breaker::BreakerState;
use outage_lab_engine::config::Problem;
use outage_lab_engine::metrics::StatusCounts;
use outage_lab_engine::observe::{AlertEvent, LogEvent};
use outage_lab_engine::scenario::{Fault, FaultKind};
use outage_lab_engine::{load_scenario, Scenario, SecondMetrics, SimTime};
use serde_json::json;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DragEvent, HtmlCanvasElement, HtmlSelectElement};
use yew::prelude::*;

use architecture::Flow;
use charts::CHARTS;
use controls::{CommitField, Controls};
use panels::{AlertsPanel, LogsPanel};

/// Wall time the simulation may use per frame, in milliseconds: the rest of a 16.7 ms frame
/// is left for drawing (measured: charts, view and layout take 4 to 8 ms).
const SIM_BUDGET_MS: f64 = 6.0;
/// How often the log and alert panels refresh while running, in milliseconds of wall time.
const PANEL_REFRESH_MS: f64 = 250.0;
/// Log lines the panel holds (the newest; the engine's ring keeps more).
const LOG_LINES_KEPT: usize = 500;
/// How the notice of a run stopped at a runtime limit begins.
const STOPPED_NOTICE: &str = "The simulation paused:";
/// Rows the readouts average over (the last ten virtual seconds).
const READOUT_ROWS: usize = 10;

thread_local! {
    /// The address query of the last state the page showed without error: what "reopen the
    /// last working state" opens after a crash (kept in memory, as storage may be unavailable).
    static LAST_WORKING_QUERY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    /// Set by the panic hook: this instance stops its frame loop (a fresh one may take over).
    static CRASHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Mounts the app on the page's body, with a panic hook that keeps a crash from losing the
/// page: `boot.js` shows the message, a "copy report" button and "reopen the last working
/// state", which starts a fresh instance of the app on that state without a reload.
pub fn start() {
    // boot.js numbers the app instances it starts; a crash of an older one is not shown.
    let instance = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"outageLabInstance".into()).ok())
        .unwrap_or(JsValue::UNDEFINED);
    // Yew installs its own hook on render unless given one.
    yew::set_custom_panic_hook(Box::new(move |info| {
        let message = info.to_string();
        let _ = CRASHED.try_with(|c| c.set(true));
        web_sys::console::error_1(&message.clone().into());
        let query = LAST_WORKING_QUERY
            .try_with(|q| q.try_borrow().map(|q| q.clone()).unwrap_or_default())
            .unwrap_or_default();
        let crashed = web_sys::window().and_then(|w| {
            js_sys::Reflect::get(&w, &"outageLabCrashed".into())
                .ok()?
                .dyn_into::<js_sys::Function>()
                .ok()
        });
        if let Some(f) = crashed {
            let _ = f.call3(&JsValue::NULL, &message.into(), &query.into(), &instance);
        }
    }));
    yew::Renderer::<App>::new().render();
}

/// Panics on purpose, so browser tests can check that a crash shows the banner and that the
/// last working state reopens. Nothing in the page calls it.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn crash_for_test(reason: String) {
    panic!("crash requested for a test: {reason}");
}

/// A fault button.
struct FaultButton {
    kind: FaultKind,
    label: &'static str,
    detail: &'static str,
    multiplier: Option<f64>,
    error_rate: Option<f64>,
    per_instance: bool,
    fail_fast: Option<bool>,
}

static FAULT_BUTTONS: &[FaultButton] = &[
    FaultButton {
        kind: FaultKind::UpstreamDownFast,
        label: "Gateway down (fast)",
        detail: "the payment gateway refuses connections at once",
        multiplier: None,
        error_rate: None,
        per_instance: false,
        fail_fast: None,
    },
    FaultButton {
        kind: FaultKind::UpstreamHang,
        label: "Gateway hangs",
        detail: "the gateway accepts connections and never answers",
        multiplier: None,
        error_rate: None,
        per_instance: false,
        fail_fast: None,
    },
    FaultButton {
        kind: FaultKind::UpstreamSlow,
        label: "Gateway slow",
        detail: "gateway latency x10",
        multiplier: Some(10.0),
        error_rate: None,
        per_instance: false,
        fail_fast: None,
    },
    FaultButton {
        kind: FaultKind::DbSlow,
        label: "Missing index",
        detail: "every query costs x1000 (5 ms becomes 5 s)",
        multiplier: Some(1000.0),
        error_rate: None,
        per_instance: false,
        fail_fast: None,
    },
    FaultButton {
        kind: FaultKind::CacheFlush,
        label: "Cache flush",
        detail: "every cache entry dropped now",
        multiplier: None,
        error_rate: None,
        per_instance: false,
        fail_fast: None,
    },
    FaultButton {
        kind: FaultKind::TrafficSpike,
        label: "Traffic spike",
        detail: "arrival rate x3",
        multiplier: Some(3.0),
        error_rate: None,
        per_instance: false,
        fail_fast: None,
    },
    FaultButton {
        kind: FaultKind::InstanceCrash,
        label: "Instance crash",
        detail: "the chosen instance dies (in-flight requests get 502) and restarts at the end",
        multiplier: None,
        error_rate: None,
        per_instance: true,
        fail_fast: None,
    },
    FaultButton {
        kind: FaultKind::BadDeploy,
        label: "Bad deploy",
        detail:
            "the chosen instance runs without its configuration and answers 500 until rolled back",
        multiplier: None,
        error_rate: None,
        per_instance: true,
        fail_fast: Some(false),
    },
];

/// The app's messages.
pub enum Msg {
    /// An animation frame at this timestamp (ms).
    Frame(f64),
    /// Play or pause.
    PlayPause,
    /// One virtual second forward.
    Step,
    /// Back to time zero.
    Reset,
    /// Run to the end as fast as possible.
    RunToEnd,
    /// A speed from the picker.
    Speed(String),
    /// A seed typed.
    Seed(String),
    /// A preset picked.
    Preset(String),
    /// A setting changed: (knob id, text).
    Knob(&'static str, String),
    /// A fault button pressed (index into the buttons).
    Fault(usize),
    /// The fault duration typed.
    FaultDuration(String),
    /// The instance faults target.
    FaultInstance(String),
    /// The log filter changed.
    LogFilter(String),
    /// A log line picked.
    SelectLog(u64),
    /// Copy the link of this state.
    CopyLink,
    /// The window was resized.
    Resized,
    /// A command from the host page, and the origin it came from.
    Command(Command, String),
    /// Copy the embed code.
    CopyEmbed,
    /// Enter (`true`) or leave A/B mode.
    Compare(bool),
    /// Edit side B (`true`) or side A.
    EditSide(bool),
    /// Download something.
    Export(ExportKind),
    /// Download chart `index` as PNG (`false`) or SVG (`true`).
    ExportChart(usize, bool),
    /// A file was picked or dropped.
    ImportFile(web_sys::File),
    /// A file was read: (name, text).
    Imported(String, String),
    /// A file could not be read: (name, problem).
    ImportFailed(String, String),
}

/// What side B becomes when a scenario is opened.
enum SideB {
    /// In A/B mode, a copy of the new side A; otherwise none.
    CopyOfA,
    /// This scenario (a link's side B), or none.
    From(Option<Box<Scenario>>),
}

/// What the export buttons download.
#[derive(Clone, Copy, PartialEq)]
pub enum ExportKind {
    /// Per-second metrics, CSV.
    MetricsCsv,
    /// Per-second metrics, JSON.
    MetricsJson,
    /// The log ring, JSON lines.
    LogsJsonl,
    /// The scenario, JSON.
    Scenario,
}

/// The page.
pub struct App {
    driver: Driver,
    preset: &'static Preset,
    scenario: Rc<Scenario>,
    problems: Rc<Vec<Problem>>,
    pending: Rc<Vec<&'static str>>,
    notice: Option<String>,
    /// When the run is too heavy for the chosen speed: the speed reachable at its peak and
    /// the fastest offered speed that keeps up (computed on changes, not per frame).
    too_fast: Option<(f64, Option<Speed>)>,
    frame_callback: Closure<dyn FnMut(f64)>,
    _resize_callback: Closure<dyn FnMut()>,
    frame_requested: bool,
    last_frame_ts: Option<f64>,
    chart_refs: Vec<NodeRef>,
    /// What the charts show now: (rows of A, rows of B, generation).
    charts_drawn: Option<(usize, Option<usize>, u64)>,
    /// The charts' CSS size, measured after the first render and after resizes.
    chart_size: Option<(f64, f64)>,
    generation: u64,
    logs: Rc<Vec<LogEvent>>,
    incidents: Rc<Vec<LogEvent>>,
    logs_total: u64,
    /// Counts restarts: the log panel's copy belongs to run `logs_run`.
    run: u64,
    logs_run: u64,
    panels_refreshed_ms: f64,
    alerts: Rc<Vec<AlertEvent>>,
    log_filter: String,
    selected_log: Option<u64>,
    fault_duration: String,
    fault_instance: u32,
    fault_problem: Option<String>,
    announcement: String,
    breaker_states: Vec<Option<BreakerState>>,
    alerts_seen: usize,
    summary_json: Option<Rc<String>>,
    link_text: String,
    copied: bool,
    callbacks: Callbacks,
    options: EmbedOptions,
    host: embed::Host,
    /// Side B of an A/B comparison (side A is `driver`).
    b: Option<Driver>,
    /// The settings panel edits side B.
    editing_b: bool,
    chart_refs_b: Vec<NodeRef>,
    /// Settings whose values differ between A and B, by knob id.
    differs: Rc<Vec<&'static str>>,
    /// The file a scenario was imported from, if it was.
    imported: Option<String>,
    /// Problems of the last import (the run was kept).
    import_problems: Option<(String, Vec<String>)>,
    copied_embed: bool,
    /// Wall time of the last frame's simulation work, in milliseconds.
    last_sim_ms: f64,
    /// Wall time of the last redraw of all charts, in milliseconds.
    last_charts_ms: f64,
}

/// Callbacks made once, so child components' props stay equal between frames and the frame
/// loop does not redraw them (nor overwrite what a person is typing).
struct Callbacks {
    knob: Callback<(&'static str, String)>,
    seed: Callback<String>,
    fault_duration: Callback<String>,
    log_filter: Callback<String>,
    select_log: Callback<u64>,
    imported: Callback<(String, String)>,
    import_failed: Callback<(String, String)>,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The address query, or the state `boot.js` hands over when it reopens the app after a crash.
fn read_query() -> String {
    let Some(w) = web_sys::window() else {
        return String::new();
    };
    let key: JsValue = "outageLabReopen".into();
    if let Some(query) = js_sys::Reflect::get(&w, &key)
        .ok()
        .and_then(|v| v.as_string())
    {
        let _ = js_sys::Reflect::delete_property(&w, &key);
        return query;
    }
    w.location().search().unwrap_or_default()
}

fn write_query(query: &str) {
    if let Some(w) = web_sys::window() {
        let path = w.location().pathname().unwrap_or_default();
        if let Ok(history) = w.history() {
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&format!("{path}?{query}")),
            );
        }
    }
}

/// Puts `text` on the clipboard; a refusal (no permission, a sandbox) is ignored, the text
/// being shown in a field next to the button as well.
fn copy_text(text: &str) {
    if let Some(w) = web_sys::window() {
        let promise = w.navigator().clipboard().write_text(text);
        let ignore = Closure::wrap(Box::new(|_: wasm_bindgen::JsValue| {}) as Box<dyn FnMut(_)>);
        let _ = promise.catch(&ignore);
        ignore.forget();
    }
}

fn sum_rows(
    rows: &[SecondMetrics],
    pick: impl Fn(&SecondMetrics) -> &StatusCounts,
) -> StatusCounts {
    let mut total = StatusCounts::default();
    for r in rows {
        total.merge(pick(r));
    }
    total
}

impl App {
    fn link_state(&self) -> LinkState {
        LinkState {
            preset: self.preset.id.into(),
            scenario: self.driver.scenario().clone(),
            speed: self.driver.speed,
            compare: self.b.as_ref().map(|b| b.scenario().clone()),
        }
    }

    /// After any change of state (not frames): the address, the props of the panels.
    fn state_changed(&mut self) {
        self.sync_state(true);
    }

    /// Brings the panels' props and the link up to date; `write` also puts the link in the
    /// address bar (not in an embed, and not over a broken link the page was opened with).
    fn sync_state(&mut self, write: bool) {
        self.scenario = Rc::new(self.edited().scenario().clone());
        let mut pending = self.driver.pending_restart().to_vec();
        if let Some(b) = &self.b {
            pending.extend(
                b.pending_restart()
                    .iter()
                    .filter(|id| !pending.contains(id))
                    .collect::<Vec<_>>(),
            );
            self.differs = Rc::new(
                crate::app::knobs::KNOBS
                    .iter()
                    .filter(|k| k.get(self.driver.scenario()) != k.get(b.scenario()))
                    .map(|k| k.id)
                    .collect(),
            );
        } else {
            self.differs = Rc::new(Vec::new());
        }
        self.pending = Rc::new(pending);
        self.too_fast = crate::app::pacing::too_fast(self.driver.sim().config(), self.driver.speed);
        let query = encode(&self.link_state());
        let _ = LAST_WORKING_QUERY.try_with(|q| q.replace(format!("?{query}")));
        if write && !self.options.embed {
            write_query(&query);
        }
        self.link_text = web_sys::window()
            .and_then(|w| {
                let l = w.location();
                Some(format!(
                    "{}{}?{query}",
                    l.origin().ok()?,
                    l.pathname().ok()?
                ))
            })
            .unwrap_or(query);
        self.copied = false;
        self.refresh_panels();
    }

    fn restarted(&mut self) {
        self.generation += 1;
        self.run += 1;
        self.summary_json = None;
        self.selected_log = None;
        self.breaker_states.clear();
        self.alerts_seen = 0;
        self.last_frame_ts = None;
    }

    fn refresh_panels(&mut self) {
        let sim = self.driver.sim();
        if (self.run, sim.logs().total) != (self.logs_run, self.logs_total) {
            let events = sim.logs().events();
            let skip = events.len().saturating_sub(LOG_LINES_KEPT);
            self.logs = Rc::new(events.skip(skip).cloned().collect());
            self.logs_total = sim.logs().total;
            self.logs_run = self.run;
        }
        if sim.logs().incident_starts() != self.incidents.as_slice() {
            self.incidents = Rc::new(sim.logs().incident_starts().to_vec());
        }
        if sim.alerts().history != *self.alerts {
            self.alerts = Rc::new(sim.alerts().history.clone());
        }
        self.panels_refreshed_ms = now_ms();
        if sim.is_finished() && self.summary_json.is_none() {
            let summary = sim.summary();
            self.host.post(
                &message(
                    "event",
                    json!({ "event": "run_finished", "t_s": summary.sim_seconds, "rate_5xx": summary.status.rate_5xx() }),
                ),
                false,
            );
            self.summary_json = Some(Rc::new(export::to_json(&summary, false)));
        }
    }

    /// Announces breaker openings and alerts in the live region.
    fn announce_changes(&mut self) {
        // Only the breaker states: the full snapshot is built once per frame, by the view.
        let sim = self.driver.sim();
        let now_s = sim.now().as_secs_f64();
        let states: Vec<Option<BreakerState>> = (0..sim.config().instance_count())
            .map(|i| sim.breaker_state(i))
            .collect();
        let mut said = Vec::new();
        for (i, state) in states.iter().enumerate() {
            let before = self.breaker_states.get(i).copied().flatten();
            if *state == Some(BreakerState::Open) && before != Some(BreakerState::Open) {
                said.push(format!("Circuit breaker opened on instance {i}."));
                self.host.post(
                    &message(
                        "event",
                        json!({ "event": "breaker_opened", "instance": i, "t_s": now_s }),
                    ),
                    false,
                );
            }
            if *state == Some(BreakerState::Closed) && before == Some(BreakerState::HalfOpen) {
                said.push(format!("Circuit breaker closed again on instance {i}."));
            }
        }
        self.breaker_states = states;
        let history = &self.driver.sim().alerts().history;
        for a in history.iter().skip(self.alerts_seen) {
            said.push(format!("Alert fired: {}.", panels::rule_text(a.rule)));
            self.host.post(
                &message(
                    "event",
                    json!({ "event": "alert_fired", "rule": a.rule, "severity": a.severity, "t_s": a.fired_s }),
                ),
                false,
            );
        }
        self.alerts_seen = history.len();
        if !said.is_empty() {
            self.announcement = said.join(" ");
        }
    }

    fn request_frame(&mut self) {
        if self.frame_requested {
            return;
        }
        if let Some(w) = web_sys::window() {
            if w.request_animation_frame(self.frame_callback.as_ref().unchecked_ref())
                .is_ok()
            {
                self.frame_requested = true;
            }
        }
    }

    fn load_preset(&mut self, p: &'static Preset) {
        let state = LinkState::from_preset(p.id).expect("bundled presets are valid");
        self.preset = p;
        self.open(state.scenario, SideB::CopyOfA, None);
    }

    /// Opens `scenario` (validated already) at time zero, paused; `imported` names the file it
    /// came from. Every way of opening a scenario ends here.
    fn open(&mut self, scenario: Scenario, side_b: SideB, imported: Option<String>) {
        let _ = self.driver.load(scenario);
        self.b = match side_b {
            SideB::CopyOfA => self.b.is_some().then(|| self.driver.clone()),
            SideB::From(b) => b.and_then(|c| Driver::new(*c, self.driver.speed).ok()),
        };
        self.editing_b &= self.b.is_some();
        self.imported = imported;
        self.import_problems = None;
        self.problems = Rc::new(Vec::new());
        self.notice = None;
        self.restarted();
        self.state_changed();
    }

    /// Carries out a host page's command; replies go to the origin it came from.
    fn obey(&mut self, command: Command, origin: &str) -> bool {
        match command {
            Command::Play => {
                if !self.driver.is_playing() {
                    self.update_play();
                }
            }
            Command::Pause => {
                self.driver.pause();
                self.refresh_panels();
            }
            Command::Reset => self.reset(),
            Command::LoadPreset(id) => match preset(&id) {
                Some(p) => self.load_preset(p),
                None => {
                    self.host.reply(
                        origin,
                        &message(
                            "error",
                            json!({ "message": format!("preset: \"{id}\" is not a preset") }),
                        ),
                    );
                    return false;
                }
            },
            Command::LoadLink(query) => match decode(&query) {
                Ok(state) => {
                    self.preset = preset(&state.preset).unwrap_or(&PRESETS[0]);
                    self.driver.speed = state.speed;
                    self.editing_b = state.compare.is_some();
                    self.open(
                        state.scenario,
                        SideB::From(state.compare.map(Box::new)),
                        None,
                    );
                }
                Err(e) => {
                    self.host.reply(
                        origin,
                        &message("error", json!({ "message": e.to_string() })),
                    );
                    return false;
                }
            },
            Command::GetState => {
                let state = json!({
                    "link": encode(&self.link_state()),
                    "preset": self.preset.id,
                    "now_s": self.driver.sim().now().as_secs_f64(),
                    "playing": self.driver.is_playing(),
                });
                self.host.reply(origin, &message("state", state));
                return false;
            }
        }
        true
    }

    fn update_play(&mut self) {
        if self.driver.sim().is_finished() {
            self.restarted();
            if let Some(b) = self.b.as_mut() {
                b.reset();
            }
        }
        self.driver.play();
        self.request_frame();
    }

    /// The open scenario's title: the preset's, or an imported scenario's name.
    fn title(&self) -> &str {
        match &self.imported {
            Some(_) if !self.scenario.name.is_empty() => &self.scenario.name,
            _ => self.preset.title,
        }
    }

    /// A file name stem for downloads: the preset id (or `scenario`) and the seed.
    fn file_stem(&self) -> String {
        let base = if self.imported.is_some() {
            "scenario"
        } else {
            self.preset.id
        };
        format!("outage-lab-{base}-seed{}", self.scenario.seed)
    }

    fn draw_charts(&mut self) {
        let sim = self.driver.sim();
        let rows = sim.seconds();
        let rows_b = self.b.as_ref().map(|b| b.sim().seconds());
        let key = (rows.len(), rows_b.map(<[_]>::len), self.generation);
        if self.charts_drawn == Some(key) {
            return;
        }
        let started = now_ms();
        let bands = charts::fault_bands(sim.config().faults());
        let duration = sim.end().as_secs_f64();
        let size = *self.chart_size.get_or_insert_with(|| {
            self.chart_refs
                .first()
                .and_then(|node| node.cast::<HtmlCanvasElement>())
                .map_or((400.0, 170.0), |c| charts::css_size(&c))
        });
        let data = charts::ChartData {
            rows,
            duration_s: duration,
            bands: &bands,
            now_s: sim.now().as_secs_f64(),
            scale: None,
        };
        let data_b = self.b.as_ref().map(|b| charts::ChartData {
            rows: b.sim().seconds(),
            duration_s: duration,
            bands: &bands,
            now_s: b.sim().now().as_secs_f64(),
            scale: None,
        });
        for (i, spec) in CHARTS.iter().enumerate() {
            let shared = data_b
                .as_ref()
                .map(|db| charts::scale(spec, &[data.rows, db.rows]));
            let sides = [
                (&self.chart_refs[i], Some(data)),
                (&self.chart_refs_b[i], data_b),
            ];
            for (node, side) in sides {
                if let (Some(canvas), Some(side)) = (node.cast::<HtmlCanvasElement>(), side) {
                    let data = charts::ChartData {
                        scale: shared,
                        ..side
                    };
                    let _ = charts::draw(&canvas, size, spec, &data);
                }
            }
        }
        self.charts_drawn = Some(key);
        self.last_charts_ms = now_ms() - started;
    }

    /// Whether side B is behind side A's clock.
    fn b_lags(&self) -> bool {
        self.b
            .as_ref()
            .is_some_and(|b| b.sim().now() < self.driver.sim().now() && !b.sim().is_finished())
    }

    /// Both sides back to time zero with their current settings, paused.
    fn reset(&mut self) {
        if self
            .notice
            .as_deref()
            .is_some_and(|n| n.starts_with(STOPPED_NOTICE))
        {
            self.notice = None;
        }
        self.driver.reset();
        if let Some(b) = self.b.as_mut() {
            b.reset();
        }
        self.restarted();
        self.state_changed();
    }

    /// Shows why a run stopped early (it crossed a runtime limit of the engine), once.
    fn note_stopped(&mut self) {
        let stopped = self.driver.stopped().or_else(|| self.b.as_ref()?.stopped());
        if let Some(reason) = stopped {
            let text = format!("{STOPPED_NOTICE} {reason}. Change the scenario and reset.");
            if self.notice.as_ref() != Some(&text) {
                self.driver.pause();
                self.announcement = text.clone();
                self.notice = Some(text);
            }
        }
    }

    /// The side the settings panel edits.
    fn edited(&self) -> &Driver {
        match (&self.b, self.editing_b) {
            (Some(b), true) => b,
            _ => &self.driver,
        }
    }
}

/// The readouts' figures over the last [`READOUT_ROWS`] seconds.
struct Recent {
    /// Outcomes by true status.
    status: StatusCounts,
    /// Outcomes as monitoring saw them.
    seen: StatusCounts,
    /// The worst per-second p99, in milliseconds.
    p99_ms: f64,
    /// Mean successful user requests per second.
    goodput_per_s: f64,
}

fn recent(rows: &[SecondMetrics]) -> Recent {
    let recent = &rows[rows.len().saturating_sub(READOUT_ROWS)..];
    let n = recent.len().max(1) as f64;
    Recent {
        status: sum_rows(recent, |r| &r.status),
        seen: sum_rows(recent, |r| &r.status_seen),
        p99_ms: recent.iter().map(|r| r.latency_p99_ms).fold(0.0, f64::max),
        goodput_per_s: recent.iter().map(|r| r.goodput).sum::<u64>() as f64 / n,
    }
}

/// What the architecture view's flows show, from the last row.
fn flow_of(last: Option<&SecondMetrics>) -> Flow {
    Flow {
        arrivals_per_s: last.map_or(0.0, |r| r.arrivals as f64),
        cache_hit_ratio: last.and_then(|r| {
            let n = r.cache_hits + r.cache_misses;
            (n > 0).then(|| r.cache_hits as f64 / n as f64)
        }),
        db_queries_per_s: last.map_or(0.0, |r| r.db_queries as f64),
        upstream: last.map_or((0, 0), |r| (r.upstream_calls, r.upstream_failures)),
    }
}

/// Figures of one side for the A/B table: (5xx rate last 10 s, p99 ms last 10 s, goodput/s last
/// 10 s, 5xx rate whole run, user requests whole run, succeeded whole run).
fn side_figures(d: &Driver) -> [f64; 6] {
    let rows = d.sim().seconds();
    let Recent {
        status: last10,
        p99_ms: p99,
        goodput_per_s: goodput,
        ..
    } = recent(rows);
    let all = sum_rows(rows, |r| &r.status);
    let requests = rows.iter().map(|r| r.requests).sum::<u64>() as f64;
    let succeeded = rows.iter().map(|r| r.goodput).sum::<u64>() as f64;
    [
        last10.rate_5xx(),
        p99,
        goodput,
        all.rate_5xx(),
        requests,
        succeeded,
    ]
}

/// A row of the A/B table: label, test id, index into the figures, formatter.
type AbRow = (&'static str, &'static str, usize, fn(f64) -> String);

/// The A/B summary: each figure for A and B and the difference.
fn ab_table(a: &Driver, b: &Driver) -> Html {
    let (fa, fb) = (side_figures(a), side_figures(b));
    let rows: [AbRow; 6] = [
        ("5xx, last 10 s", "5xx", 0, |v| {
            format!("{:.1} %", 100.0 * v)
        }),
        ("p99, last 10 s", "p99", 1, |v| format!("{v:.0} ms")),
        ("goodput, last 10 s", "goodput", 2, |v| format!("{v:.0}/s")),
        ("5xx, whole run", "5xx-run", 3, |v| {
            format!("{:.2} %", 100.0 * v)
        }),
        ("user requests, whole run", "requests", 4, |v| {
            format!("{v:.0}")
        }),
        ("succeeded, whole run", "succeeded", 5, |v| {
            format!("{v:.0}")
        }),
    ];
    html! {
        <section class="ab-summary" aria-label="A/B comparison">
            <table data-testid="ab-summary">
                <thead><tr><th scope="col">{ "" }</th><th scope="col">{ "A" }</th><th scope="col">{ "B" }</th><th scope="col">{ "B − A" }</th></tr></thead>
                <tbody>
                    { for rows.iter().map(|(label, id, i, show)| {
                        let diff = fb[*i] - fa[*i];
                        html! {
                            <tr>
                                <th scope="row">{ *label }</th>
                                <td data-testid={format!("ab-{id}-a")} data-value={fa[*i].to_string()}>{ show(fa[*i]) }</td>
                                <td data-testid={format!("ab-{id}-b")} data-value={fb[*i].to_string()}>{ show(fb[*i]) }</td>
                                <td>{ format!("{}{}", if diff > 0.0 { "+" } else if diff < 0.0 { "−" } else { "" }, show(diff.abs())) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}

/// One big number of the readouts row; `value` is also in `data-value`, unrounded, for tests.
fn readout(
    testid: &'static str,
    label: &'static str,
    shown: String,
    bad: bool,
    value: String,
) -> Html {
    html! {
        <div class="readout" data-testid={testid} data-value={value}>
            <span class="label">{ label }</span>
            <span class={classes!("value", bad.then_some("bad"))}>{ shown }</span>
        </div>
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let (state, notice) = match decode(&read_query()) {
            Ok(state) => (state, None),
            Err(e) => (
                LinkState::default_state(),
                Some(format!(
                    "This link could not be opened ({e}). The default scenario is open instead."
                )),
            ),
        };
        let preset = preset(&state.preset).unwrap_or(&PRESETS[0]);
        let driver = Driver::new(state.scenario.clone(), state.speed)
            .or_else(|_| Driver::new(LinkState::default_state().scenario, Speed::Times(1.0)))
            .expect("the default scenario is valid");
        let link = ctx.link().clone();
        let frame_callback =
            Closure::wrap(
                Box::new(move |ts: f64| link.send_message(Msg::Frame(ts))) as Box<dyn FnMut(f64)>
            );
        let link = ctx.link().clone();
        let resize_callback =
            Closure::wrap(Box::new(move || link.send_message(Msg::Resized)) as Box<dyn FnMut()>);
        if let Some(w) = web_sys::window() {
            w.set_onresize(Some(resize_callback.as_ref().unchecked_ref()));
        }
        let link = ctx.link();
        let callbacks = Callbacks {
            knob: link.callback(|(id, text)| Msg::Knob(id, text)),
            seed: link.callback(Msg::Seed),
            fault_duration: link.callback(Msg::FaultDuration),
            log_filter: link.callback(Msg::LogFilter),
            select_log: link.callback(Msg::SelectLog),
            imported: link.callback(|(name, text)| Msg::Imported(name, text)),
            import_failed: link.callback(|(name, text)| Msg::ImportFailed(name, text)),
        };
        let (options, option_problems) = parse_options(&read_query());
        let host =
            embed::Host::connect(options.clone(), link.callback(|(c, o)| Msg::Command(c, o)));
        let notice = match (notice, option_problems.is_empty()) {
            (Some(n), _) => Some(n),
            (None, true) => None,
            (None, false) => Some(format!(
                "Some embedding parameters were ignored: {}.",
                option_problems.join("; ")
            )),
        };
        let b = state
            .compare
            .clone()
            .and_then(|c| Driver::new(c, state.speed).ok());
        let mut app = App {
            options,
            host,
            b,
            editing_b: false,
            chart_refs_b: CHARTS.iter().map(|_| NodeRef::default()).collect(),
            differs: Rc::new(Vec::new()),
            imported: None,
            import_problems: None,
            copied_embed: false,
            callbacks,
            driver,
            preset,
            scenario: Rc::new(state.scenario),
            problems: Rc::new(Vec::new()),
            pending: Rc::new(Vec::new()),
            notice,
            too_fast: None,
            frame_callback,
            _resize_callback: resize_callback,
            frame_requested: false,
            last_frame_ts: None,
            chart_refs: CHARTS.iter().map(|_| NodeRef::default()).collect(),
            charts_drawn: None,
            chart_size: None,
            generation: 0,
            logs: Rc::new(Vec::new()),
            incidents: Rc::new(Vec::new()),
            logs_total: 0,
            run: 0,
            logs_run: 0,
            panels_refreshed_ms: 0.0,
            alerts: Rc::new(Vec::new()),
            log_filter: String::new(),
            selected_log: None,
            fault_duration: "60".into(),
            fault_instance: 0,
            fault_problem: None,
            announcement: String::new(),
            breaker_states: Vec::new(),
            alerts_seen: 0,
            summary_json: None,
            link_text: String::new(),
            copied: false,
            last_sim_ms: 0.0,
            last_charts_ms: 0.0,
        };
        if let Some(stop) = app.options.stop_s {
            app.driver.pause_at = Some(SimTime::from_micros((stop * 1e6) as u64));
        }
        let preset_scenario = LinkState::from_preset(app.preset.id).map(|s| s.scenario);
        if preset_scenario.is_some_and(|p| p.name != app.scenario.name) {
            app.imported = Some(app.scenario.name.clone());
        }
        let write = app.notice.is_none();
        app.sync_state(write);
        if app.options.autoplay {
            app.driver.play();
            app.request_frame();
        }
        app
    }

    fn update(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Frame(ts) => {
                self.frame_requested = false;
                if CRASHED.try_with(std::cell::Cell::get).unwrap_or(true) {
                    return false;
                }
                let was_playing = self.driver.is_busy();
                if !was_playing && !self.b_lags() {
                    self.last_frame_ts = None;
                    return false;
                }
                let dt = self.last_frame_ts.map_or(1000.0 / 60.0, |last| ts - last);
                self.last_frame_ts = Some(ts);
                let started = now_ms();
                let share = if self.b.is_some() {
                    SIM_BUDGET_MS / 2.0
                } else {
                    SIM_BUDGET_MS
                };
                // Side A waits while side B catches up with it: one clock.
                if !self.b_lags() {
                    self.driver.frame(dt, || now_ms() - started > share);
                }
                let a_now = self.driver.sim().now();
                if let Some(b) = self.b.as_mut() {
                    b.follow(a_now, || now_ms() - started > SIM_BUDGET_MS);
                }
                self.last_sim_ms = now_ms() - started;
                self.announce_changes();
                self.note_stopped();
                let playing = self.driver.is_busy();
                if was_playing && !playing && self.driver.pause_at == Some(a_now) {
                    self.announcement = format!("Paused at {:.1} s.", a_now.as_secs_f64());
                    self.host.post(
                        &message(
                            "event",
                            json!({ "event": "stopped", "t_s": a_now.as_secs_f64() }),
                        ),
                        false,
                    );
                }
                if !playing || now_ms() - self.panels_refreshed_ms > PANEL_REFRESH_MS {
                    self.refresh_panels();
                }
                if playing || self.b_lags() {
                    self.request_frame();
                } else {
                    self.last_frame_ts = None;
                }
                return true;
            }
            Msg::PlayPause => {
                if self.driver.is_playing() {
                    self.driver.pause();
                    self.refresh_panels();
                } else {
                    self.update_play();
                }
            }
            Msg::Step => {
                self.driver.step_second();
                self.request_frame();
            }
            Msg::Reset => self.reset(),
            Msg::RunToEnd => {
                self.driver.speed = Speed::Max;
                self.update_play();
                self.state_changed();
            }
            Msg::Speed(text) => {
                if let Some(speed) = Speed::from_param(&text) {
                    self.driver.speed = speed;
                    self.state_changed();
                }
            }
            Msg::Seed(text) => match text.trim().parse::<u64>() {
                Ok(seed) => {
                    self.driver.set_seed(seed);
                    if let Some(b) = self.b.as_mut() {
                        b.set_seed(seed);
                    }
                    self.problems = Rc::new(Vec::new());
                    self.restarted();
                    self.state_changed();
                }
                Err(_) => {
                    self.problems = Rc::new(vec![Problem {
                        path: "seed".into(),
                        message: format!(
                            "\"{}\" is not a whole number from 0 to {}",
                            text.trim(),
                            u64::MAX
                        ),
                    }]);
                }
            },
            Msg::Preset(id) => {
                if let Some(p) = preset(&id) {
                    self.load_preset(p);
                }
            }
            Msg::Knob(id, text) => {
                let Some(k) = knob(id) else { return false };
                let side = match (self.b.as_mut(), self.editing_b) {
                    (Some(b), true) => b,
                    _ => &mut self.driver,
                };
                match side.set_knob(k, &text) {
                    Ok(applied) => {
                        self.problems = Rc::new(Vec::new());
                        if applied == Applied::OnReset {
                            self.announcement =
                                format!("{} applies when the run is reset.", k.label);
                        }
                        self.generation += 1;
                        self.state_changed();
                    }
                    Err(problems) => self.problems = Rc::new(problems),
                }
            }
            Msg::FaultDuration(text) => self.fault_duration = text,
            Msg::FaultInstance(text) => self.fault_instance = text.parse().unwrap_or(0),
            Msg::Fault(i) => {
                let button = &FAULT_BUTTONS[i];
                let duration_s = match self.fault_duration.trim().parse::<f64>() {
                    Ok(d) if d.is_finite() && d > 0.0 => d,
                    _ => {
                        self.fault_problem = Some(format!(
                            "fault duration: \"{}\" is not a number of seconds above 0",
                            self.fault_duration.trim()
                        ));
                        return true;
                    }
                };
                let fault = Fault {
                    kind: button.kind,
                    start_s: 0.0,
                    duration_s: if button.kind == FaultKind::CacheFlush {
                        0.0
                    } else {
                        duration_s
                    },
                    multiplier: button.multiplier,
                    error_rate: button.error_rate,
                    instance: button.per_instance.then_some(self.fault_instance),
                    fail_fast: button.fail_fast,
                };
                // Side B (never ahead of A) gets the fault at A's start time, so both sides
                // see it at the same instant without B catching up first.
                let start =
                    self.driver.sim().now() + outage_lab_engine::SimDuration::from_micros(1);
                let checked = self.driver.check_inject_at(&fault, start).and_then(|_| {
                    self.b
                        .as_ref()
                        .map_or(Ok(()), |b| b.check_inject_at(&fault, start).map(|_| ()))
                });
                let injected = checked.and_then(|()| {
                    if let Some(b) = self.b.as_mut() {
                        b.inject_at(&fault, start)?;
                    }
                    self.driver.inject_at(&fault, start)
                });
                match injected {
                    Ok(start) => {
                        self.fault_problem = None;
                        self.announcement =
                            format!("{} injected at {:.1} s.", button.label, start.as_secs_f64());
                        self.generation += 1;
                        self.state_changed();
                    }
                    Err(problems) => {
                        self.fault_problem = Some(
                            problems
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; "),
                        );
                    }
                }
            }
            Msg::LogFilter(f) => self.log_filter = f,
            Msg::SelectLog(seq) => self.selected_log = Some(seq),
            Msg::CopyLink => {
                copy_text(&self.link_text);
                self.copied = true;
            }
            Msg::Command(command, origin) => return self.obey(command, &origin),
            Msg::Compare(on) => {
                self.b = on.then(|| self.driver.clone());
                self.editing_b = on;
                self.problems = Rc::new(Vec::new());
                self.charts_drawn = None;
                self.chart_size = None;
                self.announcement = if on {
                    "A/B: side B is a copy of this run; you are editing B.".into()
                } else {
                    "Left A/B: side A goes on.".into()
                };
                self.state_changed();
            }
            Msg::EditSide(b) => {
                self.editing_b = b && self.b.is_some();
                self.problems = Rc::new(Vec::new());
                self.state_changed();
            }
            Msg::CopyEmbed => {
                let snippet = iframe_snippet(&self.link_text, self.title());
                copy_text(&snippet);
                self.copied_embed = true;
            }
            Msg::Export(kind) => {
                let sim = self.driver.sim();
                let stem = self.file_stem();
                let _ = match kind {
                    ExportKind::MetricsCsv => files::download_text(
                        &format!("{stem}-metrics.csv"),
                        "text/csv",
                        &export::series_csv(sim.seconds()),
                    ),
                    ExportKind::MetricsJson => files::download_text(
                        &format!("{stem}-metrics.json"),
                        "application/json",
                        &export::series_json(sim.seconds()),
                    ),
                    ExportKind::LogsJsonl => files::download_text(
                        &format!("{stem}-logs.jsonl"),
                        "application/x-ndjson",
                        &export::logs_jsonl(sim.logs().events()),
                    ),
                    ExportKind::Scenario => files::download_text(
                        &format!("{stem}.json"),
                        "application/json",
                        &export::scenario_json(self.driver.scenario()),
                    ),
                };
                return false;
            }
            Msg::ExportChart(i, svg) => {
                let sim = self.driver.sim();
                let bands = charts::fault_bands(sim.config().faults());
                let data = charts::ChartData {
                    rows: sim.seconds(),
                    duration_s: sim.end().as_secs_f64(),
                    bands: &bands,
                    now_s: sim.now().as_secs_f64(),
                    scale: None,
                };
                let spec = &CHARTS[i];
                let (w, h) = self.chart_size.unwrap_or((480.0, 170.0));
                let name = format!("{}-{}", self.file_stem(), spec.id);
                let _ = if svg {
                    files::download_text(
                        &format!("{name}.svg"),
                        "image/svg+xml",
                        &charts::to_svg(spec, &data, w, h),
                    )
                } else {
                    charts::to_png(spec, &data, w, h)
                        .and_then(|url| files::download_url(&format!("{name}.png"), &url))
                };
                return false;
            }
            Msg::ImportFile(file) => {
                files::read_text(
                    file,
                    self.callbacks.imported.clone(),
                    self.callbacks.import_failed.clone(),
                );
                return false;
            }
            Msg::ImportFailed(name, problem) => self.import_problems = Some((name, vec![problem])),
            Msg::Imported(name, text) => match load_scenario(&text) {
                Ok((scenario, _)) => self.open(scenario, SideB::CopyOfA, Some(name)),
                Err(problems) => {
                    self.import_problems =
                        Some((name, problems.iter().map(ToString::to_string).collect()));
                }
            },
            Msg::Resized => {
                self.charts_drawn = None;
                self.chart_size = None;
            }
        }
        true
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        self.draw_charts();
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let sim = self.driver.sim();
        let snap = sim.snapshot();
        let rows = sim.seconds();
        let Recent {
            status: true_status,
            seen: seen_status,
            p99_ms: p99,
            goodput_per_s: goodput,
        } = recent(rows);
        let flow = flow_of(rows.last());
        let playing = self.driver.is_playing();
        let speed = self.driver.speed;
        let achieved = self.driver.achieved_speed();
        let speed_note = if playing && self.driver.is_lagging() {
            format!("running at {achieved:.1}x: the simulation needs more CPU than a frame allows, so it runs slower than asked")
        } else if playing {
            format!("running at {achieved:.1}x")
        } else if sim.is_finished() {
            "finished".into()
        } else {
            "paused".into()
        };
        let on_preset = link.callback(|e: Event| {
            Msg::Preset(e.target_unchecked_into::<HtmlSelectElement>().value())
        });
        let on_speed = link.callback(|e: Event| {
            Msg::Speed(e.target_unchecked_into::<HtmlSelectElement>().value())
        });
        let seed_problem = self.problems.iter().find(|p| p.path == "seed");
        let counterpart = self.preset.counterpart.and_then(preset);
        let pct = |c: &StatusCounts| 100.0 * c.rate_5xx();
        let o = &self.options;
        let locked = o.locked;
        let drop = {
            let link = link.clone();
            Callback::from(move |e: DragEvent| {
                e.prevent_default();
                if let Some(file) = e
                    .data_transfer()
                    .and_then(|d| d.files())
                    .and_then(|f| f.get(0))
                {
                    link.send_message(Msg::ImportFile(file));
                }
            })
        };
        let on_pick = link.batch_callback(|e: Event| {
            let input = e.target_unchecked_into::<web_sys::HtmlInputElement>();
            input.files().and_then(|f| f.get(0)).map(Msg::ImportFile)
        });
        html! {
            <div class={classes!("app", o.embed.then_some("embed"))}>
                if !o.embed { <a class="skip" href="#stage">{ "Skip to the simulation" }</a> }
                <header class="topbar">
                    <div class="brand">
                        if o.embed {
                            <p class="embed-title"><strong>{ "Outage Lab" }</strong>{ format!(" · {}", self.title()) }</p>
                        } else {
                            <h1>{ "Outage Lab" }</h1>
                            <p class="tagline">{ "Watch a web service fail under load, and learn what fixes it." }</p>
                        }
                    </div>
                    if o.shows(Panel::Presets) {
                        <div class="preset-picker">
                            <label for="preset">{ "Scenario" }</label>
                            <select id="preset" data-testid="preset" onchange={on_preset} disabled={locked}>
                                { for PRESETS.iter().map(|p| html! {
                                    <option value={p.id} selected={p.id == self.preset.id && self.imported.is_none()}>{ p.title }</option>
                                }) }
                                if self.imported.is_some() {
                                    <option value="" selected=true disabled=true>{ format!("{} (imported)", self.title()) }</option>
                                }
                            </select>
                        </div>
                    }
                    if o.shows(Panel::Transport) {
                        <div class="transport" role="group" aria-label="Playback">
                            <button type="button" data-testid="play" onclick={link.callback(|_| Msg::PlayPause)}
                                    aria-pressed={playing.to_string()}>
                                { if playing { "Pause" } else if sim.is_finished() { "Play again" } else { "Play" } }
                            </button>
                            <button type="button" data-testid="step" onclick={link.callback(|_| Msg::Step)} disabled={sim.is_finished()}>{ "Step 1 s" }</button>
                            <button type="button" data-testid="reset" class={classes!((!self.pending.is_empty()).then_some("attention"))}
                                    onclick={link.callback(|_| Msg::Reset)}>
                                { if self.pending.is_empty() { "Reset" } else { "Reset to apply" } }
                            </button>
                            <button type="button" data-testid="run-to-end" data-run={self.generation.to_string()} onclick={link.callback(|_| Msg::RunToEnd)}>{ "Run to the end" }</button>
                            if !locked {
                                <button type="button" class="secondary" data-testid="compare" aria-pressed={self.b.is_some().to_string()}
                                        onclick={let on = self.b.is_none(); link.callback(move |_| Msg::Compare(on))}>
                                    { if self.b.is_some() { "Leave A/B" } else { "Compare A/B" } }
                                </button>
                            }
                            <label for="speed">{ "Speed" }</label>
                            <select id="speed" data-testid="speed" onchange={on_speed}>
                                { for SPEEDS.iter().map(|s| html! {
                                    <option value={s.as_param()} selected={*s == speed}>{ s.label() }</option>
                                }) }
                            </select>
                            if !locked {
                                <label for="seed">{ "Seed" }</label>
                                <CommitField id="seed" testid="seed" inputmode="numeric"
                                             value={AttrValue::from(self.scenario.seed.to_string())}
                                             invalid={seed_problem.is_some()} describedby={AttrValue::from("seed-help")}
                                             on_commit={self.callbacks.seed.clone()} />
                                <span id="seed-help" class="sr-only">{ "A new seed restarts the run with other random draws." }</span>
                            }
                        </div>
                    }
                    <div class="clock" data-testid="clock" data-now-s={format!("{:.3}", snap.now_s)} data-playing={playing.to_string()}
                         data-b-lags={self.b_lags().to_string()} data-achieved-speed={format!("{achieved:.3}")} data-lagging={self.driver.is_lagging().to_string()}
                         data-sim-ms={format!("{:.3}", self.last_sim_ms)} data-charts-ms={format!("{:.3}", self.last_charts_ms)}>
                        <span class="clock-time">{ format!("t = {:.1} s", snap.now_s) }</span>
                        <span class="quiet">{ format!(" of {:.0} s", snap.end_s) }</span>
                        <span class="speed-note" data-testid="speed-note">{ format!(" · asked {} · {speed_note}", speed.label()) }</span>
                    </div>
                </header>
                if let Some(p) = seed_problem {
                    <p class="banner error" role="alert" data-testid="seed-error">{ p.to_string() }</p>
                }
                if let Some((reachable, fits)) = self.too_fast {
                    <div class="banner" role="status" data-testid="heavy-notice">
                        { format!("At its peak this scenario needs more work than the page can do at {}: it will run at about {:.2}x there. ", speed.label(), reachable) }
                        if let Some(fits) = fits {
                            <button type="button" data-testid="run-slower"
                                    onclick={let p = fits.as_param(); link.callback(move |_| Msg::Speed(p.clone()))}>
                                { format!("Run at {}", fits.label()) }
                            </button>
                        }
                    </div>
                }
                if let Some(notice) = &self.notice {
                    <p class="banner error" role="alert" data-testid="link-error">{ notice }</p>
                }
                <div class="sr-only" aria-live="assertive" data-testid="announcer">{ &self.announcement }</div>
                if self.b.is_some() {
                    <div class="ab-bar" role="group" aria-label="A/B comparison">
                        <strong>{ "A/B" }</strong>
                        <span class="quiet small">{ "Same seed, same arrivals, one clock. Settings edit:" }</span>
                        <button type="button" data-testid="edit-a" class={classes!("side", (!self.editing_b).then_some("on"))}
                                aria-pressed={(!self.editing_b).to_string()} onclick={link.callback(|_| Msg::EditSide(false))}>{ "A" }</button>
                        <button type="button" data-testid="edit-b" class={classes!("side", self.editing_b.then_some("on"))}
                                aria-pressed={self.editing_b.to_string()} onclick={link.callback(|_| Msg::EditSide(true))}>{ "B" }</button>
                        if !self.differs.is_empty() {
                            <span class="small" data-testid="ab-differs">{ format!("B differs in: {}", self.differs.join(", ")) }</span>
                        }
                    </div>
                }
                <div class={classes!("layout", (!o.shows(Panel::Controls)).then_some("no-settings"))}>
                    if o.shows(Panel::Controls) {
                        <aside class="settings" aria-label="Settings">
                            <h2>{ "Settings" }</h2>
                            if locked {
                                <p class="quiet small">{ "These settings are locked by the page that embeds this lab." }</p>
                            } else {
                                <p class="quiet small">{ "Changes act on the running simulation at once, unless marked “applies on reset”." }</p>
                            }
                            <Controls scenario={self.scenario.clone()} problems={self.problems.clone()} pending={self.pending.clone()}
                                      highlight={self.preset.fix_knobs} on_change={self.callbacks.knob.clone()}
                                      locked={locked} only={o.controls.clone().map(Rc::new)} differs={self.differs.clone()}
                                      side={self.b.as_ref().map(|_| if self.editing_b { "B" } else { "A" })} />
                        </aside>
                    }
                    <main id="stage" class="stage">
                        if o.shows(Panel::Lesson) {
                            <section class="lesson" aria-labelledby="lesson-title" data-testid="lesson">
                                if self.imported.is_some() {
                                    <h2 id="lesson-title">{ self.title() }</h2>
                                    <p>{ &self.scenario.description }</p>
                                } else {
                                    <h2 id="lesson-title">{ self.preset.title }</h2>
                                    <p><strong>{ "Watch: " }</strong>{ self.preset.watch }</p>
                                    <p><strong>{ "Fix: " }</strong>{ self.preset.fix }</p>
                                    if let Some(other) = counterpart.filter(|_| !locked) {
                                        <button type="button" class="secondary" onclick={link.callback(move |_| Msg::Preset(other.id.into()))}>
                                            { format!("Open “{}”", other.title) }
                                        </button>
                                    }
                                }
                            </section>
                        }
                        if let (true, Some(b)) = (o.shows(Panel::Readouts), &self.b) {
                            { ab_table(&self.driver, b) }
                        }
                        if o.shows(Panel::Readouts) && self.b.is_none() {
                            <section class="readouts" aria-label="Last ten seconds">
                                { readout("readout-5xx", "5xx (true)", format!("{:.1} %", pct(&true_status)), true_status.rate_5xx() > 0.01, format!("{:.6}", true_status.rate_5xx())) }
                                { readout("readout-seen-5xx", "5xx (monitoring)", format!("{:.1} %", pct(&seen_status)), false, format!("{:.6}", seen_status.rate_5xx())) }
                                { readout("readout-p99", "p99", if p99 >= 1000.0 { format!("{:.1} s", p99 / 1000.0) } else { format!("{p99:.0} ms") }, false, format!("{p99:.3}")) }
                                { readout("readout-goodput", "goodput", format!("{goodput:.0}/s"), false, format!("{goodput:.3}")) }
                                { readout("readout-inflight", "in flight", snap.in_flight.to_string(), false, snap.in_flight.to_string()) }
                                { readout("readout-alerts", "alerts firing", snap.alerts_firing.len().to_string(), !snap.alerts_firing.is_empty(), snap.alerts_firing.len().to_string()) }
                            </section>
                        }
                        if o.shows(Panel::Architecture) {
                            <section class="architecture-view" aria-label="Architecture">
                                if let Some(b) = &self.b {
                                    <h3>{ "A" }</h3>
                                    <div class="architecture-scroll">{ architecture::view(&snap, &flow) }</div>
                                    <h3>{ "B" }</h3>
                                    <div class="architecture-scroll">{ architecture::view(&b.sim().snapshot(), &flow_of(b.sim().seconds().last())) }</div>
                                } else {
                                    <div class="architecture-scroll">{ architecture::view(&snap, &flow) }</div>
                                }
                                <p class="legend small">
                                    { "Bars fill as queues, threads and pool connections are used (green < 80 %, amber ≥ 80 %, red ≥ 95 %). Breaker light: C closed, O open, H half-open." }
                                </p>
                            </section>
                        }
                        if o.shows(Panel::Faults) && !locked {
                            <section class="faults" aria-labelledby="faults-title">
                                <h2 id="faults-title">{ "Inject a fault now" }</h2>
                                <div class="fault-options">
                                    <label for="fault-duration">{ "lasting" }</label>
                                    <CommitField id="fault-duration" testid="fault-duration" inputmode="decimal"
                                                 value={AttrValue::from(self.fault_duration.clone())}
                                                 invalid={self.fault_problem.is_some()}
                                                 on_commit={self.callbacks.fault_duration.clone()} />
                                    <span class="unit">{ "s" }</span>
                                    <label for="fault-instance">{ "instance" }</label>
                                    <select id="fault-instance" onchange={link.callback(|e: Event| Msg::FaultInstance(e.target_unchecked_into::<HtmlSelectElement>().value()))}>
                                        { for (0..snap.instances.len()).map(|i| html! {
                                            <option value={i.to_string()} selected={i as u32 == self.fault_instance}>{ i }</option>
                                        }) }
                                    </select>
                                </div>
                                <div class="fault-buttons">
                                    { for FAULT_BUTTONS.iter().enumerate().map(|(i, b)| html! {
                                        <button type="button" class="fault" title={b.detail} aria-describedby={format!("fault-{i}-detail")}
                                                data-testid={format!("fault-{}", outage_lab_engine::config::kind_name(b.kind))}
                                                disabled={sim.is_finished()}
                                                onclick={link.callback(move |_| Msg::Fault(i))}>
                                            { b.label }
                                            <span id={format!("fault-{i}-detail")} class="sr-only">{ b.detail }</span>
                                        </button>
                                    }) }
                                </div>
                                if let Some(p) = &self.fault_problem {
                                    <p class="error" role="alert" data-testid="fault-error">{ p }</p>
                                }
                                if !snap.active_faults.is_empty() {
                                    <p class="small" data-testid="active-faults">{ format!("Active now: {}", snap.active_faults.join(", ")) }</p>
                                }
                            </section>
                        }
                        if o.shows(Panel::Charts) {
                            <section class="charts" aria-label="Charts">
                                { for CHARTS.iter().zip(&self.chart_refs).enumerate().filter(|(_, (spec, _))| o.shows_chart(spec.id)).map(|(i, (spec, node))| html! {
                                    <figure class="chart" data-testid={format!("chart-{}", spec.id)}>
                                        <figcaption>
                                            <span class="chart-title">{ spec.title }</span>
                                            <span class="quiet small">{ format!(" ({}{})", spec.left_unit, spec.right.map(|(u, _)| format!("; right axis: {u}")).unwrap_or_default()) }</span>
                                            if !o.embed {
                                                <span class="chart-export">
                                                    <button type="button" class="link-button" data-testid={format!("png-{}", spec.id)}
                                                            aria-label={format!("Save {} as PNG", spec.title)}
                                                            onclick={link.callback(move |_| Msg::ExportChart(i, false))}>{ "PNG" }</button>
                                                    <button type="button" class="link-button" data-testid={format!("svg-{}", spec.id)}
                                                            aria-label={format!("Save {} as SVG", spec.title)}
                                                            onclick={link.callback(move |_| Msg::ExportChart(i, true))}>{ "SVG" }</button>
                                                </span>
                                            }
                                            <span class="chart-legend">
                                                { for spec.series.iter().map(|s| html! {
                                                    <span class="key">
                                                        <svg width="22" height="8" aria-hidden="true">
                                                            <line x1="0" y1="4" x2="22" y2="4" stroke={s.color} stroke-width={s.width.to_string()}
                                                                  stroke-dasharray={s.dash.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" ")} />
                                                        </svg>
                                                        { s.label }
                                                    </span>
                                                }) }
                                            </span>
                                        </figcaption>
                                        if self.b.is_some() {
                                            <div class="ab-pair">
                                                <div><span class="side-label">{ "A" }</span>
                                                    <canvas ref={node.clone()} role="img"
                                                            aria-label={format!("{}, side A, over time", spec.title)}></canvas></div>
                                                <div><span class="side-label">{ "B" }</span>
                                                    <canvas ref={self.chart_refs_b[i].clone()} role="img"
                                                            aria-label={format!("{}, side B, over time", spec.title)}></canvas></div>
                                            </div>
                                        } else {
                                            <canvas ref={node.clone()} role="img"
                                                    aria-label={format!("{} over time; shaded bands mark faults", spec.title)}></canvas>
                                        }
                                    </figure>
                                }) }
                            </section>
                        }
                        if o.shows(Panel::Alerts) || o.shows(Panel::Logs) {
                            <div class="panels">
                                if o.shows(Panel::Alerts) { <AlertsPanel history={self.alerts.clone()} /> }
                                if o.shows(Panel::Logs) {
                                    <LogsPanel events={self.logs.clone()} incidents={self.incidents.clone()} total={self.logs_total} filter={self.log_filter.clone()}
                                               selected={self.selected_log}
                                               on_filter={self.callbacks.log_filter.clone()} on_select={self.callbacks.select_log.clone()} />
                                }
                            </div>
                        }
                        if o.shows(Panel::Share) {
                            <section class="share" aria-labelledby="share-title">
                                <h2 id="share-title">{ "Share, embed, export, import" }</h2>
                                <div class="share-row">
                                    <label for="share-link">{ "Link" }</label>
                                    <input id="share-link" data-testid="share-link" type="text" readonly=true value={self.link_text.clone()} />
                                    <button type="button" data-testid="copy-link" onclick={link.callback(|_| Msg::CopyLink)}>
                                        { if self.copied { "Copied" } else { "Copy link" } }
                                    </button>
                                </div>
                                <p class="quiet small">{ format!("The link ({} characters) opens these settings, seed, speed and injected faults from time zero.", self.link_text.len()) }</p>
                                <div class="share-row">
                                    <label for="embed-code">{ "Embed" }</label>
                                    <textarea id="embed-code" data-testid="embed-code" readonly=true rows="2"
                                              value={iframe_snippet(&self.link_text, self.title())} />
                                    <button type="button" data-testid="copy-embed" onclick={link.callback(|_| Msg::CopyEmbed)}>
                                        { if self.copied_embed { "Copied" } else { "Copy embed code" } }
                                    </button>
                                </div>
                                <p class="quiet small">{ "Paste it in any page; see docs/embedding.md for the options (panels, locked settings, autoplay, stop time) and the postMessage API." }</p>
                                <div class="share-row" role="group" aria-label="Downloads">
                                    <span>{ "Download" }</span>
                                    <button type="button" class="secondary" data-testid="export-csv" onclick={link.callback(|_| Msg::Export(ExportKind::MetricsCsv))}>{ "metrics (CSV)" }</button>
                                    <button type="button" class="secondary" data-testid="export-json" onclick={link.callback(|_| Msg::Export(ExportKind::MetricsJson))}>{ "metrics (JSON)" }</button>
                                    <button type="button" class="secondary" data-testid="export-logs" onclick={link.callback(|_| Msg::Export(ExportKind::LogsJsonl))}>{ "log (JSON lines)" }</button>
                                    <button type="button" class="secondary" data-testid="export-scenario" onclick={link.callback(|_| Msg::Export(ExportKind::Scenario))}>{ "scenario (JSON)" }</button>
                                </div>
                                if !locked {
                                    <div class="drop-zone" data-testid="drop-zone" ondrop={drop}
                                         ondragover={Callback::from(|e: DragEvent| e.prevent_default())}>
                                        <label for="import-file">{ "Import a scenario file (or drop it here)" }</label>
                                        <input id="import-file" data-testid="import-file" type="file" accept=".json,application/json" onchange={on_pick} />
                                    </div>
                                    if let Some((name, problems)) = &self.import_problems {
                                        <div class="import-problems" role="alert" data-testid="import-problems">
                                            <p>{ format!("{name} was not opened ({} problem{}); the current run is unchanged:", problems.len(), if problems.len() == 1 { "" } else { "s" }) }</p>
                                            <ul>{ for problems.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
                                        </div>
                                    }
                                }
                            </section>
                        }
                        if let Some(json) = &self.summary_json {
                            if !o.embed {
                                <details class="summary" data-testid="result" data-preset={self.preset.id} data-run={self.generation.to_string()}>
                                    <summary>{ "Run summary (JSON)" }</summary>
                                    <pre data-testid="summary-json">{ json.as_str() }</pre>
                                </details>
                            }
                        }
                    </main>
                </div>
            </div>
        }
    }
}
