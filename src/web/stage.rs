//! The middle of the page: the settings panel beside the stage, the lesson, the readouts (or
//! the A/B table), the architecture view, and the alert and log panels.

use std::rc::Rc;

use outage_lab_engine::metrics::StatusCounts;
use outage_lab_engine::snapshot::Snapshot;
use yew::html::Scope;
use yew::prelude::*;

use super::controls::Controls;
use super::panels::{AlertsPanel, LogsPanel};
use super::{architecture, App, Msg};
use crate::app::embed::Panel;
use crate::app::operator::OPERATOR_BUTTONS;
use crate::app::page::Action;
use crate::app::presets::preset;
use crate::app::readouts::{difference_text, latency_text, Flow, Readouts, SideFigures, AB_ROWS};
use crate::app::words;
use outage_lab_engine::scenario::ActionKind;

/// The settings panel, if shown: a drawer beside the stage (a sheet over it on a phone).
pub fn settings(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let o = &page.options;
    if !o.shows(Panel::Controls) || o.pins_settings() {
        return html! {};
    }
    let side = page
        .pair
        .b
        .as_ref()
        .map(|_| if page.pair.editing_b { "B" } else { "A" });
    let open = page.settings_open;
    html! {
        <aside id="settings" class={classes!("settings", (!open).then_some("closed"))} aria-label="Settings" hidden={!open}>
            <div class="settings-head">
                <h2>{ "Settings" }</h2>
                <button type="button" class="secondary close" data-testid="settings-close" aria-label="Close the settings"
                        onclick={link.callback(|_| Msg::Act(Action::ShowSettings(false)))}>{ "Close" }</button>
            </div>
            if o.locked {
                <p class="quiet small">{ "These settings are locked by the page that embeds this lab." }</p>
            } else {
                <p class="quiet small">{ "Changes apply to new work at once; requests and queries already waiting keep the settings they started with, as in the real software. Settings marked “applies on reset” wait for a reset." }</p>
            }
            <Controls scenario={page.scenario.clone()} problems={page.problems.clone()} pending={page.pending.clone()}
                      highlight={match page.guide_focus() { Some(crate::app::guide::Region::Settings(k)) => k, _ if page.guide.is_some() => &[], _ => page.preset.fix_knobs }} on_change={app.callbacks.knob.clone()}
                      locked={o.locked} only={o.controls.clone().map(Rc::new)} differs={page.differs.clone()}
                      side={side} allowed={page.challenge.map(|c| c.allowed)} />
        </aside>
    }
}

/// An embed's few settings, pinned above the stage (locked ones as plain values).
fn pinned_settings(app: &App) -> Html {
    let page = &app.page;
    let o = &page.options;
    html! {
        <section class="pinned" aria-label={if o.locked { "Settings, locked by the page that embeds this lab" } else { "Settings" }}>
            <Controls scenario={page.scenario.clone()} problems={page.problems.clone()} pending={page.pending.clone()}
                      highlight={if o.locked { &[] } else { page.preset.fix_knobs }} on_change={app.callbacks.knob.clone()}
                      locked={o.locked} only={o.controls.clone().map(Rc::new)} pinned=true />
        </section>
    }
}

/// The lesson, the readouts or A/B table, and the architecture view.
pub fn view(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let o = &page.options;
    // One snapshot of side A per render: each costs a pass over the attempts alive.
    let mut snap = page.pair.a.sim().snapshot();
    if page.hides_cause() {
        // The architecture view names active faults; a drill's wait for the diagnosis.
        snap.active_faults.clear();
    }
    html! {
        <>
            if o.shows(Panel::Lesson) { { lesson(app, link) } }
            if o.pins_settings() { { pinned_settings(app) } }
            { captions(app) }
            if o.shows(Panel::Readouts) {
                if let Some(b) = &page.pair.b {
                    { ab_table(&SideFigures::of(&page.pair.a), &SideFigures::of(b)) }
                } else {
                    { readouts(app, &snap) }
                }
            }
            { strategies(app, link) }
            { theory(app) }
            { carried_over(app, link, &snap) }
            if o.shows(Panel::Architecture) { { architecture_view(app, &snap) } }
        </>
    }
}

