//! The scheduler's use cases: the clock, and firing due timers.
//!
//! Timers live in the `timers` table. Each one fires in its own transaction
//! that also deletes it, so a timer fires exactly once even when several
//! instances share a PostgreSQL database (the row is locked `SKIP LOCKED`)
//! or when a run is cut short and repeated. Each job is stamped with its own
//! scheduled instant, never with the time it happened to run.

use super::effects::{decode_reminder, insert_timer, persist, CLASS_DISPATCH, CLASS_MAIL};
use super::{accounts, convert, dispatch, outbox, App, AppError, AppResult};
use crate::core::engine::{self, TimerKind};
use crate::core::mail_keys::quarter_mails;
use crate::core::{LocalTime, Quarter};
use crate::db::entities::{clock, issue, timer, unit};
use sea_orm::sea_query::LockBehavior;
use sea_orm::sea_query::LockType;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

const CLOCK_ROW: i32 = 1;
/// Timers fetched per round; each still fires in its own transaction.
const BATCH: u64 = 256;

pub async fn stored_clock(db: &impl ConnectionTrait) -> AppResult<Option<LocalTime>> {
    let row = clock::Entity::find_by_id(CLOCK_ROW).one(db).await?;
    row.map(|r| convert::time(&r.now)).transpose()
}

async fn store_clock(app: &App, now: LocalTime) -> AppResult<()> {
    let (_guard, tx) = app.write().await?;
    let row = clock::ActiveModel { id: Set(CLOCK_ROW), now: Set(now.to_string()) };
    if clock::Entity::find_by_id(CLOCK_ROW).one(&tx).await?.is_some() { row.update(&tx).await?; } else { row.insert(&tx).await?; }
    tx.commit().await?;
    Ok(())
}

