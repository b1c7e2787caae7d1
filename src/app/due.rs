//! The next batch of due timers, each with its issue as it stands, read in
//! one statement.
//!
//! A catch-up after a month down reads 100,000 timers and as many issue
//! rows. Row by row, the driver's cost per column (a copy of every value,
//! a lookup of every column by name, a hop from SQLite's worker thread) was
//! most of the catch-up: more than the rules, the mail text and the writes
//! together. SQLite hands the batch over as one JSON text instead
//! ([`super::handover`]), as it hands over the quarter report's pages;
//! PostgreSQL's rows are read by position ([`crate::db::columns`]).

use super::AppResult;
use crate::db::entities::{issue, timer};
use crate::db::sql;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use serde::{Deserialize, Deserializer};

/// The timer's columns, then its issue's in the entity's order (all NULL
/// for a timer of no issue).
const COLUMNS: &str = "t.id, t.due_at, t.class, t.kind, t.issue_id, t.payload, \
    i.id, i.code, i.unit_id, i.title, i.source, i.category, i.location, i.description, i.state, i.registered_at, i.reg_seq, \
    i.dispatch_id, i.dispatched_at, i.dispatch_seq, i.reports, i.last_report_at, i.charged, i.awaiting_at_overdue, \
    i.version, i.workflow_version, i.assignment, i.returns, i.chases, i.head";

/// The first standing timer due (a dispatch, a quarter mail), by the
/// partial index `timers_standing`. A batch ends with it: what it does may
/// schedule timers due before the rest, so the rest are read after it has
/// run. (Read whole, a batch was fired up to it and the rest read again:
/// after a month down, four standing timers among 2,644 meant more rows
/// read twice than fired.)
const FIRST_STANDING: &str =
    "SELECT due_at, class, id FROM timers WHERE issue_id IS NULL AND due_at <= ? AND parked IS NULL ORDER BY due_at, class, id LIMIT 1";

/// One element of the batch as SQLite hands it over: the fields are
/// [`COLUMNS`] in order.
#[derive(Deserialize)]
pub(crate) struct Line {
    id: i64,
    due_at: String,
    class: i32,
    kind: String,
    issue_id: Option<String>,
    payload: String,
    issue: Option<String>,
    code: Option<String>,
    unit_id: Option<String>,
    title: Option<String>,
    source: Option<String>,
    category: Option<String>,
    location: Option<String>,
    description: Option<String>,
    state: Option<String>,
    registered_at: Option<String>,
    reg_seq: Option<i64>,
    dispatch_id: Option<String>,
    dispatched_at: Option<String>,
    dispatch_seq: Option<i64>,
    reports: Option<i32>,
    last_report_at: Option<String>,
    #[serde(deserialize_with = "flag")]
    charged: bool,
    #[serde(deserialize_with = "flag")]
    awaiting_at_overdue: bool,
    version: Option<i32>,
    workflow_version: Option<String>,
    assignment: Option<i32>,
    returns: Option<i32>,
    chases: Option<i32>,
    head: Option<String>,
}

/// A boolean column: `true`/`false` from PostgreSQL, `1`/`0` from SQLite,
/// `null` where the timer has no issue.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(match Option::<Flag>::deserialize(d)? {
        Some(Flag::Bool(b)) => b,
        Some(Flag::Int(n)) => n != 0,
        None => false,
    })
}

