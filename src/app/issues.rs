//! Registering issues, reading them, and moving them along the path.

use super::moves::{NewMove, Sealed};
use super::{Actor, App, AppError, AppResult, accounts, convert};
use crate::core::engine::{self, Issue};
use crate::core::state::{Role, State};
use crate::core::{LocalTime, clock};
use crate::db::entities::{charge, issue, moves};
use crate::db::sql;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement};
use serde::Serialize;
use std::collections::HashMap;

/// A registration, already checked (parse, don't validate).
#[derive(Debug, Clone)]
pub struct NewIssue {
    pub code: String,
    pub unit: String,
    pub title: String,
    pub source: Option<String>,
    pub category: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    /// Evidence stored by [`super::attachments`] (their ids), kept with the
    /// registration move.
    pub attachments: Vec<String>,
}

/// A registration as submitted (API body, form, Excel row), not yet checked.
#[derive(Debug, Clone, Default)]
pub struct IssueInput {
    pub code: String,
    pub unit: String,
    pub title: String,
    pub source: Option<String>,
    pub category: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct IssueView {
    pub id: String,
    pub code: String,
    pub unit: String,
    pub unit_id: String,
    pub title: String,
    pub source: Option<String>,
    pub category: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub state: State,
    pub state_label: String,
    pub registered_at: String,
    pub dispatched_at: Option<String>,
    pub days: Option<i64>,
    pub points_so_far: String,
    pub charged: bool,
    pub reports: i32,
    /// How often 攻坚办 has chased it (催办).
    pub chases: i32,
    pub version: i32,
    pub workflow_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<MoveView>>,
    /// With the history: whether its hash chain verifies (记录完整).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_intact: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct MoveView {
    pub action: String,
    pub actor: String,
    pub at: String,
    pub note: Option<String>,
    pub attachments: serde_json::Value,
    /// The unit a move names: where 改派 sent the issue, who returned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Who, as people say it: 姓名 and the role's label (the scheduler is
    /// 系统（定时交办）).
    pub actor_name: String,
    pub actor_role: String,
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

impl NewIssue {
    pub fn parse(app: &App, input: IssueInput) -> AppResult<NewIssue> {
        let IssueInput { code, unit, title, source, category, location, description } = input;
        // Codes and titles are kept exactly as given (only "" is refused), as
        // `simulate` does: the report must name an issue by the same code.
        if code.is_empty() || code.chars().count() > 64 {
            return Err(AppError::BadInput("编号 code 必填，且不超过64个字符 (code is required, at most 64 characters)".into()));
        }
        if title.is_empty() || title.chars().count() > 500 {
            return Err(AppError::BadInput("标题 title 必填，且不超过500个字符 (title is required)".into()));
        }
        let (source, category) = (trimmed(source), trimmed(category));
        if let Some(s) = source.as_ref().filter(|s| !app.wf.sources.contains(s)) {
            return Err(AppError::BadInput(format!("来源 source `{s}` 不在列表中: {}", app.wf.sources.join("、"))));
        }
        if let Some(c) = category.as_ref().filter(|c| !app.wf.categories.contains(c)) {
            return Err(AppError::BadInput(format!("类别 category `{c}` 不在列表中: {}", app.wf.categories.join("、"))));
        }
        Ok(NewIssue {
            code,
            unit: unit.trim().to_string(),
            title,
            source,
            category,
            location: trimmed(location),
            description: trimmed(description),
            attachments: Vec::new(),
        })
    }
}

#[tracing::instrument(skip_all, fields(code = %new.code, user = %actor.username), err)]
pub async fn register(app: &App, actor: &Actor, new: NewIssue) -> AppResult<IssueView> {
    let unit = new.unit.clone();
    let mut rows = Vec::new();
    let now = register_many_inner(app, actor, vec![new], |row| rows.push(row)).await?;
    view(app, &rows.remove(0), &unit, now, None).await
}

/// Registers every issue in one transaction: all of them, or none.
#[tracing::instrument(skip_all, fields(issues = new.len(), user = %actor.username), err)]
pub async fn register_many(app: &App, actor: &Actor, new: Vec<NewIssue>, mut progress: impl FnMut(&issue::Model)) -> AppResult<usize> {
    let mut count = 0;
    register_many_inner(app, actor, new, |row| {
        progress(&row);
        count += 1;
    })
    .await?;
    Ok(count)
}

/// Returns the instant the issues were registered at.
async fn register_many_inner(app: &App, actor: &Actor, new: Vec<NewIssue>, mut each: impl FnMut(issue::Model)) -> AppResult<LocalTime> {
    actor.require(&[Role::Dispatcher])?;
    let m = app.begin_move().await?;
    let (now, tx) = (m.now, &m.tx);
    lock_sequence(app, tx).await?;
    let mut reg_seq = next_reg_seq(tx).await?;
    for new in new {
        let unit = accounts::unit_by_name(tx, &new.unit).await?.ok_or_else(|| AppError::BadInput(format!("责任单位 `{}` 不存在 (unknown unit)", new.unit)))?;
        let code = new.code.clone();
        let taken = || AppError::Conflict(format!("编号 `{code}` 已存在 (code already registered)"));
        if issue::Entity::find().filter(issue::Column::Code.eq(new.code.clone())).one(tx).await?.is_some() {
            return Err(taken());
        }
        let id = uuid::Uuid::now_v7().to_string();
        let registered = NewMove { action: "register", actor: &actor.username, at: now, note: None, attachments: &new.attachments, detail: None };
        let sealed = Sealed::after(&id, None, registered)?;
        let row = issue::ActiveModel {
            id: Set(id.clone()),
            code: Set(new.code),
            unit_id: Set(unit.id.clone()),
            title: Set(new.title),
            source: Set(new.source),
            category: Set(new.category),
            location: Set(new.location),
            description: Set(new.description),
            state: Set("registered".into()),
            registered_at: Set(now.to_string()),
            reg_seq: Set(reg_seq),
            dispatch_id: Set(None),
            dispatched_at: Set(None),
            dispatch_seq: Set(None),
            reports: Set(0),
            last_report_at: Set(None),
            charged: Set(false),
            awaiting_at_overdue: Set(false),
            version: Set(0),
            workflow_version: Set(app.wf.version.clone()),
            assignment: Set(0),
            returns: Set(0),
            chases: Set(0),
            head: Set(Some(sealed.hash.clone())),
        }
        .insert(tx)
        .await
        // Another registration of the same code committed since the check.
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => taken(),
            other => other,
        })?;
        reg_seq += 1;
        super::attachments::mark_attached(tx, &new.attachments, &row.id).await?;
        sealed.insert(tx).await?;
        each(row);
    }
    m.tx.commit().await?;
    app.metrics.moved("register");
    Ok(now)
}

