//! The simulation: one closed event enum, one queue keyed by (time, sequence), and the models
//! of the load balancer, instances, pools, cache, database and upstream reacting to events.
//!
//! ```text
//!  clients ──► load balancer ──► instance[i]: accept queue ─► worker threads
//!                                   │ handler steps, holding the worker:
//!                                   ├─ cpu
//!                                   ├─ cache read ──miss──► db pool ─► database (shared cores)
//!                                   ├─ db query ──────────► db pool ─► database
//!                                   └─ upstream call (timeouts)
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use slab::Slab;

use crate::breaker::{BreakerState, CircuitBreaker, Permit, Rejection};
use crate::config::{Config, RetryConfig, StampedeConfig, StepConfig};
use crate::database::{DatabaseServer, FinishKey};
use crate::limits::{Cap, LimitExceeded};
use crate::metrics::{
    ErrorClass, Gauges, InstanceGauges, Recorder, SecondMetrics, Status, Summary,
};
use crate::observe::{error_message, Alerts, Level, LogEvent, LogRing};
use crate::rng::{SimRng, Stream};
use crate::scenario::{ErrorHandling, FaultKind, Jitter, LbPolicy, QueueOverflow, WhenOpen};
use crate::time::{SimDuration, SimTime, MICROS_PER_S};
use crate::traffic::{RateProfile, ZipfKeys};

/// How long Linux keeps retrying a SYN before a connect fails on its own (6 retries: 127 s).
pub const OS_CONNECT_GIVE_UP: SimDuration = SimDuration::from_secs(127);
/// How long a refused connection takes to fail.
pub const REFUSED_CONNECT: SimDuration = SimDuration::from_millis(1);
/// Retry-After sent when a half-open breaker has no trial call left.
pub const NOT_PERMITTED_RETRY_AFTER: SimDuration = SimDuration::from_secs(1);
/// The smallest queue worth compacting: below it, stale timers cost less than a sweep.
const QUEUE_COMPACT_MIN: usize = 4_096;

/// A user request's identity and retry state, carried from attempt to attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestInfo {
    /// The user request's id.
    id: u64,
    /// Which attempt this is, 1 for the first.
    attempt_no: u32,
    endpoint: u16,
    key: u32,
    /// When the user request arrived.
    started: SimTime,
    /// The previous retry delay (decorrelated jitter grows from it).
    prev_delay: SimDuration,
}

/// Who is waiting for a database query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QueryOwner {
    /// A request, holding a pool connection.
    Attempt(AttemptRef),
    /// A background cache refresh of `key` (stale-while-revalidate), started at the time given.
    Refresh(u32, SimTime),
}

/// A handle on an attempt that stays valid only while the attempt lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AttemptRef {
    slot: u32,
    id: u64,
}

/// Everything that can happen in the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// A candidate arrival of the thinned Poisson process (ignored if `generation` is stale).
    ArrivalCandidate {
        /// The arrival process generation that scheduled it.
        generation: u64,
    },
    /// The client's per-attempt timeout.
    ClientTimeout(AttemptRef),
    /// The load balancer's gateway timeout.
    GatewayTimeout(AttemptRef),
    /// The current handler step (cpu, cache lookup or upstream call) finished.
    StepDone(AttemptRef),
    /// A pool wait reached the connection timeout (ignored if `token` is stale).
    PoolTimeout {
        /// The waiting attempt.
        attempt: AttemptRef,
        /// Which wait it belongs to.
        token: u32,
    },
    /// The database's next query should be finishing (ignored if `generation` is stale).
    QueryDone {
        /// The database schedule generation that scheduled it.
        generation: u64,
    },
    /// A running query reached the statement timeout (ignored if `token` is stale).
    QueryTimeout {
        /// The querying attempt.
        attempt: AttemptRef,
        /// Which query it belongs to.
        token: u32,
    },
    /// The end of a virtual second: metrics close a row.
    SecondTick,
    /// Fault `index` of the scenario starts.
    FaultStart(usize),
    /// Fault `index` of the scenario ends.
    FaultEnd(usize),
    /// A client sends the next attempt of a user request.
    Retry(RequestInfo),
    /// An open breaker's wait is over (automatic transition to half-open).
    BreakerWake(usize),
    /// The load balancer probes instance `i`.
    HealthProbe(usize),
    /// A probe of instance `i` that found no free worker reaches its timeout.
    HealthProbeTimeout(usize),
}

#[derive(Debug, Clone)]
struct Scheduled {
    at: SimTime,
    /// 0 for a fault's start or end, 1 for everything else: at equal times faults act first,
    /// so a fault injected while running and the same fault on the timeline act alike.
    rank: u8,
    seq: u64,
    event: Event,
}

