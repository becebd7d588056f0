//! The charts section: a figure per chart (title, units, legend, PNG and SVG downloads) with
//! one canvas, or two side by side in A/B mode, and [`Charts`], which redraws the canvases
//! after a render when the rows changed, the pair sharing each chart's scale.

use web_sys::HtmlCanvasElement;
use yew::html::Scope;
use yew::prelude::*;

use super::canvas;
use super::{files, App, Msg};
use crate::app::charts::{run_bands, scale, ChartData, CHARTS};
use crate::app::embed::Panel;
use crate::app::page::{Action, Page};

/// What one side's charts show.
fn chart_data<'a>(
    sim: &'a outage_lab_engine::Simulation,
    duration_s: f64,
    bands: &'a [crate::app::charts::FaultBand],
    crosshair_s: Option<u64>,
) -> ChartData<'a> {
    ChartData {
        palette: super::theme::chart_palette(),
        rows: sim.seconds(),
        duration_s,
        bands,
        now_s: sim.now().as_secs_f64(),
        scale: None,
        crosshair_s,
    }
}

/// What the canvases were drawn from: rows of A, rows of B, generation, crosshair, keep scale.
type Drawn = (usize, Option<usize>, u64, Option<u64>, bool);

/// The chart canvases and what they show now.
pub struct Charts {
    refs_a: Vec<NodeRef>,
    refs_b: Vec<NodeRef>,
    /// What the canvases show now.
    drawn: Option<Drawn>,
    /// With "keep scale": each chart's largest scale so far, and the preset it belongs to.
    kept: (Vec<Option<(f64, f64)>>, &'static str),
    /// The canvases' CSS size, measured after the first render and after resizes.
    size: Option<(f64, f64)>,
    /// Wall time of the last redraw of all charts, in milliseconds.
    pub last_draw_ms: f64,
}

impl Default for Charts {
    fn default() -> Charts {
        Charts {
            refs_a: CHARTS.iter().map(|_| NodeRef::default()).collect(),
            refs_b: CHARTS.iter().map(|_| NodeRef::default()).collect(),
            drawn: None,
            kept: (vec![None; CHARTS.len()], ""),
            size: None,
            last_draw_ms: 0.0,
        }
    }
}

fn now_ms() -> f64 {
    use crate::app::page::Env as _;
    super::browser::BrowserEnv.now_ms()
}

impl Charts {
    /// The canvases changed size or number: measure and redraw them after the next render.
    pub fn invalidate(&mut self) {
        self.drawn = None;
        self.size = None;
    }

    /// Redraws every chart if the rows changed since the last drawing.
    pub fn draw(&mut self, page: &Page) {
        let sim = page.pair.a.sim();
        let rows = sim.seconds();
        let b = page.pair.b.as_ref();
        let key = (
            rows.len(),
            b.map(|b| b.sim().seconds().len()),
            page.generation,
            page.crosshair_s,
            page.keep_scale,
        );
        if self.drawn == Some(key) {
            return;
        }
        let started = now_ms();
        // A drill's faults stay off the charts until its diagnosis.
        let bands = if page.hides_cause() {
            Vec::new()
        } else {
            run_bands(sim.config())
        };
        let refs_a = &self.refs_a;
        let size = *self.size.get_or_insert_with(|| {
            refs_a
                .first()
                .and_then(|node| node.cast::<HtmlCanvasElement>())
                .map_or((400.0, 170.0), |c| canvas::css_size(&c))
        });
        let duration_s = sim.end().as_secs_f64();
        let cross = page.crosshair_s;
        let data_b = b.map(|b| chart_data(b.sim(), duration_s, &bands, cross));
        let data = chart_data(sim, duration_s, &bands, cross);
        if self.kept.1 != page.preset.id || !page.keep_scale {
            self.kept = (vec![None; CHARTS.len()], page.preset.id);
        }
        for (i, spec) in CHARTS.iter().enumerate() {
            let mut shared = data_b.as_ref().map(|db| scale(spec, &[data.rows, db.rows]));
            if page.keep_scale {
                let now = shared.unwrap_or_else(|| scale(spec, &[data.rows]));
                let kept = self.kept.0[i].get_or_insert(now);
                *kept = (kept.0.max(now.0), kept.1.max(now.1));
                shared = Some(*kept);
            }
            for (node, side) in [(&self.refs_a[i], Some(data)), (&self.refs_b[i], data_b)] {
                if let (Some(c), Some(side)) = (node.cast::<HtmlCanvasElement>(), side) {
                    let data = ChartData {
                        scale: shared,
                        ..side
                    };
                    let _ = canvas::draw(&c, size, spec, &data);
                }
            }
        }
        self.drawn = Some(key);
        self.last_draw_ms = now_ms() - started;
    }

