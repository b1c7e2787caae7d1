//! Violations (未执行调度方案或者指令) and their revocation (撤销违规记录).
//!
//! A violation is charged on the day it is recorded. Revoking it is a
//! correction like a withdrawal (rules.md): its quarter not frozen yet, it
//! leaves the quarter; frozen, it stays and a correction of minus its points
//! goes into the quarter of the revocation. Either way once only, and the
//! unit is told (`revoked:<violation id>`).

use super::charges::{self, TakeBack};
use super::moves::check_evidence;
use super::{Actor, App, AppError, AppResult, accounts, outbox};
use crate::core::charge::violation_quarter;
use crate::core::correction::{Undo, undo};
use crate::core::mail_keys::revoked_key;
use crate::core::state::Role;
use crate::core::{Points, Quarter};
use crate::db::entities::charge;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Statement};
use serde::Serialize;
use serde_json::{Value, json};

fn trimmed(note: Option<String>) -> Option<String> {
    note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty())
}

/// `POST /api/violations`: charged on the day recorded.
#[tracing::instrument(skip_all, fields(action = "violation", unit = %unit, user = %actor.username), err)]
pub async fn record(app: &App, actor: &Actor, unit: &str, note: Option<String>) -> AppResult<Value> {
    actor.require(&[Role::Dispatcher])?;
    let note = trimmed(note);
    check_evidence(&format!("「{}」", app.wf.violation_label), app.wf.violation_evidence, note.as_deref(), &[])?;
    let unit = accounts::unit_by_name(&app.db, unit.trim()).await?.ok_or_else(|| AppError::BadInput(format!("责任单位 `{unit}` 不存在 (unknown unit)")))?;
    let m = app.begin_move().await?;
    let now = m.now;
    let quarter = violation_quarter(now);
    let points = app.wf.violation_points;
    let row = charges::insert_violation(&m.tx, &unit.id, quarter, points, now, note.clone()).await?;
    m.tx.commit().await?;
    app.metrics.moved("violation");
    Ok(
        json!({"id": row.id.to_string(), "unit": unit.name, "date": now.date(), "at": now, "points": points, "quarter": quarter.to_string(), "note": note, "revoked": false}),
    )
}

/// `POST /api/violations/{id}/revoke`: once; a second time is a conflict.
#[tracing::instrument(skip_all, fields(action = "revoke", violation = %id, user = %actor.username), err)]
pub async fn revoke(app: &App, actor: &Actor, id: &str, note: Option<String>) -> AppResult<Value> {
    actor.require(&[app.wf.revoke.role])?;
    let not_found = || AppError::NotFound(format!("违规记录 `{id}` 不存在 (no such violation)"));
    let key: i64 = id.parse().map_err(|_| not_found())?;
    let note = trimmed(note);
    check_evidence(&format!("「{}」", app.wf.revoke.label), app.wf.revoke.evidence, note.as_deref(), &[])?;
    let m = app.begin_move().await?;
    let now = m.now;
    let found = charge::Entity::find_by_id(key).filter(charge::Column::Kind.eq(charges::VIOLATION)).one(&m.tx).await?.ok_or_else(not_found)?;
    if found.taken_back_at.is_some() {
        return Err(AppError::Conflict(format!("违规记录 `{id}` 已于 {} 撤销 (already revoked)", found.taken_back_at.unwrap_or_default())));
    }
    let how = TakeBack { at: now, by: &actor.username, note: note.clone() };
    let outcome = undo(&app.wf, charges::booked_of(&found)?, now);
    match outcome {
        Undo::Remove(_) => charges::take_back(&m.tx, found.id, true, &how).await?,
        Undo::Correct(c) => {
            charges::take_back(&m.tx, found.id, false, &how).await?;
            charges::insert_correction(&m.tx, &found, &c, now).await?;
        }
        Undo::Nothing => charges::take_back(&m.tx, found.id, false, &how).await?,
    }
    let unit = super::accounts::unit_by_id(&m.tx, &found.unit_id).await?;
    let date = charges::date_of(&found)?.to_string();
    let unit_name = unit.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    let (subject, body) = crate::mail::reminder_subject_and_body(
        &crate::mail::ReminderMail::Revoked { unit: &unit_name, date: &date, reason: note.as_deref().unwrap_or("") },
        None,
    );
    outbox::enqueue(
        &m.tx,
        outbox::NewMail {
            key: revoked_key(id),
            to: unit.as_ref().map(accounts::unit_emails).unwrap_or_default(),
            cc: vec![app.wf.mail.dispatcher.clone()],
            subject,
            body,
            attachment: None,
            send_after: app.wf.calendar.next_working(now),
            audience: outbox::Audience::Unit(found.unit_id.clone()),
        },
    )
    .await?;
    m.tx.commit().await?;
    app.metrics.moved("revoke");
    let corrected = matches!(outcome, Undo::Correct(_));
    Ok(json!({"id": id, "unit": unit_name, "revoked": true, "revoked_at": now, "note": note, "correction": corrected}))
}

