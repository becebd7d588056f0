//! Incident drills: every cause shows the signal a learner needs on screen (the right log
//! class first, the right component saturated), and only that cause shows it; the link and the
//! scenario's name do not tell the cause; scoring counts what happened.

use outage_lab::app::drills::{cause, DrillSpec, CAUSES};
use outage_lab_engine::metrics::ErrorClass;
use outage_lab_engine::observe::{Level, LogEvent, LogSource};
use outage_lab_engine::{Config, SecondMetrics, SimTime, Simulation};

/// What the screen shows of a drill run by 45 s after its incident began.
struct Seen {
    rows: Vec<SecondMetrics>,
    /// The incident's start, in seconds.
    t: u64,
    /// The first error logged at or after the incident's start (the first incident's).
    first_error: Option<LogEvent>,
    /// The error class logged most often from the incident's start (none: no class).
    top_class: Option<ErrorClass>,
    /// Warnings logged from the incident's start to its first error.
    warnings_before: Vec<LogEvent>,
    /// The instance a one-instance cause would hit.
    instance: usize,
}

fn watch(spec: &DrillSpec) -> Seen {
    let config = Config::from_scenario(&spec.scenario()).expect("valid");
    let mut sim = Simulation::new(config);
    let t = spec.incident_start_s() as u64;
    sim.run_until(SimTime::from_secs(t + 45));
    let after = |e: &&LogEvent| e.t_ms >= t as f64 * 1000.0;
    // The ring keeps the newest lines; each incident's first error is kept apart.
    let first_error = (sim.logs().incident_starts().iter())
        .find(|e| e.t_ms >= t as f64 * 1000.0)
        .cloned();
    let mut counts: Vec<(ErrorClass, usize)> = Vec::new();
    for class in (sim.logs().events())
        .filter(after)
        .filter_map(|e| e.error_class)
    {
        match counts.iter_mut().find(|(c, _)| *c == class) {
            Some((_, n)) => *n += 1,
            None => counts.push((class, 1)),
        }
    }
    let top_class = counts.iter().max_by_key(|(_, n)| *n).map(|(c, _)| *c);
    let until = first_error.as_ref().map_or(f64::INFINITY, |e| e.t_ms);
    let warnings_before = (sim.logs().quiet_events())
        .filter(after)
        .filter(|e| e.level == Level::Warn && e.t_ms <= until)
        .cloned()
        .collect();
    Seen {
        rows: sim.seconds().to_vec(),
        t,
        first_error,
        top_class,
        warnings_before,
        instance: spec.instance() as usize,
    }
}

impl Seen {
    fn window(&self, from: u64, to: u64) -> impl Iterator<Item = &SecondMetrics> {
        let (a, b) = (self.t + from, self.t + to);
        self.rows.iter().filter(move |r| r.t_s >= a && r.t_s <= b)
    }
    fn mean(&self, from: u64, to: u64, f: impl Fn(&SecondMetrics) -> f64) -> f64 {
        let v: Vec<f64> = self.window(from, to).map(f).collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    }
    fn before(&self, f: impl Fn(&SecondMetrics) -> f64) -> f64 {
        let from = self.t.saturating_sub(15).max(35);
        let v: Vec<f64> = (self.rows.iter())
            .filter(|r| r.t_s >= from && r.t_s < self.t.max(from + 1))
            .map(f)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    }
    fn first_class(&self) -> Option<ErrorClass> {
        self.first_error.as_ref().and_then(|e| e.error_class)
    }
    /// The share of the window's 5xx answered by the cause's instance.
    fn errors_on_one_instance(&self) -> bool {
        let (mut mine, mut all) = (0u64, 0u64);
        for r in self.window(5, 40) {
            for (i, g) in r.instances.iter().enumerate() {
                all += u64::from(g.answers_5xx);
                if i == self.instance {
                    mine += u64::from(g.answers_5xx);
                }
            }
        }
        // The gateway's own rare errors land anywhere: nearly all is all.
        all > 100 && mine as f64 >= 0.95 * all as f64
    }
    fn true_5xx(r: &SecondMetrics) -> f64 {
        let s = r.status;
        (s.error_500 + s.bad_gateway_502 + s.unavailable_503 + s.gateway_timeout_504) as f64
    }
    fn seen_5xx(r: &SecondMetrics) -> f64 {
        let s = r.status_seen;
        (s.error_500 + s.bad_gateway_502 + s.unavailable_503 + s.gateway_timeout_504) as f64
    }
}

