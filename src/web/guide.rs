//! A guided lesson in the lesson's place: the step, where on the page to look (that region is
//! outlined), the live figure, the prediction to answer before the run goes on, and once
//! complete, the way on to its challenge; below, the course with what is done.

use yew::html::Scope;
use yew::prelude::*;

use super::{App, Msg};
use crate::app::guide::{GuideRun, Region, Until, GUIDES};
use crate::app::page::{Action, Page};

fn act(action: Action) -> Msg {
    Msg::Act(action)
}

/// The region's name, for "Look at".
fn region_name(r: Region) -> String {
    match r {
        Region::Transport => "the play and reset buttons at the top".into(),
        Region::Readouts => "the readouts".into(),
        Region::Architecture => "the architecture view".into(),
        Region::Chart(id) => {
            let title = crate::app::charts::CHARTS
                .iter()
                .find(|c| c.id == id)
                .map_or(id, |c| c.title);
            format!("the chart “{title}”")
        }
        Region::Log => "the log".into(),
        Region::Alerts => "the alerts".into(),
        Region::Settings(_) => "the settings (marked)".into(),
    }
}

/// The class that outlines a region while a step points at it.
pub fn focus(page: &Page, r: Region) -> Option<&'static str> {
    (page.guide_focus() == Some(r)).then_some("guide-focus")
}

/// The lesson panel.
pub fn view(app: &App, link: &Scope<App>, run: &GuideRun) -> Html {
    let g = run.guide();
    let number = GUIDES.iter().position(|x| x.id == g.id).unwrap_or(0) + 1;
    html! {
        <section class="lesson guide" aria-labelledby="lesson-title" data-testid="guide" data-step={run.step.to_string()}>
            <h2 id="lesson-title">{ format!("Guided lesson {number} of {}: {}", GUIDES.len(), g.title) }</h2>
            if let Some(step) = run.current() {
                <p class="small quiet">{ format!("Step {} of {}", run.step + 1, g.steps.len()) }</p>
                if let Some(p) = &step.predict {
                    <div class="guide-predict" data-testid="guide-predict">
                        <p><strong>{ "Predict first: " }</strong>{ p.question }</p>
                        <div class="quiz-choices" role="group" aria-label="Your prediction">
                            { for p.options.iter().enumerate().map(|(i, o)| {
                                let state = run.answer.map(|a| if i == p.right { "right" } else if a == i { "wrong" } else { "" });
                                html! {
                                    <button type="button" class={classes!("secondary", state)} data-testid={format!("guide-option-{i}")}
                                            disabled={run.answer.is_some()} onclick={link.callback(move |_| act(Action::GuideAnswer(i)))}>{ *o }</button>
                                }
                            }) }
                        </div>
                        if let Some(a) = run.answer {
                            <p data-testid="guide-why" class={classes!(if a == p.right { "ok" } else { "bad" })}>
                                <strong>{ if a == p.right { "Right. " } else { "Not quite. " } }</strong>{ p.why }
                            </p>
                        }
                    </div>
                }
                if !run.awaits_answer() {
                    <p data-testid="guide-text">{ step.text }</p>
                    <p class="guide-look small" data-testid="guide-look">{ format!("↓ Look at {}.", region_name(step.points_at)) }</p>
                    if let Some(reading) = step.reading {
                        <p class="guide-reading" data-testid="guide-reading">{ reading(app.page.pair.a.sim()) }</p>
                    }
                    { match step.until {
                        Until::Next => html! {
                            <button type="button" class="primary" data-testid="guide-next" onclick={link.callback(|_| act(Action::GuideNext))}>{ "Next" }</button>
                        },
                        Until::Run(_) => html! { <p class="small quiet">{ "The lesson pauses the run at the moment that matters." }</p> },
                        Until::Settings(_) => html! { <p class="small quiet">{ "The step ends as soon as the setting is changed." }</p> },
                        Until::Verified(_) => html! { <p class="small quiet">{ "Press Reset, then Play or Run to the end: the lesson checks the figures when the run gets there." }</p> },
                    } }
                    if let Some(note) = &run.note {
                        <p class="error" data-testid="guide-note">{ note }</p>
                    }
                }
            } else {
                { complete(link, run) }
            }
            { course(app, link) }
        </section>
    }
}

fn complete(link: &Scope<App>, run: &GuideRun) -> Html {
    let g = run.guide();
    let challenge = crate::app::challenges::challenge(g.challenge);
    let next = GUIDES
        .iter()
        .position(|x| x.id == g.id)
        .and_then(|i| GUIDES.get(i + 1));
    html! {
        <div class="verdict pass" data-testid="guide-complete" role="status">
            <p class="verdict-head">{ "Lesson complete" }
                <span class="quiet small">{ format!(" · predictions right: {} of {}", run.predictions.0, run.predictions.1) }</span></p>
            <div class="note-actions">
                if let Some(c) = challenge {
                    <button type="button" class="primary" data-testid="guide-challenge"
                            onclick={link.callback(move |_| act(Action::Preset(format!("challenge:{}", c.id))))}>
                        { format!("Now the challenge: {}", c.title) }
                    </button>
                }
                if let Some(n) = next {
                    <button type="button" class="secondary" data-testid="guide-next-lesson"
                            onclick={link.callback(move |_| act(Action::Preset(format!("guide:{}", n.id))))}>
                        { format!("Next lesson: {}", n.title) }
                    </button>
                }
            </div>
        </div>
    }
}

/// The course: every lesson in order, each with its challenge, and what is done.
fn course(app: &App, link: &Scope<App>) -> Html {
    let p = &app.page.progress;
    html! {
        <details class="course" data-testid="course">
            <summary>{ format!("The course: {} of {} lessons done", GUIDES.iter().filter(|g| p.lessons_completed.iter().any(|l| l == g.id)).count(), GUIDES.len()) }</summary>
            <ol>
                { for GUIDES.iter().map(|g| {
                    let lesson_done = p.lessons_completed.iter().any(|l| l == g.id);
                    let challenge_done = p.challenges_passed.iter().any(|c| c == g.challenge);
                    let (lid, cid) = (g.id, g.challenge);
                    html! {
                        <li>
                            <button type="button" class="link-button" onclick={link.callback(move |_| act(Action::Preset(format!("guide:{lid}"))))}>
                                { format!("{}{}", if lesson_done { "✓ " } else { "" }, g.title) }</button>
                            { " → " }
                            <button type="button" class="link-button" onclick={link.callback(move |_| act(Action::Preset(format!("challenge:{cid}"))))}>
                                { format!("{}challenge", if challenge_done { "✓ " } else { "" }) }</button>
                        </li>
                    }
                }) }
            </ol>
        </details>
    }
}
