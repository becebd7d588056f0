//! The page as a reducer: [`Page`] is everything the page shows and remembers, an [`Action`]
//! is everything a person, a frame or a host page can do to it, and [`Page::reduce`] applies
//! one, leaving [`Effect`]s (write the address, post to the host, download, ask for a frame)
//! for the browser layer to carry out. Nothing here touches the browser, so native tests drive
//! the whole page: A/B, faults, host commands, link syncing.

use std::rc::Rc;

use outage_lab_engine::breaker::BreakerState;
use outage_lab_engine::config::Problem;
use outage_lab_engine::observe::{AlertEvent, LogEvent};
use outage_lab_engine::{load_scenario, Notice as EngineNotice, Scenario, SimTime};
use serde_json::{json, Value as Json};

use super::ab::Pair;
use super::driver::{Applied, Driver};
use super::embed::{iframe_snippet, message, parse_options, Command, EmbedOptions};
use super::export;
use super::faults::FAULT_BUTTONS;
use super::knobs::knob;
use super::link::{decode, encode, LinkState};
use super::operator::OPERATOR_BUTTONS;
use super::pacing::Speed;
use super::presets::{preset, Preset, FIRST_VISIT_PRESET, PRESETS};

mod drill;
mod guide;
mod host;

/// Wall time the simulation may use per frame, in milliseconds: the rest of a 16.7 ms frame
/// is left for drawing (measured: charts, view and layout take 4 to 8 ms).
pub const SIM_BUDGET_MS: f64 = 6.0;
/// How often the log and alert panels refresh while running, in milliseconds of wall time.
pub const PANEL_REFRESH_MS: f64 = 250.0;
/// Log lines the panel holds (the newest; the engine's ring keeps more).
pub const LOG_LINES_KEPT: usize = 500;

/// What the page needs from its surroundings: a wall clock and its own address.
pub trait Env {
    /// Wall time in milliseconds (frame budgets, panel refreshes).
    fn now_ms(&self) -> f64;
    /// The page's address without its query (`origin` and `path`), if it has one.
    fn page_url(&self) -> Option<String>;
    /// What was kept under `key` by an earlier [`Effect::Store`], if storage is there.
    fn stored(&self, _key: &str) -> Option<String> {
        None
    }
}

/// Where progress is kept, as [`super::progress::Progress`] in JSON.
pub const PROGRESS_KEY: &str = "outage-lab.progress";

/// A banner over the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// The link the page was opened with could not be read: why.
    BrokenLink(String),
    /// Embedding parameters that were ignored, each with its reason.
    IgnoredOptions(Vec<String>),
    /// The run stopped early at a runtime limit of the engine: why.
    Stopped(String),
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::BrokenLink(e) => write!(
                f,
                "This link could not be opened ({e}). The default scenario is open instead."
            ),
            Notice::IgnoredOptions(problems) => write!(
                f,
                "Some embedding parameters were ignored: {}.",
                problems.join("; ")
            ),
            Notice::Stopped(reason) => write!(
                f,
                "The simulation paused: {reason}. Change the scenario and reset."
            ),
        }
    }
}

/// What the export buttons download.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ExportKind {
    /// Per-second metrics, CSV.
    MetricsCsv,
    /// Per-second metrics, JSON.
    MetricsJson,
    /// The log ring, JSON lines.
    LogsJsonl,
    /// The run report, Markdown.
    ReportMarkdown,
    /// The run report, HTML.
    ReportHtml,
    /// The scenario, JSON.
    Scenario,
}

/// Everything that can happen to the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
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
    /// A speed from the picker (its link parameter).
    Speed(String),
    /// A seed typed.
    Seed(String),
    /// A preset picked, by id.
    Preset(String),
    /// A setting changed: knob id and the text entered.
    Knob(&'static str, String),
    /// A fault button pressed (index into [`FAULT_BUTTONS`]).
    Fault(usize),
    /// The fault duration typed.
    FaultDuration(String),
    /// The instance faults target, as picked.
    FaultInstance(String),
    /// An operator button pressed (index into [`OPERATOR_BUTTONS`]).
    Operate(usize),
    /// The instance "restart instance" restarts, as picked.
    OperatorInstance(String),
    /// The query age "kill long queries" cancels above, as typed (seconds).
    QueryAge(String),
    /// Run retry strategy `i` of [`super::strategies::STRATEGIES`] from time zero.
    TryStrategy(usize),
    /// The charts' crosshair moved to this second (`None`: gone).
    Crosshair(Option<u64>),
    /// Keep each chart's largest scale across runs (`true`), or fit each run's own.
    KeepScale(bool),
    /// Open (`true`) or close the settings drawer.
    ShowSettings(bool),
    /// Start again from time zero with the settings as they are now, playing.
    ReplayFromZero,
    /// A/B from time zero: side A with the settings before they changed during the run, side B
    /// with them as they are now.
    CompareBeforeAfter,
    /// The log filter changed.
    LogFilter(String),
    /// A log line picked, by sequence number.
    SelectLog(u64),
    /// Copy the link of this state.
    CopyLink,
    /// Copy the embed code.
    CopyEmbed,
    /// A command from the host page, and the origin it came from.
    Command(Command, String),
    /// Enter (`true`) or leave A/B mode.
    Compare(bool),
    /// Run the preset and its counterpart (by id) side by side from time zero: A/B with side A
    /// the preset as bundled and side B the counterpart, on side A's seed.
    SideBySide(&'static str),
    /// Edit side B (`true`) or side A.
    EditSide(bool),
    /// Download something.
    Export(ExportKind),
    /// A cause picked in the drill's list, by id.
    DrillChoice(String),
    /// Name the cause picked as the drill's root cause.
    Diagnose,
    /// The trainer ticked (`true`) or unticked a cause, by id.
    TrainerCause(String, bool),
    /// The trainer typed in a field of the drill form.
    TrainerField(super::drills::TrainerField, String),
    /// Open the trainer's drill on this page.
    OpenTrainerDrill,
    /// The status picked as the answer to the quiz's question.
    QuizAnswer(outage_lab_engine::metrics::Status),
    /// The quiz's next question.
    QuizNext,
    /// The answer picked (by index) to the guided lesson's prediction.
    GuideAnswer(usize),
    /// "Next" in a guided lesson's step.
    GuideNext,
    /// Download chart `index` as PNG (`false`) or SVG (`true`).
    ExportChart(usize, bool),
    /// A file was read: its name and text.
    Imported(String, String),
    /// A file could not be read: its name and the problem.
    ImportFailed(String, String),
}

/// A caption at a key moment of the run: when, and what happened, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Caption {
    /// When, in virtual seconds.
    pub t_s: f64,
    /// What happened.
    pub text: String,
}

