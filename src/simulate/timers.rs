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

/// (order, sequence, instant, what): the derived order is the firing
/// order, and it never looks past the sequence, which is unique.
type Timer = (u64, u64, LocalTime, Pending);

/// An instant and a class as one number in firing order: the heap compares
/// timers millions of times, and two integers compare faster than a date,
/// a time of day and a class.
fn order(at: LocalTime, class: u8) -> u64 {
    // Seconds from year 0 (about -2^36 before the Unix epoch) are positive.
    let seconds = at.naive().and_utc().timestamp() + (1 << 37);
    ((seconds as u64) << 8) | u64::from(class)
}

#[derive(Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<Timer>>,
    queue: VecDeque<Timer>,
    seq: u64,
}

impl Timers {
    pub fn push(&mut self, at: LocalTime, class: u8, what: Pending) {
        self.seq += 1;
        let timer = (order(at, class), self.seq, at, what);
        // The sequence grows, so an order at or after the back's is after it.
        match self.queue.back() {
            Some(last) if timer.0 < last.0 => self.heap.push(Reverse(timer)),
            _ => self.queue.push_back(timer),
        }
    }

    /// The instant and class of the next timer to fire.
    pub fn peek(&self) -> Option<(LocalTime, u8)> {
        let next = match self.next_is_queued()? {
            true => &self.queue[0],
            false => &self.heap.peek().expect("not empty").0,
        };
        Some((next.2, (next.0 & 0xff) as u8))
    }

    pub fn pop(&mut self) -> Option<(LocalTime, Pending)> {
        let (_, _, at, what) = match self.next_is_queued()? {
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
            (Some(q), Some(Reverse(h))) => Some((q.0, q.1) < (h.0, h.1)),
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
