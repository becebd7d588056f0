//! The page's words for the engine's terms, shared by the panels and the announcements.

use outage_lab_engine::metrics::ThreadUse;
use outage_lab_engine::observe::AlertRule;
use outage_lab_engine::scenario::FaultKind;
use outage_lab_engine::snapshot::CarriedOver;

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
        FaultKind::CodeBug => "Code bug",
    }
}

/// Whether a fault hits one instance (its name then says which).
pub fn per_instance(kind: FaultKind) -> bool {
    matches!(
        kind,
        FaultKind::InstanceCrash | FaultKind::InstanceDbUnreachable | FaultKind::BadDeploy
    )
}

/// What is still running under settings changed after it started, in words, or `None` when
/// nothing is ("600 requests wait for a connection with no timeout; 40 queries run without a
/// statement timeout").
pub fn carried_over_text(c: &CarriedOver) -> Option<String> {
    let plural = |n: u32, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut parts = Vec::new();
    if c.pool_waiters_without_timeout > 0 {
        parts.push(plural(
            c.pool_waiters_without_timeout,
            "request waits for a database connection with no timeout",
            "requests wait for a database connection with no timeout",
        ));
    }
    if c.queries_without_timeout > 0 {
        parts.push(plural(
            c.queries_without_timeout,
            "query started without a statement timeout and still runs",
            "queries started without a statement timeout and still run",
        ));
    }
    if c.gateway_calls_without_timeout > 0 {
        parts.push(plural(
            c.gateway_calls_without_timeout,
            "call waits on the hung gateway with no read timeout",
            "calls wait on the hung gateway with no read timeout",
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Where an instance's busy threads are, when most of them are blocked on one thing
/// ("160 waiting for a connection · 40 in queries"); `None` while under half its threads
/// are busy, or none of them blocked.
pub fn threads_text(threads: &ThreadUse, busy: u32, max_threads: u32) -> Option<String> {
    if busy == 0 || 2 * busy < max_threads {
        return None;
    }
    let parts: Vec<String> = [
        (threads.pool_wait, "waiting for a connection"),
        (threads.query, "in queries"),
        (threads.gateway, "on the gateway"),
        (threads.cache, "on the cache"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0 && 10 * n >= busy)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    (!parts.is_empty()).then(|| format!("threads: {}", parts.join(" · ")))
}

/// What a fault does as it starts, for the caption at that moment ("Missing index: every
/// query now costs 6000 times more").
pub fn fault_caption(f: &outage_lab_engine::config::FaultConfig) -> String {
    let m = crate::app::charts::trim(f.multiplier);
    let i = f.instance;
    match f.kind {
        FaultKind::DbSlow => format!(
            "Missing index: every query now costs {m} times more (5 ms becomes {})",
            crate::app::readouts::latency_text(5.0 * f.multiplier)
        ),
        FaultKind::TrafficSpike => format!("Traffic spike: {m} times the arrivals"),
        FaultKind::UpstreamDownFast => "The payment gateway is down: it refuses connections".into(),
        FaultKind::UpstreamHang => {
            "The payment gateway hangs: it accepts connections and never answers".into()
        }
        FaultKind::UpstreamUnreachable => {
            "The payment gateway is unreachable: packets are dropped".into()
        }
        FaultKind::UpstreamSlow => format!("The payment gateway slows down: {m} times its latency"),
        FaultKind::UpstreamErrors => format!(
            "The payment gateway fails {} % of calls",
            crate::app::charts::trim(100.0 * f.error_rate)
        ),
        FaultKind::CacheFlush => "The cache is flushed: every entry is gone".into(),
        FaultKind::CacheDown => "The cache is down: every lookup misses".into(),
        FaultKind::InstanceCrash => {
            format!("Instance {i} crashes: its requests in progress are lost")
        }
        FaultKind::InstanceDbUnreachable => format!("Instance {i} loses its database connection"),
        FaultKind::BadDeploy => {
            format!("Instance {i} gets a bad deploy: its configuration is missing")
        }
        FaultKind::CodeBug => format!(
            "A code bug: {} % of requests throw an exception nothing catches",
            crate::app::charts::trim(100.0 * f.error_rate)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carried_over_work_is_counted_in_words_and_silent_when_none() {
        assert_eq!(carried_over_text(&CarriedOver::default()), None);
        let c = CarriedOver {
            pool_waiters_without_timeout: 600,
            queries_without_timeout: 1,
            gateway_calls_without_timeout: 0,
        };
        assert_eq!(
            carried_over_text(&c).as_deref(),
            Some(
                "600 requests wait for a database connection with no timeout; 1 query started \
                 without a statement timeout and still runs"
            )
        );
    }

    #[test]
    fn threads_are_placed_only_when_most_are_busy_and_blocked() {
        let stuck = ThreadUse {
            pool_wait: 160,
            query: 40,
            gateway: 0,
            cache: 0,
            working: 0,
        };
        assert_eq!(
            threads_text(&stuck, 200, 200).as_deref(),
            Some("threads: 160 waiting for a connection · 40 in queries")
        );
        assert_eq!(threads_text(&stuck, 90, 200), None, "under half busy");
        let working = ThreadUse {
            working: 150,
            ..ThreadUse::default()
        };
        assert_eq!(threads_text(&working, 150, 200), None, "busy, not blocked");
    }
}
