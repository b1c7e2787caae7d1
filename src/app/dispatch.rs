//! Dispatching the pool (交办): out of cycle from the API, or by the schedule.

use super::moves::{NewMove, Sealed};
use super::write::Write;
use super::{Actor, App, AppResult, accounts, batch, convert, issues, outbox, timers};
use crate::core::LocalTime;
use crate::core::engine::{self, Effect};
use crate::core::mail_keys::dispatch_key;
use crate::core::state::{Action, Role};
use crate::db::entities::{dispatch, issue, moves, timer, unit};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct DispatchView {
    pub id: Option<String>,
    pub at: String,
    pub issues: Vec<issues::IssueView>,
}

/// `POST /api/dispatches`: the whole pool, now.
#[tracing::instrument(skip_all, fields(action = "dispatch", user = %actor.username), err)]
pub async fn dispatch_now(app: &App, actor: &Actor) -> AppResult<DispatchView> {
    actor.require(&[Role::Dispatcher])?;
    let m = app.begin_move().await?;
    let now = m.now;
    let (id, rows) = dispatch_pool(app, &m.tx, now, &actor.username, false).await?;
    m.tx.commit().await?;
    app.delivery.ring();
    app.metrics.moved("dispatch");
    let names = accounts::unit_names(&app.db).await?;
    let mut views = Vec::new();
    for row in rows {
        views.push(issues::view(app, &row, names.get(&row.unit_id).map_or("", |s| s.as_str()), now, None).await?);
    }
    Ok(DispatchView { id, at: now.to_string(), issues: views })
}

/// Dispatches every registered issue at `at`, in registration order, inside
/// `tx`; queues one list mail per unit. Returns the list's id (none if the
/// pool was empty) and the dispatched rows.
pub(crate) async fn dispatch_pool(app: &App, tx: &Write, at: LocalTime, actor: &str, scheduled: bool) -> AppResult<(Option<String>, Vec<issue::Model>)> {
    let mut query = issue::Entity::find()
        .filter(issue::Column::State.eq("registered"))
        .filter(issue::Column::RegisteredAt.lte(at.to_string()))
        .order_by_asc(issue::Column::RegSeq);
    if app.backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let pool = query.all(tx).await?;
    if pool.is_empty() {
        return Ok((None, Vec::new()));
    }
    let id = uuid::Uuid::now_v7().to_string();
    dispatch::ActiveModel {
        id: Set(id.clone()),
        at: Set(at.to_string()),
        issue_count: Set(pool.len() as i32),
        scheduled: Set(scheduled),
        actor: Set(actor.into()),
    }
    .insert(tx)
    .await?;
    let mut seq = issues::next_dispatch_seq(tx).await?;
    let (mut done, mut moves, mut timers) = (Vec::new(), Vec::new(), Vec::new());
    for mut row in pool {
        let decision =
            engine::step(&app.wf, &convert::facts(&row)?, Action::Dispatch, at).map_err(|e| anyhow::anyhow!("pooled issue cannot be dispatched: {e}"))?;
        row.dispatch_id = Some(id.clone());
        row.dispatch_seq = Some(seq);
        // The rules in force when the clock starts are the issue's rules.
        row.workflow_version = app.wf.version.clone();
        seq += 1;
        moves.push(Sealed::onto(&mut row, NewMove { action: "dispatch", actor, at, note: None, attachments: &[], detail: None })?.into_row());
        convert::apply_facts(&mut row, &decision.issue);
        for effect in decision.effects {
            match effect {
                Effect::Timer(t) => timers.push(timers::row(t.at, t.kind.into(), Some(row.id.clone()))),
                other => return Err(anyhow::anyhow!("a dispatch decided an effect it has no way to write: {other:?}").into()),
            }
        }
        done.push(row);
    }
    write_dispatched(tx, &mut done, moves, timers).await?;
    queue_list_mails(app, tx, at, &id, &done).await?;
    Ok((Some(id), done))
}

