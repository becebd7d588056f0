//! The one place that drives the engine: it owns the simulation and the scenario it was
//! built from, advances virtual time frame by frame within a wall-time budget, applies
//! settings live, and injects faults. Views only read what it exposes.

use outage_lab_engine::config::{Config, Problem};
use outage_lab_engine::scenario::{Fault, OperatorAction};
use outage_lab_engine::{Notice, Scenario, SimTime, Simulation};

use super::knobs::Knob;
use super::pacing::Speed;

/// Events processed between two looks at the wall clock.
pub const EVENTS_PER_CHUNK: u64 = 2_048;
/// The longest wall-clock gap one frame makes up for, in milliseconds: after a stall (a hidden
/// tab, a long garbage collection) the run goes on instead of jumping ahead.
pub const FRAME_GAP_MS_MAX: f64 = 100.0;

/// How a setting change took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The running simulation uses it from now on.
    Live,
    /// The running simulation cannot change it: it applies when the run is reset.
    OnReset,
}

/// What one frame did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameReport {
    /// Events processed.
    pub events: u64,
    /// Virtual seconds advanced.
    pub virtual_s: f64,
    /// The run fell short of the speed asked for (the budget ran out first).
    pub lagging: bool,
}

/// Owns and paces one simulation. A clone is an independent copy of the run, at the same
/// instant and with the same random streams (the B side of an A/B comparison).
#[derive(Clone)]
pub struct Driver {
    scenario: Scenario,
    sim: Simulation,
    /// The playback speed.
    pub speed: Speed,
    /// Playback pauses when the clock reaches this time (an embed's `stop`).
    pub pause_at: Option<SimTime>,
    playing: bool,
    /// A single step under way: frames advance to this time, within their budget, paused.
    step_target: Option<SimTime>,
    pending_restart: Vec<&'static str>,
    /// The scenario as it was before the first setting changed during this run (not at time
    /// zero): what "compare from 0: before vs after" runs as side A.
    before_live_changes: Option<Scenario>,
    achieved_speed: f64,
    lagging: bool,
}

impl Driver {
    /// A paused driver at time zero of `scenario`, or every problem the scenario has.
    pub fn new(scenario: Scenario, speed: Speed) -> Result<Driver, Vec<Problem>> {
        let sim = Simulation::new(Config::from_scenario(&scenario)?);
        Ok(Driver {
            scenario,
            sim,
            speed,
            pause_at: None,
            playing: false,
            step_target: None,
            pending_restart: Vec::new(),
            before_live_changes: None,
            achieved_speed: 0.0,
            lagging: false,
        })
    }

    /// The scenario a reset starts from: the loaded one with every change made since,
    /// injected faults included (what a shared link carries).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The running simulation, to read.
    pub fn sim(&self) -> &Simulation {
        &self.sim
    }

    /// Whether time is moving.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Settings changed that wait for a reset, by knob id.
    pub fn pending_restart(&self) -> &[&'static str] {
        &self.pending_restart
    }

    /// The scenario before the first setting changed during this run, if one did after time
    /// zero, with this run's timeline (faults and operator actions, injected ones included).
    pub fn before_live_changes(&self) -> Option<Scenario> {
        self.before_live_changes.as_ref().map(|before| Scenario {
            faults: self.scenario.faults.clone(),
            actions: self.scenario.actions.clone(),
            ..before.clone()
        })
    }

    /// Virtual seconds per wall second over the last frames (smoothed).
    pub fn achieved_speed(&self) -> f64 {
        self.achieved_speed
    }

    /// Whether the last frame fell short of the speed asked for.
    pub fn is_lagging(&self) -> bool {
        self.lagging
    }

    /// Whether a single step is under way (frames carry it out within their budget).
    pub fn is_stepping(&self) -> bool {
        self.step_target.is_some()
    }

    /// Whether frames have work to do: playing, or stepping.
    pub fn is_busy(&self) -> bool {
        self.playing || self.step_target.is_some()
    }

    /// Starts or resumes time; from the end, it starts the run again.
    pub fn play(&mut self) {
        if self.sim.is_finished() {
            self.reset();
        }
        self.step_target = None;
        self.playing = true;
    }

    /// Stops time (a step under way stops too).
    pub fn pause(&mut self) {
        self.playing = false;
        self.step_target = None;
        self.lagging = false;
    }

    /// Back to time zero with the current scenario (pending settings included), paused.
    pub fn reset(&mut self) {
        let config = Config::from_scenario(&self.scenario)
            .expect("the driver's scenario was validated when it was changed");
        self.sim = Simulation::new(config);
        self.pending_restart.clear();
        self.before_live_changes = None;
        self.playing = false;
        self.step_target = None;
        self.lagging = false;
        self.achieved_speed = 0.0;
    }

