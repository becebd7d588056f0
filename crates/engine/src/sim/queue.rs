//! The event queue: a binary heap, plus one FIFO per fixed timer delay. A timer of a fixed
//! delay (the client's and the gateway's timeouts, the pool's connection timeout, the
//! statement timeout, leak detection) set later falls due later, so the timers of one delay
//! are already in order and a FIFO holds them at O(1) instead of deepening the heap. Popping
//! takes the least (time, rank, sequence) of the heap's top and the FIFOs' fronts: the order is
//! exactly the one a single heap gives, so runs are unchanged.

use std::collections::{BinaryHeap, VecDeque};

use super::events::Scheduled;
use crate::time::SimDuration;

/// At most this many timer FIFOs (one per distinct delay seen); timers of further delays (a
/// setting changed many times during a run) go to the heap.
const TIMER_QUEUES_MAX: usize = 16;

/// The queue of everything scheduled.
#[derive(Clone, Debug, Default)]
pub(super) struct EventQueue {
    heap: BinaryHeap<Scheduled>,
    timers: Vec<(SimDuration, VecDeque<Scheduled>)>,
    len: usize,
}

/// Where the next event is: the heap, or timer FIFO `i`.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    Timers(usize),
}

impl EventQueue {
    /// Schedules an event.
    pub(super) fn push(&mut self, s: Scheduled) {
        self.heap.push(s);
        self.len += 1;
    }

    /// Schedules a timer set `delay` after the present (its time is now + delay).
    pub(super) fn push_timer(&mut self, delay: SimDuration, s: Scheduled) {
        self.len += 1;
        let room = self.timers.len() < TIMER_QUEUES_MAX;
        match self.timers.iter_mut().find(|(d, _)| *d == delay) {
            Some((_, fifo)) if fifo.back().is_none_or(|b| b.key() <= s.key()) => fifo.push_back(s),
            None if room => self.timers.push((delay, VecDeque::from([s]))),
            _ => self.heap.push(s),
        }
    }

    fn next(&self) -> Option<(Source, &Scheduled)> {
        let mut best = self.heap.peek().map(|s| (Source::Heap, s));
        for (i, (_, fifo)) in self.timers.iter().enumerate() {
            if let Some(front) = fifo.front() {
                if best.is_none_or(|(_, b)| front.key() < b.key()) {
                    best = Some((Source::Timers(i), front));
                }
            }
        }
        best
    }

    /// The next event due, without taking it.
    pub(super) fn peek(&self) -> Option<&Scheduled> {
        self.next().map(|(_, s)| s)
    }

    /// Takes the next event due.
    pub(super) fn pop(&mut self) -> Option<Scheduled> {
        let (source, _) = self.next()?;
        self.len -= 1;
        match source {
            Source::Heap => self.heap.pop(),
            Source::Timers(i) => self.timers[i].1.pop_front(),
        }
    }

    /// Events waiting.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Every event waiting, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Scheduled> {
        (self.heap.iter()).chain(self.timers.iter().flat_map(|(_, fifo)| fifo.iter()))
    }

    /// Keeps only the events `keep` says to keep (the order of the rest is unchanged).
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Scheduled) -> bool) {
        self.heap.retain(&mut keep);
        for (_, fifo) in &mut self.timers {
            fifo.retain(&mut keep);
        }
        self.len = self.heap.len() + self.timers.iter().map(|(_, f)| f.len()).sum::<usize>();
    }
}
