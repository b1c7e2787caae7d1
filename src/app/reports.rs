//! Quarter and year reports and the open list, from stored charges, through
//! the same core report builder the replay uses.

use super::report_items::{ItemStream, Pages, Units};
use super::{Actor, App, AppError, AppResult, accounts, convert};
use crate::core::Quarter;
use crate::core::charge::is_frozen;
use crate::core::report::{Item, OpenEntry, QuarterReport, ReportBook, open_entry};
use crate::core::score::{YearReport, years};
use crate::core::state::{Role, State};
use crate::db::entities::issue;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Serialize)]
pub struct QuarterView {
    #[serde(flatten)]
    pub report: QuarterReport,
    pub frozen: bool,
}

fn may_read(actor: &Actor) -> AppResult<()> {
    actor.require(&[Role::Dispatcher, Role::Assessor, Role::Admin, Role::Unit])
}

async fn units(app: &App) -> AppResult<Arc<Units>> {
    let rows = accounts::units(&app.db).await?;
    let index = rows.iter().enumerate().map(|(i, u)| (u.id.clone(), i)).collect();
    Ok(Arc::new(Units { index, names: rows.iter().map(|u| Arc::from(u.name.as_str())).collect() }))
}

/// The unit a unit user may see (None: everyone's).
async fn own_unit(app: &App, actor: &Actor) -> AppResult<Option<String>> {
    match actor.role {
        Role::Unit => Ok(Some(app.unit_name(actor.unit_id.as_deref().unwrap_or_default()).await?)),
        _ => Ok(None),
    }
}

fn parse_quarter(quarter: &str) -> AppResult<Quarter> {
    Quarter::parse(quarter).ok_or_else(|| AppError::BadInput(format!("`{quarter}` 不是季度，格式如 2021Q1 (not a quarter YYYYQn)")))
}

pub async fn quarter(app: &App, actor: &Actor, quarter: &str) -> AppResult<QuarterView> {
    Ok(quarter_from(app, actor, parse_quarter(quarter)?, ReportBook::default(), &mut |_| {}).await?.0)
}

/// The quarter's unit rows and total without its items (the trend).
pub async fn quarter_totals(app: &App, actor: &Actor, quarter: &str) -> AppResult<QuarterView> {
    Ok(quarter_from(app, actor, parse_quarter(quarter)?, ReportBook::totals_only(), &mut |_| {}).await?.0)
}

/// The quarter for its workbook, in two passes over its charges: the unit
/// rows and totals first (every item shown to `observe` and dropped), then
/// its items, read a page at a time as the returned stream is consumed —
/// memory does not grow with the quarter. The stream ends at the last
/// charge the first pass read, so a charge made in between is in neither
/// pass. (One taken back in between — only possible while its quarter is
/// open — would be counted in the totals and missing from the items.)
pub async fn quarter_streamed(app: &App, actor: &Actor, quarter: &str, observe: &mut (dyn FnMut(&Item) + Send)) -> AppResult<(QuarterView, ItemStream)> {
    let q = parse_quarter(quarter)?;
    let (view, units, last) = quarter_from(app, actor, q, ReportBook::totals_only(), observe).await?;
    let own = own_unit(app, actor).await?;
    Ok((view, ItemStream::new(Pages::new(app, units, q).until(last), own)))
}

async fn quarter_from(
    app: &App,
    actor: &Actor,
    q: Quarter,
    book: ReportBook,
    observe: &mut (dyn FnMut(&Item) + Send),
) -> AppResult<(QuarterView, Arc<Units>, Option<(String, i64)>)> {
    may_read(actor)?;
    let units = units(app).await?;
    let (mut report, last) = build(app, &units, q, book, observe).await?;
    if let Some(own) = own_unit(app, actor).await? {
        report.units.retain(|r| r.unit == own);
        report.items.retain(|i| item_unit(i) == own.as_str());
        report.total = report.units.iter().map(|r| r.points).sum();
    }
    let frozen = is_frozen(&app.wf, q, app.now().await?.date());
    Ok((QuarterView { report, frozen }, units, last))
}

pub(super) fn item_unit(item: &Item) -> &str {
    match item {
        Item::Issue { unit, .. } | Item::Violation { unit, .. } | Item::Correction { unit, .. } => unit,
    }
}

