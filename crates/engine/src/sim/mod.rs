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
//!
//! This file holds the `Simulation` itself, its construction, the event loop and dispatch, and
//! the public API. Each model lives in its own child module, as `impl Simulation` blocks over
//! the fields declared here: `actions` (operator actions), `events` (the event enum and queue), `attempt` (an attempt and its
//! storage), `arrivals`, `balancer` (routing and health checks), `census` (counts over the attempts alive), `instance` (workers and
//! handler steps), `pool`, `queries` (the database side), `cache`, `upstream`, `outcomes`
//! (outcomes and retries), `faults`, `reconfigure` and `invariants`.

mod actions;
mod arrivals;
mod attempt;
mod balancer;
mod cache;
mod census;
mod events;
mod faults;
mod instance;
mod invariants;
mod notices;
mod outcomes;
mod pool;
mod queries;
mod queue;
mod reconfigure;
mod upstream;
mod users;

use std::cmp::Ordering;
use std::collections::VecDeque;

use slab::Slab;

use crate::breaker::{BreakerState, CircuitBreaker, Permit, Rejection};
use crate::budget::{BudgetRates, RetryBudget};
use crate::cache::Cache;
use crate::config::{Config, RetryConfig, StampedeConfig, StepConfig};
use crate::database::{DatabaseServer, FinishKey};
use crate::limits::{Cap, LimitExceeded};
use crate::metrics::{ErrorClass, Gauges, InstanceGauges, Recorder, SecondMetrics, Status};
use crate::notice::NoticeBuffer;
use crate::observe::{error_message, AlertRule, Alerts, Level, LogEvent, LogRing, LogSource};
use crate::pool::{ConnectionPool, Returned};
use crate::rng::{SimRng, Stream};
use crate::scenario::{ErrorHandling, FaultKind, Jitter, LbPolicy, QueueOverflow, WhenOpen};
use crate::summary::Summary;
use crate::time::{SimDuration, SimTime, MICROS_PER_S};
use crate::traffic::{RateProfile, ZipfKeys};

use attempt::{Attempt, Phase, QueryOwner, StepPart};
use events::{Scheduled, QUEUE_COMPACT_MIN};
use faults::{FaultEffects, UpstreamMode};
use instance::Instance;
use pool::{waiting_in_pool, PoolWaiter};

pub use attempt::{AttemptRef, RequestInfo};
pub use events::Event;
pub use instance::FAST_FAILURE;
pub use upstream::{NOT_PERMITTED_RETRY_AFTER, OS_CONNECT_GIVE_UP, REFUSED_CONNECT};

/// A running simulation of one scenario.
#[derive(Clone)]
pub struct Simulation {
    cfg: Config,
    now: SimTime,
    end: SimTime,
    queue: queue::EventQueue,
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
    /// Each client's retry budget (used only by a client that has one), indexed like
    /// `cfg.clients`.
    retry_budgets: Vec<RetryBudget>,
    /// New user requests of each client in the second under way (sizes its budget).
    client_requests_this_second: Vec<u64>,
    /// The closed-loop users, per group.
    users: Vec<Vec<users::UserState>>,
    /// Users with a request in progress (those with `waiting` set).
    users_waiting: u64,
    breakers: Vec<CircuitBreaker>,
    instances: Vec<Instance>,
    round_robin_next: usize,

    /// Cache entries, loads under way and their waiters.
    cache: Cache<AttemptRef>,
    db: DatabaseServer<QueryOwner>,
    db_generation: u64,
    finished_queries: Vec<QueryOwner>,
    refreshes_running: u32,

    active_faults: Vec<bool>,
    effects: FaultEffects,
    /// The next instance a rolling restart stops, while one is under way.
    rolling_next: Option<usize>,

    recorder: Recorder,
    logs: LogRing,
    alerts: Alerts,
    /// What changed, for a UI to drain (bounded).
    notices: NoticeBuffer,
    in_flight: u64,
    in_system_area_us: u128,
    area_updated_at: SimTime,
}

