//! One HTTP attempt of a user request: its identity, its phase on the server, its storage in
//! the slab, and the log lines written about it.

use super::*;

/// A user request's identity and retry state, carried from attempt to attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestInfo {
    /// The user request's id.
    pub(super) id: u64,
    /// Which attempt this is, 1 for the first.
    pub(super) attempt_no: u32,
    pub(super) endpoint: u16,
    pub(super) key: u32,
    /// When the user request arrived.
    pub(super) started: SimTime,
    /// The previous retry delay (decorrelated jitter grows from it).
    pub(super) prev_delay: SimDuration,
    /// When its user gives up on it, retries included: its client's total deadline as it was
    /// when the request started (a later change of the setting does not move it);
    /// `SimTime::NEVER` for none.
    pub(super) deadline: SimTime,
    /// Who sent it: 0 for the open-loop arrivals, `g + 1` for user group `g`.
    pub(super) source: u8,
    /// The sending user's index in its group (0 for open-loop arrivals).
    pub(super) user: u32,
}

/// Who is waiting for a database query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum QueryOwner {
    /// A request, holding a pool connection.
    Attempt(AttemptRef),
    /// A background cache refresh of `key` (stale-while-revalidate), started at the time given.
    Refresh(u32, SimTime),
}

/// A handle on an attempt that stays valid only while the attempt lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AttemptRef {
    pub(super) slot: u32,
    pub(super) id: u64,
}

/// What the server side of an attempt is doing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Phase {
    /// Waiting in an instance's accept queue.
    Queued,
    /// Running handler step `step`, in the given part of it.
    Step { step: u8, part: StepPart },
    /// The server side is over (finished, or never started).
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum StepPart {
    /// Work on the worker (cpu step).
    Cpu,
    /// Waiting for the cache's answer.
    CacheLookup,
    /// Waiting for a pool connection since `since`; `timed`: a connection timeout was set
    /// when the wait began.
    PoolWait {
        token: u32,
        since: SimTime,
        timed: bool,
    },
    /// Running a query while holding a connection, since `since`; `timed`: a statement
    /// timeout was set when it started.
    Query {
        token: u32,
        key: FinishKey,
        since: SimTime,
        timed: bool,
    },
    /// Waiting for the upstream, which will answer with `result`.
    Upstream {
        result: Option<ErrorClass>,
        permit: Option<Permit>,
        started: SimTime,
    },
    /// Waiting for the upstream, which will never answer.
    UpstreamHung,
    /// Waiting for another request's load of the same key (coalescing).
    CoalesceWait,
    /// About to fail with the class given, or (None) to go on with a fallback answer.
    Failing(Option<ErrorClass>),
}

/// One HTTP attempt of a user request.
#[derive(Clone, Debug)]
pub(super) struct Attempt {
    pub(super) id: u64,
    pub(super) request: RequestInfo,
    pub(super) instance: u16,
    pub(super) work: SimRng,
    pub(super) arrived_at: SimTime,
    pub(super) accepted_at: SimTime,
    pub(super) started_at: Option<SimTime>,
    /// The client-visible outcome and when it happened.
    pub(super) outcome: Option<(Status, SimTime)>,
    pub(super) phase: Phase,
    pub(super) tokens: u32,
    /// The balancer sent it to `instance` (false when no instance was in rotation).
    pub(super) routed: bool,
    /// Retry-After of a 503 answer.
    pub(super) retry_after: Option<SimDuration>,
    /// The answer came from a fallback.
    pub(super) degraded: bool,
    /// The cache key this attempt is loading for others (coalescing).
    pub(super) loading_key: Option<u32>,
    /// When this attempt's cache load started (XFetch learns recompute times from it).
    pub(super) load_started: SimTime,
}

impl Simulation {
    pub(super) fn get_attempt(&self, a: AttemptRef) -> Option<&Attempt> {
        self.attempts
            .get(a.slot as usize)
            .filter(|att| att.id == a.id)
    }