/// `GET /api/reports/{YYYY}`: the year's score per unit (rules.md, The
/// item's score), from its four quarters.
pub async fn year(app: &App, actor: &Actor, year: &str) -> AppResult<YearReport> {
    may_read(actor)?;
    let y: i32 = year.parse().ok().filter(|y| (1..=9999).contains(y)).ok_or_else(|| AppError::BadInput(format!("`{year}` 不是年份 (not a year YYYY)")))?;
    let units = units(app).await?;
    let mut quarters = Vec::new();
    for n in 1..=4 {
        let q = Quarter::parse(&format!("{y:04}Q{n}")).ok_or_else(|| AppError::BadInput(format!("`{year}` 不是年份")))?;
        quarters.push(build(app, &units, q, ReportBook::totals_only(), &mut |_| {}).await?.0);
    }
    let mut report = years(&app.wf, &quarters).remove(0);
    if let Some(own) = own_unit(app, actor).await? {
        report.units.retain(|r| r.unit == own);
    }
    Ok(report)
}

/// One quarter's report from its charge rows, in the order they became
/// final, and the key of the last row read. `book`: a default one, or
/// [`ReportBook::totals_only`] where no item is shown.
async fn build(
    app: &App,
    units: &Arc<Units>,
    q: Quarter,
    mut book: ReportBook,
    observe: &mut (dyn FnMut(&Item) + Send),
) -> AppResult<(QuarterReport, Option<(String, i64)>)> {
    let mut pages = Pages::new(app, units.clone(), q);
    while let Some(page) = pages.next().await? {
        for c in page {
            observe(&c.item);
            book.add(&app.wf, q, c.unit, c.class, c.item);
        }
    }
    Ok((book.quarters(&app.wf, q, q, &units.names).remove(0), pages.last()))
}

/// The open issues `actor` may see, in dispatch order (read from the
/// partial index `issues_open`).
fn open_query(actor: &Actor) -> sea_orm::Select<issue::Entity> {
    let query = issue::Entity::find()
        .filter(issue::Column::DispatchedAt.is_not_null())
        // Literally as the partial index `issues_open` says it (a bound
        // `false` would not tell the planner the index applies).
        .filter(sea_orm::sea_query::Expr::cust("charged = false"))
        .filter(issue::Column::State.ne(State::Withdrawn.as_str()))
        .order_by_asc(issue::Column::DispatchSeq);
    match actor.role {
        Role::Unit => query.filter(issue::Column::UnitId.eq(actor.unit_id.clone().unwrap_or_default())),
        _ => query,
    }
}

/// Issues dispatched and not final (withdrawn ones are neither), in order
/// of dispatch — a reassigned issue: of its reassignment.
pub async fn open(app: &App, actor: &Actor) -> AppResult<Vec<OpenEntry>> {
    may_read(actor)?;
    let now = app.now().await?;
    let names = accounts::unit_names(&app.db).await?;
    let query = open_query(actor);
    let mut out = Vec::new();
    for row in query.all(&app.db).await? {
        let facts = convert::facts(&row)?;
        out.push(open_entry(&app.wf, &row.code, names.get(&row.unit_id).map_or("", |s| s.as_str()), &facts, now));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use migration::MigratorTrait;
    use sea_orm::{ConnectionTrait, QueryTrait};

    /// At a million issues a scan of the table costs seconds: the open list
    /// must be read from the index of the open issues. (A unit user's is read
    /// from the unit's issues, a hundredth of a province's.)
    #[tokio::test]
    async fn the_open_list_is_read_from_the_index_of_open_issues() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        migration::Migrator::up(&db, None).await.unwrap();
        for role in [Role::Dispatcher, Role::Assessor] {
            let mut actor = Actor::tool("t", role);
            actor.unit_id = Some("u1".into());
            let mut statement = open_query(&actor).build(sea_orm::DbBackend::Sqlite);
            statement.sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
            let plan: Vec<String> = db.query_all_raw(statement).await.unwrap().iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect();
            assert!(plan.iter().any(|d| d.contains("issues_open")), "{role:?}: {plan:?}");
        }
    }
}
