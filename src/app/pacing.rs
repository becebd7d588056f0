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
