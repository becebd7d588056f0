//! A circuit breaker with resilience4j's semantics.
//!
//! - CLOSED: calls pass; outcomes go into a sliding window (the last N calls, or the calls of the
//!   last N seconds). After every recorded call, once the window holds at least the minimum
//!   number of calls (capped at the window size for COUNT_BASED, not for TIME_BASED), the breaker
//!   opens if the failure rate or the slow-call rate is at or above its threshold. A call is slow
//!   only if it took strictly longer than the slow-call duration.
//! - OPEN: calls are rejected at once. The first call strictly after the wait moves the breaker
//!   to HALF_OPEN (`OpenState` compares with `isAfter`); with automatic transition on, a timer
//!   does it exactly when the wait ends.
//! - HALF_OPEN: exactly `permitted_in_half_open` trial calls pass, with a fresh window; further
//!   calls are rejected as "not permitted" and not recorded. The trial window is evaluated
//!   after each result once it holds `min(minimum_calls, permitted_in_half_open)` results (as
//!   resilience4j's `CircuitBreakerMetrics.forHalfOpen` sets it; its documentation says "until
//!   all permitted calls have completed"): at or above either threshold opens the breaker again,
//!   else it closes, possibly with trial calls still running.
//!
//! A result is recorded in the state the breaker is in when the call ends, whichever state let
//! the call through, as resilience4j's state machine does (its documentation is silent on it):
//! a call let through while CLOSED that ends in HALF_OPEN fills a trial slot (without taking a
//! permit) and can decide the trial; a trial call still running when HALF_OPEN closed counts in
//! the new CLOSED window. Results that end while OPEN go, in resilience4j, into metrics that
//! decide nothing; here they are dropped, with the same decisions. Only a reconfiguration (a
//! new breaker, in resilience4j) makes earlier permits' results be ignored.

use std::collections::VecDeque;

use serde::Serialize;

use crate::time::{SimDuration, SimTime};

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BreakerState {
    /// Calls pass and are recorded.
    Closed,
    /// Calls are rejected.
    Open,
    /// A fixed number of trial calls pass.
    HalfOpen,
}

/// How the breaker's sliding window counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// The last `n` calls.
    CountBased(u32),
    /// The calls of the last `n` whole seconds.
    TimeBased(u32),
}

/// A validated breaker configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// The sliding window.
    pub window: Window,
    /// Calls needed in the window before rates are evaluated.
    pub minimum_calls: u32,
    /// Failure rate (percent) at or above which the breaker opens.
    pub failure_rate_threshold_pct: f64,
    /// Slow-call rate (percent) at or above which the breaker opens.
    pub slow_call_rate_threshold_pct: f64,
    /// Calls strictly longer than this are slow.
    pub slow_call_duration: SimDuration,
    /// How long the breaker stays open before trial calls.
    pub wait_in_open: SimDuration,
    /// Trial calls in HALF_OPEN.
    pub permitted_in_half_open: u32,
    /// Move to HALF_OPEN by timer when the wait ends, without waiting for a call.
    pub automatic_half_open: bool,
}

impl BreakerConfig {
    /// resilience4j's defaults: 100-call window, minimum 100 calls, 50 % failures,
    /// 100 % slow calls over 60 s, 60 s open, 10 trial calls, no automatic transition.
    pub fn resilience4j() -> Self {
        BreakerConfig {
            window: Window::CountBased(100),
            minimum_calls: 100,
            failure_rate_threshold_pct: 50.0,
            slow_call_rate_threshold_pct: 100.0,
            slow_call_duration: SimDuration::from_secs(60),
            wait_in_open: SimDuration::from_secs(60),
            permitted_in_half_open: 10,
            automatic_half_open: false,
        }
    }

    /// Hystrix-like defaults: 20 calls, 50 % errors, 5 s sleep window, one trial call.
    pub fn hystrix() -> Self {
        BreakerConfig {
            window: Window::CountBased(20),
            minimum_calls: 20,
            failure_rate_threshold_pct: 50.0,
            slow_call_rate_threshold_pct: 100.0,
            slow_call_duration: SimDuration::from_secs(60),
            wait_in_open: SimDuration::from_secs(5),
            permitted_in_half_open: 1,
            automatic_half_open: false,
        }
    }
}

