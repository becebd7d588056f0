//! The alerts panel and the log panel.

use std::rc::Rc;

use outage_lab_engine::metrics::{ErrorClass, Status};
use outage_lab_engine::observe::{AlertEvent, Level, LogEvent, LogSource, Severity};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::app::words::rule_text;

/// The alerts panel's inputs.
#[derive(Properties, PartialEq)]
pub struct AlertsProps {
    /// Every firing so far.
    pub history: Rc<Vec<AlertEvent>>,
}

/// Alerts with their thresholds, fire and resolve times; firing ones first.
#[function_component(AlertsPanel)]
pub fn alerts_panel(props: &AlertsProps) -> Html {
    let mut alerts: Vec<&AlertEvent> = props.history.iter().collect();
    alerts.sort_by_key(|a| (a.resolved_s.is_some(), std::cmp::Reverse(a.fired_s)));
    html! {
        <section class="panel alerts" aria-labelledby="alerts-title" data-testid="alerts">
            <h2 id="alerts-title">{ "Alerts" }</h2>
            if alerts.is_empty() {
                <p class="quiet">{ "No alert has fired." }</p>
            } else {
                <ul>
                    { for alerts.iter().map(|a| {
                        let (severity, severity_class) = match a.severity { Severity::Page => ("PAGE", "page"), Severity::Warn => ("WARN", "warn") };
                        let state = match a.resolved_s {
                            None => format!("firing since {} s", a.fired_s),
                            Some(r) => format!("fired {} s, resolved {} s", a.fired_s, r),
                        };
                        html! {
                            <li class={classes!("alert", a.resolved_s.is_none().then_some("firing"), severity_class)}
                                data-rule={serde_json::to_value(a.rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()}>
                                <span class="badge sev">{ severity }</span>
                                <span>{ rule_text(a.rule) }</span>
                                <span class="when">{ state }</span>
                            </li>
                        }
                    }) }
                </ul>
            }
            <p class="quiet small">{ "Rules: 5xx > 1 % over 5 min pages; pool use > 80 % warns, > 95 % pages; p99 > 5x baseline warns." }</p>
        </section>
    }
}

/// The log panel's inputs.
#[derive(Properties, PartialEq)]
pub struct LogsProps {
    /// The ring's events, oldest first.
    pub events: Rc<Vec<LogEvent>>,
    /// The newest warnings and info lines, oldest first (errors do not evict them).
    pub quiet: Rc<Vec<LogEvent>>,
    /// The first error of every incident so far (kept after the ring moved on).
    pub incidents: Rc<Vec<LogEvent>>,
    /// For each incident, the first warning of the run of warnings before it.
    pub warnings: Rc<Vec<Option<LogEvent>>>,
    /// Events logged in total (the ring keeps the newest).
    pub total: u64,
    /// The class filter: `""` for everything, `errors` for every error, or a class name.
    pub filter: String,
    /// The selected line's sequence number.
    pub selected: Option<u64>,
    /// The filter changed.
    pub on_filter: Callback<String>,
    /// A line was picked.
    pub on_select: Callback<u64>,
}

/// Lines shown at most, newest first.
const LINES_SHOWN: usize = 100;

fn class_name(e: &LogEvent) -> Option<String> {
    e.error_class
        .and_then(|c| serde_json::to_value(c).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::ClientTimeout => "client gave up",
        other => other.label(),
    }
}

/// The structured log: newest first, the first error of each incident marked, filterable by
/// error class; picking a line shows that request's path and timings.
#[function_component(LogsPanel)]
pub fn logs_panel(props: &LogsProps) -> Html {
    let matches = |e: &LogEvent| match props.filter.as_str() {
        "" => true,
        "errors" => e.level == Level::Error,
        "warn" => e.level == Level::Warn,
        "info" => e.level != Level::Error,
        class => class_name(e).as_deref() == Some(class),
    };
    // Warnings and info come from their own ring, so an error flood leaves them in reach.
    let quiet_only = matches!(props.filter.as_str(), "warn" | "info");
    let source = if quiet_only {
        &props.quiet
    } else {
        &props.events
    };
    let shown: Vec<&LogEvent> = source
        .iter()
        .rev()
        .filter(|e| matches(e))
        .take(LINES_SHOWN)
        .collect();
    let selected = props
        .selected
        .and_then(|seq| (props.events.iter().chain(props.quiet.iter())).find(|e| e.seq == seq));
    html! {
        <section class="panel logs" aria-labelledby="logs-title" data-testid="logs">
            <h2 id="logs-title">{ "Log" }</h2>
            { filter_bar(props) }
            if !props.incidents.is_empty() { { incidents(&props.incidents, &props.warnings) } }
            <ol class="log-lines" aria-label="Log lines, newest first">
                { for shown.iter().map(|e| log_line(props, e)) }
            </ol>
            if let Some(e) = selected { { view_trace(e, false) } }
        </section>
    }
}

/// The filter by level or error class, and how many lines there are.
fn filter_bar(props: &LogsProps) -> Html {
    let classes: Vec<String> = ErrorClass::ALL
        .iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let on_filter = {
        let cb = props.on_filter.clone();
        Callback::from(move |e: Event| {
            cb.emit(e.target_unchecked_into::<HtmlSelectElement>().value())
        })
    };
    html! {
        <div class="logs-bar">
            <label for="log-filter">{ "Show" }</label>
            <select id="log-filter" onchange={on_filter} data-testid="log-filter">
                <option value="" selected={props.filter.is_empty()}>{ "everything" }</option>
                <option value="errors" selected={props.filter == "errors"}>{ "errors" }</option>
                <option value="warn" selected={props.filter == "warn"}>{ "warnings" }</option>
                <option value="info" selected={props.filter == "info"}>{ "info and warnings" }</option>
                { for classes.iter().map(|c| html! {
                    <option value={c.clone()} selected={props.filter == *c}>{ format!("errors: {}", c.replace('_', " ")) }</option>
                }) }
            </select>
            <span class="quiet small">{ format!("{} lines logged; the newest {} shown", props.total, props.events.len().min(LINES_SHOWN)) }</span>
        </div>
    }
}

/// The first error of each incident, and the first warning of the run that led up to it.
fn incidents(incidents: &[LogEvent], warnings: &[Option<LogEvent>]) -> Html {
    let line = |what: &'static str, e: &LogEvent| {
        html! {
            <>
                <span class="what">{ what }</span>
                <span class="t">{ format!("{:.3} s", e.t_ms / 1000.0) }</span>
                { " " }
                <span class="who">{ who(e) }</span>
                { " " }
                if let Some(ep) = &e.endpoint { <span class="ep">{ ep }</span> }
                { " " }
                <span class="msg">{ &e.message }</span>
            </>
        }
    };
    html! {
        <div class="incidents" data-testid="incidents">
            <h3>{ "Incidents: the first warning and the first error of each burst" }</h3>
            <p class="small quiet">{ "An error names the root cause when a timeout fired; when nothing timed out, the first error is a symptom and the warnings before it tell more." }</p>
            <ul>
                { for incidents.iter().enumerate().map(|(i, e)| html! {
                    <li class="incident">
                        if let Some(Some(w)) = warnings.get(i) {
                            <div class="incident-warning" data-testid="incident-warning">{ line("first warning ", w) }</div>
                        }
                        <div class="incident-error" data-testid="incident-error">{ line("first error ", e) }</div>
                    </li>
                }) }
            </ul>
        </div>
    }
}

