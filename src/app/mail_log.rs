//! The mail log (`GET /api/mails`, the admin page's latest mails): what
//! was owed, to whom, and whether it went.
//!
//! A province's outbox holds millions of rows, many with a workbook
//! attached, so the log never reads a whole row, nor the whole table at
//! once: it selects the columns it shows, a page at a time in the index
//! `outbox_order` (send_after, key). Before (until m20261219), the admin
//! page read every row, bodies and attachments included, to show thirty.

use super::{Actor, App, AppResult};
use crate::core::state::Role;
use crate::db::sql;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};

/// Rows read a page at a time (a chunk of the streamed log).
const PAGE: u64 = if cfg!(debug_assertions) { 3 } else { 2_000 };

#[derive(Debug, serde::Serialize)]
pub struct MailView {
    pub key: String,
    /// The instant the mail was owed (its Date).
    pub at: String,
    pub sent_at: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// A log row as read: what [`MailView`] shows, recipients still JSON text.
#[derive(FromQueryResult)]
struct Row {
    key: String,
    send_after: String,
    sent_at: Option<String>,
    recipients: String,
    cc: String,
    subject: String,
    attempts: i32,
    last_error: Option<String>,
}

impl From<Row> for MailView {
    fn from(r: Row) -> MailView {
        MailView {
            to: serde_json::from_str(&r.recipients).unwrap_or_default(),
            cc: serde_json::from_str(&r.cc).unwrap_or_default(),
            key: r.key,
            at: r.send_after,
            sent_at: r.sent_at,
            subject: r.subject,
            attempts: r.attempts,
            last_error: r.last_error,
        }
    }
}

const COLUMNS: &str = "key, send_after, sent_at, recipients, cc, subject, attempts, last_error";

fn may_read(actor: &Actor) -> AppResult<()> {
    actor.require(&[Role::Admin, Role::Dispatcher])
}

/// The `n` mails owed last, newest first (the admin page).
pub async fn newest(app: &App, actor: &Actor, n: u64) -> AppResult<Vec<MailView>> {
    may_read(actor)?;
    read(app, Statement::from_string(app.backend(), newest_sql(n))).await
}

/// The whole log, oldest first, a page at a time ([`MailLog::next`]).
pub fn log(app: &App, actor: &Actor) -> AppResult<MailLog> {
    may_read(actor)?;
    Ok(MailLog { app: app.clone(), after: None, done: false })
}

/// The log's pages, each starting after the last (send_after, key) of the
/// one before.
pub struct MailLog {
    app: App,
    after: Option<(String, String)>,
    done: bool,
}

impl MailLog {
    /// The next page; None once every mail was read.
    pub async fn next(&mut self) -> AppResult<Option<Vec<MailView>>> {
        if self.done {
            return Ok(None);
        }
        let backend = self.app.backend();
        let statement = match &self.after {
            None => Statement::from_string(backend, page_sql(false)),
            Some((at, key)) => {
                Statement::from_sql_and_values(backend, sql(backend, &page_sql(true)), [at.clone().into(), key.clone().into(), at.clone().into()])
            }
        };
        let page = read(&self.app, statement).await?;
        self.done = (page.len() as u64) < PAGE;
        if let Some(last) = page.last() {
            self.after = Some((last.at.clone(), last.key.clone()));
        }
        Ok(Some(page))
    }

    /// Whether every mail was read.
    pub fn done(&self) -> bool {
        self.done
    }
}

fn newest_sql(n: u64) -> String {
    format!("SELECT {COLUMNS} FROM outbox ORDER BY send_after DESC, key DESC LIMIT {n}")
}

/// A page of the log, the first or the one after a (send_after, key).
/// After a key, two seeks merged in order: the rest of that instant (a
/// list day's reminders share one), then the instants after it. SQLite
/// seeks a row value on its first column only, and would skip over the
/// same instant's mails again page after page.
fn page_sql(after: bool) -> String {
    match after {
        false => format!("SELECT {COLUMNS} FROM outbox ORDER BY send_after, key LIMIT {PAGE}"),
        true => format!(
            "SELECT {COLUMNS} FROM outbox WHERE send_after = ? AND key > ? \
             UNION ALL SELECT {COLUMNS} FROM outbox WHERE send_after > ? \
             ORDER BY send_after, key LIMIT {PAGE}"
        ),
    }
}

async fn read(app: &App, statement: Statement) -> AppResult<Vec<MailView>> {
    let rows = app.db.query_all_raw(statement).await?;
    rows.iter().map(|r| Ok(Row::from_query_result(r, "")?.into())).collect()
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, Statement};

    /// Every read of the log is the index `outbox_order` in order: no
    /// sort of the whole outbox, however many mails it holds.
    #[tokio::test]
    async fn the_log_reads_the_outbox_in_index_order() {
        let values = ["2021-03-01T09:00:00".into(), "k".into(), "2021-03-01T09:00:00".into()];
        for statement in [
            Statement::from_string(DbBackend::Sqlite, super::newest_sql(30)),
            Statement::from_string(DbBackend::Sqlite, super::page_sql(false)),
            Statement::from_sql_and_values(DbBackend::Sqlite, super::page_sql(true), values),
        ] {
            let plan = crate::db::sqlite_plan(statement).await;
            assert!(plan.iter().any(|d| d.contains("outbox_order")), "{plan:?}");
            assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE") && d != "SCAN outbox"), "{plan:?}");
        }
    }
}
