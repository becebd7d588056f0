//! The web app (compiled to wasm only): a Yew shell over the engine.
//!
//! It runs a bundled scenario to its end in the browser and shows the summary, the same
//! summary the native `outage-lab run --json` prints: the browser test compares the two to
//! prove that the engine gives the same bits natively and in wasm.

use outage_lab_engine::{load_scenario, Simulation, Summary};
use yew::prelude::*;

/// The scenarios bundled with the app: (id, file text).
pub const BUNDLED: [(&str, &str); 11] = [
    ("baseline", include_str!("../../scenarios/baseline.json")),
    (
        "seed-incident",
        include_str!("../../scenarios/seed-incident.json"),
    ),
    (
        "seed-incident-fixed",
        include_str!("../../scenarios/seed-incident-fixed.json"),
    ),
    (
        "upstream-hang",
        include_str!("../../scenarios/upstream-hang.json"),
    ),
    (
        "upstream-hang-fixed",
        include_str!("../../scenarios/upstream-hang-fixed.json"),
    ),
    (
        "cache-stampede",
        include_str!("../../scenarios/cache-stampede.json"),
    ),
    (
        "retry-storm",
        include_str!("../../scenarios/retry-storm.json"),
    ),
    (
        "retry-contention",
        include_str!("../../scenarios/retry-contention.json"),
    ),
    (
        "sick-instance",
        include_str!("../../scenarios/sick-instance.json"),
    ),
    ("lying-200", include_str!("../../scenarios/lying-200.json")),
    ("mmc", include_str!("../../scenarios/mmc.json")),
];

/// Mounts the app on the page's body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// What a finished run shows.
#[derive(Clone, PartialEq)]
struct RunResult {
    scenario: &'static str,
    summary: Summary,
    wall_ms: f64,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn run_bundled(id: &'static str) -> Result<RunResult, String> {
    let (_, text) = BUNDLED
        .iter()
        .find(|(name, _)| *name == id)
        .ok_or_else(|| format!("no bundled scenario named {id}"))?;
    let (_, config) = load_scenario(text).map_err(|problems| {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let started = now_ms();
    let summary = Simulation::new(config).run_to_end();
    Ok(RunResult {
        scenario: id,
        summary,
        wall_ms: now_ms() - started,
    })
}

#[function_component(App)]
fn app() -> Html {
    let selected = use_state(|| BUNDLED[0].0);
    let result = use_state(|| None::<Result<RunResult, String>>);

    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            if let Some((id, _)) = BUNDLED.iter().find(|(id, _)| *id == value) {
                selected.set(id);
            }
        })
    };
    let on_run = {
        let selected = selected.clone();
        let result = result.clone();
        Callback::from(move |_| result.set(Some(run_bundled(*selected))))
    };

    html! {
        <main class="shell">
            <header>
                <h1>{ "Outage Lab" }</h1>
                <p class="tagline">{ "Watch a web service fail under load, and learn what fixes it." }</p>
            </header>
            <section class="controls" aria-label="Run a scenario">
                <label for="scenario">{ "Scenario" }</label>
                <select id="scenario" data-testid="scenario" onchange={on_select}>
                    { for BUNDLED.iter().map(|(id, _)| html! {
                        <option value={*id} selected={*id == *selected}>{ *id }</option>
                    }) }
                </select>
                <button data-testid="run" onclick={on_run}>{ "Run to the end" }</button>
            </section>
            { match &*result {
                None => html! { <p data-testid="idle">{ "Pick a scenario and run it." }</p> },
                Some(Err(message)) => html! { <p role="alert" class="error">{ message }</p> },
                Some(Ok(run)) => view_result(run),
            } }
        </main>
    }
}

fn view_result(run: &RunResult) -> Html {
    let s = &run.summary;
    let json = serde_json::to_string(s).unwrap_or_default();
    let share = |n: u64| {
        if s.attempts.completed == 0 {
            0.0
        } else {
            100.0 * n as f64 / s.attempts.completed as f64
        }
    };
    let rows = [
        ("200", s.status.ok_200),
        ("500", s.status.error_500),
        ("502", s.status.bad_gateway_502),
        ("503", s.status.unavailable_503),
        ("504", s.status.gateway_timeout_504),
        ("client timeout", s.status.client_timeout),
    ];
    html! {
        <section class="result" aria-live="polite" data-testid="result" data-scenario={run.scenario}>
            <h2>{ format!("{}: {:.0} virtual seconds", run.scenario, s.sim_seconds) }</h2>
            <p>{ format!("{} events in {:.0} ms of wall time", s.events, run.wall_ms) }</p>
            <table>
                <thead><tr><th scope="col">{ "Status" }</th><th scope="col">{ "Responses" }</th><th scope="col">{ "Share" }</th></tr></thead>
                <tbody>
                    { for rows.iter().map(|(label, n)| html! {
                        <tr><th scope="row">{ *label }</th><td>{ n }</td><td>{ format!("{:.2}%", share(*n)) }</td></tr>
                    }) }
                </tbody>
            </table>
            <p>{ format!("Latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", s.latency_ms.p50, s.latency_ms.p99, s.latency_ms.max) }</p>
            <details>
                <summary>{ "Summary as JSON" }</summary>
                <pre data-testid="summary-json">{ json }</pre>
            </details>
        </section>
    }
}
