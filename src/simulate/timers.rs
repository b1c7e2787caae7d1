//! The replay's timers, in firing order: a binary heap, and beside it a
//! queue for timers pushed in firing order already.
//!
//! Nearly every timer is an issue's overdue day, pushed when the issue is
//! dispatched: 31 days ahead of a clock that only moves forward, so each is
//! due no earlier than the one pushed before it. Those go to the back of a
//! queue, one move each, instead of through a heap of thousands, which
//! showed in profiles; any other goes to the heap. Each is in order, so the
//! next to fire is the earlier of their fronts, and the order is the one a
//! single heap would give.

use super::replay::Pending;
use crate::core::clock::LocalTime;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// (instant, class, sequence, what): the derived order is the firing order.
type Timer = (LocalTime, u8, u64, Pending);

#[derive(Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<Timer>>,
    queue: VecDeque<Timer>,
    seq: u64,
}

impl Timers {
    pub fn push(&mut self, at: LocalTime, class: u8, what: Pending) {
        self.seq += 1;
        // The sequence grows, so (at, class) at or after the back's is after it.
        match self.queue.back() {
            Some(&(last, last_class, ..)) if (at, class) < (last, last_class) => self.heap.push(Reverse((at, class, self.seq, what))),
            _ => self.queue.push_back((at, class, self.seq, what)),
        }
    }

    /// The instant and class of the next timer to fire.
    pub fn peek(&self) -> Option<(LocalTime, u8)> {
        self.next_is_queued().map(|queued| match queued {
            true => (self.queue[0].0, self.queue[0].1),
            false => (self.heap.peek().expect("not empty").0.0, self.heap.peek().expect("not empty").0.1),
        })
    }

    pub fn pop(&mut self) -> Option<(LocalTime, Pending)> {
        let (at, _, _, what) = match self.next_is_queued()? {
            true => self.queue.pop_front()?,
            false => self.heap.pop()?.0,
        };
        Some((at, what))
    }

    /// Whether the next timer is the queue's (else the heap's); `None` if
    /// there is none.
    fn next_is_queued(&self) -> Option<bool> {
        match (self.queue.front(), self.heap.peek()) {
            (None, None) => None,
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (Some(q), Some(Reverse(h))) => Some((q.0, q.1, q.2) < (h.0, h.1, h.2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_the_order_of_one_heap() {
        let base = LocalTime::parse("2021-01-01T00:00:00").unwrap();
        let mut timers = Timers::default();
        let mut heap = BinaryHeap::new();
        let mut seed: u64 = 7;
        for n in 0..5000u64 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // Mostly rising, sometimes earlier, often at the same instant.
            let hours = (n / 3) as i64 - if seed >> 60 == 0 { (seed >> 40 & 63) as i64 } else { 0 };
            let (at, class) = (base.plus_hours(hours), (seed >> 33 & 1) as u8);
            timers.push(at, class, Pending::ScheduledDispatch);
            heap.push(Reverse((at, class, n + 1)));
            if seed >> 50 & 3 == 0 {
                let Reverse((at, class, _)) = heap.pop().unwrap();
                assert_eq!(timers.peek(), Some((at, class)));
                assert_eq!(timers.pop().map(|t| t.0), Some(at));
            }
        }
        while let Some(Reverse((at, class, _))) = heap.pop() {
            assert_eq!(timers.peek(), Some((at, class)));
            assert_eq!(timers.pop().map(|t| t.0), Some(at));
        }
        assert_eq!(timers.pop(), None);
    }
}
