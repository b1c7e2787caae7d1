//! Quarter and year reports and the open list, from stored charges, through
//! the same core report builder the replay uses.

use super::{Actor, App, AppError, AppResult, accounts, charges, convert};
use crate::core::charge::is_frozen;
use crate::core::report::{Class, Corrected, Item, OpenEntry, QuarterReport, ReportBook, open_entry};
use crate::core::score::{YearReport, years};
use crate::core::state::{Role, State};
use crate::core::workflow::TierIndex;
use crate::core::{Points, Quarter};
use crate::db::entities::issue;
use crate::db::sql;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use serde::Serialize;
use std::collections::HashMap;
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

/// The units in report order, and where each id stands in it.
struct Units {
    index: HashMap<String, usize>,
    names: Vec<Arc<str>>,
}

async fn units(app: &App) -> AppResult<Units> {
    let rows = accounts::units(&app.db).await?;
    let index = rows.iter().enumerate().map(|(i, u)| (u.id.clone(), i)).collect();
    Ok(Units { index, names: rows.iter().map(|u| Arc::from(u.name.as_str())).collect() })
}

/// The unit a unit user may see (None: everyone's).
async fn own_unit(app: &App, actor: &Actor) -> AppResult<Option<String>> {
    match actor.role {
        Role::Unit => Ok(Some(app.unit_name(actor.unit_id.as_deref().unwrap_or_default()).await?)),
        _ => Ok(None),
    }
}

pub async fn quarter(app: &App, actor: &Actor, quarter: &str) -> AppResult<QuarterView> {
    may_read(actor)?;
    let q = Quarter::parse(quarter).ok_or_else(|| AppError::BadInput(format!("`{quarter}` 不是季度，格式如 2021Q1 (not a quarter YYYYQn)")))?;
    let units = units(app).await?;
    let mut report = build(app, &units, q).await?;
    if let Some(own) = own_unit(app, actor).await? {
        report.units.retain(|r| r.unit == own);
        report.items.retain(|i| item_unit(i) == own.as_str());
        report.total = report.units.iter().map(|r| r.points).sum();
    }
    let frozen = is_frozen(&app.wf, q, app.now().await?.date());
    Ok(QuarterView { report, frozen })
}

fn item_unit(item: &Item) -> &str {
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
        quarters.push(build(app, &units, q).await?);
    }
    let mut report = years(&app.wf, &quarters).remove(0);
    if let Some(own) = own_unit(app, actor).await? {
        report.units.retain(|r| r.unit == own);
    }
    Ok(report)
}

/// One quarter's report from its charge rows, in the order they became final.
async fn build(app: &App, units: &Units, q: Quarter) -> AppResult<QuarterReport> {
    let mut book = ReportBook::default();
    let mut after: Option<(String, i64)> = None;
    loop {
        let page = charged_in(app, q, after.take()).await?;
        let full = page.len() as u64 == PAGE;
        after = page.last().map(|c| (c.known_at.clone(), c.id));
        for c in page {
            add_charge(app, units, q, &mut book, c)?;
        }
        if !full {
            break;
        }
    }
    Ok(book.quarters(&app.wf, q, q, &units.names).remove(0))
}

/// Charge rows read at a time: a quarter of 200,000 charges is read in
/// pages, so the rows of only one page are in memory beside the items.
/// Debug builds (the tests) use tiny pages, so that every report a test
/// compares with `simulate` crosses page boundaries.
const PAGE: u64 = if cfg!(debug_assertions) { 3 } else { 10_000 };