/// What a list's dispatch changes, in a few statements per 500 issues: one
/// UPDATE of the issues (each version-checked), multi-row INSERTs of their
/// moves and timers. Written one issue at a time, a province's list of
/// 8,000 issues held SQLite's writer for 9.9 s (24 s while tests shared
/// the machine), every other write waiting; now 1.7–2.6 s.
async fn write_dispatched(tx: &Write, rows: &mut [issue::Model], moves: Vec<moves::ActiveModel>, timers: Vec<timer::ActiveModel>) -> AppResult<()> {
    let columns = [DISPATCHED, batch::FACTS].concat();
    for chunk in rows.chunks(batch::ROWS) {
        batch::update_columns(tx, chunk, &columns, "待交办的问题已被他人更新，请重试 (a pooled issue changed meanwhile; retry)").await?;
    }
    for row in rows.iter_mut() {
        row.version += 1;
    }
    batch::insert_all(tx, &moves).await?;
    batch::insert_all(tx, &timers).await
}

/// What a dispatch writes of each issue beside the facts the rules
/// changed ([`batch::FACTS`]): its list and place in it, the rules in
/// force, its history's head.
const DISPATCHED: &[issue::Column] = &[issue::Column::DispatchId, issue::Column::DispatchSeq, issue::Column::WorkflowVersion, issue::Column::Head];

/// How long the first list of an instant waits (real time) for a second
/// one of the same instant to join its mail.
const GATHER: std::time::Duration = std::time::Duration::from_secs(3);

/// One mail per unit with its part of the lists of this instant — this one
/// and any dispatched before at the same instant — as a table and an .xlsx.
async fn queue_list_mails(app: &App, tx: &Write, at: LocalTime, list: &str, rows: &[issue::Model]) -> AppResult<()> {
    let units: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.unit_id.as_str()).collect();
    let lists: Vec<String> = dispatch::Entity::find().filter(dispatch::Column::At.eq(at.to_string())).all(tx).await?.into_iter().map(|d| d.id).collect();
    // Read unit by unit, each unit's issues were read whole to keep those
    // of these lists: every issue of the province, inside the write.
    let mut listed = listed(at, lists).all(tx).await?;
    listed.sort_by_key(|i| i.dispatch_seq);
    let mut by_unit: std::collections::HashMap<&str, Vec<&issue::Model>> = std::collections::HashMap::new();
    for i in &listed {
        by_unit.entry(i.unit_id.as_str()).or_default().push(i);
    }
    for unit_id in units {
        let Some(unit) = unit::Entity::find_by_id(unit_id.to_string()).one(tx).await? else { continue };
        let issues = by_unit.remove(unit_id).unwrap_or_default();
        let table: Vec<Vec<String>> = issues
            .iter()
            .map(|i| {
                vec![
                    i.code.clone(),
                    i.title.clone(),
                    i.category.clone().unwrap_or_default(),
                    i.source.clone().unwrap_or_default(),
                    i.location.clone().unwrap_or_default(),
                    at.date().to_string(),
                ]
            })
            .collect();
        let xlsx = crate::mail::xlsx_table("交办清单", &crate::mail::DISPATCH_COLUMNS, &table).ok();
        outbox::enqueue_or_extend(
            tx,
            outbox::NewMail {
                key: dispatch_key(at, &unit.id),
                to: accounts::unit_emails(&unit),
                cc: vec![app.wf.mail.dispatcher.clone()],
                subject: format!("【交办】{} 交办清单（{}项）", unit.name, issues.len()),
                body: with_print_link(app, crate::mail::dispatch_mail_body(&unit.name, &at.to_string(), &table), list, &unit.id),
                attachment: xlsx.map(|bytes| (format!("交办清单-{}.xlsx", at.date()), bytes)),
                send_after: app.wf.calendar.next_working(at),
                audience: outbox::Audience::Unit(unit.id.clone()),
            },
            GATHER,
        )
        .await?;
    }
    Ok(())
}

