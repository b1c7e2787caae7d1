//! The admin's account tools: 重置密码 per user (the user must then change
//! it before anything else), and the audit log (/admin/audit).

use super::account::local;
use super::admin::{UnitForm, UserForm, admin_page};
use super::form::Errors;
use super::layout::{Layout, Me, WebResult, render, render_status};
use super::view::with_flash;
use crate::app::{AppError, accounts, audit, sessions};
use crate::core::state::Role;
use crate::http::HttpState;
use crate::http::session::ClientIp;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// Entries on the audit page (the newest).
const AUDIT_SHOWN: u64 = 500;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    password: String,
}

/// `POST /admin/users/{id}/password`.
pub async fn reset(State(s): State<HttpState>, me: Me, ClientIp(ip): ClientIp, Path(id): Path<String>, Form(f): Form<ResetForm>) -> WebResult {
    me.require(&[Role::Admin])?;
    let refused = if f.password.is_empty() {
        "请填写新的临时密码".to_string()
    } else {
        match sessions::reset_password(&s.app, &me.actor, &id, &f.password, ip).await {
            Ok(()) => {
                let name = accounts::list_users(&s.app, &me.actor).await?.into_iter().find(|u| u.id == id).map(|u| u.username).unwrap_or_default();
                return Ok(Redirect::to(&with_flash("/admin", "reset", &[("code", &name)])).into_response());
            }
            Err(AppError::BadInput(m)) => super::layout::zh(&m),
            Err(e) => return Err(e.into()),
        }
    };
    let mut page = admin_page(&s, &me, UnitForm::default(), UserForm::default(), Errors::default(), Errors::default(), None).await?;
    page.reset_error = Some((id, refused));
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// What an audit entry's action is called on the page.
pub fn action_label(action: &str) -> &str {
    match action {
        "sign_in" => "登录",
        "sign_in_failed" => "登录失败",
        "lock_out" => "登录锁定",
        "password_changed" => "修改密码",
        "password_reset" => "重置密码",
        "user_created" => "新增用户",
        "unit_created" => "新增单位",
        "workflow" => "流程版本",
        "test_clock" => "推进测试时钟",
        other => other,
    }
}

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    /// The raw action, for styling (failures and lock-outs in red).
    pub kind: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    shown: u64,
}

/// `GET /admin/audit`: the newest entries, newest first.
pub async fn audit_log(State(s): State<HttpState>, me: Me) -> WebResult {
    me.require(&[Role::Admin])?;
    let rows = audit::list(&s.app, &me.actor, AUDIT_SHOWN)
        .await?
        .into_iter()
        .map(|l| AuditRow {
            at: local(&s.app.wf, &l.at),
            actor: l.actor,
            action: action_label(&l.action).to_string(),
            kind: l.action,
            target: l.target.unwrap_or_default(),
            detail: l.detail.unwrap_or_default(),
            ip: l.ip.unwrap_or_default(),
        })
        .collect();
    let layout = Layout::new(&s, &me, "审计日志", "/admin").await;
    Ok(render(&AuditPage { layout, rows, shown: AUDIT_SHOWN }))
}
