//! The settings panel: every knob of the model grouped by component, each with its unit,
//! range, the production default it mirrors and what it does. A refused value stays in its
//! field with the reason next to it; the run keeps its previous value.

use std::collections::HashMap;
use std::rc::Rc;

use crate::app::embed::listed;
use crate::app::knobs::{fmt_number, Group, Input, Knob, Value, KNOBS};
use outage_lab_engine::config::Problem;
use outage_lab_engine::Scenario;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The panel's inputs.
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// The scenario whose values the controls show.
    pub scenario: Rc<Scenario>,
    /// Problems of the last refused change, by field path.
    pub problems: Rc<Vec<Problem>>,
    /// Settings waiting for a reset.
    pub pending: Rc<Vec<&'static str>>,
    /// Settings the current preset's lesson is about.
    pub highlight: &'static [&'static str],
    /// A control changed: (knob id, text).
    pub on_change: Callback<(&'static str, String)>,
    /// Controls cannot be changed (a locked embed).
    #[prop_or_default]
    pub locked: bool,
    /// Only these settings are shown (by knob id), if given.
    #[prop_or_default]
    pub only: Option<Rc<Vec<String>>>,
    /// In A/B mode: the settings whose values differ between the sides.
    #[prop_or_default]
    pub differs: Rc<Vec<&'static str>>,
    /// In A/B mode: the side being edited (`A` or `B`).
    #[prop_or_default]
    pub side: Option<&'static str>,
    /// In a challenge: the settings that may change (by knob id, with the ids under them);
    /// the others are shown but fixed.
    #[prop_or_default]
    pub allowed: Option<&'static [&'static str]>,
    /// Pinned in the page (an embed's few settings): one flat row in the order of `only`, the
    /// help kept for screen readers and tooltips, and locked values as plain text.
    #[prop_or_default]
    pub pinned: bool,
}

/// The panel.
pub struct Controls {
    drafts: HashMap<&'static str, String>,
}

/// A message: a control's text changed.
pub struct Draft(&'static str, String);

fn slider_position(input: &Input, value: f64) -> f64 {
    if let Input::Number {
        slider: (lo, hi),
        log,
        ..
    } = *input
    {
        let f = if log && lo > 0.0 {
            (value.max(lo).ln() - lo.ln()) / (hi.ln() - lo.ln())
        } else {
            (value - lo) / (hi - lo)
        };
        (f.clamp(0.0, 1.0) * 1000.0).round()
    } else {
        0.0
    }
}

fn slider_value(input: &Input, position: f64) -> f64 {
    if let Input::Number {
        slider: (lo, hi),
        log,
        integer,
        ..
    } = *input
    {
        let f = position / 1000.0;
        let v = if log && lo > 0.0 {
            (lo.ln() + f * (hi.ln() - lo.ln())).exp()
        } else {
            lo + f * (hi - lo)
        };
        // Slider positions snap to readable values; typed values are taken as typed.
        let digits = if v >= 100.0 || integer {
            0
        } else if v >= 1.0 {
            1
        } else {
            3
        };
        let scale = 10f64.powi(digits);
        (v * scale).round() / scale
    } else {
        0.0
    }
}

fn value_text(v: &Value, input: &Input) -> String {
    match v {
        Value::Number(n) => fmt_number(*n),
        Value::Off => match input {
            Input::Number { off: Some(off), .. } => off.word.to_string(),
            _ => String::new(),
        },
        Value::Choice(c) => c.clone(),
        Value::Flag(b) => if *b { "on" } else { "off" }.into(),
    }
}

impl Component for Controls {
    type Message = Draft;
    type Properties = ControlsProps;

    fn create(_ctx: &Context<Self>) -> Self {
        Controls {
            drafts: HashMap::new(),
        }
    }

    fn update(&mut self, ctx: &Context<Self>, Draft(id, text): Draft) -> bool {
        self.drafts.insert(id, text.clone());
        ctx.props().on_change.emit((id, text));
        false
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let props = ctx.props();
        if props.pinned {
            let ids = props.only.as_deref().map(Vec::as_slice).unwrap_or_default();
            return html! {
                <div class="controls-pinned" data-testid="pinned-settings">
                    { for ids.iter().filter_map(|id| KNOBS.iter().find(|k| k.id == id.as_str()))
                        .filter(|k| k.get(&props.scenario).is_some())
                        .map(|k| self.view_knob(ctx, k)) }
                </div>
            };
        }
        html! {
            <div class="controls-panel">
                if let Some(side) = props.side {
                    <p class="editing-side" data-testid="editing-side">{ format!("Editing side {side}") }</p>
                }
                { for Group::ALL.iter().map(|group| {
                    let knobs: Vec<&'static Knob> = KNOBS
                        .iter()
                        .filter(|k| k.group == *group && k.get(&props.scenario).is_some())
                        .filter(|k| listed(props.only.as_deref().map(Vec::as_slice), k.id))
                        .collect();
                    if knobs.is_empty() {
                        return html! {};
                    }
                    let open = *group == Group::Traffic
                        || props.only.is_some()
                        || knobs.iter().any(|k| props.highlight.contains(&k.id));
                    html! {
                        <details class="group" open={open}>
                            <summary>{ group.title() }</summary>
                            { for knobs.into_iter().map(|k| self.view_knob(ctx, k)) }
                        </details>
                    }
                }) }
            </div>
        }
    }
}

/// What every kind of input of one knob needs.
struct Field<'a> {
    knob: &'static Knob,
    link: &'a yew::html::Scope<Controls>,
    value: Value,
    /// The text shown: the value, or the refused draft.
    text: String,
    dom_id: String,
    described: String,
    invalid: bool,
    disabled: bool,
}

