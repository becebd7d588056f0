//! What an operator sees: a bounded ring of structured log events, with the first error of
//! each incident marked, and alerts evaluated live on the per-second rows.

use std::collections::VecDeque;

use serde::Serialize;

use crate::metrics::{ErrorClass, SecondMetrics, Status, Window};
use crate::time::{SimDuration, SimTime};

/// How many log events the ring keeps.
pub const LOG_RING_CAPACITY: usize = 2_000;
/// How many warnings and info lines are also kept apart from the ring, so a flood of errors
/// does not push the signs that came before it out of reach.
pub const QUIET_RING_CAPACITY: usize = 500;
/// How many incident-opening errors are kept apart from the ring.
pub const INCIDENT_STARTS_MAX: usize = 100;
/// Errors within this window count towards opening an incident.
pub const INCIDENT_WINDOW: SimDuration = SimDuration::from_secs(10);
/// This many errors within the window open an incident: a burst, not background noise.
pub const INCIDENT_ERRORS: usize = 5;
/// An incident closes after this long without a burst.
pub const INCIDENT_QUIET: SimDuration = SimDuration::from_secs(30);
/// Warnings closer together than this form one run: an incident's first error is told with the
/// first warning of the run that led up to it (within this long before the error).
pub const WARNING_RUN_GAP: SimDuration = SimDuration::from_secs(60);

/// Severity of a log event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Something worth knowing.
    Info,
    /// Something went wrong but was handled.
    Warn,
    /// A request failed.
    Error,
}

/// Who wrote a log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogSource {
    /// An application instance (the line's `instance`).
    Instance,
    /// The load balancer (about the instance named, if any).
    LoadBalancer,
    /// The database server.
    Database,
    /// The on-call engineer's actions.
    Operator,
    /// The lab itself (a run stopped at a runtime limit).
    Lab,
}

/// One structured log line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEvent {
    /// When, in milliseconds since the start.
    pub t_ms: f64,
    /// Severity.
    pub level: Level,
    /// Who wrote it.
    pub source: LogSource,
    /// The instance it is about: the one that logged it, or the one the balancer or the
    /// operator acted on.
    pub instance: Option<u16>,
    /// The endpoint of the request, if any.
    pub endpoint: Option<String>,
    /// `ERR-<t_ms>-<attempt id>` for request errors.
    pub error_id: Option<String>,
    /// The error's class, e.g. `pool_acquire_timeout`.
    pub error_class: Option<ErrorClass>,
    /// The message, as the application would log it.
    pub message: String,
    /// How long the request had run, in milliseconds.
    pub duration_ms: Option<f64>,
    /// The status the request ended with.
    pub status: Option<Status>,
    /// This error is the first of a burst that opened an incident: the root cause when an
    /// error names it (a timeout that fired), where the flood after it is symptoms; when no
    /// timeout fires, the first error is itself a symptom and the warnings before it tell more.
    pub first_of_incident: bool,
    /// Position in the log, counting from 0 (evicted events included).
    pub seq: u64,
    /// For a request's error: the path it took and its timings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<RequestTrace>,
}

/// The path and timings of one failed attempt, for a log line's detail view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestTrace {
    /// The user request's id.
    pub request_id: u64,
    /// Which attempt of that request this was, 1 for the first.
    pub attempt_no: u32,
    /// When the user request first arrived, in milliseconds since the start.
    pub request_started_ms: f64,
    /// When this attempt reached the load balancer, in milliseconds since the start.
    pub arrived_ms: f64,
    /// When an instance accepted its connection (`None`: it never reached one).
    pub accepted_ms: Option<f64>,
    /// When a worker thread picked it up (`None`: it never got one).
    pub thread_ms: Option<f64>,
    /// The handler step it was in when it ended, counting from 0 (`None`: not in a handler).
    pub step: Option<u8>,
    /// What it was doing then, e.g. `waiting for a pool connection`.
    pub doing: &'static str,
    /// Since when it had been doing that, in milliseconds since the start, if known.
    pub doing_since_ms: Option<f64>,
    /// When it ended, in milliseconds since the start.
    pub ended_ms: f64,
}

