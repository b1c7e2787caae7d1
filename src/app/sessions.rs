//! Signing in and out, sessions and passwords (OWASP ASVS 2 and 3).
//!
//! A session is a server-side row behind a random token. It ends when its
//! user signs out, after `idle` without a request, after `lifetime` however
//! busy, when its user changes the password (the others end), or when an
//! admin resets it. Times here are the real clock's: a test clock moves
//! issues, not people. The cookie is a browser-session cookie unless the
//! user asks to be remembered (then it lasts the lifetime).

use super::audit::{self, Entry};
use super::identity::{canonical, check_password};
use super::session_cache::{CHANNEL, Known};
use super::{Actor, App, AppError, AppResult};
use crate::core::state::Role;
use crate::db::entities::{session, user};
use crate::db::sql;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, Statement};
use serde::Serialize;
use std::time::Duration;

/// How long sessions live (configuration; defaults 2 h idle, 12 h in all).
#[derive(Debug, Clone, Copy)]
pub struct SessionRules {
    pub idle: Duration,
    pub lifetime: Duration,
}

impl Default for SessionRules {
    fn default() -> SessionRules {
        SessionRules { idle: Duration::from_secs(2 * 3600), lifetime: Duration::from_secs(12 * 3600) }
    }
}

/// A sign-in's last-seen time is written at most this often.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn parse(t: &Option<String>) -> Option<DateTime<Utc>> {
    t.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc))
}

/// Argon2 is deliberately slow: hash off the async threads.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("failed to hash a password: {e}")))
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()))
        .await
        .unwrap_or(false)
}

/// The user a typed name means: the same normal form ([`canonical`]).
async fn user_named(app: &App, typed: &str) -> AppResult<Option<user::Model>> {
    let wanted = canonical(typed);
    if wanted.is_empty() {
        return Ok(None);
    }
    // Users are few; comparing every stored name in its normal form also
    // finds names stored by earlier releases before they were normalised.
    Ok(user::Entity::find().all(&app.db).await?.into_iter().find(|u| canonical(&u.username) == wanted))
}

/// What a sign-in gives: the token for the cookie, who it is, and whether
/// the cookie should outlive the browser session.
pub struct SignedIn {
    pub token: String,
    pub actor: Actor,
    pub remember: bool,
}

/// Checks the password and opens a session. Failures are audited.
#[tracing::instrument(skip_all, fields(action = "sign_in", user = %username))]
pub async fn sign_in(app: &App, username: &str, password: &str, remember: bool, ip: Option<String>) -> AppResult<SignedIn> {
    let row = user_named(app, username).await?;
    // Verify against a dummy hash for unknown users, so timing does not tell.
    let hash =
        row.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG".into());
    let ok = verify_password(password.to_string(), hash).await;
    let Some(row) = row.filter(|_| ok) else {
        audit::note(app, Entry { actor: &canonical(username), action: "sign_in_failed", target: None, detail: None, ip }).await?;
        return Err(AppError::Unauthenticated);
    };
    let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let now = Utc::now();
    let lifetime = chrono::Duration::from_std(app.sessions.lifetime).unwrap_or_default();
    let tx = app.write().await?;
    session::ActiveModel {
        token: Set(token.clone()),
        user_id: Set(row.id.clone()),
        expires_at: Set(stamp(now + lifetime)),
        id: Set(Some(uuid::Uuid::new_v4().simple().to_string())),
        created_at: Set(Some(stamp(now))),
        last_seen_at: Set(Some(stamp(now))),
        remember: Set(remember),
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, Entry { actor: &row.username, action: "sign_in", target: None, detail: None, ip }).await?;
    tx.commit().await?;
    Ok(SignedIn { token, actor: super::accounts::actor_of(row), remember })
}

#[tracing::instrument(skip_all, fields(action = "sign_out"), err)]
pub async fn sign_out(app: &App, token: &str) -> AppResult<()> {
    let tx = app.write().await?;
    let ended = session::Entity::delete_by_id(token.to_string()).exec_with_returning(&tx).await?;
    match ended {
        Some(ended) => commit_telling(app, tx, &ended.user_id).await,
        None => tx.commit().await,
    }
}

/// The actor behind a session token, if the session is alive. Every
/// request asks this: the session is read (one statement, session joined
/// with user) at most once in [`super::session_cache::KEEP`] by this
/// instance, its limits checked every time, and the last-seen time written
/// at most once a minute.
pub async fn session_actor(app: &App, token: &str) -> AppResult<Option<Actor>> {
    let (kept, epoch) = app.session_cache.get(token);
    let known = match kept {
        Some(known) => known,
        None => match read_session(app, token).await? {
            Some(known) => {
                app.session_cache.put(token, known.clone(), epoch);
                known
            }
            None => return Ok(None),
        },
    };
    let now = Utc::now();
    let alive = |since: Option<DateTime<Utc>>, limit: Duration| since.is_some_and(|t| (now - t).to_std().is_ok_and(|age| age < limit) || t > now);
    // A session of an earlier release has no start: it counts as over.
    if !alive(known.created, app.sessions.lifetime) || !alive(known.seen, app.sessions.idle) {
        return Ok(None);
    }
    if known.seen.is_some_and(|t| (now - t).to_std().is_ok_and(|age| age >= TOUCH_EVERY)) {
        let tx = app.write().await?;
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(stamp(now)))
            .filter(session::Column::Token.eq(token))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        app.session_cache.put(token, Known { seen: Some(now), ..known.clone() }, epoch);
    }
    Ok(Some(known.actor))
}

