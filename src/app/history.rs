//! A history an auditor can verify (issue 11): every move row carries a
//! SHA-256 over its content and the hash of the row before it for the same
//! issue, so a row altered, removed or inserted by hand in the database
//! breaks the chain at that row; and each day's rows are anchored in one
//! daily hash, so removing the last rows of a chain shows too. A unit has
//! every reason to make its record look better; this is how it would show.
//!
//! Rows are appended only through [`Sealed`], in the transaction that
//! writes the issue row with its new `head` under a version check, so two
//! moves of one issue never hang on the same predecessor. The head on the
//! issue row is also what the next move chains to, read with the row
//! rather than from `moves` (one statement less per move).

use super::{App, AppResult};
use crate::core::LocalTime;
use crate::db::entities::{anchor, issue, moves};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::{Digest, Sha256};

/// One row of an issue's history (the issue is named when it is sealed).
pub struct NewMove<'a> {
    pub action: &'a str,
    pub actor: &'a str,
    pub at: LocalTime,
    pub note: Option<String>,
    pub attachments: &'a [String],
    pub detail: Option<String>,
}

/// The hash of a row: the previous row's hash, then every field that says
/// what happened (issue, action, actor, at, note, attachments, detail),
/// each with its length first, so no two rows can be made to read alike.
fn digest(prev: &str, fields: [Option<&str>; 7]) -> String {
    let mut h = Sha256::new();
    for part in std::iter::once(Some(prev)).chain(fields) {
        match part {
            Some(text) => {
                h.update((text.len() as u64).to_be_bytes());
                h.update(text.as_bytes());
            }
            None => h.update(u64::MAX.to_be_bytes()),
        }
    }
    format!("{:x}", h.finalize())
}

fn digest_of(prev: &str, m: &moves::Model) -> String {
    digest(prev, [Some(&m.issue_id), Some(&m.action), Some(&m.actor), Some(&m.at), m.note.as_deref(), Some(&m.attachments), m.detail.as_deref()])
}

/// A move sealed onto its issue's chain, not yet written: its hash follows
/// the issue's `head` (the hash of its last move). [`Sealed::onto`] makes
/// it the head of the issue row, which [`super::effects::save_issue`] then
/// writes back under the version check (so a move that came in between
/// refuses this one), with the move, in the same transaction.
pub struct Sealed {
    row: moves::ActiveModel,
    pub hash: String,
}

impl Sealed {
    /// Seals `m` after the issue row's head as the move read it, and makes
    /// it the row's new head.
    pub fn onto(issue: &mut issue::Model, m: NewMove<'_>) -> AppResult<Sealed> {
        let sealed = Sealed::after(&issue.id, issue.head.as_deref(), m)?;
        issue.head = Some(sealed.hash.clone());
        Ok(sealed)
    }

    /// Seals `m` as a move of issue `issue_id` after `head` (None: its first).
    pub fn after(issue_id: &str, head: Option<&str>, m: NewMove<'_>) -> AppResult<Sealed> {
        let attachments = serde_json::to_string(m.attachments).map_err(|e| super::AppError::Unexpected(e.into()))?;
        let prev = head.unwrap_or_default().to_string();
        let at = m.at.to_string();
        let hash = digest(&prev, [Some(issue_id), Some(m.action), Some(m.actor), Some(&at), m.note.as_deref(), Some(&attachments), m.detail.as_deref()]);
        let row = moves::ActiveModel {
            id: NotSet,
            issue_id: Set(issue_id.into()),
            action: Set(m.action.into()),
            actor: Set(m.actor.into()),
            at: Set(at),
            note: Set(m.note),
            attachments: Set(attachments),
            detail: Set(m.detail),
            hash: Set(Some(hash.clone())),
            prev: Set(Some(prev)),
        };
        Ok(Sealed { row, hash })
    }

    /// The row itself, for a multi-row INSERT of many issues' moves (a
    /// list's dispatch).
    pub fn into_row(self) -> moves::ActiveModel {
        self.row
    }

    /// The statement appending the move to its issue's history (never
    /// edited afterwards); [`super::effects::save_issue`] runs it with the
    /// issue row's.
    pub fn statement(self) -> sea_orm::sea_query::InsertStatement {
        sea_orm::QueryTrait::into_query(moves::Entity::insert(self.row))
    }

