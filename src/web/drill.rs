//! An incident drill in the lesson's place: the situation, the list of root causes to name
//! one from, and after the diagnosis the score, what gave the cause away and the timeline;
//! below, the trainer's form that composes a drill and gives its class and answer links.

use web_sys::HtmlInputElement;
use yew::html::Scope;
use yew::prelude::*;

use super::{App, Msg};
use crate::app::drills::{DrillRun, TrainerField, CAUSES};
use crate::app::page::Action;

fn act(action: Action) -> Msg {
    Msg::Act(action)
}

/// The drill panel.
pub fn view(app: &App, link: &Scope<App>, d: &DrillRun) -> Html {
    let cause = d.spec.cause();
    html! {
        <section class="lesson drill" aria-labelledby="lesson-title" data-testid="drill">
            <h2 id="lesson-title">{ "Incident drill: find the root cause" }</h2>
            <p>{ "You are on call for the shop: four instances behind a load balancer, a cache in front of product pages, a database behind connection pools, a payment gateway on checkout, mobile clients that retry. Something goes wrong. Investigate as you would in production: play and pause, read the alerts and the log (pick a line for its trace), the charts and the architecture view. You may change settings or act (restart, kill queries) to mitigate; harm you cause costs points. When you know the root cause, name it." }</p>
            <p class="small quiet" data-testid="drill-meta">{ format!("Drill seed {} · {} possible causes · the same link gives everyone the same incident.", d.spec.seed, d.spec.pool.len()) }</p>
            if d.answer_view {
                <p class="note small" data-testid="drill-answer">{ format!("Answer view (trainer): the cause is “{}”, {}.", cause.choice,
                    if cause.from_start { "configured before the run began".to_string() } else { format!("from {} s", d.spec.start_s) }) }</p>
            }
            if let Some(score) = &d.score {
                { reveal(link, d, score) }
            } else {
                { choices(link, d) }
            }
            { trainer(app, link) }
        </section>
    }
}

fn choices(link: &Scope<App>, d: &DrillRun) -> Html {
    html! {
        <>
            <fieldset class="drill-causes" data-testid="drill-causes">
                <legend>{ "The root cause is:" }</legend>
                { for d.spec.pool.iter().map(|c| {
                    let id = c.id;
                    html! {
                        <label class="drill-cause">
                            <input type="radio" name="drill-cause" value={id} checked={d.choice.is_some_and(|x| x.id == id)}
                                   onchange={link.callback(move |_| act(Action::DrillChoice(id.to_string())))} />
                            { c.choice }
                        </label>
                    }
                }) }
            </fieldset>
            <button type="button" class="primary" data-testid="diagnose" disabled={d.choice.is_none()}
                    onclick={link.callback(|_| act(Action::Diagnose))}>{ "Name this root cause" }</button>
        </>
    }
}

fn reveal(link: &Scope<App>, d: &DrillRun, score: &crate::app::drills::DrillScore) -> Html {
    let cause = d.spec.cause();
    html! {
        <div class={classes!("verdict", if score.correct { "pass" } else { "fail" })} data-testid="drill-score"
             data-points={score.points.to_string()} data-correct={score.correct.to_string()} role="status">
            <p class="verdict-head">
                { if score.correct { format!("Right: {} points of 100", score.points) } else { "Not this time: 0 points".to_string() } }
            </p>
            <p data-testid="drill-cause"><strong>{ "The cause: " }</strong>{ cause.choice }{ "." }</p>
            <p><strong>{ "What gave it away: " }</strong>{ cause.signal }</p>
            <p><strong>{ "What mitigates it: " }</strong>{ cause.mitigation }</p>
            if !score.correct {
                <p class="small quiet">{ "Speed and care count only with the right cause:" }</p>
            }
            <ul class="drill-parts">
                { for score.parts.iter().map(|p| html! {
                    <li>{ format!("{} / {} · {}", p.points, p.max, p.label) }</li>
                }) }
            </ul>
            <h3>{ "Timeline" }</h3>
            <ol class="drill-timeline" data-testid="drill-timeline">
                { for d.timeline.iter().map(|(t, what)| html! { <li>{ format!("{t:.1} s: {what}") }</li> }) }
            </ol>
            <p class="small quiet">{ "The charts now show the cause as a shaded band. Reset to watch it again from 0 s." }</p>
            <div class="note-actions">
                <button type="button" class="secondary" data-testid="drill-again"
                        onclick={link.callback(|_| act(Action::Preset("drill:new".into())))}>{ "Another drill" }</button>
            </div>
        </div>
    }
}

/// The trainer's form: causes to choose from, start, load and seed; the class link and the
/// answer link, or the field that is wrong.
fn trainer(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let form = &page.trainer;
    let field = |f: TrainerField| {
        link.callback(move |e: Event| {
            act(Action::TrainerField(
                f,
                e.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        })
    };
    let links = page.trainer_links();
    html! {
        <details class="trainer" data-testid="trainer">
            <summary>{ "For trainers: compose a drill" }</summary>
            <p class="small">{ "Pick the causes the seed may choose from, when the cause starts and how much traffic; give the class link to learners and keep the answer link. Drills are deterministic: everyone sees the same incident. A pool of one cause gives it away in the link." }</p>
            <fieldset class="trainer-causes">
                <legend>{ "Causes" }</legend>
                { for CAUSES.iter().map(|c| {
                    let id = c.id;
                    html! {
                        <label class="drill-cause">
                            <input type="checkbox" data-testid={format!("trainer-{id}")} checked={form.pool.contains(&id)}
                                   onchange={link.callback(move |e: Event| act(Action::TrainerCause(id.to_string(),
                                       e.target_unchecked_into::<HtmlInputElement>().checked())))} />
                            { c.choice }{ if c.classic { " (a classic cause of a 500)" } else { "" } }
                        </label>
                    }
                }) }
            </fieldset>
            <div class="fault-options">
                <label for="trainer-at">{ "cause at" }</label>
                <input id="trainer-at" data-testid="trainer-at" type="text" inputmode="numeric" value={form.at_text.clone()} onchange={field(TrainerField::At)} />
                <span class="unit">{ "s (20 to 150)" }</span>
                <label for="trainer-load">{ "load" }</label>
                <input id="trainer-load" data-testid="trainer-load" type="text" inputmode="numeric" value={form.load_text.clone()} onchange={field(TrainerField::Load)} />
                <span class="unit">{ "% (50 to 150)" }</span>
                <label for="trainer-seed">{ "seed" }</label>
                <input id="trainer-seed" data-testid="trainer-seed" type="text" inputmode="numeric" value={form.seed_text.clone()} onchange={field(TrainerField::Seed)} />
            </div>
            { match links {
                Ok((class, answer)) => html! {
                    <>
                        <div class="share-row">
                            <label for="trainer-class-link">{ "Class link" }</label>
                            <input id="trainer-class-link" data-testid="trainer-class-link" type="text" readonly=true value={class} />
                        </div>
                        <div class="share-row">
                            <label for="trainer-answer-link">{ "Answer link" }</label>
                            <input id="trainer-answer-link" data-testid="trainer-answer-link" type="text" readonly=true value={answer} />
                        </div>
                        <button type="button" class="secondary" data-testid="trainer-open"
                                onclick={link.callback(|_| act(Action::OpenTrainerDrill))}>{ "Open this drill here" }</button>
                    </>
                },
                Err(problem) => html! { <p class="error" role="alert" data-testid="trainer-error">{ problem }</p> },
            } }
        </details>
    }
}