    /// Offers chart `index` of side A as an SVG or PNG file named `name`.
    pub fn download(&self, page: &Page, index: usize, svg: bool, name: &str) {
        let sim = page.pair.a.sim();
        // A drill's faults stay off the charts until its diagnosis.
        let bands = if page.hides_cause() {
            Vec::new()
        } else {
            run_bands(sim.config())
        };
        let mut data = chart_data(sim, sim.end().as_secs_f64(), &bands, None);
        // Downloads are documents: always the light palette.
        data.palette = &crate::app::charts::LIGHT;
        if page.keep_scale {
            data.scale = self.kept.0[index];
        }
        let spec = &CHARTS[index];
        let (w, h) = self.size.unwrap_or((480.0, 170.0));
        let endpoints: Vec<String> = (page.pair.a.scenario().traffic.endpoints.iter())
            .map(|e| e.name.clone())
            .collect();
        let _ = if svg {
            let text = crate::app::charts::to_svg(spec, &data, w, h, &endpoints);
            files::download_text(&format!("{name}.svg"), "image/svg+xml", &text)
        } else {
            canvas::to_png(spec, &data, w, h, &endpoints)
                .and_then(|url| files::download_url(&format!("{name}.png"), &url))
        };
    }
}

/// The charts section, if shown.
pub fn view(app: &App, link: &Scope<App>) -> Html {
    let o = &app.page.options;
    if !o.shows(Panel::Charts) {
        return html! {};
    }
    let charts = CHARTS
        .iter()
        .enumerate()
        .filter(|(_, spec)| o.shows_chart(spec.id));
    let keep = app.page.keep_scale;
    let on_keep = link.callback(|e: Event| {
        Msg::Act(Action::KeepScale(
            e.target_unchecked_into::<web_sys::HtmlInputElement>()
                .checked(),
        ))
    });
    html! {
        <section class="charts" aria-label="Charts">
            if !o.is_docs_embed() {
            <div class="charts-bar small">
                <label class="off-toggle">
                    <input type="checkbox" data-testid="keep-scale" checked={keep} onchange={on_keep} />
                    { "Keep the scale across runs (a fix's lower spikes look lower)" }
                </label>
                <span class="quiet">{ "Point at a chart, or focus it and use ← →, to read every chart at one second." }</span>
            </div>
            }
            { for charts.map(|(i, _)| figure(app, link, i)) }
        </section>
    }
}

/// The crosshair's second after a key press on a chart, or `None` to leave it as it is.
fn crosshair_key(key: &str, shift: bool, now: Option<u64>, last: u64) -> Option<Option<u64>> {
    let step = if shift { 10 } else { 1 };
    let at = now.unwrap_or(last);
    Some(match key {
        "ArrowLeft" => Some(at.saturating_sub(step)),
        "ArrowRight" => Some((at + step).min(last)),
        "Home" => Some(0),
        "End" => Some(last),
        "Escape" => None,
        _ => return None,
    })
}

/// Each series' value at second `t`, under the names the page gives them.
fn named_values<'a>(
    spec: &crate::app::charts::ChartSpec,
    rows: &[outage_lab_engine::SecondMetrics],
    t: u64,
    endpoints: &'a [String],
) -> Option<(u64, Vec<(&'a str, String)>)> {
    let values = crate::app::charts::values_at(spec, rows, t)?;
    let named = values
        .into_iter()
        .enumerate()
        .filter_map(|(i, (label, text))| {
            if spec.id == "endpoints" {
                crate::app::charts::series_name(spec, i, endpoints).map(|n| (n, text))
            } else {
                Some((label, text))
            }
        });
    Some((t, named.collect()))
}

/// A chart with nothing to show, folded to one line (its canvases kept, hidden).
fn empty_figure(app: &App, i: usize) -> Html {
    let (spec, refs) = (&CHARTS[i], &app.charts);
    html! {
        <figure class="chart empty" data-testid={format!("chart-{}", spec.id)} data-empty="true">
            <p class="small quiet">{ format!("{}: nothing to show in this run so far.", spec.title) }</p>
            <canvas ref={refs.refs_a[i].clone()} hidden=true></canvas>
            <canvas ref={refs.refs_b[i].clone()} hidden=true></canvas>
        </figure>
    }
}

/// The values of every series at the crosshair's second, under a chart (a blank line when
/// there is no crosshair, so charts do not jump).
fn crosshair_values(id: &str, values: Option<(u64, Vec<(&str, String)>)>) -> Html {
    html! {
        <p class={classes!("crosshair-values", "small", values.is_none().then_some("empty"))} data-testid={format!("crosshair-{id}")} aria-live="polite">
            if let Some((t, values)) = &values {
                <strong>{ format!("t = {t} s") }</strong>
                { for values.iter().map(|(label, v)| html! { <span>{ format!(" · {label}: {v}") }</span> }) }
            } else {
                { "\u{a0}" }
            }
        </p>
    }
}

/// A chart's legend: each series' line style and name (endpoints by their names; series of
/// endpoints the scenario does not have are left out).
fn legend(spec: &crate::app::charts::ChartSpec, endpoints: &[String]) -> Html {
    let shown = spec.series.iter().enumerate().filter_map(|(i, s)| {
        if spec.id == "endpoints" {
            crate::app::charts::series_name(spec, i, endpoints).map(|name| (s, name))
        } else {
            Some((s, s.label))
        }
    });
    html! {
        <span class="chart-legend">
            { for shown.map(|(s, label)| html! {
                <span class="key">
                    <svg width="22" height="8" aria-hidden="true">
                        <line x1="0" y1="4" x2="22" y2="4" stroke={s.color} stroke-width={s.width.to_string()}
                              stroke-dasharray={s.dash.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" ")} />
                    </svg>
                    { label.to_string() }
                </span>
            }) }
        </span>
    }
}