/// Adds one charge row to the book as the core's item.
fn add_charge(app: &App, units: &Units, q: Quarter, book: &mut ReportBook, c: ChargeLine) -> AppResult<()> {
    let Some(&unit) = units.index.get(c.unit_id.as_str()) else { return Ok(()) };
    let points = Points::from_thousandths(c.points_milli);
    let name = units.names[unit].clone();
    let date = |s: &Option<String>| s.as_deref().and_then(|d| d.parse().ok());
    let (class, item) = match c.kind.as_str() {
        charges::VIOLATION => {
            let violation = Some(Arc::from(c.id.to_string()));
            (Class::Violation, Item::Violation { unit: name, date: convert::time(&c.known_at)?.date(), points, note: c.note, violation })
        }
        charges::CORRECTION => {
            let of = match c.code {
                Some(code) => Corrected::Issue(code.into()),
                None => Corrected::Violation(c.corrects_id.unwrap_or_default().to_string().into()),
            };
            let corrects = c.corrects.as_deref().and_then(Quarter::parse).ok_or_else(|| anyhow::anyhow!("correction {} names no quarter", c.id))?;
            (Class::Correction, Item::Correction { of, unit: name, corrects, date: convert::time(&c.known_at)?.date(), points })
        }
        _ => {
            let dispatched = date(&c.dispatched).ok_or_else(|| anyhow::anyhow!("a charge of {} without dispatch date", c.known_at))?;
            let item = Item::Issue {
                issue: c.code.unwrap_or_default().into(),
                unit: name,
                dispatched,
                completed: date(&c.completed),
                days: c.days.unwrap_or(0),
                points,
            };
            (Class::Tier(TierIndex(c.tier.max(0) as usize)), item)
        }
    };
    book.add(&app.wf, q, unit, class, item);
    Ok(())
}

/// A charge row with its issue's code, as the report needs it.
struct ChargeLine {
    id: i64,
    kind: String,
    unit_id: String,
    points_milli: i64,
    tier: i32,
    days: Option<i64>,
    dispatched: Option<String>,
    completed: Option<String>,
    known_at: String,
    note: Option<String>,
    code: Option<String>,
    corrects: Option<String>,
    corrects_id: Option<i64>,
}

/// Every charge still in quarter `q` (a charge taken back before its quarter
/// froze is not), in the order it became final, in one pass of the
/// (quarter, known_at) index: the row carries its issue's code, so a
/// million rows cost no lookups in the issues table.
/// `after`: the (known_at, id) of the last row of the page before.
async fn charged_in(app: &App, q: Quarter, after: Option<(String, i64)>) -> AppResult<Vec<ChargeLine>> {
    let (after_at, after_id) = after.unwrap_or_default();
    let text = "SELECT id, kind, unit_id, points_milli, tier, days, dispatched, completed, known_at, note, code, corrects, corrects_id \
                FROM charges WHERE quarter = ? AND NOT removed AND (known_at, id) > (?, ?) ORDER BY known_at, id LIMIT ?";
    let values = [q.to_string().into(), after_at.into(), after_id.into(), (PAGE as i64).into()];
    let rows = app.db.query_all_raw(Statement::from_sql_and_values(app.backend(), sql(app.backend(), text), values)).await?;
    rows.into_iter()
        .map(|r| {
            // By position, in the SELECT's order: a name lookup per cell
            // costs seconds over a million rows.
            Ok(ChargeLine {
                id: r.try_get_by_index(0)?,
                kind: r.try_get_by_index(1)?,
                unit_id: r.try_get_by_index(2)?,
                points_milli: r.try_get_by_index(3)?,
                tier: r.try_get_by_index(4)?,
                days: r.try_get_by_index(5)?,
                dispatched: r.try_get_by_index(6)?,
                completed: r.try_get_by_index(7)?,
                known_at: r.try_get_by_index(8)?,
                note: r.try_get_by_index(9)?,
                code: r.try_get_by_index(10)?,
                corrects: r.try_get_by_index(11)?,
                corrects_id: r.try_get_by_index(12)?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(AppError::from)
}

/// Issues dispatched and not final (withdrawn ones are neither), in order
/// of dispatch — a reassigned issue: of its reassignment.
pub async fn open(app: &App, actor: &Actor) -> AppResult<Vec<OpenEntry>> {
    may_read(actor)?;
    let now = app.now().await?;
    let names = accounts::unit_names(&app.db).await?;
    let mut query = issue::Entity::find()
        .filter(issue::Column::DispatchedAt.is_not_null())
        .filter(issue::Column::Charged.eq(false))
        .filter(issue::Column::State.ne(State::Withdrawn.as_str()))
        .order_by_asc(issue::Column::DispatchSeq);
    if actor.role == Role::Unit {
        query = query.filter(issue::Column::UnitId.eq(actor.unit_id.clone().unwrap_or_default()));
    }
    let mut out = Vec::new();
    for row in query.all(&app.db).await? {
        let facts = convert::facts(&row)?;
        out.push(open_entry(&app.wf, &row.code, names.get(&row.unit_id).map_or("", |s| s.as_str()), &facts, now));
    }
    Ok(out)
}
