//! Typed notices: what changed in a running simulation (an alert fired or resolved, a breaker
//! changed state, a fault started or ended, an incident opened), pushed by the engine as it
//! happens and drained by a UI, so it need not diff alert lists or poll breakers every frame.
//!
//! The buffer is bounded: beyond [`NOTICES_MAX`] undrained notices the oldest is dropped and
//! counted, so a run nobody drains (the CLI) stays bounded in memory.

use std::collections::VecDeque;

use crate::breaker::BreakerState;
use crate::observe::{AlertRule, LogEvent, Severity};
use crate::scenario::{ActionKind, FaultKind};
use crate::time::SimTime;

/// How many undrained notices are kept; beyond it the oldest is dropped (and counted).
pub const NOTICES_MAX: usize = 1_024;

/// Something that changed in the run, with when it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// An alert rule started firing (evaluated as a virtual second closed).
    AlertFired {
        /// The rule.
        rule: AlertRule,
        /// Its severity.
        severity: Severity,
        /// When it fired: the end of the second whose row made it fire.
        at: SimTime,
    },
    /// A firing alert rule resolved.
    AlertResolved {
        /// The rule.
        rule: AlertRule,
        /// Its severity.
        severity: Severity,
        /// When it resolved.
        at: SimTime,
    },
    /// Instance `instance`'s upstream circuit breaker changed state (a live reconfiguration
    /// restarts existing breakers CLOSED, noticed if they were not; breakers added or removed by
    /// one give no notice).
    BreakerChanged {
        /// The instance whose breaker it is.
        instance: u16,
        /// The state before.
        from: BreakerState,
        /// The state after.
        to: BreakerState,
        /// When.
        at: SimTime,
    },
    /// Fault `index` of the run (timeline or injected) started.
    FaultStarted {
        /// Its index among the run's faults (`Config::faults`).
        index: usize,
        /// Its kind.
        kind: FaultKind,
        /// When it started.
        at: SimTime,
    },
    /// Fault `index` ended (a fault with no duration, such as a cache flush, has no end).
    FaultEnded {
        /// Its index among the run's faults.
        index: usize,
        /// Its kind.
        kind: FaultKind,
        /// When it ended.
        at: SimTime,
    },
    /// Operator action `index` of the run acted.
    ActionTaken {
        /// Its index among the run's actions (`Config::actions`).
        index: usize,
        /// Its kind.
        kind: ActionKind,
        /// When it acted.
        at: SimTime,
        /// What it did, in words ("cancelled 40 queries running longer than 5 s ...").
        summary: String,
    },
    /// Instance `instance` started again after an operator's restart.
    RestartDone {
        /// The instance.
        instance: u16,
        /// When.
        at: SimTime,
    },
    /// A burst of errors opened an incident (see [`crate::observe::LogRing::push`]).
    IncidentOpened {
        /// When the burst's last error (the one that opened it) was logged.
        at: SimTime,
        /// The log sequence number of the incident's first error.
        first_error_seq: u64,
        /// That first error, unless the log ring had already moved past it.
        first_error: Option<Box<LogEvent>>,
    },
}

/// A bounded FIFO of notices: the oldest is dropped beyond [`NOTICES_MAX`], and counted.
#[derive(Clone, Debug, Default)]
pub struct NoticeBuffer {
    queue: VecDeque<Notice>,
    dropped: u64,
}

impl NoticeBuffer {
    /// Adds a notice, dropping the oldest if the buffer is full.
    pub fn push(&mut self, notice: Notice) {
        if self.queue.len() == NOTICES_MAX {
            self.queue.pop_front();
            self.dropped += 1;
        }
        self.queue.push_back(notice);
    }

    /// Takes every notice, oldest first.
    pub fn drain(&mut self) -> Vec<Notice> {
        self.queue.drain(..).collect()
    }

    /// Notices waiting to be drained.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True if no notice is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Notices dropped, over the whole run, because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(index: usize) -> Notice {
        Notice::FaultStarted {
            index,
            kind: FaultKind::DbSlow,
            at: SimTime::from_secs(index as u64),
        }
    }

    #[test]
    fn notices_come_out_in_order_and_once() {
        let mut b = NoticeBuffer::default();
        b.push(fault(1));
        b.push(fault(2));
        assert_eq!(b.len(), 2);
        assert_eq!(b.drain(), vec![fault(1), fault(2)]);
        assert!(b.is_empty());
        assert_eq!(b.drain(), vec![]);
    }

    #[test]
    fn a_full_buffer_drops_its_oldest_and_counts_them() {
        let mut b = NoticeBuffer::default();
        for i in 0..NOTICES_MAX + 3 {
            b.push(fault(i));
        }
        assert_eq!(b.len(), NOTICES_MAX);
        assert_eq!(b.dropped(), 3);
        let drained = b.drain();
        assert_eq!(drained.first(), Some(&fault(3)));
        assert_eq!(drained.last(), Some(&fault(NOTICES_MAX + 2)));
    }
}
