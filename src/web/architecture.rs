//! The animated architecture view: clients, load balancer, instances (accept queue, thread
//! slots, pool connections and waiters, breaker light), cache, database and payment gateway.
//! Where requests pile up is where the picture fills; every colour also comes with words.

use outage_lab_engine::breaker::BreakerState;
use outage_lab_engine::scenario::FaultKind;
use outage_lab_engine::snapshot::Snapshot;
use yew::prelude::*;

use crate::app::readouts::Flow;

fn level(fraction: f64) -> &'static str {
    if fraction >= 0.95 {
        "full"
    } else if fraction >= 0.8 {
        "high"
    } else {
        "ok"
    }
}

/// A horizontal gauge: `used` of `capacity` (a `None` capacity is unbounded: the bar shows
/// `used` on a log scale up to 10 000). Up to 50 slots are drawn one by one, more as a bar.
fn gauge(x: f64, y: f64, w: f64, h: f64, used: u32, capacity: Option<u32>, label: &str) -> Html {
    let (fraction, text) = match capacity {
        Some(0) => (
            if used > 0 { 1.0 } else { 0.0 },
            format!("{label} {used}/0"),
        ),
        Some(c) => (
            (used as f64 / c as f64).min(1.0),
            format!("{label} {used}/{c}"),
        ),
        None => (
            ((1.0 + used as f64).log10() / 4.0).min(1.0),
            format!("{label} {used} (unbounded)"),
        ),
    };
    let class = format!("gauge-fill {}", level(fraction));
    let slots = match capacity {
        Some(c) if (2..=50).contains(&c) => {
            let slot_w = w / c as f64;
            html! {
                <g class="slots">
                    { for (0..c).map(|i| html! {
                        <rect x={(x + i as f64 * slot_w + 0.5).to_string()} y={(y + 0.5).to_string()}
                              width={(slot_w - 1.0).max(0.5).to_string()} height={(h - 1.0).to_string()}
                              class={if i < used { class.clone() } else { "slot-free".to_string() }} />
                    }) }
                </g>
            }
        }
        _ => html! {
            <>
                <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.to_string()} class="slot-free" />
                <rect x={x.to_string()} y={y.to_string()} width={(w * fraction).to_string()} height={h.to_string()} class={class} />
            </>
        },
    };
    html! {
        <g>
            <title>{ text.clone() }</title>
            { slots }
            <text x={(x + w + 4.0).to_string()} y={(y + h - 1.0).to_string()} class="gauge-text">{ text }</text>
        </g>
    }
}

fn flow_line(x1: f64, y1: f64, x2: f64, y2: f64, rate: f64, failing: bool) -> Html {
    let width = if rate <= 0.0 {
        1.0
    } else {
        (1.0 + rate.log10()).clamp(1.0, 6.0)
    };
    let class = match (rate > 0.0, failing) {
        (false, _) => "flow idle",
        (true, false) => "flow",
        (true, true) => "flow failing",
    };
    html! {
        <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()}
              class={class} stroke-width={width.to_string()} />
    }
}

fn boxed((x, y, w, h): Rect, title: &str, class: &str, lines: Vec<String>) -> Html {
    html! {
        <g class={format!("node {class}")}>
            <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.to_string()} rx="6" />
            <text x={(x + 8.0).to_string()} y={(y + 16.0).to_string()} class="node-title">{ title.to_string() }</text>
            { for lines.into_iter().enumerate().map(|(i, l)| html! {
                <text x={(x + 8.0).to_string()} y={(y + 31.0 + 13.0 * i as f64).to_string()} class="node-line">{ l }</text>
            }) }
        </g>
    }
}

/// How the architecture is drawn, from the room it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drawing {
    /// Left to right in a drawing 880 units wide: clients, balancer, instances, dependencies.
    Wide,
    /// Left to right in a drawing 660 units wide, drawn about 1:1 in a docs column of 640 to
    /// 1 000 px: clients above the balancer, narrower gauges.
    Dense,
    /// Top to bottom in a drawing 400 units wide (a phone, a narrow frame).
    Vertical,
}