impl Field<'_> {
    /// A slider and a text field, and the "off" box of a setting that can be switched off.
    fn number(&self, off: Option<crate::app::knobs::Off>) -> Html {
        let (id, dom_id, disabled) = (self.knob.id, &self.dom_id, self.disabled);
        let on_text = self.link.callback(move |e: Event| {
            Draft(id, e.target_unchecked_into::<HtmlInputElement>().value())
        });
        let input_kind = self.knob.input;
        let on_slide = self.link.callback(move |e: InputEvent| {
            let pos: f64 = e
                .target_unchecked_into::<HtmlInputElement>()
                .value()
                .parse()
                .unwrap_or(0.0);
            Draft(id, fmt_number(slider_value(&input_kind, pos)))
        });
        let is_off = self.value == Value::Off;
        let number = match self.value {
            Value::Number(n) => n,
            _ => 0.0,
        };
        let off_toggle = off.map(|off| {
            let word = off.word;
            let on_off = self.link.callback(move |e: Event| {
                let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
                Draft(
                    id,
                    if checked {
                        word.to_string()
                    } else {
                        fmt_number(off.back_to)
                    },
                )
            });
            html! {
                <label class="off-toggle">
                    <input type="checkbox" checked={is_off} onchange={on_off} disabled={disabled}
                           data-testid={format!("{dom_id}-off")} />
                    { word }
                </label>
            }
        });
        html! {
            <div class="number-row">
                <input type="range" min="0" max="1000" step="1"
                       value={slider_position(&self.knob.input, number).to_string()}
                       aria-label={format!("{} slider", self.knob.label)} aria-describedby={self.described.clone()}
                       disabled={disabled || is_off} oninput={on_slide} tabindex="-1" />
                <input id={dom_id.clone()} type="text" inputmode="decimal" class="number"
                       value={self.text.clone()} onchange={on_text} disabled={disabled}
                       aria-invalid={self.invalid.to_string()} aria-describedby={self.described.clone()}
                       data-testid={dom_id.clone()} />
                <span class="unit">{ self.knob.unit }</span>
                { for off_toggle }
            </div>
        }
    }

    /// The value as text, for a locked pinned setting (a disabled slider would only be noise).
    fn read_only(&self) -> Html {
        let unit = if self.value == Value::Off {
            ""
        } else {
            self.knob.unit
        };
        html! {
            <output id={self.dom_id.clone()} class="pinned-value" aria-describedby={self.described.clone()}
                    data-testid={self.dom_id.clone()}>
                { format!("{} {unit}", self.text).trim_end().to_string() }
            </output>
        }
    }

    /// A list of named choices.
    fn choice(&self, options: &'static [(&'static str, &'static str)]) -> Html {
        let id = self.knob.id;
        let on_pick = self.link.callback(move |e: Event| {
            Draft(id, e.target_unchecked_into::<HtmlSelectElement>().value())
        });
        html! {
            <select id={self.dom_id.clone()} onchange={on_pick} disabled={self.disabled}
                    aria-describedby={self.described.clone()} data-testid={self.dom_id.clone()}>
                { for options.iter().map(|(v, label)| html! {
                    <option value={*v} selected={self.text == *v}>{ *label }</option>
                }) }
            </select>
        }
    }

    /// An on/off switch.
    fn toggle(&self) -> Html {
        let id = self.knob.id;
        let checked = self.value == Value::Flag(true);
        let on_flip = self.link.callback(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            Draft(id, if on { "on" } else { "off" }.into())
        });
        html! {
            <input id={self.dom_id.clone()} type="checkbox" role="switch" checked={checked}
                   onchange={on_flip} disabled={self.disabled}
                   aria-describedby={self.described.clone()} data-testid={self.dom_id.clone()} />
        }
    }
}

