//! Incident drills on the page: opening one (from a link, the picker or the trainer's form),
//! keeping its cause off the screen until the learner names it, scoring the diagnosis and
//! revealing the timeline.

use std::rc::Rc;

use serde_json::json;

use super::{Action, Page, SideB};
use crate::app::drills::{cause, DrillRun, DrillSpec, TrainerField};
use crate::app::link::query_pairs;
use crate::app::link::LinkError;
use crate::app::pacing::Speed;
use crate::app::presets::PRESETS;

impl Page {
    /// The drill a link asks for (`drill=…`), with whether it is a trainer's answer link
    /// (`answer=1`); `None` when the link is not a drill's.
    pub(super) fn drill_in_query(query: &str) -> Option<Result<(DrillSpec, bool), LinkError>> {
        let params: Vec<(String, String)> = query_pairs(query.trim_start_matches('?'))
            .map(|(k, v)| (k.to_string(), v.unwrap_or_default()))
            .collect();
        params.iter().any(|(k, _)| k == "drill").then_some(())?;
        let answer = params.iter().any(|(k, v)| k == "answer" && v == "1");
        Some(DrillSpec::from_params(&params).map(|spec| (spec, answer)))
    }

    /// Opens `spec` from time zero, paused, at 5x, its cause hidden (unless `answer_view`).
    pub(super) fn open_drill(&mut self, spec: DrillSpec, answer_view: bool) {
        let scenario = spec.scenario();
        self.leave_modes();
        self.drill = Some(Rc::new(DrillRun {
            spec,
            answer_view,
            opened_ms: self.env.now_ms(),
            choice: None,
            score: None,
            timeline: Vec::new(),
        }));
        self.preset = &PRESETS[0];
        self.open(scenario, SideB::From(None), None);
        self.pair.a.speed = Speed::Times(5.0);
        self.announcement = "Incident drill: find the root cause.".into();
        self.state_changed();
    }

    /// Whether the page must keep the drill's cause off the screen: fault bands, "active
    /// now", fault captions, the scenario's faults in the report and downloads.
    pub fn hides_cause(&self) -> bool {
        self.drill.as_ref().is_some_and(|d| !d.revealed())
    }

    /// The link parameters of the open drill, if one is open.
    pub(super) fn drill_query(&self) -> Option<String> {
        let d = self.drill.as_ref()?;
        let answer = if d.answer_view { "&answer=1" } else { "" };
        Some(format!("{}{answer}", d.spec.to_query()))
    }

    /// The drill's and the quiz's actions: a cause picked, the diagnosis, the trainer's form;
    /// an answer, the next question.
    pub(super) fn drill_action(&mut self, action: Action) {
        match action {
            Action::DrillChoice(id) => {
                if let (Some(d), Some(c)) = (self.drill.as_mut(), cause(&id)) {
                    if d.score.is_none() {
                        Rc::make_mut(d).choice = Some(c);
                    }
                }
            }
            Action::Diagnose => self.diagnose(),
            Action::TrainerCause(id, on) => {
                if let Some(c) = cause(&id) {
                    let form = Rc::make_mut(&mut self.trainer);
                    form.pool.retain(|x| *x != c.id);
                    if on {
                        form.pool.push(c.id);
                        let order =
                            |id: &&str| crate::app::drills::CAUSES.iter().position(|x| x.id == *id);
                        form.pool.sort_by_key(order);
                    }
                }
            }
            Action::TrainerField(field, text) => {
                let form = Rc::make_mut(&mut self.trainer);
                match field {
                    TrainerField::At => form.at_text = text,
                    TrainerField::Load => form.load_text = text,
                    TrainerField::Seed => form.seed_text = text,
                }
            }
            Action::OpenTrainerDrill => {
                if let Ok(spec) = self.trainer.spec() {
                    self.open_drill(spec, false);
                }
            }
            Action::QuizAnswer(status) => {
                if let Some(q) = self.quiz.as_mut() {
                    Rc::make_mut(q).pick(status);
                }
            }
            Action::QuizNext => {
                if let Some(q) = self.quiz.as_mut() {
                    Rc::make_mut(q).next();
                }
                self.state_changed();
            }
            _ => {}
        }
    }

    /// The class link and the answer link of the trainer's drill, or what is wrong with it.
    pub fn trainer_links(&self) -> Result<(String, String), String> {
        let spec = self.trainer.spec().map_err(|e| e.to_string())?;
        let base = self.env.page_url().unwrap_or_default();
        let class = format!("{base}?{}", spec.to_query());
        Ok((class.clone(), format!("{class}&answer=1")))
    }

    /// Scores the cause picked at the simulation's present, pauses, reveals the timeline and
    /// tells the host (`drill_scored`) and the progress store.
    fn diagnose(&mut self) {
        let Some(d) = self.drill.clone() else { return };
        let (Some(named), None) = (d.choice, &d.score) else {
            return;
        };
        let sim = self.pair.a.sim();
        let at = sim.now();
        let wall_s = (self.env.now_ms() - d.opened_ms) / 1000.0;
        let score = d
            .spec
            .score(named, at, wall_s, sim.summary().requests.failed);
        let timeline = self.drill_timeline(&d.spec, at.as_secs_f64(), named.choice, score.correct);
        self.pair.a.pause();
        let event = json!({
            "event": "drill_scored",
            "drill": d.spec.to_query(),
            "cause": score.actual,
            "named": score.named,
            "correct": score.correct,
            "points": score.points,
            "virtual_s": score.virtual_s,
            "wall_s": score.wall_s,
            "failed": score.failed,
            "failed_untouched": score.failed_untouched,
        });
        self.post(event);
        if Rc::make_mut(&mut self.progress).score_drill(score.actual, score.points) {
            self.store_progress();
        }
        self.announcement = format!(
            "Diagnosis {}: {} points. The cause was: {}.",
            if score.correct { "right" } else { "wrong" },
            score.points,
            d.spec.cause().choice
        );
        let run = Rc::make_mut(self.drill.as_mut().expect("open"));
        run.score = Some(score);
        run.timeline = timeline;
        self.generation += 1;
        if self.report.is_some() {
            self.build_report();
        }
        self.refresh_panels();
    }

