//! Delivery: the outbox's rows onto the wire, each at most once.
//!
//! A sender *claims* a due row before it talks to the SMTP server: one
//! conditional UPDATE sets `claimed_by` (this instance) and `claimed_until`
//! (a lease on the real clock), and only the sender whose UPDATE changed the
//! row sends it. Another worker, the test-clock request and other instances
//! on the same database skip claimed rows (PostgreSQL: `FOR UPDATE SKIP
//! LOCKED`; SQLite: the single writer makes the UPDATE atomic). After the
//! exchange the holder marks the row sent, or schedules a retry. While a
//! mail is in flight a heartbeat renews its lease, so a slow server never
//! loses it; if the holder dies (kill -9) the lease runs out and another
//! sender takes the row.
//!
//! The one duplicate left is the one SMTP itself forces: the server said 250
//! and the process died before `sent_at` was committed. Then the row is sent
//! again once its lease expires. An instance has one mail in flight at a
//! time (the worker and the test-clock request take turns), so a crash
//! duplicates at most one mail.

use super::{App, AppResult, outbox};
use crate::core::LocalTime;
use crate::db::entities::outbox as row;
use crate::db::sql;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement, Value};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::Instrument;

/// How long a claim holds without a heartbeat: past it the holder is taken
/// for dead.
const LEASE: Duration = Duration::from_secs(30);
/// How often the holder renews the leases of the mails it is sending.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How often an idle worker looks for due mail (another instance's, or one
/// whose retry time came); new mail of this instance wakes it at once.
const POLL: Duration = Duration::from_millis(500);
/// Retry after a failure: 2 s, 4 s, 8 s … never more than a minute apart,
/// on the real clock — a relay that comes back is used within a minute,
/// whatever the test clock says.
const RETRY_FIRST_SECS: i64 = 2;
const RETRY_MAX_SECS: i64 = 60;

/// Per instance: who we are, what we are sending, and a bell for new mail.
pub struct Delivery {
    pub instance: String,
    in_flight: Mutex<HashSet<i64>>,
    wake: tokio::sync::Notify,
    /// One mail in flight per instance: a kill -9 can then leave at most
    /// one mail that the server accepted and we did not mark.
    sending: tokio::sync::Mutex<()>,
}

impl Default for Delivery {
    fn default() -> Delivery {
        Delivery {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            in_flight: Mutex::default(),
            wake: tokio::sync::Notify::new(),
            sending: tokio::sync::Mutex::new(()),
        }
    }
}

impl Delivery {
    /// Tells idle workers that mail may be due.
    pub fn ring(&self) {
        self.wake.notify_waiters();
    }

    fn in_flight(&self) -> Vec<i64> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().collect()
    }

    fn set_in_flight(&self, id: i64, on: bool) {
        let mut set = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if on {
            set.insert(id)
        } else {
            set.remove(&id)
        };
    }
}

fn wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// One delivery worker: claim, send, mark, until the process stops.
pub async fn run_worker(app: App) {
    loop {
        let woken = app.delivery.wake.notified();
        match deliver_one(&app).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "mail delivery failed; retrying"),
        }
        let _ = tokio::time::timeout(POLL, woken).await;
    }
}

/// Renews the leases of this instance's mails in flight, until the process stops.
pub async fn run_heartbeat(app: App) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        if let Err(e) = renew(&app).await {
            tracing::error!(error = %e, "failed to renew mail leases");
        }
    }
}

/// Sends what is due now and returns how many went out; stops at
/// `deadline` (a slow relay must not hold the caller: the worker finishes
/// the rest).
pub async fn drain(app: &App, deadline: tokio::time::Instant) -> AppResult<usize> {
    let mut sent = 0;
    while tokio::time::Instant::now() < deadline {
        if deliver_one(app).await? {
            sent += 1;
            continue;
        }
        // A dispatch mail holds back a moment for a second list of its
        // instant (`outbox::enqueue_or_extend`): wait for it, so that the
        // clock's request returns with its mail sent. Refused mail is not
        // waited for: its retries are the worker's.
        match first_held(app).await? {
            Some(at) if at < deadline => tokio::time::sleep_until(at).await,
            _ => break,
        }
    }
    Ok(sent)
}

/// When the earliest mail that is due, never tried and held back becomes sendable.
async fn first_held(app: &App) -> AppResult<Option<tokio::time::Instant>> {
    let now = app.now().await?;
    let wall = wall_ms();
    let text = "SELECT MIN(retry_at) FROM outbox WHERE sent_at IS NULL AND attempts = 0 AND send_after <= ? AND retry_at > ?";
    let statement = Statement::from_sql_and_values(app.backend(), sql(app.backend(), text), [now.to_string().into(), wall.into()]);
    let row = app.db.query_one_raw(statement).await?;
    let at: Option<i64> = row.map(|r| r.try_get_by_index(0)).transpose()?.flatten();
    Ok(at.map(|at| tokio::time::Instant::now() + Duration::from_millis(u64::try_from(at - wall).unwrap_or(0) + 10)))
}

