//! The run on screen and, in A/B mode, its twin: side B starts as a copy of side A (same seed,
//! same arrivals) and follows A's clock, so both sides are always shown at the same instant
//! ("one clock"). Settings edit one side; faults hit both at the same instant.

use outage_lab_engine::config::Problem;
use outage_lab_engine::scenario::{Fault, OperatorAction};
use outage_lab_engine::{SimDuration, SimTime};

use super::driver::{Applied, Driver};
use super::knobs::{Knob, KNOBS};

/// Side A and, when comparing, side B.
#[derive(Clone)]
pub struct Pair {
    /// Side A: the run on screen (alone, outside A/B mode).
    pub a: Driver,
    /// Side B of an A/B comparison.
    pub b: Option<Driver>,
    /// The settings panel edits side B (only in A/B mode).
    pub editing_b: bool,
}

impl Pair {
    /// Side A alone, or with side B.
    pub fn new(a: Driver, b: Option<Driver>) -> Pair {
        Pair {
            a,
            b,
            editing_b: false,
        }
    }

    /// The side the settings panel edits.
    pub fn edited(&self) -> &Driver {
        match (&self.b, self.editing_b) {
            (Some(b), true) => b,
            _ => &self.a,
        }
    }

    /// Whether side B is behind side A's clock (it catches up before A moves on).
    pub fn b_lags(&self) -> bool {
        self.b
            .as_ref()
            .is_some_and(|b| b.sim().now() < self.a.sim().now() && !b.sim().is_finished())
    }

    /// Advances one frame within `budget_ms` of wall time as `now_ms` tells it: side A moves
    /// (with half the budget in A/B mode) only when side B is not behind, then side B follows
    /// A's clock with what is left.
    pub fn frame(&mut self, wall_dt_ms: f64, budget_ms: f64, now_ms: &dyn Fn() -> f64) {
        let started = now_ms();
        let share = if self.b.is_some() {
            budget_ms / 2.0
        } else {
            budget_ms
        };
        if !self.b_lags() {
            self.a.frame(wall_dt_ms, || now_ms() - started > share);
        }
        let a_now = self.a.sim().now();
        if let Some(b) = self.b.as_mut() {
            b.follow(a_now, || now_ms() - started > budget_ms);
        }
    }

    /// Enters A/B mode with side B a copy of side A at this instant, editing B; or leaves it.
    pub fn compare(&mut self, on: bool) {
        self.b = on.then(|| self.a.clone());
        self.editing_b = on;
    }

    /// Picks the side the settings edit (B only in A/B mode).
    pub fn edit_side(&mut self, b: bool) {
        self.editing_b = b && self.b.is_some();
    }

    /// Both sides back to time zero with their current settings, paused.
    pub fn reset(&mut self) {
        self.a.reset();
        if let Some(b) = self.b.as_mut() {
            b.reset();
        }
    }

    /// A new seed on both sides (a new run).
    pub fn set_seed(&mut self, seed: u64) {
        self.a.set_seed(seed);
        if let Some(b) = self.b.as_mut() {
            b.set_seed(seed);
        }
    }

    /// Changes one setting on the edited side.
    pub fn set_knob(&mut self, knob: &Knob, text: &str) -> Result<Applied, Vec<Problem>> {
        match (self.b.as_mut(), self.editing_b) {
            (Some(b), true) => b.set_knob(knob, text),
            _ => self.a.set_knob(knob, text),
        }
    }

    /// Injects `fault` now on both sides: side B (never ahead of A) gets it at A's start time,
    /// so both see it at the same instant without B catching up first. Both sides are checked
    /// before either changes; the start time comes back.
    pub fn inject(&mut self, fault: &Fault) -> Result<SimTime, Vec<Problem>> {
        let start = self.a.sim().now() + SimDuration::from_micros(1);
        let a = self.a.check_inject_at(fault, start)?;
        let b = match self.b.as_ref() {
            Some(b) => Some(b.check_inject_at(fault, start)?),
            None => None,
        };
        if let (Some(side), Some(checked)) = (self.b.as_mut(), b) {
            side.inject_checked(fault, start, checked)?;
        }
        self.a.inject_checked(fault, start, a)
    }

    /// Takes operator action `action` now on both sides, at the same instant (as
    /// [`Pair::inject`] does faults); when it acts comes back.
    pub fn act(&mut self, action: &OperatorAction) -> Result<SimTime, Vec<Problem>> {
        let at = self.a.sim().now() + SimDuration::from_micros(1);
        let a = self.a.check_action_at(action, at)?;
        let b = match self.b.as_ref() {
            Some(b) => Some(b.check_action_at(action, at)?),
            None => None,
        };
        if let (Some(side), Some(checked)) = (self.b.as_mut(), b) {
            side.take_action_checked(action, at, checked)?;
        }
        self.a.take_action_checked(action, at, a)
    }

    /// "Compare from 0: before vs after": side A becomes the run as it was before the settings
    /// changed during it, side B the run with the changes, both from time zero with the same
    /// timeline, editing B. False (nothing changes) when no setting changed during the run.
    pub fn compare_before_after(&mut self) -> Result<bool, Vec<Problem>> {
        let Some(before) = self.a.before_live_changes() else {
            return Ok(false);
        };
        let mut after = self.a.clone();
        after.reset();
        self.a.load(before)?;
        self.b = Some(after);
        self.editing_b = true;
        Ok(true)
    }

    /// Settings changed on either side that wait for a reset, by knob id, each once.
    pub fn pending_restart(&self) -> Vec<&'static str> {
        let mut pending = self.a.pending_restart().to_vec();
        if let Some(b) = &self.b {
            for id in b.pending_restart() {
                if !pending.contains(id) {
                    pending.push(id);
                }
            }
        }
        pending
    }

    /// The settings whose values differ between the sides, by knob id (none outside A/B).
    pub fn differs(&self) -> Vec<&'static str> {
        let Some(b) = &self.b else {
            return Vec::new();
        };
        KNOBS
            .iter()
            .filter(|k| k.get(self.a.scenario()) != k.get(b.scenario()))
            .map(|k| k.id)
            .collect()
    }

    /// Why a side's run stopped early at a runtime limit, if one did (A first).
    pub fn stopped(&self) -> Option<String> {
        self.a.stopped().or_else(|| self.b.as_ref()?.stopped())
    }
}
