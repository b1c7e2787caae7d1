//! One issue: its facts, its tier, its history as a timeline with the
//! evidence, and the one form its viewer may use now — 签收 and 反馈 for its
//! unit, 复核 for the rechecker, 销号 for 攻坚办.

use super::form::{Errors, Kept, Submitted, id_strings, store_evidence};
use super::layout::{Layout, Me, WebError, WebResult, local_path, render_status};
use super::tier::date_of;
use super::view::{Entry, Flash, IssueRow, timeline, with_flash};
use crate::app::moves::{self, MoveRequest};
use crate::app::{AppError, issues};
use crate::core::clock::days_between;
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

/// Which form the viewer sees.
#[derive(Default)]
pub struct Panel {
    pub accept: bool,
    pub report: bool,
    pub recheck: bool,
    pub close: bool,
}

impl Panel {
    fn for_viewer(role: Role, state: IssueState) -> Panel {
        Panel {
            accept: role == Role::Unit && state == IssueState::Assigned,
            report: role == Role::Unit && state == IssueState::Rectifying,
            recheck: role == Role::Rechecker && state == IssueState::Reported,
            close: role == Role::Dispatcher && state == IssueState::Rechecked,
        }
    }
}

#[derive(Template)]
#[template(path = "issue.html")]
struct IssuePage {
    layout: Layout,
    issue: IssueRow,
    description: String,
    timeline: Vec<Entry>,
    /// The last failed recheck's note, while the unit is at it again.
    returned: Option<String>,
    /// Days from dispatch to the report a passing recheck accepted.
    completed_days: Option<i64>,
    panel: Panel,
    note: String,
    kept: Vec<Kept>,
    errors: Errors,
    back: String,
}

async fn issue_page(s: &HttpState, me: &Me, id: &str, note: String, kept: Vec<Kept>, errors: Errors, flash: Option<String>) -> Result<IssuePage, AppError> {
    let view = issues::get(&s.app, &me.actor, id).await?;
    let history = view.history.as_deref().unwrap_or_default();
    let issue = IssueRow::new(&s.app.wf, &view, Some(history));
    let returned = (view.state == IssueState::Rectifying)
        .then(|| history.last().filter(|m| m.action == "recheck_fail").map(|m| m.note.clone().unwrap_or_default()))
        .flatten();
    let completed_days = matches!(view.state, IssueState::Rechecked | IssueState::Closed)
        .then(|| {
            let passed = history.iter().rposition(|m| m.action == "recheck_pass")?;
            let report = history[..passed].iter().rev().find(|m| m.action == "report")?;
            Some(days_between(date_of(view.dispatched_at.as_deref()?)?, date_of(&report.at)?))
        })
        .flatten();
    let active = match me.role() {
        Role::Unit => "/my",
        Role::Rechecker => "/recheck",
        _ => "/board",
    };
    Ok(IssuePage {
        layout: Layout::new(s, me, &format!("{} {}", view.code, view.title), active).await.with_flash(flash),
        panel: Panel::for_viewer(me.role(), view.state),
        description: view.description.clone().unwrap_or_default(),
        timeline: timeline(&s.app.wf, history),
        issue,
        returned,
        completed_days,
        note,
        kept,
        errors,
        back: active.to_string(),
    })
}

pub async fn page(State(s): State<HttpState>, me: Me, Path(id): Path<String>, Query(flash): Query<Flash>) -> WebResult {
    let page = issue_page(&s, &me, &id, String::new(), Vec::new(), Errors::default(), flash.message()).await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /issues/{id}/{accept|report|recheck|close}` (multipart, so the
/// same form can carry photos).
pub async fn act(State(s): State<HttpState>, me: Me, Path((id, action)): Path<(String, String)>, multipart: Multipart) -> WebResult {
    if !matches!(action.as_str(), "accept" | "report" | "recheck" | "close") {
        return Err(AppError::NotFound(String::new()).into());
    }
    // Another unit's issue does not exist: refuse before storing anything.
    issues::visible(&s.app, &me.actor, &id).await?;
    let form = Submitted::read(multipart).await?;
    let note = form.text("note");
    let mut errors = Errors::default();
    let passed = match (action.as_str(), form.text("passed").as_str()) {
        ("recheck", "true") => Some(true),
        ("recheck", "false") => Some(false),
        ("recheck", _) => {
            errors.add("", "请选择复核通过或不通过");
            None
        }
        _ => None,
    };
    if passed == Some(false) && note.is_empty() {
        errors.add("note", "复核不通过时，请写明原因，便于责任单位整改");
    }
    if note.chars().count() > 2000 {
        errors.add("note", "说明不能超过 2000 字");
    }
    let files = if matches!(action.as_str(), "report" | "recheck") {
        store_evidence(&s.app, &me.actor, &form, &["photos", "files"], "photos", &mut errors).await?
    } else {
        Vec::new()
    };
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        let request = MoveRequest { action: moves::requested_action(&action, passed)?, note: Some(note.clone()), unit: None, attachments: id_strings(&files) };
        match moves::act(&s.app, &me.actor, &id, request).await {
            Ok(view) => {
                let done = match passed {
                    Some(true) => "recheck_pass",
                    Some(false) => "recheck_fail",
                    None => action.as_str(),
                };
                let back = local_path(Some(&form.text("back"))).unwrap_or_else(|| format!("/issues/{id}"));
                return Ok(Redirect::to(&with_flash(&back, done, &[("code", &view.code)])).into_response());
            }
            Err(e @ (AppError::Conflict(_) | AppError::Forbidden(_) | AppError::BadInput(_))) => {
                status = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
                errors.add("", e.to_string());
            }
            Err(e) => return Err(WebError::from(e)),
        }
    }
    let page = issue_page(&s, &me, &id, note, Kept::list(&files), errors, None).await?;
    Ok(render_status(status, &page))
}
