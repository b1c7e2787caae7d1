//! Storing what the core decided: the issue's new facts (with an optimistic
//! version check), its charges and its timers — inside the caller's transaction.

use super::{convert, AppError, AppResult};
use crate::core::charge::Charge;
use crate::core::engine::{Decision, Effect, Reminder, Timer, TimerKind};
use crate::core::LocalTime;
use crate::db::entities::{charge, issue, timer};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

/// Timer classes at one instant, in firing order (as in the replay): the
/// start of day, then the scheduled dispatch, then mail.
pub const CLASS_DAY_START: i32 = 0;
pub const CLASS_DISPATCH: i32 = 1;
pub const CLASS_MAIL: i32 = 2;

/// Writes the issue row back if nobody changed it since it was read.
pub async fn save_issue(tx: &DatabaseTransaction, mut row: issue::Model) -> AppResult<issue::Model> {
    let read_version = row.version;
    row.version += 1;
    let active: issue::ActiveModel = row.clone().into();
    let result = issue::Entity::update_many()
        .set(active.reset_all())
        .filter(issue::Column::Id.eq(row.id.clone()))
        .filter(issue::Column::Version.eq(read_version))
        .exec(tx)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::Conflict("该问题已被他人更新，请刷新后重试 (the issue changed meanwhile)".into()));
    }
    Ok(row)
}

/// Applies a decision to the issue row and stores it with its effects.
pub async fn persist(tx: &DatabaseTransaction, mut row: issue::Model, decision: Decision) -> AppResult<issue::Model> {
    convert::apply_facts(&mut row, &decision.issue);
    let row = save_issue(tx, row).await?;
    for effect in decision.effects {
        match effect {
            Effect::Charge(c) => insert_charge(tx, &row, &c).await?,
            Effect::Timer(t) => insert_issue_timer(tx, &row.id, t).await?,
            // Only withdrawals make these, and the service offers none yet.
            Effect::Uncharge(_) | Effect::Correction(_) => return Err(AppError::Unexpected(anyhow::anyhow!("corrections are not supported by the service yet"))),
        }
    }
    Ok(row)
}

async fn insert_charge(tx: &DatabaseTransaction, row: &issue::Model, c: &Charge) -> AppResult<()> {
    charge::ActiveModel {
        id: NotSet,
        kind: Set("issue".into()),
        issue_id: Set(Some(row.id.clone())),
        unit_id: Set(row.unit_id.clone()),
        quarter: Set(c.quarter.to_string()),
        points_milli: Set(c.points.thousandths()),
        tier: Set(i32::try_from(c.tier.0).unwrap_or(i32::MAX)),
        days: Set(Some(c.days)),
        dispatched: Set(Some(c.dispatched.to_string())),
        completed: Set(c.completed.map(|d| d.to_string())),
        known_at: Set(c.known_at.to_string()),
        note: Set(None),
    }
    .insert(tx)
    .await?;
    Ok(())
}

async fn insert_issue_timer(tx: &DatabaseTransaction, issue_id: &str, t: Timer) -> AppResult<()> {
    let (class, kind, payload) = match t.kind {
        TimerKind::Overdue { .. } => (CLASS_DAY_START, "overdue", String::new()),
        TimerKind::Reminder(r) => (CLASS_MAIL, "reminder", encode_reminder(r)),
    };
    insert_timer(tx, t.at, class, kind, Some(issue_id.to_string()), payload).await
}

pub async fn insert_timer(tx: &DatabaseTransaction, at: LocalTime, class: i32, kind: &str, issue_id: Option<String>, payload: String) -> AppResult<()> {
    timer::ActiveModel { id: NotSet, due_at: Set(at.to_string()), class: Set(class), kind: Set(kind.into()), issue_id: Set(issue_id), payload: Set(payload) }
        .insert(tx)
        .await?;
    Ok(())
}

pub fn encode_reminder(r: Reminder) -> String {
    match r {
        Reminder::Warn { day, assignment } => format!("warn:{day}{}", of_assignment(assignment)),
        Reminder::Tier { day, assignment } => format!("tier:{day}{}", of_assignment(assignment)),
        Reminder::RecheckWait(n) => format!("recheck-wait:{n}"),
        Reminder::Return(n) => format!("return:{n}"),
        Reminder::Ruling(n) => format!("ruling:{n}"),
        Reminder::Assign(a) => format!("assign:{a}"),
        Reminder::Withdrawn => "withdrawn:0".into(),
    }
}

/// Assignment 1 keeps the payloads stored before assignments existed.
fn of_assignment(assignment: u32) -> String {
    if assignment > 1 { format!("#{assignment}") } else { String::new() }
}

pub fn decode_reminder(text: &str) -> Option<Reminder> {
    let (kind, n) = text.split_once(':')?;
    match kind {
        "warn" | "tier" => {
            let (day, assignment) = match n.split_once('#') {
                Some((day, a)) => (day, a.parse().ok()?),
                None => (n, 1),
            };
            let day = day.parse().ok()?;
            Some(if kind == "warn" { Reminder::Warn { day, assignment } } else { Reminder::Tier { day, assignment } })
        }
        "recheck-wait" => Some(Reminder::RecheckWait(n.parse().ok()?)),
        "return" => Some(Reminder::Return(n.parse().ok()?)),
        "ruling" => Some(Reminder::Ruling(n.parse().ok()?)),
        "assign" => Some(Reminder::Assign(n.parse().ok()?)),
        "withdrawn" => Some(Reminder::Withdrawn),
        _ => None,
    }
}
