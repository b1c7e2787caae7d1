//! Signing in and out through the sign-in form. The cookie is the API's
//! (`jiaoban_session`), so a page and a script share one session model.

use super::form::Errors;
use super::layout::{Layout, local_path, main_page, render, render_status};
use crate::app::{AppError, sessions};
use crate::http::HttpState;
use crate::http::session::{ClientIp, clear_cookie, set_cookie, sign_in_limited, token};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    errors: Errors,
    demo: bool,
    demo_password: &'static str,
    remember: bool,
    /// How long a remembered sign-in lasts (the session lifetime).
    remember_hours: u64,
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
    out: Option<String>,
}

pub async fn page(State(s): State<HttpState>, Query(q): Query<Next>) -> Response {
    let flash = q.out.is_some().then(|| "您已安全退出。".to_string());
    let layout = Layout::bare(&s, "登录").await.with_flash(flash);
    render(&LoginPage {
        layout,
        username: String::new(),
        next: local_path(q.next.as_deref()).unwrap_or_default(),
        errors: Errors::default(),
        demo: s.app.test_clock,
        demo_password: crate::demo::PASSWORD,
        remember: false,
        remember_hours: s.app.sessions.lifetime.as_secs() / 3600,
    })
}

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
    /// 记住我: keep the cookie after the browser closes.
    remember: Option<String>,
}

pub async fn submit(State(s): State<HttpState>, ClientIp(ip): ClientIp, Form(f): Form<Credentials>) -> Response {
    let mut errors = Errors::default();
    let username = f.username.trim().to_string();
    if username.is_empty() {
        errors.add("username", "请输入用户名");
    }
    if f.password.is_empty() {
        errors.add("password", "请输入密码");
    }
    if errors.is_empty() {
        match sign_in_limited(&s, &username, &f.password, f.remember.is_some(), ip).await {
            Ok(signed) => {
                let to = local_path(Some(&f.next)).unwrap_or_else(|| main_page(signed.actor.role).to_string());
                let cookie = set_cookie(&signed.token, s.secure_cookies, signed.remember.then_some(s.app.sessions.lifetime));
                return ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response();
            }
            Err(AppError::Unauthenticated) => errors.add("password", "用户名或密码不正确"),
            Err(AppError::TooManyAttempts) => errors.add("password", "登录失败次数过多，请 5 分钟后再试"),
            Err(e) => return super::layout::WebError::from(e).into_response(),
        }
    }
    let layout = Layout::bare(&s, "登录").await;
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &LoginPage {
            layout,
            username,
            next: local_path(Some(&f.next)).unwrap_or_default(),
            errors,
            demo: s.app.test_clock,
            demo_password: crate::demo::PASSWORD,
            remember: f.remember.is_some(),
            remember_hours: s.app.sessions.lifetime.as_secs() / 3600,
        },
    )
}

pub async fn sign_out(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    if let Some(token) = token(&headers)
        && let Err(e) = sessions::sign_out(&s.app, &token).await
    {
        return super::layout::WebError::from(e).into_response();
    }
    ([(header::SET_COOKIE, clear_cookie(s.secure_cookies))], Redirect::to("/login?out=1")).into_response()
}
