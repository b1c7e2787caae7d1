//! Sign-in rate limit: a handful of failures per user name per window, then
//! 429 until the window passes. In memory: each instance limits on its own,
//! which still caps guessing at a few tries per minute per instance.

use crate::app::AppError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(300);

#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    pub fn check(&self, username: &str) -> Result<(), AppError> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let recent = map.entry(username.to_string()).or_default();
        recent.retain(|t| t.elapsed() < WINDOW);
        if recent.len() >= MAX_FAILURES { Err(AppError::TooManyAttempts) } else { Ok(()) }
    }

    pub fn failed(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(username.to_string()).or_default().push(Instant::now());
    }
}
