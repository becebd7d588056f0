//! The page's reducer, natively: what a person, a frame or a host page does to the page, and
//! the effects it leaves for the browser (address, host messages, downloads, frames).

use std::cell::Cell;
use std::rc::Rc;

use outage_lab::app::embed::Command;
use outage_lab::app::faults::FAULT_BUTTONS;
use outage_lab::app::link::decode;
use outage_lab::app::page::{Action, Effect, Env, ExportKind, Notice, Page};
use outage_lab_engine::scenario::FaultKind;

/// A wall clock that moves 1 ms each time it is read, and a fixed address.
struct FakeEnv(Rc<Cell<f64>>);

impl Env for FakeEnv {
    fn now_ms(&self) -> f64 {
        self.0.set(self.0.get() + 1.0);
        self.0.get()
    }
    fn page_url(&self) -> Option<String> {
        Some("https://lab.example/app/".into())
    }
}

pub(crate) fn open(query: &str) -> Page {
    Page::new(query, query, Box::new(FakeEnv(Rc::new(Cell::new(0.0)))))
}

fn written(effects: &[Effect]) -> Option<String> {
    effects.iter().rev().find_map(|e| match e {
        Effect::WriteAddress(q) => Some(q.clone()),
        _ => None,
    })
}

/// Runs frames 16 ms apart until the page asks for no more (or `frames_max` frames).
pub(crate) fn run_frames(page: &mut Page, frames_max: usize) -> Vec<Effect> {
    let mut all = Vec::new();
    let mut ts = 1000.0;
    for _ in 0..frames_max {
        ts += 16.0;
        page.reduce(Action::Frame(ts));
        let effects = page.take_effects();
        let more = effects.contains(&Effect::RequestFrame);
        all.extend(effects);
        if !more {
            break;
        }
    }
    all
}

fn fault_index(kind: FaultKind) -> usize {
    FAULT_BUTTONS
        .iter()
        .position(|b| b.kind == kind)
        .expect("a button")
}

#[test]
fn opening_a_link_writes_the_address_and_a_broken_one_says_why_without_writing() {
    let mut page = open("?v=2&preset=seed-incident&seed=7&speed=10");
    let effects = page.take_effects();
    let query = written(&effects).expect("the address is written");
    assert!(
        query.contains("preset=seed-incident") && query.contains("seed=7"),
        "{query}"
    );
    assert!(effects.contains(&Effect::RememberQuery(format!("?{query}"))));
    assert_eq!(page.link_text, format!("https://lab.example/app/?{query}"));
    assert_eq!(page.notice, None);

    let mut broken = open("?v=2&preset=seed-incident&z=%%%");
    let effects = broken.take_effects();
    assert!(
        matches!(broken.notice, Some(Notice::BrokenLink(_))),
        "{:?}",
        broken.notice
    );
    assert_eq!(
        written(&effects),
        None,
        "a broken link stays in the address bar"
    );
    assert_eq!(broken.preset.id, "baseline");
}

#[test]
fn a_setting_changes_the_run_and_the_link_and_a_bad_value_changes_neither() {
    let mut page = open("?v=2&preset=seed-incident");
    page.take_effects();
    let generation = page.generation;
    page.reduce(Action::Knob("db_pool.max_size", "50".into()));
    let query = written(&page.take_effects()).expect("the link follows the change");
    let state = decode(&query).expect("the link opens");
    assert_eq!(state.scenario.db_pool.max_size, 50);
    assert_eq!(
        page.pair.a.sim().config().pool_max_size(),
        50,
        "live: the run uses it now"
    );
    assert!(page.generation > generation);

    page.reduce(Action::Knob("db_pool.max_size", "0".into()));
    assert_eq!(written(&page.take_effects()), None);
    assert_eq!(page.problems.len(), 1);
    assert!(
        page.problems[0].path.contains("max_size"),
        "{:?}",
        page.problems
    );
    assert_eq!(
        page.pair.a.scenario().db_pool.max_size,
        50,
        "the refused value changed nothing"
    );

    page.reduce(Action::Knob("instances.count", "6".into()));
    assert_eq!(
        *page.pending,
        vec!["instances.count"],
        "restart-only: waits for a reset"
    );
    assert!(page.announcement.contains("applies when the run is reset"));
    page.reduce(Action::Reset);
    assert!(page.pending.is_empty());
    assert_eq!(page.pair.a.sim().config().instance_count(), 6);
}