/// Where everything sits. Wide and dense: clients, balancer, instances and dependencies left
/// to right, one row per instance (shrinking, and dropping words, when there are many).
/// Vertical (a phone): the same top to bottom.
#[derive(Clone, Copy)]
struct Layout {
    width: f64,
    height: f64,
    inst_h: f64,
    compact: bool,
    drawing: Drawing,
    /// The instances' column: left edge, width, and the top of the first row.
    inst_x: f64,
    inst_w: f64,
    inst_top: f64,
    /// Where an instance's gauges start (from its left edge) and how wide they are.
    gauge_dx: f64,
    gauge_w: f64,
}

/// A box: left, top, width, height.
type Rect = (f64, f64, f64, f64);

impl Layout {
    fn of(n: usize, drawing: Drawing) -> Layout {
        let rows = |height: f64, most: f64| ((height - 20.0) / n as f64 - 6.0).min(most);
        let (width, height, inst_h, inst_x, inst_w, inst_top, gauge_dx, gauge_w) = match drawing {
            Drawing::Vertical => {
                let inst_h = if n <= 8 { 70.0 } else { 44.0 };
                let height = 70.0 + n as f64 * (inst_h + 6.0) + 190.0;
                (400.0, height, inst_h, 6.0, 388.0, 70.0, 112.0, 130.0)
            }
            Drawing::Wide => {
                let height = 380.0_f64.max(24.0 + n as f64 * 14.0);
                (
                    880.0,
                    height,
                    rows(height, 84.0),
                    226.0,
                    390.0,
                    10.0,
                    112.0,
                    130.0,
                )
            }
            Drawing::Dense => {
                let height = 300.0_f64.max(24.0 + n as f64 * 14.0);
                (
                    660.0,
                    height,
                    rows(height, 66.0),
                    146.0,
                    300.0,
                    10.0,
                    100.0,
                    66.0,
                )
            }
        };
        Layout {
            width,
            height,
            inst_h,
            compact: inst_h < 56.0,
            drawing,
            inst_x,
            inst_w,
            inst_top,
            gauge_dx,
            gauge_w,
        }
    }

    fn row_y(&self, i: usize) -> f64 {
        self.inst_top + i as f64 * (self.inst_h + 6.0)
    }

    /// The bottom of the last instance row.
    fn instances_bottom(&self, n: usize) -> f64 {
        self.row_y(n) - 6.0
    }

    fn clients(&self) -> Rect {
        match self.drawing {
            Drawing::Vertical => (6.0, 6.0, 150.0, 48.0),
            Drawing::Wide => (4.0, self.height / 2.0 - 30.0, 84.0, 60.0),
            Drawing::Dense => (4.0, self.height / 2.0 - 78.0, 132.0, 48.0),
        }
    }

    fn balancer(&self) -> Rect {
        match self.drawing {
            Drawing::Vertical => (206.0, 6.0, 188.0, 48.0),
            Drawing::Wide => (96.0, self.height / 2.0 - 30.0, 118.0, 60.0),
            Drawing::Dense => (4.0, self.height / 2.0 + 2.0, 132.0, 60.0),
        }
    }

    /// The cache, the database and the gateway, for `n` instances.
    fn dependencies(&self, n: usize) -> [Rect; 3] {
        let h = self.height;
        match self.drawing {
            Drawing::Vertical => {
                let top = self.instances_bottom(n) + 30.0;
                [
                    (6.0, top, 190.0, 60.0),
                    (6.0, top + 70.0, 388.0, 80.0),
                    (204.0, top, 190.0, 60.0),
                ]
            }
            Drawing::Wide => [
                (650.0, 20.0, 226.0, 60.0),
                (650.0, h / 2.0 - 40.0, 226.0, 80.0),
                (650.0, h - 90.0, 226.0, 60.0),
            ],
            Drawing::Dense => [
                (456.0, 10.0, 200.0, 60.0),
                (456.0, h / 2.0 - 40.0, 200.0, 80.0),
                (456.0, h - 70.0, 200.0, 60.0),
            ],
        }
    }
}

