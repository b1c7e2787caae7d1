//! Who is signed in, the page frame (header, navigation, 测试时钟 banner),
//! and how failures become pages.

use crate::app::{Actor, AppError};
use crate::core::state::Role;
use crate::http::HttpState;
use crate::http::session::token;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The signed-in user of a page; without a live session the request is
/// redirected to the sign-in page, which comes back here afterwards. A
/// user whose password an admin reset is sent to /password from every
/// page until it has chosen a new one (the API refuses it the same way).
pub struct Me {
    pub actor: Actor,
    pub unit: Option<String>,
    /// The session's token: which of the user's sessions is this one.
    pub token: String,
}

/// The pages a user who must change its password may still open. Sign-out
/// and the assets take no [`Me`], so they need no place here.
fn allowed_before_a_new_password(path: &str) -> bool {
    path == "/password" || path.starts_with("/password/")
}

impl Me {
    pub fn role(&self) -> Role {
        self.actor.role
    }

    /// Refuses a page the role has no business on (403 page).
    pub fn require(&self, roles: &[Role]) -> Result<(), WebError> {
        if roles.contains(&self.actor.role) {
            Ok(())
        } else {
            Err(WebError::page(StatusCode::FORBIDDEN, "无权访问", "您的角色不能使用此页面。"))
        }
    }
}

impl FromRequestParts<HttpState> for Me {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let to_login = || {
            // Back to this page after signing in; a form post cannot be
            // replayed, so its sender goes to the main page instead.
            let here = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let to = if parts.method == axum::http::Method::GET { format!("/login?next={}", percent_encode(here)) } else { "/login".to_string() };
            Redirect::to(&to).into_response()
        };
        let Some(token) = token(&parts.headers) else { return Err(to_login()) };
        let actor = match crate::app::sessions::session_actor(&state.app, &token).await {
            Ok(Some(actor)) => actor,
            Ok(None) => return Err(to_login()),
            Err(e) => return Err(WebError::from(e).into_response()),
        };
        if actor.must_change_password && !allowed_before_a_new_password(parts.uri.path()) {
            return Err(Redirect::to("/password").into_response());
        }
        let unit = match &actor.unit_id {
            Some(id) => Some(state.app.unit_name(id).await.map_err(|e| WebError::from(e).into_response())?),
            None => None,
        };
        Ok(Me { actor, unit, token })
    }
}

/// `/`: each role's main page.
pub async fn home(me: Me) -> Redirect {
    Redirect::to(main_page(me.role()))
}

pub fn main_page(role: Role) -> &'static str {
    match role {
        Role::Dispatcher => "/board",
        Role::Unit => "/my",
        Role::Rechecker => "/recheck",
        Role::Assessor => "/reports",
        Role::Admin => "/admin",
    }
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct Header {
    pub username: String,
    /// 姓名 (the user name when none was given).
    pub name: String,
    pub role: String,
    pub unit: Option<String>,
    /// Unread messages (消息), for the header's badge.
    pub unread: u64,
}

/// What every page's frame shows.
pub struct Layout {
    pub title: String,
    pub app_title: String,
    pub me: Option<Header>,
    pub nav: Vec<NavItem>,
    /// The test clock's time, when it is on: the banner.
    pub test_clock: Option<String>,
    pub flash: Option<String>,
}

fn nav_for(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Dispatcher => &[
            ("/board", "督办看板"),
            ("/pool", "待交办"),
            ("/dispatches", "交办清单"),
            ("/closeout", "待销号"),
            ("/violations", "违规记录"),
            ("/reports", "考核报表"),
        ],
        Role::Unit => &[("/my", "我的问题"), ("/reports", "本单位扣分")],
        Role::Rechecker => &[("/recheck", "待复核"), ("/board", "督办看板")],
        Role::Assessor => &[("/reports", "考核报表"), ("/board", "督办看板")],
        Role::Admin => &[("/admin", "系统管理"), ("/board", "督办看板"), ("/reports", "考核报表")],
    }
}

impl Layout {
    /// The frame of a signed-in page; `active` is its navigation entry.
    pub async fn new(s: &HttpState, me: &Me, title: &str, active: &str) -> Layout {
        let mut layout = Layout::bare(s, title).await;
        // Every page but /password is closed to it until the password changes.
        if !me.actor.must_change_password {
            layout.nav = nav_for(me.role()).iter().map(|(href, label)| NavItem { href, label, active: *href == active }).collect();
        }
        layout.me = Some(Header {
            username: me.actor.username.clone(),
            name: me.actor.name.clone(),
            role: s.app.wf.role_label(me.role()).to_string(),
            unit: me.unit.clone(),
            unread: unread(s, me).await,
        });
        layout
    }