/// PostgreSQL: registrations and dispatches number issues from the last
/// number; two instances at once must not both take the same one. A lock
/// for the rest of the transaction (SQLite's single writer already is one).
pub(crate) async fn lock_sequence(app: &App, tx: &impl ConnectionTrait) -> AppResult<()> {
    if app.backend() == sea_orm::DbBackend::Postgres {
        tx.execute_unprepared("SELECT pg_advisory_xact_lock(7301)").await?;
    }
    Ok(())
}

/// The next registration number (the pool is dispatched in this order).
pub(crate) async fn next_reg_seq(db: &impl ConnectionTrait) -> AppResult<i64> {
    let last = issue::Entity::find().order_by_desc(issue::Column::RegSeq).one(db).await?;
    Ok(last.map_or(0, |row| row.reg_seq) + 1)
}

/// The next dispatch number (order of dispatch, then registration).
pub(crate) async fn next_dispatch_seq(db: &impl ConnectionTrait) -> AppResult<i64> {
    let last = issue::Entity::find().filter(issue::Column::DispatchSeq.is_not_null()).order_by_desc(issue::Column::DispatchSeq).one(db).await?;
    Ok(last.and_then(|row| row.dispatch_seq).unwrap_or(0) + 1)
}

/// Finds an issue the actor may see; another unit's issue does not exist for a unit user.
pub async fn visible(app: &App, actor: &Actor, id: &str) -> AppResult<issue::Model> {
    let not_found = || AppError::NotFound(format!("问题 `{id}` 不存在 (no such issue)"));
    let row = issue::Entity::find_by_id(id.to_string()).one(&app.db).await?.ok_or_else(not_found)?;
    if actor.role == Role::Unit && actor.unit_id.as_deref() != Some(row.unit_id.as_str()) {
        return Err(not_found());
    }
    Ok(row)
}