    /// What happened when, for the reveal: the cause, the first error and alert after it, the
    /// learner's changes and actions, and the diagnosis.
    fn drill_timeline(
        &self,
        spec: &DrillSpec,
        at_s: f64,
        named: &str,
        correct: bool,
    ) -> Vec<(f64, String)> {
        let sim = self.pair.a.sim();
        let start = spec.incident_start_s();
        let cause = spec.cause();
        let mut t = vec![(
            start,
            if cause.from_start {
                format!(
                    "the cause, configured before the run began: {}",
                    cause.choice
                )
            } else {
                format!("the cause begins: {}", cause.choice)
            },
        )];
        if let Some(e) = (sim.logs().incident_starts().iter()).find(|e| e.t_ms >= start * 1000.0) {
            let on = e
                .instance
                .map(|i| format!(" (instance {i})"))
                .unwrap_or_default();
            t.push((e.t_ms / 1000.0, format!("first error{on}: {}", e.message)));
        }
        if let Some(a) = (sim.alerts().history.iter()).find(|a| a.fired_s as f64 >= start) {
            let rule = crate::app::words::rule_text(a.rule);
            t.push((a.fired_s as f64, format!("first alert: {rule}")));
        }
        for c in &self.setting_changes {
            t.push((c.t_s, format!("you set {} to {}", c.setting, c.value)));
        }
        for a in sim.config().actions() {
            let what = outage_lab_engine::config::action_name(a.kind).replace('_', " ");
            t.push((a.at.as_secs_f64(), format!("you took an action: {what}")));
        }
        let verdict = if correct { "right" } else { "wrong" };
        t.push((at_s, format!("you named: {named} ({verdict})")));
        t.sort_by(|a, b| a.0.total_cmp(&b.0));
        t
    }

    /// What the scenario picker opens: a preset, a challenge (`challenge:ID`), a guided
    /// lesson (`guide:ID`), a new drill (`drill:new`) or the quiz (`quiz`).
    pub(super) fn pick(&mut self, id: &str) {
        if let Some(c) = id.strip_prefix("challenge:") {
            self.open_challenge(c);
        } else if let Some(g) = id.strip_prefix("guide:") {
            self.open_guide(g);
        } else if id == "drill:new" {
            self.new_drill();
        } else if id == "quiz" {
            self.open_quiz(0);
        } else if let Some(p) = crate::app::presets::preset(id) {
            self.leave_modes();
            self.load_preset(p);
        }
    }

    /// A new drill over every cause, seeded from the wall clock.
    pub(super) fn new_drill(&mut self) {
        let seed = (self.env.now_ms().abs() as u64) % 1_000_000;
        self.open_drill(DrillSpec::every_cause(seed), false);
    }

    /// Leaves a drill, a challenge or the quiz (a preset or a file opened instead).
    pub(super) fn leave_modes(&mut self) {
        self.drill = None;
        self.challenge = None;
        self.quiz = None;
        self.guide = None;
    }

    /// Opens the status-code quiz at case `i` (from 0), in the lesson's place; the run below
    /// is left as it is.
    pub(super) fn open_quiz(&mut self, i: usize) {
        self.leave_modes();
        let mut quiz = crate::app::quiz::QuizRun::new();
        if i > 0 {
            quiz.question = crate::app::quiz::question(i);
        }
        self.quiz = Some(Rc::new(quiz));
        self.announcement = "Quiz: which status should this request return?".into();
        self.state_changed();
    }

    /// A quiz link (`quiz=N`, the question from 1), if the query is one: the case index, or
    /// why `N` is not a question.
    pub(super) fn quiz_in_query(query: &str) -> Option<Result<usize, String>> {
        let (_, v) = query_pairs(query.trim_start_matches('?')).find(|(k, _)| *k == "quiz")?;
        let count = crate::app::quiz::CASES.len();
        let text = v.unwrap_or_default();
        Some(match text.parse::<usize>() {
            Ok(n) if (1..=count).contains(&n) => Ok(n - 1),
            _ => Err(format!(
                "quiz: \"{text}\" is not a question number from 1 to {count}"
            )),
        })
    }

    /// The link parameters of the open quiz's question.
    pub(super) fn quiz_query(&self) -> Option<String> {
        let q = self.quiz.as_ref()?.question.as_ref()?;
        Some(format!("quiz={}", q.case + 1))
    }

    /// The seed typed during a drill: the same drill's pool, timing and load with that seed.
    pub(super) fn reseed_drill(&mut self, seed: u64) {
        if let Some(d) = &self.drill {
            let spec = DrillSpec {
                seed,
                ..d.spec.clone()
            };
            self.open_drill(spec, d.answer_view);
        }
    }
}
