//! The audit log: what an auditor asks about accounts and the service —
//! sign-ins and their failures, lock-outs, users and units created,
//! passwords changed or reset, workflow versions, test-clock moves. Times
//! are real UTC times (a test clock does not move them). Read by admins.

use super::{Actor, App, AppResult};
use crate::core::state::Role;
use crate::db::entities::audit;
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde::Serialize;

/// One thing that happened, as it is recorded.
pub struct Entry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// Records `entry` inside the caller's transaction.
pub async fn record(db: &impl ConnectionTrait, entry: Entry<'_>) -> AppResult<()> {
    audit::ActiveModel {
        id: NotSet,
        at: Set(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        actor: Set(entry.actor.to_string()),
        action: Set(entry.action.to_string()),
        target: Set(entry.target),
        detail: Set(entry.detail),
        ip: Set(entry.ip),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records `entry` in a transaction of its own.
pub async fn note(app: &App, entry: Entry<'_>) -> AppResult<()> {
    let tx = app.write().await?;
    record(&tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Line {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// The newest `limit` entries, newest first (admin).
pub async fn list(app: &App, actor: &Actor, limit: u64) -> AppResult<Vec<Line>> {
    actor.require(&[Role::Admin])?;
    let rows = crate::db::all_windowed(&app.db, audit::Entity::find().order_by_desc(audit::Column::Id), limit, 0).await?;
    Ok(rows.into_iter().map(|r| Line { at: r.at, actor: r.actor, action: r.action, target: r.target, detail: r.detail, ip: r.ip }).collect())
}

/// At start: records the workflow version in force when it differs from
/// the last one recorded (a version change is a change of the rules).
pub async fn workflow_in_force(app: &App) -> AppResult<()> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let version = format!("{} {}", app.wf.name, app.wf.version);
    let last = audit::Entity::find().filter(audit::Column::Action.eq("workflow")).order_by_desc(audit::Column::Id).one(&app.db).await?;
    if last.and_then(|l| l.target).as_deref() != Some(version.as_str()) {
        note(app, Entry { actor: "system", action: "workflow", target: Some(version), detail: None, ip: None }).await?;
    }
    Ok(())
}
