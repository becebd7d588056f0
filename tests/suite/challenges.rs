//! Challenges: every known solution passes and every starting state fails, by the numbers;
//! constraints are enforced by name.

use outage_lab::app::challenges::{challenge, CHALLENGES};

#[test]
fn every_solution_passes_and_every_start_fails() {
    let mut wrong = Vec::new();
    for c in CHALLENGES {
        let start = c.check(&c.start()).expect("valid");
        let solved = c.check(&c.solved()).expect("valid");
        let show = |v: &outage_lab::app::challenges::Verdict| {
            (v.requirements.iter())
                .map(|m| {
                    format!(
                        "{} = {:.4} ({})",
                        m.text,
                        m.value,
                        if m.passed { "ok" } else { "FAIL" }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        eprintln!(
            "{}: start [{}]; solved [{}] {:?}",
            c.id,
            show(&start),
            show(&solved),
            solved.broken
        );
        if start.passed || !solved.passed || solved.changes.is_empty() {
            wrong.push(c.id);
        }
    }
    assert!(
        wrong.is_empty(),
        "start passes or solution fails: {wrong:?}"
    );
    assert!(CHALLENGES.iter().any(|c| c.level == 3));
}

#[test]
fn changes_outside_the_allowed_settings_and_over_budget_are_refused_by_name() {
    let c = challenge("pool-exhaustion").expect("a challenge");
    let mut s = c.solved();
    s.instances.max_threads = 1_000;
    let v = c.check(&s).expect("valid");
    assert!(!v.passed);
    assert_eq!(
        v.broken,
        ["instances.max_threads may not change in this challenge"]
    );
    let mut s = c.solved();
    s.db_pool.max_size = 60;
    let v = c.check(&s).expect("valid");
    assert_eq!(
        v.broken,
        ["240 database connections (60 per instance x 4 instances); the budget is 200"]
    );
    let mut s = c.solved();
    s.faults.clear();
    let v = c.check(&s).expect("valid");
    assert!(
        v.broken[0].starts_with("something besides the settings changed"),
        "{:?}",
        v.broken
    );
    // A read timeout alone keeps product pages up but fails slowly: not "fail fast".
    let fast = challenge("fail-fast").expect("a challenge");
    let mut s = fast.start();
    s.upstream.read_timeout_ms = outage_lab_engine::scenario::Timeout::Ms(2_000.0);
    let v = fast.check(&s).expect("valid");
    assert_eq!(
        (v.requirements[0].passed, v.requirements[1].passed),
        (true, false),
        "{v:?}"
    );
    // The same submission, the same verdict.
    assert_eq!(c.check(&c.solved()), c.check(&c.solved()));
}

#[test]
fn the_page_refuses_settings_a_challenge_fixes_and_values_over_its_budget_by_name() {
    use crate::page::open;
    use outage_lab::app::page::Action;
    let mut page = open("?v=2&preset=baseline");
    page.reduce(Action::Preset("challenge:pool-on-a-budget".into()));
    let c = page.challenge.expect("open");
    let max = c.db_connections_max.expect("a budget");
    // Over the budget: refused, with the budget named, and nothing changed.
    let before = page.pair.a.scenario().clone();
    page.reduce(Action::Knob("db_pool.max_size", "200".into()));
    let p = page.problems.first().expect("refused");
    assert_eq!(p.path, "db_pool.max_size");
    assert!(
        p.message
            .starts_with("is over the challenge's budget: 800 database connections"),
        "{}",
        p.message
    );
    assert!(
        p.message.ends_with(&format!("the budget is {max}")),
        "{}",
        p.message
    );
    assert_eq!(*page.pair.a.scenario(), before);
    // A setting the challenge fixes: refused by name.
    page.reduce(Action::Knob("instances.max_threads", "400".into()));
    let p = page.problems.first().expect("refused");
    assert_eq!(p.path, "instances.max_threads");
    assert!(
        p.message
            .starts_with("may not change in this challenge (you may change: db_pool"),
        "{}",
        p.message
    );
    // Within the budget: taken.
    page.reduce(Action::Knob("db_pool.max_size", "25".into()));
    assert!(page.problems.is_empty());
    assert_eq!(page.pair.a.scenario().db_pool.max_size, 25);
}