/// The retry strategies side by side (the contention lesson): what each cost on this seed.
fn strategies(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let Some(results) = &page.strategies else {
        return html! {};
    };
    let scenario = page.pair.a.scenario();
    html! {
        <section class="strategies" aria-labelledby="strategies-title" data-testid="strategies">
            <h2 id="strategies-title">{ format!("Every strategy on seed {}, side by side", scenario.seed) }</h2>
            { match results.as_ref() {
                Err(why) => html! { <p class="small quiet">{ format!("Not compared: {why}.") }</p> },
                Ok(rows) => html! {
                    <table>
                        <thead><tr>
                            <th scope="col">{ "strategy" }</th><th scope="col">{ "calls sent" }</th>
                            <th scope="col">{ "clients who gave up" }</th><th scope="col">{ "every client done after" }</th><th scope="col">{ "" }</th>
                        </tr></thead>
                        <tbody>
                            { for rows.iter().enumerate().map(|(i, r)| {
                                let current = r.strategy.is_used_by(scenario);
                                html! {
                                    <tr class={classes!(current.then_some("current"))} data-testid={format!("strategy-{i}")}
                                        data-calls={r.calls.to_string()} data-gave-up={r.gave_up.to_string()}
                                        data-slowest-ms={format!("{:.3}", r.slowest_ms)} data-current={current.to_string()}>
                                        <th scope="row">{ r.strategy.label }</th>
                                        <td>{ r.calls.to_string() }</td>
                                        <td class={classes!((r.gave_up > 0).then_some("bad"))}>{ format!("{} of {}", r.gave_up, r.clients) }</td>
                                        <td>{ if r.gave_up == 0 { latency_text(r.slowest_ms) } else { format!("never: {} gave up", r.gave_up) } }</td>
                                        <td>
                                            if current {
                                                <span class="badge">{ "running now" }</span>
                                            } else if !page.options.locked {
                                                <button type="button" class="secondary" data-testid={format!("try-strategy-{i}")}
                                                        onclick={link.callback(move |_| Msg::Act(Action::TryStrategy(i)))}>{ "Run it" }</button>
                                            }
                                        </td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                },
            } }
            <p class="small quiet">{ "Each row is the whole run with that strategy, the other settings as at the last reset." }</p>
        </section>
    }
}

/// For a scenario that is exactly an M/M/c queue: the measured mean queue wait beside what
/// Erlang C predicts.
fn theory(app: &App) -> Html {
    let scenario = app.page.pair.a.scenario();
    let Some(p) = crate::app::theory::mmc(scenario) else {
        return html! {};
    };
    let measured = app.page.pair.a.sim().mean_queue_wait_ms();
    html! {
        <section class="theory" data-testid="theory" aria-label="Queueing theory">
            <p>
                <strong>{ format!("Queueing theory: an M/M/{} queue at {:.0} % utilisation. ", p.servers, 100.0 * p.utilisation) }</strong>
                { format!("Erlang C predicts that {:.1} % of requests wait, {} on average. ", 100.0 * p.p_wait, format_ms(p.wait_ms)) }
                <span data-testid="theory-measured" data-value={measured.map_or("none".to_string(), |(ms, _)| format!("{ms:.6}"))}
                      data-predicted={format!("{:.6}", p.wait_ms)}>
                    { match measured {
                        Some((ms, n)) => format!("Measured so far: {} over {n} requests ({:+.1} %).", format_ms(ms), 100.0 * (ms / p.wait_ms - 1.0)),
                        None => "Measured: nothing yet; press Play.".to_string(),
                    } }
                </span>
            </p>
        </section>
    }
}

/// Milliseconds with two decimals (queue waits are fractions of a millisecond to a few).
fn format_ms(ms: f64) -> String {
    format!("{ms:.2} ms")
}

/// The captions of the run's key moments, newest first (the newest stands out).
fn captions(app: &App) -> Html {
    let captions = &app.page.captions;
    if captions.is_empty() {
        return html! {};
    }
    // A docs embed below the full layout keeps to the newest caption, on one line.
    let one_line = app.page.options.is_docs_embed();
    let shown = if one_line { 1 } else { captions.len() };
    html! {
        <section class={classes!("captions", one_line.then_some("one-line"))} aria-label="What just happened" aria-live="polite" data-testid="captions">
            <ol>
                { for captions.iter().rev().take(shown).enumerate().map(|(i, c)| html! {
                    <li class={classes!("caption", (i == 0).then_some("newest"))} data-testid={(i == 0).then_some("caption")} title={one_line.then(|| c.text.clone())}>
                        <span class="caption-t">{ format!("t = {:.0} s", c.t_s) }</span>
                        <span class="caption-text">{ &c.text }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}

/// When a live change left work running under the old settings: what, in counts, and the ways
/// to finish the fix (kill the long queries, restart, replay or compare from 0).
fn carried_over(app: &App, link: &Scope<App>, snap: &Snapshot) -> Html {
    let page = &app.page;
    let Some(text) = words::carried_over_text(&snap.carried_over) else {
        return html! {};
    };
    let live = !page.options.locked && !page.pair.a.sim().is_finished();
    let button = |testid: &'static str, label: &'static str, action: Action| {
        let action = std::rc::Rc::new(action);
        html! {
            <button type="button" class="secondary" data-testid={testid}
                    onclick={link.callback(move |_| Msg::Act((*action).clone()))}>{ label }</button>
        }
    };
    let kill = OPERATOR_BUTTONS
        .iter()
        .position(|b| b.kind == ActionKind::KillQueries);
    let rolling = OPERATOR_BUTTONS
        .iter()
        .position(|b| b.kind == ActionKind::RollingRestart);
    html! {
        <section class="note carried-over" data-testid="carried-over" aria-live="polite">
            <p>
                <strong>{ "Still under the old settings: " }</strong>{ format!("{text}.") }
                { " A change applies to new work only (a HikariCP waiter keeps the timeout it started waiting with; a PostgreSQL statement keeps its statement_timeout), so this work holds its threads and connections until it ends." }
            </p>
            <div class="note-actions">
                if live {
                    if let (Some(i), true) = (kill, snap.carried_over.queries_without_timeout > 0) {
                        { button("carried-kill", "Kill long queries", Action::Operate(i)) }
                    }
                    if let Some(i) = rolling {
                        { button("carried-restart", "Rolling restart", Action::Operate(i)) }
                    }
                }
                if !page.options.locked {
                    { button("replay-from-0", "Replay from 0 with these settings", Action::ReplayFromZero) }
                    if page.pair.b.is_none() && page.pair.a.before_live_changes().is_some() {
                        { button("compare-before-after", "Compare from 0: before vs after", Action::CompareBeforeAfter) }
                    }
                }
            </div>
        </section>
    }
}

fn lesson(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    if let Some(c) = page.challenge {
        return challenge(app, c);
    }
    if let Some(d) = &page.drill {
        return super::drill::view(app, link, d);
    }
    if let Some(q) = &page.quiz {
        return super::quiz::view(link, q);
    }
    if let Some(g) = &page.guide {
        return super::guide::view(app, link, g);
    }
    let counterpart = page.preset.counterpart.and_then(preset);
    html! {
        <section class="lesson" aria-labelledby="lesson-title" data-testid="lesson">
            if page.imported.is_some() {
                <h2 id="lesson-title">{ page.title() }</h2>
                <p>{ &page.scenario.description }</p>
            } else {
                <h2 id="lesson-title">{ page.preset.title }</h2>
                <p data-testid="lesson-watch"><strong>{ "Watch: " }</strong>{ page.preset.watch }</p>
                <details class="lesson-fix">
                    <summary>{ if page.preset.fix_knobs.is_empty() { "What to try" } else { "How to fix it" } }</summary>
                    <p data-testid="lesson-fix">{ page.preset.fix }</p>
                    <div class="note-actions">
                        if !page.options.locked && !page.preset.fix_knobs.is_empty() && page.options.shows(Panel::Controls) {
                            <button type="button" class="secondary" data-testid="show-fix-settings"
                                    onclick={link.callback(|_| Msg::Act(Action::ShowSettings(true)))}>{ "Show the settings marked “the fix”" }</button>
                        }
                        if let Some(other) = counterpart.filter(|_| !page.options.locked) {
                            <button type="button" class="secondary" onclick={link.callback(move |_| Msg::Act(Action::Preset(other.id.into())))}>
                                { format!("Open “{}”", other.title) }
                            </button>
                            <button type="button" class="secondary" data-testid="side-by-side"
                                    onclick={link.callback(move |_| Msg::Act(Action::SideBySide(other.id)))}>
                                { "Run both side by side (A/B)" }
                            </button>
                        }
                    </div>
                </details>
            }
        </section>
    }
}

/// A challenge in the lesson's place: the situation, the goal, what may change; once the run
/// has finished, the judge's verdict with every figure, the time taken and a link to share.
fn challenge(app: &App, c: &crate::app::challenges::Challenge) -> Html {
    let page = &app.page;
    html! {
        <section class="lesson challenge" aria-labelledby="lesson-title" data-testid="challenge">
            <h2 id="lesson-title">{ format!("Challenge (level {}): {}", c.level, c.title) }</h2>
            <p>{ c.brief }</p>
            <p><strong>{ "Goal: " }</strong>{ c.goal_text() }{ "." }</p>
            <p class="small quiet">{ format!("You may change: {}. Change the settings, then run to the end: the judge replays your settings from 0 s.", c.allowed.join(", ")) }</p>
            if let Some(v) = &page.verdict {
                { verdict_view(&v.0, v.1, &page.link_text) }
            }
        </section>
    }
}

fn verdict_view(v: &crate::app::challenges::Verdict, taken_s: f64, link: &str) -> Html {
    html! {
        <div class={classes!("verdict", if v.passed { "pass" } else { "fail" })} data-testid="verdict" data-passed={v.passed.to_string()} role="status">
            <p class="verdict-head">{ if v.passed { "Passed" } else { "Not passed" } }
                <span class="quiet small">{ format!(" · {:.0} s since you opened it · changed: {}", taken_s,
                    if v.changes.is_empty() { "nothing".to_string() } else { v.changes.join(", ") }) }</span></p>
            <ul>
                { for v.requirements.iter().map(|m| html! {
                    <li class={classes!(if m.passed { "ok" } else { "bad" })}>
                        { format!("{} {}: measured {}", if m.passed { "✓" } else { "✗" }, m.text, crate::app::charts::trim(m.value)) }
                    </li>
                }) }
                { for v.broken.iter().map(|b| html! { <li class="bad">{ format!("✗ {b}") }</li> }) }
            </ul>
            <p class="small">{ "Share your result (anyone can replay it): " }<a href={link.to_string()} data-testid="share-result">{ "link" }</a></p>
        </div>
    }
}

/// One big number of the readouts row; `value` is also in `data-value`, unrounded, for tests.
fn readout(
    testid: &'static str,
    label: &'static str,
    shown: String,
    bad: bool,
    value: String,
) -> Html {
    html! {
        <div class="readout" data-testid={testid} data-value={value}>
            <span class="label">{ label }</span>
            <span class={classes!("value", bad.then_some("bad"))}>{ shown }</span>
        </div>
    }
}

fn readouts(app: &App, snap: &Snapshot) -> Html {
    let sim = app.page.pair.a.sim();
    let r = Readouts::of(sim.seconds());
    let pct = |c: &StatusCounts| format!("{:.1} %", 100.0 * c.rate_5xx());
    let firing = snap.alerts_firing.len();
    let failed = r.status.rate_failed();
    let threads: u32 = snap.instances.iter().map(|i| i.gauges.threads_busy).sum();
    let ms = |v: Option<f64>| v.map_or("none".to_string(), |v| format!("{v:.3}"));
    let latency = |v: Option<f64>| v.map_or("–".to_string(), latency_text);
    let endpoint_names: Vec<String> = (app.page.pair.a.scenario().traffic.endpoints.iter())
        .map(|e| e.name.clone())
        .collect();
    html! {
        <section class={classes!("readouts", super::guide::focus(&app.page, crate::app::guide::Region::Readouts))} aria-label="Last ten seconds">
            <div class="readout-group" role="group" aria-label="What users experienced">
                <h3 class="readout-heading">{ "Users" }</h3>
                { readout("readout-failed", "failed", format!("{:.1} %", 100.0 * failed), failed > 0.01, format!("{failed:.6}")) }
                { readout("readout-goodput", "goodput", format!("{:.0}/s", r.goodput_per_s), false, format!("{:.3}", r.goodput_per_s)) }
                { readout("readout-p99", "p99 of successes", latency(r.p99_ok_ms), false, ms(r.p99_ok_ms)) }
                { readout("readout-p99-failed", "p99 of failures", latency(r.p99_failed_ms), false, ms(r.p99_failed_ms)) }
                { readout("readout-oldest", "oldest waiting", latency(r.oldest_in_flight_ms), r.oldest_in_flight_ms.is_some_and(|v| v >= 5_000.0), ms(r.oldest_in_flight_ms)) }
            </div>
            <div class="readout-group" role="group" aria-label="What the service and its monitoring saw">
                <h3 class="readout-heading">{ "Service" }</h3>
                { readout("readout-5xx", "5xx (true)", pct(&r.status), r.status.rate_5xx() > 0.01, format!("{:.6}", r.status.rate_5xx())) }
                { readout("readout-seen-5xx", "5xx (monitoring)", pct(&r.seen), r.seen.rate_5xx() > 0.01, format!("{:.6}", r.seen.rate_5xx())) }
                { readout("readout-inflight", "users waiting for an answer", snap.in_flight.to_string(), false, snap.in_flight.to_string()) }
                { readout("readout-threads", "threads busy", format!("{threads}/{}", snap.max_threads as usize * snap.instances.len()), false, threads.to_string()) }
                { readout("readout-alerts", "alerts firing", firing.to_string(), firing > 0, firing.to_string()) }
                if app.page.pair.a.scenario().client.retry.is_some() {
                    { readout("readout-amplification", "calls per request", r.amplification.map_or("–".into(), |x| format!("{x:.1}x")),
                              r.amplification.is_some_and(|x| x > 2.0), r.amplification.map_or("none".into(), |x| format!("{x:.4}"))) }
                }
            </div>
            if r.endpoints.len() > 1 {
                <div class="readout-group" role="group" aria-label="Each endpoint's successes">
                    <h3 class="readout-heading">{ "Endpoints" }</h3>
                    { for r.endpoints.iter().enumerate().map(|(i, c)| {
                        let name = endpoint_names.get(i).cloned().unwrap_or_default();
                        let ok = (c.total() > 0).then(|| c.ok_200 as f64 / c.total() as f64);
                        let shown = ok.map_or("–".to_string(), |ok| format!("{:.1} % ok", 100.0 * ok));
                        html! {
                            <div class="readout" data-testid={format!("readout-endpoint-{i}")} data-value={ok.map_or("none".to_string(), |ok| format!("{ok:.6}"))} data-endpoint={name.clone()}>
                                <span class="label">{ name }</span>
                                <span class={classes!("value", ok.is_some_and(|ok| ok < 0.99).then_some("bad"))}>{ shown }</span>
                            </div>
                        }
                    }) }
                </div>
            }
        </section>
    }
}

/// The A/B summary: each figure for A and B and the difference.
fn ab_table(a: &SideFigures, b: &SideFigures) -> Html {
    html! {
        <section class="ab-summary" aria-label="A/B comparison">
            <table data-testid="ab-summary">
                <thead><tr><th scope="col">{ "" }</th><th scope="col">{ "A" }</th><th scope="col">{ "B" }</th><th scope="col">{ "B − A" }</th></tr></thead>
                <tbody>
                    { for AB_ROWS.iter().map(|row| {
                        let (va, vb) = ((row.pick)(a), (row.pick)(b));
                        html! {
                            <tr>
                                <th scope="row">{ row.label }</th>
                                <td data-testid={format!("ab-{}-a", row.id)} data-value={va.to_string()}>{ (row.show)(va) }</td>
                                <td data-testid={format!("ab-{}-b", row.id)} data-value={vb.to_string()}>{ (row.show)(vb) }</td>
                                <td>{ difference_text(row, va, vb) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}

fn architecture_view(app: &App, snap_a: &Snapshot) -> Html {
    let pair = &app.page.pair;
    let side = |d: &crate::app::driver::Driver, snap: &Snapshot| {
        let sim = d.sim();
        html! {
            <>
                <div class="architecture-scroll">{ architecture::view(snap, &Flow::of(sim.seconds().last()), app.drawing) }</div>
                if snap.failing_open {
                    <p class="small note" data-testid="failing-open">
                        { "No instance passes its health check, so the load balancer fails open: it sends traffic to every instance anyway (the health check's “when all unhealthy: fail open”). Without it, every request would get a 503." }
                    </p>
                }
            </>
        }
    };
    html! {
        <section class={classes!("architecture-view", super::guide::focus(&app.page, crate::app::guide::Region::Architecture))} aria-label="Architecture">
            if let Some(b) = &pair.b {
                <h3>{ "A" }</h3>
                { side(&pair.a, snap_a) }
                <h3>{ "B" }</h3>
                { side(b, &b.sim().snapshot()) }
            } else {
                { side(&pair.a, snap_a) }
            }
            if app.drawing != architecture::Drawing::Dense {
                <p class="legend small">
                    { "Bars fill as queues, threads and pool connections are used (green < 80 %, amber ≥ 80 %, red ≥ 95 %). Breaker light: C closed, O open, H half-open." }
                </p>
            }
        </section>
    }
}

/// The alerts and log panels, if shown.
pub fn panels(app: &App) -> Html {
    let page = &app.page;
    let o = &page.options;
    if !(o.shows(Panel::Alerts) || o.shows(Panel::Logs)) {
        return html! {};
    }
    html! {
        <div class="panels">
            if o.shows(Panel::Alerts) { <div class={classes!("panel-wrap", super::guide::focus(page, crate::app::guide::Region::Alerts))}><AlertsPanel history={page.alerts.clone()} /></div> }
            if o.shows(Panel::Logs) {
              <div class={classes!("panel-wrap", super::guide::focus(page, crate::app::guide::Region::Log))}>
                <LogsPanel events={page.logs.clone()} quiet={page.quiet_logs.clone()} incidents={page.incidents.clone()} warnings={page.incident_warnings.clone()} total={page.logs_total} filter={page.log_filter.clone()}
                           selected={page.selected_log}
                           on_filter={app.callbacks.log_filter.clone()} on_select={app.callbacks.select_log.clone()} />
              </div>
            }
        </div>
    }
}
