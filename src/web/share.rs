//! Sharing and files: the link, the embed code, the downloads, the import (picked or dropped)
//! with its problems, and the finished run's summary.

use web_sys::DragEvent;
use yew::html::Scope;
use yew::prelude::*;

use super::{App, Msg};
use crate::app::embed::{iframe_snippet, Panel};
use crate::app::page::{Action, ExportKind};

/// The share section, if shown, and the run summary once the run has finished.
pub fn view(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let o = &page.options;
    html! {
        <>
            if let Some(report) = page.report.as_ref().filter(|_| !o.embed) {
                { report_view(report, link) }
            }
            if o.shows(Panel::Share) { { share(app, link) } }
            if let Some(json) = page.summary_json.as_ref().filter(|_| !o.embed) {
                <details class="summary" data-testid="result" data-preset={page.preset.id} data-run={page.generation.to_string()}>
                    <summary>{ "Run summary (JSON)" }</summary>
                    <pre data-testid="summary-json">{ json.as_str() }</pre>
                </details>
            }
        </>
    }
}

/// The finished run's report: the objective, what failed first, the top errors, what changed
/// when, each endpoint; downloadable as Markdown or HTML.
fn report_view(r: &crate::app::report::Report, link: &Scope<App>) -> Html {
    let export = |kind: ExportKind| link.callback(move |_| Msg::Act(Action::Export(kind)));
    html! {
        <section class={classes!("report", if r.slo_met { "met" } else { "missed" })} aria-labelledby="report-title" data-testid="report">
            <h2 id="report-title">{ format!("Run report: {}", r.title) }</h2>
            <p data-testid="report-verdict"><strong>{ r.verdict_word() }</strong>{ " " }{ r.verdict_text() }</p>
            <h3>{ "What failed first" }</h3>
            <ul>{ for r.first_lines().into_iter().map(|l| html! { <li>{ l }</li> }) }</ul>
            <h3>{ "Top error classes" }</h3>
            <ul>
                { for r.top_errors.iter().map(|(c, n)| html! { <li>{ format!("{c}: {n}") }</li> }) }
                if r.top_errors.is_empty() { <li>{ "none" }</li> }
            </ul>
            <h3>{ "What changed when" }</h3>
            <ul data-testid="report-timeline">{ for r.timeline.iter().map(|(t, w)| html! { <li>{ format!("{t:.1} s: {w}") }</li> }) }</ul>
            <h3>{ "Endpoints" }</h3>
            <table>
                <thead><tr><th scope="col">{ "endpoint" }</th><th scope="col">{ "answers" }</th><th scope="col">{ "ok" }</th>
                    <th scope="col">{ "500" }</th><th scope="col">{ "502" }</th><th scope="col">{ "503" }</th><th scope="col">{ "504" }</th><th scope="col">{ "client timeouts" }</th></tr></thead>
                <tbody>
                    { for r.endpoints.iter().map(|e| html! {
                        <tr><th scope="row">{ &e.name }</th><td>{ e.answers }</td><td>{ format!("{:.1} %", 100.0 * e.ok_share) }</td>
                            { for e.failures.iter().map(|n| html! { <td>{ n }</td> }) }</tr>
                    }) }
                </tbody>
            </table>
            <div class="share-row">
                <button type="button" class="secondary" data-testid="export-report-md" onclick={export(ExportKind::ReportMarkdown)}>{ "report (Markdown)" }</button>
                <button type="button" class="secondary" data-testid="export-report-html" onclick={export(ExportKind::ReportHtml)}>{ "report (HTML)" }</button>
            </div>
        </section>
    }
}

fn share(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let export = |kind: ExportKind| link.callback(move |_| Msg::Act(Action::Export(kind)));
    html! {
        <section class="share" aria-labelledby="share-title">
            <h2 id="share-title">{ "Share, embed, export, import" }</h2>
            <div class="share-row">
                <label for="share-link">{ "Link" }</label>
                <input id="share-link" data-testid="share-link" type="text" readonly=true value={page.link_text.clone()} />
                <button type="button" data-testid="copy-link" onclick={link.callback(|_| Msg::Act(Action::CopyLink))}>
                    { if page.copied { "Copied" } else { "Copy link" } }
                </button>
            </div>
            if page.drill.is_some() {
                <p class="quiet small">{ "The link opens this drill from time zero: the same incident for everyone who opens it. It names the causes it may hide, never the one it does." }</p>
            } else {
                <p class="quiet small">{ format!("The link ({} characters) opens these settings, seed, speed, injected faults and operator actions from time zero.", page.link_text.len()) }</p>
            }
            <div class="share-row">
                <label for="embed-code">{ "Embed" }</label>
                <textarea id="embed-code" data-testid="embed-code" readonly=true rows="2"
                          value={iframe_snippet(&page.link_text, page.title())} />
                <button type="button" data-testid="copy-embed" onclick={link.callback(|_| Msg::Act(Action::CopyEmbed))}>
                    { if page.copied_embed { "Copied" } else { "Copy embed code" } }
                </button>
            </div>
            <p class="quiet small">{ "Paste it in any page; see docs/embedding.md for the options (panels, locked settings, autoplay, stop time) and the postMessage API." }</p>
            <div class="share-row" role="group" aria-label="Downloads">
                <span>{ "Download" }</span>
                <button type="button" class="secondary" data-testid="export-csv" onclick={export(ExportKind::MetricsCsv)}>{ "metrics (CSV)" }</button>
                <button type="button" class="secondary" data-testid="export-json" onclick={export(ExportKind::MetricsJson)}>{ "metrics (JSON)" }</button>
                <button type="button" class="secondary" data-testid="export-logs" onclick={export(ExportKind::LogsJsonl)}>{ "log (JSON lines)" }</button>
                // A drill's scenario names its cause: it waits for the diagnosis.
                if !page.hides_cause() {
                    <button type="button" class="secondary" data-testid="export-scenario" onclick={export(ExportKind::Scenario)}>{ "scenario (JSON)" }</button>
                }
            </div>
            if !page.options.locked { { import(app, link) } }
        </section>
    }
}

fn import(app: &App, link: &Scope<App>) -> Html {
    let drop = link.batch_callback(|e: DragEvent| {
        e.prevent_default();
        e.data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
            .map(Msg::ImportFile)
    });
    let on_pick = link.batch_callback(|e: Event| {
        let input = e.target_unchecked_into::<web_sys::HtmlInputElement>();
        input.files().and_then(|f| f.get(0)).map(Msg::ImportFile)
    });
    html! {
        <>
            <div class="drop-zone" data-testid="drop-zone" ondrop={drop}
                 ondragover={Callback::from(|e: DragEvent| e.prevent_default())}>
                <label for="import-file">{ "Import a scenario file (or drop it here)" }</label>
                <input id="import-file" data-testid="import-file" type="file" accept=".json,application/json" onchange={on_pick} />
            </div>
            if let Some((name, problems)) = &app.page.import_problems {
                <div class="import-problems" role="alert" data-testid="import-problems">
                    <p>{ format!("{name} was not opened ({} problem{}); the current run is unchanged:", problems.len(), if problems.len() == 1 { "" } else { "s" }) }</p>
                    <ul>{ for problems.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
                </div>
            }
        </>
    }
}