#[test]
fn a_b_edits_side_b_only_keeps_one_clock_and_faults_hit_both_sides_at_once() {
    let mut page = open("?v=2&preset=baseline&speed=10");
    let pool_a = page.pair.a.scenario().db_pool.max_size;
    page.reduce(Action::Step);
    run_frames(&mut page, 1000);
    page.reduce(Action::Compare(true));
    assert!(page.take_effects().contains(&Effect::RedrawCharts));
    assert!(page.pair.editing_b);
    page.reduce(Action::Knob("db_pool.max_size", "77".into()));
    assert_eq!(*page.differs, vec!["db_pool.max_size"]);
    assert_eq!(
        page.pair.a.scenario().db_pool.max_size,
        pool_a,
        "side A untouched"
    );
    assert!(written(&page.take_effects())
        .expect("written")
        .contains("&b="));

    page.reduce(Action::PlayPause);
    let mut ts = 0.0;
    for _ in 0..40 {
        ts += 16.0;
        page.reduce(Action::Frame(ts));
        let (a, b) = (
            page.pair.a.sim().now(),
            page.pair.b.as_ref().expect("B").sim().now(),
        );
        assert!(b <= a, "side B never runs ahead of A");
    }
    page.reduce(Action::PlayPause);
    page.take_effects();
    run_frames(&mut page, 1000);
    let b = page.pair.b.as_ref().expect("B");
    assert_eq!(
        b.sim().now(),
        page.pair.a.sim().now(),
        "paused, B catches up with A"
    );

    page.reduce(Action::Fault(fault_index(FaultKind::DbSlow)));
    assert_eq!(page.faults.problem, None);
    let a_fault = page
        .pair
        .a
        .scenario()
        .faults
        .last()
        .expect("written on A")
        .clone();
    let b_fault = page
        .pair
        .b
        .as_ref()
        .expect("B")
        .scenario()
        .faults
        .last()
        .expect("on B")
        .clone();
    assert_eq!(
        a_fault, b_fault,
        "the same fault at the same instant on both sides"
    );
    assert!(page.announcement.starts_with("Missing index injected at"));

    page.reduce(Action::FaultDuration("soon".into()));
    page.reduce(Action::Fault(fault_index(FaultKind::DbSlow)));
    assert!(page
        .faults
        .problem
        .as_deref()
        .is_some_and(|p| p.contains("soon")));
    assert_eq!(
        page.pair.a.scenario().faults.len(),
        1,
        "a refused fault adds nothing"
    );
}

#[test]
fn host_commands_are_obeyed_and_answered_to_their_origin() {
    let mut page = open("?v=2&preset=baseline&embed=1&origins=https://docs.example");
    let effects = page.take_effects();
    assert_eq!(
        written(&effects),
        None,
        "an embed leaves the host's address alone"
    );
    let origin = "https://docs.example".to_string();

    assert!(!page.reduce(Action::Command(Command::GetState, origin.clone())));
    let reply = page.take_effects().into_iter().find_map(|e| match e {
        Effect::Reply { origin, message } => Some((origin, message)),
        _ => None,
    });
    let (to, message) = reply.expect("a state reply");
    assert_eq!(to, origin);
    assert_eq!(message["type"], "state");
    assert_eq!(message["preset"], "baseline");
    assert!(decode(message["link"].as_str().expect("a link")).is_ok());

    assert!(!page.reduce(Action::Command(
        Command::LoadPreset("nope".into()),
        origin.clone()
    )));
    let effects = page.take_effects();
    assert!(matches!(&effects[..], [Effect::Reply { message, .. }] if message["type"] == "error"));

    assert!(page.reduce(Action::Command(
        Command::LoadPreset("upstream-hang".into()),
        origin.clone()
    )));
    assert_eq!(page.preset.id, "upstream-hang");
    assert!(page.reduce(Action::Command(Command::Play, origin.clone())));
    assert!(page.take_effects().contains(&Effect::RequestFrame));
    assert!(page.pair.a.is_playing());
    assert!(page.reduce(Action::Command(Command::Pause, origin)));
    assert!(!page.pair.a.is_playing());
}