pub async fn get(app: &App, actor: &Actor, id: &str) -> AppResult<IssueView> {
    let PageRows { row, charge, history, people } = page_rows(app, actor, id).await?;
    let intact = super::history::check_issue(row.head.as_deref(), &history).is_none();
    let names = app.unit_names_of(super::timeline::unit_ids(&history).chain([row.unit_id.as_str()])).await?;
    let history = people.views(history, &names);
    let unit = names.get(&row.unit_id).cloned().unwrap_or_default();
    let mut view = build_view(app, &row, &unit, app.now().await?, Some(history), charge)?;
    view.history_intact = Some(intact);
    Ok(view)
}

/// [`page_rows`]' statement: the issue's columns in the entity's order and
/// its final charge (which its row carries), then its moves and their
/// actors ([`super::timeline::select_columns`]), one row per move, all read
/// by position.
fn page_sql(backend: sea_orm::DbBackend) -> String {
    use sea_orm::{IdenStatic, Iterable};
    let issue: Vec<String> = issue::Column::iter().map(|c| format!("i.{}", c.as_str())).collect();
    let text = format!(
        "SELECT {}, i.final_points_milli, i.final_days, {} FROM issues i LEFT JOIN moves m ON m.issue_id = i.id \
         LEFT JOIN users u ON u.username = m.actor WHERE i.id = ? ORDER BY m.id",
        issue.join(", "),
        super::timeline::select_columns(),
    );
    sql(backend, &text)
}

/// Where a row's final charge begins in [`with_final_query`] and
/// [`page_sql`]: right after the issue's columns.
fn final_at() -> usize {
    <issue::Column as sea_orm::Iterable>::iter().count()
}

/// Where [`page_sql`]'s move columns begin: after the issue's and the two
/// of its final charge.
fn page_moves_at() -> usize {
    final_at() + 2
}

/// What an issue page shows, as the database holds it.
struct PageRows {
    row: issue::Model,
    /// The final charge, if the issue is charged (as [`final_points`]).
    charge: Option<Final>,
    history: Vec<moves::Model>,
    /// Each actor's name and role label.
    people: super::timeline::Reader,
}

/// The issue, its final charge, its moves in order and their actors' names
/// in one statement (one row per move): the issue page is read by many at
/// once, and each statement costs a round trip. A unit user asking for
/// another unit's issue learns only that there is no such issue.
async fn page_rows(app: &App, actor: &Actor, id: &str) -> AppResult<PageRows> {
    let statement = Statement::from_sql_and_values(app.backend(), page_sql(app.backend()), [id.into()]);
    let not_found = || AppError::NotFound(format!("问题 `{id}` 不存在 (no such issue)"));
    let found = app.db.query_all_raw(statement).await?;
    let first = found.first().ok_or_else(not_found)?;
    let row = issue_by_position(first)?;
    if actor.role == Role::Unit && actor.unit_id.as_deref() != Some(row.unit_id.as_str()) {
        return Err(not_found());
    }
    let charge = final_by_position(first, &row)?;
    let mut people = super::timeline::Reader::default();
    let mut history = Vec::new();
    for r in &found {
        history.extend(people.read(app, r, page_moves_at())?);
    }
    Ok(PageRows { row, charge, history, people })
}

pub use super::search::{IssueFilter, IssueList, Page, list_page};

/// The final charge a row of [`with_final_query`] or [`page_sql`] carries
/// right after the issue's columns (None: `row` is not charged), read by
/// position like the issue's own.
fn final_by_position(r: &sea_orm::QueryResult, row: &issue::Model) -> AppResult<Option<Final>> {
    let mut c = crate::db::columns::Columns::from(r, final_at());
    let milli: Option<i64> = c.read()?;
    let days: Option<i64> = c.read()?;
    Ok(final_from(row, milli, days))
}

fn final_from(row: &issue::Model, milli: Option<i64>, days: Option<i64>) -> Option<Final> {
    milli.filter(|_| row.charged).map(|milli| Final { points: crate::core::Points::from_thousandths(milli), days: days.unwrap_or(0) })
}

/// The issues `query` selects, each with its final charge, in one statement
/// (a list page is read by many at once; a second statement for the
/// charges cost a round trip per page): the issue row carries it
/// ([`with_final_query`]), so nothing is joined. `window`: at most so many
/// rows after so many (written into the text, [`crate::db::windowed`]);
/// None: all of them.
pub(crate) async fn with_final(app: &App, query: sea_orm::Select<issue::Entity>, window: Option<(u64, u64)>) -> AppResult<Vec<(issue::Model, Option<Final>)>> {
    Ok(with_final_and(app, query, None, window).await?.0)
}