    /// Replaces the scenario (a preset, a link) and resets, paused.
    pub fn load(&mut self, scenario: Scenario) -> Result<(), Vec<Problem>> {
        Config::from_scenario(&scenario)?;
        self.scenario = scenario;
        self.reset();
        Ok(())
    }

    /// A new seed starts a new run (same settings, other random draws).
    pub fn set_seed(&mut self, seed: u64) {
        self.scenario.seed = seed;
        self.reset();
    }

    /// Advances one frame: `wall_dt_ms` since the last frame, at the chosen speed, until
    /// `out_of_time` says the frame's budget is spent (it is asked between chunks of
    /// [`EVENTS_PER_CHUNK`] events). Does nothing while paused.
    pub fn frame(&mut self, wall_dt_ms: f64, out_of_time: impl FnMut() -> bool) -> FrameReport {
        if let Some(target) = self.step_target.filter(|_| !self.playing) {
            let events_before = self.sim.events();
            let before = self.sim.now();
            if self.follow(target, out_of_time) {
                self.step_target = None;
            }
            return FrameReport {
                events: self.sim.events() - events_before,
                virtual_s: self.sim.now().since(before).as_secs_f64(),
                lagging: false,
            };
        }
        if !self.playing {
            return FrameReport::default();
        }
        let dt_ms = wall_dt_ms.clamp(0.0, FRAME_GAP_MS_MAX);
        let before = self.sim.now();
        let target = match self.speed {
            Speed::Times(x) => {
                before + outage_lab_engine::SimDuration::from_micros((dt_ms * x * 1000.0) as u64)
            }
            Speed::Max => self.sim.end(),
        };
        let stop = self.pause_at.filter(|t| *t > before);
        let target = stop.map_or(target, |t| target.min(t));
        let events_before = self.sim.events();
        let reached = self.follow(target, out_of_time);
        let events = self.sim.events() - events_before;
        let virtual_s = self.sim.now().since(before).as_secs_f64();
        self.lagging = !reached && matches!(self.speed, Speed::Times(_));
        if dt_ms > 0.0 {
            let speed = virtual_s / (dt_ms / 1000.0);
            self.achieved_speed = if self.achieved_speed == 0.0 {
                speed
            } else {
                0.9 * self.achieved_speed + 0.1 * speed
            };
        }
        if self.sim.is_finished() || stop.is_some_and(|t| self.sim.now() >= t) {
            self.playing = false;
            self.lagging = false;
        }
        FrameReport {
            events,
            virtual_s,
            lagging: self.lagging,
        }
    }

    /// Advances to `target` in chunks of [`EVENTS_PER_CHUNK`] events until `out_of_time`; true
    /// once there. Frames use it, and side B follows side A's clock with it.
    pub fn follow(&mut self, target: SimTime, mut out_of_time: impl FnMut() -> bool) -> bool {
        loop {
            if self.sim.run_until_budget(target, EVENTS_PER_CHUNK).reached {
                return true;
            }
            if out_of_time() {
                return false;
            }
        }
    }

    /// Pauses and fast-forwards to `t` (a preset's start): the following frames carry it out
    /// within their budget, as a step.
    pub fn skip_to(&mut self, t: SimTime) {
        self.playing = false;
        self.lagging = false;
        if t > self.sim.now() {
            self.step_target = Some(t.min(self.sim.end()));
        }
    }

    /// Runs to `t` at once, if it is no more than a millisecond ahead (an operator action
    /// taken while paused acts a microsecond from now, and the screen should show it).
    pub fn step_to(&mut self, t: SimTime) {
        if t <= self.sim.now() + outage_lab_engine::SimDuration::from_millis(1) {
            self.sim.run_until(t);
        }
    }

    /// Pauses and starts a step to the next whole virtual second (one row of the charts); the
    /// following frames carry it out within their budget, so a heavy second never blocks.
    pub fn step_second(&mut self) {
        self.playing = false;
        self.lagging = false;
        if self.sim.is_finished() {
            return;
        }
        let from = self.step_target.unwrap_or(self.sim.now());
        self.step_target = Some(SimTime::from_secs(from.whole_secs() + 1).min(self.sim.end()));
    }

    /// Changes one setting to what `text` says. Live settings take effect now; the others
    /// wait for a reset (and say so). On a problem nothing changes.
    pub fn set_knob(&mut self, knob: &Knob, text: &str) -> Result<Applied, Vec<Problem>> {
        let change = knob.apply(&self.scenario, text)?;
        if self.sim.now() > SimTime::ZERO && self.before_live_changes.is_none() {
            self.before_live_changes = Some(self.scenario.clone());
        }
        self.scenario = change.scenario;
        if !knob.live() {
            if !self.pending_restart.contains(&knob.id) {
                self.pending_restart.push(knob.id);
            }
            return Ok(Applied::OnReset);
        }
        let mut config = change.config;
        config.keep_fixed_from(self.sim.config());
        self.sim
            .reconfigure(config)
            .expect("restart-only settings were kept as they run");
        Ok(Applied::Live)
    }