/// Cache loads in the incident's first seconds well above those before it.
fn cache_loads_jump(s: &Seen) -> bool {
    s.mean(1, 4, |r| r.cache_loads as f64) > 2.5 * s.before(|r| r.cache_loads as f64) + 20.0
}

/// The signal each cause shows, as a learner would check it on screen.
fn signal(id: &str, s: &Seen) -> bool {
    let threads_max = 4.0 * 200.0;
    match id {
        // 500s, most of them the exception's, on every instance, nothing saturated.
        "code_bug" => {
            s.top_class == Some(ErrorClass::UnhandledException)
                && !s.errors_on_one_instance()
                && s.mean(5, 40, |r| f64::from(r.threads_busy)) < 0.25 * threads_max
        }
        // Leak detection warns before the first error; the pools fill with waiters while the
        // cache keeps its hit ratio and traffic is as usual.
        "pool_exhaustion" => {
            s.mean(1, 20, |r| r.requests as f64) < 1.3 * s.before(|r| r.requests as f64)
                && s.warnings_before
                    .iter()
                    .any(|w| w.message.contains("leak detection"))
                && s.mean(20, 40, |r| f64::from(r.pool_waiters)) > 40.0
                && !cache_loads_jump(s)
        }
        // Read timeouts from the first seconds, on checkout only.
        "misconfiguration" => {
            s.first_class() == Some(ErrorClass::UpstreamReadTimeout)
                && s.first_error.as_ref().is_some_and(|e| e.t_ms < 10_000.0)
        }
        // Three times the user requests, for as long as it lasts.
        "resource_exhaustion" => {
            s.mean(31, 40, |r| r.requests as f64) > 2.5 * s.before(|r| r.requests as f64)
        }
        // One instance's errors only, most for a missing property.
        "bad_deploy" => {
            s.errors_on_one_instance() && s.top_class == Some(ErrorClass::MissingConfig)
        }
        // Every thread taken while the database is idle.
        "gateway_hang" => {
            s.window(30, 40)
                .all(|r| r.threads_busy as f64 >= threads_max)
                && s.mean(30, 40, |r| f64::from(r.db_concurrency)) < 3.0
        }
        // Cache loads jump the instant it starts.
        "cache_stampede" => {
            cache_loads_jump(s)
                && s.mean(0, 3, |r| r.requests as f64) < 1.3 * s.before(|r| r.requests as f64)
        }
        // After the burst, user requests are back to normal but retries outnumber them and
        // most still fail.
        "retry_storm" => {
            let normal = s.before(|r| r.requests as f64);
            s.mean(2, 28, |r| r.requests as f64) > 2.0 * normal
                && s.mean(32, 40, |r| r.requests as f64) < 1.3 * normal
                && s.mean(32, 40, |r| r.retries as f64) > s.mean(32, 40, |r| r.requests as f64)
        }
        // One instance's errors only, most a refused database connection.
        "sick_instance" => {
            s.errors_on_one_instance() && s.top_class == Some(ErrorClass::DbUnreachable)
        }
        // True 500s while monitoring sees none.
        "swallowed_errors" => {
            s.mean(5, 40, Seen::true_5xx) > 10.0 && s.mean(5, 40, Seen::seen_5xx) == 0.0
        }
        other => panic!("no signal written for cause {other}"),
    }
}

#[test]
fn every_cause_shows_its_own_signal_and_no_other_cause_shows_it() {
    for seed in [1, 3, 5, 7, 9, 11] {
        causes_show_their_signals(seed);
    }
}