#[test]
fn a_finished_run_posts_run_finished_once_with_its_summary() {
    let mut page = open("?v=2&preset=baseline&duration_s=20");
    page.reduce(Action::Knob("duration_s", "5".into()));
    page.reduce(Action::Reset);
    page.reduce(Action::RunToEnd);
    let effects = run_frames(&mut page, 10_000);
    assert!(page.pair.a.sim().is_finished());
    let finished: Vec<&Effect> = effects
        .iter()
        .filter(|e| matches!(e, Effect::Post { message, .. } if message["event"] == "run_finished"))
        .collect();
    assert_eq!(finished.len(), 1, "{finished:?}");
    let summary = page.summary_json.as_ref().expect("a summary");
    assert!(
        summary.contains("\"sim_seconds\":5.0"),
        "{}",
        &summary[..80]
    );
    assert!(
        !page.reduce(Action::Frame(1e9)),
        "a finished, paused page has no frame work"
    );
}

#[test]
fn exports_are_named_after_the_preset_and_seed() {
    let mut page = open("?v=2&preset=cache-stampede&seed=9");
    page.take_effects();
    assert!(!page.reduce(Action::Export(ExportKind::Scenario)));
    match &page.take_effects()[..] {
        [Effect::Download { name, mime, text }] => {
            assert_eq!(name, "outage-lab-cache-stampede-seed9.json");
            assert_eq!(*mime, "application/json");
            assert!(text.contains("\"seed\": 9"), "{}", &text[..60]);
        }
        other => panic!("{other:?}"),
    }
    page.reduce(Action::ExportChart(0, true));
    assert!(matches!(&page.take_effects()[..],
        [Effect::DownloadChart { index: 0, svg: true, name }] if name.starts_with("outage-lab-cache-stampede-seed9-")));
}

#[test]
fn breaker_openings_and_alerts_are_announced_and_posted_from_the_runs_notices() {
    let mut page = open("?v=2&preset=upstream-hang-fixed&embed=1");
    page.reduce(Action::RunToEnd);
    let effects = run_frames(&mut page, 100_000);
    let posted = |event: &str| -> Vec<serde_json::Value> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Post { message, .. } if message["event"] == event => Some(message.clone()),
                _ => None,
            })
            .collect()
    };
    let opened = posted("breaker_opened");
    assert!(!opened.is_empty(), "the hung gateway opens breakers");
    let t0 = opened[0]["t_s"].as_f64().expect("a time");
    assert!(
        t0 > 60.0 && t0 < 90.0,
        "opened soon after the hang at 60 s: {t0}"
    );
    let fired = posted("alert_fired");
    let history = &page.pair.a.sim().alerts().history;
    assert_eq!(fired.len(), history.len(), "one event per firing");
    for (event, alert) in fired.iter().zip(history) {
        assert_eq!(event["t_s"].as_u64(), Some(alert.fired_s));
    }
    assert_eq!(posted("run_finished").len(), 1);
}