/// A point on a box's edge: its middle, or the middle of its right, left, top or bottom side.
fn right(r: Rect) -> (f64, f64) {
    (r.0 + r.2, r.1 + r.3 / 2.0)
}
fn left(r: Rect) -> (f64, f64) {
    (r.0, r.1 + r.3 / 2.0)
}
fn top(r: Rect) -> (f64, f64) {
    (r.0 + r.2 / 2.0, r.1)
}
fn bottom(r: Rect) -> (f64, f64) {
    (r.0 + r.2 / 2.0, r.1 + r.3)
}

/// The payment gateway's state in words, from the faults active.
fn upstream_state(has: impl Fn(FaultKind) -> bool) -> &'static str {
    if has(FaultKind::UpstreamHang) {
        "hanging (accepts, never answers)"
    } else if has(FaultKind::UpstreamDownFast) {
        "down (refusing connections)"
    } else if has(FaultKind::UpstreamUnreachable) {
        "unreachable (packets dropped)"
    } else if has(FaultKind::UpstreamSlow) {
        "slow"
    } else if has(FaultKind::UpstreamErrors) {
        "failing some calls"
    } else {
        "up"
    }
}

/// One instance's row: its state, gauges (accept queue, threads, pool), waiters and breaker light.
fn instance(snap: &Snapshot, flow: &Flow, layout: Layout, i: usize) -> Html {
    let inst = &snap.instances[i];
    let (inst_h, compact) = (layout.inst_h, layout.compact);
    let y = layout.row_y(i);
    let g = inst.gauges;
    let state = if g.down {
        "down"
    } else if !g.in_rotation {
        "out of rotation"
    } else {
        "in rotation"
    };
    let class = if g.down {
        "instance down"
    } else if !g.in_rotation {
        "instance out"
    } else {
        "instance"
    };
    let (light_class, light_letter, light_words) = match inst.breaker {
        None => ("light none", "", "no breaker"),
        Some(BreakerState::Closed) => ("light closed", "C", "breaker closed"),
        Some(BreakerState::Open) => ("light open", "O", "breaker OPEN"),
        Some(BreakerState::HalfOpen) => ("light half", "H", "breaker half-open"),
    };
    let row = if compact { inst_h / 3.0 - 2.0 } else { 12.0 };
    let errors = flow.instance_5xx(i);
    let errors_text = errors.map_or("no answers".to_string(), |e| {
        format!("5xx {:.0} %", 100.0 * e)
    });
    let failing = errors.is_some_and(|e| e > 0.05);
    let (inst_x, inst_w) = (layout.inst_x, layout.inst_w);
    let gx = inst_x + layout.gauge_dx;
    let threads_x = inst_x + 8.0;
    let gw = layout.gauge_w;
    // The waiters' line: under the gauges (a line lower when wide, with room to spare).
    let waiters_y = if layout.drawing == Drawing::Dense {
        y + 3.0 + 3.0 * (row + 3.0) + 11.0
    } else {
        y + 3.0 + 4.0 * (row + 3.0)
    };
    html! {
        <g class={class} data-testid={format!("instance-{i}")} data-breaker={light_words}>
            <title>{ format!("instance {i}: {state}, {light_words}, {errors_text} over the last second") }</title>
            <rect x={inst_x.to_string()} y={y.to_string()} width={inst_w.to_string()} height={inst_h.to_string()} rx="6" class="instance-box" />
            <text x={(inst_x + 8.0).to_string()} y={(y + 14.0).to_string()} class="node-title">{ format!("instance {i}") }</text>
            if !compact {
                <text x={(inst_x + 8.0).to_string()} y={(y + 28.0).to_string()} class="node-line">{ state }</text>
                <text x={(inst_x + 8.0).to_string()} y={(y + 42.0).to_string()}
                      class={classes!("node-line", failing.then_some("failing"))} data-testid={format!("errors-of-instance-{i}")}>{ &errors_text }</text>
            }
            { gauge(gx, y + 3.0, gw, row, g.accept_queue, snap.accept_queue, "queue") }
            { gauge(gx, y + 3.0 + (row + 3.0), gw, row, g.threads_busy, Some(snap.max_threads), "threads") }
            { gauge(gx, y + 3.0 + 2.0 * (row + 3.0), gw, row, g.pool_active, Some(snap.pool_max_size), "pool") }
            if !compact {
                if let Some(text) = crate::app::words::threads_text(&g.threads, g.threads_busy, snap.max_threads) {
                    <text x={threads_x.to_string()} y={waiters_y.to_string()} class="gauge-text waiters" data-testid={format!("threads-of-instance-{i}")}>{ text }</text>
                } else if g.pool_waiters > 0 {
                    <text x={gx.to_string()} y={waiters_y.to_string()} class="gauge-text waiters">{ format!("{} waiting for a connection", g.pool_waiters) }</text>
                }
            }
            if inst.breaker.is_some() {
                <g class={light_class}>
                    <circle cx={(inst_x + inst_w - 16.0).to_string()} cy={(y + inst_h / 2.0).to_string()} r="10" />
                    <text x={(inst_x + inst_w - 16.0).to_string()} y={(y + inst_h / 2.0 + 4.0).to_string()} text-anchor="middle" class="light-letter">{ light_letter }</text>
                </g>
            }
        </g>
    }
}