fn causes_show_their_signals(seed: u64) {
    let seen: Vec<(&str, Seen)> = CAUSES
        .iter()
        .map(|c| {
            let spec = DrillSpec {
                pool: vec![c],
                ..DrillSpec::every_cause(seed)
            };
            (c.id, watch(&spec))
        })
        .collect();
    let mut wrong = Vec::new();
    for (id, s) in &seen {
        eprintln!(
            "{id}: loads before {:.0}, 0-3 {:.0}; requests before {:.0}, 0-3 {:.0}; first {:?}",
            s.before(|r| r.cache_loads as f64),
            s.mean(0, 3, |r| r.cache_loads as f64),
            s.before(|r| r.requests as f64),
            s.mean(0, 3, |r| r.requests as f64),
            s.first_error
                .as_ref()
                .map(|e| (e.t_ms, e.instance, e.error_class))
        );
    }
    for (id, _) in &seen {
        for (other, s) in &seen {
            let shows = signal(id, s);
            if shows != (id == other) {
                wrong.push(format!("signal of {id} on a run of {other}: {shows}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_first_error_is_logged_by_the_component_a_learner_should_look_at() {
    let first = |id: &str| {
        let spec = DrillSpec {
            pool: vec![cause(id).expect("cause")],
            ..DrillSpec::every_cause(3)
        };
        watch(&spec).first_error.expect("an error is logged")
    };
    // The balancer gives up on a hung gateway: the log names no component of its own.
    assert_eq!(first("gateway_hang").source, LogSource::LoadBalancer);
    // The application logs the gateway's 500s even while it answers 200.
    let swallowed = first("swallowed_errors");
    assert_eq!(swallowed.error_class, Some(ErrorClass::UpstreamError));
    assert_eq!(swallowed.source, LogSource::Instance);
}

#[test]
fn the_seed_chooses_every_cause_and_the_link_never_names_it() {
    let mut chosen = std::collections::BTreeSet::new();
    for seed in 0..200 {
        let spec = DrillSpec::every_cause(seed);
        chosen.insert(spec.cause().id);
        let query = spec.to_query();
        let scenario = spec.scenario();
        for c in CAUSES {
            assert!(!query.contains(c.id), "{query} names {}", c.id);
        }
        assert_eq!(scenario.name, "Incident drill");
        assert!(!scenario.description.to_lowercase().contains("gateway"));
        // The link gives the same drill back.
        let params: Vec<(String, String)> = (query.split('&'))
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("k=v");
                (k.to_string(), v.to_string())
            })
            .collect();
        assert_eq!(DrillSpec::from_params(&params), Ok(spec));
    }
    assert_eq!(chosen.len(), CAUSES.len(), "{chosen:?}");
}

#[test]
fn bad_drill_links_name_the_parameter_and_the_reason() {
    let read = |q: &[(&str, &str)]| {
        let params: Vec<(String, String)> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        DrillSpec::from_params(&params).map_err(|e| e.to_string())
    };
    let e = read(&[("drill", "all"), ("at", "5")]).expect_err("too early");
    assert!(
        e.starts_with("at: \"5\" is not a whole number from 20 to 150"),
        "{e}"
    );
    let e = read(&[("drill", "code_bug,meteor")]).expect_err("no such cause");
    assert!(e.starts_with("drill: \"meteor\" is not a cause"), "{e}");
    let e = read(&[("drill", "all"), ("load", "abc")]).expect_err("load");
    assert!(e.starts_with("load: "), "{e}");
    let e = read(&[("drill", "all"), ("seed", "-1")]).expect_err("seed");
    assert!(e.starts_with("seed: "), "{e}");
    let ok = read(&[("drill", "sick_instance,code_bug,code_bug")]).expect("valid");
    assert_eq!(ok.pool.len(), 2);
    assert_eq!(ok.pool[0].id, "code_bug", "kept in list order");
}

#[test]
fn a_diagnosis_scores_correctness_speed_and_harm_by_the_numbers() {
    let spec = DrillSpec {
        pool: vec![cause("gateway_hang").expect("cause")],
        ..DrillSpec::every_cause(5)
    };
    let at = SimTime::from_secs(90);
    // Untouched, by 90 s, some requests have failed.
    let untouched = spec.score(spec.cause(), at, 30.0, 0).failed_untouched;
    assert!(untouched > 100, "{untouched}");
    let right = spec.score(spec.cause(), at, 30.0, untouched);
    assert!(right.correct);
    // 30 virtual seconds and 30 wall seconds: full speed points; no harm.
    assert_eq!(right.points, 100, "{:?}", right.parts);
    let slow_and_harmful = spec.score(spec.cause(), SimTime::from_secs(150), 330.0, u64::MAX / 2);
    assert!(slow_and_harmful.points < 70, "{:?}", slow_and_harmful.parts);
    assert_eq!(slow_and_harmful.parts[3].points, 0);
    let wrong = spec.score(cause("code_bug").expect("cause"), at, 30.0, untouched);
    assert!(!wrong.correct);
    assert_eq!(wrong.points, 0);
    assert_eq!(wrong.actual, "gateway_hang");
}

/// A drill of two causes opened on the page from its link, played at full speed past its
/// incident, and the cause the seed chose.
fn played_drill() -> (outage_lab::app::page::Page, DrillSpec) {
    use crate::page::{open, run_frames};
    use outage_lab::app::page::{Action, Effect};
    let spec = DrillSpec {
        pool: vec![
            cause("code_bug").expect("cause"),
            cause("gateway_hang").expect("cause"),
        ],
        ..DrillSpec::every_cause(1)
    };
    let mut page = open(&format!("?{}", spec.to_query()));
    let effects = page.take_effects();
    let address = effects.iter().rev().find_map(|e| match e {
        Effect::WriteAddress(q) => Some(q.clone()),
        _ => None,
    });
    assert_eq!(address.as_deref(), Some(spec.to_query().as_str()));
    page.reduce(Action::Speed("max".into()));
    page.reduce(Action::PlayPause);
    run_frames(&mut page, 400);
    (page, spec)
}

#[test]
fn a_drill_on_the_page_keeps_its_cause_off_the_screen_until_named() {
    use outage_lab::app::page::{Action, ExportKind};
    let (mut page, spec) = played_drill();
    assert_eq!(page.title(), "Incident drill");
    assert!(page.hides_cause());
    let fault_words = [
        "hang",
        "Gateway hangs",
        "Code bug",
        "exception nothing catches",
    ];
    for c in page.captions.iter() {
        assert!(
            !fault_words.iter().any(|w| c.text.contains(w)),
            "{}",
            c.text
        );
    }
    assert!(
        page.link_text.ends_with(&spec.to_query()),
        "{}",
        page.link_text
    );
    page.reduce(Action::Export(ExportKind::Scenario));
    assert!(
        page.take_effects().is_empty(),
        "the scenario waits for the diagnosis"
    );
    if let Some(report) = &page.report {
        assert!(
            !report.to_markdown().contains("starts"),
            "no fault in the report"
        );
    }
}

#[test]
fn a_wrong_diagnosis_on_the_page_scores_nothing_reveals_the_cause_and_is_final() {
    use outage_lab::app::page::{Action, Effect};
    let (mut page, spec) = played_drill();
    let actual = spec.cause();
    let wrong = spec
        .pool
        .iter()
        .find(|c| c.id != actual.id)
        .expect("two causes");
    page.reduce(Action::DrillChoice(wrong.id.into()));
    page.reduce(Action::Diagnose);
    let effects = page.take_effects();
    let drill = page.drill.as_ref().expect("open");
    let score = drill.score.as_ref().expect("scored");
    assert!(!score.correct);
    assert_eq!(score.actual, actual.id);
    assert!(!page.hides_cause());
    assert!(drill
        .timeline
        .iter()
        .any(|(_, t)| t.contains(actual.choice)));
    assert!(drill
        .timeline
        .iter()
        .any(|(_, t)| t.starts_with("you named")));
    let posted = effects.iter().any(|e| {
        matches!(e, Effect::Post { message, .. } if message["event"] == "drill_scored" && message["cause"] == actual.id)
    });
    assert!(posted, "{effects:?}");
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Store { value, .. } if value.contains("drill_best"))));
    // A second diagnosis is not taken.
    page.reduce(Action::DrillChoice(actual.id.into()));
    page.reduce(Action::Diagnose);
    assert!(
        !page
            .drill
            .as_ref()
            .expect("open")
            .score
            .as_ref()
            .expect("kept")
            .correct
    );
    // Picking a preset leaves the drill.
    page.reduce(Action::Preset("baseline".into()));
    assert!(page.drill.is_none());
}