impl Controls {
    fn view_knob(&self, ctx: &Context<Self>, k: &'static Knob) -> Html {
        let props = ctx.props();
        let Some(value) = k.get(&props.scenario) else {
            return html! {};
        };
        let problems: Vec<&Problem> = props.problems.iter().filter(|p| k.owns(&p.path)).collect();
        let invalid = !problems.is_empty();
        let text = match (invalid, self.drafts.get(k.id)) {
            (true, Some(draft)) => draft.clone(),
            _ => value_text(&value, &k.input),
        };
        let dom_id = format!("knob-{}", k.id.replace(['.', '['], "-").replace(']', ""));
        let (help_id, error_id) = (format!("{dom_id}-help"), format!("{dom_id}-error"));
        let described = if invalid {
            format!("{help_id} {error_id}")
        } else {
            help_id.clone()
        };
        let fixed = props
            .allowed
            .is_some_and(|a| !crate::app::challenges::allows(a, k.id));
        let field = Field {
            knob: k,
            link: ctx.link(),
            value,
            text,
            dom_id: dom_id.clone(),
            described,
            invalid,
            disabled: props.locked || fixed,
        };
        let input = match k.input {
            _ if props.pinned && props.locked => field.read_only(),
            Input::Number { off, .. } => field.number(off),
            Input::Choice(options) => field.choice(options),
            Input::Toggle => field.toggle(),
        };
        let class = classes!(
            "knob",
            props.highlight.contains(&k.id).then_some("lesson"),
            invalid.then_some("invalid")
        );
        html! {
            <div class={class} title={props.pinned.then_some(k.help)}>
                { knob_label(props, k, &dom_id) }
                { input }
                <p id={help_id} class={classes!("knob-help", props.pinned.then_some("sr-only"))}>
                    { k.help }
                    <span class="knob-meta">
                        { format!(" Range {}{}.", k.range_text(), if k.unit.is_empty() { String::new() } else { format!(" {}", k.unit) }) }
                        if !k.mirrors.is_empty() { { format!(" Mirrors: {}.", k.mirrors) } }
                    </span>
                </p>
                if invalid {
                    <p id={error_id} class="knob-error" role="alert" data-testid={format!("{dom_id}-error")}>
                        { for problems.iter().map(|p| html! { <span>{ format!("{}: {}", p.path, p.message) }</span> }) }
                    </p>
                }
            </div>
        }
    }
}

/// A knob's label with its badges: the lesson's fix, restart-only, differing between A and B,
/// waiting for a reset.
fn knob_label(props: &ControlsProps, k: &'static Knob, dom_id: &str) -> Html {
    html! {
        <label for={dom_id.to_string()} class="knob-label">
            { k.label }
            if props.highlight.contains(&k.id) { <span class="badge lesson-badge">{ "the fix" }</span> }
            if !k.live() { <span class="badge">{ "applies on reset" }</span> }
            if props.allowed.is_some_and(|a| !crate::app::challenges::allows(a, k.id)) {
                <span class="badge fixed" data-testid={format!("{dom_id}-fixed")}>{ "fixed in this challenge" }</span>
            }
            if props.differs.contains(&k.id) { <span class="badge differs">{ "differs between A and B" }</span> }
            if props.pending.contains(&k.id) { <span class="badge pending" role="status">{ "waiting for reset" }</span> }
        </label>
    }
}

/// A text field that commits on change (Enter or leaving it). As a component with stable
/// props it is not redrawn by the frame loop, so what a person is typing is never overwritten.
#[derive(Properties, PartialEq)]
pub struct CommitFieldProps {
    /// The element id (for its label).
    pub id: AttrValue,
    /// The test id.
    pub testid: AttrValue,
    /// The value to show.
    pub value: AttrValue,
    /// `numeric` or `decimal`.
    pub inputmode: AttrValue,
    /// The value was refused.
    #[prop_or_default]
    pub invalid: bool,
    /// Ids of the elements that describe it.
    #[prop_or_default]
    pub describedby: Option<AttrValue>,
    /// The committed text.
    pub on_commit: Callback<String>,
}

/// See [`CommitFieldProps`].
#[function_component(CommitField)]
pub fn commit_field(props: &CommitFieldProps) -> Html {
    let on_commit = props.on_commit.clone();
    let onchange = Callback::from(move |e: Event| {
        on_commit.emit(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    html! {
        <input id={props.id.clone()} data-testid={props.testid.clone()} type="text" class="number"
               inputmode={props.inputmode.clone()} value={props.value.clone()} onchange={onchange}
               aria-invalid={props.invalid.to_string()} aria-describedby={props.describedby.clone()} />
    }
}
