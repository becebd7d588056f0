//! The page's words for the engine's terms, shared by the panels and the announcements.

use outage_lab_engine::observe::AlertRule;
use outage_lab_engine::scenario::FaultKind;

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

/// A fault's name as the page shows it (chart bands, "Active now"), in words, not its id.
pub fn fault_name(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::DbSlow => "Missing index",
        FaultKind::TrafficSpike => "Traffic spike",
        FaultKind::UpstreamDownFast => "Gateway down",
        FaultKind::UpstreamHang => "Gateway hangs",
        FaultKind::UpstreamUnreachable => "Gateway unreachable",
        FaultKind::UpstreamSlow => "Gateway slow",
        FaultKind::UpstreamErrors => "Gateway errors",
        FaultKind::CacheFlush => "Cache flush",
        FaultKind::CacheDown => "Cache down",
        FaultKind::InstanceCrash => "Instance crash",
        FaultKind::InstanceDbUnreachable => "Instance cut off from the DB",
        FaultKind::BadDeploy => "Bad deploy",
    }
}

/// Whether a fault hits one instance (its name then says which).
pub fn per_instance(kind: FaultKind) -> bool {
    matches!(
        kind,
        FaultKind::InstanceCrash | FaultKind::InstanceDbUnreachable | FaultKind::BadDeploy
    )
}