/// As [`with_final`], and with every row the value of `total`, a scalar
/// subquery (how many issues match in all): a page and its count in one
/// round trip. The count is None when no row came back.
pub(crate) async fn with_final_and(
    app: &App,
    query: sea_orm::Select<issue::Entity>,
    total: Option<sea_orm::sea_query::SelectStatement>,
    window: Option<(u64, u64)>,
) -> AppResult<(Vec<(issue::Model, Option<Final>)>, Option<i64>)> {
    use sea_orm::sea_query::{Alias, Expr, SubQueryStatement};
    let mut statement = with_final_query(query);
    let counted = total.is_some();
    if let Some(total) = total {
        statement.expr_as(Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(total))), Alias::new("total_count"));
    }
    let found = match window {
        Some((limit, offset)) => app.db.query_all_raw(crate::db::windowed(app.backend(), &statement, limit, offset)).await?,
        None => app.db.query_all(&statement).await?,
    };
    let total = match (counted, found.first()) {
        (true, Some(first)) => Some(first.try_get::<i64>("", "total_count")?),
        _ => None,
    };
    let rows = found
        .iter()
        .map(|r| {
            let row = issue_by_position(r)?;
            let charge = final_by_position(r, &row)?;
            Ok((row, charge))
        })
        .collect::<AppResult<_>>()?;
    Ok((rows, total))
}

/// An issue row as `issue::Entity::find()` selects it (every column, in
/// the entity's order, before anything joined), read by position
/// ([`crate::db::columns`]: the largest part of a list page's own CPU time
/// was reading its rows). A struct expression evaluates its fields in the
/// order written.
fn issue_by_position(r: &sea_orm::QueryResult) -> Result<issue::Model, sea_orm::DbErr> {
    issue_at(&mut crate::db::columns::Columns::from(r, 0))
}

/// An issue row's columns in the entity's order, from where `c` stands.
pub(crate) fn issue_at(c: &mut crate::db::columns::Columns) -> Result<issue::Model, sea_orm::DbErr> {
    Ok(issue::Model {
        id: c.read()?,
        code: c.read()?,
        unit_id: c.read()?,
        title: c.read()?,
        source: c.read()?,
        category: c.read()?,
        location: c.read()?,
        description: c.read()?,
        state: c.read()?,
        registered_at: c.read()?,
        reg_seq: c.read()?,
        dispatch_id: c.read()?,
        dispatched_at: c.read()?,
        dispatch_seq: c.read()?,
        reports: c.read()?,
        last_report_at: c.read()?,
        charged: c.read()?,
        awaiting_at_overdue: c.read()?,
        version: c.read()?,
        workflow_version: c.read()?,
        assignment: c.read()?,
        returns: c.read()?,
        chases: c.read()?,
        head: c.read()?,
    })
}

/// `query` with each issue's final charge, as its row carries it
/// (`final_points_milli`, `final_days`: copied from the charge by a trigger,
/// migration m20261215).
fn with_final_query(query: sea_orm::Select<issue::Entity>) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::{Alias, Expr};
    let mut statement = query.into_query();
    statement
        .expr_as(Expr::cust("issues.final_points_milli"), Alias::new("final_points_milli"))
        .expr_as(Expr::cust("issues.final_days"), Alias::new("final_days"));
    statement
}

/// The ids of the issues with these codes the actor may see, by code, in
/// one query per 500 codes: what a report's rows link to (rather than
/// every issue of the province).
pub async fn ids_of_codes<'a>(app: &App, actor: &Actor, codes: impl IntoIterator<Item = &'a str>) -> AppResult<HashMap<String, String>> {
    let mut codes: Vec<&str> = codes.into_iter().collect();
    codes.sort_unstable();
    codes.dedup();
    let mut ids = HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(500) {
        let mut query =
            issue::Entity::find().select_only().column(issue::Column::Code).column(issue::Column::Id).filter(issue::Column::Code.is_in(chunk.iter().copied()));
        if actor.role == Role::Unit {
            query = query.filter(issue::Column::UnitId.eq(actor.unit_id.clone().unwrap_or_default()));
        }
        ids.extend(query.into_tuple::<(String, String)>().all(&app.db).await?);
    }
    Ok(ids)
}