fn figure(app: &App, link: &Scope<App>, i: usize) -> Html {
    let spec = &CHARTS[i];
    let refs = &app.charts;
    let sim = app.page.pair.a.sim();
    let rows = sim.seconds();
    let duration_s = sim.end().as_secs_f64();
    let last = rows.last().map_or(0, |r| r.t_s);
    // After ten seconds, a chart with nothing to show folds to one line.
    let empty = rows.len() >= 10
        && crate::app::charts::is_empty(spec, rows)
        && app
            .page
            .pair
            .b
            .as_ref()
            .is_none_or(|b| crate::app::charts::is_empty(spec, b.sim().seconds()));
    let cross = app.page.crosshair_s;
    let endpoint_names: Vec<String> = (app.page.pair.a.scenario().traffic.endpoints.iter())
        .map(|e| e.name.clone())
        .collect();
    let on_move = link.callback(move |e: MouseEvent| {
        let w = e.target_unchecked_into::<web_sys::Element>().client_width() as f64;
        let t = crate::app::charts::second_at(e.offset_x() as f64, w, duration_s);
        Msg::Act(Action::Crosshair(t.map(|t| t.min(last))))
    });
    let on_leave = link.callback(|_: MouseEvent| Msg::Act(Action::Crosshair(None)));
    let on_key = link.batch_callback(move |e: KeyboardEvent| {
        let next = crosshair_key(&e.key(), e.shift_key(), cross, last)?;
        e.prevent_default();
        Some(Msg::Act(Action::Crosshair(next)))
    });
    let values = cross.and_then(|t| named_values(spec, rows, t, &endpoint_names));
    if empty {
        return empty_figure(app, i);
    }
    let units = format!(
        " ({}{})",
        spec.left_unit,
        spec.right
            .map(|(u, _)| format!("; right axis: {u}"))
            .unwrap_or_default()
    );
    html! {
        <figure class={classes!("chart", super::guide::focus(&app.page, crate::app::guide::Region::Chart(spec.id)))} data-testid={format!("chart-{}", spec.id)} tabindex="0" onkeydown={on_key}
                onmousemove={on_move} onmouseleave={on_leave}
                aria-label={format!("{}: arrow keys move the crosshair a second (with Shift, ten)", spec.title)}>
            <figcaption>
                <span class="chart-title">{ spec.title }</span>
                <span class="quiet small">{ units }</span>
                if !app.page.options.embed {
                    <span class="chart-export">
                        <button type="button" class="link-button" data-testid={format!("png-{}", spec.id)}
                                aria-label={format!("Save {} as PNG", spec.title)}
                                onclick={link.callback(move |_| Msg::Act(Action::ExportChart(i, false)))}>{ "PNG" }</button>
                        <button type="button" class="link-button" data-testid={format!("svg-{}", spec.id)}
                                aria-label={format!("Save {} as SVG", spec.title)}
                                onclick={link.callback(move |_| Msg::Act(Action::ExportChart(i, true)))}>{ "SVG" }</button>
                    </span>
                }
                { legend(spec, &endpoint_names) }
            </figcaption>
            { crosshair_values(spec.id, values) }
            if app.page.pair.b.is_some() {
                <div class="ab-pair">
                    <div><span class="side-label">{ "A" }</span>
                        <canvas ref={refs.refs_a[i].clone()} role="img"
                                aria-label={format!("{}, side A, over time", spec.title)}></canvas></div>
                    <div><span class="side-label">{ "B" }</span>
                        <canvas ref={refs.refs_b[i].clone()} role="img"
                                aria-label={format!("{}, side B, over time", spec.title)}></canvas></div>
                </div>
            } else {
                <canvas ref={refs.refs_a[i].clone()} role="img"
                        aria-label={format!("{} over time; shaded bands mark faults", spec.title)}></canvas>
            }
        </figure>
    }
}