/// The session behind `token` as stored: one statement, session joined
/// with its user.
async fn read_session(app: &App, token: &str) -> AppResult<Option<Known>> {
    let text = "SELECT u.id, u.username, u.role, u.unit_id, u.display_name, u.must_change_password, s.created_at, s.last_seen_at \
                FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token = ?";
    let statement = Statement::from_sql_and_values(app.backend(), sql(app.backend(), text), [token.into()]);
    let Some(row) = app.db.query_one_raw(statement).await? else { return Ok(None) };
    let role: String = row.try_get("", "role")?;
    let username: String = row.try_get("", "username")?;
    let name: Option<String> = row.try_get("", "display_name")?;
    let actor = Actor {
        user_id: row.try_get("", "id")?,
        name: name.unwrap_or_else(|| username.clone()),
        username,
        role: role.parse().unwrap_or(Role::Assessor),
        unit_id: row.try_get("", "unit_id")?,
        must_change_password: row.try_get("", "must_change_password")?,
    };
    Ok(Some(Known { actor, created: parse(&row.try_get("", "created_at")?), seen: parse(&row.try_get("", "last_seen_at")?) }))
}

/// Commits `tx`, which ended or changed `user_id`'s sessions, and tells
/// every instance: on PostgreSQL a notice sent with the commit to the
/// others; this one forgets what it kept of them after the commit.
async fn commit_telling(app: &App, tx: super::write::Write, user_id: &str) -> AppResult<()> {
    if tx.get_database_backend() == sea_orm::DbBackend::Postgres {
        let notify = Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, "SELECT pg_notify($1, $2)", [CHANNEL.into(), user_id.into()]);
        tx.execute_raw(notify).await?;
    }
    tx.commit().await?;
    app.session_cache.forget_user(user_id);
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct SessionView {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub remember: bool,
    /// The session this request came with.
    pub current: bool,
}

/// The actor's live sessions, newest first.
pub async fn list(app: &App, actor: &Actor, token: &str) -> AppResult<Vec<SessionView>> {
    let rows = session::Entity::find().filter(session::Column::UserId.eq(actor.user_id.clone())).order_by_desc(session::Column::CreatedAt).all(&app.db).await?;
    Ok(rows
        .into_iter()
        .filter(|s| s.created_at.is_some())
        .map(|s| SessionView {
            current: s.token == token,
            id: s.id.unwrap_or_default(),
            created_at: s.created_at.unwrap_or_default(),
            last_seen_at: s.last_seen_at.unwrap_or_default(),
            remember: s.remember,
        })
        .collect())
}

/// Ends one of the actor's own sessions (another device, say).
pub async fn end(app: &App, actor: &Actor, id: &str) -> AppResult<()> {
    let tx = app.write().await?;
    let gone = session::Entity::delete_many().filter(session::Column::UserId.eq(actor.user_id.clone())).filter(session::Column::Id.eq(id)).exec(&tx).await?;
    if gone.rows_affected == 0 {
        return Err(AppError::NotFound("没有这个会话 (no such session of yours)".into()));
    }
    commit_telling(app, tx, &actor.user_id).await
}

async fn set_password(db: &impl ConnectionTrait, user_id: &str, hash: String, must_change: bool) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::MustChangePassword, Expr::value(must_change))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// `POST /api/session/password`: the signed-in user's own password. Its
/// other sessions end; this one goes on.
#[tracing::instrument(skip_all, fields(action = "change_password", user = %actor.username), err)]
pub async fn change_password(app: &App, actor: &Actor, token: &str, current: &str, new: &str, ip: Option<String>) -> AppResult<()> {
    let row = user::Entity::find_by_id(actor.user_id.clone()).one(&app.db).await?.ok_or(AppError::Unauthenticated)?;
    if !verify_password(current.to_string(), row.password_hash.clone()).await {
        return Err(AppError::BadInput("当前密码不正确 (the current password is wrong)".into()));
    }
    if current == new {
        return Err(AppError::BadInput("新密码不能与当前密码相同 (the new password is the old one)".into()));
    }
    check_password(new, &actor.username)?;
    let hash = hash_password(new.to_string()).await?;
    let tx = app.write().await?;
    set_password(&tx, &actor.user_id, hash, false).await?;
    session::Entity::delete_many().filter(session::Column::UserId.eq(actor.user_id.clone())).filter(session::Column::Token.ne(token)).exec(&tx).await?;
    audit::record(&tx, Entry { actor: &actor.username, action: "password_changed", target: None, detail: None, ip }).await?;
    commit_telling(app, tx, &actor.user_id).await
}

/// An admin sets a user's password; the user must change it at its next
/// sign-in, and every session of the user ends now.
#[tracing::instrument(skip_all, fields(action = "reset_password", user = %admin.username), err)]
pub async fn reset_password(app: &App, admin: &Actor, user_id: &str, new: &str, ip: Option<String>) -> AppResult<()> {
    admin.require(&[Role::Admin])?;
    let row = user::Entity::find_by_id(user_id.to_string())
        .one(&app.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("用户 `{user_id}` 不存在 (no such user)")))?;
    check_password(new, &row.username)?;
    let hash = hash_password(new.to_string()).await?;
    let tx = app.write().await?;
    set_password(&tx, &row.id, hash, true).await?;
    session::Entity::delete_many().filter(session::Column::UserId.eq(row.id.clone())).exec(&tx).await?;
    audit::record(&tx, Entry { actor: &admin.username, action: "password_reset", target: Some(row.username.clone()), detail: None, ip }).await?;
    commit_telling(app, tx, &row.id).await
}