/// How many captions the page keeps (the newest).
pub const CAPTIONS_KEPT: usize = 6;

/// What the browser layer must do after an action.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Put this query in the address bar (without adding to the history).
    WriteAddress(String),
    /// Remember this query (with its `?`) as the last state shown without error.
    RememberQuery(String),
    /// Ask for an animation frame.
    RequestFrame,
    /// Post a message to the host page; one that carries state goes only to allowed origins.
    Post {
        /// The message.
        message: Json,
        /// Whether it carries settings or a link.
        carries_state: bool,
    },
    /// Reply to one host origin.
    Reply {
        /// The origin the command came from.
        origin: String,
        /// The reply.
        message: Json,
    },
    /// Put text on the clipboard.
    Copy(String),
    /// Offer a text file for download.
    Download {
        /// The file's name.
        name: String,
        /// Its media type.
        mime: &'static str,
        /// Its contents.
        text: String,
    },
    /// Offer chart `index` of side A for download, as SVG or PNG, named `name` (plus extension).
    DownloadChart {
        /// Index into the chart specs.
        index: usize,
        /// SVG (`true`) or PNG.
        svg: bool,
        /// The file name without extension.
        name: String,
    },
    /// The charts changed shape (A/B on or off): measure and redraw them.
    RedrawCharts,
    /// Apply this colour theme to the page (and redraw the charts in it).
    Theme(super::embed::Theme),
    /// Keep `value` under `key` in local storage, when the browser has it.
    Store {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
}

/// What side B becomes when a scenario is opened.
enum SideB {
    /// In A/B mode, a copy of the new side A; otherwise none.
    CopyOfA,
    /// This scenario (a link's side B), or none.
    From(Option<Box<Scenario>>),
}

/// Everything the page shows and remembers. The views read it; only [`Page::reduce`] changes it.
pub struct Page {
    env: Box<dyn Env>,
    effects: Vec<Effect>,
    /// The run (side A) and, in A/B mode, side B.
    pub pair: Pair,
    /// The preset open (or the one an imported scenario replaced).
    pub preset: &'static Preset,
    /// The edited side's scenario, shared with the settings panel.
    pub scenario: Rc<Scenario>,
    /// Problems of the last setting or seed entered (nothing was changed).
    pub problems: Rc<Vec<Problem>>,
    /// Settings changed that wait for a reset, by knob id.
    pub pending: Rc<Vec<&'static str>>,
    /// Settings that differ between A and B, by knob id.
    pub differs: Rc<Vec<&'static str>>,
    /// The banner over the page, if any.
    pub notice: Option<Notice>,
    /// When the run is too heavy for the chosen speed: the speed reachable at its peak and
    /// the fastest offered speed that keeps up (computed on changes, not per frame).
    pub too_fast: Option<(f64, Option<Speed>)>,
    /// Counts changes that make the charts start over (restarts, settings, faults).
    pub generation: u64,
    /// The newest log lines, for the log panel.
    pub logs: Rc<Vec<LogEvent>>,
    /// The newest warnings and info lines (kept apart from the errors), for the log panel.
    pub quiet_logs: Rc<Vec<LogEvent>>,
    /// The first error of each incident, for the log panel.
    pub incidents: Rc<Vec<LogEvent>>,
    /// For each incident, the first warning of the run that led up to it, for the log panel.
    pub incident_warnings: Rc<Vec<Option<LogEvent>>>,
    /// Log lines written so far in this run.
    pub logs_total: u64,
    /// The alert history, for the alerts panel.
    pub alerts: Rc<Vec<AlertEvent>>,
    /// The log filter as typed.
    pub log_filter: String,
    /// The log line picked, by sequence number.
    pub selected_log: Option<u64>,
    /// The fault form beside the buttons.
    pub faults: super::faults::FaultForm,
    /// The operator form beside the operator buttons.
    pub operator: super::operator::OperatorForm,
    /// What the live region says (screen readers).
    pub announcement: String,
    /// The retry strategies side by side, for a lesson that compares them (computed when the
    /// run starts over): each strategy's figures, or why they could not be computed.
    pub strategies: Option<Rc<Result<Vec<super::strategies::StrategyResult>, String>>>,
    /// Lessons completed, challenges passed and drill scores on this browser (from local
    /// storage when it is there).
    pub progress: Rc<super::progress::Progress>,
    /// The challenge being attempted, if any (the lesson's place shows it).
    pub challenge: Option<&'static super::challenges::Challenge>,
    /// When the challenge was opened, wall-clock milliseconds (for the time taken).
    challenge_opened_ms: f64,
    /// The judge's verdict once the run has finished, and the wall seconds taken by then.
    pub verdict: Option<Rc<(super::challenges::Verdict, f64)>>,
    /// The incident drill open, if any (its cause hidden until the learner names it).
    pub drill: Option<Rc<super::drills::DrillRun>>,
    /// The trainer's drill form.
    pub trainer: Rc<super::drills::TrainerForm>,
    /// The status-code quiz, if open (in the lesson's place).
    pub quiz: Option<Rc<super::quiz::QuizRun>>,
    /// The guided lesson in progress, if any (in the lesson's place).
    pub guide: Option<Rc<super::guide::GuideRun>>,
    /// When the guided lesson was opened, wall-clock milliseconds.
    guide_opened_ms: f64,
    /// The host asked for each second's figures (`second` messages).
    subscribed: bool,
    /// Rows of side A already posted as `second` messages.
    seconds_posted: usize,
    /// The settings changed during this run (since it last started over), for the report.
    pub setting_changes: Vec<super::report::SettingChange>,
    /// The finished run's report.
    pub report: Option<Rc<super::report::Report>>,
    /// The second the charts' crosshair is on, if any.
    pub crosshair_s: Option<u64>,
    /// Charts keep the largest scale they have drawn (across runs of this preset), so a fix
    /// that lowers a spike looks lower.
    pub keep_scale: bool,
    /// Whether the settings drawer is open (closed on the main page at first, so the run fills
    /// the first screen; open in an embed that shows settings).
    pub settings_open: bool,
    /// The captions of the run's key moments so far, oldest first (at most [`CAPTIONS_KEPT`]).
    pub captions: Rc<Vec<Caption>>,
    /// Side A's clock when the captions last looked at it (for the preset's moments).
    captions_clock: SimTime,
    /// The finished run's summary, as JSON.
    pub summary_json: Option<Rc<String>>,
    /// The address of this state, to share.
    pub link_text: String,
    /// The link was just copied.
    pub copied: bool,
    /// The embed code was just copied.
    pub copied_embed: bool,
    /// How the page is embedded (or not).
    pub options: EmbedOptions,
    /// The file a scenario was imported from, if it was.
    pub imported: Option<String>,
    /// The file and problems of the last refused import (the run was kept).
    pub import_problems: Option<(String, Vec<String>)>,
    /// Wall time of the last frame's simulation work, in milliseconds.
    pub last_sim_ms: f64,
    last_frame_ts: Option<f64>,
    run: u64,
    logs_run: u64,
    panels_refreshed_ms: f64,
}

