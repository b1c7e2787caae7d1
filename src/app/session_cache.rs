//! Live sessions kept in memory for a few seconds (issue 12).
//!
//! Every request checks its session: one statement of the two a page
//! takes. With 16 readers on PostgreSQL that round trip was what kept the
//! pages above 3× the raw query for their rows. A session read here is
//! kept for [`KEEP`] and forgotten at once when anything ends it:
//!
//! - in this instance, by the use case that ended it (sign-out, a password
//!   changed or reset, a session ended from another device), after its
//!   commit;
//! - in the other instances on PostgreSQL, by a `NOTIFY` sent in the same
//!   transaction (delivered only if it commits), naming the user whose
//!   sessions changed. Each instance listens on its own connection; while
//!   it is not listening, or after its connection dropped (notices may
//!   have been missed), it forgets everything and keeps nothing.
//!
//! [`KEEP`] bounds what a missed notice could cost. The idle and lifetime
//! limits are still checked on every request, against the times read.

use super::Actor;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a session read is trusted without reading it again.
pub const KEEP: Duration = Duration::from_secs(5);

/// The channel instances tell each other on (PostgreSQL).
pub const CHANNEL: &str = "jiaoban_sessions";

/// A session as read: who, and the times its limits are checked against.
#[derive(Clone)]
pub struct Known {
    pub actor: Actor,
    pub created: Option<DateTime<Utc>>,
    pub seen: Option<DateTime<Utc>>,
}

/// The sessions kept, each with when it was read, and the epoch.
type Kept = (HashMap<String, (Known, Instant)>, u64);

pub struct SessionCache {
    /// The sessions, and how many times anything was forgotten: a read
    /// that began before a forgetting must not put back what it read.
    entries: Mutex<Kept>,
    /// Whether sessions may be kept: always on SQLite (one process owns the
    /// file), on PostgreSQL only while this instance hears the others.
    enabled: AtomicBool,
}

impl SessionCache {
    pub fn new(enabled: bool) -> SessionCache {
        SessionCache { entries: Mutex::default(), enabled: AtomicBool::new(enabled) }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Taken before reading a session from the database, given back to
    /// [`SessionCache::put`]: a session ended while it was being read (its
    /// notice heard, or this instance ending it) is not kept.
    pub fn epoch(&self) -> u64 {
        self.entries().1
    }

    /// The session behind `token`, if it was read less than [`KEEP`] ago.
    pub fn get(&self, token: &str) -> Option<Known> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries();
        let (known, at) = entries.0.get(token)?;
        (at.elapsed() < KEEP).then(|| known.clone())
    }

    /// Keeps `known`, read since [`SessionCache::epoch`] gave `epoch`,
    /// unless something was forgotten meanwhile.
    pub fn put(&self, token: &str, known: Known, epoch: u64) {
        if !self.enabled.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries();
        if entries.1 != epoch {
            return;
        }
        // Stale entries go when the map grows: it never holds more than
        // the sessions of the last few seconds.
        if entries.0.len() >= 1024 {
            entries.0.retain(|_, (_, at)| at.elapsed() < KEEP);
        }
        entries.0.insert(token.to_string(), (known, Instant::now()));
    }

    /// Forgets every session of `user_id` (ended, or its user changed).
    pub fn forget_user(&self, user_id: &str) {
        let mut entries = self.entries();
        entries.0.retain(|_, (known, _)| known.actor.user_id != user_id);
        entries.1 += 1;
    }

    fn forget_all(&self) {
        let mut entries = self.entries();
        entries.0.clear();
        entries.1 += 1;
    }

    /// Keeps nothing until [`SessionCache::resume`] (PostgreSQL: not
    /// listening, so another instance's sign-out would go unheard).
    pub fn suspend(&self) {
        self.enabled.store(false, Ordering::Release);
        self.forget_all();
    }

    /// Whether sessions are kept now (see [`SessionCache::suspend`]).
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    pub fn resume(&self) {
        self.forget_all();
        self.enabled.store(true, Ordering::Release);
    }
}

/// Hears the other instances' session changes (PostgreSQL) for as long as
/// the pool is open: each notice names a user whose sessions to read again.
/// Sessions are kept only while listening; a dropped connection forgets
/// them all (notices may have been missed meanwhile).
pub async fn listen(pool: sea_orm::sqlx::PgPool, cache: std::sync::Arc<SessionCache>) {
    use sea_orm::sqlx::postgres::PgListener;
    // Retries back off to a minute: a database that cannot LISTEN (behind
    // a transaction-mode pooler) would otherwise fill the log.
    let mut wait = Duration::from_secs(1);
    while !pool.is_closed() {
        let subscribed = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = match subscribed.await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?wait, "cannot hear other instances' sign-outs; sessions are read every request");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(60));
                continue;
            }
        };
        wait = Duration::from_secs(1);
        cache.resume();
        loop {
            match listener.try_recv().await {
                Ok(Some(notice)) => cache.forget_user(notice.payload()),
                // Reconnected (sqlx listens again): what was kept may be stale.
                Ok(None) => cache.resume(),
                Err(e) => {
                    tracing::warn!(error = %e, "lost the session notices; sessions are read every request until they are heard again");
                    break;
                }
            }
        }
        cache.suspend();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::state::Role;

    fn known(user: &str) -> Known {
        let actor = Actor { user_id: user.into(), username: user.into(), name: user.into(), role: Role::Unit, unit_id: None, must_change_password: false };
        Known { actor, created: None, seen: None }
    }

    #[test]
    fn a_user_forgotten_is_read_again_and_a_suspended_cache_keeps_nothing() {
        let cache = SessionCache::new(true);
        cache.put("t1", known("u1"), cache.epoch());
        cache.put("t2", known("u1"), cache.epoch());
        cache.put("t3", known("u2"), cache.epoch());
        assert!(cache.get("t1").is_some());
        cache.forget_user("u1");
        assert!(cache.get("t1").is_none() && cache.get("t2").is_none());
        assert_eq!(cache.get("t3").map(|k| k.actor.user_id), Some("u2".to_string()));
        cache.suspend();
        assert!(cache.get("t3").is_none());
        cache.put("t4", known("u3"), cache.epoch());
        assert!(cache.get("t4").is_none());
        cache.resume();
        assert!(cache.get("t3").is_none(), "resuming starts empty");
        cache.put("t4", known("u3"), cache.epoch());
        assert!(cache.get("t4").is_some());
    }

    /// A read that began before a sign-out was heard does not keep the
    /// session it read: it may be the one just ended.
    #[test]
    fn a_session_read_while_it_ended_is_not_kept() {
        let cache = SessionCache::new(true);
        let before = cache.epoch();
        cache.forget_user("u1");
        cache.put("t1", known("u1"), before);
        assert!(cache.get("t1").is_none());
        cache.put("t1", known("u1"), cache.epoch());
        assert!(cache.get("t1").is_some());
    }
}
