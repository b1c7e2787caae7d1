//! Moving an issue along the path and correcting it: the one use case
//! behind `POST /api/issues/{id}/actions` and every button of the issue page.
//!
//! The request is parsed at the edge into a [`MoveRequest`]; here it is
//! checked against the workflow (who may make the move, what evidence it
//! must carry — rules.md, Evidence), handed to the core, and stored with its
//! effects and its history row in one transaction.

use super::charges::{self, TakeBack};
use super::issues::{IssueView, next_dispatch_seq, view};
use super::{Actor, App, AppError, AppResult, accounts, attachments, convert, effects};
use crate::core::engine::{self, Refused};
use crate::core::state::Action;
use crate::core::workflow::Evidence;

/// A move as a request names it, parsed: nothing past the edge holds a string.
#[derive(Debug, Clone)]
pub struct MoveRequest {
    pub action: Action,
    pub note: Option<String>,
    /// 改派: the name of the unit the issue goes to.
    pub unit: Option<String>,
    /// Evidence already uploaded by the actor ([`attachments::store`]).
    pub attachments: Vec<String>,
}

impl MoveRequest {
    pub fn new(action: Action) -> MoveRequest {
        MoveRequest { action, note: None, unit: None, attachments: Vec::new() }
    }
}

/// The action a request names: `recheck` with `passed`, the others by name.
pub fn requested_action(name: &str, passed: Option<bool>) -> AppResult<Action> {
    match (name, passed) {
        ("accept", _) => Ok(Action::Accept),
        ("report", _) => Ok(Action::Report),
        ("close", _) => Ok(Action::Close),
        ("recheck", Some(passed)) => Ok(Action::recheck(passed)),
        ("recheck", None) => Err(AppError::BadInput("复核须给出 passed: true 或 false (recheck needs `passed`)".into())),
        ("return", _) => Ok(Action::Return),
        ("reassign", _) => Ok(Action::Reassign),
        ("reject_return", _) => Ok(Action::RejectReturn),
        ("withdraw", _) => Ok(Action::Withdraw),
        (other, _) => Err(AppError::BadInput(format!(
            "未知操作 `{other}` (unknown action; expected accept, report, recheck, close, return, reassign, reject_return, withdraw)"
        ))),
    }
}

/// What a move needs, said the way the forms say it.
pub fn evidence_text(e: Evidence) -> Option<String> {
    match (e.note, e.photos) {
        (false, 0) => None,
        (true, 0) => Some("须填写说明".into()),
        (false, n) => Some(format!("须上传至少 {n} 张照片")),
        (true, n) => Some(format!("须填写说明并上传至少 {n} 张照片")),
    }
}

/// Refuses a move that lacks what the workflow says it must carry.
pub(crate) fn check_evidence(label: &str, e: Evidence, note: Option<&str>, files: &[attachments::FileId]) -> AppResult<()> {
    let photos = files.iter().filter(|f| f.kind().is_image()).count();
    if (e.note && note.is_none()) || photos < e.photos as usize {
        let need = evidence_text(e).unwrap_or_default();
        let english = if e.note { format!("a note and at least {} photo(s)", e.photos) } else { format!("at least {} photo(s)", e.photos) };
        let english = if e.photos == 0 { "a note".to_string() } else { english };
        return Err(AppError::BadInput(format!("{label}{need} (this move needs {english})")));
    }
    Ok(())
}