/// The issues of `lists`, the lists of the instant `at`, found by the
/// index on dispatched_at: an issue of such a list was dispatched at `at`,
/// and its dispatch date only ever moves later (a reassignment gives it
/// the new one), so the index is read from `at` on — the lists
/// themselves, and what was dispatched since if this runs late (a
/// catch-up).
fn listed(at: LocalTime, lists: Vec<String>) -> sea_orm::Select<issue::Entity> {
    // Not ordered here: asked for dispatch_seq order, SQLite's planner
    // reads the whole index on dispatch_seq instead (sorted by the caller).
    issue::Entity::find().filter(issue::Column::DispatchedAt.gte(at.to_string())).filter(issue::Column::DispatchId.is_in(lists))
}

/// The printable 交办单 of the unit's part of the list, when the service
/// knows the address users reach it at.
fn with_print_link(app: &App, body: String, list: &str, unit: &str) -> String {
    match app.mail.public_url.as_deref() {
        Some(url) => format!("{body}\n\n打印交办单（签收用）：{}/dispatches/{list}/print?unit={unit}", url.trim_end_matches('/')),
        None => body,
    }
}

/// A dispatch list as it was sent (read-only, for the 交办清单 page and the
/// printable 交办单): when, and its issues in list order as they stand now.
#[derive(Debug, Serialize)]
pub struct ListView {
    pub id: String,
    pub at: String,
    pub scheduled: bool,
    pub issues: Vec<issues::IssueView>,
}

/// The list `id`; a unit user sees only its own unit's issues on it.
pub async fn list_of(app: &App, actor: &Actor, id: &str) -> AppResult<ListView> {
    actor.require(&[Role::Dispatcher, Role::Assessor, Role::Admin, Role::Unit])?;
    let list = dispatch::Entity::find_by_id(id.to_string())
        .one(&app.db)
        .await?
        .ok_or_else(|| super::AppError::NotFound(format!("交办清单 `{id}` 不存在 (no such dispatch list)")))?;
    let mut query = issue::Entity::find().filter(issue::Column::DispatchId.eq(id)).order_by_asc(issue::Column::DispatchSeq);
    if actor.role == Role::Unit {
        query = query.filter(issue::Column::UnitId.eq(actor.unit_id.clone().unwrap_or_default()));
    }
    let names = accounts::unit_names(&app.db).await?;
    let now = app.now().await?;
    let mut views = Vec::new();
    for row in query.all(&app.db).await? {
        views.push(issues::view(app, &row, names.get(&row.unit_id).map_or("", String::as_str), now, None).await?);
    }
    Ok(ListView { id: list.id, at: list.at, scheduled: list.scheduled, issues: views })
}

/// The ids of the lists, newest first, one page of them, and how many there are.
pub async fn recent(app: &App, actor: &Actor, page: issues::Page) -> AppResult<(Vec<String>, u64)> {
    use sea_orm::PaginatorTrait;
    actor.require(&[Role::Dispatcher, Role::Assessor, Role::Admin])?;
    let total = dispatch::Entity::find().count(&app.db).await?;
    let newest = dispatch::Entity::find().order_by_desc(dispatch::Column::At).order_by_desc(dispatch::Column::Id);
    let ids = crate::db::all_windowed(&app.db, newest, page.per_page, (page.number - 1) * page.per_page).await?.into_iter().map(|d| d.id).collect();
    Ok((ids, total))
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, QueryTrait};

    /// A list's mails read the instant's dispatched issues by index, not
    /// the issues table (nor a unit's every issue).
    #[tokio::test]
    async fn the_lists_issues_are_read_by_their_instant() {
        let at = crate::core::LocalTime::parse("2021-03-01T09:00:00").expect("a time");
        let plan = crate::db::sqlite_plan(super::listed(at, vec!["a".into(), "b".into()]).build(DbBackend::Sqlite)).await;
        assert!(plan.iter().any(|d| d.contains("issues_dispatched")), "{plan:?}");
        assert!(plan.iter().all(|d| !d.starts_with("SCAN issues")), "{plan:?}");
    }
}