impl Simulation {
    /// A simulation of `cfg`, at time zero, with its first events scheduled.
    pub fn new(cfg: Config) -> Self {
        let mut sim = Simulation::at_time_zero(cfg);
        sim.schedule_first_events();
        sim
    }

    /// The simulation's state at time zero, with nothing scheduled yet.
    fn at_time_zero(cfg: Config) -> Self {
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
        Simulation {
            now: SimTime::ZERO,
            end: SimTime::ZERO + cfg.duration,
            queue: queue::EventQueue::default(),
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
            retry_budgets: vec![RetryBudget::default(); cfg.clients.len()],
            client_requests_this_second: vec![0; cfg.clients.len()],
            users: Simulation::users_at_time_zero(&cfg),
            users_waiting: 0,
            breakers: cfg
                .breaker
                .map(|(b, _)| vec![CircuitBreaker::new(b); cfg.instance_count])
                .unwrap_or_default(),
            instances: vec![Instance::default(); cfg.instance_count],
            round_robin_next: 0,
            cache: Cache::new(cfg.cache_keyspace),
            db: DatabaseServer::new(cfg.db_cores),
            db_generation: 0,
            finished_queries: Vec::new(),
            refreshes_running: 0,
            active_faults: vec![false; cfg.faults.len()],
            effects: FaultEffects::default(),
            rolling_next: None,
            recorder: Recorder::new(
                &cfg.endpoints
                    .iter()
                    .map(|e| (e.name.clone(), e.critical))
                    .collect::<Vec<_>>(),
            ),
            logs: LogRing::default(),
            alerts: Alerts::default(),
            notices: NoticeBuffer::default(),
            in_flight: 0,
            in_system_area_us: 0,
            area_updated_at: SimTime::ZERO,
            cfg,
        }
    }

