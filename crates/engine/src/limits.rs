//! The work model: the limits every accepted scenario is guaranteed to run within, so that no
//! input (a shared link, an imported file, a click) can hang a tab or exhaust memory.
//!
//! Limits are enforced twice. Validation ([`crate::Config::from_scenario`] and
//! [`crate::Simulation::inject_fault`]) refuses what is predictably too heavy, naming the field,
//! the limit and the computed value. While running, the engine checks the caps below after
//! every event and stops a run that crosses one with a [`LimitExceeded`] (the results so far are
//! kept), instead of running on without bound. `docs/scenario.md` states them for users.

use std::fmt;

use serde::Serialize;

use crate::time::SimTime;

/// The highest arrival rate a run may reach, in user requests per second: the rate profile at
/// its peak times every traffic spike active at that moment, faults included.
pub const ARRIVAL_RPS_MAX: f64 = 100_000.0;

/// The most user requests a run may expect over its whole length (the rate profile and its
/// spikes integrated over the run). At the engine's speed that is well under two minutes of
/// CPU natively.
pub const REQUESTS_PER_RUN_MAX: f64 = 50_000_000.0;

/// The largest combined factor faults of one kind may apply at once (overlapping missing
/// indexes multiply query cost, overlapping slow-upstream faults multiply latency).
pub const FAULT_MULTIPLIER_MAX: f64 = 1_000_000.0;

/// Runtime cap: attempts alive at once (arrived and not yet over, client side or server side).
pub const ATTEMPTS_IN_FLIGHT_MAX: u64 = 500_000;

/// Runtime cap: events waiting in the queue at once (after stale timers are dropped).
pub const QUEUED_EVENTS_MAX: usize = 2_000_000;

/// Runtime cap: events processed within one virtual second.
pub const EVENTS_PER_VIRTUAL_SECOND_MAX: u64 = 20_000_000;

/// Runtime cap: events processed over a whole run.
pub const EVENTS_PER_RUN_MAX: u64 = 2_000_000_000;

/// Which runtime cap a run crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    /// [`ATTEMPTS_IN_FLIGHT_MAX`].
    AttemptsInFlight,
    /// [`QUEUED_EVENTS_MAX`].
    QueuedEvents,
    /// [`EVENTS_PER_VIRTUAL_SECOND_MAX`].
    EventsPerVirtualSecond,
    /// [`EVENTS_PER_RUN_MAX`].
    EventsPerRun,
}

impl Cap {
    /// The cap's value.
    pub fn max(self) -> u64 {
        match self {
            Cap::AttemptsInFlight => ATTEMPTS_IN_FLIGHT_MAX,
            Cap::QueuedEvents => QUEUED_EVENTS_MAX as u64,
            Cap::EventsPerVirtualSecond => EVENTS_PER_VIRTUAL_SECOND_MAX,
            Cap::EventsPerRun => EVENTS_PER_RUN_MAX,
        }
    }

    /// What is counted, in words.
    pub fn what(self) -> &'static str {
        match self {
            Cap::AttemptsInFlight => "attempts in flight at once",
            Cap::QueuedEvents => "events waiting in the queue at once",
            Cap::EventsPerVirtualSecond => "events within one virtual second",
            Cap::EventsPerRun => "events in one run",
        }
    }

    /// The likely cause, to help the user change the scenario.
    pub fn hint(self) -> &'static str {
        match self {
            Cap::AttemptsInFlight => {
                "requests pile up without bound: an unbounded accept queue under overload, or \
                 retries with long backoff at a high rate"
            }
            Cap::QueuedEvents => {
                "too many timers and retries pending: lower the rate or the backoff"
            }
            Cap::EventsPerVirtualSecond => "lower the rate, the retries or the number of instances",
            Cap::EventsPerRun => "shorten the run or lower the rate",
        }
    }
}

/// A run stopped because it crossed a runtime cap; the results up to `at` are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LimitExceeded {
    /// The cap crossed.
    pub cap: Cap,
    /// The count that crossed it.
    pub value: u64,
    /// When, in virtual time.
    #[serde(serialize_with = "serialize_secs")]
    pub at: SimTime,
}

fn serialize_secs<S: serde::Serializer>(t: &SimTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.as_secs_f64())
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the run stopped at {:.3} s: {} {}, above the limit of {} ({})",
            self.at.as_secs_f64(),
            self.value,
            self.cap.what(),
            self.cap.max(),
            self.cap.hint()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_run_says_what_crossed_which_limit_and_when() {
        let e = LimitExceeded {
            cap: Cap::AttemptsInFlight,
            value: 500_001,
            at: SimTime::from_micros(12_500_000),
        };
        let text = e.to_string();
        assert!(text.starts_with("the run stopped at 12.500 s: 500001 attempts in flight"));
        assert!(text.contains("limit of 500000"), "{text}");
    }
}