    /// The frame without a user (the sign-in page).
    pub async fn bare(s: &HttpState, title: &str) -> Layout {
        let test_clock = if s.app.test_clock { s.app.now().await.ok().map(|t| short_time(&t.to_string())) } else { None };
        Layout { title: title.to_string(), app_title: s.app.wf.title.clone(), me: None, nav: Vec::new(), test_clock, flash: None }
    }

    pub fn with_flash(mut self, flash: Option<String>) -> Layout {
        self.flash = flash;
        self
    }
}

/// The header's count: a failure to count costs the badge, not the page.
async fn unread(s: &HttpState, me: &Me) -> u64 {
    crate::app::inbox::unread(&s.app, &me.actor).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not count unread messages");
        0
    })
}

/// `2021-03-16T09:00:00` → `2021-03-16 09:00`.
pub fn short_time(text: &str) -> String {
    text.get(..16).unwrap_or(text).replace('T', " ")
}

/// The app's messages end in an English gloss for API clients, e.g.
/// `请先登录 (not signed in)`; a page shows only the Chinese.
pub fn zh(message: &str) -> String {
    let trimmed = message.trim_end();
    if let Some(start) = trimmed.rfind(" (").filter(|_| trimmed.ends_with(')')) {
        let gloss = &trimmed[start + 2..trimmed.len() - 1];
        if gloss.is_ascii() {
            return trimmed[..start].to_string();
        }
    }
    trimmed.to_string()
}

pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A local path to go back to after a form; anything else goes home.
/// A redirect target, if it is safe: a path on this site, of printable
/// ASCII only. Browsers drop tabs and newlines from a URL before they read
/// it (`/\t/evil.example` becomes `//evil.example`, another site), and a
/// newline cannot go into a header at all, so no control character, space
/// or backslash is allowed, and the path must not start with `//`.
pub fn local_path(next: Option<&str>) -> Option<String> {
    let next = next?;
    let printable = next.bytes().all(|b| (0x21..=0x7e).contains(&b));
    (printable && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then(|| next.to_string())
}

pub fn render(template: &impl Template) -> Response {
    render_status(StatusCode::OK, template)
}

pub fn render_status(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        // Pages hold one user's view: a shared office browser must ask again.
        Ok(html) => (status, [(axum::http::header::CACHE_CONTROL, "private, no-cache")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><meta charset=utf-8><p>页面生成失败，请稍后重试。".to_string())).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
}

/// A failure shown as a page. Not signed in becomes a redirect to sign in.
#[derive(Debug)]
pub enum WebError {
    App(AppError),
    Page { status: StatusCode, title: &'static str, message: String },
}

impl WebError {
    pub fn page(status: StatusCode, title: &'static str, message: impl Into<String>) -> WebError {
        WebError::Page { status, title, message: message.into() }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        WebError::App(e)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            WebError::Page { status, title, message } => (status, title, message),
            WebError::App(e) => match e {
                AppError::NotFound(_) => (StatusCode::NOT_FOUND, "没有找到", "没有找到您要的内容，或您无权查看。".to_string()),
                AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "无权操作", zh(&m)),
                AppError::BadInput(m) => (StatusCode::BAD_REQUEST, "输入有误", zh(&m)),
                AppError::Conflict(m) => (StatusCode::CONFLICT, "无法办理", zh(&m)),
                AppError::Unauthenticated => return Redirect::to("/login").into_response(),
                e @ (AppError::TooManyAttempts | AppError::TooManyUploads(_)) => (StatusCode::TOO_MANY_REQUESTS, "请稍后再试", zh(&e.to_string())),
                AppError::Unexpected(inner) => {
                    tracing::error!(error = %format!("{inner:#}"), "unexpected error");
                    (StatusCode::INTERNAL_SERVER_ERROR, "服务器出错", "服务器内部错误，请稍后重试；若一再出现，请联系系统管理员。".to_string())
                }
            },
        };
        render_status(status, &ErrorPage { title, message: &message, status: status.as_u16() })
    }
}

pub type WebResult = Result<Response, WebError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_show_messages_without_the_english_gloss() {
        assert_eq!(zh("请先登录 (not signed in)"), "请先登录");
        assert_eq!(zh("编号 `W-1` 已存在 (code already registered)"), "编号 `W-1` 已存在");
        assert_eq!(zh("无括号"), "无括号");
        assert_eq!(zh("保留中文（说明）"), "保留中文（说明）");
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/board?x=1")), Some("/board?x=1".into()));
        assert_eq!(local_path(Some("//evil.example")), None);
        assert_eq!(local_path(Some("https://evil.example")), None);
        assert_eq!(local_path(Some("/\\evil")), None);
        for bad in [
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/\r\n/x",
            "/\u{0b}/evil.example",
            " /x",
            "/ x",
            "/\\x",
            "\\/x",
            "//x",
            "http://evil.example/",
            "javascript:alert(1)",
            "/\u{3000}/x",
            "/é",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(local_path(Some("/issues/abc?back=%2Fmy")), Some("/issues/abc?back=%2Fmy".into()));
    }
}
