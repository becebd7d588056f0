//! The client-side retry budget: Finagle's `RetryBudget` as a token bucket. Every new user
//! request deposits `ratio` tokens, time deposits `min_retries_per_s` per second, a retry
//! withdraws one; the bucket holds at most ten seconds' worth (Finagle's `ttl` of 10 s) of the
//! last second's deposits. Without a token the failure is final.

use crate::time::SimTime;

/// How long a budget's deposits last, in seconds (Finagle's `ttl`).
pub const RETRY_BUDGET_TTL_S: f64 = 10.0;

/// A retry budget's settings: tokens per new request, and per second regardless of traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetRates {
    /// Tokens each new user request deposits (Finagle's `percentCanRetry` / 100).
    pub ratio: f64,
    /// Tokens deposited per second regardless of traffic (Finagle's `minRetriesPerSec`).
    pub min_retries_per_s: f64,
}

/// The bucket's state.
#[derive(Clone, Debug, Default)]
pub struct RetryBudget {
    tokens: f64,
    topped_up_at: SimTime,
    /// New user requests in the last closed second (sizes the bucket).
    requests_last_second: u64,
}

impl RetryBudget {
    /// Tokens in the bucket now (as of the last deposit or withdrawal).
    pub fn tokens(&self) -> f64 {
        self.tokens
    }

    /// The last closed second saw `requests` new user requests: the bucket's size follows.
    pub fn set_requests_last_second(&mut self, requests: u64) {
        self.requests_last_second = requests;
    }

    /// Adds the per-second tokens since the last top-up, up to the bucket's size.
    fn top_up(&mut self, now: SimTime, rates: BudgetRates) {
        let BudgetRates {
            ratio,
            min_retries_per_s: per_s,
        } = rates;
        let elapsed_s = now.since(self.topped_up_at).as_secs_f64();
        self.topped_up_at = now;
        let cap = RETRY_BUDGET_TTL_S * (per_s + ratio * self.requests_last_second as f64).max(0.1);
        self.tokens = (self.tokens + per_s * elapsed_s).min(cap);
    }

    /// A new user request arrives at `now`: it deposits `ratio` tokens.
    pub fn deposit(&mut self, now: SimTime, rates: BudgetRates) {
        self.top_up(now, rates);
        self.tokens += rates.ratio;
    }

    /// A retry asks for a token at `now`: true (and one token fewer) if there is one.
    pub fn try_withdraw(&mut self, now: SimTime, rates: BudgetRates) -> bool {
        self.top_up(now, rates);
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINAGLE: BudgetRates = BudgetRates {
        ratio: 0.2,
        min_retries_per_s: 0.0,
    };

    #[test]
    fn the_budget_refuses_beyond_its_ratio() {
        let mut b = RetryBudget::default();
        b.set_requests_last_second(100);
        let now = SimTime::from_secs(1);
        for _ in 0..100 {
            b.deposit(now, FINAGLE);
        }
        // 100 requests at 20 %: 20 retries pass (up to rounding), the 21st does not.
        let granted = (0..30).filter(|_| b.try_withdraw(now, FINAGLE)).count();
        assert!((19..=20).contains(&granted), "{granted}");
        assert!(!b.try_withdraw(now, FINAGLE));
    }

    #[test]
    fn time_deposits_the_minimum_and_the_bucket_is_capped() {
        let rates = BudgetRates {
            ratio: 0.1,
            min_retries_per_s: 10.0,
        };
        let mut b = RetryBudget::default();
        assert!(!b.try_withdraw(SimTime::ZERO, rates), "empty at the start");
        assert!(
            b.try_withdraw(SimTime::from_micros(150 * 1_000), rates),
            "1.5 tokens after 150 ms"
        );
        assert!(!b.try_withdraw(SimTime::from_micros(150 * 1_000), rates));
        // An hour idle fills only ten seconds' worth: 100 tokens.
        b.deposit(SimTime::from_secs(3_600), rates);
        assert!((b.tokens() - 100.1).abs() < 1e-9, "{}", b.tokens());
    }
}