/// The final points of the charged issues among `rows`, in one query per
/// 500 issues rather than one per issue.
pub(crate) async fn final_points(app: &App, rows: &[issue::Model]) -> AppResult<std::collections::HashMap<String, Final>> {
    let ids: Vec<String> = rows.iter().filter(|r| r.charged).map(|r| r.id.clone()).collect();
    let mut points = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let found = charge::Entity::find()
            .filter(charge::Column::Kind.eq(super::charges::ISSUE))
            .filter(charge::Column::IssueId.is_in(chunk.to_vec()))
            .all(&app.db)
            .await?;
        for c in found {
            let days = c.days.unwrap_or(0);
            points.insert(c.issue_id.unwrap_or_default(), Final { points: crate::core::Points::from_thousandths(c.points_milli), days });
        }
    }
    Ok(points)
}

/// An issue's final charge: its points and the days it was charged for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Final {
    points: crate::core::Points,
    days: i64,
}

/// The issue as the API shows it, with days and points so far as of `now`.
pub async fn view(app: &App, row: &issue::Model, unit: &str, now: LocalTime, history: Option<Vec<MoveView>>) -> AppResult<IssueView> {
    let charged = final_points(app, std::slice::from_ref(row)).await?;
    build_view(app, row, unit, now, history, charged.get(&row.id).copied())
}

