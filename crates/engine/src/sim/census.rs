//! One pass over the attempts alive: where each instance's busy threads are, how long the
//! oldest request still waiting has waited, and the work still running under settings that
//! changed after it started.

use super::*;
use crate::metrics::ThreadUse;
use crate::snapshot::CarriedOver;

/// What one pass over the attempts alive found.
pub(super) struct Census {
    /// How long the oldest attempt still waiting for its outcome has waited.
    pub(super) oldest_in_flight: Option<SimDuration>,
    /// Each instance's busy threads, by what their request is doing.
    pub(super) threads: Vec<ThreadUse>,
    /// Work that keeps the settings it started under.
    pub(super) carried_over: CarriedOver,
}

impl Simulation {
    /// Counts the attempts alive (one pass over them): a UI's snapshot and each second's
    /// gauges read it.
    pub(super) fn census(&self) -> Census {
        let mut census = Census {
            oldest_in_flight: None,
            threads: vec![ThreadUse::default(); self.instances.len()],
            carried_over: CarriedOver::default(),
        };
        let mut oldest: Option<SimTime> = None;
        let cfg = &self.cfg;
        let carried = &mut census.carried_over;
        for (_, att) in self.attempts.iter() {
            if att.outcome.is_none() {
                oldest = Some(oldest.map_or(att.arrived_at, |t| t.min(att.arrived_at)));
            }
            let Phase::Step { part, .. } = att.phase else {
                continue;
            };
            let threads = &mut census.threads[att.instance as usize];
            match part {
                StepPart::PoolWait { timed, .. } => {
                    threads.pool_wait += 1;
                    if !timed && cfg.pool_timeout.is_some() {
                        carried.pool_waiters_without_timeout += 1;
                    }
                }
                StepPart::Query { timed, .. } => {
                    threads.query += 1;
                    if !timed && cfg.query_timeout.is_some() {
                        carried.queries_without_timeout += 1;
                    }
                }
                StepPart::Upstream { .. } => threads.gateway += 1,
                StepPart::UpstreamHung => {
                    threads.gateway += 1;
                    if cfg.upstream_read_timeout.is_some() {
                        carried.gateway_calls_without_timeout += 1;
                    }
                }
                StepPart::CacheLookup | StepPart::CoalesceWait => threads.cache += 1,
                StepPart::Cpu | StepPart::Failing(_) => threads.working += 1,
            }
        }
        census.oldest_in_flight = oldest.map(|t| self.now.since(t));
        census
    }
}
