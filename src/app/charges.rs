//! Charge rows ↔ the core's charges, corrections and take-backs.
//!
//! A row of kind `issue` is an issue's final charge (one per issue), of kind
//! `violation` a recorded violation, of kind `correction` a refund of a
//! frozen quarter's charge. Taking a charge back never deletes it: before
//! its quarter froze it is marked `removed` (out of the quarter, as if never
//! made — rules.md); after, it stays and a correction row answers it.

use super::{AppResult, convert};
use crate::core::charge::Charge;
use crate::core::correction::{Booked, Correction};
use crate::core::{LocalTime, Points, Quarter};
use crate::db::entities::{charge, issue};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

pub const ISSUE: &str = "issue";
pub const VIOLATION: &str = "violation";
pub const CORRECTION: &str = "correction";
/// `tier` of rows that are not an issue's charge.
const NO_TIER_VIOLATION: i32 = -1;
const NO_TIER_CORRECTION: i32 = -2;

fn row(kind: &str, unit_id: &str, quarter: Quarter, points: Points, known_at: LocalTime) -> charge::ActiveModel {
    charge::ActiveModel {
        id: NotSet,
        kind: Set(kind.into()),
        issue_id: Set(None),
        unit_id: Set(unit_id.to_string()),
        quarter: Set(quarter.to_string()),
        points_milli: Set(points.thousandths()),
        tier: Set(NO_TIER_VIOLATION),
        days: Set(None),
        dispatched: Set(None),
        completed: Set(None),
        known_at: Set(known_at.to_string()),
        note: Set(None),
        taken_back_at: Set(None),
        taken_back_by: Set(None),
        taken_back_note: Set(None),
        removed: Set(false),
        corrects: Set(None),
        corrects_id: Set(None),
        code: Set(None),
    }
}

/// An issue's charge became final.
pub async fn insert_issue_charge(db: &impl ConnectionTrait, issue: &issue::Model, c: &Charge) -> AppResult<()> {
    issue_charge_row(issue, c).insert(db).await?;
    Ok(())
}

/// The row of an issue's charge, to insert now or with a batch.
pub fn issue_charge_row(issue: &issue::Model, c: &Charge) -> charge::ActiveModel {
    let mut r = row(ISSUE, &issue.unit_id, c.quarter, c.points, c.known_at);
    r.issue_id = Set(Some(issue.id.clone()));
    r.code = Set(Some(issue.code.clone()));
    r.tier = Set(i32::try_from(c.tier.0).unwrap_or(i32::MAX));
    r.days = Set(Some(c.days));
    r.dispatched = Set(Some(c.dispatched.to_string()));
    r.completed = Set(c.completed.map(|d| d.to_string()));
    r
}

/// A violation recorded against `unit_id` at `at`.
pub async fn insert_violation(
    db: &impl ConnectionTrait,
    unit_id: &str,
    quarter: Quarter,
    points: Points,
    at: LocalTime,
    note: Option<String>,
) -> AppResult<charge::Model> {
    let mut r = row(VIOLATION, unit_id, quarter, points, at);
    r.note = Set(note);
    Ok(r.insert(db).await?)
}

/// The final charge of an issue, as the core books it (for a withdrawal).
pub async fn booked(db: &impl ConnectionTrait, issue_id: &str) -> AppResult<Option<Booked>> {
    let found = charge::Entity::find().filter(charge::Column::Kind.eq(ISSUE)).filter(charge::Column::IssueId.eq(issue_id)).one(db).await?;
    found.map(|c| booked_of(&c)).transpose()
}

pub fn booked_of(c: &charge::Model) -> AppResult<Booked> {
    let quarter = Quarter::parse(&c.quarter).ok_or_else(|| anyhow::anyhow!("charge {} holds no quarter: `{}`", c.id, c.quarter))?;
    Ok(Booked { quarter, points: Points::from_thousandths(c.points_milli) })
}

/// Who took a charge back, when and why.
pub struct TakeBack<'a> {
    pub at: LocalTime,
    pub by: &'a str,
    pub note: Option<String>,
}

/// Marks the charge `id` taken back; `removed` when its quarter was not
/// frozen yet (it leaves the quarter).
pub async fn take_back(db: &impl ConnectionTrait, id: i64, removed: bool, how: &TakeBack<'_>) -> AppResult<()> {
    charge::Entity::update_many()
        .col_expr(charge::Column::TakenBackAt, Expr::value(how.at.to_string()))
        .col_expr(charge::Column::TakenBackBy, Expr::value(how.by.to_string()))
        .col_expr(charge::Column::TakenBackNote, Expr::value(how.note.clone()))
        .col_expr(charge::Column::Removed, Expr::value(removed))
        .filter(charge::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The refund of the frozen charge `of` (a row of this table).
pub async fn insert_correction(db: &impl ConnectionTrait, of: &charge::Model, c: &Correction, at: LocalTime) -> AppResult<()> {
    let mut r = row(CORRECTION, &of.unit_id, c.quarter, c.points, at);
    r.issue_id = Set(of.issue_id.clone());
    r.code = Set(of.code.clone());
    r.tier = Set(NO_TIER_CORRECTION);
    r.corrects = Set(Some(c.corrects.to_string()));
    r.corrects_id = Set(Some(of.id));
    r.insert(db).await?;
    Ok(())
}

/// An issue's final charge row (for a withdrawal's effects).
pub async fn issue_charge(db: &impl ConnectionTrait, issue_id: &str) -> AppResult<Option<charge::Model>> {
    Ok(charge::Entity::find().filter(charge::Column::Kind.eq(ISSUE)).filter(charge::Column::IssueId.eq(issue_id)).one(db).await?)
}

/// When a stored time is needed as a date (items show dates).
pub fn date_of(c: &charge::Model) -> AppResult<chrono::NaiveDate> {
    Ok(convert::time(&c.known_at)?.date())
}
