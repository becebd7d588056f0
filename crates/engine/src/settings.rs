//! The named limits of every setting: the ranges validation ([`crate::Config::from_scenario`])
//! enforces, written once so a UI's controls can offer the same ranges. Units go last in the
//! names; ranges are inclusive.
//!
//! The work model's limits (arrival rate, requests per run, fault factors) are in
//! [`crate::limits`].

use std::ops::RangeInclusive;

/// The longest run, in seconds (one day).
pub const DURATION_S_MAX: f64 = 86_400.0;
/// The longest duration any setting may name, in milliseconds (one day).
pub const SETTING_MS_MAX: f64 = 86_400_000.0;
/// The most faults a run may have, on the timeline and injected together.
pub const FAULTS_MAX: usize = 64;
/// The most operator actions a run may have, on the timeline and taken live together.
pub const ACTIONS_MAX: usize = 64;
/// The lowest HikariCP leak detection threshold, in milliseconds (HikariCP disables lower ones).
pub const LEAK_DETECTION_THRESHOLD_MS_MIN: f64 = 2_000.0;
/// How often HikariCP's housekeeper runs (and logs the pool's stats), in seconds.
pub const POOL_HOUSEKEEPING_S: u64 = 30;
/// How long a restarted instance takes to start again, in seconds.
pub const RESTART_BOOT_S: u64 = 10;
/// The highest arrival rate the profile may reach, in requests per second (the work model's
/// [`crate::limits::ARRIVAL_RPS_MAX`]; spikes included).
pub const RATE_RPS_MAX: f64 = crate::limits::ARRIVAL_RPS_MAX;
/// The most components a rate profile may have.
pub const RATE_COMPONENTS_MAX: usize = 64;
/// A rate spike's multiplier (`traffic.rate[].multiplier`).
pub const RATE_SPIKE_MULTIPLIER: RangeInclusive<f64> = 0.0..=1_000.0;
/// The most endpoints a scenario may have.
pub const ENDPOINTS_MAX: usize = 32;
/// The largest endpoint weight (weights are relative; any positive value up to this).
pub const ENDPOINT_WEIGHT_MAX: f64 = 1e9;
/// The most handler steps an endpoint may have.
pub const ENDPOINT_STEPS_MAX: usize = 16;
/// The longest health-check interval or probe timeout, in milliseconds (one hour).
pub const HEALTH_CHECK_MS_MAX: f64 = 3_600_000.0;
/// Probes in a row that take an instance out of or back into rotation.
pub const HEALTH_CHECK_THRESHOLD_PROBES: RangeInclusive<u32> = 1..=100;
/// The largest percentage a threshold may name (pool use of a deep check, breaker rates).
pub const THRESHOLD_PCT_MAX: f64 = 100.0;
/// Instances behind the load balancer.
pub const INSTANCES_COUNT: RangeInclusive<u32> = 1..=64;
/// Worker threads per instance.
pub const THREADS_PER_INSTANCE: RangeInclusive<u32> = 1..=10_000;
/// A bounded accept queue's capacity, in connections per instance.
pub const ACCEPT_QUEUE_CONNECTIONS: RangeInclusive<u32> = 0..=100_000;
/// Cache keys.
pub const CACHE_KEYS: RangeInclusive<u32> = 1..=1_000_000;
/// The Zipf exponent of key popularity (0 = uniform).
pub const CACHE_ZIPF_EXPONENT: RangeInclusive<f64> = 0.0..=5.0;
/// The TTL's random spread, in percent either side.
pub const CACHE_TTL_JITTER_PCT: RangeInclusive<f64> = 0.0..=99.0;
/// The largest XFetch beta (probabilistic early refresh; any positive value up to this).
pub const STAMPEDE_BETA_MAX: f64 = 100.0;
/// Connections per instance's database pool.
pub const POOL_CONNECTIONS: RangeInclusive<u32> = 1..=1_000;
/// Database cores.
pub const DB_CORES: RangeInclusive<u32> = 1..=1_024;
/// A share of failed calls or requests (the upstream's error rate, a fault's error rate).
pub const ERROR_RATE: RangeInclusive<f64> = 0.0..=1.0;
/// Calls in a count-based breaker window.
pub const BREAKER_WINDOW_CALLS: RangeInclusive<u32> = 1..=10_000;
/// Seconds in a time-based breaker window.
pub const BREAKER_WINDOW_S: RangeInclusive<u32> = 1..=3_600;
/// Calls a breaker needs before it computes rates.
pub const BREAKER_MINIMUM_CALLS: RangeInclusive<u32> = 1..=10_000;
/// Trial calls a half-open breaker lets through.
pub const BREAKER_HALF_OPEN_CALLS: RangeInclusive<u32> = 1..=1_000;
/// Attempts per user request, the first included.
pub const RETRY_ATTEMPTS: RangeInclusive<u32> = 1..=100;
/// Retry-budget tokens earned per new user request.
pub const RETRY_BUDGET_TOKENS_PER_REQUEST: RangeInclusive<f64> = 0.0..=1.0;
/// Closed-loop user groups in one scenario.
pub const USER_GROUPS_MAX: usize = 8;
/// Closed-loop users in one group (users in all groups together: at most
/// [`USERS_PER_RUN_MAX`]).
pub const USERS_PER_GROUP: RangeInclusive<u32> = 1..=100_000;
/// Closed-loop users in all groups together.
pub const USERS_PER_RUN_MAX: u64 = 100_000;
/// Requests one closed-loop user sends before leaving.
pub const REQUESTS_PER_USER: RangeInclusive<u32> = 1..=1_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_range_is_non_empty_and_counts_start_at_zero_or_one() {
        let counts = [
            HEALTH_CHECK_THRESHOLD_PROBES,
            INSTANCES_COUNT,
            THREADS_PER_INSTANCE,
            ACCEPT_QUEUE_CONNECTIONS,
            CACHE_KEYS,
            POOL_CONNECTIONS,
            DB_CORES,
            BREAKER_WINDOW_CALLS,
            BREAKER_WINDOW_S,
            BREAKER_MINIMUM_CALLS,
            BREAKER_HALF_OPEN_CALLS,
            RETRY_ATTEMPTS,
            USERS_PER_GROUP,
            REQUESTS_PER_USER,
        ];
        for r in counts {
            assert!(r.start() <= r.end() && *r.start() <= 1, "{r:?}");
        }
        let reals = [
            RATE_SPIKE_MULTIPLIER,
            CACHE_ZIPF_EXPONENT,
            CACHE_TTL_JITTER_PCT,
            ERROR_RATE,
            RETRY_BUDGET_TOKENS_PER_REQUEST,
        ];
        for r in reals {
            assert!(r.start() < r.end() && *r.start() == 0.0, "{r:?}");
        }
    }
}