/// Up to `limit` timers due at or before `to`, each with its issue (`None`
/// for a standing timer, or an issue no longer there). On PostgreSQL the
/// timer rows are locked `SKIP LOCKED`: another instance firing at the same
/// time takes the next ones.
pub(crate) async fn next(db: &impl ConnectionTrait, to: &str, limit: u64) -> AppResult<Vec<(timer::Model, Option<issue::Model>)>> {
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        // The batch is the first timers in the order of the index `timers_due`.
        db.execute_unprepared(crate::db::INDEX_ORDER).await?;
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let standing = db.query_one_raw(Statement::from_sql_and_values(backend, sql(backend, FIRST_STANDING), [to.into()])).await?;
    let mut values: Vec<Value> = vec![to.into()];
    let upto = match standing {
        Some(r) => {
            let (due_at, class, id): (String, i32, i64) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
            values.extend([due_at.into(), class.into(), id.into()]);
            " AND (due_at, class, id) <= (?, ?, ?)"
        }
        None => "",
    };
    // Due timers in firing order: (instant, class, id). Parked ones wait
    // for a release that can read them. The limit is written into the
    // text, as the list pages' are (`db::windowed`): a plan PostgreSQL
    // keeps for a bound LIMIT cannot see how few rows are wanted.
    let from = format!(
        "(SELECT * FROM timers WHERE due_at <= ? AND parked IS NULL{upto} ORDER BY due_at, class, id LIMIT {limit}{lock}) AS t LEFT JOIN issues i ON i.id = t.issue_id"
    );
    super::handover::rows(db, COLUMNS, &from, "t.due_at, t.class, t.id", values, "due timers").await
}

impl super::handover::Line for (timer::Model, Option<issue::Model>) {
    type Json = Line;

    fn from_json(json: Line) -> Self {
        split(json)
    }

    /// A row of [`COLUMNS`] read in order ([`crate::db::columns`]): the
    /// timer, then its issue when the join found one.
    fn by_position(r: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr> {
        let mut c = crate::db::columns::Columns::from(r, 0);
        let timer = timer::Model { id: c.read()?, due_at: c.read()?, class: c.read()?, kind: c.read()?, issue_id: c.read()?, payload: c.read()?, parked: None };
        // The issue's columns begin where its id is: NULL when none was joined.
        let mut issue = c.clone();
        let issue = match c.read::<Option<String>>()? {
            Some(_) => Some(super::issues::issue_at(&mut issue)?),
            None => None,
        };
        Ok((timer, issue))
    }

    /// Firing order: (instant, class, id).
    fn order(a: &Self, b: &Self) -> std::cmp::Ordering {
        (a.0.due_at.as_str(), a.0.class, a.0.id).cmp(&(b.0.due_at.as_str(), b.0.class, b.0.id))
    }
}

fn split(l: Line) -> (timer::Model, Option<issue::Model>) {
    let timer = timer::Model { id: l.id, due_at: l.due_at, class: l.class, kind: l.kind, issue_id: l.issue_id, payload: l.payload, parked: None };
    let issue = l.issue.map(|id| issue::Model {
        id,
        code: l.code.unwrap_or_default(),
        unit_id: l.unit_id.unwrap_or_default(),
        title: l.title.unwrap_or_default(),
        source: l.source,
        category: l.category,
        location: l.location,
        description: l.description,
        state: l.state.unwrap_or_default(),
        registered_at: l.registered_at.unwrap_or_default(),
        reg_seq: l.reg_seq.unwrap_or_default(),
        dispatch_id: l.dispatch_id,
        dispatched_at: l.dispatched_at,
        dispatch_seq: l.dispatch_seq,
        reports: l.reports.unwrap_or_default(),
        last_report_at: l.last_report_at,
        charged: l.charged,
        awaiting_at_overdue: l.awaiting_at_overdue,
        version: l.version.unwrap_or_default(),
        workflow_version: l.workflow_version.unwrap_or_default(),
        assignment: l.assignment.unwrap_or_default(),
        returns: l.returns.unwrap_or_default(),
        chases: l.chases.unwrap_or_default(),
        head: l.head,
    });
    (timer, issue)
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, Statement};

    /// Where the next standing timer is, is read from the few standing
    /// timers alone, in order: not by walking every issue's due timer.
    #[tokio::test]
    async fn the_next_standing_timer_is_found_among_the_standing_alone() {
        let statement = Statement::from_sql_and_values(DbBackend::Sqlite, super::FIRST_STANDING, ["2021-01-01T00:00:00".into()]);
        let plan = crate::db::sqlite_plan(statement).await;
        assert!(plan.iter().any(|d| d.contains("timers_standing")), "{plan:?}");
        assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE")), "{plan:?}");
    }
}