/// Who wrote a line, as the log shows it.
fn who(e: &LogEvent) -> String {
    match (e.source, e.instance) {
        (LogSource::Instance, Some(i)) => format!("instance {i}"),
        (LogSource::Instance, None) => "instance".into(),
        (LogSource::LoadBalancer, Some(i)) => format!("lb (instance {i})"),
        (LogSource::LoadBalancer, None) => "lb".into(),
        (LogSource::Database, _) => "db".into(),
        (LogSource::Operator, _) => "operator".into(),
        (LogSource::Lab, _) => "lab".into(),
    }
}

/// One log line, a button that shows the request's path.
fn log_line(props: &LogsProps, e: &LogEvent) -> Html {
    let seq = e.seq;
    let on_select = props.on_select.reform(move |_| seq);
    let (level, level_class) = match e.level {
        Level::Error => ("ERROR", "error"),
        Level::Warn => ("WARN", "warn"),
        Level::Info => ("INFO", "info"),
    };
    let who = who(e);
    let picked = props.selected == Some(seq);
    let head = format!(
        "{:>9.3}s {level} {who}{}{}",
        e.t_ms / 1000.0,
        e.endpoint
            .as_deref()
            .map(|ep| format!(" {ep}"))
            .unwrap_or_default(),
        e.status
            .map(|s| format!(" {}", status_text(s)))
            .unwrap_or_default()
    );
    html! {
        <li key={seq} class={classes!("log", level_class, e.first_of_incident.then_some("first"), picked.then_some("selected"))}>
            <button type="button" onclick={on_select} aria-pressed={picked.to_string()}
                    data-first={e.first_of_incident.to_string()}>
                <span class="head">{ head }</span>
                if e.first_of_incident { <span class="badge first-badge">{ "first error of the incident" }</span> }
                <span class="msg">{ &e.message }</span>
            </button>
        </li>
    }
}

