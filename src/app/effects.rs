//! Storing what the core decided: the issue's new facts (with an optimistic
//! version check), its charges and its timers — inside the caller's transaction.

use super::charges::{self, TakeBack};
use super::{AppError, AppResult, convert};
use crate::core::engine::{Decision, Effect};
use crate::db::entities::issue;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

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

/// Applies a decision to the issue row and stores it with its effects;
/// `stamp` says who made the move, when and why (a withdrawal's take-back
/// of the charge is recorded with it).
pub async fn persist(tx: &DatabaseTransaction, mut row: issue::Model, decision: Decision, stamp: &TakeBack<'_>) -> AppResult<issue::Model> {
    convert::apply_facts(&mut row, &decision.issue);
    let row = save_issue(tx, row).await?;
    for effect in decision.effects {
        match effect {
            Effect::Charge(c) => charges::insert_issue_charge(tx, &row, &c).await?,
            Effect::Timer(t) => super::timers::insert_for_issue(tx, &row.id, t).await?,
            Effect::Uncharge(_) => {
                let charged = charges::issue_charge(tx, &row.id).await?.ok_or_else(|| anyhow::anyhow!("issue {} has no charge to take back", row.id))?;
                charges::take_back(tx, charged.id, true, stamp).await?;
            }
            Effect::Correction(c) => {
                let charged = charges::issue_charge(tx, &row.id).await?.ok_or_else(|| anyhow::anyhow!("issue {} has no charge to correct", row.id))?;
                charges::take_back(tx, charged.id, false, stamp).await?;
                charges::insert_correction(tx, &charged, &c, stamp.at).await?;
            }
        }
    }
    Ok(row)
}