impl Page {
    /// The page opened on `link_query` (the state: a shared link, or what a crash recovery
    /// hands over) with the embedding options of `options_query` (the address's own query).
    /// A broken link opens the default scenario and says why.
    pub fn new(link_query: &str, options_query: &str, env: Box<dyn Env>) -> Page {
        let first_visit = link_query.trim_start_matches('?').is_empty();
        // A learning link (a drill, the quiz, a guided lesson) opens once the page exists.
        let (drill, quiz, guide) = (
            Page::drill_in_query(link_query),
            Page::quiz_in_query(link_query),
            Page::guide_in_query(link_query),
        );
        let decoded = if first_visit {
            Ok(LinkState::from_preset(FIRST_VISIT_PRESET).unwrap_or_else(LinkState::default_state))
        } else if drill.is_some() || quiz.is_some() || guide.is_some() {
            // Opened below, once the page exists.
            Ok(LinkState::default_state())
        } else {
            decode(link_query)
        };
        let (state, notice) = match decoded {
            Ok(state) => (state, None),
            Err(e) => (
                LinkState::default_state(),
                Some(Notice::BrokenLink(e.to_string())),
            ),
        };
        let a = Driver::new(state.scenario.clone(), state.speed)
            .or_else(|_| Driver::new(LinkState::default_state().scenario, Speed::Times(1.0)))
            .expect("the default scenario is valid");
        let b = state
            .compare
            .clone()
            .and_then(|c| Driver::new(c, state.speed).ok());
        let (options, option_problems) = parse_options(options_query);
        let notice = notice.or_else(|| {
            (!option_problems.is_empty()).then_some(Notice::IgnoredOptions(option_problems))
        });
        let preset = preset(&state.preset).unwrap_or(&PRESETS[0]);
        let challenge = state.challenge.and_then(super::challenges::challenge);
        let mut page = Page::blank(env, Pair::new(a, b), preset, state.scenario, options);
        page.challenge = challenge;
        page.challenge_opened_ms = page.env.now_ms();
        page.progress = Rc::new(super::progress::Progress::read(
            page.env.stored(PROGRESS_KEY).as_deref(),
        ));
        page.notice = notice;
        if let Some(stop) = page.options.stop_s {
            page.pair.a.pause_at = Some(SimTime::from_micros((stop * 1e6) as u64));
        }
        let preset_scenario = LinkState::from_preset(page.preset.id).map(|s| s.scenario);
        if preset_scenario.is_some_and(|p| p.name != page.scenario.name) {
            page.imported = Some(page.scenario.name.clone());
        }
        page.compare_strategies();
        if first_visit && !page.options.embed {
            page.intro();
        }
        match drill {
            Some(Ok((spec, answer_view))) => page.open_drill(spec, answer_view),
            Some(Err(e)) => page.notice = Some(Notice::BrokenLink(e.to_string())),
            None => {}
        }
        match quiz {
            Some(Ok(i)) => page.open_quiz(i),
            Some(Err(e)) => page.notice = Some(Notice::BrokenLink(e)),
            None => {}
        }
        match guide {
            Some(Ok(id)) => page.open_guide(id),
            Some(Err(e)) => page.notice = Some(Notice::BrokenLink(e)),
            None => {}
        }
        let write = page.notice.is_none();
        page.sync_state(write);
        if page.options.autoplay {
            page.pair.a.play();
            page.effects.push(Effect::RequestFrame);
        }
        page
    }

    fn blank(
        env: Box<dyn Env>,
        pair: Pair,
        preset: &'static Preset,
        scenario: Scenario,
        options: EmbedOptions,
    ) -> Page {
        Page {
            env,
            effects: Vec::new(),
            pair,
            preset,
            scenario: Rc::new(scenario),
            problems: Rc::default(),
            pending: Rc::default(),
            differs: Rc::default(),
            notice: None,
            too_fast: None,
            generation: 0,
            logs: Rc::default(),
            quiet_logs: Rc::default(),
            incidents: Rc::default(),
            incident_warnings: Rc::default(),
            logs_total: 0,
            alerts: Rc::default(),
            log_filter: String::new(),
            selected_log: None,
            faults: super::faults::FaultForm::default(),
            operator: super::operator::OperatorForm::default(),
            announcement: String::new(),
            settings_open: options.embed,
            strategies: None,
            crosshair_s: None,
            setting_changes: Vec::new(),
            report: None,
            progress: Rc::default(),
            challenge: None,
            challenge_opened_ms: 0.0,
            drill: None,
            trainer: Rc::default(),
            quiz: None,
            guide: None,
            guide_opened_ms: 0.0,
            subscribed: false,
            seconds_posted: 0,
            verdict: None,
            keep_scale: false,
            captions: Rc::default(),
            captions_clock: SimTime::ZERO,
            summary_json: None,
            link_text: String::new(),
            copied: false,
            copied_embed: false,
            options,
            imported: None,
            import_problems: None,
            last_sim_ms: 0.0,
            last_frame_ts: None,
            run: 0,
            logs_run: 0,
            panels_refreshed_ms: 0.0,
        }
    }