#[test]
fn a_broken_drill_link_names_its_parameter_and_the_trainer_form_gives_both_links() {
    use crate::page::open;
    use outage_lab::app::drills::TrainerField;
    use outage_lab::app::page::{Action, Notice};
    let broken = open("?drill=all&at=999");
    assert!(
        matches!(&broken.notice, Some(Notice::BrokenLink(e)) if e.starts_with("at: ")),
        "{:?}",
        broken.notice
    );
    assert!(broken.drill.is_none());
    let mut page = open("?drill=all&seed=3");
    page.reduce(Action::TrainerCause("retry_storm".into(), false));
    page.reduce(Action::TrainerField(TrainerField::Seed, "44".into()));
    let (class, answer) = page.trainer_links().expect("valid");
    assert!(
        class.starts_with("https://lab.example/app/?drill=code_bug,"),
        "{class}"
    );
    assert!(
        !class.contains("retry_storm") && class.contains("seed=44"),
        "{class}"
    );
    assert_eq!(answer, format!("{class}&answer=1"));
    page.reduce(Action::TrainerField(TrainerField::Load, "400".into()));
    let e = page.trainer_links().expect_err("load too high");
    assert!(e.starts_with("load: "), "{e}");
    // The answer link shows the cause from the start.
    let trainer = open(&format!("?{}", answer.split_once('?').expect("query").1));
    assert!(trainer.drill.as_ref().expect("open").answer_view);
    assert!(!trainer.hides_cause());
}
