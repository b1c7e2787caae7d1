//! The open list (simulate's `open`): issues dispatched and not final
//! (withdrawn ones are neither), in order of dispatch — a reassigned
//! issue: of its reassignment. A province carries tens of thousands over
//! from quarter to quarter, so the list is read in chunks by its key
//! (dispatch number, then id), each from the partial index `issues_open`.

use super::{Actor, App, AppResult, convert};
use crate::core::LocalTime;
use crate::core::report::{OpenEntry, open_entry};
use crate::core::state::{Role, State};
use crate::db::entities::issue;
use crate::db::stepped;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

/// Issues per chunk. (Debug builds read three, so the tests cross chunks.)
const CHUNK: u64 = if cfg!(debug_assertions) { 3 } else { 500 };

/// What an entry of the open list is made of: an open issue's code, unit,
/// key and facts. Not the whole row: the list of 3,200 open issues took
/// 24–35 ms decoding all 26 columns of each, 19–21 ms decoding these.
/// Its fields are [`COLUMNS`], in order.
#[derive(Debug, PartialEq, FromQueryResult)]
struct OpenRow {
    id: String,
    code: String,
    unit_id: String,
    dispatch_seq: Option<i64>,
    state: String,
    dispatched_at: Option<String>,
    reports: i32,
    last_report_at: Option<String>,
    charged: bool,
    awaiting_at_overdue: bool,
    assignment: i32,
    returns: i32,
}

/// The columns of an [`OpenRow`], in the order of its fields.
const COLUMNS: [issue::Column; 12] = {
    use issue::Column as C;
    [
        C::Id,
        C::Code,
        C::UnitId,
        C::DispatchSeq,
        C::State,
        C::DispatchedAt,
        C::Reports,
        C::LastReportAt,
        C::Charged,
        C::AwaitingAtOverdue,
        C::Assignment,
        C::Returns,
    ]
};

impl OpenRow {
    /// A stepped SQLite row of [`COLUMNS`] (booleans are 0 or 1 there).
    fn stepped(r: &stepped::Row<'_>) -> AppResult<OpenRow> {
        let missing = |what: &str| anyhow::anyhow!("an open issue without {what}");
        let text = |at: usize, what: &str| -> AppResult<String> { Ok(r.text(at)?.ok_or_else(|| missing(what))?.to_string()) };
        let number = |at: usize, what: &str| -> AppResult<i32> { Ok(r.int(at).and_then(|n| i32::try_from(n).ok()).ok_or_else(|| missing(what))?) };
        Ok(OpenRow {
            id: text(0, "id")?,
            code: text(1, "code")?,
            unit_id: text(2, "unit")?,
            dispatch_seq: r.int(3),
            state: text(4, "state")?,
            dispatched_at: r.text(5)?.map(str::to_string),
            reports: number(6, "reports")?,
            last_report_at: r.text(7)?.map(str::to_string),
            charged: r.int(8).ok_or_else(|| missing("charged"))? != 0,
            awaiting_at_overdue: r.int(9).ok_or_else(|| missing("awaiting_at_overdue"))? != 0,
            assignment: number(10, "assignment")?,
            returns: number(11, "returns")?,
        })
    }

    fn facts(&self) -> AppResult<crate::core::engine::Issue> {
        convert::facts_of(convert::FactColumns {
            state: &self.state,
            dispatched_at: &self.dispatched_at,
            reports: self.reports,
            last_report_at: &self.last_report_at,
            charged: self.charged,
            awaiting_at_overdue: self.awaiting_at_overdue,
            assignment: self.assignment,
            returns: self.returns,
        })
    }
}

/// The open issues `actor` may see after `after` (dispatch number, id), in
/// order, their [`OpenRow`] columns only: read from the partial index
/// `issues_open`.
fn query(actor: &Actor, after: Option<&(i64, String)>) -> sea_orm::Select<issue::Entity> {
    let mut query = issue::Entity::find()
        .select_only()
        .columns(COLUMNS)
        .filter(issue::Column::DispatchedAt.is_not_null())
        // Literally as the partial index `issues_open` says it (a bound
        // `false` would not tell the planner the index applies).
        .filter(Expr::cust("charged = false"))
        .filter(issue::Column::State.ne(State::Withdrawn.as_str()))
        .order_by_asc(issue::Column::DispatchSeq)
        .order_by_asc(issue::Column::Id);
    if let Some((seq, id)) = after {
        // `>=` first, so that the index's range starts at the key; the
        // dispatch number is unique in practice, the id settles a tie.
        let later = Condition::any().add(issue::Column::DispatchSeq.gt(*seq)).add(issue::Column::Id.gt(id.as_str()));
        query = query.filter(issue::Column::DispatchSeq.gte(*seq)).filter(later);
    }
    match actor.role {
        Role::Unit => query.filter(issue::Column::UnitId.eq(actor.unit_id.clone().unwrap_or_default())),
        _ => query,
    }
}

/// The open list, read a chunk at a time; every entry counts its days to
/// the instant the list was asked at.
pub struct OpenList {
    app: App,
    actor: Actor,
    now: LocalTime,
    after: Option<(i64, String)>,
    done: bool,
}

pub async fn open_list(app: &App, actor: &Actor) -> AppResult<OpenList> {
    super::reports::may_read(actor)?;
    let now = app.now().await?;
    Ok(OpenList { app: app.clone(), actor: actor.clone(), now, after: None, done: false })
}