#[test]
fn a_first_visit_opens_the_incident_fast_forwarded_and_captions_its_moment() {
    let mut page = open("");
    assert_eq!(page.preset.id, "seed-incident");
    assert!(page.take_effects().contains(&Effect::RequestFrame));
    run_frames(&mut page, 10_000);
    assert_eq!(page.pair.a.sim().now().as_secs_f64(), 50.0);
    assert!(!page.pair.a.is_playing(), "fast-forwarded, paused");
    assert!(page.captions[0].text.starts_with("Fast-forwarded to 50 s"));
    page.reduce(Action::PlayPause);
    while page.pair.a.sim().now().as_secs_f64() < 61.0 {
        run_frames(&mut page, 100);
    }
    let index = (page.captions.iter())
        .find(|c| c.text.starts_with("Missing index"))
        .expect("the fault is captioned");
    assert_eq!(index.t_s, 60.0);
    // The pool alert that follows a second later is captioned too.
    assert!(
        page.captions
            .iter()
            .any(|c| c.text.starts_with("Paging: DB pool use")),
        "{:?}",
        page.captions
    );
    // A link opens at time zero, as shared.
    let linked = open("?v=2&preset=seed-incident&seed=42&speed=2");
    assert_eq!(linked.pair.a.sim().now().as_secs_f64(), 0.0);
}

#[test]
fn operator_actions_and_compare_from_zero_finish_a_fix_made_during_the_run() {
    use outage_lab::app::operator::OPERATOR_BUTTONS;
    use outage_lab_engine::scenario::ActionKind;
    let mut page = open("?v=2&preset=seed-incident&seed=42&speed=max");
    page.reduce(Action::PlayPause);
    while page.pair.a.sim().now().as_secs_f64() < 100.0 {
        run_frames(&mut page, 1);
    }
    page.reduce(Action::PlayPause);
    page.reduce(Action::Knob("db_pool.max_size", "50".into()));
    page.reduce(Action::Knob("database.query_timeout_ms", "10000".into()));
    let carried = page.pair.a.sim().snapshot().carried_over;
    assert!(carried.queries_without_timeout >= 190, "{carried:?}");
    // Paused, a kill takes effect at once and is written on the timeline.
    let kill = OPERATOR_BUTTONS
        .iter()
        .position(|b| b.kind == ActionKind::KillQueries)
        .expect("a kill button");
    page.reduce(Action::QueryAge("0".into()));
    page.reduce(Action::Operate(kill));
    assert_eq!(
        page.pair
            .a
            .sim()
            .snapshot()
            .carried_over
            .queries_without_timeout,
        0
    );
    assert!(
        page.announcement.contains("cancelled"),
        "{}",
        page.announcement
    );
    assert_eq!(page.pair.a.scenario().actions.len(), 1);
    assert!(page.operator.problem.is_none());
    page.reduce(Action::QueryAge("soon".into()));
    page.reduce(Action::Operate(kill));
    assert!(page
        .operator
        .problem
        .as_deref()
        .unwrap()
        .starts_with("query age:"));
    // Compare from 0: A has the settings from before the change, B the change; both at 0 s,
    // with the same timeline, editing B.
    page.reduce(Action::CompareBeforeAfter);
    let b = page.pair.b.as_ref().expect("side B");
    assert_eq!(page.pair.a.scenario().db_pool.max_size, 10);
    assert_eq!(b.scenario().db_pool.max_size, 50);
    assert_eq!(page.pair.a.scenario().actions, b.scenario().actions);
    assert!(page.pair.editing_b && page.settings_open);
    assert!(page.pair.a.sim().now().as_secs_f64() < 1.0);
}

