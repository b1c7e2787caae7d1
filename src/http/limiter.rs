//! Sign-in rate limit: a handful of failures per user name per window, then
//! 429 until the window passes. In memory: each instance limits on its own,
//! which still caps guessing at a few tries per minute per instance.
//!
//! Time comes in as a parameter (`*_at`), so the window's edges are tested
//! without waiting five minutes.

use crate::app::AppError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(300);
/// Names with failures kept at most; past it, names whose failures have
/// all expired are forgotten (random names must not grow memory for ever).
const MAX_NAMES: usize = 10_000;

#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    pub fn check(&self, username: &str) -> Result<(), AppError> {
        self.check_at(username, Instant::now())
    }

    pub fn failed(&self, username: &str) {
        self.failed_at(username, Instant::now());
    }

    fn check_at(&self, username: &str, now: Instant) -> Result<(), AppError> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(recent) = map.get_mut(username) else { return Ok(()) };
        recent.retain(|t| now.duration_since(*t) < WINDOW);
        if recent.len() >= MAX_FAILURES { Err(AppError::TooManyAttempts) } else { Ok(()) }
    }

    fn failed_at(&self, username: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_NAMES {
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        map.entry(username.to_string()).or_default().push(now);
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
            assert!(limiter.check_at("zx", t0).is_ok(), "attempt {n} may try");
            limiter.failed_at("zx", t0);
        }
        assert!(matches!(limiter.check_at("zx", t0), Err(AppError::TooManyAttempts)), "the 6th is refused");
        assert!(limiter.check_at("zh", t0).is_ok(), "another user is unaffected");
        let almost = t0 + WINDOW - Duration::from_secs(1);
        assert!(limiter.check_at("zx", almost).is_err(), "still locked a second before the window ends");
        assert!(limiter.check_at("zx", t0 + WINDOW).is_ok(), "open again when the window ends");
    }

    #[test]
    fn failures_spread_over_more_than_the_window_never_lock() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for n in 0..12u64 {
            let at = t0 + Duration::from_secs(70 * n);
            assert!(limiter.check_at("zx", at).is_ok(), "failure {n}");
            limiter.failed_at("zx", at);
        }
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
