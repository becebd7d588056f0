//! Playback speed: how many virtual seconds pass per wall-clock second.

/// A playback speed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// This many virtual seconds per wall second.
    Times(f64),
    /// As fast as the frame budget allows.
    Max,
}

/// The speeds the page offers, slowest first.
pub const SPEEDS: [Speed; 10] = [
    Speed::Times(0.25),
    Speed::Times(0.5),
    Speed::Times(1.0),
    Speed::Times(2.0),
    Speed::Times(5.0),
    Speed::Times(10.0),
    Speed::Times(25.0),
    Speed::Times(50.0),
    Speed::Times(100.0),
    Speed::Max,
];

impl Speed {
    /// As written in links and the speed picker: `0.25` ... `100`, or `max`.
    pub fn as_param(self) -> String {
        match self {
            Speed::Times(x) => format!("{x}"),
            Speed::Max => "max".into(),
        }
    }

    /// Reads [`Speed::as_param`]'s form; only the offered speeds are accepted.
    pub fn from_param(text: &str) -> Option<Speed> {
        SPEEDS.into_iter().find(|s| s.as_param() == text)
    }

    /// The offered speeds, for messages.
    pub fn param_list() -> String {
        SPEEDS.map(Speed::as_param).join(", ")
    }

    /// How a person reads it: `0.25x`, `100x`, `as fast as possible`.
    pub fn label(self) -> String {
        match self {
            Speed::Times(x) => format!("{x}x"),
            Speed::Max => "as fast as possible".into(),
        }
    }
}

/// Events the page simulates per wall second within its frame budget, measured in Chromium
/// on a two-core machine (about 800 000 at "as fast as possible"), taken lower to leave room.
pub const PAGE_EVENTS_PER_S: f64 = 500_000.0;

/// Events a run needs per virtual second at its peak arrival rate: four per user request
/// (arrival, balancer, answer, the client's and gateway's timers) plus one per handler step.
pub fn peak_events_per_virtual_s(config: &outage_lab_engine::Config) -> f64 {
    let steps: f64 = config
        .endpoints()
        .iter()
        .map(|e| e.share * e.steps.len() as f64)
        .sum();
    config.work().peak_rps * (4.0 + steps)
}

/// When the page cannot keep up with `speed` at the run's peak: the speed it can reach there
/// (virtual seconds per wall second) and the fastest offered speed that keeps up, if any.
pub fn too_fast(config: &outage_lab_engine::Config, speed: Speed) -> Option<(f64, Option<Speed>)> {
    let Speed::Times(asked) = speed else {
        return None;
    };
    let need = peak_events_per_virtual_s(config);
    let reachable = if need > 0.0 {
        PAGE_EVENTS_PER_S / need
    } else {
        f64::INFINITY
    };
    (asked > reachable).then(|| {
        let fits = SPEEDS
            .into_iter()
            .rfind(|s| matches!(s, Speed::Times(x) if *x <= reachable));
        (reachable, fits)
    })
}