/// A permission to call, tied to the breaker's configuration it was given under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permit {
    generation: u64,
}

/// Why a call was not let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// OPEN: retry after this long.
    Open {
        /// Time left until trial calls are let through.
        retry_after: SimDuration,
    },
    /// HALF_OPEN with every trial call already taken.
    NotPermitted,
}

/// Outcome counts in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    calls: u32,
    failed: u32,
    slow: u32,
}

impl Tally {
    fn add(&mut self, failed: bool, slow: bool, sign: i32) {
        let apply = |v: &mut u32, on: bool| {
            if on {
                *v = (*v as i64 + sign as i64) as u32;
            }
        };
        apply(&mut self.calls, true);
        apply(&mut self.failed, failed);
        apply(&mut self.slow, slow);
    }
}

/// The breaker.
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    cfg: BreakerConfig,
    state: BreakerState,
    /// Changes on every reconfiguration, so outcomes of calls let through before are ignored.
    generation: u64,
    opened_at: SimTime,
    /// COUNT_BASED: the last calls' (failed, slow); TIME_BASED: per-second (second, tally).
    calls: VecDeque<(bool, bool)>,
    seconds: VecDeque<(u64, Tally)>,
    tally: Tally,
    half_open_issued: u32,
    half_open_done: Tally,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(cfg: BreakerConfig) -> Self {
        CircuitBreaker {
            cfg,
            state: BreakerState::Closed,
            generation: 0,
            opened_at: SimTime::ZERO,
            calls: VecDeque::new(),
            seconds: VecDeque::new(),
            tally: Tally::default(),
            half_open_issued: 0,
            half_open_done: Tally::default(),
        }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Its configuration.
    pub fn config(&self) -> &BreakerConfig {
        &self.cfg
    }

    /// When an open breaker lets trial calls through.
    pub fn open_until(&self) -> Option<SimTime> {
        (self.state == BreakerState::Open).then(|| self.opened_at + self.cfg.wait_in_open)
    }

    fn transition(&mut self, to: BreakerState, now: SimTime) {
        self.state = to;
        self.calls.clear();
        self.seconds.clear();
        self.tally = Tally::default();
        self.half_open_issued = 0;
        self.half_open_done = Tally::default();
        if to == BreakerState::Open {
            self.opened_at = now;
        }
    }

    /// Takes a new configuration: the breaker starts afresh, CLOSED, and outcomes of calls
    /// permitted before are ignored.
    pub fn reconfigure(&mut self, cfg: BreakerConfig, now: SimTime) {
        self.cfg = cfg;
        self.generation += 1;
        self.transition(BreakerState::Closed, now);
    }

    /// Moves an open breaker whose wait is over to HALF_OPEN (the automatic transition's timer).
    /// Returns true if it changed state.
    pub fn wake(&mut self, now: SimTime) -> bool {
        if self.state == BreakerState::Open && now >= self.opened_at + self.cfg.wait_in_open {
            self.transition(BreakerState::HalfOpen, now);
            true
        } else {
            false
        }
    }

    /// Asks to make a call now.
    pub fn try_acquire(&mut self, now: SimTime) -> Result<Permit, Rejection> {
        if self.state == BreakerState::Open {
            let until = self.opened_at + self.cfg.wait_in_open;
            if now <= until {
                return Err(Rejection::Open {
                    retry_after: until.since(now),
                });
            }
            self.transition(BreakerState::HalfOpen, now);
        }
        if self.state == BreakerState::HalfOpen {
            if self.half_open_issued >= self.cfg.permitted_in_half_open {
                return Err(Rejection::NotPermitted);
            }
            self.half_open_issued += 1;
        }
        Ok(Permit {
            generation: self.generation,
        })
    }

    fn over_threshold(&self, t: Tally) -> bool {
        if t.calls == 0 {
            return false;
        }
        let failure_pct = 100.0 * t.failed as f64 / t.calls as f64;
        let slow_pct = 100.0 * t.slow as f64 / t.calls as f64;
        failure_pct >= self.cfg.failure_rate_threshold_pct
            || slow_pct >= self.cfg.slow_call_rate_threshold_pct
    }

    /// Records the outcome of a permitted call that took `duration`; returns the new state if
    /// the breaker changed state.
    pub fn record(
        &mut self,
        permit: Permit,
        now: SimTime,
        duration: SimDuration,
        failed: bool,
    ) -> Option<BreakerState> {
        if permit.generation != self.generation {
            return None;
        }
        let slow = duration > self.cfg.slow_call_duration;
        match self.state {
            BreakerState::Open => None,
            BreakerState::HalfOpen => {
                self.half_open_done.add(failed, slow, 1);
                let decides_after = self.cfg.minimum_calls.min(self.cfg.permitted_in_half_open);
                if self.half_open_done.calls < decides_after {
                    return None;
                }
                let to = if self.over_threshold(self.half_open_done) {
                    BreakerState::Open
                } else {
                    BreakerState::Closed
                };
                self.transition(to, now);
                Some(to)
            }
            BreakerState::Closed => {
                let minimum = match self.cfg.window {
                    Window::CountBased(n) => {
                        self.calls.push_back((failed, slow));
                        self.tally.add(failed, slow, 1);
                        if self.calls.len() > n as usize {
                            if let Some((f, s)) = self.calls.pop_front() {
                                self.tally.add(f, s, -1);
                            }
                        }
                        self.cfg.minimum_calls.min(n)
                    }
                    Window::TimeBased(n) => {
                        let second = now.whole_secs();
                        match self.seconds.back_mut() {
                            Some((s, t)) if *s == second => t.add(failed, slow, 1),
                            _ => {
                                let mut t = Tally::default();
                                t.add(failed, slow, 1);
                                self.seconds.push_back((second, t));
                            }
                        }
                        self.tally.add(failed, slow, 1);
                        while let Some(&(s, t)) = self.seconds.front() {
                            if s + (n as u64) <= second {
                                self.seconds.pop_front();
                                self.tally.calls -= t.calls;
                                self.tally.failed -= t.failed;
                                self.tally.slow -= t.slow;
                            } else {
                                break;
                            }
                        }
                        self.cfg.minimum_calls
                    }
                };
                if self.tally.calls >= minimum && self.over_threshold(self.tally) {
                    self.transition(BreakerState::Open, now);
                    Some(BreakerState::Open)
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_micros(ms * 1000)
    }
    const FAST: SimDuration = SimDuration::from_millis(10);

    fn small() -> BreakerConfig {
        BreakerConfig {
            window: Window::CountBased(10),
            minimum_calls: 4,
            failure_rate_threshold_pct: 50.0,
            slow_call_rate_threshold_pct: 100.0,
            slow_call_duration: SimDuration::from_millis(100),
            wait_in_open: SimDuration::from_secs(5),
            permitted_in_half_open: 2,
            automatic_half_open: false,
        }
    }

    fn call(
        b: &mut CircuitBreaker,
        at: SimTime,
        took: SimDuration,
        failed: bool,
    ) -> Option<BreakerState> {
        let p = b.try_acquire(at).expect("permitted");
        b.record(p, at + took, took, failed)
    }

    /// Opens `b` (the `small` configuration) with four failed calls ending by 13 ms.
    fn opened(b: &mut CircuitBreaker) {
        for i in 0..4 {
            call(b, t(i), FAST, true);
        }
        assert_eq!(b.state(), BreakerState::Open);
    }

    #[test]
    fn nothing_is_evaluated_below_the_minimum_number_of_calls() {
        let mut b = CircuitBreaker::new(small());
        for i in 0..3 {
            assert_eq!(call(&mut b, t(i), FAST, true), None, "call {i}");
        }
        assert_eq!(b.state(), BreakerState::Closed);
        // The 4th call reaches the minimum: 4 of 4 failed.
        assert_eq!(call(&mut b, t(3), FAST, true), Some(BreakerState::Open));
    }

    #[test]
    fn the_failure_threshold_is_inclusive() {
        // 2 failures of 4 = exactly 50 %: opens.
        let mut b = CircuitBreaker::new(small());
        call(&mut b, t(0), FAST, false);
        call(&mut b, t(1), FAST, true);
        call(&mut b, t(2), FAST, false);
        assert_eq!(call(&mut b, t(3), FAST, true), Some(BreakerState::Open));
        // 1 of 4 = 25 %: stays closed.
        let mut b = CircuitBreaker::new(small());
        for (i, failed) in [false, true, false, false].into_iter().enumerate() {
            assert_eq!(call(&mut b, t(i as u64), FAST, failed), None);
        }
    }

    #[test]
    fn a_call_is_slow_only_if_strictly_longer_than_the_threshold() {
        let mut cfg = small();
        cfg.slow_call_rate_threshold_pct = 100.0;
        let mut b = CircuitBreaker::new(cfg);
        let exactly = SimDuration::from_millis(100);
        for i in 0..4 {
            assert_eq!(
                call(&mut b, t(i), exactly, false),
                None,
                "100 ms is not slow"
            );
        }
        let mut b = CircuitBreaker::new(cfg);
        let longer = SimDuration::from_micros(100_001);
        for i in 0..3 {
            assert_eq!(call(&mut b, t(i), longer, false), None);
        }
        assert_eq!(call(&mut b, t(3), longer, false), Some(BreakerState::Open));
    }

    #[test]
    fn count_based_minimum_is_capped_at_the_window_size() {
        let mut cfg = small();
        cfg.window = Window::CountBased(3);
        cfg.minimum_calls = 100;
        let mut b = CircuitBreaker::new(cfg);
        call(&mut b, t(0), FAST, true);
        call(&mut b, t(1), FAST, true);
        assert_eq!(call(&mut b, t(2), FAST, true), Some(BreakerState::Open));
    }

    #[test]
    fn time_based_minimum_is_not_capped_and_old_seconds_fall_out() {
        let mut cfg = small();
        cfg.window = Window::TimeBased(2);
        cfg.minimum_calls = 3;
        let mut b = CircuitBreaker::new(cfg);
        call(&mut b, t(0), FAST, true);
        call(&mut b, t(1_000), FAST, true);
        // At 2.5 s the call from second 0 has left the 2 s window: 2 calls, below the minimum.
        assert_eq!(call(&mut b, t(2_500), FAST, true), None);
        assert_eq!(call(&mut b, t(2_600), FAST, true), Some(BreakerState::Open));
    }

    #[test]
    fn open_rejects_until_the_wait_ends_then_a_call_moves_it_to_half_open() {
        let mut b = CircuitBreaker::new(small());
        opened(&mut b);
        // The 4th call ended at 13 ms: open until 5.013 s.
        assert_eq!(b.open_until(), Some(t(5_013)));
        assert_eq!(
            b.try_acquire(t(1_013)),
            Err(Rejection::Open {
                retry_after: SimDuration::from_millis(4_000)
            })
        );
        assert!(b.try_acquire(t(5_012)).is_err());
        // At exactly the end of the wait a call is still rejected (resilience4j: `isAfter`).
        assert_eq!(
            b.try_acquire(t(5_013)),
            Err(Rejection::Open {
                retry_after: SimDuration::ZERO
            })
        );
        // Still OPEN after the wait until a call arrives: no automatic transition.
        assert_eq!(b.state(), BreakerState::Open);
        let p1 = b
            .try_acquire(t(5_013) + SimDuration::from_micros(1))
            .expect("first trial call");
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let p2 = b.try_acquire(t(5_004)).expect("second trial call");
        assert_eq!(b.try_acquire(t(5_005)), Err(Rejection::NotPermitted));
        assert_eq!(
            b.record(p1, t(5_010), FAST, false),
            None,
            "min(4 minimum calls, 2 permitted) = 2: the first result does not decide"
        );
        assert_eq!(
            b.record(p2, t(5_011), FAST, false),
            Some(BreakerState::Closed)
        );
    }

    #[test]
    fn half_open_reopens_at_the_threshold() {
        let mut b = CircuitBreaker::new(small());
        opened(&mut b);
        let p1 = b.try_acquire(t(6_000)).unwrap();
        let p2 = b.try_acquire(t(6_000)).unwrap();
        b.record(p1, t(6_010), FAST, false);
        assert_eq!(
            b.record(p2, t(6_010), FAST, true),
            Some(BreakerState::Open),
            "1 of 2 = 50 %"
        );
        assert_eq!(b.open_until(), Some(t(11_010)));
    }

    #[test]
    fn a_result_that_ends_while_open_changes_nothing() {
        let mut b = CircuitBreaker::new(small());
        let early = b.try_acquire(t(0)).unwrap();
        opened(&mut b);
        assert_eq!(b.record(early, t(30), FAST, false), None);
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.open_until(), Some(t(5_013)));
    }

    #[test]
    fn half_open_decides_after_the_minimum_when_it_is_below_the_permitted_calls() {
        // 5 trial calls permitted, a minimum of 3: the third result decides (resilience4j's
        // forHalfOpen window), with two trial calls still running.
        let mut cfg = small();
        cfg.permitted_in_half_open = 5;
        cfg.minimum_calls = 3;
        let mut b = CircuitBreaker::new(cfg);
        for i in 0..3 {
            call(&mut b, t(i), FAST, true);
        }
        assert_eq!(b.state(), BreakerState::Open);
        let trials: Vec<Permit> = (0..5)
            .map(|i| b.try_acquire(t(6_000 + i)).expect("a trial call"))
            .collect();
        assert_eq!(b.try_acquire(t(6_005)), Err(Rejection::NotPermitted));
        assert_eq!(b.record(trials[0], t(6_010), FAST, false), None, "1 of 3");
        assert_eq!(b.record(trials[1], t(6_011), FAST, true), None, "2 of 3");
        assert_eq!(
            b.record(trials[2], t(6_012), FAST, false),
            Some(BreakerState::Closed),
            "1 failure in 3 is 33 %, under 50 %: closes at the third result"
        );
        // The two trial calls still running end in CLOSED and count in its fresh window: with
        // two more failures the window holds 2 of 2 failed, below the minimum of 3 ...
        assert_eq!(b.record(trials[3], t(6_020), FAST, true), None);
        assert_eq!(b.record(trials[4], t(6_021), FAST, true), None);
        // ... and a third failure opens it again: 3 of 3.
        assert_eq!(call(&mut b, t(6_030), FAST, true), Some(BreakerState::Open));
    }

    #[test]
    fn a_call_let_through_while_closed_that_ends_in_half_open_fills_a_trial_slot() {
        // A slow call starts while CLOSED, the breaker opens and goes HALF_OPEN, and the slow
        // call's failure is the first trial result: with one failing trial call more, 2 of 2
        // failed reopens the breaker although only one permit of two was used.
        let mut b = CircuitBreaker::new(small());
        let slow_one = b.try_acquire(t(0)).unwrap();
        opened(&mut b);
        let trial = b.try_acquire(t(6_000)).unwrap();
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert_eq!(
            b.record(slow_one, t(6_001), t(6_001).since(t(0)), true),
            None
        );
        assert_eq!(
            b.record(trial, t(6_002), FAST, true),
            Some(BreakerState::Open)
        );
    }

    #[test]
    fn a_reconfigured_breaker_ignores_calls_let_through_before() {
        let mut b = CircuitBreaker::new(small());
        let before = b.try_acquire(t(0)).unwrap();
        b.reconfigure(small(), t(1));
        for i in 0..3 {
            call(&mut b, t(2 + i), FAST, true);
        }
        assert_eq!(
            b.record(before, t(10), FAST, true),
            None,
            "not counted: still 3 calls"
        );
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn the_automatic_transition_wakes_the_breaker() {
        let mut cfg = small();
        cfg.automatic_half_open = true;
        let mut b = CircuitBreaker::new(cfg);
        opened(&mut b);
        assert!(!b.wake(t(5_012)));
        assert!(b.wake(t(5_013)));
        assert_eq!(b.state(), BreakerState::HalfOpen);
    }

    #[test]
    fn presets_mirror_the_libraries() {
        let r = BreakerConfig::resilience4j();
        assert_eq!(r.window, Window::CountBased(100));
        assert_eq!(r.wait_in_open, SimDuration::from_secs(60));
        let h = BreakerConfig::hystrix();
        assert_eq!(h.minimum_calls, 20);
        assert_eq!(h.wait_in_open, SimDuration::from_secs(5));
    }
}
