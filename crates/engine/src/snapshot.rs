//! Plain-data views of a running simulation for a user interface: what to draw this frame.
//! A UI reads snapshots and per-second rows; it never reaches into the engine's internals.

use serde::Serialize;

use crate::breaker::BreakerState;
use crate::metrics::{InstanceGauges, StatusCounts};
use crate::observe::AlertRule;

/// One instance as the architecture view draws it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct InstanceView {
    /// Threads, queue, pool and rotation state.
    pub gauges: InstanceGauges,
    /// The upstream breaker's state, if there is a breaker.
    pub breaker: Option<BreakerState>,
}

/// The state of a run at one instant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    /// Virtual time, in seconds.
    pub now_s: f64,
    /// The run's length, in seconds.
    pub end_s: f64,
    /// Events processed so far.
    pub events: u64,
    /// Worker threads per instance.
    pub max_threads: u32,
    /// Accept-queue capacity per instance; `None` is unbounded.
    pub accept_queue: Option<u32>,
    /// Pool connections per instance.
    pub pool_max_size: u32,
    /// Database cores.
    pub db_cores: u32,
    /// Queries running on the database now.
    pub db_concurrency: u32,
    /// Every instance, in order.
    pub instances: Vec<InstanceView>,
    /// Attempts in the system now (a client still waiting for each).
    pub in_flight: u64,
    /// The balancer is failing open: no instance is in rotation, so it sends traffic to all.
    pub failing_open: bool,
    /// Outcomes so far, by true status.
    pub status: StatusCounts,
    /// Alerts firing now.
    pub alerts_firing: Vec<AlertRule>,
    /// Faults active now, by kind.
    pub active_faults: Vec<crate::scenario::FaultKind>,
    /// Work still running under settings changed after it started.
    pub carried_over: CarriedOver,
    /// Closed-loop users waiting for a request now and users present, if the scenario has
    /// user groups.
    pub users: Option<UsersNow>,
}

/// Closed-loop users now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UsersNow {
    /// Users with a request in progress (sent and not yet ended for them).
    pub waiting: u64,
    /// Users in their groups (those who left after their share of requests included).
    pub present: u64,
}

/// Work still running under settings that changed after it started. It keeps the old
/// settings until it ends, as in the real software: a HikariCP waiter keeps the timeout of
/// its `getConnection` call, a PostgreSQL statement keeps the `statement_timeout` it started
/// with, and a socket read begun without a timeout waits on. Counted only where the setting
/// now has a timeout the work lacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CarriedOver {
    /// Requests waiting for a pool connection with no connection timeout.
    pub pool_waiters_without_timeout: u32,
    /// Queries running with no statement timeout.
    pub queries_without_timeout: u32,
    /// Calls waiting on a hung payment gateway with no read timeout.
    pub gateway_calls_without_timeout: u32,
}

impl CarriedOver {
    /// Whether no work is carried over.
    pub fn is_empty(&self) -> bool {
        *self == CarriedOver::default()
    }
}

/// How far a budgeted advance got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Events processed by this call.
    pub events: u64,
    /// True if every event up to the target time was processed and the clock is there.
    pub reached: bool,
}