/// The view from the row alone; `charge` is the issue's final charge, if any.
pub(crate) fn build_view(
    app: &App,
    row: &issue::Model,
    unit: &str,
    now: LocalTime,
    history: Option<Vec<MoveView>>,
    charge: Option<Final>,
) -> AppResult<IssueView> {
    let facts: Issue = convert::facts(row)?;
    // Done issues show the days they were charged for (c − d), not the days
    // since dispatch, which would go on growing after completion.
    let done = matches!(facts.state, State::Rechecked | State::Closed);
    let days = match (charge, done) {
        (Some(c), true) => Some(c.days),
        _ => facts.dispatched_at.map(|d| clock::days_between(d.date(), now.date())),
    };
    let points = if facts.state == State::Withdrawn {
        // Withdrawn: never charged, or its charge taken back.
        crate::core::Points::ZERO
    } else if facts.charged {
        charge.map(|c| c.points).unwrap_or_default()
    } else if facts.dispatched_at.is_some() {
        engine::provisional_points(&app.wf, &facts, now)
    } else {
        crate::core::Points::ZERO
    };
    Ok(IssueView {
        id: row.id.clone(),
        code: row.code.clone(),
        unit: unit.to_string(),
        unit_id: row.unit_id.clone(),
        title: row.title.clone(),
        source: row.source.clone(),
        category: row.category.clone(),
        location: row.location.clone(),
        description: row.description.clone(),
        state_label: app.wf.state_label(facts.state).to_string(),
        state: facts.state,
        registered_at: row.registered_at.clone(),
        dispatched_at: row.dispatched_at.clone(),
        days,
        points_so_far: points.to_string(),
        charged: row.charged,
        reports: row.reports,
        chases: row.chases,
        version: row.version,
        workflow_version: row.workflow_version.clone(),
        history,
        history_intact: None,
    })
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, Statement};

    /// The issue page is read by many at once: its one statement must find
    /// the issue, its final charge, its moves and their people by index,
    /// never by reading a whole table (a province has a million of each).
    #[tokio::test]
    async fn the_issue_page_reads_indexes_only() {
        let plan = crate::db::sqlite_plan(Statement::from_sql_and_values(DbBackend::Sqlite, super::page_sql(DbBackend::Sqlite), ["i1".into()])).await;
        assert!(plan.iter().all(|d| !d.starts_with("SCAN")), "{plan:?}");
    }

    /// A list's rows carry their final charge themselves: an issue's charge,
    /// once inserted, is on its row (the trigger of m20261215), read with
    /// the row; a violation's is on no issue's.
    #[tokio::test]
    async fn an_issues_final_charge_is_read_with_its_row() {
        use crate::core::charge::Charge;
        use crate::core::workflow::TierIndex;
        use crate::core::{LocalTime, Points, Quarter};
        use crate::db::entities::issue;
        use migration::MigratorTrait;
        use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
        let db = sea_orm::Database::connect("sqlite::memory:").await.expect("an in-memory database");
        migration::Migrator::up(&db, None).await.expect("the migrations");
        let at = LocalTime::parse("2021-03-20T10:00:00").expect("a time");
        for (id, seq) in [("a", 1), ("b", 2)] {
            let sql = format!(
                "INSERT INTO issues (id, code, unit_id, title, state, registered_at, reg_seq, reports, charged, awaiting_at_overdue, version, \
                 workflow_version, assignment, returns, chases) VALUES ('{id}', 'C-{id}', 'u1', 't', 'closed', '2021-01-01T08:00:00', {seq}, 1, true, false, 1, 'w', 0, 0, 0)"
            );
            db.execute_unprepared(&sql).await.expect("an issue");
        }
        let rows = issue::Entity::find().order_by_asc(issue::Column::RegSeq).all(&db).await.expect("the issues");
        let day = at.date();
        let quarter = Quarter::parse("2021Q1").expect("a quarter");
        let charge =
            Charge { quarter, points: Points::from_thousandths(20), tier: TierIndex(1), days: 19, dispatched: day, completed: Some(day), known_at: at };
        crate::app::charges::insert_issue_charge(&db, &rows[0], &charge).await.expect("a final charge");
        crate::app::charges::insert_violation(&db, "u1", charge.quarter, Points::from_thousandths(10), at, None).await.expect("a violation");
        let statement =
            sea_orm::StatementBuilder::build(&super::with_final_query(issue::Entity::find().order_by_asc(issue::Column::RegSeq)), &DbBackend::Sqlite);
        let found = db.query_all_raw(statement).await.expect("the list");
        let finals: Vec<_> =
            found.iter().zip(&rows).map(|(r, row)| super::final_by_position(r, row).expect("a row").map(|f| (f.points.thousandths(), f.days))).collect();
        assert_eq!(finals, [Some((20, 19)), None]);
        let plan = crate::db::sqlite_plan(crate::db::windowed(DbBackend::Sqlite, &super::with_final_query(issue::Entity::find()), 50, 0)).await;
        assert!(plan.iter().all(|d| !d.contains("charges")), "the list reads no other table: {plan:?}");
    }

    /// Reading a list's rows by position gives what reading them by name
    /// gives: every column in its place (each value distinct, so that two
    /// swapped columns of one type would show).
    #[tokio::test]
    async fn a_list_row_read_by_position_is_the_row_read_by_name() {
        use crate::db::entities::issue;
        use migration::MigratorTrait;
        use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryOrder};
        let db = sea_orm::Database::connect("sqlite::memory:").await.expect("an in-memory database");
        migration::Migrator::up(&db, None).await.expect("the migrations");
        let text = |n: &str| n.to_string();
        let row = issue::Model {
            id: text("id-1"),
            code: text("code-2"),
            unit_id: text("unit-3"),
            title: text("title-4"),
            source: Some(text("source-5")),
            category: Some(text("category-6")),
            location: Some(text("location-7")),
            description: Some(text("description-8")),
            state: text("rectifying"),
            registered_at: text("2026-01-02T03:04:05"),
            reg_seq: 11,
            dispatch_id: Some(text("dispatch-12")),
            dispatched_at: Some(text("2026-01-13T00:00:00")),
            dispatch_seq: Some(14),
            reports: 15,
            last_report_at: Some(text("2026-01-16T00:00:00")),
            charged: true,
            awaiting_at_overdue: false,
            version: 19,
            workflow_version: text("wf-20"),
            assignment: 21,
            returns: 22,
            chases: 23,
            head: Some(text("head-24")),
        };
        row.clone().into_active_model().insert(&db).await.expect("the issue");
        let statement =
            sea_orm::StatementBuilder::build(&super::with_final_query(issue::Entity::find().order_by_asc(issue::Column::RegSeq)), &DbBackend::Sqlite);
        let found = db.query_all_raw(statement).await.expect("the page");
        let by_name = issue::Model::from_query_result(&found[0], "").expect("by name");
        assert_eq!(super::issue_by_position(&found[0]).expect("by position"), by_name);
        assert_eq!(by_name, row);
    }

    /// A unit's list, whole or of one state, is read in registration order
    /// from an index: fifty rows read, not all the unit's issues sorted.
    #[tokio::test]
    async fn a_units_list_pages_are_read_in_order() {
        use crate::db::entities::issue;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        for state in [None, Some("closed")] {
            let mut page = issue::Entity::find().filter(issue::Column::UnitId.eq("u1"));
            if let Some(state) = state {
                page = page.filter(issue::Column::State.eq(state));
            }
            let page = page.order_by_asc(issue::Column::RegSeq).order_by_asc(issue::Column::Id);
            let plan = crate::db::sqlite_plan(crate::db::windowed(DbBackend::Sqlite, &super::with_final_query(page), 50, 50)).await;
            let index = if state.is_some() { "issues_unit_state_reg" } else { "issues_unit_reg" };
            assert!(plan.iter().any(|d| d.contains(index)), "{state:?}: {plan:?}");
            assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE")), "{state:?}: {plan:?}");
        }
    }
}