/// A failed request's path and timings; `hide_status` leaves out how it ended (a quiz asks).
pub(super) fn view_trace(e: &LogEvent, hide_status: bool) -> Html {
    let Some(t) = &e.trace else {
        return html! {
            <div class="trace" data-testid="trace"><p>{ format!("{:.3} s: {}", e.t_ms / 1000.0, e.message) }</p></div>
        };
    };
    let mut steps: Vec<(String, f64)> = vec![("request started".into(), t.request_started_ms)];
    if t.attempt_no > 1 {
        steps.push((
            format!("attempt {} reached the load balancer", t.attempt_no),
            t.arrived_ms,
        ));
    } else {
        steps.push(("reached the load balancer".into(), t.arrived_ms));
    }
    if let Some(a) = t.accepted_ms {
        steps.push((
            format!(
                "accepted by instance {}",
                e.instance.map_or("?".into(), |i| i.to_string())
            ),
            a,
        ));
    }
    if let Some(th) = t.thread_ms {
        steps.push(("got a worker thread".into(), th));
    }
    if let Some(since) = t.doing_since_ms {
        steps.push((format!("began {}", t.doing), since));
    }
    let ended = if hide_status {
        "ended: with which status?"
    } else {
        e.status.map_or("error", status_text)
    };
    steps.push((
        if hide_status {
            ended.to_string()
        } else {
            format!("ended: {ended}")
        },
        t.ended_ms,
    ));
    let mut prev = t.request_started_ms;
    html! {
        <div class="trace" data-testid="trace" aria-live="polite">
            <h3>{ format!("{} — {}", e.error_id.clone().unwrap_or_default(), e.endpoint.clone().unwrap_or_default()) }</h3>
            <p>{ format!("Request {} attempt {}; when it ended it was {}{}.", t.request_id, t.attempt_no, t.doing,
                t.step.map(|s| format!(" (handler step {})", s + 1)).unwrap_or_default()) }</p>
            <table>
                <thead><tr><th scope="col">{ "What" }</th><th scope="col">{ "At (s)" }</th><th scope="col">{ "After (ms)" }</th></tr></thead>
                <tbody>
                    { for steps.into_iter().map(|(what, at)| {
                        let gap = at - prev;
                        prev = at;
                        html! { <tr><th scope="row">{ what }</th><td>{ format!("{:.3}", at / 1000.0) }</td><td>{ format!("{gap:.1}") }</td></tr> }
                    }) }
                </tbody>
            </table>
            <p class="msg">{ &e.message }</p>
        </div>
    }
}