/// The log ring.
#[derive(Clone, Debug, Default)]
pub struct LogRing {
    events: VecDeque<LogEvent>,
    /// The newest warnings and info lines, kept apart from the errors.
    quiet: VecDeque<LogEvent>,
    incident_starts: Vec<LogEvent>,
    /// Recent errors: (time, seq), at most `INCIDENT_ERRORS`, within `INCIDENT_WINDOW`.
    recent_errors: VecDeque<(SimTime, u64)>,
    /// When the current incident last saw a burst; `None` outside incidents.
    incident_burst_at: Option<SimTime>,
    /// For each incident start, the first warning of the run of warnings that led up to it.
    incident_warnings: Vec<Option<LogEvent>>,
    /// The first warning of the current run of warnings, and when the run's last one came.
    warning_run: Option<(LogEvent, SimTime)>,
    /// Events ever logged, the evicted ones included.
    pub total: u64,
}

impl LogRing {
    /// Adds an event. When errors come in a burst (`INCIDENT_ERRORS` within
    /// `INCIDENT_WINDOW`) outside an incident, an incident opens and the burst's first error is
    /// marked; the incident closes after `INCIDENT_QUIET` without a burst. Returns the log
    /// sequence number of the incident's first error when this event opened an incident.
    pub fn push(&mut self, now: SimTime, mut event: LogEvent) -> Option<u64> {
        event.seq = self.total;
        let is_error = event.level == Level::Error;
        if event.level == Level::Warn {
            match &mut self.warning_run {
                Some((_, last)) if now.since(*last) <= WARNING_RUN_GAP => *last = now,
                run => *run = Some((event.clone(), now)),
            }
        }
        if !is_error {
            if self.quiet.len() == QUIET_RING_CAPACITY {
                self.quiet.pop_front();
            }
            self.quiet.push_back(event.clone());
        }
        if self.events.len() == LOG_RING_CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(event);
        self.total += 1;
        if !is_error {
            return None;
        }
        self.recent_errors.push_back((now, self.total - 1));
        while self.recent_errors.len() > INCIDENT_ERRORS
            || self
                .recent_errors
                .front()
                .is_some_and(|&(t, _)| now.since(t) > INCIDENT_WINDOW)
        {
            self.recent_errors.pop_front();
        }
        if self
            .incident_burst_at
            .is_some_and(|t| now.since(t) > INCIDENT_QUIET)
        {
            self.incident_burst_at = None;
        }
        if self.recent_errors.len() < INCIDENT_ERRORS {
            return None;
        }
        let opening = self.incident_burst_at.is_none();
        self.incident_burst_at = Some(now);
        if !opening {
            return None;
        }
        // The burst starts after the last long gap: a stray error a few seconds before the
        // burst is background noise, not the root cause.
        let max_gap =
            SimDuration::from_micros(INCIDENT_WINDOW.as_micros() / INCIDENT_ERRORS as u64);
        let mut start = 0;
        for j in 0..self.recent_errors.len() - 1 {
            if self.recent_errors[j + 1].0.since(self.recent_errors[j].0) > max_gap {
                start = j + 1;
            }
        }
        let first_seq = self.recent_errors[start].1;
        let oldest_kept = self.total - self.events.len() as u64;
        if first_seq >= oldest_kept {
            let first = &mut self.events[(first_seq - oldest_kept) as usize];
            first.first_of_incident = true;
            if self.incident_starts.len() < INCIDENT_STARTS_MAX {
                let first_at = self.recent_errors[start].0;
                let before = self.warning_run.as_ref().filter(|(w, last)| {
                    w.seq < first_seq && first_at.since(*last) <= WARNING_RUN_GAP
                });
                self.incident_warnings.push(before.map(|(w, _)| w.clone()));
                self.incident_starts.push(first.clone());
            }
        }
        Some(first_seq)
    }

