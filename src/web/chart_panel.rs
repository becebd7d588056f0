//! The charts section: a figure per chart (title, units, legend, PNG and SVG downloads) with
//! one canvas, or two side by side in A/B mode, and [`Charts`], which redraws the canvases
//! after a render when the rows changed, the pair sharing each chart's scale.

use web_sys::HtmlCanvasElement;
use yew::html::Scope;
use yew::prelude::*;

use super::canvas;
use super::{files, App, Msg};
use crate::app::charts::{fault_bands, scale, ChartData, CHARTS};
use crate::app::embed::Panel;
use crate::app::page::{Action, Page};

/// What one side's charts show.
fn chart_data<'a>(
    sim: &'a outage_lab_engine::Simulation,
    duration_s: f64,
    bands: &'a [crate::app::charts::FaultBand],
) -> ChartData<'a> {
    ChartData {
        rows: sim.seconds(),
        duration_s,
        bands,
        now_s: sim.now().as_secs_f64(),
        scale: None,
    }
}

/// The chart canvases and what they show now.
pub struct Charts {
    refs_a: Vec<NodeRef>,
    refs_b: Vec<NodeRef>,
    /// What the canvases show now: (rows of A, rows of B, generation).
    drawn: Option<(usize, Option<usize>, u64)>,
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
        );
        if self.drawn == Some(key) {
            return;
        }
        let started = now_ms();
        let bands = fault_bands(sim.config().faults());
        let refs_a = &self.refs_a;
        let size = *self.size.get_or_insert_with(|| {
            refs_a
                .first()
                .and_then(|node| node.cast::<HtmlCanvasElement>())
                .map_or((400.0, 170.0), |c| canvas::css_size(&c))
        });
        let duration_s = sim.end().as_secs_f64();
        let data_b = b.map(|b| chart_data(b.sim(), duration_s, &bands));
        let data = chart_data(sim, duration_s, &bands);
        for (i, spec) in CHARTS.iter().enumerate() {
            let shared = data_b.as_ref().map(|db| scale(spec, &[data.rows, db.rows]));
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
        let bands = fault_bands(sim.config().faults());
        let data = chart_data(sim, sim.end().as_secs_f64(), &bands);
        let spec = &CHARTS[index];
        let (w, h) = self.size.unwrap_or((480.0, 170.0));
        let _ = if svg {
            let text = crate::app::charts::to_svg(spec, &data, w, h);
            files::download_text(&format!("{name}.svg"), "image/svg+xml", &text)
        } else {
            canvas::to_png(spec, &data, w, h)
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
    html! {
        <section class="charts" aria-label="Charts">
            { for charts.map(|(i, _)| figure(app, link, i)) }
        </section>
    }
}

fn figure(app: &App, link: &Scope<App>, i: usize) -> Html {
    let spec = &CHARTS[i];
    let refs = &app.charts;
    let units = format!(
        " ({}{})",
        spec.left_unit,
        spec.right
            .map(|(u, _)| format!("; right axis: {u}"))
            .unwrap_or_default()
    );
    html! {
        <figure class="chart" data-testid={format!("chart-{}", spec.id)}>
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
                <span class="chart-legend">
                    { for spec.series.iter().map(|s| html! {
                        <span class="key">
                            <svg width="22" height="8" aria-hidden="true">
                                <line x1="0" y1="4" x2="22" y2="4" stroke={s.color} stroke-width={s.width.to_string()}
                                      stroke-dasharray={s.dash.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" ")} />
                            </svg>
                            { s.label }
                        </span>
                    }) }
                </span>
            </figcaption>
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