    /// The effects left by the actions so far, oldest first; the browser layer carries them out.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Applies one action; true when the page must be drawn again.
    pub fn reduce(&mut self, action: Action) -> bool {
        let frame = matches!(action, Action::Frame(_));
        let moves = matches!(action, Action::PlayPause | Action::Step | Action::RunToEnd);
        if moves && self.guide_holds_run() && !self.pair.a.is_playing() {
            self.announcement =
                "Answer the question first: the run goes on once you have predicted.".into();
            return true;
        }
        let redraw = self.apply(action);
        if !frame {
            self.check_guide();
        }
        redraw
    }

    fn apply(&mut self, action: Action) -> bool {
        match action {
            Action::Frame(ts) => return self.frame(ts),
            Action::PlayPause => self.play_pause(),
            Action::Step => {
                self.pair.a.step_second();
                self.effects.push(Effect::RequestFrame);
            }
            Action::Reset => self.reset(),
            Action::RunToEnd => {
                self.pair.a.speed = Speed::Max;
                self.update_play();
                self.state_changed();
            }
            Action::Speed(text) => {
                if let Some(speed) = Speed::from_param(&text) {
                    self.pair.a.speed = speed;
                    self.state_changed();
                }
            }
            Action::Seed(text) => self.set_seed(&text),
            Action::Preset(id) => self.pick(&id),
            Action::DrillChoice(_)
            | Action::Diagnose
            | Action::TrainerCause(..)
            | Action::TrainerField(..)
            | Action::OpenTrainerDrill
            | Action::QuizAnswer(_)
            | Action::QuizNext => self.drill_action(action),
            Action::GuideAnswer(_) | Action::GuideNext => self.guide_action(action),
            Action::Knob(id, text) => return self.set_knob(id, &text),
            Action::Fault(i) => self.inject(i),
            Action::FaultDuration(text) => self.faults.duration_text = text,
            Action::FaultInstance(text) => self.faults.instance = text.parse().unwrap_or(0),
            Action::Operate(_)
            | Action::OperatorInstance(_)
            | Action::QueryAge(_)
            | Action::ReplayFromZero
            | Action::CompareBeforeAfter => self.finish_fix(action),
            Action::LogFilter(f) => self.log_filter = f,
            Action::ShowSettings(open) => self.settings_open = open,
            Action::TryStrategy(i) => self.try_strategy(i),
            Action::Crosshair(t) => self.crosshair_s = t,
            Action::KeepScale(on) => self.keep_scale = on,
            Action::SelectLog(seq) => self.selected_log = Some(seq),
            Action::CopyLink => {
                self.effects.push(Effect::Copy(self.link_text.clone()));
                self.copied = true;
            }
            Action::CopyEmbed => {
                let snippet = iframe_snippet(&self.link_text, self.title());
                self.effects.push(Effect::Copy(snippet));
                self.copied_embed = true;
            }
            Action::Command(command, origin) => return self.obey(command, &origin),
            Action::Compare(on) => self.compare(on),
            Action::SideBySide(other) => self.side_by_side(other),
            Action::EditSide(b) => {
                self.pair.edit_side(b);
                self.problems = Rc::new(Vec::new());
                self.state_changed();
            }
            Action::Export(kind) => {
                self.export(kind);
                return false;
            }
            Action::ExportChart(index, svg) => {
                let name = format!("{}-{}", self.file_stem(), super::charts::CHARTS[index].id);
                self.effects
                    .push(Effect::DownloadChart { index, svg, name });
                return false;
            }
            Action::ImportFailed(..) | Action::Imported(..) => self.import(action),
        }
        true
    }

    /// A file was read (or could not be): its scenario opens, or its problems are shown.
    fn import(&mut self, action: Action) {
        match action {
            Action::ImportFailed(name, problem) => {
                self.import_problems = Some((name, vec![problem]));
            }
            Action::Imported(name, text) => match load_scenario(&text) {
                Ok((scenario, _)) => {
                    self.leave_modes();
                    self.open(scenario, SideB::CopyOfA, Some(name))
                }
                Err(problems) => {
                    self.import_problems =
                        Some((name, problems.iter().map(ToString::to_string).collect()));
                }
            },
            _ => unreachable!("import takes only the actions of a file read"),
        }
    }

    /// One animation frame: advance the run within the budget, announce what happened, refresh
    /// the panels now and then, and ask for the next frame while there is work.
    fn frame(&mut self, ts: f64) -> bool {
        let was_playing = self.pair.a.is_busy();
        if !was_playing && !self.pair.b_lags() {
            self.last_frame_ts = None;
            return false;
        }
        let dt = self.last_frame_ts.map_or(1000.0 / 60.0, |last| ts - last);
        self.last_frame_ts = Some(ts);
        let started = self.env.now_ms();
        let env = &self.env;
        self.pair.frame(dt, SIM_BUDGET_MS, &|| env.now_ms());
        self.last_sim_ms = self.env.now_ms() - started;
        self.announce_changes();
        self.caption_moments();
        self.check_guide();
        self.post_seconds();
        self.note_stopped();
        let a_now = self.pair.a.sim().now();
        let playing = self.pair.a.is_busy();
        if was_playing && !playing && self.pair.a.pause_at == Some(a_now) {
            self.announcement = format!("Paused at {:.1} s.", a_now.as_secs_f64());
            self.post(json!({ "event": "stopped", "t_s": a_now.as_secs_f64() }));
        }
        if !playing || self.env.now_ms() - self.panels_refreshed_ms > PANEL_REFRESH_MS {
            self.refresh_panels();
        }
        if playing || self.pair.b_lags() {
            self.effects.push(Effect::RequestFrame);
        } else {
            self.last_frame_ts = None;
        }
        true
    }

