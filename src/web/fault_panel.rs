//! The fault panel: how long and on which instance, a button per fault, the reason a fault was
//! refused, and the faults active now; and the operator panel beside it: what the on-call
//! engineer can do (kill long queries, restart instances).

use web_sys::HtmlSelectElement;
use yew::html::Scope;
use yew::prelude::*;

use super::controls::CommitField;
use super::{App, Msg};
use crate::app::embed::Panel;
use crate::app::faults::FAULT_BUTTONS;
use crate::app::operator::OPERATOR_BUTTONS;
use crate::app::page::Action;
use crate::app::words::fault_name;

/// The panel, unless hidden or locked.
pub fn view(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    // A drill has its own fault (more would only blur it); a challenge judges settings only.
    let own_run = page.drill.is_some() || page.challenge.is_some();
    if !page.options.shows(Panel::Faults) || page.options.locked || own_run {
        return html! {};
    }
    let sim = page.pair.a.sim();
    let active = sim.active_faults();
    let form = &page.faults;
    let on_instance = link.callback(|e: Event| {
        Msg::Act(Action::FaultInstance(
            e.target_unchecked_into::<HtmlSelectElement>().value(),
        ))
    });
    html! {
        <section class="faults" aria-labelledby="faults-title">
            <h2 id="faults-title">{ "Inject a fault now" }</h2>
            <div class="fault-options">
                <label for="fault-duration">{ "lasting" }</label>
                <CommitField id="fault-duration" testid="fault-duration" inputmode="decimal"
                             value={AttrValue::from(form.duration_text.clone())}
                             invalid={form.problem.is_some()}
                             on_commit={app.callbacks.fault_duration.clone()} />
                <span class="unit">{ "s" }</span>
                <label for="fault-instance">{ "instance" }</label>
                <select id="fault-instance" onchange={on_instance}>
                    { for (0..sim.config().instance_count()).map(|i| html! {
                        <option value={i.to_string()} selected={i as u32 == form.instance}>{ i }</option>
                    }) }
                </select>
            </div>
            <div class="fault-buttons">
                { for FAULT_BUTTONS.iter().enumerate().map(|(i, b)| html! {
                    <button type="button" class="fault" title={b.detail} aria-describedby={format!("fault-{i}-detail")}
                            data-testid={b.testid()} disabled={sim.is_finished()}
                            onclick={link.callback(move |_| Msg::Act(Action::Fault(i)))}>
                        { b.label }
                        <span id={format!("fault-{i}-detail")} class="sr-only">{ b.detail }</span>
                    </button>
                }) }
            </div>
            if let Some(p) = &form.problem {
                <p class="error" role="alert" data-testid="fault-error">{ p }</p>
            }
            if !active.is_empty() {
                <p class="small" data-testid="active-faults">{ format!("Active now: {}", active.iter().map(|k| fault_name(*k)).collect::<Vec<_>>().join(", ")) }</p>
            }
        </section>
    }
}

/// The operator panel, unless the fault panel is hidden, the page locked or a challenge open
/// (a challenge judges settings only).
pub fn operator(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    if !page.options.shows(Panel::Faults) || page.options.locked || page.challenge.is_some() {
        return html! {};
    }
    let sim = page.pair.a.sim();
    let instances = sim.config().instance_count();
    let form = &page.operator;
    let on_instance = link.callback(|e: Event| {
        Msg::Act(Action::OperatorInstance(
            e.target_unchecked_into::<HtmlSelectElement>().value(),
        ))
    });
    html! {
        <section class="faults operator" aria-labelledby="operator-title" data-testid="operator">
            <h2 id="operator-title">{ "Act as the on-call engineer" }</h2>
            <div class="fault-options">
                <label for="query-age">{ "queries older than" }</label>
                <CommitField id="query-age" testid="query-age" inputmode="decimal"
                             value={AttrValue::from(form.longer_than_text.clone())}
                             invalid={form.problem.is_some()}
                             on_commit={app.callbacks.query_age.clone()} />
                <span class="unit">{ "s" }</span>
                <label for="restart-instance">{ "instance" }</label>
                <select id="restart-instance" onchange={on_instance}>
                    { for (0..instances).map(|i| html! {
                        <option value={i.to_string()} selected={i as u32 == form.instance}>{ i }</option>
                    }) }
                </select>
            </div>
            <div class="fault-buttons">
                { for OPERATOR_BUTTONS.iter().enumerate().map(|(i, b)| html! {
                    <button type="button" class="fault act" title={b.detail} aria-describedby={format!("act-{i}-detail")}
                            data-testid={b.testid()} disabled={sim.is_finished()}
                            onclick={link.callback(move |_| Msg::Act(Action::Operate(i)))}>
                        { b.label }
                        <span id={format!("act-{i}-detail")} class="sr-only">{ b.detail }</span>
                    </button>
                }) }
            </div>
            if let Some(p) = &form.problem {
                <p class="error" role="alert" data-testid="operator-error">{ p }</p>
            }
        </section>
    }
}