#[test]
fn a_challenge_link_opens_its_start_and_finishing_the_run_gives_the_judges_verdict() {
    let mut page = open("?v=2&challenge=stampede&speed=max");
    let c = page.challenge.expect("a challenge");
    assert_eq!(c.id, "stampede");
    page.take_effects();
    page.reduce(Action::Knob(
        "cache.stampede_protection",
        "coalescing".into(),
    ));
    assert!(
        page.link_text.contains("challenge=stampede"),
        "{}",
        page.link_text
    );
    assert!(
        page.link_text.contains("&z="),
        "the change travels in the link"
    );
    page.reduce(Action::PlayPause);
    let effects = run_frames(&mut page, 100_000);
    let verdict = page.verdict.as_ref().expect("judged at the end");
    assert!(verdict.0.passed, "{:?}", verdict.0);
    assert_eq!(verdict.0.changes, ["cache.stampede_protection"]);
    let passed = effects.iter().any(|e| {
        matches!(e, Effect::Post { message, .. } if message.to_string().contains("challenge_passed"))
    });
    assert!(passed, "the host hears the challenge passed");
    // Progress is kept for the next visit (where storage exists).
    let stored = effects.iter().find_map(|e| match e {
        Effect::Store { key, value } if key == "outage-lab.progress" => Some(value.clone()),
        _ => None,
    });
    assert_eq!(
        stored.as_deref(),
        Some(r#"{"challenges_passed":["stampede"],"lessons_completed":[],"drill_best":{}}"#)
    );
    assert_eq!(page.progress.challenges_passed.as_slice(), ["stampede"]);
    // The shared result reopens the same challenge with the same change.
    let query = page
        .link_text
        .split_once('?')
        .expect("a query")
        .1
        .to_string();
    let again = open(&format!("?{query}"));
    assert_eq!(again.challenge.map(|c| c.id), Some("stampede"));
    assert_eq!(again.pair.a.scenario(), page.pair.a.scenario());
    // A challenge that does not exist is named.
    let broken = open("?v=2&challenge=nope");
    assert!(matches!(&broken.notice, Some(Notice::BrokenLink(e)) if e.contains("challenge")));
}

#[test]
fn a_host_sets_a_setting_injects_a_fault_runs_to_a_time_and_hears_every_second() {
    let mut page = open("?v=2&preset=baseline&embed=1&origins=https://docs.example");
    page.take_effects();
    let origin = "https://docs.example".to_string();
    let obey = |page: &mut Page, c: Command| {
        page.reduce(Action::Command(c, origin.clone()));
        page.take_effects()
    };
    let error = |effects: &[Effect]| {
        effects.iter().find_map(|e| match e {
            Effect::Reply { message, .. } if message["type"] == "error" => {
                Some(message["message"].as_str().unwrap_or_default().to_string())
            }
            _ => None,
        })
    };
    obey(
        &mut page,
        Command::Set {
            setting: "db_pool.max_size".into(),
            value: "25".into(),
        },
    );
    assert_eq!(page.pair.a.scenario().db_pool.max_size, 25);
    let e = obey(
        &mut page,
        Command::Set {
            setting: "db_pool.max_size".into(),
            value: "-1".into(),
        },
    );
    assert!(
        error(&e).is_some_and(|m| m.starts_with("set: db_pool.max_size:")),
        "{e:?}"
    );
    let e = obey(
        &mut page,
        Command::Set {
            setting: "db.size".into(),
            value: "1".into(),
        },
    );
    assert_eq!(
        error(&e).as_deref(),
        Some("set: \"db.size\" is not a setting")
    );
    // Subscribe, inject a missing index, run to 20 s: one `second` message per second.
    obey(&mut page, Command::Subscribe(true));
    let fault = serde_json::json!({"kind": "db_slow", "duration_s": 60, "multiplier": 100});
    obey(&mut page, Command::Fault(fault));
    assert_eq!(page.pair.a.scenario().faults.len(), 1);
    let e = obey(
        &mut page,
        Command::Fault(serde_json::json!({"kind": "db_slow", "duration_s": 5})),
    );
    assert!(error(&e).is_some_and(|m| m.contains("multiplier")), "{e:?}");
    obey(&mut page, Command::RunTo(20.0));
    let effects = run_frames(&mut page, 10_000);
    assert_eq!(page.pair.a.sim().now().as_secs_f64(), 20.0);
    assert!(!page.pair.a.is_playing());
    let seconds: Vec<u64> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Post {
                message,
                carries_state: false,
            } if message["type"] == "second" => message["t_s"].as_u64(),
            _ => None,
        })
        .collect();
    assert_eq!(seconds, (1..=20).collect::<Vec<u64>>());
    // A learning link loads like any other.
    obey(&mut page, Command::LoadLink("guide=stampede".into()));
    assert_eq!(page.guide.as_ref().map(|g| g.id), Some("stampede"));
    let e = obey(&mut page, Command::LoadLink("drill=all&at=1".into()));
    assert!(error(&e).is_some_and(|m| m.starts_with("at: ")), "{e:?}");
}
