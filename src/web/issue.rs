//! One issue: its facts, its tier, its history as a timeline with the
//! evidence, and the forms its viewer may use now — one per move the
//! workflow allows the viewer's role from the issue's state ([`super::actions`]).

use super::actions::{self, Context, MoveForm, Tried};
use super::chase::{self, ChaseForm};
use super::form::{Errors, Kept, Submitted, id_strings, store_evidence};
use super::layout::{Layout, Me, WebError, WebResult, local_path, render_status};
use super::tier::date_of;
use super::view::{Entry, Flash, IssueRow, timeline, with_flash};
use super::words;
use crate::app::issues::{IssueView, MoveView};
use crate::app::moves::{self, MoveRequest};
use crate::app::{AppError, accounts, charges, issues};
use crate::core::clock::days_between;
use crate::core::correction::undo;
use crate::core::state::{Action, Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

/// A box above the forms: why the issue stands where it does.
pub struct Notice {
    pub id: &'static str,
    pub title: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "issue.html")]
struct IssuePage {
    layout: Layout,
    issue: IssueRow,
    description: String,
    timeline: Vec<Entry>,
    notice: Option<Notice>,
    /// Days from dispatch to the report a passing recheck accepted.
    completed_days: Option<i64>,
    forms: Vec<MoveForm>,
    /// 催办, for 攻坚办 while the unit holds the issue.
    chase: Option<ChaseForm>,
    chases: i32,
    /// The history's hash chain verifies (记录完整), or not; none: not checked.
    intact: Option<bool>,
    /// A refusal whose form is no longer offered (the issue moved meanwhile).
    error: Option<String>,
    back: String,
}

fn notice(view: &IssueView, history: &[MoveView]) -> Option<Notice> {
    let last = |action: &str| history.iter().rev().find(|m| m.action == action);
    let note = |m: &MoveView| m.note.clone().unwrap_or_default();
    match view.state {
        IssueState::Rectifying => history.last().filter(|m| m.action == "recheck_fail").map(|m| Notice {
            id: "rework",
            title: "复核不通过，请重新整改",
            text: if note(m).is_empty() { "复核未写明原因。".into() } else { format!("复核意见：{}", note(m)) },
        }),
        IssueState::Returned => last("return").map(|m| Notice {
            id: "pending-return",
            title: "已退回，待攻坚办裁定",
            text: format!("{}于 {} 退回，理由：{}。攻坚办将改派给其他单位，或驳回交还原单位。", view.unit, super::layout::short_time(&m.at), note(m)),
        }),
        IssueState::Withdrawn => last("withdraw").map(|m| Notice {
            id: "withdrawn",
            title: "已撤销",
            text: format!("{} 于 {} 撤销，理由：{}。此问题不再计分、不再提醒。", m.actor, super::layout::short_time(&m.at), note(m)),
        }),
        _ => None,
    }
}

/// What a withdrawal would do to the issue's points now.
async fn withdraw_effect(s: &HttpState, view: &IssueView, now: crate::core::LocalTime) -> Result<String, AppError> {
    let booked = if view.charged { charges::booked(&s.app.db, &view.id).await? } else { None };
    Ok(words::take_back_effect(booked.map(|b| (b.quarter, b.points)), booked.map(|b| undo(&s.app.wf, b, now))))
}

async fn issue_page(s: &HttpState, me: &Me, id: &str, tried: Option<(&str, Tried)>, flash: Option<String>) -> Result<IssuePage, AppError> {
    let view = issues::get(&s.app, &me.actor, id).await?;
    let history = view.history.as_deref().unwrap_or_default();
    let now = s.app.now().await?;
    let completed_days = matches!(view.state, IssueState::Rechecked | IssueState::Closed)
        .then(|| {
            let passed = history.iter().rposition(|m| m.action == "recheck_pass")?;
            let report = history[..passed].iter().rev().find(|m| m.action == "report")?;
            Some(days_between(date_of(view.dispatched_at.as_deref()?)?, date_of(&report.at)?))
        })
        .flatten();
    let other_units = accounts::units(&s.app.db).await?.into_iter().map(|u| u.name).filter(|u| *u != view.unit).collect();
    let withdraw_effect = if me.role() == Role::Dispatcher { withdraw_effect(s, &view, now).await? } else { String::new() };
    let cx = Context {
        wf: &s.app.wf,
        role: me.role(),
        state: view.state,
        unit: &view.unit,
        dispatched: view.dispatched_at.as_deref().and_then(date_of),
        today: now.date(),
        other_units,
        withdraw_effect,
    };
    let mut forms = actions::forms(&cx);
    let mut error = None;
    if let Some((action, tried)) = tried {
        match forms.iter_mut().find(|f| f.action == action) {
            Some(form) => {
                form.folded = false;
                form.tried = tried;
            }
            None => error = tried.error.or(tried.note_error).or(tried.unit_error),
        }
    }
    let active = match me.role() {
        Role::Unit => "/my",
        Role::Rechecker => "/recheck",
        _ => "/board",
    };
    Ok(IssuePage {
        layout: Layout::new(s, me, &format!("{} {}", view.code, view.title), active).await.with_flash(flash),
        issue: IssueRow::new(&s.app.wf, &view, Some(history)),
        description: view.description.clone().unwrap_or_default(),
        timeline: timeline(&s.app.wf, history),
        notice: notice(&view, history),
        completed_days,
        forms,
        chase: chase::offered(me.role(), view.state).then_some(ChaseForm { count: view.chases, error: None }),
        chases: view.chases,
        intact: view.history_intact,
        error,
        back: active.to_string(),
    })
}

