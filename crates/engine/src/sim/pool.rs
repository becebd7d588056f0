//! Each instance's database connection pool: grants, FIFO waiters with a timeout, returned
//! connections handed to the first live waiter.

use super::*;

/// A waiter in a pool's FIFO queue.
#[derive(Clone, Copy, Debug)]
pub(super) struct PoolWaiter {
    pub(super) attempt: AttemptRef,
    pub(super) token: u32,
}

impl Simulation {
    pub(super) fn acquire_connection(&mut self, a: AttemptRef, step: u8) {
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
    pub(super) fn pool_timeout(&mut self, a: AttemptRef) {
        let i = self.attempt(a).instance as usize;
        self.instances[i].pool_waiting -= 1;
        self.fail(a, ErrorClass::PoolAcquireTimeout);
        self.compact_pool_queue(i);
    }

    /// Drops waiters whose wait already ended, once they outnumber the live ones, so a pool
    /// that never frees a connection does not grow its queue without bound.
    pub(super) fn compact_pool_queue(&mut self, i: usize) {
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
    pub(super) fn release_connection(&mut self, i: usize) {
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
    pub(super) fn grant_to_next_waiter(&mut self, i: usize) -> bool {
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
}