/// Claims one due mail, sends it and marks it; false if none was due.
async fn deliver_one(app: &App) -> AppResult<bool> {
    let _turn = app.delivery.sending.lock().await;
    let now = app.now().await?;
    let Some(mail) = claim(app, now).await? else { return Ok(false) };
    let span = tracing::info_span!("deliver", key = %mail.key, attempt = mail.attempts);
    async {
        app.delivery.set_in_flight(mail.id, true);
        let result = outbox::send(app, &mail).await;
        let marked = match &result {
            Ok(()) => mark_sent(app, &mail).await,
            Err(e) => mark_failed(app, &mail, &format!("{e:#}")).await,
        };
        app.delivery.set_in_flight(mail.id, false);
        match &result {
            Ok(()) => app.metrics.mail_sent(),
            Err(e) => {
                let (reason, smtp) = crate::mail::failure_reason(e);
                app.metrics.mail_failed(reason, smtp);
                tracing::warn!(error = %format!("{e:#}"), "mail not sent; will retry");
            }
        }
        marked.map(|()| true)
    }
    .instrument(span)
    .await
}

/// The claim: a conditional UPDATE that only one sender can win.
async fn claim(app: &App, now: LocalTime) -> AppResult<Option<row::Model>> {
    let backend = app.backend();
    let wall = wall_ms();
    let text = claim_sql(backend);
    let values: Vec<Value> =
        vec![app.delivery.instance.clone().into(), (wall + ms(LEASE)).into(), wall.into(), wall.into(), now.to_string().into(), wall.into()];
    let tx = app.write().await?;
    let Some(claimed) = tx.query_one_raw(Statement::from_sql_and_values(backend, sql(backend, &text), values)).await? else { return Ok(None) };
    let id: i64 = claimed.try_get("", "id")?;
    let mail = row::Entity::find_by_id(id).one(&tx).await?;
    tx.commit().await?;
    Ok(mail)
}

/// The claim's UPDATE: the first free, due mail in the order of the
/// partial index `outbox_unsent`, so a claim reads a few index entries
/// however many mails wait.
fn claim_sql(backend: DbBackend) -> String {
    let skip_locked = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let free = "sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)";
    format!(
        "UPDATE outbox SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1 \
         WHERE {free} AND id = (SELECT id FROM outbox WHERE {free} AND send_after <= ? AND (retry_at IS NULL OR retry_at <= ?) \
         ORDER BY send_after, id LIMIT 1{skip_locked}) RETURNING id"
    )
}

async fn mark_sent(app: &App, mail: &row::Model) -> AppResult<()> {
    let now = app.now().await?;
    let text = "UPDATE outbox SET sent_at = ?, claimed_by = NULL, claimed_until = NULL, retry_at = NULL, last_error = NULL WHERE id = ? AND claimed_by = ?";
    release(app, mail, text, vec![now.to_string().into(), mail.id.into(), app.delivery.instance.clone().into()]).await
}

async fn mark_failed(app: &App, mail: &row::Model, error: &str) -> AppResult<()> {
    let delay = (RETRY_FIRST_SECS << (mail.attempts - 1).clamp(0, 10)).min(RETRY_MAX_SECS);
    let text = "UPDATE outbox SET retry_at = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?";
    release(app, mail, text, vec![(wall_ms() + delay * 1000).into(), error.into(), mail.id.into(), app.delivery.instance.clone().into()]).await
}

async fn release(app: &App, mail: &row::Model, text: &str, values: Vec<Value>) -> AppResult<()> {
    let backend = app.backend();
    let tx = app.write().await?;
    let done = tx.execute_raw(Statement::from_sql_and_values(backend, sql(backend, text), values)).await?;
    tx.commit().await?;
    if done.rows_affected() == 0 {
        // Only if this instance stalled past its lease and another took the row.
        tracing::error!(key = %mail.key, "lost the claim on a mail while sending it");
    }
    Ok(())
}

/// Extends the leases of the mails this instance is sending right now.
async fn renew(app: &App) -> AppResult<()> {
    let ids = app.delivery.in_flight();
    if ids.is_empty() {
        return Ok(());
    }
    let backend = app.backend();
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let text = format!("UPDATE outbox SET claimed_until = ? WHERE claimed_by = ? AND sent_at IS NULL AND id IN ({list})");
    let tx = app.write().await?;
    tx.execute_raw(Statement::from_sql_and_values(backend, sql(backend, &text), [(wall_ms() + ms(LEASE)).into(), app.delivery.instance.clone().into()]))
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, Statement};

    /// The claim reads the unsent mails in order from their index: not
    /// every unsent row, sorted (a scan per mail sent made a backlog of
    /// 20,000 drain at 28 mails a second).
    #[tokio::test]
    async fn a_claim_reads_the_first_unsent_mail_by_index() {
        let values = ["me".into(), 2i64.into(), 1i64.into(), 1i64.into(), "2021-05-01T08:00:00".into(), 1i64.into()];
        let plan = crate::db::sqlite_plan(Statement::from_sql_and_values(DbBackend::Sqlite, super::claim_sql(DbBackend::Sqlite), values)).await;
        assert!(plan.iter().any(|d| d.contains("outbox_unsent")), "{plan:?}");
        assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE")), "{plan:?}");
    }
}
