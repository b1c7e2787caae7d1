//! The scheduler's use cases: the clock, and firing due timers.
//!
//! Timers live in the `timers` table. They fire in batches, each in one
//! transaction that also deletes them, so a timer fires exactly once even
//! when several instances share a PostgreSQL database (the rows are locked
//! `SKIP LOCKED`) or when a run is cut short and repeated. Each job is stamped with its own
//! scheduled instant, never with the time it happened to run. Mail is only
//! queued here; [`super::delivery`] sends it, apart, so a hanging SMTP
//! server never delays a timer.

use super::batch::Pending;
use super::timers::{self, Job, QuarterMail};
use super::write::Write;
use super::{App, AppError, AppResult, convert, delivery, dispatch, outbox};
use crate::core::engine::{self, Effect, TimerKind};
use crate::core::mail_keys::quarter_mails;
use crate::core::{LocalTime, Quarter};
use crate::db::entities::{clock, timer};
use sea_orm::sea_query::LockType;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait};
use std::time::{Duration, Instant};
use tracing::Instrument;

const CLOCK_ROW: i32 = 1;
/// Timers fired per transaction: a catch-up after days down fires tens of
/// thousands, and one commit each would cost a disk flush each; a batch
/// ([`super::batch`]) is written in a few statements and keeps the writer
/// lock short (tens of milliseconds) so requests go on between.
const BATCH: u64 = 1000;
/// How long `POST /api/test-clock` itself sends the mail it made due before
/// it answers; a slow relay gets the rest from the delivery workers.
const DRAIN: Duration = Duration::from_secs(10);

pub async fn stored_clock(db: &impl ConnectionTrait) -> AppResult<Option<LocalTime>> {
    let row = clock::Entity::find_by_id(CLOCK_ROW).one(db).await?;
    row.map(|r| convert::time(&r.now)).transpose()
}

async fn store_clock(db: &impl ConnectionTrait, now: LocalTime) -> AppResult<()> {
    let row = clock::ActiveModel { id: Set(CLOCK_ROW), now: Set(now.to_string()) };
    if clock::Entity::find_by_id(CLOCK_ROW).one(db).await?.is_some() {
        row.update(db).await?;
    } else {
        row.insert(db).await?;
    }
    Ok(())
}

/// The test clock as a move sees it, read inside the move's transaction.
/// On PostgreSQL the read shares the clock row's lock, so a move waits
/// while any instance is advancing the clock and is then stamped with the
/// new time — after every job up to it, as if the service had run through.
pub(crate) async fn clock_for_move(app: &App, tx: &Write) -> AppResult<LocalTime> {
    let mut query = clock::Entity::find_by_id(CLOCK_ROW);
    if app.backend() == DbBackend::Postgres {
        query = query.lock(LockType::Share);
    }
    let row = query.one(tx).await?.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("test clock not initialised")))?;
    convert::time(&row.now)
}

