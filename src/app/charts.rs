//! The live charts as data and geometry: which series each chart draws, their axes and shared
//! A/B scales, and how a chart is laid out on any [`Painter`] (a canvas on the page, or SVG text
//! for a download). Drawn by hand: a redraw of all six takes well under a millisecond of script
//! time, and no charting library fits the bundle budget.

use std::fmt::Write as _;

use outage_lab_engine::config::{Config, FaultConfig};
use outage_lab_engine::metrics::hit_ratio;
use outage_lab_engine::SecondMetrics;

/// Which vertical axis a series uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// The left axis (the chart's main unit).
    Left,
    /// The right axis: a percentage or a ratio.
    Right,
}

/// One line of a chart.
pub struct Series {
    /// Its legend text.
    pub label: &'static str,
    /// Its colour (Okabe-Ito palette: distinguishable with colour-blindness).
    pub color: &'static str,
    /// Its dash pattern, in pixels (empty: solid); lines differ by pattern too.
    pub dash: &'static [f64],
    /// Line width, in CSS pixels.
    pub width: f64,
    /// Its axis.
    pub axis: Axis,
    /// Its value for a row.
    pub value: fn(&SecondMetrics) -> f64,
}

/// One chart.
pub struct ChartSpec {
    /// Its id (used in test ids and file names).
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// The left axis' unit.
    pub left_unit: &'static str,
    /// The left axis is logarithmic.
    pub left_log: bool,
    /// The right axis' unit and fixed maximum, if the chart has one.
    pub right: Option<(&'static str, Option<f64>)>,
    /// The right axis counts whole things (its ticks are whole numbers).
    pub right_whole: bool,
    /// Its lines.
    pub series: &'static [Series],
}

const OK: &str = "#009E73";
const RED: &str = "#D55E00";
const ORANGE: &str = "#E69F00";
const SKY: &str = "#56B4E9";
const PURPLE: &str = "#CC79A7";
const GREY: &str = "#555555";
const BLUE: &str = "#0072B2";
const YELLOW: &str = "#B8A000";
const INK: &str = "#1D2330";

/// The charts, top to bottom.
pub static CHARTS: &[ChartSpec] = &[
    ChartSpec {
        id: "status",
        title: "Responses by true status",
        left_unit: "responses/s",
        left_log: false,
        right: Some(("% 5xx", Some(100.0))),
        right_whole: false,
        series: &[
            Series {
                label: "200",
                color: OK,
                dash: &[],
                width: 1.5,
                axis: Axis::Left,
                value: |r| r.status.ok_200 as f64,
            },
            Series {
                label: "500",
                color: RED,
                dash: &[6.0, 3.0],
                width: 1.5,
                axis: Axis::Left,
                value: |r| r.status.error_500 as f64,
            },
            Series {
                label: "502",
                color: ORANGE,
                dash: &[2.0, 2.0],
                width: 1.5,
                axis: Axis::Left,
                value: |r| r.status.bad_gateway_502 as f64,
            },
            Series {
                label: "503",
                color: SKY,
                dash: &[8.0, 3.0, 2.0, 3.0],
                width: 1.5,
                axis: Axis::Left,
                value: |r| r.status.unavailable_503 as f64,
            },
            Series {
                label: "504",
                color: PURPLE,
                dash: &[1.0, 3.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.status.gateway_timeout_504 as f64,
            },
            Series {
                label: "client timeout",
                color: GREY,
                dash: &[10.0, 4.0],
                width: 1.5,
                axis: Axis::Left,
                value: |r| r.status.client_timeout as f64,
            },
            Series {
                label: "5xx rate (%)",
                color: BLUE,
                dash: &[],
                width: 3.0,
                axis: Axis::Right,
                value: |r| 100.0 * r.status.rate_5xx(),
            },
            Series {
                label: "5xx as monitoring saw it (%)",
                color: INK,
                dash: &[1.5, 2.5],
                width: 2.0,
                axis: Axis::Right,
                value: |r| 100.0 * r.status_seen.rate_5xx(),
            },
        ],
    },
    ChartSpec {
        id: "endpoints",
        title: "Successes by endpoint",
        left_unit: "% of its answers",
        left_log: false,
        right: None,
        right_whole: false,
        series: &[
            Series {
                label: "endpoint 1",
                color: OK,
                dash: &[],
                width: 2.0,
                axis: Axis::Left,
                value: |r| endpoint_ok_pct(r, 0),
            },
            Series {
                label: "endpoint 2",
                color: RED,
                dash: &[6.0, 3.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| endpoint_ok_pct(r, 1),
            },
            Series {
                label: "endpoint 3",
                color: SKY,
                dash: &[2.0, 2.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| endpoint_ok_pct(r, 2),
            },
        ],
    },
    ChartSpec {
        id: "latency",
        title: "Latency (log scale)",
        left_unit: "ms",
        left_log: true,
        right: None,
        right_whole: false,
        series: &[
            Series {
                label: "p99 of successes",
                color: OK,
                dash: &[],
                width: 2.0,
                axis: Axis::Left,
                value: |r| sampled(r.status.ok_200, r.latency_ok_p99_ms),
            },
            Series {
                label: "p99 of failures",
                color: RED,
                dash: &[6.0, 3.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| sampled(r.status.failures(), r.latency_failed_p99_ms),
            },
            Series {
                label: "oldest in flight",
                color: PURPLE,
                dash: &[2.0, 2.0],
                width: 1.5,
                axis: Axis::Left,
                value: |r| r.oldest_in_flight_ms.unwrap_or(f64::NAN),
            },
        ],
    },
    ChartSpec {
        id: "saturation",
        title: "Saturation (all instances)",
        left_unit: "count",
        left_log: false,
        right: None,
        right_whole: false,
        series: &[
            Series {
                label: "threads busy",
                color: BLUE,
                dash: &[],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.threads_busy as f64,
            },
            Series {
                label: "accept queue",
                color: ORANGE,
                dash: &[2.0, 2.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.accept_queue as f64,
            },
            Series {
                label: "DB pool active",
                color: OK,
                dash: &[6.0, 3.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.pool_active as f64,
            },
            Series {
                label: "DB pool waiters",
                color: RED,
                dash: &[8.0, 3.0, 2.0, 3.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.pool_waiters as f64,
            },
        ],
    },
    ChartSpec {
        id: "cache",
        title: "Cache and database",
        left_unit: "per second",
        left_log: false,
        right: Some(("% hits", Some(100.0))),
        right_whole: false,
        series: &[
            Series {
                label: "DB queries/s",
                color: BLUE,
                dash: &[],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.db_queries as f64,
            },
            Series {
                label: "cache loads/s",
                color: RED,
                dash: &[2.0, 2.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.cache_loads as f64,
            },
            Series {
                label: "hit ratio (%)",
                color: OK,
                dash: &[6.0, 3.0],
                width: 2.0,
                axis: Axis::Right,
                value: |r| {
                    let ratio = hit_ratio(r.cache_hits, r.cache_misses);
                    100.0 * sampled(r.cache_hits + r.cache_misses, ratio)
                },
            },
        ],
    },
    ChartSpec {
        id: "breaker",
        title: "Circuit breakers",
        left_unit: "instances",
        left_log: false,
        right: Some(("rejected/s", None)),
        right_whole: true,
        series: &[
            Series {
                label: "open",
                color: RED,
                dash: &[],
                width: 2.5,
                axis: Axis::Left,
                value: |r| r.breakers_open as f64,
            },
            Series {
                label: "half-open",
                color: YELLOW,
                dash: &[6.0, 3.0],
                width: 2.5,
                axis: Axis::Left,
                value: |r| r.breakers_half_open as f64,
            },
            Series {
                label: "rejected calls/s",
                color: GREY,
                dash: &[2.0, 2.0],
                width: 1.5,
                axis: Axis::Right,
                value: |r| r.breaker_rejections as f64,
            },
        ],
    },
    ChartSpec {
        id: "retries",
        title: "Retries and amplification",
        left_unit: "per second",
        left_log: false,
        right: Some(("amplification", None)),
        right_whole: false,
        series: &[
            Series {
                label: "user requests/s",
                color: OK,
                dash: &[],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.requests as f64,
            },
            Series {
                label: "retries/s",
                color: RED,
                dash: &[6.0, 3.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.retries as f64,
            },
            Series {
                label: "goodput/s",
                color: BLUE,
                dash: &[2.0, 2.0],
                width: 2.0,
                axis: Axis::Left,
                value: |r| r.goodput as f64,
            },
            Series {
                label: "amplification (x)",
                color: PURPLE,
                dash: &[8.0, 3.0, 2.0, 3.0],
                width: 2.0,
                axis: Axis::Right,
                value: |r| {
                    if r.requests == 0 {
                        1.0
                    } else {
                        (r.requests + r.retries) as f64 / r.requests as f64
                    }
                },
            },
        ],
    },
];

/// A chart's data for one redraw: per pixel column, the largest value of each series among
/// the rows that fall in it (peaks survive downsampling).
fn columns(
    rows: &[SecondMetrics],
    series: &Series,
    width: usize,
    duration_s: f64,
) -> Vec<(f64, f64)> {
    if rows.is_empty() || width == 0 {
        return Vec::new();
    }
    let per_px = duration_s / width as f64;
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(width.min(rows.len()));
    for r in rows {
        let x = ((r.t_s as f64) / per_px).floor();
        let v = (series.value)(r);
        // A second without a value (nothing succeeded, say) is NaN: a gap in the line, never
        // a zero; a column keeps the largest value it has.
        match out.last_mut() {
            Some(last) if last.0 == x => last.1 = if last.1.is_nan() { v } else { last.1.max(v) },
            _ => out.push((x, v)),
        }
    }
    out
}

/// The smallest step of the 1-2-5 series (with 2.5 unless `whole`) that is at least `v`; at least
/// 1 when `whole`, so ticks of counts are whole numbers.
fn nice_step(v: f64, whole: bool) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    let steps: &[f64] = if whole && magnitude < 10.0 {
        &[1.0, 2.0, 5.0, 10.0]
    } else {
        &[1.0, 2.0, 2.5, 5.0, 10.0]
    };
    let step = steps
        .iter()
        .map(|s| s * magnitude)
        .find(|s| *s >= v)
        .unwrap_or(10.0 * magnitude);
    if whole {
        step.max(1.0)
    } else {
        step
    }
}

/// An axis' maximum for values up to `v`: a whole number of nice steps, about four of them.
fn axis_max(v: f64, whole: bool) -> f64 {
    let step = nice_step(v / 4.0, whole);
    (v / step).ceil().max(1.0) * step
}

/// The fewest samples a second needs for its percentile or ratio to be drawn: from fewer, one
/// request would swing the line (a gap is drawn instead).
pub const MIN_SAMPLES: u64 = 20;

/// Endpoint `e`'s share of successful answers in row `r`, in percent; a gap with fewer than
/// [`MIN_SAMPLES`] answers (or no such endpoint).
fn endpoint_ok_pct(r: &SecondMetrics, e: usize) -> f64 {
    r.endpoints.get(e).map_or(f64::NAN, |c| {
        let share = (c.total() > 0).then(|| 100.0 * c.ok_200 as f64 / c.total() as f64);
        sampled(c.total(), share)
    })
}

/// The name a series goes by on the page: the "endpoint n" series of the endpoints chart are
/// named after the scenario's endpoints.
pub fn series_name<'a>(spec: &ChartSpec, index: usize, endpoints: &'a [String]) -> Option<&'a str> {
    (spec.id == "endpoints").then(|| endpoints.get(index).map(String::as_str))?
}

/// `value` when it rests on at least [`MIN_SAMPLES`] samples, else NaN (a gap).
fn sampled(samples: u64, value: Option<f64>) -> f64 {
    match value {
        Some(v) if samples >= MIN_SAMPLES => v,
        _ => f64::NAN,
    }
}

/// Where the plots sit in every chart's box: the same margins for all, so their time axes
/// line up one above the other.
pub const PLOT_LEFT_PX: f64 = 44.0;
/// The right margin (room for a right axis, kept when there is none).
pub const PLOT_RIGHT_PX: f64 = 44.0;

/// The second under `x` (CSS pixels from a chart's left edge) of a chart `w` wide over a run
/// of `duration_s`; `None` outside the plot.
pub fn second_at(x: f64, w: f64, duration_s: f64) -> Option<u64> {
    let plot_w = (w - PLOT_LEFT_PX - PLOT_RIGHT_PX).max(10.0);
    let f = (x - PLOT_LEFT_PX) / plot_w;
    (0.0..=1.0)
        .contains(&f)
        .then(|| (f * duration_s.max(1.0)).round() as u64)
}

/// Whether every series of `spec` is zero (or has no value) on every row: nothing to show.
pub fn is_empty(spec: &ChartSpec, rows: &[SecondMetrics]) -> bool {
    rows.iter().all(|r| {
        spec.series
            .iter()
            .all(|s| (s.value)(r) == 0.0 || (s.value)(r).is_nan())
    })
}

/// Each series' value at second `t_s` (the row ending then), for the crosshair: (label, text).
pub fn values_at(
    spec: &ChartSpec,
    rows: &[SecondMetrics],
    t_s: u64,
) -> Option<Vec<(&'static str, String)>> {
    let row = rows.iter().find(|r| r.t_s == t_s)?;
    Some(
        spec.series
            .iter()
            .map(|s| {
                let v = (s.value)(row);
                (
                    s.label,
                    if v.is_nan() {
                        "–".to_string()
                    } else {
                        trim(v)
                    },
                )
            })
            .collect(),
    )
}

/// The ticks of a linear axis from 0 to `max`, one nice step apart.
fn axis_ticks(max: f64, whole: bool) -> Vec<f64> {
    let step = nice_step(max / 4.0, whole);
    let n = (max / step + 1e-9).floor() as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= v {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// The shaded windows of a run: its faults, and the spikes of its rate profile.
pub fn run_bands(config: &Config) -> Vec<FaultBand> {
    let mut bands = fault_bands(config.faults());
    for c in config.rate() {
        if let outage_lab_engine::scenario::RateComponent::Spike {
            start_s,
            duration_s,
            multiplier,
        } = *c
        {
            let label = format!("Traffic spike (x{})", trim(multiplier));
            bands.push((start_s, start_s + duration_s, label));
        }
    }
    bands
}

/// A fault window on the time axis: (start s, end s, label).
pub type FaultBand = (f64, f64, String);

/// The fault windows of a run.
pub fn fault_bands(faults: &[FaultConfig]) -> Vec<FaultBand> {
    faults
        .iter()
        .map(|f| {
            let name = super::words::fault_name(f.kind);
            let label = if super::words::per_instance(f.kind) {
                format!("{name} (instance {})", f.instance)
            } else {
                name.to_string()
            };
            (f.start.as_secs_f64(), f.end.as_secs_f64(), label)
        })
        .collect()
}

/// What a chart is drawn with: a canvas on the page, or SVG text for a download.
pub trait Painter {
    /// A filled rectangle.
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str);
    /// A line through `points`, with a dash pattern (empty: solid).
    fn line(&mut self, points: &[(f64, f64)], stroke: &str, width: f64, dash: &[f64]);
    /// Text at (x, y) (its baseline), left- or right-aligned.
    fn text(&mut self, text: &str, x: f64, y: f64, fill: &str, right: bool);
}

/// Writes SVG elements.
pub struct SvgPainter(pub String);

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Painter for SvgPainter {
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ = write!(
            self.0,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"/>"#
        );
    }

    fn line(&mut self, points: &[(f64, f64)], stroke: &str, width: f64, dash: &[f64]) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let dash: Vec<String> = dash.iter().map(|d| d.to_string()).collect();
        let _ = write!(
            self.0,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="{width}" stroke-dasharray="{}"/>"#,
            pts.join(" "),
            if dash.is_empty() {
                "none".into()
            } else {
                dash.join(" ")
            }
        );
    }

    fn text(&mut self, text: &str, x: f64, y: f64, fill: &str, right: bool) {
        let _ = write!(
            self.0,
            r#"<text x="{x:.1}" y="{y:.1}" fill="{fill}" font-size="10" font-family="system-ui, sans-serif" text-anchor="{}">{}</text>"#,
            if right { "end" } else { "start" },
            escape_xml(text)
        );
    }
}

/// What one chart shows.
#[derive(Clone, Copy)]
pub struct ChartData<'a> {
    /// The colours of everything but the series (and of the series drawn in ink or grey).
    pub palette: &'static Palette,
    /// The rows so far.
    pub rows: &'a [SecondMetrics],
    /// The run's length, in seconds (the time axis).
    pub duration_s: f64,
    /// Fault windows.
    pub bands: &'a [FaultBand],
    /// The clock, in seconds.
    pub now_s: f64,
    /// Axis maxima (left, right) to use instead of the data's own: A/B pairs share a scale.
    pub scale: Option<(f64, f64)>,
    /// The second the crosshair is on, if any: a line is drawn there.
    pub crosshair_s: Option<u64>,
}

/// The colours a chart draws its frame in: grid, labels, bands, the clock, the crosshair; and
/// the two series colours that must follow the background (ink and grey).
#[derive(Debug, PartialEq)]
pub struct Palette {
    /// The background of an exported chart.
    pub paper: &'static str,
    /// Grid lines.
    pub grid: &'static str,
    /// Axis labels.
    pub text: &'static str,
    /// The crosshair and series drawn in ink.
    pub ink: &'static str,
    /// Series drawn in grey.
    pub grey: &'static str,
    /// Fault bands' fill.
    pub band: &'static str,
    /// Fault bands' names.
    pub band_text: &'static str,
    /// The clock's line.
    pub clock: &'static str,
}

/// The light theme's chart colours (also every download's).
pub const LIGHT: Palette = Palette {
    paper: "#ffffff",
    grid: "#e3e6ee",
    text: "#5a6478",
    ink: INK,
    grey: GREY,
    band: "rgba(213, 94, 0, 0.10)",
    band_text: "#8a3a00",
    clock: "#888888",
};

/// The dark theme's chart colours.
pub const DARK: Palette = Palette {
    paper: "#1b2030",
    grid: "#2f3647",
    text: "#a3acbd",
    ink: "#e6e9f0",
    grey: "#b0b7c5",
    band: "rgba(255, 155, 82, 0.16)",
    band_text: "#ffb27a",
    clock: "#8c97ae",
};

impl Palette {
    /// A series' colour in this palette: ink and grey follow the background, the
    /// colour-blind-safe hues stay.
    pub fn series(&self, color: &'static str) -> &'static str {
        match color {
            INK => self.ink,
            GREY => self.grey,
            other => other,
        }
    }
}

/// The axis maxima (left, right) that fit every row of `row_sets` (one set, or both sides of
/// an A/B pair so they share a scale). Downsampling keeps each column's maximum, so these are
/// also the drawn columns' maxima.
pub fn scale(spec: &ChartSpec, row_sets: &[&[SecondMetrics]]) -> (f64, f64) {
    let max_of = |axis: Axis| {
        spec.series
            .iter()
            .filter(|s| s.axis == axis)
            .flat_map(|s| row_sets.iter().flat_map(|rows| rows.iter().map(s.value)))
            .fold(0.0, f64::max)
    };
    let left_max = if spec.left_log {
        10f64.powf(max_of(Axis::Left).max(10.0).log10().ceil())
    } else {
        axis_max(max_of(Axis::Left), true)
    };
    let right_max = match spec.right {
        Some((_, Some(fixed))) => fixed,
        Some((_, None)) => axis_max(max_of(Axis::Right), spec.right_whole),
        None => 1.0,
    };
    (left_max, right_max)
}

/// Where a chart's plot sits in its box, and how values map onto it.
struct Plot {
    left: f64,
    top: f64,
    plot_w: f64,
    plot_h: f64,
    duration_s: f64,
    left_min: f64,
    left_max: f64,
    right_max: f64,
    left_log: bool,
}

impl Plot {
    fn new(spec: &ChartSpec, data: &ChartData, w: f64, h: f64, top0: f64) -> Plot {
        let (left, right, bottom) = (PLOT_LEFT_PX, PLOT_RIGHT_PX, 20.0);
        let (left_max, right_max) = data.scale.unwrap_or_else(|| scale(spec, &[data.rows]));
        Plot {
            left,
            top: top0 + 8.0,
            plot_w: (w - left - right).max(10.0),
            plot_h: (h - 8.0 - bottom).max(10.0),
            duration_s: data.duration_s.max(1.0),
            left_min: if spec.left_log { 0.1 } else { 0.0 },
            left_max,
            right_max,
            left_log: spec.left_log,
        }
    }

    fn x_of(&self, t: f64) -> f64 {
        self.left + self.plot_w * (t / self.duration_s).clamp(0.0, 1.0)
    }

    fn y_left(&self, v: f64) -> f64 {
        let f = if self.left_log {
            (v.max(self.left_min).log10() - self.left_min.log10())
                / (self.left_max.log10() - self.left_min.log10())
        } else {
            v / self.left_max
        };
        self.top + self.plot_h * (1.0 - f.clamp(0.0, 1.0))
    }

    fn y_right(&self, v: f64) -> f64 {
        self.top + self.plot_h * (1.0 - (v / self.right_max).clamp(0.0, 1.0))
    }

    /// Shaded fault windows with their names, and the clock's line.
    fn bands_and_clock(&self, p: &mut impl Painter, data: &ChartData) {
        for (start, end, label) in data.bands {
            let x0 = self.x_of(*start);
            let x1 = self.x_of(if end > start {
                *end
            } else {
                start + self.duration_s / self.plot_w
            });
            let pal = data.palette;
            p.rect(x0, self.top, (x1 - x0).max(2.0), self.plot_h, pal.band);
            p.text(label, x0 + 2.0, self.top + 10.0, pal.band_text, false);
        }
        let x = self.x_of(data.now_s);
        p.line(
            &[(x, self.top), (x, self.top + self.plot_h)],
            data.palette.clock,
            1.0,
            &[],
        );
    }

    /// The left axis' ticks: powers of ten on a log axis, nice whole steps otherwise.
    fn left_ticks(&self) -> Vec<f64> {
        if self.left_log {
            let mut v = self.left_min;
            let mut out = vec![];
            while v <= self.left_max * 1.001 {
                out.push(v);
                v *= 10.0;
            }
            out
        } else {
            axis_ticks(self.left_max, true)
        }
    }

    /// Grid lines and labels of both axes and of time.
    fn axes(&self, p: &mut impl Painter, spec: &ChartSpec, w: f64, pal: &Palette) {
        let (left, plot_w) = (self.left, self.plot_w);
        for t in self.left_ticks() {
            let y = self.y_left(t);
            p.line(&[(left, y), (left + plot_w, y)], pal.grid, 1.0, &[]);
            p.text(&short(t), 2.0, y + 3.0, pal.text, false);
        }
        if let Some((unit, _)) = spec.right {
            let ticks = axis_ticks(self.right_max, spec.right_whole);
            // The top tick is left out: the unit's name sits there.
            for v in ticks.into_iter().filter(|v| *v < self.right_max) {
                let y = self.y_right(v) + 3.0;
                p.text(&short(v), left + plot_w + 4.0, y, pal.text, false);
            }
            p.text(unit, w - 2.0, self.top + 8.0, pal.text, true);
        }
        // At least 48 px between time labels, so narrow charts (A/B) do not collide.
        let labels = (self.plot_w / 48.0).floor().clamp(2.0, 6.0);
        let step = nice_max(self.duration_s / labels);
        let mut t = 0.0;
        while t <= self.duration_s + 0.001 {
            let y = self.top + self.plot_h + 14.0;
            p.text(
                &format!("{}s", short(t)),
                self.x_of(t) - 8.0,
                y,
                pal.text,
                false,
            );
            t += step;
        }
    }

    /// Each series as a line over its columns.
    fn series(&self, p: &mut impl Painter, spec: &ChartSpec, data: &ChartData) {
        let px = self.plot_w.round() as usize;
        // Right-axis series (rates, ratios) first, so the counts are drawn over them.
        let order = (spec.series.iter().filter(|s| s.axis == Axis::Right))
            .chain(spec.series.iter().filter(|s| s.axis == Axis::Left));
        for s in order {
            let points = columns(data.rows, s, px, self.duration_s);
            // Runs of seconds with a value, each its own line: no value is a gap.
            for run in points
                .split(|(_, v)| v.is_nan())
                .filter(|run| !run.is_empty())
            {
                let path: Vec<(f64, f64)> = run
                    .iter()
                    .map(|(x, v)| {
                        let y = match s.axis {
                            Axis::Left => self.y_left(*v),
                            Axis::Right => self.y_right(*v),
                        };
                        (self.left + x + 0.5, y)
                    })
                    .collect();
                p.line(&path, data.palette.series(s.color), s.width, s.dash);
            }
        }
    }
}

/// Draws `spec` in a `w` x `h` box at (0, `top0`) of `p`.
pub fn render(p: &mut impl Painter, spec: &ChartSpec, data: &ChartData, w: f64, h: f64, top0: f64) {
    let plot = Plot::new(spec, data, w, h, top0);
    plot.bands_and_clock(p, data);
    plot.axes(p, spec, w, data.palette);
    plot.series(p, spec, data);
    if let Some(t) = data.crosshair_s {
        let x = plot.x_of(t as f64);
        let bottom = plot.top + plot.plot_h;
        p.line(
            &[(x, plot.top), (x, bottom)],
            data.palette.ink,
            1.0,
            &[3.0, 2.0],
        );
    }
}

/// A title and legend line above an exported chart, `HEADER_PX` high; the endpoints chart's
/// series are named after `endpoints` (and those past the last endpoint left out).
pub fn header(p: &mut impl Painter, spec: &ChartSpec, w: f64, endpoints: &[String]) {
    p.rect(0.0, 0.0, w, HEADER_PX, "#ffffff");
    p.text(
        &format!("{} ({})", spec.title, spec.left_unit),
        4.0,
        14.0,
        "#1d2330",
        false,
    );
    let mut x = 4.0;
    for (i, s) in spec.series.iter().enumerate() {
        let label = match series_name(spec, i, endpoints) {
            Some(name) => name,
            None if spec.id == "endpoints" => continue,
            None => s.label,
        };
        p.line(&[(x, 27.0), (x + 18.0, 27.0)], s.color, s.width, s.dash);
        p.text(label, x + 22.0, 30.0, "#1d2330", false);
        x += 30.0 + 6.0 * label.len() as f64;
    }
}

/// Height of the title and legend of an exported chart, in pixels.
pub const HEADER_PX: f64 = 36.0;

/// The chart as a standalone SVG document, with its title and legend.
pub fn to_svg(spec: &ChartSpec, data: &ChartData, w: f64, h: f64, endpoints: &[String]) -> String {
    let total_h = h + HEADER_PX;
    let mut p = SvgPainter(format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{total_h}" viewBox="0 0 {w} {total_h}">"#
    ));
    p.rect(0.0, 0.0, w, total_h, "#ffffff");
    header(&mut p, spec, w, endpoints);
    render(&mut p, spec, data, w, h, HEADER_PX);
    p.0.push_str("</svg>");
    p.0
}

/// A short axis label: 1.2k, 3M, 0.5.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

/// A number with at most two decimals, trailing zeros dropped: 0.25, 2.5, 3.
/// A number with at most two decimals and no trailing zeros ("0.25", "3", "6000").
pub fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outage_lab_engine::{Config, Simulation};

    fn rows_of(preset: &str, seconds: u64) -> Vec<SecondMetrics> {
        let scenario = crate::app::link::LinkState::from_preset(preset)
            .expect("bundled")
            .scenario;
        let mut sim = Simulation::new(Config::from_scenario(&scenario).expect("valid"));
        sim.run_until(outage_lab_engine::SimTime::from_secs(seconds));
        sim.seconds().to_vec()
    }

    #[test]
    fn axes_step_by_one_two_five_and_counts_by_whole_numbers() {
        assert_eq!(axis_max(3.2, true), 4.0);
        assert_eq!(axis_ticks(4.0, true), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(axis_max(1.0, true), 1.0, "one breaker open: ticks 0 and 1");
        assert_eq!(axis_ticks(1.0, true), vec![0.0, 1.0]);
        assert_eq!(axis_max(470.0, true), 600.0);
        assert_eq!(axis_ticks(600.0, true), vec![0.0, 200.0, 400.0, 600.0]);
        assert_eq!(
            axis_ticks(0.8, false),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8]
        );
        for v in [0.3, 2.2, 7.0, 13.0, 99.0, 250.0, 1234.0, 56_789.0] {
            let max = axis_max(v, true);
            assert!(max >= v, "{v}");
            let ticks = axis_ticks(max, true);
            assert!(ticks.iter().all(|t| t.fract() == 0.0), "{v}: {ticks:?}");
            assert!((2..=6).contains(&ticks.len()), "{v}: {ticks:?}");
            assert_eq!(
                *ticks.last().expect("ticks"),
                max,
                "{v}: the top tick is the maximum"
            );
        }
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(3.0), "3");
        assert_eq!(short(1250.0), "1.25k");
        assert_eq!(short(2_500_000.0), "2.5M");
    }

    #[test]
    fn columns_keep_each_pixel_columns_peak() {
        let rows = rows_of("baseline", 40);
        let series = &CHARTS[0].series[0];
        let cols = columns(&rows, series, 10, 40.0);
        let mut distinct: Vec<f64> = rows.iter().map(|r| (r.t_s as f64 / 4.0).floor()).collect();
        distinct.dedup();
        assert_eq!(cols.len(), distinct.len(), "one point a column");
        assert!(cols.len() < rows.len(), "rows were merged");
        for (x, v) in &cols {
            let in_column = rows.iter().filter(|r| ((r.t_s as f64) / 4.0).floor() == *x);
            let peak = in_column.map(series.value).fold(f64::MIN, f64::max);
            assert_eq!(*v, peak, "column {x}");
        }
    }

    #[test]
    fn an_a_b_pair_shares_a_scale_that_fits_both_sides() {
        let (a, b) = (rows_of("baseline", 30), rows_of("retry-storm", 30));
        for spec in CHARTS {
            let (left, right) = scale(spec, &[&a, &b]);
            for rows in [&a, &b] {
                let (own_left, own_right) = scale(spec, &[rows]);
                assert!(left >= own_left && right >= own_right, "{}", spec.id);
            }
        }
    }

    #[test]
    fn an_svg_export_has_a_line_per_series_with_data_and_the_fault_bands() {
        let rows = rows_of("seed-incident", 70);
        let scenario = crate::app::link::LinkState::from_preset("seed-incident")
            .expect("bundled")
            .scenario;
        let bands = fault_bands(Config::from_scenario(&scenario).expect("valid").faults());
        assert_eq!(bands.len(), 1);
        let data = ChartData {
            palette: &LIGHT,
            rows: &rows,
            duration_s: 240.0,
            bands: &bands,
            now_s: 70.0,
            scale: None,
            crosshair_s: None,
        };
        for spec in CHARTS {
            let names = [
                "GET /product/{id}".to_string(),
                "POST /checkout".to_string(),
            ];
            let svg = to_svg(spec, &data, 480.0, 170.0, &names);
            if spec.id == "endpoints" {
                assert!(svg.contains(">GET /product/{id}</text>") && !svg.contains("endpoint 3"));
            }
            assert!(
                svg.starts_with("<svg") && svg.ends_with("</svg>"),
                "{}",
                spec.id
            );
            assert!(
                svg.contains(">Missing index</text>") && !svg.contains("db_slow"),
                "{}: the band is named in words",
                spec.id
            );
            let lines = svg.matches("<polyline").count();
            // The clock line, the grid, the legend and one line per series.
            assert!(lines > spec.series.len() * 2, "{}: {lines} lines", spec.id);
        }
    }

    #[test]
    fn the_crosshair_finds_the_second_under_the_pointer_and_reads_every_series_there() {
        // A 500 px chart over 240 s: the plot spans 44..456 px.
        assert_eq!(second_at(44.0, 500.0, 240.0), Some(0));
        assert_eq!(second_at(456.0, 500.0, 240.0), Some(240));
        assert_eq!(second_at(250.0, 500.0, 240.0), Some(120));
        assert_eq!(second_at(20.0, 500.0, 240.0), None, "left of the plot");
        assert_eq!(second_at(480.0, 500.0, 240.0), None, "right of the plot");
        let rows = rows_of("seed-incident", 70);
        let status = &CHARTS[0];
        let values = values_at(status, &rows, 30).expect("a row at 30 s");
        assert_eq!(values.len(), status.series.len());
        let row = rows.iter().find(|r| r.t_s == 30).expect("row");
        assert_eq!(values[0], ("200", trim(row.status.ok_200 as f64)));
        assert_eq!(values_at(status, &rows, 500), None);
    }

    #[test]
    fn the_endpoints_chart_names_its_series_after_the_scenarios_endpoints() {
        let spec = CHARTS.iter().find(|c| c.id == "endpoints").expect("chart");
        let names = vec!["GET /a".to_string(), "POST /b".to_string()];
        assert_eq!(series_name(spec, 0, &names), Some("GET /a"));
        assert_eq!(series_name(spec, 2, &names), None, "no third endpoint");
        assert_eq!(
            series_name(&CHARTS[0], 0, &names),
            None,
            "other charts keep their labels"
        );
        let rows = rows_of("seed-incident", 30);
        let v = endpoint_ok_pct(&rows[20], 0);
        assert!(v > 99.0 && v <= 100.0, "{v}");
        assert!(endpoint_ok_pct(&rows[20], 5).is_nan());
    }

    #[test]
    fn ratios_and_percentiles_of_few_samples_are_gaps_and_idle_charts_are_empty() {
        assert!(sampled(MIN_SAMPLES - 1, Some(900.0)).is_nan());
        assert_eq!(sampled(MIN_SAMPLES, Some(900.0)), 900.0);
        assert!(sampled(1_000, None).is_nan());
        let rows = rows_of("seed-incident", 30);
        let breakers = CHARTS.iter().find(|c| c.id == "breaker").expect("chart");
        assert!(is_empty(breakers, &rows), "no breaker in the seed incident");
        assert!(!is_empty(&CHARTS[0], &rows), "responses are never empty");
    }
}