impl Scheduled {
    fn key(&self) -> (SimTime, u8, u64) {
        (self.at, self.rank, self.seq)
    }
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    // Reversed: BinaryHeap is a max-heap and the earliest (time, rank, seq) must come first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// What the server side of an attempt is doing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Waiting in an instance's accept queue.
    Queued,
    /// Running handler step `step`, in the given part of it.
    Step { step: u8, part: StepPart },
    /// The server side is over (finished, or never started).
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum StepPart {
    /// Work on the worker (cpu step).
    Cpu,
    /// Waiting for the cache's answer.
    CacheLookup,
    /// Waiting for a pool connection.
    PoolWait { token: u32, since: SimTime },
    /// Running a query while holding a connection.
    Query { token: u32, key: FinishKey },
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
struct Attempt {
    id: u64,
    request: RequestInfo,
    instance: u16,
    work: SimRng,
    arrived_at: SimTime,
    accepted_at: SimTime,
    started_at: Option<SimTime>,
    /// The client-visible outcome and when it happened.
    outcome: Option<(Status, SimTime)>,
    phase: Phase,
    tokens: u32,
    /// The balancer sent it to `instance` (false when no instance was in rotation).
    routed: bool,
    /// Retry-After of a 503 answer.
    retry_after: Option<SimDuration>,
    /// The answer came from a fallback.
    degraded: bool,
    /// The cache key this attempt is loading for others (coalescing).
    loading_key: Option<u32>,
    /// When this attempt's cache load started (XFetch learns recompute times from it).
    load_started: SimTime,
}

/// A waiter in a pool's FIFO queue.
#[derive(Clone, Copy, Debug)]
struct PoolWaiter {
    attempt: AttemptRef,
    token: u32,
}

/// One application instance.
#[derive(Clone, Debug)]
struct Instance {
    threads_busy: u32,
    accept_queue: VecDeque<AttemptRef>,
    /// Attempts the load balancer has sent here and not yet answered.
    outstanding: u32,
    pool_active: u32,
    /// FIFO of waiters; entries whose wait ended (timeout) are skipped lazily.
    pool_queue: VecDeque<PoolWaiter>,
    pool_waiting: u32,
    /// The process is down: connections are refused.
    down: bool,
    /// Runs without its configuration: every request fails.
    misconfigured: bool,
    /// Cannot reach the database.
    db_unreachable: bool,
    /// The load balancer sends it traffic.
    in_rotation: bool,
    probe_passes: u32,
    probe_failures: u32,
    /// Busy threads above a lowered `max_threads`: they finish their request, then exit.
    threads_draining: u32,
    /// Connections above a lowered pool size: closed when returned.
    connections_draining: u32,
}

impl Default for Instance {
    fn default() -> Self {
        Instance {
            threads_busy: 0,
            accept_queue: VecDeque::new(),
            outstanding: 0,
            pool_active: 0,
            pool_queue: VecDeque::new(),
            pool_waiting: 0,
            down: false,
            misconfigured: false,
            db_unreachable: false,
            in_rotation: true,
            probe_passes: 0,
            probe_failures: 0,
            threads_draining: 0,
            connections_draining: 0,
        }
    }
}

/// How long a request takes to fail when the instance fails it outright (an error page, a
/// refused database connection).
pub const FAST_FAILURE: SimDuration = SimDuration::from_millis(1);

/// How the upstream behaves right now, from the active faults.
#[derive(Clone, Copy, Debug, PartialEq)]
enum UpstreamMode {
    Normal,
    DownFast,
    Hang,
    Unreachable,
}

/// The combined effect of the active faults.
#[derive(Clone, Copy, Debug)]
struct FaultEffects {
    db_cost_multiplier: f64,
    traffic_multiplier: f64,
    upstream_mode: UpstreamMode,
    upstream_latency_multiplier: f64,
    upstream_extra_error_rate: f64,
    cache_down: bool,
}

impl Default for FaultEffects {
    fn default() -> Self {
        FaultEffects {
            db_cost_multiplier: 1.0,
            traffic_multiplier: 1.0,
            upstream_mode: UpstreamMode::Normal,
            upstream_latency_multiplier: 1.0,
            upstream_extra_error_rate: 0.0,
            cache_down: false,
        }
    }
}

/// A running simulation of one scenario.
#[derive(Clone)]
pub struct Simulation {
    cfg: Config,
    now: SimTime,
    end: SimTime,
    queue: BinaryHeap<Scheduled>,
    next_seq: u64,
    /// Events that did work.
    events: u64,
    /// Events that fell due with nothing to do, or were dropped from the queue as stale.
    events_skipped: u64,
    /// Events that did work since the last second tick.
    events_this_second: u64,
    /// The queue length at which stale events are next dropped.
    compact_at: usize,
    /// Set once the run crossed a runtime limit: nothing more happens.
    stopped: Option<LimitExceeded>,

    profile: RateProfile,
    arrivals_rng: SimRng,
    mix_rng: SimRng,
    arrival_generation: u64,
    arrival_cursor_us: f64,
    arrival_bound_rps: f64,
    zipf: ZipfKeys,
    endpoint_cumulative: Vec<f64>,

    attempts: Slab<Attempt>,
    next_attempt_id: u64,
    next_request_id: u64,
    /// Retry budget tokens, and when they were last topped up.
    retry_tokens: f64,
    retry_tokens_at: SimTime,
    /// New user requests in the last closed second (sizes the retry budget's bucket).
    requests_last_second: u64,
    breakers: Vec<CircuitBreaker>,
    instances: Vec<Instance>,
    round_robin_next: usize,

    /// Per key: when its cache entry expires (`SimTime::ZERO` = absent).
    cache_expires: Vec<SimTime>,
    /// Per key: how long its last load took (XFetch's delta).
    cache_load_time: Vec<SimDuration>,
    /// Per key: a load or refresh is under way (coalescing, stale-while-revalidate).
    cache_loading: Vec<bool>,
    /// Requests waiting for another request's load of a key.
    coalesce_waiters: BTreeMap<u32, Vec<AttemptRef>>,
    db: DatabaseServer<QueryOwner>,
    db_generation: u64,
    finished_queries: Vec<QueryOwner>,
    refreshes_running: u32,

    active_faults: Vec<bool>,
    effects: FaultEffects,

    recorder: Recorder,
    logs: LogRing,
    alerts: Alerts,
    in_flight: u64,
    in_system_area_us: u128,
    area_updated_at: SimTime,
}

impl Simulation {
    /// A simulation of `cfg`, at time zero, with its first events scheduled.
    pub fn new(cfg: Config) -> Self {
        let fault_times: Vec<SimTime> = cfg
            .faults
            .iter()
            .filter(|f| f.kind == FaultKind::TrafficSpike)
            .flat_map(|f| [f.start, f.end])
            .collect();
        let mut acc = 0.0;
        let endpoint_cumulative = cfg
            .endpoints
            .iter()
            .map(|e| {
                acc += e.share;
                acc
            })
            .collect();
        let seed = cfg.seed;
        let mut sim = Simulation {
            now: SimTime::ZERO,
            end: SimTime::ZERO + cfg.duration,
            queue: BinaryHeap::new(),
            next_seq: 0,
            events: 0,
            events_skipped: 0,
            events_this_second: 0,
            compact_at: QUEUE_COMPACT_MIN,
            stopped: None,
            profile: RateProfile::new(&cfg.rate, &fault_times),
            arrivals_rng: SimRng::new(seed, Stream::Arrivals),
            mix_rng: SimRng::new(seed, Stream::RequestMix),
            arrival_generation: 0,
            arrival_cursor_us: 0.0,
            arrival_bound_rps: 0.0,
            zipf: ZipfKeys::new(cfg.cache_keyspace, cfg.cache_zipf_exponent),
            endpoint_cumulative,
            attempts: Slab::new(),
            next_attempt_id: 0,
            next_request_id: 0,
            retry_tokens: 0.0,
            retry_tokens_at: SimTime::ZERO,
            requests_last_second: 0,
            breakers: cfg
                .breaker
                .map(|(b, _)| vec![CircuitBreaker::new(b); cfg.instance_count])
                .unwrap_or_default(),
            instances: vec![Instance::default(); cfg.instance_count],
            round_robin_next: 0,
            cache_expires: vec![SimTime::ZERO; cfg.cache_keyspace as usize],
            cache_load_time: vec![SimDuration::ZERO; cfg.cache_keyspace as usize],
            cache_loading: vec![false; cfg.cache_keyspace as usize],
            coalesce_waiters: BTreeMap::new(),
            db: DatabaseServer::new(cfg.db_cores),
            db_generation: 0,
            finished_queries: Vec::new(),
            refreshes_running: 0,
            active_faults: vec![false; cfg.faults.len()],
            effects: FaultEffects::default(),
            recorder: Recorder::new(
                &cfg.endpoints
                    .iter()
                    .map(|e| (e.name.clone(), e.critical))
                    .collect::<Vec<_>>(),
            ),
            logs: LogRing::default(),
            alerts: Alerts::default(),
            in_flight: 0,
            in_system_area_us: 0,
            area_updated_at: SimTime::ZERO,
            cfg,
        };
        sim.schedule_next_arrival();
        sim.schedule(SimTime::from_secs(1), Event::SecondTick);
        if let Some(h) = sim.cfg.health_check {
            // Stagger the probes so instances are not all checked at the same instant.
            let n = sim.cfg.instance_count as u64;
            for i in 0..sim.cfg.instance_count {
                let offset = h.interval.as_micros() * (i as u64 + 1) / n;
                sim.schedule(SimTime::from_micros(offset), Event::HealthProbe(i));
            }
        }
        for (i, f) in sim.cfg.faults.clone().iter().enumerate() {
            sim.schedule(f.start, Event::FaultStart(i));
            if f.end > f.start {
                sim.schedule(f.end, Event::FaultEnd(i));
            }
        }
        sim
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// When the scenario's run ends.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// Events processed so far that did work.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Events that had nothing left to do (popped unrun, or dropped from the queue as stale).
    pub fn events_skipped(&self) -> u64 {
        self.events_skipped
    }

    /// Events waiting in the queue now.
    pub fn queued_events(&self) -> usize {
        self.queue.len()
    }

    /// Attempts alive now (arrived, and not over on both the client's and the server's side).
    pub fn attempts_alive(&self) -> usize {
        self.attempts.len()
    }

    /// Why the run stopped early, if it crossed a runtime limit.
    pub fn stopped(&self) -> Option<&LimitExceeded> {
        self.stopped.as_ref()
    }

    /// The validated configuration being run.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Rows of the seconds that have ended so far.
    pub fn seconds(&self) -> &[SecondMetrics] {
        &self.recorder.rows
    }

    /// Attempts that arrived and have no outcome yet.
    pub fn in_flight(&self) -> u64 {
        self.in_flight
    }

    /// The structured log ring.
    pub fn logs(&self) -> &LogRing {
        &self.logs
    }

    /// Alerts fired and resolved so far.
    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    /// Injects a fault now (the UI's fault buttons). It is validated like a scenario's fault,
    /// its `start_s` ignored: it starts one microsecond from now (after everything already
    /// processed) and lasts `duration_s`, so the same fault written on the timeline at that
    /// start gives the same run, bit for bit. Returns when it starts.
    pub fn inject_fault(
        &mut self,
        fault: &crate::scenario::Fault,
    ) -> Result<SimTime, Vec<crate::Problem>> {
        self.inject_fault_at(fault, self.now + SimDuration::from_micros(1))
    }

    /// Like [`Simulation::inject_fault`], starting at `start`, which must be later than now
    /// (side B of an A/B pair, behind side A's clock, gets A's fault at A's start time).
    pub fn inject_fault_at(
        &mut self,
        fault: &crate::scenario::Fault,
        start: SimTime,
    ) -> Result<SimTime, Vec<crate::Problem>> {
        let f = self.check_fault_at(fault, start)?;
        let index = self.cfg.faults.len();
        self.cfg.faults.push(f);
        self.active_faults.push(false);
        self.schedule(f.start, Event::FaultStart(index));
        if f.end > f.start {
            self.schedule(f.end, Event::FaultEnd(index));
        }
        Ok(start)
    }

    /// What [`Simulation::inject_fault_at`] checks, without injecting: the fault as it would
    /// run, or every problem (its fields, its start, the work model with the faults there).
    pub fn check_fault_at(
        &self,
        fault: &crate::scenario::Fault,
        start: SimTime,
    ) -> Result<crate::config::FaultConfig, Vec<crate::Problem>> {
        if self.cfg.faults.len() >= crate::config::FAULTS_MAX {
            return Err(vec![crate::Problem {
                path: "faults".into(),
                message: format!(
                    "may have at most {} faults; this run has that many",
                    crate::config::FAULTS_MAX
                ),
            }]);
        }
        let at_zero = crate::scenario::Fault {
            start_s: 0.0,
            ..fault.clone()
        };
        let mut f = crate::config::validate_fault(&at_zero, self.cfg.instance_count as u32)?;
        let duration = f.end.since(f.start);
        if start <= self.now {
            return Err(vec![crate::Problem {
                path: "fault.start_s".into(),
                message: format!(
                    "is {} s; a fault injected now starts after {} s",
                    start.as_secs_f64(),
                    self.now.as_secs_f64()
                ),
            }]);
        }
        if start > self.end {
            return Err(vec![crate::Problem {
                path: "fault".into(),
                message: format!(
                    "the run ended at {} s; a fault can no longer start",
                    self.end.as_secs_f64()
                ),
            }]);
        }
        f.start = start;
        f.end = start + duration;
        let mut faults = self.cfg.faults.clone();
        faults.push(f);
        let mut paths: Vec<String> = (0..self.cfg.faults.len())
            .map(|i| format!("faults[{i}]"))
            .collect();
        paths.push("fault".into());
        let problems =
            crate::config::work_problems(&self.cfg.rate, self.cfg.duration, &faults, &paths);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(f)
    }

    /// Logs an event at the current time.
    fn log(&mut self, level: Level, instance: Option<u16>, message: String) {
        let event = LogEvent {
            t_ms: self.now.as_micros() as f64 / 1000.0,
            level,
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
        self.logs.push(self.now, event);
    }

    /// Logs a request's error, with its error id, endpoint and duration.
    fn log_request_error(
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
        self.logs.push(now, event);
    }

    fn schedule(&mut self, at: SimTime, event: Event) {
        debug_assert!(
            at >= self.now,
            "event {event:?} scheduled in the past: {at} < {}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        let rank = u8::from(!matches!(event, Event::FaultStart(_) | Event::FaultEnd(_)));
        self.queue.push(Scheduled {
            at,
            rank,
            seq,
            event,
        });
        if self.queue.len() >= self.compact_at {
            self.compact_queue();
        }
    }

    /// Drops every event that can no longer do anything (timeouts of attempts that already
    /// ended, superseded candidates), so the queue holds memory in proportion to the work in
    /// flight, not to the rate times the timeouts. The order of what is left is untouched:
    /// keys are unique, so the heap pops the same sequence. Runs when the queue has doubled
    /// since the last sweep: amortised O(1) per event.
    fn compact_queue(&mut self) {
        let mut queue = std::mem::take(&mut self.queue);
        let before = queue.len();
        queue.retain(|s| !self.is_stale(&s.event));
        self.events_skipped += (before - queue.len()) as u64;
        self.compact_at = (2 * queue.len()).max(QUEUE_COMPACT_MIN);
        self.queue = queue;
    }

    /// Whether `event` would do nothing if it fell due now. Once stale, an event stays stale:
    /// attempts are never revived, and tokens and generations only grow.
    fn is_stale(&self, event: &Event) -> bool {
        match *event {
            Event::ArrivalCandidate { generation } => generation != self.arrival_generation,
            Event::QueryDone { generation } => generation != self.db_generation,
            Event::ClientTimeout(a) | Event::GatewayTimeout(a) => {
                self.get_attempt(a).is_none_or(|att| att.outcome.is_some())
            }
            Event::StepDone(a) => self
                .get_attempt(a)
                .is_none_or(|att| !matches!(att.phase, Phase::Step { .. })),
            Event::PoolTimeout { attempt, token } => !matches!(
                self.get_attempt(attempt).map(|att| att.phase),
                Some(Phase::Step { part: StepPart::PoolWait { token: t, .. }, .. }) if t == token
            ),
            Event::QueryTimeout { attempt, token } => !matches!(
                self.get_attempt(attempt).map(|att| att.phase),
                Some(Phase::Step { part: StepPart::Query { token: t, .. }, .. }) if t == token
            ),
            Event::SecondTick
            | Event::FaultStart(_)
            | Event::FaultEnd(_)
            | Event::Retry(_)
            | Event::BreakerWake(_)
            | Event::HealthProbe(_)
            | Event::HealthProbeTimeout(_) => false,
        }
    }

    /// Stops the run if it crossed a runtime limit of the work model.
    fn check_limits(&mut self) {
        let crossed = if self.attempts.len() as u64 > Cap::AttemptsInFlight.max() {
            Some((Cap::AttemptsInFlight, self.attempts.len() as u64))
        } else if self.events_this_second > Cap::EventsPerVirtualSecond.max() {
            Some((Cap::EventsPerVirtualSecond, self.events_this_second))
        } else if self.events > Cap::EventsPerRun.max() {
            Some((Cap::EventsPerRun, self.events))
        } else if self.queue.len() as u64 > Cap::QueuedEvents.max() {
            self.compact_queue();
            (self.queue.len() as u64 > Cap::QueuedEvents.max())
                .then_some((Cap::QueuedEvents, self.queue.len() as u64))
        } else {
            None
        };
        if let Some((cap, value)) = crossed {
            let stop = LimitExceeded {
                cap,
                value,
                at: self.now,
            };
            self.log(Level::Error, None, stop.to_string());
            self.stopped = Some(stop);
        }
    }

    /// When the next event is due, if any.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek().map(|s| s.at)
    }

    /// Processes the next event, if one is due at or before the end of the run and the run has
    /// not stopped at a limit; returns its time. An event with nothing left to do is skipped
    /// (counted apart, in [`Simulation::events_skipped`]).
    pub fn step(&mut self) -> Option<SimTime> {
        if self.stopped.is_some() {
            return None;
        }
        let due = self.queue.peek()?.at;
        if due > self.end {
            return None;
        }
        let Scheduled { at, event, .. } = self.queue.pop()?;
        debug_assert!(at >= self.now, "clock went back");
        self.advance_clock(at);
        if self.is_stale(&event) {
            self.events_skipped += 1;
        } else {
            self.events += 1;
            self.events_this_second += 1;
            self.handle(event);
            self.check_limits();
        }
        Some(at)
    }

    /// Processes every event due at or before `t` (capped at the end of the run) and moves the
    /// clock to `t`; stops where the run crossed a runtime limit, if it does.
    pub fn run_until(&mut self, t: SimTime) {
        let t = t.min(self.end);
        while self.queue.peek().is_some_and(|s| s.at <= t) {
            if self.step().is_none() {
                return;
            }
        }
        if t > self.now {
            self.advance_clock(t);
        }
    }

    /// Like [`Simulation::run_until`], but processes at most `max_events` events (skipped ones
    /// included), so a UI frame never blocks: the clock moves to `t` only once every event up
    /// to it is done. A run stopped at a limit counts as having reached `t`.
    pub fn run_until_budget(&mut self, t: SimTime, max_events: u64) -> crate::snapshot::Progress {
        let t = t.min(self.end);
        let mut events = 0;
        while events < max_events && self.stopped.is_none() {
            match self.queue.peek() {
                Some(s) if s.at <= t => {
                    self.step();
                    events += 1;
                }
                _ => break,
            }
        }
        if self.stopped.is_some() {
            return crate::snapshot::Progress {
                events,
                reached: true,
            };
        }
        let reached = self.queue.peek().is_none_or(|s| s.at > t);
        if reached && t > self.now {
            self.advance_clock(t);
        }
        crate::snapshot::Progress { events, reached }
    }

    /// Instance `i`'s upstream breaker state; `None` when there is no breaker.
    pub fn breaker_state(&self, i: usize) -> Option<crate::breaker::BreakerState> {
        self.breakers.get(i).map(|b| b.state())
    }

    /// The state of the run now, as plain data for a UI.
    pub fn snapshot(&self) -> crate::snapshot::Snapshot {
        use crate::observe::AlertRule;
        let gauges = self.instance_gauges();
        crate::snapshot::Snapshot {
            now_s: self.now.as_secs_f64(),
            end_s: self.end.as_secs_f64(),
            events: self.events,
            max_threads: self.cfg.max_threads,
            accept_queue: self.cfg.accept_queue,
            pool_max_size: self.cfg.pool_max_size,
            db_cores: self.cfg.db_cores,
            db_concurrency: self.db.running(),
            instances: gauges
                .into_iter()
                .enumerate()
                .map(|(i, gauges)| crate::snapshot::InstanceView {
                    gauges,
                    breaker: self.breaker_state(i),
                })
                .collect(),
            in_flight: self.in_flight,
            status: self.recorder.status,
            alerts_firing: AlertRule::ALL
                .into_iter()
                .filter(|r| self.alerts.is_firing(*r))
                .collect(),
            active_faults: self
                .cfg
                .faults
                .iter()
                .zip(&self.active_faults)
                .filter(|(_, on)| **on)
                .map(|(f, _)| crate::config::kind_name(f.kind))
                .collect(),
        }
    }

    /// Runs to the end of the scenario and returns the summary.
    pub fn run_to_end(&mut self) -> Summary {
        self.run_until(self.end);
        self.summary()
    }

    /// True once the clock has reached the end of the run, or the run stopped at a limit.
    pub fn is_finished(&self) -> bool {
        self.now >= self.end || self.stopped.is_some()
    }

    fn advance_clock(&mut self, t: SimTime) {
        self.in_system_area_us +=
            self.in_flight as u128 * t.since(self.area_updated_at).as_micros() as u128;
        self.area_updated_at = t;
        self.now = t;
    }

    /// The summary of the run so far (up to the current time).
    pub fn summary(&self) -> Summary {
        let in_flight_sojourn: u128 = self
            .attempts
            .iter()
            .filter(|(_, a)| a.outcome.is_none())
            .map(|(_, a)| self.now.since(a.arrived_at).as_micros() as u128)
            .sum();
        let mut summary = self.recorder.summary(
            self.cfg.seed,
            self.now,
            self.events,
            self.in_flight,
            self.in_system_area_us,
            in_flight_sojourn,
        );
        summary.events_skipped = self.events_skipped;
        summary.stopped = self.stopped;
        summary.alerts = self.alerts.history.clone();
        summary.logs = crate::metrics::LogSummary {
            events: self.logs.total,
            incidents: self.logs.incident_starts().len() as u64,
            first_error: self
                .logs
                .incident_starts()
                .first()
                .map(|e| e.message.clone()),
        };
        summary
    }

    fn handle(&mut self, event: Event) {
        match event {
            // `step` hands over only events that are not stale (`is_stale`): superseded
            // generations, tokens and ended attempts never reach the handlers.
            Event::ArrivalCandidate { .. } => self.arrival_candidate(),
            Event::ClientTimeout(a) => self.client_gives_up(a, Status::ClientTimeout),
            Event::GatewayTimeout(a) => self.client_gives_up(a, Status::GatewayTimeout504),
            Event::StepDone(a) => self.step_done(a),
            Event::PoolTimeout { attempt, .. } => self.pool_timeout(attempt),
            Event::QueryDone { .. } => self.queries_done(),
            Event::QueryTimeout { attempt, .. } => self.query_timeout(attempt),
            Event::Retry(request) => {
                self.recorder.retry();
                self.start_attempt(request);
            }
            Event::HealthProbe(i) => self.health_probe(i),
            Event::HealthProbeTimeout(i) => self.health_probe_timeout(i),
            Event::BreakerWake(i) => {
                if let Some(b) = self.breakers.get_mut(i) {
                    b.wake(self.now);
                }
            }
            Event::SecondTick => {
                self.events_this_second = 0;
                let count =
                    |state| self.breakers.iter().filter(|b| b.state() == state).count() as u32;
                let gauges = Gauges {
                    instances: self.instance_gauges(),
                    db_concurrency: self.db.running(),
                    in_flight: self.in_flight,
                    breakers_open: count(BreakerState::Open),
                    breakers_half_open: count(BreakerState::HalfOpen),
                };
                self.recorder.close_second(self.now, gauges);
                let max = self.cfg.pool_max_size as f64;
                let pool_use_pct_max = self
                    .instances
                    .iter()
                    .map(|i| 100.0 * i.pool_active as f64 / max)
                    .fold(0.0, f64::max);
                self.alerts.evaluate(&self.recorder.rows, pool_use_pct_max);
                self.requests_last_second = self.recorder.rows.last().map_or(0, |r| r.requests);
                let next = self.now + SimDuration::from_micros(MICROS_PER_S);
                if next <= self.end {
                    self.schedule(next, Event::SecondTick);
                }
            }
            Event::FaultStart(i) => {
                self.active_faults[i] = true;
                if self.cfg.faults[i].kind == FaultKind::CacheFlush {
                    self.cache_expires.fill(SimTime::ZERO);
                }
                self.apply_faults();
            }
            Event::FaultEnd(i) => {
                self.active_faults[i] = false;
                self.apply_faults();
            }
        }
    }

    /// Current gauges of every instance.
    pub fn instance_gauges(&self) -> Vec<InstanceGauges> {
        self.instances
            .iter()
            .map(|i| InstanceGauges {
                threads_busy: i.threads_busy,
                accept_queue: i.accept_queue.len() as u32,
                pool_active: i.pool_active,
                pool_waiters: i.pool_waiting,
                in_rotation: i.in_rotation,
                down: i.down,
            })
            .collect()
    }

    // ---- faults ----

    fn apply_faults(&mut self) {
        let mut e = FaultEffects::default();
        let n = self.instances.len();
        let (mut down, mut misconfigured, mut db_unreachable) =
            (vec![false; n], vec![false; n], vec![false; n]);
        for (f, _) in self
            .cfg
            .faults
            .iter()
            .zip(&self.active_faults)
            .filter(|(_, on)| **on)
        {
            match f.kind {
                FaultKind::DbSlow => e.db_cost_multiplier *= f.multiplier,
                FaultKind::TrafficSpike => e.traffic_multiplier *= f.multiplier,
                FaultKind::UpstreamSlow => e.upstream_latency_multiplier *= f.multiplier,
                FaultKind::UpstreamErrors => {
                    e.upstream_extra_error_rate =
                        1.0 - (1.0 - e.upstream_extra_error_rate) * (1.0 - f.error_rate)
                }
                FaultKind::UpstreamDownFast => e.upstream_mode = UpstreamMode::DownFast,
                FaultKind::UpstreamHang => e.upstream_mode = UpstreamMode::Hang,
                FaultKind::UpstreamUnreachable => e.upstream_mode = UpstreamMode::Unreachable,
                FaultKind::CacheDown => e.cache_down = true,
                FaultKind::InstanceCrash => down[f.instance] = true,
                FaultKind::BadDeploy if f.fail_fast => down[f.instance] = true,
                FaultKind::BadDeploy => misconfigured[f.instance] = true,
                FaultKind::InstanceDbUnreachable => db_unreachable[f.instance] = true,
                FaultKind::CacheFlush => {}
            }
        }
        for i in 0..n {
            if down[i] && !self.instances[i].down {
                self.crash_instance(i);
            } else if !down[i] && self.instances[i].down {
                self.instances[i].down = false;
            }
            self.instances[i].misconfigured = misconfigured[i];
            self.instances[i].db_unreachable = db_unreachable[i];
        }
        let traffic_changed = e.traffic_multiplier != self.effects.traffic_multiplier;
        self.effects = e;
        if traffic_changed {
            // The arrival process is memoryless: restarting it from now is exact.
            self.arrival_generation += 1;
            self.arrival_cursor_us = self.now.as_micros() as f64;
            self.schedule_next_arrival();
        }
    }

    // ---- arrivals ----

    /// Draws the next candidate of the thinned Poisson process from the cursor on.
    fn schedule_next_arrival(&mut self) {
        let mut from_us = self.arrival_cursor_us;
        loop {
            let from = SimTime::from_micros(libm::ceil(from_us) as u64);
            if from > self.end {
                return;
            }
            let segment_end = self.profile.next_breakpoint(from).unwrap_or(SimTime::NEVER);
            let bound =
                self.profile.bound_between(from, segment_end) * self.effects.traffic_multiplier;
            if bound <= 0.0 {
                if segment_end == SimTime::NEVER {
                    return;
                }
                from_us = segment_end.as_micros() as f64;
                continue;
            }
            let candidate_us = from_us + self.arrivals_rng.exponential(MICROS_PER_S as f64 / bound);
            if candidate_us >= segment_end.as_micros() as f64 {
                // Memoryless: start afresh at the breakpoint with the next segment's bound.
                from_us = segment_end.as_micros() as f64;
                continue;
            }
            self.arrival_cursor_us = candidate_us;
            self.arrival_bound_rps = bound;
            let at = SimTime::from_micros(libm::floor(candidate_us) as u64).max(self.now);
            if at <= self.end {
                let generation = self.arrival_generation;
                self.schedule(at, Event::ArrivalCandidate { generation });
            }
            return;
        }
    }

    fn arrival_candidate(&mut self) {
        let rate = self.profile.rate_at(self.now) * self.effects.traffic_multiplier;
        let accept = self.arrivals_rng.open01() * self.arrival_bound_rps < rate;
        if accept {
            self.new_request();
        }
        self.schedule_next_arrival();
    }

    fn new_request(&mut self) {
        let u = self.mix_rng.open01();
        let endpoint = self
            .endpoint_cumulative
            .partition_point(|&c| c < u)
            .min(self.cfg.endpoints.len() - 1) as u16;
        let key = self.zipf.sample(&mut self.mix_rng);
        let id = self.next_request_id;
        self.next_request_id += 1;
        self.recorder.request();
        if let Some((ratio, _)) = self.cfg.retry.and_then(|r| r.budget) {
            self.top_up_retry_tokens();
            self.retry_tokens += ratio;
        }
        self.start_attempt(RequestInfo {
            id,
            attempt_no: 1,
            endpoint,
            key,
            started: self.now,
            prev_delay: self.cfg.retry.map_or(SimDuration::ZERO, |r| r.backoff_base),
        });
    }

    /// Sends one attempt of a user request to the load balancer.
    fn start_attempt(&mut self, request: RequestInfo) {
        let id = self.next_attempt_id;
        self.next_attempt_id += 1;
        let attempt = Attempt {
            id,
            request,
            instance: 0,
            work: SimRng::derived(
                self.cfg.seed,
                &[Stream::Work as u64, request.id, request.attempt_no as u64],
            ),
            arrived_at: self.now,
            accepted_at: self.now,
            started_at: None,
            outcome: None,
            phase: Phase::Queued,
            tokens: 0,
            routed: false,
            retry_after: None,
            degraded: false,
            loading_key: None,
            load_started: SimTime::ZERO,
        };
        let slot = self.attempts.insert(attempt) as u32;
        let a = AttemptRef { slot, id };
        self.recorder.arrival();
        self.in_flight += 1;
        if let Some(t) = self.cfg.client_timeout {
            self.schedule(self.now + t, Event::ClientTimeout(a));
        }
        if let Some(t) = self.cfg.gateway_timeout {
            self.schedule(self.now + t, Event::GatewayTimeout(a));
        }
        self.route(a);
    }

    // ---- load balancer and instances ----

    /// The instance for the next request among those in rotation, or `None` if none is.
    fn pick_instance(&mut self) -> Option<usize> {
        let n = self.instances.len();
        let start = self.round_robin_next % n;
        let fail_open = self.cfg.health_check.is_some_and(|h| h.fail_open)
            && self.instances.iter().all(|i| !i.in_rotation);
        let mut candidates = (0..n)
            .map(|k| (start + k) % n)
            .filter(|&i| fail_open || self.instances[i].in_rotation);
        let chosen = match self.cfg.lb_policy {
            LbPolicy::RoundRobin => candidates.next(),
            LbPolicy::LeastOutstanding => candidates.min_by_key(|&i| self.instances[i].outstanding),
        }?;
        self.round_robin_next = (chosen + 1) % n;
        Some(chosen)
    }

    fn route(&mut self, a: AttemptRef) {
        let Some(i) = self.pick_instance() else {
            // No healthy instance: the balancer itself answers 503.
            let message = "no live upstreams while connecting to upstream".to_string();
            self.log_request_error(a, None, Status::Unavailable503, message);
            self.attempt_mut(a).phase = Phase::Done;
            self.set_outcome(a, Status::Unavailable503, Status::Unavailable503);
            self.release_if_done(a);
            return;
        };
        let att = self.attempt_mut(a);
        att.instance = i as u16;
        att.routed = true;
        self.instances[i].outstanding += 1;
        let inst = &self.instances[i];
        if inst.down {
            // Connection refused: the balancer answers 502.
            let message =
                "connect() failed (111: Connection refused) while connecting to upstream".into();
            self.log_request_error(a, None, Status::BadGateway502, message);
            self.attempt_mut(a).phase = Phase::Done;
            self.set_outcome(a, Status::BadGateway502, Status::BadGateway502);
            self.release_if_done(a);
        } else if inst.threads_busy < self.cfg.max_threads {
            self.instances[i].threads_busy += 1;
            self.start_work(a);
        } else if self
            .cfg
            .accept_queue
            .is_none_or(|cap| (inst.accept_queue.len() as u32) < cap)
        {
            self.instances[i].accept_queue.push_back(a);
        } else {
            let (status, message) = match self.cfg.queue_overflow {
                QueueOverflow::Refuse => (
                    Status::BadGateway502,
                    "connect() failed (111: Connection refused) while connecting to upstream \
                     (accept queue full)",
                ),
                QueueOverflow::Shed503 => (
                    Status::Unavailable503,
                    "load shedder: server too busy (accept queue full)",
                ),
            };
            self.log_request_error(a, None, status, message.into());
            self.attempt_mut(a).phase = Phase::Done;
            self.set_outcome(a, status, status);
            self.release_if_done(a);
        }
    }

    /// A worker (already counted busy) takes the attempt.
    fn start_work(&mut self, a: AttemptRef) {
        let now = self.now;
        let att = self.attempt_mut(a);
        let wait = now.since(att.accepted_at);
        att.started_at = Some(now);
        self.recorder.queue_wait(wait);
        if self.instances[self.attempt(a).instance as usize].misconfigured {
            self.fail_soon(a, 0, Some(ErrorClass::MissingConfig), FAST_FAILURE);
        } else {
            self.run_step(a, 0);
        }
    }

    /// Ends step `step` after `delay`: failing with `class`, or (None) going on with a fallback.
    /// Going through an event keeps a long accept queue from recursing.
    fn fail_soon(
        &mut self,
        a: AttemptRef,
        step: u8,
        class: Option<ErrorClass>,
        delay: SimDuration,
    ) {
        self.attempt_mut(a).phase = Phase::Step {
            step,
            part: StepPart::Failing(class),
        };
        self.schedule(self.now + delay, Event::StepDone(a));
    }

    fn run_step(&mut self, a: AttemptRef, step: u8) {
        let now = self.now;
        let endpoint = self.attempt(a).request.endpoint as usize;
        let Some(cfg) = self.cfg.endpoints[endpoint].steps.get(step as usize) else {
            self.finish_server(a, Status::Ok200);
            return;
        };
        match *cfg {
            StepConfig::Cpu(dist) => {
                let att = self.attempt_mut(a);
                let d = dist.sample(&mut att.work);
                att.phase = Phase::Step {
                    step,
                    part: StepPart::Cpu,
                };
                self.schedule(now + d, Event::StepDone(a));
            }
            StepConfig::CacheRead(_) => {
                self.attempt_mut(a).phase = Phase::Step {
                    step,
                    part: StepPart::CacheLookup,
                };
                self.schedule(now + self.cfg.cache_lookup, Event::StepDone(a));
            }
            StepConfig::DbQuery(_) => self.acquire_connection(a, step),
            StepConfig::UpstreamCall => self.call_upstream(a, step),
        }
    }

    fn step_done(&mut self, a: AttemptRef) {
        let Some(att) = self.get_attempt(a) else {
            return;
        };
        let Phase::Step { step, part } = att.phase else {
            return;
        };
        match part {
            StepPart::Cpu => self.run_step(a, step + 1),
            StepPart::CacheLookup => self.cache_lookup_done(a, step),
            StepPart::Upstream {
                result,
                permit,
                started,
            } => {
                let instance = att.instance as usize;
                if let (Some(permit), Some(b)) = (permit, self.breakers.get_mut(instance)) {
                    let changed =
                        b.record(permit, self.now, self.now.since(started), result.is_some());
                    if changed == Some(BreakerState::Open) {
                        self.breaker_opened(instance);
                    }
                }
                match result {
                    None => self.run_step(a, step + 1),
                    Some(class) => self.fail(a, class),
                }
            }
            StepPart::Failing(None) => self.run_step(a, step + 1),
            StepPart::Failing(Some(class)) => self.fail(a, class),
            StepPart::PoolWait { .. }
            | StepPart::Query { .. }
            | StepPart::UpstreamHung
            | StepPart::CoalesceWait => {
                debug_assert!(false, "StepDone in part {part:?}");
            }
        }
    }

    fn breaker_opened(&mut self, instance: usize) {
        self.recorder.breaker_opened();
        let message = "CircuitBreaker 'payment' changed state to OPEN".to_string();
        self.log(Level::Warn, Some(instance as u16), message);
        let b = &self.breakers[instance];
        if b.config().automatic_half_open {
            if let Some(until) = b.open_until() {
                self.schedule(until, Event::BreakerWake(instance));
            }
        }
    }

    // ---- cache ----

    /// The cache answered the lookup of step `step`.
    fn cache_lookup_done(&mut self, a: AttemptRef, step: u8) {
        let now = self.now;
        let key = self.attempt(a).request.key as usize;
        if self.effects.cache_down {
            // A cache that is down answers nothing: every lookup is a miss, and fills are lost.
            self.recorder.cache_lookup(false);
            self.load_for_cache(a, step);
            return;
        }
        let expires = self.cache_expires[key];
        let fresh = expires > now;
        match self.cfg.stampede {
            StampedeConfig::None => {
                self.recorder.cache_lookup(fresh);
                if fresh {
                    self.run_step(a, step + 1);
                } else {
                    self.load_for_cache(a, step);
                }
            }
            StampedeConfig::Coalescing => {
                self.recorder.cache_lookup(fresh);
                if fresh {
                    self.run_step(a, step + 1);
                } else if self.cache_loading[key] {
                    self.recorder.cache_coalesced();
                    self.attempt_mut(a).phase = Phase::Step {
                        step,
                        part: StepPart::CoalesceWait,
                    };
                    self.coalesce_waiters.entry(key as u32).or_default().push(a);
                } else {
                    self.cache_loading[key] = true;
                    self.attempt_mut(a).loading_key = Some(key as u32);
                    self.load_for_cache(a, step);
                }
            }
            StampedeConfig::StaleWhileRevalidate(stale_for) => {
                let usable_stale = !fresh && expires != SimTime::ZERO && expires + stale_for > now;
                self.recorder.cache_lookup(fresh || usable_stale);
                if fresh {
                    self.run_step(a, step + 1);
                } else if usable_stale {
                    self.recorder.cache_stale_hit();
                    if !self.cache_loading[key] {
                        self.start_refresh(a, step, key as u32);
                    }
                    self.run_step(a, step + 1);
                } else {
                    self.load_for_cache(a, step);
                }
            }
            StampedeConfig::ProbabilisticEarlyRefresh(beta) => {
                // XFetch (Vattani et al.): recompute early when
                // now − delta·beta·ln(u) ≥ expiry, with delta the last recompute time.
                let early = fresh && {
                    let delta_us = self.cache_load_time[key].as_micros() as f64;
                    let u = self.attempt_mut(a).work.open01();
                    now.as_micros() as f64 - delta_us * beta * libm::log(u)
                        >= expires.as_micros() as f64
                };
                let hit = fresh && !early;
                self.recorder.cache_lookup(hit);
                if hit {
                    self.run_step(a, step + 1);
                } else {
                    if early {
                        self.recorder.cache_early_refresh();
                    }
                    self.load_for_cache(a, step);
                }
            }
        }
    }

    /// The request loads its key from the database through the pool.
    fn load_for_cache(&mut self, a: AttemptRef, step: u8) {
        self.recorder.cache_load();
        self.attempt_mut(a).load_started = self.now;
        self.acquire_connection(a, step);
    }

    /// A background refresh of `key` (stale-while-revalidate): runs on the database on its own
    /// executor's connection, holding no request thread and no pool connection.
    fn start_refresh(&mut self, a: AttemptRef, step: u8, key: u32) {
        let cost = self.query_cost(a, step);
        self.cache_loading[key as usize] = true;
        self.recorder.cache_load();
        self.refreshes_running += 1;
        // Refresh ids live in the upper half of the id space, apart from attempts' queries; one
        // refresh per key runs at a time.
        let query_id = (1 << 63) | ((key as u64) << 32) | (self.db_generation & 0xffff_ffff);
        self.db
            .start(self.now, query_id, cost, QueryOwner::Refresh(key, self.now));
        self.recorder.query_started(self.db.running());
        self.reschedule_db();
    }

    /// Fills `key` after a load that started at `started`.
    fn fill_cache(&mut self, key: u32, started: SimTime, ttl_draw: f64) {
        let k = key as usize;
        self.cache_loading[k] = false;
        if self.effects.cache_down {
            return;
        }
        let jitter = self.cfg.cache_ttl_jitter_pct / 100.0;
        let ttl_us =
            self.cfg.cache_ttl.as_micros() as f64 * (1.0 + jitter * (2.0 * ttl_draw - 1.0));
        self.cache_expires[k] = self.now + SimDuration::from_micros(libm::round(ttl_us) as u64);
        self.cache_load_time[k] = self.now.since(started);
    }

    /// The handler failed with an exception: the central handler answers 500, or 503 with
    /// Retry-After when the dependency is known to be down (breaker open).
    fn fail(&mut self, a: AttemptRef, class: ErrorClass) {
        self.recorder.error(class);
        let status = if class == ErrorClass::BreakerOpen {
            Status::Unavailable503
        } else {
            Status::Error500
        };
        let pool_timeout_ms = self.cfg.pool_timeout.map(|d| d.as_millis_f64());
        self.log_request_error(
            a,
            Some(class),
            status,
            error_message(class, pool_timeout_ms),
        );
        let loading = self.attempt_mut(a).loading_key.take();
        self.finish_server(a, status);
        if let Some(key) = loading {
            // Single flight: everyone waiting for this load gets its error.
            self.cache_loading[key as usize] = false;
            for waiter in self.coalesce_waiters.remove(&key).unwrap_or_default() {
                if self.is_coalescing(waiter) {
                    self.fail(waiter, class);
                }
            }
        }
    }

    /// The server side ends with true status `status`: the worker is freed and takes the next
    /// queued connection; the answer reaches the client unless it already had an outcome.
    fn finish_server(&mut self, a: AttemptRef, status: Status) {
        let swallow = self.cfg.error_handling == ErrorHandling::Swallow;
        let att = self.attempt_mut(a);
        att.phase = Phase::Done;
        let i = att.instance as usize;
        let late = att.outcome.is_some();
        if late {
            self.recorder.late_response();
        } else {
            // Swallowing turns every application error into a 200 with an error body.
            let seen = if swallow && status != Status::Ok200 {
                Status::Ok200
            } else {
                status
            };
            self.set_outcome(a, status, seen);
        }
        self.release_if_done(a);
        // The worker exits if the pool shrank, or goes to the next queued connection, or idles.
        if self.instances[i].threads_draining > 0 {
            self.instances[i].threads_draining -= 1;
            self.instances[i].threads_busy -= 1;
        } else if let Some(next) = self.instances[i].accept_queue.pop_front() {
            self.start_work(next);
        } else {
            self.instances[i].threads_busy -= 1;
        }
    }

    /// Records the outcome of an attempt (exactly once): its true status and the status
    /// monitoring sees; then the client retries or the user request ends.
    fn set_outcome(&mut self, a: AttemptRef, status: Status, seen: Status) {
        let now = self.now;
        let att = self.attempt_mut(a);
        debug_assert!(att.outcome.is_none(), "attempt {} ended twice", att.id);
        att.outcome = Some((status, now));
        let latency = now.since(att.arrived_at);
        let i = att.instance as usize;
        debug_assert!(att.arrived_at <= att.accepted_at);
        debug_assert!(att
            .started_at
            .is_none_or(|s| att.accepted_at <= s && s <= now));
        let (request, retry_after, degraded) = (att.request, att.retry_after, att.degraded);
        if att.routed {
            self.instances[i].outstanding -= 1;
        }
        self.in_flight -= 1;
        self.recorder
            .outcome(request.endpoint as usize, status, seen, latency);
        let retry = self.cfg.retry;
        match retry {
            Some(retry) if self.should_retry(&retry, &request, seen) => {
                let delay = self.retry_delay(&retry, &request, retry_after);
                let next = RequestInfo {
                    attempt_no: request.attempt_no + 1,
                    prev_delay: delay,
                    ..request
                };
                self.schedule(now + delay, Event::Retry(next));
            }
            _ => self.recorder.request_done(status, degraded),
        }
    }

    /// Whether the client sends another attempt after seeing `seen`.
    fn should_retry(&mut self, retry: &RetryConfig, request: &RequestInfo, seen: Status) -> bool {
        let retryable = match seen {
            Status::Ok200 => false,
            Status::ClientTimeout => retry.retry_on_timeout,
            _ => retry.retry_on_5xx,
        };
        if !retryable || request.attempt_no >= retry.max_attempts {
            return false;
        }
        if retry.budget.is_some() {
            self.top_up_retry_tokens();
            if self.retry_tokens < 1.0 {
                return false;
            }
            self.retry_tokens -= 1.0;
        }
        true
    }

    /// Adds the budget's per-second tokens since the last top-up, up to ten seconds' worth.
    fn top_up_retry_tokens(&mut self) {
        let Some((ratio, per_s)) = self.cfg.retry.and_then(|r| r.budget) else {
            return;
        };
        let elapsed_s = self.now.since(self.retry_tokens_at).as_secs_f64();
        self.retry_tokens_at = self.now;
        let cap = 10.0 * (per_s + ratio * self.requests_last_second as f64).max(0.1);
        self.retry_tokens = (self.retry_tokens + per_s * elapsed_s).min(cap);
    }

    /// The delay before the next attempt: capped exponential backoff with jitter (AWS
    /// "Exponential Backoff and Jitter"), at least Retry-After when honoured.
    fn retry_delay(
        &self,
        retry: &RetryConfig,
        request: &RequestInfo,
        retry_after: Option<SimDuration>,
    ) -> SimDuration {
        let mut rng = SimRng::derived(
            self.cfg.seed,
            &[
                Stream::Retries as u64,
                request.id,
                request.attempt_no as u64,
            ],
        );
        let base = retry.backoff_base.as_micros() as f64;
        let cap = retry.backoff_cap.as_micros() as f64;
        let exponent = (request.attempt_no - 1).min(62) as i32;
        let exp = (base * libm::pow(2.0, exponent as f64)).min(cap);
        let us = match retry.jitter {
            Jitter::None => exp,
            Jitter::Full => exp * rng.open01(),
            Jitter::Equal => exp / 2.0 + exp / 2.0 * rng.open01(),
            Jitter::Decorrelated => {
                let prev = request.prev_delay.as_micros() as f64;
                let high = (prev * 3.0).max(base);
                (base + (high - base) * rng.open01()).min(cap)
            }
        };
        let delay = SimDuration::from_micros(libm::round(us) as u64);
        match retry_after {
            Some(after) if retry.honor_retry_after => delay.max(after),
            _ => delay,
        }
    }

    /// The client's or the balancer's timeout of a live attempt with no outcome yet.
    fn client_gives_up(&mut self, a: AttemptRef, status: Status) {
        if status == Status::GatewayTimeout504 {
            let message = "upstream timed out (110: Connection timed out) while reading response \
                           header from upstream";
            self.log_request_error(a, None, status, message.into());
        }
        self.set_outcome(a, status, status);
        self.release_if_done(a);
    }

    /// Frees the attempt once both its outcome and its server side are over.
    fn release_if_done(&mut self, a: AttemptRef) {
        let att = self.attempt(a);
        if att.outcome.is_some() && att.phase == Phase::Done {
            self.attempts.remove(a.slot as usize);
        }
    }

    // ---- database pool and database ----

    fn acquire_connection(&mut self, a: AttemptRef, step: u8) {
        let i = self.attempt(a).instance as usize;
        if self.instances[i].db_unreachable {
            self.fail_soon(a, step, Some(ErrorClass::DbUnreachable), FAST_FAILURE);
            return;
        }
        if self.instances[i].pool_active < self.cfg.pool_max_size {
            self.instances[i].pool_active += 1;
            self.recorder.pool_grant(SimDuration::ZERO);
            self.start_query(a, step);
            return;
        }
        let now = self.now;
        let att = self.attempt_mut(a);
        att.tokens += 1;
        let token = att.tokens;
        att.phase = Phase::Step {
            step,
            part: StepPart::PoolWait { token, since: now },
        };
        let inst = &mut self.instances[i];
        inst.pool_queue.push_back(PoolWaiter { attempt: a, token });
        inst.pool_waiting += 1;
        if let Some(t) = self.cfg.pool_timeout {
            self.schedule(now + t, Event::PoolTimeout { attempt: a, token });
        }
    }

    /// The connection timeout of an attempt still in the pool wait it belongs to.
    fn pool_timeout(&mut self, a: AttemptRef) {
        let i = self.attempt(a).instance as usize;
        self.instances[i].pool_waiting -= 1;
        self.fail(a, ErrorClass::PoolAcquireTimeout);
        self.compact_pool_queue(i);
    }

    /// The cost of the query of step `step`, drawn from the attempt's work stream and
    /// multiplied by an active missing-index fault.
    fn query_cost(&mut self, a: AttemptRef, step: u8) -> SimDuration {
        let multiplier = self.effects.db_cost_multiplier;
        let endpoint = self.attempt(a).request.endpoint as usize;
        let dist = match self.cfg.endpoints[endpoint].steps[step as usize] {
            StepConfig::CacheRead(d) | StepConfig::DbQuery(d) => d,
            _ => unreachable!("queries start only from cache-read and db-query steps"),
        };
        let base = dist.sample(&mut self.attempt_mut(a).work);
        SimDuration::from_micros(libm::round(base.as_micros() as f64 * multiplier) as u64)
    }

    fn start_query(&mut self, a: AttemptRef, step: u8) {
        let now = self.now;
        let cost = self.query_cost(a, step);
        let att = self.attempt_mut(a);
        att.tokens += 1;
        let token = att.tokens;
        let query_id = (att.id << 8) | (token as u64 & 0xff);
        let key = self.db.start(now, query_id, cost, QueryOwner::Attempt(a));
        self.attempt_mut(a).phase = Phase::Step {
            step,
            part: StepPart::Query { token, key },
        };
        self.recorder.query_started(self.db.running());
        if let Some(t) = self.cfg.query_timeout {
            self.schedule(now + t, Event::QueryTimeout { attempt: a, token });
        }
        self.reschedule_db();
    }

    fn reschedule_db(&mut self) {
        self.db_generation += 1;
        if let Some(t) = self.db.next_finish() {
            let generation = self.db_generation;
            self.schedule(t.max(self.now), Event::QueryDone { generation });
        }
    }

    fn queries_done(&mut self) {
        let mut done = std::mem::take(&mut self.finished_queries);
        self.db.take_finished(self.now, &mut done);
        self.reschedule_db();
        for owner in done.drain(..) {
            let a = match owner {
                QueryOwner::Attempt(a) => a,
                QueryOwner::Refresh(key, started) => {
                    self.refreshes_running -= 1;
                    let labels = [
                        Stream::Work as u64,
                        u64::MAX,
                        key as u64,
                        started.as_micros(),
                    ];
                    let draw = SimRng::derived(self.cfg.seed, &labels).open01();
                    self.fill_cache(key, started, draw);
                    continue;
                }
            };
            let att = self.attempt(a);
            let (i, key, endpoint) = (
                att.instance as usize,
                att.request.key,
                att.request.endpoint as usize,
            );
            let Phase::Step { step, .. } = att.phase else {
                unreachable!("query without a step")
            };
            self.release_connection(i);
            if matches!(
                self.cfg.endpoints[endpoint].steps[step as usize],
                StepConfig::CacheRead(_)
            ) {
                let started = self.attempt(a).load_started;
                let draw = self.attempt_mut(a).work.open01();
                self.fill_cache(key, started, draw);
                if self.attempt_mut(a).loading_key.take().is_some() {
                    for waiter in self.coalesce_waiters.remove(&key).unwrap_or_default() {
                        if self.is_coalescing(waiter) {
                            self.run_step(waiter, step + 1);
                        }
                    }
                }
            }
            self.run_step(a, step + 1);
        }
        self.finished_queries = done;
    }

    /// The statement timeout of an attempt still running the query it belongs to.
    fn query_timeout(&mut self, a: AttemptRef) {
        let att = self.attempt(a);
        let Phase::Step {
            part: StepPart::Query { key, .. },
            ..
        } = att.phase
        else {
            unreachable!("is_stale lets a query timeout through only during its query");
        };
        let i = att.instance as usize;
        self.db.cancel(self.now, key);
        self.reschedule_db();
        self.release_connection(i);
        self.fail(a, ErrorClass::QueryTimeout);
    }

    /// Drops waiters whose wait already ended, once they outnumber the live ones, so a pool
    /// that never frees a connection does not grow its queue without bound.
    fn compact_pool_queue(&mut self, i: usize) {
        let live = self.instances[i].pool_waiting as usize;
        if self.instances[i].pool_queue.len() <= 2 * live + 64 {
            return;
        }
        let mut queue = std::mem::take(&mut self.instances[i].pool_queue);
        queue.retain(|w| {
            self.get_attempt(w.attempt).is_some_and(|att| {
                matches!(att.phase, Phase::Step { part: StepPart::PoolWait { token, .. }, .. } if token == w.token)
            })
        });
        debug_assert_eq!(queue.len(), live);
        self.instances[i].pool_queue = queue;
    }

    /// A connection comes back to instance `i`'s pool: handed to the first live waiter.
    fn release_connection(&mut self, i: usize) {
        if self.instances[i].connections_draining > 0 {
            // The pool shrank: this connection closes instead of going to a waiter.
            self.instances[i].connections_draining -= 1;
            self.instances[i].pool_active -= 1;
        } else if !self.grant_to_next_waiter(i) {
            self.instances[i].pool_active -= 1;
        }
    }

    /// Hands a connection (already counted active) to instance `i`'s first live waiter;
    /// false if nobody is waiting.
    fn grant_to_next_waiter(&mut self, i: usize) -> bool {
        while let Some(w) = self.instances[i].pool_queue.pop_front() {
            let Some(att) = self.get_attempt(w.attempt) else {
                continue;
            };
            let Phase::Step {
                step,
                part: StepPart::PoolWait { token, since },
            } = att.phase
            else {
                continue;
            };
            if token != w.token {
                continue;
            }
            self.instances[i].pool_waiting -= 1;
            self.recorder.pool_grant(self.now.since(since));
            self.start_query(w.attempt, step);
            return true;
        }
        false
    }

    // ---- live reconfiguration ----

    /// Changes the settings of a running simulation, effective now, the way the real
    /// software would: a lowered thread or pool size drains (busy threads finish, returned
    /// connections close), a raised one takes waiting work at once, a shorter accept queue
    /// refuses its newest connections (502), a new breaker configuration starts CLOSED, new
    /// timeouts apply to new requests. Some settings cannot change during a run (the
    /// endpoints, the number of instances, the keyspace, the fault timeline, the seed and the
    /// duration): if `new` changes any of them, nothing is applied and their names come back.
    pub fn reconfigure(&mut self, new: Config) -> Result<(), Vec<&'static str>> {
        let old = &self.cfg;
        let fixed = [
            (old.seed != new.seed, "seed"),
            (old.duration != new.duration, "duration_s"),
            (old.endpoints != new.endpoints, "traffic.endpoints"),
            (old.instance_count != new.instance_count, "instances.count"),
            (old.cache_keyspace != new.cache_keyspace, "cache.keyspace"),
            (
                old.cache_zipf_exponent != new.cache_zipf_exponent,
                "cache.zipf_exponent",
            ),
            (old.faults != new.faults, "faults"),
        ];
        let restart: Vec<&'static str> =
            fixed.iter().filter(|(d, _)| *d).map(|(_, n)| *n).collect();
        if !restart.is_empty() {
            return Err(restart);
        }
        let now = self.now;
        let rate_changed = old.rate != new.rate;
        let breaker_changed = old.breaker != new.breaker;
        let health_added = old.health_check.is_none() && new.health_check.is_some();
        let cores_changed = old.db_cores != new.db_cores;
        self.cfg = new;
        if rate_changed {
            self.profile = RateProfile::new(&self.cfg.rate, &[]);
            self.arrival_generation += 1;
            self.arrival_cursor_us = now.as_micros() as f64;
            self.schedule_next_arrival();
        }
        if breaker_changed {
            self.breakers = match self.cfg.breaker {
                None => Vec::new(),
                Some((b, _)) if self.breakers.is_empty() => {
                    vec![CircuitBreaker::new(b); self.instances.len()]
                }
                Some((b, _)) => {
                    for breaker in &mut self.breakers {
                        breaker.reconfigure(b, now);
                    }
                    std::mem::take(&mut self.breakers)
                }
            };
        }
        if cores_changed {
            self.db.set_cores(now, self.cfg.db_cores);
            self.reschedule_db();
        }
        match self.cfg.health_check {
            None => self.instances.iter_mut().for_each(|i| i.in_rotation = true),
            Some(h) if health_added => {
                let n = self.instances.len() as u64;
                for i in 0..self.instances.len() {
                    let offset =
                        SimDuration::from_micros(h.interval.as_micros() * (i as u64 + 1) / n);
                    self.schedule(now + offset, Event::HealthProbe(i));
                }
            }
            Some(_) => {}
        }
        for i in 0..self.instances.len() {
            self.resize_instance(i);
        }
        Ok(())
    }

    /// Fits instance `i`'s threads, accept queue and pool to the current configuration.
    fn resize_instance(&mut self, i: usize) {
        let (max_threads, max_pool) = (self.cfg.max_threads, self.cfg.pool_max_size);
        let inst = &mut self.instances[i];
        if inst.down {
            return;
        }
        // Threads: drain the excess, or put new threads to work on queued connections.
        inst.threads_draining = inst.threads_busy.saturating_sub(max_threads);
        while self.instances[i].threads_busy < max_threads {
            let Some(next) = self.instances[i].accept_queue.pop_front() else {
                break;
            };
            self.instances[i].threads_busy += 1;
            self.start_work(next);
        }
        // Accept queue: a shorter backlog refuses its newest connections.
        if let Some(cap) = self.cfg.accept_queue {
            while self.instances[i].accept_queue.len() > cap as usize {
                let Some(a) = self.instances[i].accept_queue.pop_back() else {
                    break;
                };
                let message = "connect() failed (111: Connection refused) while connecting to \
                               upstream (accept queue shortened)";
                self.log_request_error(a, None, Status::BadGateway502, message.into());
                self.attempt_mut(a).phase = Phase::Done;
                if self.attempt(a).outcome.is_none() {
                    self.set_outcome(a, Status::BadGateway502, Status::BadGateway502);
                }
                self.release_if_done(a);
            }
        }
        // Pool: close connections as they return, or grant new ones to waiters.
        let inst = &mut self.instances[i];
        inst.connections_draining = inst.pool_active.saturating_sub(max_pool);
        while self.instances[i].pool_active < max_pool && self.instances[i].pool_waiting > 0 {
            self.instances[i].pool_active += 1;
            if !self.grant_to_next_waiter(i) {
                self.instances[i].pool_active -= 1;
                break;
            }
        }
    }

    // ---- upstream ----

    fn call_upstream(&mut self, a: AttemptRef, step: u8) {
        let now = self.now;
        let instance = self.attempt(a).instance as usize;
        let mut permit = None;
        if let Some(b) = self.breakers.get_mut(instance) {
            match b.try_acquire(now) {
                Ok(p) => permit = Some(p),
                Err(rejection) => {
                    let (open, retry_after) = match rejection {
                        Rejection::Open { retry_after } => (true, retry_after),
                        Rejection::NotPermitted => (false, NOT_PERMITTED_RETRY_AFTER),
                    };
                    self.recorder.breaker_rejected(open);
                    let when_open = self.cfg.breaker.map(|(_, w)| w);
                    let att = self.attempt_mut(a);
                    if when_open == Some(WhenOpen::Degraded200) {
                        att.degraded = true;
                        self.fail_soon(a, step, None, SimDuration::ZERO);
                    } else {
                        att.retry_after = Some(retry_after);
                        self.fail_soon(a, step, Some(ErrorClass::BreakerOpen), SimDuration::ZERO);
                    }
                    return;
                }
            }
        }
        let cfg = &self.cfg;
        let effects = self.effects;
        let att = &mut self.attempts[a.slot as usize];
        let upstream = |result| StepPart::Upstream {
            result,
            permit,
            started: now,
        };
        let (delay, part) = match effects.upstream_mode {
            UpstreamMode::DownFast => {
                (REFUSED_CONNECT, upstream(Some(ErrorClass::UpstreamRefused)))
            }
            UpstreamMode::Unreachable => (
                cfg.upstream_connect_timeout.unwrap_or(OS_CONNECT_GIVE_UP),
                upstream(Some(ErrorClass::UpstreamConnectTimeout)),
            ),
            UpstreamMode::Hang => match cfg.upstream_read_timeout {
                Some(t) => (t, upstream(Some(ErrorClass::UpstreamReadTimeout))),
                None => (SimDuration::ZERO, StepPart::UpstreamHung),
            },
            UpstreamMode::Normal => {
                let base = cfg.upstream_latency.sample(&mut att.work);
                let latency = SimDuration::from_micros(libm::round(
                    base.as_micros() as f64 * effects.upstream_latency_multiplier,
                ) as u64);
                let error_rate = 1.0
                    - (1.0 - cfg.upstream_error_rate) * (1.0 - effects.upstream_extra_error_rate);
                let error = att.work.chance(error_rate);
                match cfg.upstream_read_timeout {
                    Some(t) if latency > t => (t, upstream(Some(ErrorClass::UpstreamReadTimeout))),
                    _ => (
                        latency,
                        upstream(error.then_some(ErrorClass::UpstreamError)),
                    ),
                }
            }
        };
        att.phase = Phase::Step { step, part };
        self.recorder.upstream_call();
        if part != StepPart::UpstreamHung {
            self.schedule(now + delay, Event::StepDone(a));
        }
    }

    /// True if the attempt is alive and waiting for another request's load.
    fn is_coalescing(&self, a: AttemptRef) -> bool {
        self.get_attempt(a).is_some_and(|att| {
            matches!(
                att.phase,
                Phase::Step {
                    part: StepPart::CoalesceWait,
                    ..
                }
            )
        })
    }

    // ---- health checks and instance faults ----

    /// One probe of instance `i`; the next is scheduled an interval later. A probe needs a
    /// worker thread like any request: with none free it waits, up to its timeout.
    fn health_probe(&mut self, i: usize) {
        let Some(h) = self.cfg.health_check else {
            return;
        };
        self.schedule(self.now + h.interval, Event::HealthProbe(i));
        if self.instances[i].down {
            self.record_probe(i, false);
        } else if self.has_free_worker(i) {
            let pass = self.probe_answer(i);
            self.record_probe(i, pass);
        } else {
            self.schedule(self.now + h.timeout, Event::HealthProbeTimeout(i));
        }
    }

    /// A waiting probe's timeout: answered if a worker has come free by now, else failed.
    /// (The probe is modelled as answered at its deadline when a worker is free then.)
    fn health_probe_timeout(&mut self, i: usize) {
        let pass = !self.instances[i].down && self.has_free_worker(i) && self.probe_answer(i);
        self.record_probe(i, pass);
    }

    fn has_free_worker(&self, i: usize) -> bool {
        let inst = &self.instances[i];
        inst.threads_busy - inst.threads_draining < self.cfg.max_threads
    }

    /// What the instance answers to a probe: shallow passes; deep checks readiness.
    fn probe_answer(&self, i: usize) -> bool {
        let Some(h) = self.cfg.health_check else {
            return true;
        };
        let inst = &self.instances[i];
        let pool_use_pct = 100.0 * inst.pool_active as f64 / self.cfg.pool_max_size as f64;
        let breaker_open = self
            .breakers
            .get(i)
            .is_some_and(|b| b.state() == BreakerState::Open);
        !h.deep
            || (!inst.misconfigured
                && !inst.db_unreachable
                && pool_use_pct <= h.deep_pool_use_max_pct
                && !breaker_open)
    }

    /// Counts a probe result; enough in a row move the instance in or out of rotation.
    fn record_probe(&mut self, i: usize, pass: bool) {
        let Some(h) = self.cfg.health_check else {
            return;
        };
        let inst = &mut self.instances[i];
        if pass {
            inst.probe_passes += 1;
            inst.probe_failures = 0;
            if !inst.in_rotation && inst.probe_passes >= h.healthy_threshold {
                inst.in_rotation = true;
                let message = format!(
                    "health check passed {} times: back in rotation",
                    h.healthy_threshold
                );
                self.log(Level::Info, Some(i as u16), message);
            }
        } else {
            inst.probe_failures += 1;
            inst.probe_passes = 0;
            if inst.in_rotation && inst.probe_failures >= h.unhealthy_threshold {
                inst.in_rotation = false;
                let message = format!(
                    "health check failed {} times: out of rotation",
                    h.unhealthy_threshold
                );
                self.log(Level::Warn, Some(i as u16), message);
            }
        }
    }

    /// Instance `i` goes down: every request on it is lost (the balancer answers 502), its
    /// pools and queues empty, its breaker starts afresh when it restarts.
    fn crash_instance(&mut self, i: usize) {
        let message = "instance process exited: requests in progress are lost".to_string();
        self.log(Level::Error, Some(i as u16), message);
        let victims: Vec<AttemptRef> = self
            .attempts
            .iter()
            .filter(|(_, att)| att.instance as usize == i && att.phase != Phase::Done)
            .map(|(slot, att)| AttemptRef {
                slot: slot as u32,
                id: att.id,
            })
            .collect();
        let mut orphaned_keys = Vec::new();
        for a in victims {
            let att = self.attempt_mut(a);
            if let Phase::Step {
                part: StepPart::Query { key, .. },
                ..
            } = att.phase
            {
                self.db.cancel(self.now, key);
            }
            let att = self.attempt_mut(a);
            if let Some(key) = att.loading_key.take() {
                orphaned_keys.push(key);
            }
            att.phase = Phase::Done;
            if att.outcome.is_none() {
                self.recorder.error(ErrorClass::InstanceCrashed);
                self.set_outcome(a, Status::BadGateway502, Status::BadGateway502);
            }
            self.release_if_done(a);
        }
        for key in orphaned_keys {
            self.cache_loading[key as usize] = false;
            for waiter in self.coalesce_waiters.remove(&key).unwrap_or_default() {
                if self.is_coalescing(waiter) {
                    self.fail(waiter, ErrorClass::InstanceCrashed);
                }
            }
        }
        let inst = &mut self.instances[i];
        inst.down = true;
        inst.threads_busy = 0;
        inst.accept_queue.clear();
        inst.pool_active = 0;
        inst.pool_queue.clear();
        inst.pool_waiting = 0;
        inst.threads_draining = 0;
        inst.connections_draining = 0;
        if let Some((b, _)) = self.cfg.breaker {
            self.breakers[i] = CircuitBreaker::new(b);
        }
        self.reschedule_db();
    }

    // ---- attempt storage ----

    fn get_attempt(&self, a: AttemptRef) -> Option<&Attempt> {
        self.attempts
            .get(a.slot as usize)
            .filter(|att| att.id == a.id)
    }

    fn attempt(&self, a: AttemptRef) -> &Attempt {
        let att = &self.attempts[a.slot as usize];
        debug_assert_eq!(att.id, a.id);
        att
    }

    fn attempt_mut(&mut self, a: AttemptRef) -> &mut Attempt {
        let att = &mut self.attempts[a.slot as usize];
        debug_assert_eq!(att.id, a.id);
        att
    }

    // ---- invariants ----

    /// Checks the model's invariants; returns the first one broken. Cheap enough to call after
    /// every event in tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        let s = &self.recorder;
        if s.arrived != s.status.total() + self.in_flight {
            return Err(format!(
                "conservation: arrived {} != completed {} + in flight {}",
                s.arrived,
                s.status.total(),
                self.in_flight
            ));
        }
        let no_outcome = self
            .attempts
            .iter()
            .filter(|(_, a)| a.outcome.is_none())
            .count() as u64;
        if no_outcome != self.in_flight {
            return Err(format!(
                "in flight {} but {no_outcome} attempts lack an outcome",
                self.in_flight
            ));
        }
        if self.in_system_area_us > 0 && self.area_updated_at != self.now {
            return Err("the in-system integral lags the clock".into());
        }
        // One pass over the attempts: per instance, (in a step, holding a connection, waiting).
        let mut per_instance = vec![(0u32, 0u32, 0u32); self.instances.len()];
        for (_, a) in self.attempts.iter() {
            if let Phase::Step { part, .. } = a.phase {
                let counts = &mut per_instance[a.instance as usize];
                counts.0 += 1;
                match part {
                    StepPart::Query { .. } => counts.1 += 1,
                    StepPart::PoolWait { .. } => counts.2 += 1,
                    _ => {}
                }
            }
        }
        let mut querying = 0u32;
        for (idx, (inst, &(working, holding, waiting))) in
            self.instances.iter().zip(&per_instance).enumerate()
        {
            querying += holding;
            let cap = self.cfg.accept_queue.unwrap_or(u32::MAX);
            let checks = [
                (
                    inst.threads_busy <= self.cfg.max_threads + inst.threads_draining
                        && inst.threads_draining <= inst.threads_busy,
                    "threads busy above max_threads (beyond those draining)",
                ),
                (
                    inst.threads_busy == working,
                    "threads busy differs from attempts in a step",
                ),
                (
                    (inst.accept_queue.len() as u64) <= cap as u64,
                    "accept queue above capacity",
                ),
                (
                    inst.pool_active <= self.cfg.pool_max_size + inst.connections_draining
                        && inst.connections_draining <= inst.pool_active,
                    "pool active above max_size (beyond those draining)",
                ),
                (
                    inst.pool_active == holding,
                    "pool active differs from attempts holding a connection",
                ),
                (
                    inst.pool_waiting == waiting,
                    "pool waiters differ from attempts waiting",
                ),
                (
                    inst.pool_waiting <= inst.threads_busy,
                    "more pool waiters than busy threads",
                ),
                (
                    inst.accept_queue.is_empty()
                        || inst.threads_busy - inst.threads_draining == self.cfg.max_threads,
                    "requests queue while a worker is idle",
                ),
            ];
            for (ok, what) in checks {
                if !ok {
                    return Err(format!("instance {idx}: {what}"));
                }
            }
        }
        if querying + self.refreshes_running != self.db.running() {
            return Err(format!(
                "database runs {} queries, attempts hold {querying}",
                self.db.running()
            ));
        }
        Ok(())
    }
}
