//! Guided lessons on the page: opening one on its preset at 0 s, holding the run while a
//! prediction waits for its answer, advancing steps on their conditions, pausing at the key
//! moment, and telling the host and the progress store when a lesson is complete.

use std::rc::Rc;

use serde_json::json;

use super::{Action, Page, SideB};
use crate::app::challenges::measure;
use crate::app::guide::{guide, GuideRun, Region, Until};
use crate::app::link::{query_pairs, LinkState};
use crate::app::presets::preset;

impl Page {
    /// Opens guided lesson `id` on its preset at 0 s, paused, at the lesson's speed.
    pub(super) fn open_guide(&mut self, id: &str) {
        let Some(g) = guide(id) else { return };
        let (Some(p), Some(state)) = (preset(g.preset), LinkState::from_preset(g.preset)) else {
            return;
        };
        self.leave_modes();
        self.preset = p;
        self.guide = Some(Rc::new(GuideRun {
            id: g.id,
            step: 0,
            answer: None,
            predictions: (0, 0),
            step_run: 0,
            note: None,
        }));
        self.guide_opened_ms = self.env.now_ms();
        self.open(state.scenario, SideB::From(None), None);
        self.pair.a.speed = g.speed;
        if let Some(run) = self.guide.as_mut() {
            Rc::make_mut(run).step_run = self.run;
        }
        self.announcement = format!("Guided lesson: {}.", g.title);
        self.state_changed();
    }

    /// A guided lesson's link (`guide=ID`), if the query is one: the id, or why it is not a
    /// lesson.
    pub(super) fn guide_in_query(query: &str) -> Option<Result<&'static str, String>> {
        let (_, v) = query_pairs(query.trim_start_matches('?')).find(|(k, _)| *k == "guide")?;
        let text = v.unwrap_or_default();
        Some(guide(&text).map(|g| g.id).ok_or_else(|| {
            let ids: Vec<&str> = crate::app::guide::GUIDES.iter().map(|g| g.id).collect();
            format!("guide: \"{text}\" is not a lesson ({})", ids.join(", "))
        }))
    }

    /// The link parameters of the open lesson.
    pub(super) fn guide_query(&self) -> Option<String> {
        Some(format!("guide={}", self.guide.as_ref()?.id))
    }

    /// Whether the run must wait: a prediction is not answered yet.
    pub(super) fn guide_holds_run(&self) -> bool {
        self.guide.as_ref().is_some_and(|g| g.awaits_answer())
    }

    /// The part of the page the step shown points at.
    pub fn guide_focus(&self) -> Option<Region> {
        Some(self.guide.as_ref()?.current()?.points_at)
    }

    /// The guided lesson's actions: an answer to the prediction, "Next".
    pub(super) fn guide_action(&mut self, action: Action) {
        let Some(run) = self.guide.as_mut() else {
            return;
        };
        let Some(step) = run.current() else { return };
        match action {
            Action::GuideAnswer(i) => {
                if let (Some(p), None) = (&step.predict, run.answer) {
                    if i < p.options.len() {
                        let run = Rc::make_mut(run);
                        run.answer = Some(i);
                        run.predictions.1 += 1;
                        run.predictions.0 += u32::from(i == p.right);
                        // The settings open once the question is answered (on a phone the
                        // sheet would cover it).
                        if matches!(step.points_at, Region::Settings(_)) {
                            self.settings_open = true;
                        }
                    }
                }
            }
            Action::GuideNext if matches!(step.until, Until::Next) && !run.awaits_answer() => {
                self.advance_guide();
            }
            _ => {}
        }
    }

    /// Ends the step shown if its condition holds now.
    pub(super) fn check_guide(&mut self) {
        let Some(run) = self.guide.clone() else {
            return;
        };
        let Some(step) = run.current() else { return };
        if run.awaits_answer() {
            return;
        }
        let sim = self.pair.a.sim();
        let met = match &step.until {
            Until::Next => false,
            Until::Run(f) => f(sim),
            Until::Settings(f) => f(self.pair.a.scenario()),
            Until::Verified(requirements) => {
                let to_s = requirements.iter().map(|r| r.to_s).max().unwrap_or(0);
                if self.run == run.step_run || sim.now().as_secs_f64() < (to_s + 1) as f64 {
                    return;
                }
                let summary = sim.summary();
                let measured: Vec<_> = (requirements.iter())
                    .map(|r| measure(r, sim.seconds(), &summary))
                    .collect();
                let failed: Vec<String> = (measured.iter())
                    .filter(|m| !m.passed)
                    .map(|m| format!("{}: measured {}", m.text, crate::app::charts::trim(m.value)))
                    .collect();
                if !failed.is_empty() {
                    let r = Rc::make_mut(self.guide.as_mut().expect("open"));
                    r.note = Some(format!(
                        "Not yet: {}. Check the setting, then Reset and run again.",
                        failed.join("; ")
                    ));
                    r.step_run = self.run;
                }
                failed.is_empty()
            }
        };
        if met {
            if step.pause_when_met {
                self.pair.a.pause();
                self.refresh_panels();
            }
            self.advance_guide();
        }
    }

    /// Goes to the next step (opening the settings when it points there), or completes the
    /// lesson after the last.
    fn advance_guide(&mut self) {
        let run = Rc::make_mut(self.guide.as_mut().expect("open"));
        run.step += 1;
        run.answer = None;
        run.note = None;
        run.step_run = self.run;
        if let Some(step) = run.current() {
            if matches!(step.points_at, Region::Settings(_)) && step.predict.is_none() {
                self.settings_open = true;
            }
            self.announcement = step.text.to_string();
        } else {
            self.complete_guide();
        }
    }

    /// Tells the host (`lesson_completed`) and the progress store.
    fn complete_guide(&mut self) {
        let Some(run) = self.guide.clone() else {
            return;
        };
        let wall_s = (self.env.now_ms() - self.guide_opened_ms) / 1000.0;
        self.post(json!({
            "event": "lesson_completed",
            "lesson": run.id,
            "predictions_right": run.predictions.0,
            "predictions": run.predictions.1,
            "wall_s": wall_s,
        }));
        if Rc::make_mut(&mut self.progress).complete_lesson(run.id) {
            self.store_progress();
        }
        self.announcement = format!("Lesson complete: {}.", run.guide().title);
    }
}
