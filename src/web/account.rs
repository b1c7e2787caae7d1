//! 账号与密码 (/password): change one's password (current, new, repeated;
//! each error next to its field), and the user's sessions (登录设备), each
//! but this one with 退出该设备. After an admin reset this is the only page
//! the user may open ([`super::layout::Me`]).

use super::form::Errors;
use super::layout::{Layout, Me, WebResult, main_page, render, render_status};
use super::view::{Flash, with_flash};
use crate::app::identity::MIN_PASSWORD;
use crate::app::{AppError, sessions};
use crate::core::Workflow;
use crate::http::HttpState;
use crate::http::session::ClientIp;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

pub struct Device {
    pub id: String,
    pub since: String,
    pub seen: String,
    pub remember: bool,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    errors: Errors,
    /// For the browser's password manager (a hidden username field).
    username: String,
    must_change: bool,
    devices: Vec<Device>,
    min: usize,
    /// Where to go on once the password is changed.
    onward: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

/// A session's UTC stamp in the workflow's time zone: `2021-03-01 09:00`.
pub fn local(wf: &Workflow, utc: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(utc).map(|t| t.with_timezone(&wf.timezone).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|_| utc.to_string())
}

async fn password_page(s: &HttpState, me: &Me, errors: Errors, flash: Option<String>) -> Result<PasswordPage, AppError> {
    let devices = sessions::list(&s.app, &me.actor, &me.token)
        .await?
        .into_iter()
        .map(|d| Device { since: local(&s.app.wf, &d.created_at), seen: local(&s.app.wf, &d.last_seen_at), id: d.id, remember: d.remember, current: d.current })
        .collect();
    Ok(PasswordPage {
        layout: Layout::new(s, me, "账号与密码", "/password").await.with_flash(flash),
        errors,
        username: me.actor.username.clone(),
        must_change: me.actor.must_change_password,
        devices,
        min: MIN_PASSWORD,
        onward: main_page(me.role()),
    })
}

pub async fn page(State(s): State<HttpState>, me: Me, Query(flash): Query<Flash>) -> WebResult {
    Ok(render(&password_page(&s, &me, Errors::default(), flash.message()).await?))
}

/// `POST /password`. The passwords are never put back into the form.
pub async fn change(State(s): State<HttpState>, me: Me, ClientIp(ip): ClientIp, Form(f): Form<PasswordForm>) -> WebResult {
    let mut errors = Errors::default();
    if f.current.is_empty() {
        errors.add("current", "请输入当前密码");
    }
    if f.new.is_empty() {
        errors.add("new", "请输入新密码");
    } else if f.repeat != f.new {
        errors.add("repeat", "两次输入的新密码不一致");
    }
    if errors.is_empty() {
        match sessions::change_password(&s.app, &me.actor, &me.token, &f.current, &f.new, ip).await {
            Ok(()) => return Ok(Redirect::to(&with_flash("/password", "password", &[])).into_response()),
            Err(AppError::BadInput(m)) if m.starts_with("当前密码") => errors.add("current", m),
            Err(AppError::BadInput(m)) => errors.add("new", m),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &password_page(&s, &me, errors, None).await?))
}

/// `POST /password/sessions/{id}/end`: 退出该设备.
pub async fn end_session(State(s): State<HttpState>, me: Me, Path(id): Path<String>) -> WebResult {
    sessions::end(&s.app, &me.actor, &id).await?;
    Ok(Redirect::to(&with_flash("/password", "session_ended", &[])).into_response())
}