/// The lines requests flow along: clients to balancer to instances, instances to the cache,
/// the database and the gateway (red where they fail).
fn flows(snap: &Snapshot, flow: &Flow, layout: Layout) -> Html {
    let n = snap.instances.len().max(1);
    let has = |kind: FaultKind| snap.active_faults.contains(&kind);
    let failing = snap.status.total() > 0 && snap.status.rate_5xx() > 0.05;
    let (calls, failures) = (flow.upstream_calls, flow.upstream_failures);
    let line = |(x1, y1): (f64, f64), (x2, y2): (f64, f64), rate: f64, bad: bool| {
        flow_line(x1, y1, x2, y2, rate, bad)
    };
    let (lb, deps) = (layout.balancer(), layout.dependencies(n));
    let row = |i: usize| (layout.inst_x, layout.row_y(i), layout.inst_w, layout.inst_h);
    // Where requests leave the instances for the dependencies, and arrive at each of them.
    let vertical = layout.drawing == Drawing::Vertical;
    let (out, into): ((f64, f64), [(f64, f64); 3]) = if vertical {
        (
            bottom(row(n - 1)),
            [top(deps[0]), top(deps[1]), top(deps[2])],
        )
    } else {
        let out = (layout.inst_x + layout.inst_w, layout.height / 2.0);
        (out, [left(deps[0]), left(deps[1]), left(deps[2])])
    };
    let per_instance = flow.arrivals_per_s / n as f64;
    html! {
        <>
            if layout.drawing == Drawing::Dense {
                { line(bottom(layout.clients()), top(lb), flow.arrivals_per_s, false) }
            } else {
                { line(right(layout.clients()), left(lb), flow.arrivals_per_s, false) }
            }
            { for (0..n).map(|i| if vertical {
                line(bottom(lb), (bottom(lb).0, row(i).1), per_instance, failing)
            } else {
                line(right(lb), left(row(i)), per_instance, failing)
            }) }
            { line(out, into[0], flow.arrivals_per_s, false) }
            { line(out, into[1], flow.db_queries_per_s, has(FaultKind::DbSlow)) }
            { line(out, into[2], calls as f64, failures > 0) }
        </>
    }
}

/// The cache, the database and the payment gateway, with their states in words.
fn dependencies(snap: &Snapshot, flow: &Flow, layout: Layout) -> Html {
    let [cache, db, gateway] = layout.dependencies(snap.instances.len().max(1));
    let waiting: u32 = snap
        .instances
        .iter()
        .map(|i| i.gauges.threads.gateway)
        .sum();
    let has = |kind: FaultKind| snap.active_faults.contains(&kind);
    let upstream = upstream_state(has);
    let (calls, failures) = (flow.upstream_calls, flow.upstream_failures);
    let db_busy = snap.db_concurrency as f64 / snap.db_cores.max(1) as f64;
    let db_state = if has(FaultKind::DbSlow) {
        "slow queries (missing index)"
    } else if db_busy >= 1.0 {
        "overloaded: every core busy"
    } else {
        "healthy"
    };
    let cache_state = if has(FaultKind::CacheDown) {
        "down".to_string()
    } else {
        match flow.cache_hit_ratio {
            Some(r) => format!("{:.0} % hits", r * 100.0),
            None => "idle".into(),
        }
    };
    html! {
        <>
            { boxed(cache, "Cache", if has(FaultKind::CacheDown) { "bad" } else { "" }, vec![cache_state]) }
            <g data-testid="database">
                { boxed(db, "Database", if has(FaultKind::DbSlow) || db_busy >= 1.0 { "bad" } else { "" },
                    vec![db_state.to_string(), format!("{:.0} queries done/s, {} running", flow.db_queries_per_s, snap.db_concurrency)]) }
                { gauge(db.0 + 8.0, db.1 + 62.0, layout.gauge_w.min(90.0), 10.0, snap.db_concurrency, Some(snap.db_cores), "queries/cores") }
            </g>
            { boxed(gateway, "Payment gateway", if upstream == "up" { "" } else { "bad" },
                vec![upstream.to_string(), format!("{calls} calls/s, {failures} failed, {waiting} waiting")]) }
        </>
    }
}