    /// Injects a fault now; it is also written on the scenario's timeline at the time it
    /// starts, so a reset or a shared link replays it.
    pub fn inject(&mut self, fault: &Fault) -> Result<SimTime, Vec<Problem>> {
        self.inject_at(
            fault,
            self.sim.now() + outage_lab_engine::SimDuration::from_micros(1),
        )
    }

    /// Injects a fault that starts at `start` (later than now). It is checked twice, against
    /// the running simulation and against the scenario it is written into (whose restart-only
    /// settings, such as the instance count, may already differ): a fault that either would
    /// refuse changes nothing, so a reset can never meet an invalid scenario.
    pub fn inject_at(&mut self, fault: &Fault, start: SimTime) -> Result<SimTime, Vec<Problem>> {
        let next = self.check_inject_at(fault, start)?;
        self.inject_checked(fault, start, next)
    }

    /// Injects a fault that [`Driver::check_inject_at`] accepted, with the scenario it returned
    /// (so the scenario is not validated a second time).
    pub fn inject_checked(
        &mut self,
        fault: &Fault,
        start: SimTime,
        checked: Scenario,
    ) -> Result<SimTime, Vec<Problem>> {
        let start = self.sim.inject_fault_at(fault, start)?;
        self.scenario = checked;
        Ok(start)
    }

    /// What [`Driver::inject_at`] checks, changing nothing: the scenario with the fault written
    /// in, or every problem (paths name the fault as `fault`).
    pub fn check_inject_at(&self, fault: &Fault, start: SimTime) -> Result<Scenario, Vec<Problem>> {
        self.sim.check_fault_at(fault, start)?;
        let mut next = self.scenario.clone();
        next.faults.push(Fault {
            start_s: start.as_micros() as f64 / 1e6,
            ..fault.clone()
        });
        let written = format!("faults[{}]", next.faults.len() - 1);
        if let Err(problems) = Config::from_scenario(&next) {
            return Err(problems
                .into_iter()
                .map(|p| Problem {
                    path: p.path.replacen(&written, "fault", 1),
                    message: p.message,
                })
                .collect());
        }
        Ok(next)
    }

    /// What [`Driver::take_action_at`] checks, changing nothing: the scenario with the action
    /// written in, or every problem (paths name the action as `action`).
    pub fn check_action_at(
        &self,
        action: &OperatorAction,
        at: SimTime,
    ) -> Result<Scenario, Vec<Problem>> {
        self.sim.check_action_at(action, at)?;
        let mut next = self.scenario.clone();
        next.actions.push(OperatorAction {
            at_s: at.as_micros() as f64 / 1e6,
            ..action.clone()
        });
        let written = format!("actions[{}]", next.actions.len() - 1);
        Config::from_scenario(&next).map_err(|problems| {
            (problems.into_iter())
                .map(|p| Problem {
                    path: p.path.replacen(&written, "action", 1),
                    message: p.message,
                })
                .collect::<Vec<_>>()
        })?;
        Ok(next)
    }

    /// Takes an operator action that [`Driver::check_action_at`] accepted at `at`, with the
    /// scenario it returned: it acts then, and is written on the timeline (a reset or a link
    /// replays it).
    pub fn take_action_checked(
        &mut self,
        action: &OperatorAction,
        at: SimTime,
        checked: Scenario,
    ) -> Result<SimTime, Vec<Problem>> {
        let at = self.sim.take_action_at(action, at)?;
        self.scenario = checked;
        Ok(at)
    }

    /// Takes an operator action at `at` (later than now), checked as
    /// [`Driver::check_action_at`] says.
    pub fn take_action_at(
        &mut self,
        action: &OperatorAction,
        at: SimTime,
    ) -> Result<SimTime, Vec<Problem>> {
        let next = self.check_action_at(action, at)?;
        self.take_action_checked(action, at, next)
    }

    /// What changed in the run since the last drain (alerts, breakers, faults, incidents),
    /// oldest first.
    pub fn drain_notices(&mut self) -> Vec<Notice> {
        self.sim.drain_notices()
    }

    /// Why the run stopped early, if it crossed a runtime limit of the engine's work model.
    pub fn stopped(&self) -> Option<String> {
        self.sim.stopped().map(ToString::to_string)
    }
}
