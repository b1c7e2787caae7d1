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

pub struct SessionCache {
    kept: Mutex<Kept>,
    /// Whether sessions may be kept: always on SQLite (one process owns the
    /// file), on PostgreSQL only while this instance hears the others.
    enabled: AtomicBool,
}

#[derive(Default)]
struct Kept {
    /// Each session with when it was read.
    sessions: HashMap<String, (Known, Instant)>,
    /// How many times anything was forgotten: a read that began before a
    /// forgetting must not put back what it read.
    epoch: u64,
}

impl SessionCache {
    pub fn new(enabled: bool) -> SessionCache {
        SessionCache { kept: Mutex::default(), enabled: AtomicBool::new(enabled) }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session behind `token`, if it was read less than [`KEEP`] ago,
    /// and the epoch to give [`SessionCache::put`] with what is read or
    /// written next: a session ended meanwhile (its notice heard, or this
    /// instance ending it) is then not kept.
    pub fn get(&self, token: &str) -> (Option<Known>, u64) {
        let kept = self.kept();
        let known = match kept.sessions.get(token) {
            Some((known, at)) if self.enabled.load(Ordering::Acquire) && at.elapsed() < KEEP => Some(known.clone()),
            _ => None,
        };
        (known, kept.epoch)
    }

    /// Keeps `known`, read since [`SessionCache::get`] gave `epoch`,
    /// unless something was forgotten meanwhile.
    pub fn put(&self, token: &str, known: Known, epoch: u64) {
        if !self.enabled.load(Ordering::Acquire) {
            return;
        }
        let mut kept = self.kept();
        if kept.epoch != epoch {
            return;
        }
        // Stale entries go when the map grows: it never holds more than
        // the sessions of the last few seconds.
        if kept.sessions.len() >= 1024 {
            kept.sessions.retain(|_, (_, at)| at.elapsed() < KEEP);
        }
        kept.sessions.insert(token.to_string(), (known, Instant::now()));
    }

    /// Forgets every session of `user_id` (ended, or its user changed).
    pub fn forget_user(&self, user_id: &str) {
        let mut kept = self.kept();
        kept.sessions.retain(|_, (known, _)| known.actor.user_id != user_id);
        kept.epoch += 1;
    }

    fn forget_all(&self) {
        let mut kept = self.kept();
        kept.sessions.clear();
        kept.epoch += 1;
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
        cache.put("t1", known("u1"), cache.get("t1").1);
        cache.put("t2", known("u1"), cache.get("t2").1);
        cache.put("t3", known("u2"), cache.get("t3").1);
        assert!(cache.get("t1").0.is_some());
        cache.forget_user("u1");
        assert!(cache.get("t1").0.is_none() && cache.get("t2").0.is_none());
        assert_eq!(cache.get("t3").0.map(|k| k.actor.user_id), Some("u2".to_string()));
        cache.suspend();
        assert!(cache.get("t3").0.is_none());
        cache.put("t4", known("u3"), cache.get("t4").1);
        assert!(cache.get("t4").0.is_none());
        cache.resume();
        assert!(cache.get("t3").0.is_none(), "resuming starts empty");
        cache.put("t4", known("u3"), cache.get("t4").1);
        assert!(cache.get("t4").0.is_some());
    }

    /// A read that began before a sign-out was heard does not keep the
    /// session it read: it may be the one just ended.
    #[test]
    fn a_session_read_while_it_ended_is_not_kept() {
        let cache = SessionCache::new(true);
        let before = cache.get("t1").1;
        cache.forget_user("u1");
        cache.put("t1", known("u1"), before);
        assert!(cache.get("t1").0.is_none());
        cache.put("t1", known("u1"), cache.get("t1").1);
        assert!(cache.get("t1").0.is_some());
    }
}
