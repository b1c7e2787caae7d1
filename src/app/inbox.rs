//! 消息: the notices meant for a user, in the app — so that nothing depends
//! on e-mail alone. They are the outbox's rows (one truth for both), shown
//! to the users of the unit or role each is addressed to, once their
//! sending instant has come, with a read mark per user.

use super::{Actor, App, AppResult};
use crate::core::state::Role;
use crate::db::entities::{inbox_read, outbox};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;

/// The newest this many are shown.
const SHOWN: u64 = 200;

#[derive(Debug, Serialize)]
pub struct Message {
    pub id: i64,
    pub key: String,
    pub at: String,
    pub subject: String,
    pub body: String,
    pub read: bool,
}

#[derive(Debug, Serialize)]
pub struct Inbox {
    pub messages: Vec<Message>,
    pub unread: u64,
}

/// Which outbox rows are the actor's.
fn mine(actor: &Actor) -> Condition {
    match actor.role {
        Role::Unit => Condition::all().add(outbox::Column::UnitId.eq(actor.unit_id.clone().unwrap_or_default())),
        Role::Dispatcher => Condition::any().add(outbox::Column::Audience.eq("dispatcher")).add(outbox::Column::Audience.eq("quarter")),
        Role::Rechecker => Condition::all().add(outbox::Column::Audience.eq("rechecker")),
        Role::Assessor | Role::Admin => Condition::all().add(outbox::Column::Audience.eq("quarter")),
    }
}

pub async fn list(app: &App, actor: &Actor) -> AppResult<Inbox> {
    let now = app.now().await?.to_string();
    let newest = outbox::Entity::find()
        .filter(mine(actor))
        .filter(outbox::Column::SendAfter.lte(now.clone()))
        .order_by_desc(outbox::Column::SendAfter)
        .order_by_desc(outbox::Column::Id);
    let rows = crate::db::all_windowed(&app.db, newest, SHOWN, 0).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let read: std::collections::HashSet<i64> = inbox_read::Entity::find()
        .filter(inbox_read::Column::UserId.eq(actor.user_id.clone()))
        .filter(inbox_read::Column::OutboxId.is_in(ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|r| r.outbox_id)
        .collect();
    let messages: Vec<Message> =
        rows.into_iter().map(|r| Message { read: read.contains(&r.id), id: r.id, key: r.key, at: r.send_after, subject: r.subject, body: r.body }).collect();
    Ok(Inbox { unread: unread(app, actor).await?, messages })
}

/// How many of the actor's notices it has not read (the header's count).
pub async fn unread(app: &App, actor: &Actor) -> AppResult<u64> {
    let now = app.now().await?.to_string();
    let total = outbox::Entity::find().filter(mine(actor)).filter(outbox::Column::SendAfter.lte(now.clone())).count(&app.db).await?;
    let read = inbox_read::Entity::find()
        .filter(inbox_read::Column::UserId.eq(actor.user_id.clone()))
        .filter(
            inbox_read::Column::OutboxId
                .in_subquery(sea_orm::sea_query::Query::select().column(outbox::Column::Id).from(outbox::Entity).cond_where(mine(actor)).to_owned()),
        )
        .count(&app.db)
        .await?;
    Ok(total.saturating_sub(read))
}

/// Marks the actor's messages read: one (`Some(id)`), or all shown.
pub async fn mark_read(app: &App, actor: &Actor, id: Option<i64>) -> AppResult<()> {
    let ids: Vec<i64> = match id {
        Some(id) => outbox::Entity::find_by_id(id).filter(mine(actor)).select_only().column(outbox::Column::Id).into_tuple().all(&app.db).await?,
        None => list(app, actor).await?.messages.into_iter().filter(|m| !m.read).map(|m| m.id).collect(),
    };
    if ids.is_empty() {
        return match id {
            Some(_) => Err(super::AppError::NotFound("没有这条消息 (no such message)".into())),
            None => Ok(()),
        };
    }
    let now = app.now().await?.to_string();
    let tx = app.write().await?;
    let rows =
        ids.into_iter().map(|outbox_id| inbox_read::ActiveModel { user_id: Set(actor.user_id.clone()), outbox_id: Set(outbox_id), read_at: Set(now.clone()) });
    inbox_read::Entity::insert_many(rows)
        .on_conflict(OnConflict::columns([inbox_read::Column::UserId, inbox_read::Column::OutboxId]).do_nothing().to_owned())
        .exec_without_returning(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
