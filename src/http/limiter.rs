//! Sign-in rate limit: a handful of failures per user name per window, then
//! 429 until the window passes; separately, more failures per client
//! address (one address guessing many names). The name is the normalised
//! one (`app::identity::canonical`), so no spelling of it gets more tries.
//! In memory: each instance limits on its own, which still caps guessing at
//! a few tries per minute per instance.
//!
//! Time comes in as a parameter (`*_at`), so the window's edges are tested
//! without waiting five minutes.

use crate::app::AppError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_FAILURES: usize = 5;
/// Failures from one address (an office shares one; keep it generous).
pub const MAX_FAILURES_PER_ADDRESS: usize = 30;
const WINDOW: Duration = Duration::from_secs(300);
/// Names with failures kept at most; past it, names whose failures have
/// all expired are forgotten (random names must not grow memory for ever).
const MAX_NAMES: usize = 10_000;

#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    /// Refuses while `name` (or the address) has failed too often lately.
    pub fn check(&self, name: &str, address: Option<&str>) -> Result<(), AppError> {
        let now = Instant::now();
        self.check_at(name, MAX_FAILURES, now)?;
        match address {
            Some(a) => self.check_at(&format!("address {a}"), MAX_FAILURES_PER_ADDRESS, now),
            None => Ok(()),
        }
    }

    /// Counts a failure; true when it is the one that locks the name.
    pub fn failed(&self, name: &str, address: Option<&str>) -> bool {
        let now = Instant::now();
        if let Some(a) = address {
            self.failed_at(&format!("address {a}"), now);
        }
        self.failed_at(name, now) == MAX_FAILURES
    }

    fn check_at(&self, key: &str, max: usize, now: Instant) -> Result<(), AppError> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(recent) = map.get_mut(key) else { return Ok(()) };
        recent.retain(|t| now.duration_since(*t) < WINDOW);
        if recent.len() >= max { Err(AppError::TooManyAttempts) } else { Ok(()) }
    }

    /// Returns how many recent failures `key` has now.
    fn failed_at(&self, key: &str, now: Instant) -> usize {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_NAMES {
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        let recent = map.entry(key.to_string()).or_default();
        recent.retain(|t| now.duration_since(*t) < WINDOW);
        recent.push(now);
        recent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_name_for_the_window_and_no_other() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for n in 1..=5 {
            assert!(limiter.check_at("zx", MAX_FAILURES, t0).is_ok(), "attempt {n} may try");
            limiter.failed_at("zx", t0);
        }
        assert!(matches!(limiter.check_at("zx", MAX_FAILURES, t0), Err(AppError::TooManyAttempts)), "the 6th is refused");
        assert!(limiter.check_at("zh", MAX_FAILURES, t0).is_ok(), "another user is unaffected");
        let almost = t0 + WINDOW - Duration::from_secs(1);
        assert!(limiter.check_at("zx", MAX_FAILURES, almost).is_err(), "still locked a second before the window ends");
        assert!(limiter.check_at("zx", MAX_FAILURES, t0 + WINDOW).is_ok(), "open again when the window ends");
    }

    #[test]
    fn failures_spread_over_more_than_the_window_never_lock() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for n in 0..12u64 {
            let at = t0 + Duration::from_secs(70 * n);
            assert!(limiter.check_at("zx", MAX_FAILURES, at).is_ok(), "failure {n}");
            limiter.failed_at("zx", at);
        }
    }

    #[test]
    fn one_address_guessing_many_names_is_stopped_too() {
        let limiter = Limiter::default();
        for n in 0..MAX_FAILURES_PER_ADDRESS {
            assert!(limiter.check(&format!("user{n}"), Some("10.0.0.9")).is_ok());
            limiter.failed(&format!("user{n}"), Some("10.0.0.9"));
        }
        assert!(limiter.check("someone-else", Some("10.0.0.9")).is_err(), "the address is locked");
        assert!(limiter.check("someone-else", Some("10.0.0.10")).is_ok(), "another address is not");
        assert!((1..=4).all(|_| !limiter.failed("victim", None)) && limiter.failed("victim", None), "the fifth failure is the one that locks");
    }

    #[test]
    fn forgotten_names_do_not_pile_up() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for n in 0..MAX_NAMES {
            limiter.failed_at(&format!("user{n}"), t0);
        }
        limiter.failed_at("late", t0 + WINDOW);
        assert_eq!(limiter.failures.lock().unwrap().len(), 1);
    }
}