    /// Posts a simulation event to the host page (events carry no settings).
    fn post(&mut self, event: Json) {
        self.effects.push(Effect::Post {
            message: message("event", event),
            carries_state: false,
        });
    }

    fn play_pause(&mut self) {
        if self.pair.a.is_playing() {
            self.pair.a.pause();
            self.refresh_panels();
        } else {
            self.update_play();
        }
    }

    fn update_play(&mut self) {
        if self.pair.a.sim().is_finished() {
            self.restarted();
            if let Some(b) = self.pair.b.as_mut() {
                b.reset();
            }
        }
        self.pair.a.play();
        self.effects.push(Effect::RequestFrame);
    }

    /// Both sides back to time zero with their current settings, paused.
    fn reset(&mut self) {
        if matches!(self.notice, Some(Notice::Stopped(_))) {
            self.notice = None;
        }
        self.pair.reset();
        self.restarted();
        self.state_changed();
    }

    fn set_seed(&mut self, text: &str) {
        match text.trim().parse::<u64>() {
            Ok(seed) if self.drill.is_some() => self.reseed_drill(seed),
            Ok(seed) => {
                self.pair.set_seed(seed);
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
        }
    }

    fn set_knob(&mut self, id: &str, text: &str) -> bool {
        let Some(k) = knob(id) else { return false };
        if let Some(problem) = self.challenge_forbids(k, text) {
            self.problems = Rc::new(vec![problem]);
            return true;
        }
        match self.pair.set_knob(k, text) {
            Ok(applied) => {
                self.problems = Rc::new(Vec::new());
                self.setting_changes.push(super::report::SettingChange {
                    t_s: self.pair.a.sim().now().as_secs_f64(),
                    setting: k.label,
                    value: text.trim().to_string(),
                });
                if applied == Applied::OnReset {
                    self.announcement = format!("{} applies when the run is reset.", k.label);
                }
                self.generation += 1;
                self.state_changed();
            }
            Err(problems) => self.problems = Rc::new(problems),
        }
        true
    }

    /// Why the open challenge refuses setting `k` to `text`: the setting may not change, or
    /// the value breaks the challenge's budget. A refusal is a problem on the field, so the
    /// learner sees it where they typed; nothing is changed.
    fn challenge_forbids(&self, k: &'static super::knobs::Knob, text: &str) -> Option<Problem> {
        let c = self.challenge?;
        let problem = |message: String| Problem {
            path: k.id.into(),
            message,
        };
        if !c.allows(k.id) {
            return Some(problem(format!(
                "may not change in this challenge (you may change: {})",
                c.allowed.join(", ")
            )));
        }
        let next = k.apply(self.pair.edited().scenario(), text).ok()?;
        c.over_budget(&next.scenario)
            .map(|b| problem(format!("is over the challenge's budget: {b}")))
    }

    /// Fault button `i` pressed: the fault from the form, injected on both sides now.
    fn inject(&mut self, i: usize) {
        let button = &FAULT_BUTTONS[i];
        let fault = match self.faults.fault(button) {
            Ok(fault) => fault,
            Err(problem) => {
                self.faults.problem = Some(problem);
                return;
            }
        };
        match self.pair.inject(&fault) {
            Ok(start) => {
                self.faults.problem = None;
                self.announcement =
                    format!("{} injected at {:.1} s.", button.label, start.as_secs_f64());
                self.generation += 1;
                self.state_changed();
            }
            Err(problems) => {
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                self.faults.problem = Some(text.join("; "));
            }
        }
    }

    /// The ways to finish a fix made during a run: operator actions and their form, a replay
    /// or a comparison from time zero.
    fn finish_fix(&mut self, action: Action) {
        match action {
            Action::Operate(i) => self.operate(i),
            Action::OperatorInstance(text) => self.operator.instance = text.parse().unwrap_or(0),
            Action::QueryAge(text) => self.operator.longer_than_text = text,
            Action::ReplayFromZero => {
                self.reset();
                self.announcement = "Replaying from 0 s with the settings as they are now.".into();
                self.update_play();
            }
            Action::CompareBeforeAfter => self.compare_before_after(),
            _ => unreachable!("finish_fix takes only the actions that finish a fix"),
        }
    }

    /// Runs retry strategy `i` from time zero: its backoff and jitter set, then a replay.
    fn try_strategy(&mut self, i: usize) {
        let s = super::strategies::STRATEGIES[i];
        let jitter = match s.jitter {
            outage_lab_engine::scenario::Jitter::None => "none",
            outage_lab_engine::scenario::Jitter::Full => "full",
            outage_lab_engine::scenario::Jitter::Equal => "equal",
            outage_lab_engine::scenario::Jitter::Decorrelated => "decorrelated",
        };
        let base = super::knobs::fmt_number(s.backoff_base_ms);
        self.pair.editing_b = false;
        for (id, text) in [
            ("client.retry.backoff_base_ms", base.as_str()),
            ("client.retry.jitter", jitter),
        ] {
            if !self.set_knob(id, text) || !self.problems.is_empty() {
                return;
            }
        }
        self.reset();
        self.announcement = format!("Running {} from 0 s.", s.label);
        self.update_play();
    }

    /// Operator button `i` pressed: the action from the form, taken on both sides now.
    fn operate(&mut self, i: usize) {
        let button = &OPERATOR_BUTTONS[i];
        let action = match self.operator.action(button.kind) {
            Ok(action) => action,
            Err(problem) => {
                self.operator.problem = Some(problem);
                return;
            }
        };
        match self.pair.act(&action) {
            Ok(at) => {
                self.operator.problem = None;
                self.announcement = format!("{} at {:.1} s.", button.label, at.as_secs_f64());
                self.generation += 1;
                self.state_changed();
                // The action acts on the next event: while paused, take it now so the screen
                // shows its effect.
                if !self.pair.a.is_busy() {
                    self.pair.a.step_to(at);
                    if let Some(b) = self.pair.b.as_mut() {
                        b.step_to(at);
                    }
                    self.announce_changes();
                    self.refresh_panels();
                }
            }
            Err(problems) => {
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                self.operator.problem = Some(text.join("; "));
            }
        }
    }

    fn compare_before_after(&mut self) {
        match self.pair.compare_before_after() {
            Ok(true) => {
                self.settings_open = true;
                self.restarted();
                self.problems = Rc::new(Vec::new());
                self.effects.push(Effect::RedrawCharts);
                self.announcement = "A/B from 0 s: A with the settings before your changes, B with them; you are editing B.".into();
                self.state_changed();
                self.update_play();
            }
            Ok(false) => {
                self.announcement =
                    "No setting changed during this run: nothing to compare.".into();
            }
            Err(problems) => self.problems = Rc::new(problems),
        }
    }

    fn side_by_side(&mut self, other: &str) {
        let Some(b) = LinkState::from_preset(other) else {
            return;
        };
        let a = LinkState::from_preset(self.preset.id).expect("bundled presets are valid");
        let mut b = b.scenario;
        b.seed = a.scenario.seed;
        let title = preset(other).map_or(other, |p| p.title);
        self.leave_modes();
        self.pair.a.speed = self.preset.speed;
        self.pair.editing_b = false;
        self.open(a.scenario, SideB::From(Some(Box::new(b))), None);
        self.settings_open = false;
        self.effects.push(Effect::RedrawCharts);
        self.announcement = format!(
            "A/B from 0 s: side A is “{}”, side B “{title}”. Press Play.",
            self.preset.title
        );
        self.state_changed();
    }

    fn compare(&mut self, on: bool) {
        self.pair.compare(on);
        self.settings_open |= on;
        self.problems = Rc::new(Vec::new());
        self.effects.push(Effect::RedrawCharts);
        self.announcement = if on {
            "A/B: side B is a copy of this run; you are editing B.".into()
        } else {
            "Left A/B: side A goes on.".into()
        };
        self.state_changed();
    }

    fn export(&mut self, kind: ExportKind) {
        let sim = self.pair.a.sim();
        let stem = self.file_stem();
        let (name, mime, text) = match kind {
            ExportKind::MetricsCsv => (
                format!("{stem}-metrics.csv"),
                "text/csv",
                export::series_csv(sim.seconds()),
            ),
            ExportKind::MetricsJson => (
                format!("{stem}-metrics.json"),
                "application/json",
                export::series_json(sim.seconds()),
            ),
            ExportKind::LogsJsonl => (
                format!("{stem}-logs.jsonl"),
                "application/x-ndjson",
                export::logs_jsonl(sim.logs().events()),
            ),
            ExportKind::ReportMarkdown | ExportKind::ReportHtml => {
                let Some(report) = &self.report else { return };
                if kind == ExportKind::ReportHtml {
                    (format!("{stem}-report.html"), "text/html", report.to_html())
                } else {
                    (
                        format!("{stem}-report.md"),
                        "text/markdown",
                        report.to_markdown(),
                    )
                }
            }
            // The scenario names a drill's cause: it waits for the diagnosis.
            ExportKind::Scenario if self.hides_cause() => return,
            ExportKind::Scenario => (
                format!("{stem}.json"),
                "application/json",
                export::scenario_json(self.pair.a.scenario()),
            ),
        };
        self.effects.push(Effect::Download { name, mime, text });
    }

    /// Carries out a host page's command; replies go to the origin it came from. False when
    /// nothing on the page changed.
    fn obey(&mut self, command: Command, origin: &str) -> bool {
        let reply = |kind: &str, fields: Json| Effect::Reply {
            origin: origin.to_string(),
            message: message(kind, fields),
        };
        match command {
            Command::Play => {
                if !self.pair.a.is_playing() {
                    self.update_play();
                }
            }
            Command::Pause => {
                self.pair.a.pause();
                self.refresh_panels();
            }
            Command::Reset => self.reset(),
            Command::LoadPreset(id) => match preset(&id) {
                Some(p) => self.load_preset(p),
                None => {
                    let text = format!("preset: \"{id}\" is not a preset");
                    self.effects
                        .push(reply("error", json!({ "message": text })));
                    return false;
                }
            },
            Command::LoadLink(query) => {
                if let Some(opened) = self.load_learning_link(&query, origin) {
                    return opened;
                }
                match decode(&query) {
                    Ok(state) => {
                        self.leave_modes();
                        self.preset = preset(&state.preset).unwrap_or(&PRESETS[0]);
                        self.pair.a.speed = state.speed;
                        self.pair.editing_b = state.compare.is_some();
                        self.challenge = state.challenge.and_then(super::challenges::challenge);
                        let b = SideB::From(state.compare.map(Box::new));
                        self.open(state.scenario, b, None);
                    }
                    Err(e) => {
                        self.effects
                            .push(reply("error", json!({ "message": e.to_string() })));
                        return false;
                    }
                }
            }
            Command::SetTheme(theme) => {
                self.options.theme = theme;
                self.effects.push(Effect::Theme(theme));
            }
            Command::Set { .. } | Command::Fault(_) | Command::RunTo(_) | Command::Subscribe(_) => {
                return self.obey_control(command, origin)
            }
            Command::GetState => {
                let state = json!({
                    "link": encode(&self.link_state()),
                    "preset": self.preset.id,
                    "now_s": self.pair.a.sim().now().as_secs_f64(),
                    "playing": self.pair.a.is_playing(),
                });
                self.effects.push(reply("state", state));
                return false;
            }
        }
        true
    }

    /// Opens challenge `id` at its start, paused.
    fn open_challenge(&mut self, id: &str) {
        let Some(state) = LinkState::from_challenge(id) else {
            return;
        };
        self.leave_modes();
        self.challenge = super::challenges::challenge(id);
        self.preset = preset(&state.preset).unwrap_or(&PRESETS[0]);
        self.open(state.scenario, SideB::CopyOfA, None);
        self.pair.a.speed = state.speed;
        self.challenge_opened_ms = self.env.now_ms();
        self.announcement = format!("Challenge: {}.", self.challenge.map_or("", |c| c.title));
        self.state_changed();
    }

    fn load_preset(&mut self, p: &'static Preset) {
        let state = LinkState::from_preset(p.id).expect("bundled presets are valid");
        self.preset = p;
        self.open(state.scenario, SideB::CopyOfA, None);
        self.intro();
        self.state_changed();
    }

    /// A preset opened from the picker (or on a first visit) plays at its speed and is
    /// fast-forwarded to a few seconds before its trigger, saying so.
    fn intro(&mut self) {
        let p = self.preset;
        self.pair.a.speed = p.speed;
        if p.start_s > 0.0 {
            let start = SimTime::from_micros((p.start_s * 1e6) as u64);
            self.pair.a.skip_to(start);
            self.effects.push(Effect::RequestFrame);
            let text = format!(
                "Fast-forwarded to {} s, shortly before the lesson's moment; the charts keep the quiet start. Press Play (Reset watches it from 0 s).",
                p.start_s
            );
            self.caption(start, text);
        }
    }

    /// Opens `scenario` (validated already) at time zero, paused; `imported` names the file it
    /// came from. Every way of opening a scenario ends here.
    fn open(&mut self, scenario: Scenario, side_b: SideB, imported: Option<String>) {
        let _ = self.pair.a.load(scenario);
        self.pair.b = match side_b {
            SideB::CopyOfA => self.pair.b.is_some().then(|| self.pair.a.clone()),
            SideB::From(b) => b.and_then(|c| Driver::new(*c, self.pair.a.speed).ok()),
        };
        self.pair.editing_b &= self.pair.b.is_some();
        self.imported = imported;
        self.import_problems = None;
        self.problems = Rc::new(Vec::new());
        self.notice = None;
        self.restarted();
        self.state_changed();
    }

    /// What a link to this state carries.
    pub fn link_state(&self) -> LinkState {
        LinkState {
            preset: self.preset.id.into(),
            scenario: self.pair.a.scenario().clone(),
            speed: self.pair.a.speed,
            compare: self.pair.b.as_ref().map(|b| b.scenario().clone()),
            challenge: self.challenge.map(|c| c.id),
        }
    }

    /// After any change of state (not frames): the address, the props of the panels.
    fn state_changed(&mut self) {
        self.sync_state(true);
    }

    /// Brings the panels' props and the link up to date; `write` also puts the link in the
    /// address bar (not in an embed, and not over a broken link the page was opened with).
    fn sync_state(&mut self, write: bool) {
        self.scenario = Rc::new(self.pair.edited().scenario().clone());
        self.differs = Rc::new(self.pair.differs());
        self.pending = Rc::new(self.pair.pending_restart());
        self.too_fast = super::pacing::too_fast(self.pair.a.sim().config(), self.pair.a.speed);
        let query = (self.drill_query())
            .or_else(|| self.quiz_query())
            .or_else(|| self.guide_query())
            .unwrap_or_else(|| encode(&self.link_state()));
        self.effects
            .push(Effect::RememberQuery(format!("?{query}")));
        if write && !self.options.embed {
            self.effects.push(Effect::WriteAddress(query.clone()));
        }
        self.link_text = match self.env.page_url() {
            Some(url) => format!("{url}?{query}"),
            None => query,
        };
        self.copied = false;
        self.refresh_panels();
    }

    /// The judge's verdict on the scenario as it stands (a finished run's settings, from 0 s),
    /// with the wall time taken since the challenge was opened; posted to the host.
    fn judge(&mut self) {
        let Some(c) = self.challenge else { return };
        let Ok(verdict) = c.check(self.pair.a.scenario()) else {
            return;
        };
        let taken_s = (self.env.now_ms() - self.challenge_opened_ms) / 1000.0;
        if verdict.passed {
            self.post(json!({ "event": "challenge_passed", "challenge": c.id, "taken_s": taken_s, "changes": verdict.changes }));
            if Rc::make_mut(&mut self.progress).pass_challenge(c.id) {
                self.store_progress();
            }
        }
        self.announcement = format!(
            "Challenge {}: {}.",
            c.id,
            if verdict.passed {
                "passed"
            } else {
                "not passed"
            }
        );
        self.verdict = Some(Rc::new((verdict, taken_s)));
    }

    /// Keeps the progress in local storage (when the browser has it).
    fn store_progress(&mut self) {
        self.effects.push(Effect::Store {
            key: PROGRESS_KEY.into(),
            value: self.progress.to_text(),
        });
    }

    /// Runs the retry strategies side by side, for a lesson that compares them.
    fn compare_strategies(&mut self) {
        self.strategies = (self.preset.compares_strategies && self.imported.is_none())
            .then(|| Rc::new(super::strategies::compare(self.pair.a.scenario())));
    }

    fn restarted(&mut self) {
        self.verdict = None;
        self.report = None;
        self.setting_changes.clear();
        self.compare_strategies();
        self.captions = Rc::default();
        self.captions_clock = SimTime::ZERO;
        self.generation += 1;
        self.run += 1;
        self.summary_json = None;
        self.selected_log = None;
        self.last_frame_ts = None;
    }

    /// Copies what the log and alert panels show from the run, when it changed; tells the host
    /// once the run finishes.
    fn refresh_panels(&mut self) {
        let sim = self.pair.a.sim();
        if (self.run, sim.logs().total) != (self.logs_run, self.logs_total) {
            let events = sim.logs().events();
            let skip = events.len().saturating_sub(LOG_LINES_KEPT);
            self.logs = Rc::new(events.skip(skip).cloned().collect());
            let quiet = sim.logs().quiet_events();
            let skip = quiet.len().saturating_sub(LOG_LINES_KEPT);
            self.quiet_logs = Rc::new(quiet.skip(skip).cloned().collect());
            self.logs_total = sim.logs().total;
            self.logs_run = self.run;
        }
        if sim.logs().incident_starts() != self.incidents.as_slice() {
            self.incidents = Rc::new(sim.logs().incident_starts().to_vec());
            self.incident_warnings = Rc::new(sim.logs().incident_warnings().to_vec());
        }
        if sim.alerts().history != *self.alerts {
            self.alerts = Rc::new(sim.alerts().history.clone());
        }
        self.panels_refreshed_ms = self.env.now_ms();
        if sim.is_finished() && self.summary_json.is_none() {
            let summary = sim.summary();
            let json = export::to_json(&summary, false);
            self.post(json!({ "event": "run_finished", "t_s": summary.sim_seconds, "rate_5xx": summary.status.rate_5xx() }));
            self.summary_json = Some(Rc::new(json));
            self.build_report();
            self.judge();
        }
    }

    /// The finished run's report (a drill's faults left out until its diagnosis).
    fn build_report(&mut self) {
        self.report = Some(Rc::new(super::report::Report::of(
            self.title(),
            self.pair.a.scenario(),
            self.pair.a.sim(),
            &self.setting_changes,
            !self.hides_cause(),
        )));
    }

    /// Announces what the run's notices say (breakers opening or closing again, alerts
    /// firing) in the live region, and tells the host. Side B's notices are drained unread:
    /// its figures are on screen, and one voice is enough.
    fn announce_changes(&mut self) {
        let notices = self.pair.a.drain_notices();
        if let Some(b) = self.pair.b.as_mut() {
            b.drain_notices();
        }
        let mut said = Vec::new();
        for notice in &notices {
            self.caption_notice(notice);
        }
        for notice in notices {
            match notice {
                EngineNotice::BreakerChanged {
                    instance,
                    from,
                    to,
                    at,
                } => {
                    if to == BreakerState::Open {
                        said.push(format!("Circuit breaker opened on instance {instance}."));
                        let t_s = at.as_secs_f64();
                        self.post(
                            json!({ "event": "breaker_opened", "instance": instance, "t_s": t_s }),
                        );
                    } else if (from, to) == (BreakerState::HalfOpen, BreakerState::Closed) {
                        said.push(format!(
                            "Circuit breaker closed again on instance {instance}."
                        ));
                    }
                }
                EngineNotice::ActionTaken { summary, .. } => {
                    said.push(format!("Operator: {summary}."));
                }
                EngineNotice::RestartDone { instance, .. } => {
                    said.push(format!("Instance {instance} is back after its restart."));
                }
                EngineNotice::AlertFired { rule, severity, at } => {
                    said.push(format!("Alert fired: {}.", super::words::rule_text(rule)));
                    let t_s = at.whole_secs();
                    self.post(json!({ "event": "alert_fired", "rule": rule, "severity": severity, "t_s": t_s }));
                }
                _ => {}
            }
        }
        if !said.is_empty() {
            self.announcement = said.join(" ");
        }
    }

    /// Adds a caption, unless the newest one says the same.
    fn caption(&mut self, at: SimTime, text: String) {
        if self.captions.last().is_some_and(|c| c.text == text) {
            return;
        }
        let captions = Rc::make_mut(&mut self.captions);
        captions.push(Caption {
            t_s: at.as_secs_f64(),
            text,
        });
        if captions.len() > CAPTIONS_KEPT {
            captions.remove(0);
        }
    }

    /// The caption an engine notice deserves, if any: faults starting and ending, breakers
    /// opening, alerts firing, operator actions.
    fn caption_notice(&mut self, notice: &EngineNotice) {
        let config = self.pair.a.sim().config();
        let (at, text) = match notice {
            EngineNotice::FaultStarted { .. } | EngineNotice::FaultEnded { .. }
                if self.hides_cause() =>
            {
                return
            }
            EngineNotice::FaultStarted { index, at, .. } => {
                (*at, super::words::fault_caption(&config.faults()[*index]))
            }
            EngineNotice::FaultEnded { kind, at, .. } => {
                (*at, format!("{} is over", super::words::fault_name(*kind)))
            }
            EngineNotice::BreakerChanged {
                to: BreakerState::Open,
                at,
                ..
            } => (
                *at,
                "A circuit breaker opens: its instance answers checkouts with 503 at once".into(),
            ),
            EngineNotice::AlertFired { rule, severity, at } => {
                let what = match severity {
                    outage_lab_engine::observe::Severity::Page => "Paging",
                    outage_lab_engine::observe::Severity::Warn => "Warning",
                };
                (*at, format!("{what}: {}", super::words::rule_text(*rule)))
            }
            EngineNotice::ActionTaken { summary, at, .. } => (*at, format!("Operator: {summary}")),
            _ => return,
        };
        self.caption(at, text);
    }

    /// Captions the preset's moments the clock has passed since the last look.
    fn caption_moments(&mut self) {
        let now = self.pair.a.sim().now();
        let since = self.captions_clock;
        self.captions_clock = now;
        if self.imported.is_some() || self.drill.is_some() {
            return;
        }
        for &(t_s, text) in self.preset.moments {
            let t = SimTime::from_micros((t_s * 1e6) as u64);
            if since < t && t <= now {
                self.caption(t, text.to_string());
            }
        }
    }

    /// Shows why a run stopped early (it crossed a runtime limit of the engine), once.
    fn note_stopped(&mut self) {
        if let Some(reason) = self.pair.stopped() {
            let notice = Notice::Stopped(reason);
            if self.notice.as_ref() != Some(&notice) {
                self.pair.a.pause();
                self.announcement = notice.to_string();
                self.notice = Some(notice);
            }
        }
    }

    /// The open scenario's title: the preset's, or an imported scenario's name.
    pub fn title(&self) -> &str {
        if self.drill.is_some() {
            return "Incident drill";
        }
        match &self.imported {
            Some(_) if !self.scenario.name.is_empty() => &self.scenario.name,
            _ => self.preset.title,
        }
    }

    /// A file name stem for downloads: the preset id (or `scenario`) and the seed.
    pub fn file_stem(&self) -> String {
        let base = if self.imported.is_some() {
            "scenario"
        } else {
            self.preset.id
        };
        format!("outage-lab-{base}-seed{}", self.scenario.seed)
    }
}