/// The page again after a refused 催办, the reason in its box (or above
/// the forms, when the issue has moved out of the unit's hands meanwhile).
pub async fn with_chase_error(s: &HttpState, me: &Me, id: &str, message: String) -> WebResult {
    let mut page = issue_page(s, me, id, None, None).await?;
    let message = super::layout::zh(&message);
    match &mut page.chase {
        Some(form) => form.error = Some(message),
        None => page.error = Some(message),
    }
    Ok(render_status(StatusCode::CONFLICT, &page))
}

pub async fn page(State(s): State<HttpState>, me: Me, Path(id): Path<String>, Query(flash): Query<Flash>) -> WebResult {
    let page = issue_page(&s, &me, &id, None, flash.message()).await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// The action a form names: `recheck` with its `passed` button, the others by name.
fn requested(action: &str, passed: &str, errors: &mut Errors) -> Result<Option<Action>, WebError> {
    const NAMES: &[&str] = &["accept", "report", "recheck", "close", "return", "reassign", "reject_return", "withdraw"];
    if !NAMES.contains(&action) {
        return Err(AppError::NotFound(String::new()).into());
    }
    let passed = match passed {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    if action == "recheck" && passed.is_none() {
        errors.add("", "请选择复核通过或不通过");
        return Ok(None);
    }
    Ok(Some(moves::requested_action(action, passed)?))
}

/// `POST /issues/{id}/{action}` for every move of the page (multipart, so
/// the same form can carry photos). What the workflow says a move needs is
/// checked here first, so each error lands next to its field.
pub async fn act(State(s): State<HttpState>, me: Me, Path((id, action)): Path<(String, String)>, multipart: Multipart) -> WebResult {
    // Another unit's issue does not exist: refuse before storing anything.
    issues::visible(&s.app, &me.actor, &id).await?;
    let form = Submitted::read(multipart).await?;
    let (note, unit) = (form.text("note"), form.text("unit"));
    let mut errors = Errors::default();
    let requested = requested(&action, &form.text("passed"), &mut errors)?;
    let w = requested.and_then(words::of);
    let evidence = requested.map(|a| s.app.wf.evidence(a)).unwrap_or_default();
    if evidence.note && note.is_empty() {
        errors.add("note", w.as_ref().map_or("请填写说明", |w| w.missing_note));
    }
    if note.chars().count() > 2000 {
        errors.add("note", "说明不能超过 2000 字");
    }
    if requested == Some(Action::Reassign) && unit.is_empty() {
        errors.add("unit", "请选择改派到的责任单位");
    }
    let files = if w.as_ref().is_some_and(|w| w.photos) {
        store_evidence(&s.app, &me.actor, &form, &["photos", "files"], "photos", &mut errors).await?
    } else {
        Vec::new()
    };
    let photos = files.iter().filter(|f| f.kind().is_image()).count();
    if photos < evidence.photos as usize && errors.all_for("photos").is_empty() {
        errors.add("photos", format!("请上传至少 {} 张整改后的现场照片", evidence.photos));
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (true, Some(action)) = (errors.is_empty(), requested) {
        let request = MoveRequest { action, note: Some(note.clone()), unit: Some(unit.clone()), attachments: id_strings(&files) };
        match moves::act(&s.app, &me.actor, &id, request).await {
            Ok(view) => {
                let back = local_path(Some(&form.text("back"))).unwrap_or_else(|| format!("/issues/{id}"));
                // The unit is news only when a ruling names it.
                let unit: &[(&str, &str)] = if matches!(action, Action::Reassign | Action::RejectReturn) { &[("unit", &view.unit)] } else { &[] };
                let to = with_flash(&back, action.as_str(), &[&[("code", view.code.as_str())], unit].concat());
                return Ok(Redirect::to(&to).into_response());
            }
            Err(e @ (AppError::Conflict(_) | AppError::Forbidden(_) | AppError::BadInput(_))) => {
                status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
                // 改派's own refusals (an unknown unit, the same unit) are about the unit.
                let field = if action == Action::Reassign && matches!(e, AppError::BadInput(_)) { "unit" } else { "" };
                errors.add(field, e.to_string());
            }
            Err(e) => return Err(WebError::from(e)),
        }
    }
    let tried = Tried {
        note,
        unit,
        kept: Kept::list(&files),
        note_error: errors.get("note").map(str::to_string),
        unit_error: errors.get("unit").map(str::to_string),
        photo_errors: errors.all_for("photos").into_iter().map(str::to_string).collect(),
        error: errors.get("").map(str::to_string),
    };
    let page = issue_page(&s, &me, &id, Some((&action, tried)), None).await?;
    Ok(render_status(status, &page))
}
