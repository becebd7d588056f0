//! Virtual time: integer microseconds, never floats.
//!
//! `SimTime` is an instant on the simulation clock (microseconds since the run started);
//! `SimDuration` is a span between two instants. Both are plain `u64` newtypes so that
//! arithmetic is exact and identical on every target.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Microseconds in one millisecond.
pub const MICROS_PER_MS: u64 = 1_000;
/// Microseconds in one second.
pub const MICROS_PER_S: u64 = 1_000_000;

/// An instant on the virtual clock, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of virtual time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any run can reach; used for "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// The instant `micros` microseconds after the start.
    pub const fn from_micros(micros: u64) -> Self {
        SimTime(micros)
    }
    /// The instant `seconds` whole seconds after the start.
    pub const fn from_secs(seconds: u64) -> Self {
        SimTime(seconds.saturating_mul(MICROS_PER_S))
    }
    /// Microseconds since the start.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Whole seconds since the start (rounded down).
    pub const fn whole_secs(self) -> u64 {
        self.0 / MICROS_PER_S
    }
    /// Seconds since the start, as a float for display and rates.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_S as f64
    }
    /// The span from `earlier` to `self`; zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        SimDuration(micros)
    }
    /// A span of `ms` whole milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(MICROS_PER_MS))
    }
    /// A span of `seconds` whole seconds.
    pub const fn from_secs(seconds: u64) -> Self {
        SimDuration(seconds.saturating_mul(MICROS_PER_S))
    }
    /// A span given in (possibly fractional) milliseconds, rounded to the nearest microsecond.
    /// The caller validates that `ms` is finite, non-negative and in range.
    pub fn from_millis_f64(ms: f64) -> Self {
        SimDuration(libm::round(ms * MICROS_PER_MS as f64) as u64)
    }
    /// Microseconds in this span.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Milliseconds in this span, as a float for display.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_MS as f64
    }
    /// Seconds in this span, as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_S as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}ms", self.as_millis_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_floats_round_to_the_nearest_microsecond() {
        assert_eq!(SimDuration::from_millis_f64(0.0004).as_micros(), 0);
        assert_eq!(SimDuration::from_millis_f64(0.0006).as_micros(), 1);
        assert_eq!(
            SimDuration::from_millis_f64(30_000.0).as_micros(),
            30_000_000
        );
    }

    #[test]
    fn time_arithmetic_saturates_instead_of_wrapping() {
        let late = SimTime::from_micros(u64::MAX - 1);
        assert_eq!(late + SimDuration::from_secs(5), SimTime::NEVER);
        assert_eq!(SimTime::ZERO.since(late), SimDuration::ZERO);
    }
}
