//! The event enum, the queue's entries and their order (time, rank, sequence), and the
//! queue's upkeep: scheduling, stale events, compaction.

use super::*;

/// The smallest queue worth compacting: below it, stale timers cost less than a sweep.
pub(super) const QUEUE_COMPACT_MIN: usize = 4_096;

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
    /// A connection has been out of the pool for the leak detection threshold (ignored if
    /// `token` is stale: the query ended).
    LeakCheck {
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
    /// A closed-loop user sends its next request.
    UserSends {
        /// The user's group.
        group: u8,
        /// The user's index in its group.
        user: u32,
    },
    /// Operator action `index` of the run acts.
    Action(usize),
    /// Instance `i` has started again after a restart.
    RestartDone(usize),
    /// An open breaker's wait is over (automatic transition to half-open).
    BreakerWake(usize),
    /// The load balancer probes instance `i`.
    HealthProbe(usize),
    /// A probe of instance `i` that found no free worker reaches its timeout.
    HealthProbeTimeout(usize),
}

#[derive(Debug, Clone)]
pub(super) struct Scheduled {
    pub(super) at: SimTime,
    /// 0 for a fault's start or end and an operator action, 1 for everything else: at equal
    /// times they act first, so one injected while running and the same on the timeline act
    /// alike.
    pub(super) rank: u8,
    pub(super) seq: u64,
    pub(super) event: Event,
}

impl Scheduled {
    /// The order key: earliest time first, then rank, then the order of scheduling.
    pub(super) fn key(&self) -> (SimTime, u8, u64) {
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

impl Simulation {
    pub(super) fn schedule(&mut self, at: SimTime, event: Event) {
        let s = self.scheduled(at, event);
        self.queue.push(s);
        self.after_push();
    }

    /// Schedules `event` a fixed `delay` from now: a timer (timeouts, leak checks), kept in
    /// its delay's FIFO.
    pub(super) fn schedule_timer(&mut self, delay: SimDuration, event: Event) {
        let s = self.scheduled(self.now + delay, event);
        self.queue.push_timer(delay, s);
        self.after_push();
    }

    fn scheduled(&mut self, at: SimTime, event: Event) -> Scheduled {
        debug_assert!(
            at >= self.now,
            "event {event:?} scheduled in the past: {at} < {}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        let rank = u8::from(!matches!(
            event,
            Event::FaultStart(_) | Event::FaultEnd(_) | Event::Action(_)
        ));
        Scheduled {
            at,
            rank,
            seq,
            event,
        }
    }

    fn after_push(&mut self) {
        if self.queue.len() >= self.compact_at {
            self.compact_queue();
        }
    }

    /// Drops every event that can no longer do anything (timeouts of attempts that already
    /// ended, superseded candidates), so the queue holds memory in proportion to the work in
    /// flight, not to the rate times the timeouts. The order of what is left is untouched:
    /// keys are unique, so the heap pops the same sequence. Runs when the queue has doubled
    /// since the last sweep: amortised O(1) per event.
    pub(super) fn compact_queue(&mut self) {
        let mut queue = std::mem::take(&mut self.queue);
        let before = queue.len();
        queue.retain(|s| !self.is_stale(&s.event));
        self.events_skipped += (before - queue.len()) as u64;
        self.compact_at = (2 * queue.len()).max(QUEUE_COMPACT_MIN);
        self.queue = queue;
    }

    /// Whether `event` would do nothing if it fell due now. Once stale, an event stays stale:
    /// attempts are never revived, and tokens and generations only grow.
    pub(super) fn is_stale(&self, event: &Event) -> bool {
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
            Event::QueryTimeout { attempt, token } | Event::LeakCheck { attempt, token } => {
                !matches!(
                    self.get_attempt(attempt).map(|att| att.phase),
                    Some(Phase::Step { part: StepPart::Query { token: t, .. }, .. }) if t == token
                )
            }
            Event::SecondTick
            | Event::FaultStart(_)
            | Event::FaultEnd(_)
            | Event::Action(_)
            | Event::RestartDone(_)
            | Event::Retry(_)
            | Event::UserSends { .. }
            | Event::BreakerWake(_)
            | Event::HealthProbe(_)
            | Event::HealthProbeTimeout(_) => false,
        }
    }
}