    /// For each incident of [`LogRing::incident_starts`], the first warning of the run of
    /// warnings that led up to its first error (none came within [`WARNING_RUN_GAP`]: `None`).
    /// When no error names the cause (nothing timed out), the warnings often do.
    pub fn incident_warnings(&self) -> &[Option<LogEvent>] {
        &self.incident_warnings
    }

    /// The event with log sequence number `seq`, if the ring still holds it.
    pub fn get(&self, seq: u64) -> Option<&LogEvent> {
        let oldest_kept = self.total - self.events.len() as u64;
        seq.checked_sub(oldest_kept)
            .and_then(|i| self.events.get(i as usize))
    }

    /// The events in the ring, oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &LogEvent> + ExactSizeIterator {
        self.events.iter()
    }

    /// The newest warnings and info lines (at most [`QUIET_RING_CAPACITY`]), oldest first:
    /// kept apart from the ring, so errors flooding it do not evict them.
    pub fn quiet_events(&self) -> impl DoubleEndedIterator<Item = &LogEvent> + ExactSizeIterator {
        self.quiet.iter()
    }

    /// The first error of every incident so far (kept even after the ring has moved on).
    pub fn incident_starts(&self) -> &[LogEvent] {
        &self.incident_starts
    }
}

/// The message an application logs for an error class, as its libraries word it.
pub fn error_message(class: ErrorClass, pool_timeout_ms: Option<f64>) -> String {
    match class {
        ErrorClass::PoolAcquireTimeout => format!(
            "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after {:.0}ms.",
            pool_timeout_ms.unwrap_or(0.0)
        ),
        ErrorClass::QueryTimeout => {
            "org.postgresql.util.PSQLException: ERROR: canceling statement due to statement timeout".into()
        }
        ErrorClass::QueryCanceled => {
            "org.postgresql.util.PSQLException: ERROR: canceling statement due to user request".into()
        }
        ErrorClass::UpstreamError => "PaymentGatewayException: gateway answered 500 Internal Server Error".into(),
        ErrorClass::UpstreamReadTimeout => "java.net.SocketTimeoutException: Read timed out (payment gateway)".into(),
        ErrorClass::UpstreamConnectTimeout => "java.net.SocketTimeoutException: Connect timed out (payment gateway)".into(),
        ErrorClass::UpstreamRefused => "java.net.ConnectException: Connection refused (payment gateway)".into(),
        ErrorClass::BreakerOpen => {
            "io.github.resilience4j.circuitbreaker.CallNotPermittedException: CircuitBreaker 'payment' is OPEN and does not permit further calls".into()
        }
        ErrorClass::MissingConfig => {
            "java.lang.IllegalStateException: required property 'payment.api-key' is not set".into()
        }
        ErrorClass::UnhandledException => {
            "java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"coupon\" is null (CheckoutService.java:142)".into()
        }
        ErrorClass::DbUnreachable => {
            "org.postgresql.util.PSQLException: Connection to db:5432 refused. Check that the hostname and port are correct".into()
        }
        ErrorClass::InstanceCrashed => "upstream prematurely closed connection while reading response header".into(),
    }
}

/// How bad an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Look at it during working hours.
    Warn,
    /// Wake someone up.
    Page,
}

/// The alert rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    /// 5xx over 1 % of critical endpoints' responses over the last 5 minutes (as monitoring
    /// sees them).
    ErrorRate5m,
    /// 5xx over 5 % of non-critical endpoints' responses over the last 5 minutes.
    ErrorRate5mNonCritical,
    /// Pool use above 80 % on some instance.
    PoolUseWarn,
    /// Pool use above 95 % on some instance.
    PoolUsePage,
    /// p99 latency over the last minute above 5 times its baseline (the first minute's).
    LatencyP99,
}

impl AlertRule {
    /// Every rule.
    pub const ALL: [AlertRule; 5] = [
        AlertRule::ErrorRate5m,
        AlertRule::ErrorRate5mNonCritical,
        AlertRule::PoolUseWarn,
        AlertRule::PoolUsePage,
        AlertRule::LatencyP99,
    ];