    pub(super) fn attempt(&self, a: AttemptRef) -> &Attempt {
        let att = &self.attempts[a.slot as usize];
        debug_assert_eq!(att.id, a.id);
        att
    }

    pub(super) fn attempt_mut(&mut self, a: AttemptRef) -> &mut Attempt {
        let att = &mut self.attempts[a.slot as usize];
        debug_assert_eq!(att.id, a.id);
        att
    }

    /// Frees the attempt once both its outcome and its server side are over.
    pub(super) fn release_if_done(&mut self, a: AttemptRef) {
        let att = self.attempt(a);
        if att.outcome.is_some() && att.phase == Phase::Done {
            self.attempts.remove(a.slot as usize);
        }
    }

    /// Logs an event at the current time, written by `source` about `instance`.
    pub(super) fn log(
        &mut self,
        level: Level,
        source: LogSource,
        instance: Option<u16>,
        message: String,
    ) {
        let event = LogEvent {
            t_ms: self.now.as_micros() as f64 / 1000.0,
            level,
            source,
            instance,
            endpoint: None,
            error_id: None,
            error_class: None,
            message,
            duration_ms: None,
            status: None,
            first_of_incident: false,
            seq: 0,
            trace: None,
        };
        self.push_log(event);
    }

    /// Logs a request's error, with its error id, endpoint and duration.
    pub(super) fn log_request_error(
        &mut self,
        a: AttemptRef,
        class: Option<ErrorClass>,
        status: Status,
        message: String,
    ) {
        let now = self.now;
        let att = self.attempt(a);
        let t_ms = now.as_micros() as f64 / 1000.0;
        let ms = |t: SimTime| t.as_micros() as f64 / 1000.0;
        let (step, doing, doing_since) = match att.phase {
            Phase::Queued => (None, "waiting in the accept queue", Some(att.accepted_at)),
            Phase::Done => (None, "not in a handler", None),
            Phase::Step { step, part } => {
                let (doing, since) = match part {
                    StepPart::Cpu => ("working on the thread", None),
                    StepPart::CacheLookup => ("asking the cache", None),
                    StepPart::PoolWait { since, .. } => {
                        ("waiting for a pool connection", Some(since))
                    }
                    StepPart::Query { .. } => ("running a database query", None),
                    StepPart::Upstream { started, .. } => {
                        ("calling the payment gateway", Some(started))
                    }
                    StepPart::UpstreamHung => ("waiting on a hung payment gateway", None),
                    StepPart::CoalesceWait => ("waiting for another request's cache load", None),
                    StepPart::Failing(_) => ("failing", None),
                };
                (Some(step), doing, since)
            }
        };
        let trace = crate::observe::RequestTrace {
            request_id: att.request.id,
            attempt_no: att.request.attempt_no,
            request_started_ms: ms(att.request.started),
            arrived_ms: ms(att.arrived_at),
            accepted_ms: att.routed.then(|| ms(att.accepted_at)),
            thread_ms: att.started_at.map(ms),
            step,
            doing,
            doing_since_ms: doing_since.map(ms),
            ended_ms: t_ms,
        };
        let event = LogEvent {
            t_ms,
            level: Level::Error,
            source: if att.routed {
                LogSource::Instance
            } else {
                LogSource::LoadBalancer
            },
            instance: att.routed.then_some(att.instance),
            endpoint: Some(
                self.cfg.endpoints[att.request.endpoint as usize]
                    .name
                    .clone(),
            ),
            error_id: Some(format!("ERR-{}-{}", t_ms as u64, att.id)),
            error_class: class,
            message,
            duration_ms: Some(now.since(att.arrived_at).as_millis_f64()),
            status: Some(status),
            first_of_incident: false,
            seq: 0,
            trace: Some(trace),
        };
        self.push_log(event);
    }
}