/// Sets up the clock and the standing timers at start. With a test clock,
/// a stored clock later than `test_start` wins (a restart after a crash).
pub async fn init(app: &App, test_start: Option<LocalTime>) -> AppResult<()> {
    let tx = app.write().await?;
    let now = match test_start {
        Some(start) => {
            let stored = stored_clock(&tx).await?;
            let now = stored.filter(|s| *s >= start).unwrap_or(start);
            if stored != Some(now) {
                store_clock(&tx, now).await?;
            }
            now
        }
        None => app.now().await?,
    };
    let has_dispatch_timer = timer::Entity::find().filter(timer::Column::Kind.eq(Job::Dispatch.kind())).one(&tx).await?.is_some();
    if let (false, Some(next)) = (has_dispatch_timer, app.wf.next_dispatch_after(now)) {
        timers::insert(&tx, next, Job::Dispatch, None).await?;
    }
    if timer::Entity::find().filter(timer::Column::Kind.eq("quarter")).one(&tx).await?.is_none() {
        let q = Quarter::of(now.date());
        for which in [QuarterMail::Report, QuarterMail::Due] {
            let (_, at) = quarter_mails(&app.wf, q)[which.index()].clone();
            if at > now {
                timers::insert(&tx, at, Job::Quarter(which, q), None).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// `POST /api/test-clock`: runs what is owed up to `to`, then moves the
/// test clock there, and sends the mail that became due.
///
/// No move runs meanwhile (the clock gate in this process; the clock row's
/// lock across instances), and the clock moves only once every job up to
/// `to` has fired: a request cut short (kill -9) left the clock where it
/// was, and sending it again finishes what is owed, nothing twice.
#[tracing::instrument(skip(app), err)]
pub async fn advance_test_clock(app: &App, to: LocalTime) -> AppResult<usize> {
    let fired = move_test_clock(app, to).await?;
    // The days the clock passed are closed: anchor them now, not within a minute.
    super::history::anchor_past_days(app).await?;
    delivery::drain(app, tokio::time::Instant::now() + DRAIN).await?;
    Ok(fired)
}

/// [`advance_test_clock`] without the mail: every job up to `to`, then the
/// clock. (The catch-up benchmark times this.)
pub async fn move_test_clock(app: &App, to: LocalTime) -> AppResult<usize> {
    let _gate = app.clock_gate.write().await;
    let held = if app.backend() == DbBackend::Postgres {
        let tx = app.db.begin().await?;
        clock::Entity::find_by_id(CLOCK_ROW).lock(LockType::Update).one(&tx).await?;
        Some(tx)
    } else {
        None
    };
    let stored = stored_clock(&app.db).await?;
    if let Some(stored) = stored.filter(|s| to < *s) {
        return Err(AppError::Conflict(format!("测试时钟不能倒退 (the test clock is at {stored}, cannot go back to {to})")));
    }
    let fired = run_due(app, to).await?;
    let moved = super::audit::Entry { actor: "admin", action: "test_clock", target: Some(to.to_string()), detail: Some(format!("{fired} jobs")), ip: None };
    match held {
        Some(tx) => {
            store_clock(&tx, to).await?;
            super::audit::record(&tx, moved).await?;
            tx.commit().await?;
        }
        None => {
            let tx = app.write().await?;
            store_clock(&tx, to).await?;
            super::audit::record(&tx, moved).await?;
            tx.commit().await?;
        }
    }
    Ok(fired)
}

/// One scheduler tick on the real clock.
pub async fn tick(app: &App) -> AppResult<usize> {
    let _tick = app.tick_lock.lock().await;
    let now = app.now().await?;
    let fired = run_due(app, now).await?;
    if fired > 0 {
        app.delivery.ring();
    }
    Ok(fired)
}

/// Fires every timer due at or before `to`, in (instant, class, id) order.
async fn run_due(app: &App, to: LocalTime) -> AppResult<usize> {
    let mut fired = 0;
    loop {
        let started = Instant::now();
        let tx = app.write().await?;
        let due = super::due::next(&tx, &to.to_string(), BATCH).await?;
        if due.is_empty() {
            break;
        }
        let read = started.elapsed();
        let (due, issues): (Vec<timer::Model>, Vec<_>) = due.into_iter().unzip();
        let mut pending = Pending::new(issues.into_iter().flatten());
        let mut done = Vec::new();
        for t in due {
            let Some(job) = parse_or_park(&tx, &t).await? else { continue };
            let at = convert::time(&t.due_at)?;
            let span = tracing::info_span!("timer", id = t.id, kind = job.kind(), at = %at);
            pending.fired(t.id);
            done.push(job.kind());
            match job {
                Job::Overdue { assignment } => fire_overdue(app, &mut pending, &t, assignment, at)?,
                Job::Reminder(reminder) => fire_reminder(app, &tx, &mut pending, &t, reminder, at).instrument(span).await?,
                // A dispatch or a quarter mail reads and schedules on its
                // own, and its timers may come before the rest of this
                // batch: write what is gathered, run it, fetch again.
                Job::Dispatch | Job::Quarter(..) => {
                    std::mem::take(&mut pending).flush(&tx).await?;
                    fire_standing(app, &tx, job, at).instrument(span).await?;
                    break;
                }
            }
        }
        let fired_at = started.elapsed();
        if !pending.is_empty() {
            pending.flush(&tx).await?;
        }
        let flushed = started.elapsed();
        tx.commit().await?;
        // Where a catch-up's time goes, batch by batch (RUST_LOG=jiaoban::app::scheduler=debug).
        // Firing is the rules, and a standing job with the writes before it.
        tracing::debug!(
            timers = done.len(),
            read_ms = read.as_secs_f64() * 1e3,
            firing_ms = (fired_at - read).as_secs_f64() * 1e3,
            write_ms = (flushed - fired_at).as_secs_f64() * 1e3,
            commit_ms = (started.elapsed() - flushed).as_secs_f64() * 1e3,
            "batch fired"
        );
        fired += done.len();
        for kind in done {
            app.metrics.timer_fired(kind);
        }
    }
    Ok(fired)
}

/// The timer's job; `None` if this release cannot read it, and then it is
/// parked with the reason, not lost.
async fn parse_or_park(tx: &Write, t: &timer::Model) -> AppResult<Option<Job>> {
    match Job::parse(&t.kind, &t.payload) {
        Ok(job) => Ok(Some(job)),
        Err(reason) => {
            tracing::error!(timer = t.id, kind = %t.kind, payload = %t.payload, %reason, "timer parked: this release cannot fire it");
            timer::Entity::update_many().col_expr(timer::Column::Parked, reason.into()).filter(timer::Column::Id.eq(t.id)).exec(tx).await?;
            Ok(None)
        }
    }
}

/// The jobs that are not about one issue.
async fn fire_standing(app: &App, tx: &Write, job: Job, at: LocalTime) -> AppResult<()> {
    match job {
        Job::Dispatch => {
            dispatch::dispatch_pool(app, tx, at, "scheduler", true).await?;
            match app.wf.next_dispatch_after(at) {
                Some(next) => timers::insert(tx, next, Job::Dispatch, None).await,
                None => Ok(()),
            }
        }
        Job::Quarter(which, q) => fire_quarter(app, tx, which, q, at).await,
        Job::Overdue { .. } | Job::Reminder(_) => Err(AppError::Unexpected(anyhow::anyhow!("{} is a job of one issue", job.kind()))),
    }
}

/// The overdue day begins: the core decides, the batch keeps the result.
fn fire_overdue(app: &App, pending: &mut Pending, t: &timer::Model, assignment: u32, at: LocalTime) -> AppResult<()> {
    let Some(id) = t.issue_id.as_deref() else { return Ok(()) };
    let Some(row) = pending.issue(id) else { return Ok(()) };
    let facts = convert::facts(row)?;
    let decision = engine::on_timer(&app.wf, &facts, TimerKind::Overdue { assignment }, at);
    // Most overdue timers find their issue finished, charged or reassigned
    // already. Such an issue is left unwritten. Its version stays, so a
    // move read before the batch committed is not refused with a conflict
    // over nothing, nor the batch by a move to an issue it did not change.
    // And the batch's UPDATE carries only the issues that changed: after a
    // month down (`jiaoban bench` on PostgreSQL) 34 of 417 in one batch,
    // which wrote in 2.4 ms where all 417 took 10.4.
    if decision.effects.is_empty() && decision.issue == facts {
        return Ok(());
    }
    let Some(row) = pending.issue_mut(id) else { return Ok(()) };
    convert::apply_facts(row, &decision.issue);
    let row = row.clone();
    for effect in decision.effects {
        match effect {
            Effect::Charge(c) => pending.charges.push(super::charges::issue_charge_row(&row, &c)),
            Effect::Timer(timer) => pending.timers.push(timers::row(timer.at, timer.kind.into(), Some(row.id.clone()))),
            Effect::Uncharge(_) | Effect::Correction(_) => {
                return Err(AppError::Unexpected(anyhow::anyhow!("an overdue timer of {} took back a charge", row.id)));
            }
        }
    }
    Ok(())
}

async fn fire_reminder(app: &App, tx: &Write, pending: &mut Pending, t: &timer::Model, reminder: engine::Reminder, at: LocalTime) -> AppResult<()> {
    let Some(row) = t.issue_id.as_deref().and_then(|id| pending.issue(id)) else { return Ok(()) };
    if let Some(mail) = super::reminders::mail(app, tx, row, reminder, at).await? {
        pending.mails.push(outbox::new_row(mail));
    }
    Ok(())
}

async fn fire_quarter(app: &App, tx: &Write, which: QuarterMail, q: Quarter, at: LocalTime) -> AppResult<()> {
    let (subject, body) = super::mail_text::quarter_text(&app.wf, which.as_str(), q, app.mail.public_url.as_deref());
    let (key, _) = quarter_mails(&app.wf, q)[which.index()].clone();
    outbox::enqueue(
        tx,
        outbox::NewMail {
            key,
            to: vec![app.wf.mail.water_department.clone()],
            cc: vec![app.wf.mail.dispatcher.clone()],
            subject,
            body,
            attachment: None,
            send_after: at,
            audience: outbox::Audience::Quarter,
        },
    )
    .await?;
    let (_, next_at) = quarter_mails(&app.wf, q.next())[which.index()].clone();
    timers::insert(tx, next_at, Job::Quarter(which, q.next()), None).await
}
