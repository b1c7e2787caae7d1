//! What a batch of fired timers changes, gathered in memory and written
//! in a few statements: one DELETE of the timers, one UPDATE of the issues
//! they changed, multi-row INSERTs of charges, timers and mail.
//!
//! A catch-up after days down fires tens of thousands of timers; written
//! one statement at a time, the round trips to the database — not the
//! rules — take nearly all the time. The rules still run one timer at a
//! time, in order, on the issue as the earlier timers of the batch left
//! it: only the writing is grouped.

use super::write::Write;
use super::{AppError, AppResult};
use crate::db::entities::{charge, issue, outbox, timer};
use crate::db::sql;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value};
use std::collections::{HashMap, HashSet};

/// Rows per multi-row statement: under SQLite's limit of bound values
/// (32,766) for the widest row (outbox, 17 columns). Debug builds (the
/// tests) write 3 a statement, so that every batch a test makes is split.
pub(crate) const ROWS: usize = if cfg!(debug_assertions) { 3 } else { 500 };

#[derive(Default)]
pub(crate) struct Pending {
    fired: Vec<i64>,
    /// The batch's issues as its timers left them; `changed` in order.
    issues: HashMap<String, issue::Model>,
    changed: Vec<String>,
    /// `changed` as a set: a batch of 1,000 timers asks for an issue once per timer.
    marked: HashSet<String>,
    pub charges: Vec<charge::ActiveModel>,
    pub timers: Vec<timer::ActiveModel>,
    pub mails: Vec<outbox::ActiveModel>,
}

impl Pending {
    /// A batch of the timers' issues as they were read with them
    /// ([`super::due::next`]; an issue with several timers comes once each).
    pub fn new(issues: impl IntoIterator<Item = issue::Model>) -> Pending {
        let mut pending = Pending::default();
        for row in issues {
            pending.issues.entry(row.id.clone()).or_insert(row);
        }
        pending
    }

    pub fn fired(&mut self, timer: i64) {
        self.fired.push(timer);
    }

    pub fn issue(&self, id: &str) -> Option<&issue::Model> {
        self.issues.get(id)
    }

    /// The issue to change; it will be written back at the flush.
    pub fn issue_mut(&mut self, id: &str) -> Option<&mut issue::Model> {
        let row = self.issues.get_mut(id)?;
        if self.marked.insert(id.to_string()) {
            self.changed.push(id.to_string());
        }
        Some(row)
    }

    pub fn is_empty(&self) -> bool {
        self.fired.is_empty() && self.changed.is_empty() && self.charges.is_empty() && self.timers.is_empty() && self.mails.is_empty()
    }

    /// Writes everything gathered; the caller commits.
    pub async fn flush(mut self, tx: &Write) -> AppResult<()> {
        for ids in self.fired.chunks(ROWS) {
            timer::Entity::delete_many().filter(timer::Column::Id.is_in(ids.iter().copied())).exec(tx).await?;
        }
        let changed: Vec<issue::Model> = self.changed.iter().filter_map(|id| self.issues.remove(id)).collect();
        for rows in changed.chunks(ROWS) {
            update_issues(tx, rows).await?;
        }
        insert_all(tx, &self.charges).await?;
        insert_all(tx, &self.timers).await?;
        for rows in self.mails.chunks(ROWS) {
            // A key queued before (a repeated run) stays as it was.
            outbox::Entity::insert_many(rows.to_vec()).on_conflict_do_nothing_on([outbox::Column::Key]).exec_without_returning(tx).await?;
        }
        Ok(())
    }
}

/// Inserts `rows`, [`ROWS`] a statement.
pub(crate) async fn insert_all<A>(tx: &Write, rows: &[A]) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Clone + Send,
{
    for chunk in rows.chunks(ROWS) {
        A::Entity::insert_many(chunk.to_vec()).exec_without_returning(tx).await?;
    }
    Ok(())
}

/// The facts the rules change ([`super::convert::apply_facts`]): what a
/// fired timer writes back of its issue, and what a dispatch writes beside
/// its own columns (the rest of the row stays).
pub(crate) const FACTS: &[issue::Column] = &[
    issue::Column::State,
    issue::Column::DispatchedAt,
    issue::Column::Reports,
    issue::Column::LastReportAt,
    issue::Column::Charged,
    issue::Column::AwaitingAtOverdue,
    issue::Column::Assignment,
    issue::Column::Returns,
];

async fn update_issues(tx: &Write, rows: &[issue::Model]) -> AppResult<()> {
    update_columns(tx, rows, FACTS, "问题已被他人更新，定时任务稍后重试 (an issue changed while its timers fired)").await
}

/// One UPDATE for many issues, each only if nobody changed it since it was
/// read (the version check of [`super::effects::save_issue`]; each row
/// carries the version read, the UPDATE writes the next). Only `columns`
/// are written. `refused`: the conflict's message when a row was changed
/// meanwhile (the caller's transaction is then rolled back).
pub(crate) async fn update_columns(tx: &Write, rows: &[issue::Model], columns: &[issue::Column], refused: &str) -> AppResult<()> {
    use sea_orm::{IdenStatic, ModelTrait};
    let backend = tx.get_database_backend();
    let width = columns.len() + 2;
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * width);
    for r in rows {
        values.extend([r.id.clone().into(), r.version.into()]);
        values.extend(columns.iter().map(|c| r.get(*c)));
    }
    let tuple = format!("({})", vec!["?"; width].join(", "));
    let tuples = vec![tuple.as_str(); rows.len()].join(", ");
    // VALUES columns are column1.. on both SQLite and PostgreSQL.
    let set: Vec<String> = columns.iter().enumerate().map(|(i, c)| format!("{} = v.column{}", c.as_str(), i + 3)).collect();
    let text = format!(
        "UPDATE issues SET version = v.column2 + 1, {} FROM (VALUES {tuples}) AS v WHERE issues.id = v.column1 AND issues.version = v.column2",
        set.join(", ")
    );
    let done = tx.execute_raw(Statement::from_sql_and_values(backend, sql(backend, &text), values)).await?;
    if done.rows_affected() != rows.len() as u64 {
        return Err(AppError::Conflict(refused.into()));
    }
    Ok(())
}