    /// The first arrival, the users' first requests, the first second tick, the staggered health probes, the fault
    /// timeline and the operator actions, in that order (the order fixes the queue's tie-breaking sequence numbers).
    fn schedule_first_events(&mut self) {
        self.schedule_next_arrival();
        self.schedule_first_user_requests();
        self.schedule(SimTime::from_secs(1), Event::SecondTick);
        if let Some(h) = self.cfg.health_check {
            // Stagger the probes so instances are not all checked at the same instant.
            let n = self.cfg.instance_count as u64;
            for i in 0..self.cfg.instance_count {
                let offset = h.interval.as_micros() * (i as u64 + 1) / n;
                self.schedule(SimTime::from_micros(offset), Event::HealthProbe(i));
            }
        }
        for (i, f) in self.cfg.faults.clone().iter().enumerate() {
            self.schedule(f.start, Event::FaultStart(i));
            if f.end > f.start {
                self.schedule(f.end, Event::FaultEnd(i));
            }
        }
        for (i, a) in self.cfg.actions.clone().iter().enumerate() {
            self.schedule(a.at, Event::Action(i));
        }
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
            self.log(Level::Error, LogSource::Lab, None, stop.to_string());
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

    /// The kinds of the faults active now (without a snapshot's pass over the attempts).
    pub fn active_faults(&self) -> Vec<FaultKind> {
        (self.cfg.faults.iter())
            .zip(&self.active_faults)
            .filter(|(_, on)| **on)
            .map(|(f, _)| f.kind)
            .collect()
    }

    /// The mean wait of requests in the accept queues so far, in milliseconds, over the
    /// requests a worker has taken (those that waited no time included); `None` before any.
    pub fn mean_queue_wait_ms(&self) -> Option<(f64, u64)> {
        let (sum_us, n) = (self.recorder.queue_wait_us, self.recorder.queue_waits);
        (n > 0).then(|| (sum_us as f64 / n as f64 / 1000.0, n))
    }

    /// Instance `i`'s upstream breaker state; `None` when there is no breaker.
    pub fn breaker_state(&self, i: usize) -> Option<crate::breaker::BreakerState> {
        self.breakers.get(i).map(|b| b.state())
    }

    /// The state of the run now, as plain data for a UI.
    pub fn snapshot(&self) -> crate::snapshot::Snapshot {
        use crate::observe::AlertRule;
        let census = self.census();
        let gauges = self.instance_gauges(&census.threads);
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
            failing_open: self.failing_open(),
            status: self.recorder.status,
            alerts_firing: AlertRule::ALL
                .into_iter()
                .filter(|r| self.alerts.is_firing(*r))
                .collect(),
            active_faults: self.active_faults(),
            carried_over: census.carried_over,
            users: (!self.users.is_empty()).then(|| {
                let (waiting, present) = self.users_waiting_and_present();
                crate::snapshot::UsersNow { waiting, present }
            }),
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
        let in_flight_sojourn_us: u128 = self
            .attempts
            .iter()
            .filter(|(_, a)| a.outcome.is_none())
            .map(|(_, a)| self.now.since(a.arrived_at).as_micros() as u128)
            .sum();
        Summary::assemble(crate::summary::RunState {
            seed: self.cfg.seed,
            end: self.now,
            events: self.events,
            events_skipped: self.events_skipped,
            stopped: self.stopped,
            in_flight: self.in_flight,
            in_system_area_us: self.in_system_area_us,
            in_flight_sojourn_us,
            recorder: &self.recorder,
            alerts: &self.alerts,
            logs: &self.logs,
        })
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
            Event::LeakCheck { attempt, .. } => self.leak_detected(attempt),
            Event::UserSends { group, user } => self.user_sends(group as usize, user as usize),
            Event::Retry(request) => {
                self.recorder.retry();
                self.start_attempt(request);
            }
            Event::HealthProbe(i) => self.health_probe(i),
            Event::HealthProbeTimeout(i) => self.health_probe_timeout(i),
            Event::BreakerWake(i) => {
                if let Some(b) = self.breakers.get_mut(i) {
                    let from = b.state();
                    b.wake(self.now);
                    self.note_breaker(i, from);
                }
            }
            Event::SecondTick => {
                self.events_this_second = 0;
                let count =
                    |state| self.breakers.iter().filter(|b| b.state() == state).count() as u32;
                let census = self.census();
                let gauges = Gauges {
                    instances: self.instance_gauges(&census.threads),
                    db_concurrency: self.db.running(),
                    in_flight: self.in_flight,
                    oldest_in_flight: census.oldest_in_flight,
                    breakers_open: count(BreakerState::Open),
                    breakers_half_open: count(BreakerState::HalfOpen),
                };
                self.recorder.close_second(self.now, gauges);
                if (self.now.whole_secs()).is_multiple_of(crate::settings::POOL_HOUSEKEEPING_S) {
                    self.log_pool_stats();
                }
                let max = self.cfg.pool_max_size as f64;
                let pool_use_pct_max = self
                    .instances
                    .iter()
                    .map(|i| 100.0 * i.pool.active() as f64 / max)
                    .fold(0.0, f64::max);
                let changes = self.alerts.evaluate(&self.recorder.rows, pool_use_pct_max);
                self.note_alerts(changes);
                for (budget, requests) in
                    (self.retry_budgets.iter_mut()).zip(&mut self.client_requests_this_second)
                {
                    budget.set_requests_last_second(std::mem::take(requests));
                }
                let next = self.now + SimDuration::from_micros(MICROS_PER_S);
                if next <= self.end {
                    self.schedule(next, Event::SecondTick);
                }
            }
            Event::FaultStart(i) => {
                self.active_faults[i] = true;
                self.note_fault(i, true);
                if self.cfg.faults[i].kind == FaultKind::CacheFlush {
                    self.cache.flush();
                }
                self.apply_faults();
            }
            Event::Action(i) => self.act(i),
            Event::RestartDone(i) => self.restart_done(i),
            Event::FaultEnd(i) => {
                self.active_faults[i] = false;
                self.note_fault(i, false);
                self.apply_faults();
            }
        }
    }
}