/// A recorded violation as the violations page lists it, revoked or not.
#[derive(Debug, Clone, Serialize)]
pub struct ViolationView {
    pub id: String,
    pub unit: String,
    pub date: chrono::NaiveDate,
    /// The quarter that carries it (the quarter of its date).
    pub quarter: String,
    pub points: Points,
    pub note: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoked_note: Option<String>,
    /// Revoked after its quarter froze: it stays there, a correction answers it.
    pub corrected: bool,
}

/// The violations recorded in `quarter`, newest first. Read from the
/// charge rows rather than from the quarter report: a violation revoked
/// before its quarter froze is gone from the report, but not from the
/// record. By the partial index `charges_violations` (m20261219), whose
/// condition the text repeats literally (a bound kind would not prove it):
/// before, every charge of every quarter was read to keep these.
pub async fn list(app: &App, actor: &Actor, quarter: Quarter) -> AppResult<Vec<ViolationView>> {
    actor.require(&[Role::Dispatcher, app.wf.revoke.role])?;
    let names = accounts::unit_names(&app.db).await?;
    let backend = app.backend();
    let statement = Statement::from_sql_and_values(backend, crate::db::sql(backend, &list_sql()), [quarter.to_string().into()]);
    let rows = charge::Entity::find().from_raw_sql(statement).all(&app.db).await?;
    rows.into_iter()
        .map(|c| {
            let quarter = Quarter::parse(&c.quarter).map_or_else(|| c.quarter.clone(), |q| q.to_string());
            Ok(ViolationView {
                id: c.id.to_string(),
                unit: names.get(&c.unit_id).cloned().unwrap_or_default(),
                date: charges::date_of(&c)?,
                quarter,
                points: Points::from_thousandths(c.points_milli),
                corrected: c.taken_back_at.is_some() && !c.removed && c.points_milli != 0,
                note: c.note,
                revoked_at: c.taken_back_at,
                revoked_by: c.taken_back_by,
                revoked_note: c.taken_back_note,
            })
        })
        .collect()
}

/// A quarter's violations, newest first, by the partial index (its
/// condition written out, as the index has it).
fn list_sql() -> String {
    format!("SELECT * FROM charges WHERE kind = '{}' AND quarter = ? ORDER BY id DESC", charges::VIOLATION)
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, Statement};

    /// The violations page reads its quarter's violations by the partial
    /// index alone: not every charge, and no sort.
    #[tokio::test]
    async fn a_quarters_violations_are_read_by_their_index() {
        let plan = crate::db::sqlite_plan(Statement::from_sql_and_values(DbBackend::Sqlite, super::list_sql(), ["2021Q2".into()])).await;
        assert!(plan.iter().any(|d| d.contains("charges_violations")), "{plan:?}");
        assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE")), "{plan:?}");
    }
}
