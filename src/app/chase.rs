//! 催办: 攻坚办 presses a unit about one issue. The unit gets a mail now —
//! copied to its 分管领导, which is the point of a chase — the history
//! records it, and the board counts how often an issue was chased.

use super::issues::{IssueView, view, visible};
use super::moves::{NewMove, Sealed};
use super::outbox::{self, Audience};
use super::{Actor, App, AppError, AppResult, accounts, convert};
use crate::core::state::{Role, State};

/// Said in the mail when 攻坚办 gives no note.
const DEFAULT_NOTE: &str = "请抓紧整改并及时反馈。";

#[tracing::instrument(skip_all, fields(issue = %id, action = "chase", user = %actor.username), err)]
pub async fn chase(app: &App, actor: &Actor, id: &str, note: Option<String>) -> AppResult<IssueView> {
    actor.require(&[Role::Dispatcher])?;
    let row = visible(app, actor, id).await?;
    let state = convert::state(&row.state)?;
    if matches!(state, State::Closed | State::Withdrawn | State::Registered) {
        return Err(AppError::Conflict(format!("「{}」的问题不能催办 (no chase while the issue is `{state}`)", app.wf.state_label(state))));
    }
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let m = app.begin_move().await?;
    let now = m.now;
    // Written back under the version check, as a move is: a chase and a
    // move at once cannot both chain to the same last move, and the move
    // cannot write back the count from before the chase.
    let mut row = row;
    row.chases += 1;
    let sealed = Sealed::onto(&mut row, NewMove { action: "chase", actor: &actor.username, at: now, note: note.clone(), attachments: &[], detail: None })?;
    let row = super::effects::save_issue(&m.tx, row, sealed).await?;
    let n = row.chases;
    let unit = accounts::unit_by_id(&m.tx, &row.unit_id).await?;
    let (unit_name, to, leaders) = match &unit {
        Some(u) => (u.name.clone(), accounts::unit_emails(u), accounts::unit_leaders(u)),
        None => (String::new(), Vec::new(), Vec::new()),
    };
    let days = row.dispatched_at.as_deref().and_then(|d| convert::time(d).ok()).map(|d| crate::core::clock::days_between(d.date(), now.date()));
    let subject = format!("【催办】{} {}（第{n}次）", row.code, row.title);
    let since = days.map(|d| format!("已交办{d}天，")).unwrap_or_default();
    let body = format!(
        "{unit_name}：\n\n问题“{}”（编号{}）{since}攻坚办第{n}次催办：{}\n\n本邮件同时抄送贵单位分管领导。\n\n—— 交办系统（请勿直接回复）",
        row.title,
        row.code,
        note.as_deref().unwrap_or(DEFAULT_NOTE)
    );
    let mut cc = leaders;
    cc.push(app.wf.mail.dispatcher.clone());
    let mail = outbox::NewMail {
        key: format!("chase:{}:{n}", row.id),
        to,
        cc,
        subject,
        body,
        attachment: None,
        send_after: now,
        audience: Audience::Unit(row.unit_id.clone()),
    };
    outbox::enqueue(&m.tx, mail).await?;
    m.tx.commit().await?;
    app.delivery.ring();
    app.metrics.moved("chase");
    view(app, &row, &unit_name, now, None).await
}
