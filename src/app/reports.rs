//! Quarter reports and the open list, from stored charges, through the same
//! core report builder the replay uses.

use super::{Actor, App, AppError, AppResult, accounts, convert};
use crate::core::charge::is_frozen;
use crate::core::report::{Class, Item, OpenEntry, QuarterReport, ReportBook, open_entry};
use crate::core::state::Role;
use crate::core::workflow::TierIndex;
use crate::core::{Points, Quarter};
use crate::db::entities::{charge, issue};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement};
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

pub async fn quarter(app: &App, actor: &Actor, quarter: &str) -> AppResult<QuarterView> {
    may_read(actor)?;
    let q = Quarter::parse(quarter).ok_or_else(|| AppError::BadInput(format!("`{quarter}` 不是季度，格式如 2021Q1 (not a quarter YYYYQn)")))?;
    let units = accounts::units(&app.db).await?;
    let index: HashMap<&str, usize> = units.iter().enumerate().map(|(i, u)| (u.id.as_str(), i)).collect();
    let names: Vec<Arc<str>> = units.iter().map(|u| Arc::from(u.name.as_str())).collect();
    let mut book = ReportBook::default();
    for c in charged_in(app, q).await? {
        let Some(&unit) = index.get(c.unit_id.as_str()) else { continue };
        let points = Points::from_thousandths(c.points_milli);
        let (class, item) = if c.kind == "violation" {
            (Class::Violation, Item::Violation { unit: names[unit].clone(), date: convert::time(&c.known_at)?.date(), points, note: c.note, violation: None })
        } else {
            let date = |s: &Option<String>| s.as_deref().and_then(|d| d.parse().ok());
            let dispatched = date(&c.dispatched).ok_or_else(|| anyhow::anyhow!("a charge of {} without dispatch date", c.known_at))?;
            let item = Item::Issue {
                issue: c.code.unwrap_or_default().into(),
                unit: names[unit].clone(),
                dispatched,
                completed: date(&c.completed),
                days: c.days.unwrap_or(0),
                points,
            };
            (Class::Tier(TierIndex(c.tier.max(0) as usize)), item)
        };
        book.add(&app.wf, q, unit, class, item);
    }
    let mut report = book.quarters(&app.wf, q, q, &names).remove(0);
    if actor.role == Role::Unit {
        let own = app.unit_name(actor.unit_id.as_deref().unwrap_or_default()).await?;
        report.units.retain(|r| r.unit == own);
        report.items.retain(|i| matches!(i, Item::Issue { unit, .. } | Item::Violation { unit, .. } if **unit == *own));
        report.total = report.units.iter().map(|r| r.points).sum();
    }
    let frozen = is_frozen(&app.wf, q, app.now().await?.date());
    Ok(QuarterView { report, frozen })
}

/// A charge row with its issue's code, as the report needs it.
struct ChargeLine {
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
}

/// Every charge of quarter `q` in the order it became final, joined with the
/// issue code in one query: a million rows must not cost a million lookups.
async fn charged_in(app: &App, q: Quarter) -> AppResult<Vec<ChargeLine>> {
    let placeholder = if app.backend() == DbBackend::Postgres { "$1" } else { "?" };
    let sql = format!(
        "SELECT c.kind, c.unit_id, c.points_milli, c.tier, c.days, c.dispatched, c.completed, c.known_at, c.note, i.code \
         FROM charges c LEFT JOIN issues i ON i.id = c.issue_id WHERE c.quarter = {placeholder} ORDER BY c.known_at, c.id"
    );
    let rows = app.db.query_all_raw(Statement::from_sql_and_values(app.backend(), sql, [q.to_string().into()])).await?;
    rows.iter()
        .map(|r| {
            // By position, in the SELECT's order: a name lookup per cell
            // costs seconds over a million rows.
            Ok(ChargeLine {
                kind: r.try_get_by_index(0)?,
                unit_id: r.try_get_by_index(1)?,
                points_milli: r.try_get_by_index(2)?,
                tier: r.try_get_by_index(3)?,
                days: r.try_get_by_index(4)?,
                dispatched: r.try_get_by_index(5)?,
                completed: r.try_get_by_index(6)?,
                known_at: r.try_get_by_index(7)?,
                note: r.try_get_by_index(8)?,
                code: r.try_get_by_index(9)?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(AppError::from)
}

pub async fn open(app: &App, actor: &Actor) -> AppResult<Vec<OpenEntry>> {
    may_read(actor)?;
    let now = app.now().await?;
    let names = accounts::unit_names(&app.db).await?;
    let mut query = issue::Entity::find()
        .filter(issue::Column::DispatchedAt.is_not_null())
        .filter(issue::Column::Charged.eq(false))
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

/// `POST /api/violations`: 未执行调度方案或者指令, charged on the day recorded.
#[tracing::instrument(skip_all, fields(action = "violation", unit = %unit, user = %actor.username), err)]
pub async fn record_violation(app: &App, actor: &Actor, unit: &str, note: Option<String>) -> AppResult<serde_json::Value> {
    actor.require(&[Role::Dispatcher])?;
    let unit = accounts::unit_by_name(&app.db, unit.trim()).await?.ok_or_else(|| AppError::BadInput(format!("责任单位 `{unit}` 不存在 (unknown unit)")))?;
    let m = app.begin_move().await?;
    let now = m.now;
    let quarter = crate::core::charge::violation_quarter(now);
    let points = app.wf.violation_points;
    let row = sea_orm::ActiveModelTrait::insert(
        charge::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            kind: sea_orm::Set("violation".into()),
            issue_id: sea_orm::Set(None),
            unit_id: sea_orm::Set(unit.id.clone()),
            quarter: sea_orm::Set(quarter.to_string()),
            points_milli: sea_orm::Set(points.thousandths()),
            tier: sea_orm::Set(-1),
            days: sea_orm::Set(None),
            dispatched: sea_orm::Set(None),
            completed: sea_orm::Set(None),
            known_at: sea_orm::Set(now.to_string()),
            note: sea_orm::Set(note.clone()),
        },
        &m.tx,
    )
    .await?;
    m.tx.commit().await?;
    app.metrics.moved("violation");
    Ok(serde_json::json!({"id": row.id, "unit": unit.name, "date": now.date(), "at": now, "points": points, "quarter": quarter.to_string(), "note": note}))
}
