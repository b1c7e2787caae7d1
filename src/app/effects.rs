//! Storing what the core decided: the issue's new facts (with an optimistic
//! version check), its charges and its timers — inside the caller's transaction.

use super::{AppError, AppResult, convert};
use crate::core::charge::Charge;
use crate::core::engine::{Decision, Effect};
use crate::db::entities::{charge, issue};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

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
            Effect::Timer(t) => super::timers::insert_for_issue(tx, &row.id, t).await?,
            // Only withdrawals make these, and the service offers none yet.
            Effect::Uncharge(_) | Effect::Correction(_) => {
                return Err(AppError::Unexpected(anyhow::anyhow!("corrections are not supported by the service yet")));
            }
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