    /// The rule's severity.
    pub fn severity(self) -> Severity {
        match self {
            AlertRule::ErrorRate5m | AlertRule::PoolUsePage => Severity::Page,
            AlertRule::ErrorRate5mNonCritical | AlertRule::PoolUseWarn | AlertRule::LatencyP99 => {
                Severity::Warn
            }
        }
    }
}

/// One firing of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AlertEvent {
    /// Which rule.
    pub rule: AlertRule,
    /// Its severity.
    pub severity: Severity,
    /// When it fired, in seconds since the start.
    pub fired_s: u64,
    /// When it resolved, if it has.
    pub resolved_s: Option<u64>,
}

/// Evaluates the rules once a second.
#[derive(Clone, Debug, Default)]
pub struct Alerts {
    /// Every firing so far, in order.
    pub history: Vec<AlertEvent>,
    baseline_p99_ms: Option<f64>,
}

/// Seconds of rows the error-rate rule looks at.
const ERROR_WINDOW_S: usize = 300;
/// Seconds of rows the latency rule averages, and the baseline's length.
const LATENCY_WINDOW_S: usize = 60;

impl Alerts {
    /// True if `rule` is firing now.
    pub fn is_firing(&self, rule: AlertRule) -> bool {
        self.history
            .iter()
            .any(|a| a.rule == rule && a.resolved_s.is_none())
    }

    /// Evaluates every rule after the row for second `rows.last()` closed; `pool_use_pct_max`
    /// is the highest pool use of any instance now. Returns the rules that changed state
    /// (fired or resolved).
    pub fn evaluate(
        &mut self,
        rows: &[SecondMetrics],
        pool_use_pct_max: f64,
    ) -> Vec<(AlertRule, bool)> {
        let Some(last) = rows.last() else {
            return vec![];
        };
        if self.baseline_p99_ms.is_none() && rows.len() >= LATENCY_WINDOW_S {
            self.baseline_p99_ms = Some(mean_p99(&rows[..LATENCY_WINDOW_S]));
        }
        let window = Window::last(rows, ERROR_WINDOW_S);
        let (mut critical, noncritical) = (window.status_seen(), window.status_seen_noncritical());
        critical.subtract(&noncritical);
        let (error_rate, noncritical_error_rate) = (critical.rate_5xx(), noncritical.rate_5xx());
        let recent = Window::last(rows, LATENCY_WINDOW_S).rows();
        let latency_high = self
            .baseline_p99_ms
            .is_some_and(|base| base > 0.0 && mean_p99(recent) > 5.0 * base);
        let mut changes = vec![];
        for rule in AlertRule::ALL {
            let condition = match rule {
                AlertRule::ErrorRate5m => error_rate > 0.01,
                AlertRule::ErrorRate5mNonCritical => noncritical_error_rate > 0.05,
                AlertRule::PoolUseWarn => pool_use_pct_max > 80.0,
                AlertRule::PoolUsePage => pool_use_pct_max > 95.0,
                AlertRule::LatencyP99 => latency_high,
            };
            let firing = self.is_firing(rule);
            if condition && !firing {
                self.history.push(AlertEvent {
                    rule,
                    severity: rule.severity(),
                    fired_s: last.t_s,
                    resolved_s: None,
                });
                changes.push((rule, true));
            } else if !condition && firing {
                if let Some(a) = self.history.iter_mut().rev().find(|a| a.rule == rule) {
                    a.resolved_s = Some(last.t_s);
                }
                changes.push((rule, false));
            }
        }
        changes
    }
}

