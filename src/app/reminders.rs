//! Firing an issue's reminder timer: judge whether it is still owed, find
//! who it goes to and what it says — the mail the scheduler queues.
//!
//! Recipients (rules.md, Reminders): tier reminders, `assign:` and
//! `withdrawn:` go to the issue's unit; `recheck-wait:` to the rechecker;
//! `return:` to 攻坚办; `ruling:` to the unit that made the return — which,
//! after a reassignment, is no longer the issue's unit, so it is read from
//! the history (the return move names the unit that made it).

use super::mail_text::{Extra, IssueFacts, reminder_text};
use super::outbox::Audience;
use super::write::Write;
use super::{App, AppResult, accounts, convert, outbox};
use crate::core::LocalTime;
use crate::core::engine::Reminder;
use crate::db::entities::{issue, moves};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// The reminder's mail if it is still owed at `at`; otherwise it lapses for good.
pub async fn mail(app: &App, tx: &Write, row: &issue::Model, reminder: Reminder, at: LocalTime) -> AppResult<Option<outbox::NewMail>> {
    if !reminder.is_owed(&convert::facts(row)?) {
        return Ok(None);
    }
    // Only the corrections' mails say what the history says (a reason, a unit).
    let history = match reminder {
        Reminder::Return(_) | Reminder::Ruling(_) | Reminder::Withdrawn => {
            moves::Entity::find().filter(moves::Column::IssueId.eq(row.id.clone())).order_by_asc(moves::Column::Id).all(tx).await?
        }
        _ => Vec::new(),
    };
    let nth = |action: &str, n: u32| history.iter().filter(|m| m.action == action).nth(n.saturating_sub(1) as usize);
    let note = |m: Option<&moves::Model>| m.and_then(|m| m.note.clone()).unwrap_or_default();
    let mut extra = Extra::default();
    let mut addressee = row.unit_id.clone();
    match reminder {
        Reminder::Return(n) => extra.reason = note(nth("return", n)),
        Reminder::Ruling(n) => {
            let returned = nth("return", n);
            addressee = returned.and_then(|m| m.detail.clone()).unwrap_or(addressee);
            // The ruling is the first reassign / reject after that return.
            let after = returned.map_or(0, |m| m.id);
            let ruling = history.iter().find(|m| m.id > after && matches!(m.action.as_str(), "reassign" | "reject_return"));
            extra.reason = note(ruling);
            if let Some(to) = ruling.filter(|m| m.action == "reassign").and_then(|m| m.detail.as_deref()) {
                extra.ruling_to = Some(app.unit_name(to).await?);
            }
        }
        Reminder::Withdrawn => extra.reason = note(history.iter().rfind(|m| m.action == "withdraw")),
        _ => {}
    }
    let unit = app.unit(&addressee).await?;
    let unit_name = unit.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    let dispatcher = app.wf.mail.dispatcher.clone();
    let overdue = matches!(reminder, Reminder::Tier { day, .. } if day == app.wf.overdue_day());
    let (to, cc, audience) = match reminder {
        Reminder::RecheckWait(_) => (vec![app.wf.mail.rechecker.clone()], vec![dispatcher], Audience::Rechecker),
        Reminder::Return(_) => (vec![dispatcher], Vec::new(), Audience::Dispatcher),
        _ => {
            let mut cc = vec![dispatcher];
            // The unit's 分管领导 hear of an issue once it is overdue.
            if overdue {
                cc.extend(unit.as_deref().map(accounts::unit_leaders).unwrap_or_default());
            }
            (unit.as_deref().map(accounts::unit_emails).unwrap_or_default(), cc, Audience::Unit(unit.as_ref().map(|u| u.id.clone()).unwrap_or_default()))
        }
    };
    let facts = IssueFacts {
        id: &row.id,
        code: &row.code,
        title: &row.title,
        unit: &unit_name,
        dispatched_at: row.dispatched_at.as_deref().unwrap_or(""),
        reported_at: row.last_report_at.as_deref().unwrap_or(""),
    };
    let (subject, body) = reminder_text(&app.wf, reminder, &facts, &extra, app.mail.public_url.as_deref());
    Ok(Some(outbox::NewMail { key: reminder.key(&row.id), to, cc, subject, body, attachment: None, send_after: at, audience }))
}