    /// The same row inserted once for each row of the query `from` names
    /// (`INSERT … SELECT $1, $2, … FROM from`): with `from` an UPDATE's
    /// `RETURNING`, the move is appended if and only if the issue was
    /// written ([`super::effects::save_issue`] on PostgreSQL).
    pub fn statement_for_each(self, from: &str) -> sea_orm::sea_query::InsertStatement {
        use sea_orm::sea_query::{Alias, Expr, Query};
        use sea_orm::{ActiveValue, Iterable};
        let (mut columns, mut values) = (Vec::new(), Vec::new());
        for column in moves::Column::iter() {
            if let ActiveValue::Set(value) | ActiveValue::Unchanged(value) = self.row.get(column) {
                columns.push(column);
                values.push(Expr::val(value));
            }
        }
        let select = Query::select().exprs(values).from(Alias::new(from)).to_owned();
        let mut insert = Query::insert();
        insert.into_table(moves::Entity).columns(columns);
        // As many values as columns, taken from the same row: it cannot fail.
        insert.select_from(select).expect("one value per column");
        insert
    }

    /// Appends the move alone (a registration, whose issue row is new).
    pub async fn insert(self, db: &impl ConnectionTrait) -> AppResult<()> {
        db.execute(&self.statement()).await?;
        Ok(())
    }
}

/// What is wrong with a history, at its first wrong row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// The row's content no longer matches its hash.
    Altered { id: i64 },
    /// The row does not follow the row before it: one was removed between
    /// them, or this one was put in.
    Unlinked { id: i64 },
    /// A day's rows are not the rows its anchor was made of.
    Day { day: String },
    /// The issue's head is not its last row's hash: rows after `last`
    /// (after none: all of them) were removed.
    Cut { last: Option<i64> },
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::Altered { id } => write!(f, "move {id} was altered (its content does not match its hash)"),
            Broken::Unlinked { id } => write!(f, "move {id} does not follow the move before it (a move was removed before it, or it was inserted)"),
            Broken::Day { day } => write!(f, "the moves of {day} are not those anchored that day (a move was removed, added or moved)"),
            Broken::Cut { last: Some(id) } => write!(f, "the history ends at move {id}, not at the issue's last move (moves after it were removed)"),
            Broken::Cut { last: None } => write!(f, "the issue has no moves left (they were removed)"),
        }
    }
}

/// The first break in one issue's chain, if any.
pub fn check_chain(rows: &[moves::Model]) -> Option<Broken> {
    let mut prev = String::new();
    for m in rows {
        if m.prev.as_deref() != Some(prev.as_str()) {
            return Some(Broken::Unlinked { id: m.id });
        }
        let expected = digest_of(&prev, m);
        if m.hash.as_deref() != Some(expected.as_str()) {
            return Some(Broken::Altered { id: m.id });
        }
        prev = expected;
    }
    None
}

/// The first break in an issue's history: its chain, then whether the
/// chain still ends where the issue row says its last move is.
pub fn check_issue(head: Option<&str>, rows: &[moves::Model]) -> Option<Broken> {
    check_chain(rows).or_else(|| {
        let last = rows.last();
        (last.and_then(|m| m.hash.as_deref()) != head).then(|| Broken::Cut { last: last.map(|m| m.id) })
    })
}

fn day_hash(rows: &[moves::Model]) -> String {
    let mut h = Sha256::new();
    for m in rows {
        h.update(m.hash.as_deref().unwrap_or("").as_bytes());
    }
    format!("{:x}", h.finalize())
}

async fn rows_of_day(db: &impl ConnectionTrait, day: &str) -> AppResult<Vec<moves::Model>> {
    let (from, to) = (format!("{day}T00:00:00"), format!("{day}T23:59:59"));
    Ok(moves::Entity::find().filter(moves::Column::At.gte(from)).filter(moves::Column::At.lte(to)).order_by_asc(moves::Column::Id).all(db).await?)
}