/// The dense drawing's legend, in the corners its left column leaves free: what the bars'
/// colours mean above the clients, the breaker's letters below the balancer.
fn dense_legend(layout: Layout) -> Html {
    let swatch = |y: f64, class: &'static str, words: &'static str| {
        html! {
            <>
                <rect x="6" y={(y - 9.0).to_string()} width="10" height="10" class={format!("gauge-fill {class}")} />
                <text x="21" y={y.to_string()} class="gauge-text">{ words }</text>
            </>
        }
    };
    let below = layout.balancer().1 + layout.balancer().3 + 18.0;
    html! {
        <g class="legend-in-drawing" data-testid="architecture-legend">
            <text x="6" y="14" class="gauge-text">{ "Bars, share used:" }</text>
            { swatch(30.0, "ok", "under 80 %") }
            { swatch(45.0, "high", "80 % or more") }
            { swatch(60.0, "full", "95 % or more") }
            <text x="6" y={below.to_string()} class="gauge-text">{ "Breaker light:" }</text>
            <text x="6" y={(below + 15.0).to_string()} class="gauge-text">{ "C closed, O open," }</text>
            <text x="6" y={(below + 30.0).to_string()} class="gauge-text">{ "H half-open" }</text>
        </g>
    }
}

/// The clients' lines: the attempts per second, and the closed-loop users present.
fn client_lines(snap: &Snapshot, flow: &Flow) -> Vec<String> {
    let mut lines = vec![format!("{:.0} req/s", flow.arrivals_per_s)];
    if let Some(u) = snap.users {
        lines.push(format!("{} users", u.present));
    }
    lines
}

/// The balancer's lines: how many instances are in rotation, and whether it fails open.
fn balancer_lines(snap: &Snapshot, in_rotation: usize) -> Vec<String> {
    let mut lines = vec![format!("{in_rotation} in rotation")];
    if snap.failing_open {
        lines.push("failing open".into());
    }
    lines
}

/// The architecture view of `snap`, drawn as `drawing` says.
pub fn view(snap: &Snapshot, flow: &Flow, drawing: Drawing) -> Html {
    let layout = Layout::of(snap.instances.len().max(1), drawing);
    let class = match drawing {
        Drawing::Wide => None,
        Drawing::Dense => Some("dense"),
        Drawing::Vertical => Some("vertical"),
    };
    let in_rotation = snap
        .instances
        .iter()
        .filter(|i| i.gauges.in_rotation && !i.gauges.down)
        .count();
    html! {
        <svg class={classes!("architecture", class)} viewBox={format!("0 0 {} {}", layout.width, layout.height)} role="img"
             aria-label="Architecture: clients, load balancer, instances, cache, database and payment gateway">
            { flows(snap, flow, layout) }
            { boxed(layout.clients(), "Clients", "clients", client_lines(snap, flow)) }
            { boxed(layout.balancer(), "Load balancer", if snap.failing_open { "bad" } else { "lb" }, balancer_lines(snap, in_rotation)) }
            { for (0..snap.instances.len()).map(|i| instance(snap, flow, layout, i)) }
            { dependencies(snap, flow, layout) }
            if drawing == Drawing::Dense { { dense_legend(layout) } }
        </svg>
    }
}
