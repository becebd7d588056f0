//! The status-code quiz: every case finds its failed request in a real run, the answers cover
//! all four statuses, and each explanation starts with the status the model gave.

use outage_lab::app::quiz::{question, QuizRun, CASES};
use outage_lab_engine::metrics::Status;

#[test]
fn every_case_finds_its_request_and_its_explanation_names_the_models_status() {
    let mut seen = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let q = question(i).unwrap_or_else(|| panic!("{}: no such log line in the run", case.id));
        let code = q.answer().label();
        assert!(
            case.why.starts_with(code),
            "{}: the model answered {code}; the explanation says {}",
            case.id,
            &case.why[..3]
        );
        assert!(q.event.trace.is_some(), "{}: a trace to read", case.id);
        seen.push(q.answer());
    }
    for s in [
        Status::Error500,
        Status::BadGateway502,
        Status::Unavailable503,
        Status::GatewayTimeout504,
    ] {
        assert!(seen.contains(&s), "no question answered {}", s.label());
    }
}

#[test]
fn a_quiz_counts_answers_once_and_walks_every_case() {
    let mut quiz = QuizRun::new();
    let first = quiz.question.clone().expect("a first question");
    quiz.pick(first.answer());
    quiz.pick(Status::GatewayTimeout504);
    assert_eq!(
        (quiz.right, quiz.answered),
        (1, 1),
        "the second pick is ignored"
    );
    quiz.next();
    assert_eq!(quiz.question.as_ref().map(|q| q.case), Some(1));
    assert_eq!(quiz.picked, None);
    let wrong = if quiz.question.as_ref().expect("q").answer() == Status::Error500 {
        Status::BadGateway502
    } else {
        Status::Error500
    };
    quiz.pick(wrong);
    assert_eq!((quiz.right, quiz.answered), (1, 2));
}

#[test]
fn a_quiz_link_opens_its_question_and_names_itself() {
    use crate::page::open;
    let page = open("?quiz=3");
    let q = page
        .quiz
        .as_ref()
        .and_then(|q| q.question.as_ref())
        .expect("open");
    assert_eq!(q.case, 2);
    assert!(page.link_text.ends_with("?quiz=3"), "{}", page.link_text);
    let broken = open("?quiz=99");
    assert!(broken.quiz.is_none());
    assert!(
        matches!(&broken.notice, Some(outage_lab::app::page::Notice::BrokenLink(e)) if e.starts_with("quiz: \"99\"")),
        "{:?}",
        broken.notice
    );
}
