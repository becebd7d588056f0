//! The page's words for the engine's terms, shared by the panels and the announcements.

use outage_lab_engine::observe::AlertRule;

/// The rule's name and threshold, as an on-call engineer reads it.
pub fn rule_text(rule: AlertRule) -> &'static str {
    match rule {
        AlertRule::ErrorRate5m => "5xx above 1 % of critical endpoints' responses over 5 min",
        AlertRule::ErrorRate5mNonCritical => {
            "5xx above 5 % of non-critical endpoints' responses over 5 min"
        }
        AlertRule::PoolUseWarn => "DB pool use above 80 % on an instance",
        AlertRule::PoolUsePage => "DB pool use above 95 % on an instance",
        AlertRule::LatencyP99 => "p99 latency above 5x its first-minute baseline",
    }
}
