//! Each instance's database connection pool, as the simulation drives it: an attempt asks for
//! a connection, waits (FIFO, with a timeout) or fails fast; a returned connection goes to the
//! first live waiter. The counting is [`crate::pool::ConnectionPool`]'s.

use super::*;

/// A waiter in a pool's FIFO queue.
#[derive(Clone, Copy, Debug)]
pub(super) struct PoolWaiter {
    pub(super) attempt: AttemptRef,
    pub(super) token: u32,
}

/// True while `w`'s attempt is alive and still in the pool wait `w` belongs to.
pub(super) fn waiting_in_pool(attempts: &Slab<Attempt>, w: &PoolWaiter) -> bool {
    attempts
        .get(w.attempt.slot as usize)
        .filter(|att| att.id == w.attempt.id)
        .is_some_and(|att| {
            matches!(att.phase, Phase::Step { part: StepPart::PoolWait { token, .. }, .. } if token == w.token)
        })
}

impl Simulation {
    pub(super) fn acquire_connection(&mut self, a: AttemptRef, step: u8) {
        let i = self.attempt(a).instance as usize;
        if self.instances[i].db_unreachable {
            self.fail_soon(a, step, Some(ErrorClass::DbUnreachable), FAST_FAILURE);
            return;
        }
        if self.instances[i].pool.try_take(self.cfg.pool_max_size) {
            self.recorder.pool_grant(SimDuration::ZERO);
            self.start_query(a, step);
            return;
        }
        let now = self.now;
        let timed = self.cfg.pool_timeout.is_some();
        let att = self.attempt_mut(a);
        att.tokens += 1;
        let token = att.tokens;
        att.phase = Phase::Step {
            step,
            part: StepPart::PoolWait {
                token,
                since: now,
                timed,
            },
        };
        self.instances[i]
            .pool
            .wait(PoolWaiter { attempt: a, token });
        if let Some(t) = self.cfg.pool_timeout {
            self.schedule_timer(t, Event::PoolTimeout { attempt: a, token });
        }
    }

    /// The connection timeout of an attempt still in the pool wait it belongs to.
    pub(super) fn pool_timeout(&mut self, a: AttemptRef) {
        let i = self.attempt(a).instance as usize;
        self.instances[i].pool.waiter_left();
        self.fail(a, ErrorClass::PoolAcquireTimeout);
        self.instances[i]
            .pool
            .compact(|w| waiting_in_pool(&self.attempts, w));
    }

    /// A connection comes back to instance `i`'s pool: it closes if the pool shrank, else it
    /// goes to the first live waiter.
    pub(super) fn release_connection(&mut self, i: usize) {
        let returned = self.instances[i]
            .pool
            .give_back(|w| waiting_in_pool(&self.attempts, w));
        if let Returned::GrantedTo(w) = returned {
            self.start_granted(w);
        }
    }

    /// A waiter got a connection: its wait is recorded and its query starts.
    pub(super) fn start_granted(&mut self, w: PoolWaiter) {
        let Phase::Step {
            step,
            part: StepPart::PoolWait { since, .. },
        } = self.attempt(w.attempt).phase
        else {
            unreachable!("the pool grants only to attempts waiting in it");
        };
        self.recorder.pool_grant(self.now.since(since));
        self.start_query(w.attempt, step);
    }
}
