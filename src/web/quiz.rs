//! The status-code quiz in the lesson's place: a failed request's log line and trace (how it
//! ended left out), the four statuses to choose from, and the reasoning once one is picked.

use yew::html::Scope;
use yew::prelude::*;

use super::{App, Msg};
use crate::app::page::Action;
use crate::app::quiz::{QuizRun, CASES, CHOICES};

/// The quiz panel.
pub fn view(link: &Scope<App>, quiz: &QuizRun) -> Html {
    let Some(q) = &quiz.question else {
        return html! {};
    };
    let case = q.case();
    let e = &q.event;
    let answer = q.answer();
    html! {
        <section class="lesson quiz" aria-labelledby="lesson-title" data-testid="quiz" data-case={case.id}>
            <h2 id="lesson-title">{ format!("Quick drill: which status should this return? ({} of {})", q.case + 1, CASES.len()) }</h2>
            <p data-testid="quiz-context">{ case.context }</p>
            <p class="quiz-line" data-testid="quiz-line"><code>{ format!("{:.3}s ERROR {}{} {}",
                e.t_ms / 1000.0,
                e.instance.map(|i| format!("instance {i} ")).unwrap_or_else(|| "load balancer ".into()),
                e.endpoint.clone().unwrap_or_default(),
                e.message) }</code></p>
            { super::panels::view_trace(e, true) }
            <div class="quiz-choices" role="group" aria-label="Status">
                { for CHOICES.iter().map(|&(status, name)| {
                    let state = quiz.picked.map(|p| if status == answer { "right" } else if p == status { "wrong" } else { "" });
                    html! {
                        <button type="button" class={classes!("secondary", state)} data-testid={format!("quiz-{}", status.label())}
                                disabled={quiz.picked.is_some()} aria-pressed={(quiz.picked == Some(status)).to_string()}
                                onclick={link.callback(move |_| Msg::Act(Action::QuizAnswer(status)))}>{ name }</button>
                    }
                }) }
            </div>
            if let Some(p) = quiz.picked {
                <div class={classes!("verdict", if p == answer { "pass" } else { "fail" })} data-testid="quiz-verdict" data-right={(p == answer).to_string()} role="status">
                    <p class="verdict-head">{ if p == answer { "Right." } else { "Not quite." } }
                        <span class="quiet small">{ format!(" {} of {} right so far", quiz.right, quiz.answered) }</span></p>
                    <p data-testid="quiz-why">{ case.why }</p>
                    <button type="button" class="primary" data-testid="quiz-next" onclick={link.callback(|_| Msg::Act(Action::QuizNext))}>{ "Next question" }</button>
                </div>
            }
        </section>
    }
}