/// Sets up the clock and the standing timers at start. With a test clock,
/// a stored clock later than `test_start` wins (a restart after a crash).
pub async fn init(app: &App, test_start: Option<LocalTime>) -> AppResult<()> {
    if let Some(start) = test_start {
        match stored_clock(&app.db).await? {
            Some(stored) if stored >= start => {}
            _ => store_clock(app, start).await?,
        }
    }
    let now = app.now().await?;
    let (_guard, tx) = app.write().await?;
    let has_dispatch_timer = timer::Entity::find().filter(timer::Column::Kind.eq("dispatch")).one(&tx).await?.is_some();
    if let (false, Some(next)) = (has_dispatch_timer, app.wf.next_dispatch_after(now)) {
        insert_timer(&tx, next, CLASS_DISPATCH, "dispatch", None, String::new()).await?;
    }
    if timer::Entity::find().filter(timer::Column::Kind.eq("quarter")).one(&tx).await?.is_none() {
        let q = Quarter::of(now.date());
        for (which, (_, at)) in ["report", "due"].into_iter().zip(quarter_mails(&app.wf, q)) {
            if at > now {
                insert_timer(&tx, at, CLASS_MAIL, "quarter", None, format!("{which}:{q}")).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// `POST /api/test-clock`: moves the test clock to `to` and runs what is owed.
pub async fn advance_test_clock(app: &App, to: LocalTime) -> AppResult<usize> {
    let _tick = app.tick_lock.lock().await;
    let stored = stored_clock(&app.db).await?;
    if stored.is_some_and(|s| to < s) {
        return Err(AppError::Conflict(format!("测试时钟不能倒退 (the test clock is at {}, cannot go back to {to})", stored.unwrap_or(to))));
    }
    store_clock(app, to).await?;
    run_due(app, to).await
}

/// One scheduler tick on the real clock.
pub async fn tick(app: &App) -> AppResult<usize> {
    let _tick = app.tick_lock.lock().await;
    let now = app.now().await?;
    run_due(app, now).await
}

/// Fires every timer due at or before `to`, in (instant, class, id) order,
/// then sends the mails that are due.
#[tracing::instrument(skip(app), err)]
async fn run_due(app: &App, to: LocalTime) -> AppResult<usize> {
    let mut fired = 0;
    loop {
        let due = timer::Entity::find()
            .filter(timer::Column::DueAt.lte(to.to_string()))
            .order_by_asc(timer::Column::DueAt).order_by_asc(timer::Column::Class).order_by_asc(timer::Column::Id)
            .limit(BATCH)
            .all(&app.db)
            .await?;
        if due.is_empty() {
            break;
        }
        for t in due {
            fired += usize::from(fire_one(app, t.id).await?);
        }
    }
    outbox::deliver_due(app, to).await?;
    Ok(fired)
}

/// Claims, fires and deletes one timer in one transaction; false if another
/// instance had it.
async fn fire_one(app: &App, id: i64) -> AppResult<bool> {
    let (_guard, tx) = app.write().await?;
    let mut query = timer::Entity::find_by_id(id);
    if app.backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(t) = query.one(&tx).await? else { return Ok(false) };
    if timer::Entity::delete_by_id(id).exec(&tx).await?.rows_affected == 0 {
        return Ok(false);
    }
    let at = convert::time(&t.due_at)?;
    match t.kind.as_str() {
        "overdue" => fire_overdue(app, &tx, &t, at).await?,
        "reminder" => fire_reminder(app, &tx, &t, at).await?,
        "dispatch" => {
            dispatch::dispatch_pool(app, &tx, at, "scheduler", true).await?;
            if let Some(next) = app.wf.next_dispatch_after(at) {
                insert_timer(&tx, next, CLASS_DISPATCH, "dispatch", None, String::new()).await?;
            }
        }
        "quarter" => fire_quarter(app, &tx, &t.payload, at).await?,
        other => tracing::error!(kind = other, "unknown timer kind dropped"),
    }
    tx.commit().await?;
    Ok(true)
}

async fn load_issue(tx: &DatabaseTransaction, t: &timer::Model) -> AppResult<Option<issue::Model>> {
    Ok(issue::Entity::find_by_id(t.issue_id.clone().unwrap_or_default()).one(tx).await?)
}

async fn fire_overdue(app: &App, tx: &DatabaseTransaction, t: &timer::Model, at: LocalTime) -> AppResult<()> {
    let Some(row) = load_issue(tx, t).await? else { return Ok(()) };
    let facts = convert::facts(&row)?;
    let decision = engine::on_timer(&app.wf, &facts, TimerKind::Overdue { assignment: facts.assignment }, at);
    persist(tx, row, decision).await?;
    Ok(())
}

/// Sends the reminder if it is still owed now; otherwise it lapses for good.
async fn fire_reminder(app: &App, tx: &DatabaseTransaction, t: &timer::Model, at: LocalTime) -> AppResult<()> {
    let (Some(row), Some(reminder)) = (load_issue(tx, t).await?, decode_reminder(&t.payload)) else { return Ok(()) };
    if !reminder.is_owed(&convert::facts(&row)?) {
        return Ok(());
    }
    let unit = unit::Entity::find_by_id(row.unit_id.clone()).one(tx).await?;
    let unit_name = unit.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    let (to, cc) = match reminder {
        engine::Reminder::RecheckWait(_) => (vec![app.wf.mail.rechecker.clone()], vec![app.wf.mail.dispatcher.clone()]),
        _ => (unit.as_ref().map(accounts::unit_emails).unwrap_or_default(), vec![app.wf.mail.dispatcher.clone()]),
    };
    let facts = super::mail_text::IssueFacts {
        id: &row.id,
        code: &row.code,
        title: &row.title,
        unit: &unit_name,
        dispatched_at: row.dispatched_at.as_deref().unwrap_or(""),
        reported_at: row.last_report_at.as_deref().unwrap_or(""),
    };
    let (subject, body) = super::mail_text::reminder_text(&app.wf, reminder, &facts, app.mail.public_url.as_deref());
    outbox::enqueue(tx, outbox::NewMail { key: reminder.key(&row.id), to, cc, subject, body, attachment: None, send_after: at }).await
}

async fn fire_quarter(app: &App, tx: &DatabaseTransaction, payload: &str, at: LocalTime) -> AppResult<()> {
    let Some((which, q)) = payload.split_once(':').and_then(|(w, q)| Some((w, Quarter::parse(q)?))) else { return Ok(()) };
    let (subject, body) = super::mail_text::quarter_text(&app.wf, which, q, app.mail.public_url.as_deref());
    outbox::enqueue(tx, outbox::NewMail { key: format!("quarter-{which}:{q}"), to: vec![app.wf.mail.water_department.clone()], cc: vec![app.wf.mail.dispatcher.clone()], subject, body, attachment: None, send_after: at }).await?;
    let index = usize::from(which == "due");
    let (_, next_at) = quarter_mails(&app.wf, q.next())[index].clone();
    insert_timer(tx, next_at, CLASS_MAIL, "quarter", None, format!("{which}:{}", q.next())).await
}