/// Makes the move, or refuses it and changes nothing.
#[tracing::instrument(skip_all, fields(issue = %id, action = %request.action, user = %actor.username), err)]
pub async fn act(app: &App, actor: &Actor, id: &str, request: MoveRequest) -> AppResult<IssueView> {
    let MoveRequest { action, note, unit, attachments: ids } = request;
    let row = super::issues::visible(app, actor, id).await?;
    let role = app.wf.moves.iter().find(|m| m.action == action).map(|m| m.role);
    if role != Some(actor.role) {
        return Err(AppError::Forbidden(format!("角色 {} 不能执行 {} (forbidden)", actor.role, action.api_name())));
    }
    // A move the path does not allow is refused as such (409) before its
    // evidence is looked at; the core checks again inside the transaction.
    let state = convert::state(&row.state)?;
    if app.wf.transition(state, action).is_none() {
        return Err(refused(Refused::NotAllowed { action: action.api_name(), state }));
    }
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let files = attachments::claim_exact(app, actor, &ids).await?;
    let label = app.wf.moves.iter().find(|m| m.action == action).map_or(action.as_str(), |m| m.label.as_str());
    check_evidence(&format!("「{label}」"), app.wf.evidence(action), note.as_deref(), &files)?;
    let target = match (action, unit.as_deref().map(str::trim).filter(|u| !u.is_empty())) {
        (Action::Reassign, None) => return Err(AppError::BadInput("改派须指定 unit (reassign needs the unit it goes to)".into())),
        (Action::Reassign, Some(name)) => {
            let target = accounts::unit_by_name(&app.db, name).await?.ok_or_else(|| AppError::BadInput(format!("责任单位 `{name}` 不存在 (unknown unit)")))?;
            if target.id == row.unit_id {
                return Err(AppError::BadInput(format!("改派须交给另一个单位，`{name}` 就是现在的责任单位 (reassign to another unit)")));
            }
            Some(target)
        }
        _ => None,
    };
    // A move that may turn out to write nothing but the issue row and its
    // history decides before any transaction is opened: if it does, that
    // is one statement by itself (effects::persist_alone).
    let alone = app.one_statement().filter(|_| target.is_none() && files.is_empty() && !(action == Action::Withdraw && row.charged));
    let (m, now) = match alone {
        Some(_) => (None, app.now().await?),
        None => {
            let m = app.begin_move().await?;
            let now = m.now;
            (Some(m), now)
        }
    };
    let mut facts = convert::facts(&row)?;
    if let Some(m) = &m
        && action == Action::Withdraw
        && row.charged
    {
        facts.booked = charges::booked(&m.tx, &row.id).await?;
    }
    let decision = engine::step(&app.wf, &facts, action, now).map_err(refused)?;
    let mut row = row;
    let detail = match &target {
        Some(target) => {
            // A new assignment: another unit, and a place in the dispatch
            // order — in the transaction every reassignment opens (above).
            let Some(m) = &m else { return Err(AppError::Unexpected(anyhow::anyhow!("a reassignment outside a transaction"))) };
            super::issues::lock_sequence(app, &m.tx).await?;
            row.unit_id = target.id.clone();
            row.dispatch_seq = Some(next_dispatch_seq(&m.tx).await?);
            Some(target.id.clone())
        }
        // The ruling's mail goes to the unit that returned it.
        None if action == Action::Return => Some(row.unit_id.clone()),
        None => None,
    };
    let stamp = TakeBack { at: now, by: &actor.username, note: note.clone() };
    let files: Vec<String> = files.iter().map(|f| f.as_str().to_string()).collect();
    let sealed = Sealed::onto(&mut row, NewMove { action: action.as_str(), actor: &actor.username, at: now, note, attachments: &files, detail })?;
    let row = match (alone, m) {
        (Some(db), _) if decision.effects.is_empty() => effects::persist_alone(db, row, sealed, &decision).await?,
        (_, m) => {
            // Without a test clock (the only way `m` is None here), a move's
            // transaction is a write and its instant the one decided on.
            let tx = match m {
                Some(m) => m.tx,
                None => app.write().await?,
            };
            let row = effects::persist(&tx, row, sealed, decision, &stamp).await?;
            attachments::mark_attached(&tx, &files, &row.id).await?;
            tx.commit().await?;
            row
        }
    };
    app.metrics.moved(action.as_str());
    let unit = app.unit_name(&row.unit_id).await?;
    view(app, &row, &unit, now, None).await
}

fn refused(e: Refused) -> AppError {
    AppError::Conflict(format!("当前状态不允许此操作: {e}"))
}

// The history's rows are appended by `history` (each sealed with its hash).
pub use super::history::{NewMove, Sealed};
