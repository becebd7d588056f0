//! A connection pool (HikariCP's semantics, as the model uses them): connections granted up
//! to a maximum size, FIFO waiters beyond it, a returned connection handed straight to the
//! first live waiter, and a lowered size that drains (returned connections close).
//!
//! The pool is pure bookkeeping over a waiter type `W` (the simulation's attempt handles):
//! whether a queued waiter is still waiting is the caller's knowledge, asked through an
//! `is_live` predicate; waiters whose wait ended (a timeout) are skipped lazily.

use std::collections::VecDeque;

/// One pool's counts and its waiter queue.
#[derive(Clone, Debug)]
pub struct ConnectionPool<W> {
    /// Connections in use (granted and not returned).
    active: u32,
    /// FIFO of waiters; entries whose wait ended are skipped lazily.
    queue: VecDeque<W>,
    /// Waiters still waiting (the queue may hold more, whose wait ended).
    waiting: u32,
    /// Connections above a lowered size: closed when returned.
    draining: u32,
}

impl<W> Default for ConnectionPool<W> {
    fn default() -> Self {
        ConnectionPool {
            active: 0,
            queue: VecDeque::new(),
            waiting: 0,
            draining: 0,
        }
    }
}

/// What became of a returned connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned<W> {
    /// It closed (the pool is above its size).
    Closed,
    /// It went idle: nobody was waiting.
    Idle,
    /// It went straight to this waiter (still counted active).
    GrantedTo(W),
}

impl<W> ConnectionPool<W> {
    /// Connections in use.
    pub fn active(&self) -> u32 {
        self.active
    }

    /// Waiters still waiting.
    pub fn waiting(&self) -> u32 {
        self.waiting
    }

    /// Connections that will close when returned (above a lowered size).
    pub fn draining(&self) -> u32 {
        self.draining
    }

    /// Takes a connection at once if fewer than `max_size` are in use.
    pub fn try_take(&mut self, max_size: u32) -> bool {
        let free = self.active < max_size;
        if free {
            self.active += 1;
        }
        free
    }

    /// Queues `waiter` at the back.
    pub fn wait(&mut self, waiter: W) {
        self.queue.push_back(waiter);
        self.waiting += 1;
    }

    /// A waiter's wait ended without a connection (its timeout): it stays in the queue, to be
    /// skipped, until [`ConnectionPool::compact`] or a grant passes it.
    pub fn waiter_left(&mut self) {
        self.waiting -= 1;
    }

    /// Pops waiters until a live one comes; that one stops waiting.
    fn next_live(&mut self, mut is_live: impl FnMut(&W) -> bool) -> Option<W> {
        while let Some(w) = self.queue.pop_front() {
            if is_live(&w) {
                self.waiting -= 1;
                return Some(w);
            }
        }
        None
    }

    /// A connection comes back: it closes if the pool is draining, else goes to the first live
    /// waiter, else idles.
    pub fn give_back(&mut self, is_live: impl FnMut(&W) -> bool) -> Returned<W> {
        if self.draining > 0 {
            self.draining -= 1;
            self.active -= 1;
            return Returned::Closed;
        }
        match self.next_live(is_live) {
            Some(w) => Returned::GrantedTo(w),
            None => {
                self.active -= 1;
                Returned::Idle
            }
        }
    }

    /// The pool's size is now `max_size`: connections in use above it will close when
    /// returned. Call [`ConnectionPool::grant_below`] after it to hand out new room.
    pub fn resize(&mut self, max_size: u32) {
        self.draining = self.active.saturating_sub(max_size);
    }

    /// Opens one new connection for the first live waiter, if the pool is below `max_size`
    /// and someone waits.
    pub fn grant_below(&mut self, max_size: u32, is_live: impl FnMut(&W) -> bool) -> Option<W> {
        if self.active >= max_size || self.waiting == 0 {
            return None;
        }
        self.active += 1;
        let granted = self.next_live(is_live);
        if granted.is_none() {
            self.active -= 1;
        }
        granted
    }

    /// Drops waiters whose wait ended once they outnumber the live ones (by more than 64), so
    /// a pool that never frees a connection does not grow its queue without bound.
    pub fn compact(&mut self, is_live: impl FnMut(&W) -> bool) {
        let live = self.waiting as usize;
        if self.queue.len() <= 2 * live + 64 {
            return;
        }
        self.queue.retain(is_live);
        debug_assert_eq!(self.queue.len(), live);
    }

    /// Entries in the waiter queue, those whose wait ended included.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Everything is gone (the instance crashed): no connection, no waiter.
    pub fn clear(&mut self) {
        self.active = 0;
        self.queue.clear();
        self.waiting = 0;
        self.draining = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(w: &u32) -> bool {
        *w < 100
    }

    #[test]
    fn connections_go_to_waiters_first_come_first_served() {
        let mut p = ConnectionPool::default();
        assert!(p.try_take(2) && p.try_take(2));
        assert!(!p.try_take(2), "full");
        for w in [1, 2, 3] {
            p.wait(w);
        }
        assert_eq!(p.waiting(), 3);
        assert_eq!(p.give_back(live), Returned::GrantedTo(1));
        assert_eq!(p.give_back(live), Returned::GrantedTo(2));
        assert_eq!(p.active(), 2, "handed over, never idle");
        assert_eq!(p.give_back(live), Returned::GrantedTo(3));
        assert_eq!(p.give_back(live), Returned::Idle);
        assert_eq!((p.active(), p.waiting()), (1, 0));
    }

    #[test]
    fn waiters_whose_wait_ended_are_skipped() {
        let mut p = ConnectionPool::default();
        assert!(p.try_take(1));
        p.wait(100); // times out below
        p.wait(7);
        p.waiter_left();
        assert_eq!(p.give_back(live), Returned::GrantedTo(7));
        assert_eq!(p.give_back(live), Returned::Idle);
        assert_eq!((p.active(), p.waiting(), p.queued()), (0, 0, 0));
    }

    #[test]
    fn a_lowered_size_closes_returned_connections_and_a_raised_one_grants() {
        let mut p = ConnectionPool::default();
        for _ in 0..3 {
            assert!(p.try_take(3));
        }
        p.wait(1);
        p.resize(1);
        assert_eq!(p.draining(), 2);
        assert_eq!(p.give_back(live), Returned::Closed);
        assert_eq!(p.give_back(live), Returned::Closed);
        assert_eq!(p.draining(), 0);
        assert_eq!(p.grant_below(1, live), None, "at its size");
        p.wait(2);
        p.resize(3);
        assert_eq!(p.grant_below(3, live), Some(1));
        assert_eq!(p.grant_below(3, live), Some(2));
        assert_eq!(p.grant_below(3, live), None, "nobody waits");
        assert_eq!((p.active(), p.waiting()), (3, 0));
    }

    #[test]
    fn compaction_keeps_only_live_waiters_in_order() {
        let mut p = ConnectionPool::default();
        assert!(p.try_take(1));
        for w in 0..200u32 {
            p.wait(if w % 50 == 0 { w / 50 } else { 100 + w });
            if w % 50 != 0 {
                p.waiter_left();
            }
        }
        p.compact(live);
        assert_eq!(p.queued(), 4);
        assert_eq!(p.give_back(live), Returned::GrantedTo(0));
        assert_eq!(p.grant_below(5, live), Some(1));
        p.clear();
        assert_eq!((p.active(), p.waiting(), p.queued()), (0, 0, 0));
    }
}