impl OpenList {
    /// The next entries (None: no more).
    pub async fn next(&mut self) -> AppResult<Option<Vec<OpenEntry>>> {
        if self.done {
            return Ok(None);
        }
        let statement = crate::db::windowed(self.app.backend(), &query(&self.actor, self.after.as_ref()).into_query(), CHUNK, 0);
        let rows = rows(&self.app.db, statement).await?;
        self.done = (rows.len() as u64) < CHUNK;
        self.after = rows.last().map(|r| (r.dispatch_seq.unwrap_or_default(), r.id.clone()));
        // The units' names from the instance's cache: a statement for all
        // of them with every request was a third of the list's statements.
        let names = self.app.unit_names_of(rows.iter().map(|r| r.unit_id.as_str())).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let unit = names.get(&row.unit_id).map_or("", String::as_str);
            out.push(open_entry(&self.app.wf, &row.code, unit, &row.facts()?, self.now));
        }
        Ok((!out.is_empty()).then_some(out))
    }

    /// Whether [`OpenList::next`] has returned the last entries.
    pub fn done(&self) -> bool {
        self.done
    }
}

/// The rows of a chunk's `statement`. On SQLite stepped on a reader's own
/// handle ([`crate::db::stepped`]): the driver's hop between threads and
/// copy of every value, row by row, was most of what was left of the list.
async fn rows(db: &DatabaseConnection, statement: sea_orm::Statement) -> AppResult<Vec<OpenRow>> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(OpenRow::find_by_statement(statement).all(db).await?);
    }
    let params = statement.values.as_ref().map_or(Some(Vec::new()), stepped::Param::of_values);
    let params = params.ok_or_else(|| anyhow::anyhow!("the open list bound a value a stepped read cannot"))?;
    stepped::each(db, statement.sql, params, Vec::new(), |rows: &mut Vec<OpenRow>, r| {
        rows.push(OpenRow::stepped(&r)?);
        Ok::<_, super::AppError>(())
    })
    .await
}

/// The whole open list (the workbook's sheet).
pub async fn open(app: &App, actor: &Actor) -> AppResult<Vec<OpenEntry>> {
    let mut list = open_list(app, actor).await?;
    let mut out = Vec::new();
    while let Some(chunk) = list.next().await? {
        out.extend(chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's stepped rows are the rows the driver reads, column for
    /// column: for every open issue, a unit's own, and after a key (each
    /// kind of bound value); the charged and the withdrawn are not open.
    #[tokio::test]
    async fn stepped_rows_are_the_rows_the_driver_reads() {
        use sea_orm::ConnectionTrait;
        let (_dir, pools) = crate::db::temp_pools("open.db").await;
        let issue = |id: &str, unit: &str, state: &str, seq: i64, report: &str, charged: bool, awaiting: bool| {
            format!(
                "('{id}', 'C-{id}', '{unit}', '标题', NULL, NULL, NULL, NULL, '{state}', '2021-02-28T08:00:00', {seq}, 'x', '2021-03-0{seq}T09:00:00', {seq}, 1, {report}, {charged}, {awaiting}, 1, '2021.1', 2, 1)"
            )
        };
        let issues = [
            issue("a", "u1", "rectifying", 1, "NULL", false, false),
            issue("b", "u2", "reported", 2, "'2021-03-05T10:00:00'", false, true),
            issue("c", "u1", "rectifying", 3, "NULL", true, false),
            issue("d", "u1", "withdrawn", 4, "NULL", false, false),
            issue("e", "u1", "returned", 5, "NULL", false, false),
        ];
        pools
            .write
            .execute_unprepared(&format!(
                "INSERT INTO units (id, name, emails, seq, created_at) VALUES ('u1', '中兴街道', '[]', 1, '2021-03-01T08:00:00'), ('u2', '水务局', '[]', 2, '2021-03-01T08:00:00');
                 INSERT INTO issues (id, code, unit_id, title, source, category, location, description, state, registered_at, reg_seq, dispatch_id, dispatched_at, dispatch_seq, \
                 reports, last_report_at, charged, awaiting_at_overdue, version, workflow_version, assignment, returns) VALUES {}",
                issues.join(", ")
            ))
            .await
            .expect("the issues");
        let mut unit = Actor::tool("u", Role::Unit);
        unit.unit_id = Some("u1".into());
        for (actor, after, ids) in [
            (Actor::tool("k", Role::Assessor), None, vec!["a", "b", "e"]),
            (unit, None, vec!["a", "e"]),
            (Actor::tool("k", Role::Assessor), Some((1, "a".to_string())), vec!["b", "e"]),
        ] {
            let statement = crate::db::windowed(DbBackend::Sqlite, &query(&actor, after.as_ref()).into_query(), 10, 0);
            let stepped = rows(&pools.read, statement.clone()).await.expect("stepped rows");
            let driven = OpenRow::find_by_statement(statement).all(&pools.read).await.expect("the driver's rows");
            assert_eq!(stepped, driven);
            assert_eq!(stepped.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ids);
        }
    }

    /// At a million issues a scan of the table costs seconds: the open list
    /// must be read from the index of the open issues, its first chunk and
    /// the next. (A unit user's is read from the unit's issues, a hundredth
    /// of a province's.)
    #[tokio::test]
    async fn the_open_list_is_read_from_the_index_of_open_issues() {
        for role in [Role::Dispatcher, Role::Assessor] {
            let mut actor = Actor::tool("t", role);
            actor.unit_id = Some("u1".into());
            for after in [None, Some((41, "i41".to_string()))] {
                let plan = crate::db::sqlite_plan(crate::db::windowed(sea_orm::DbBackend::Sqlite, &query(&actor, after.as_ref()).into_query(), CHUNK, 0)).await;
                assert!(plan.iter().any(|d| d.contains("issues_open")), "{role:?} after {after:?}: {plan:?}");
            }
        }
    }
}