fn mean_p99(rows: &[SecondMetrics]) -> f64 {
    let with_traffic: Vec<f64> = rows
        .iter()
        .filter(|r| r.status.total() > 0)
        .map(|r| r.latency_p99_ms)
        .collect();
    if with_traffic.is_empty() {
        0.0
    } else {
        with_traffic.iter().sum::<f64>() / with_traffic.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(t_s: u64) -> LogEvent {
        LogEvent {
            t_ms: t_s as f64 * 1000.0,
            level: Level::Error,
            source: LogSource::Instance,
            instance: Some(0),
            endpoint: None,
            error_id: None,
            error_class: Some(ErrorClass::QueryTimeout),
            message: String::new(),
            duration_ms: None,
            status: None,
            first_of_incident: false,
            seq: 0,
            trace: None,
        }
    }

    fn push_all(ring: &mut LogRing, times_ms: &[u64]) {
        for &t in times_ms {
            ring.push(SimTime::from_micros(t * 1000), error(t / 1000));
        }
    }

    #[test]
    fn scattered_errors_open_no_incident_a_burst_does_and_its_first_error_is_marked() {
        let mut ring = LogRing::default();
        // Background noise: one error every 15 s.
        push_all(&mut ring, &[1_000, 16_000, 31_000, 46_000]);
        assert!(ring.incident_starts().is_empty());
        // A burst at 50 s. The window reaches back to the stray error at 46 s, but the 4 s gap
        // after it shows it is noise: the burst's first error is the one at 50 s.
        push_all(&mut ring, &[50_000, 50_100, 50_200, 50_300, 50_400, 50_500]);
        let marked: Vec<u64> = ring
            .events()
            .filter(|e| e.first_of_incident)
            .map(|e| e.seq)
            .collect();
        assert_eq!(marked, vec![4]);
        assert_eq!(ring.incident_starts().len(), 1);
        // Quiet for more than 30 s, then another burst: a second incident.
        push_all(&mut ring, &[90_000, 90_001, 90_002, 90_003, 90_004]);
        assert_eq!(ring.incident_starts().len(), 2);
        assert_eq!(ring.incident_starts()[1].seq, 10);
    }

    #[test]
    fn the_ring_is_bounded_but_incident_starts_survive() {
        let mut ring = LogRing::default();
        for i in 0..(LOG_RING_CAPACITY as u64 + 10) {
            ring.push(SimTime::from_micros(i), error(0));
        }
        assert_eq!(ring.events().count(), LOG_RING_CAPACITY);
        assert_eq!(ring.total, LOG_RING_CAPACITY as u64 + 10);
        assert!(!ring.events().next().unwrap().first_of_incident);
        assert_eq!(ring.incident_starts().len(), 1);
        assert_eq!(ring.incident_starts()[0].seq, 0);
    }

    fn row(t_s: u64, ok: u64, errors: u64, p99: f64) -> SecondMetrics {
        let mut r = SecondMetrics {
            t_s,
            latency_p99_ms: p99,
            ..SecondMetrics::default()
        };
        r.status.ok_200 = ok;
        r.status.error_500 = errors;
        r.status_seen = r.status;
        r
    }

    #[test]
    fn the_error_rate_alert_fires_above_one_percent_and_resolves() {
        let mut alerts = Alerts::default();
        let mut rows = vec![];
        for t in 1..=10 {
            rows.push(row(t, 99, 1, 10.0)); // exactly 1 %: not above
            assert!(alerts.evaluate(&rows, 0.0).is_empty());
        }
        rows.push(row(11, 90, 10, 10.0));
        assert_eq!(
            alerts.evaluate(&rows, 0.0),
            vec![(AlertRule::ErrorRate5m, true)]
        );
        for t in 12..=400 {
            rows.push(row(t, 100, 0, 10.0));
            alerts.evaluate(&rows, 0.0);
        }
        let a = alerts.history[0];
        assert_eq!((a.fired_s, a.severity), (11, Severity::Page));
        // Resolves once the bad second leaves the 5-minute window and the rate is back at 1 %.
        assert!(a.resolved_s.is_some());
    }

    #[test]
    fn pool_use_warns_above_80_and_pages_above_95() {
        let mut alerts = Alerts::default();
        let rows = vec![row(1, 1, 0, 1.0)];
        assert!(alerts.evaluate(&rows, 80.0).is_empty());
        assert_eq!(
            alerts.evaluate(&rows, 90.0),
            vec![(AlertRule::PoolUseWarn, true)]
        );
        assert_eq!(
            alerts.evaluate(&rows, 96.0),
            vec![(AlertRule::PoolUsePage, true)]
        );
        assert_eq!(alerts.evaluate(&rows, 10.0).len(), 2);
    }
}