/// Anchors every day before the service's today that has moves and no
/// anchor yet. (Moves are stamped with the service's clock, which only
/// passes a day once every move of it is written.)
pub async fn anchor_past_days(app: &App) -> AppResult<usize> {
    let today = app.now().await?.date().to_string();
    // Only the days after the last one anchored: the rest are done.
    let last = anchor::Entity::find().order_by_desc(anchor::Column::Day).one(&app.db).await?.map(|a| format!("{}T23:59:59", a.day));
    let mut query = moves::Entity::find()
        .select_only()
        .column_as(sea_orm::sea_query::Expr::cust("substr(at, 1, 10)"), "day")
        .filter(moves::Column::At.lt(format!("{today}T00:00:00")))
        .distinct();
    if let Some(last) = last {
        query = query.filter(moves::Column::At.gt(last));
    }
    let days: Vec<String> = query.into_tuple().all(&app.db).await?;
    let mut made = 0;
    for day in days {
        let rows = rows_of_day(&app.db, &day).await?;
        let tx = app.write().await?;
        let row = anchor::ActiveModel { day: Set(day.clone()), rows: Set(rows.len() as i64), hash: Set(day_hash(&rows)) };
        anchor::Entity::insert(row).on_conflict_do_nothing_on([anchor::Column::Day]).exec_without_returning(&tx).await?;
        tx.commit().await?;
        made += 1;
    }
    Ok(made)
}

/// The issues with history rows not sealed yet, by the partial index
/// `moves_unsealed` (m20261219): at every start, so not a scan of the
/// whole history.
fn unsealed() -> sea_orm::Select<moves::Entity> {
    moves::Entity::find().select_only().column(moves::Column::IssueId).filter(moves::Column::Hash.is_null()).distinct()
}

/// Gives the rows of earlier releases their hashes, issue by issue in the
/// order they were written, and the issue its head (once, at start;
/// nothing to do afterwards).
pub async fn seal(app: &App) -> AppResult<usize> {
    let open: Vec<String> = unsealed().into_tuple().all(&app.db).await?;
    let mut sealed = 0;
    for issue_id in open {
        let tx = app.write().await?;
        let rows = moves::Entity::find().filter(moves::Column::IssueId.eq(issue_id.clone())).order_by_asc(moves::Column::Id).all(&tx).await?;
        let mut prev = String::new();
        for m in rows {
            let hash = match &m.hash {
                Some(h) => h.clone(),
                None => {
                    let hash = digest_of(&prev, &m);
                    let mut row: moves::ActiveModel = m.into();
                    row.hash = Set(Some(hash.clone()));
                    row.prev = Set(Some(prev.clone()));
                    row.update(&tx).await?;
                    sealed += 1;
                    hash
                }
            };
            prev = hash;
        }
        // The next move chains to the last of these.
        issue::Entity::update_many()
            .col_expr(issue::Column::Head, sea_orm::sea_query::Expr::value(prev))
            .filter(issue::Column::Id.eq(issue_id))
            .exec(&tx)
            .await?;
        tx.commit().await?;
    }
    Ok(sealed)
}

/// `jiaoban verify`: every issue's chain, then every anchored day. Returns
/// the first break, named by issue code, or how much was verified.
pub async fn verify(db: &impl ConnectionTrait) -> AppResult<Result<String, String>> {
    let issues = issue::Entity::find().order_by_asc(issue::Column::RegSeq).all(db).await?;
    let mut count = 0;
    for i in &issues {
        let rows = moves::Entity::find().filter(moves::Column::IssueId.eq(i.id.clone())).order_by_asc(moves::Column::Id).all(db).await?;
        count += rows.len();
        if let Some(broken) = check_issue(i.head.as_deref(), &rows) {
            return Ok(Err(format!("issue {}: {broken}", i.code)));
        }
    }
    let anchors = anchor::Entity::find().order_by_asc(anchor::Column::Day).all(db).await?;
    for a in &anchors {
        let rows = rows_of_day(db, &a.day).await?;
        if rows.len() as i64 != a.rows || day_hash(&rows) != a.hash {
            return Ok(Err(Broken::Day { day: a.day.clone() }.to_string()));
        }
    }
    Ok(Ok(format!("history verified: {count} moves of {} issues, {} days anchored", issues.len(), anchors.len())))
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, QueryTrait};

    /// The start finds what is left to seal by the partial index alone.
    #[tokio::test]
    async fn the_unsealed_rows_are_found_by_their_index() {
        let plan = crate::db::sqlite_plan(super::unsealed().build(DbBackend::Sqlite)).await;
        assert!(plan.iter().any(|d| d.contains("moves_unsealed")), "{plan:?}");
    }
}
