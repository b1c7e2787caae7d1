//! JSON handlers of api.md: thin — parse the request, call the use case,
//! shape the answer.

use super::HttpState;
use super::error::{ApiError, ApiResult};
use super::session::{ClientIp, CurrentUser, clear_cookie, set_cookie, sign_in_limited, token};
use crate::app::moves::{self, MoveRequest};
use crate::app::{AppError, accounts, dispatch, issues, reports, scheduler, sessions, violations};
use crate::core::LocalTime;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

type Body<T> = Result<Json<T>, JsonRejection>;

#[derive(Deserialize)]
pub struct SignIn {
    username: String,
    password: String,
    /// Keep the cookie after the browser closes (a personal device).
    #[serde(default)]
    remember: bool,
}

pub async fn sign_in(State(s): State<HttpState>, ClientIp(ip): ClientIp, body: Body<SignIn>) -> ApiResult<Response> {
    let Json(b) = body?;
    let signed = sign_in_limited(&s, &b.username, &b.password, b.remember, ip).await?;
    let actor = signed.actor;
    let unit = match &actor.unit_id {
        Some(id) => Some(s.app.unit_name(id).await?),
        None => None,
    };
    let body =
        Json(json!({"username": actor.username, "name": actor.name, "role": actor.role, "unit": unit, "must_change_password": actor.must_change_password}));
    let cookie = set_cookie(&signed.token, s.secure_cookies, signed.remember.then_some(s.app.sessions.lifetime));
    Ok(([(header::SET_COOKIE, cookie)], body).into_response())
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current: String,
    new: String,
}

/// `POST /api/session/password`.
pub async fn change_password(
    State(s): State<HttpState>,
    CurrentUser(a): CurrentUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body<PasswordChange>,
) -> ApiResult<StatusCode> {
    let Json(b) = body?;
    let token = token(&headers).unwrap_or_default();
    sessions::change_password(&s.app, &a, &token, &b.current, &b.new, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct PasswordReset {
    new: String,
}

/// `POST /api/users/{id}/password` (admin): the user must change it at its next sign-in.
pub async fn reset_password(
    State(s): State<HttpState>,
    CurrentUser(a): CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    body: Body<PasswordReset>,
) -> ApiResult<StatusCode> {
    let Json(b) = body?;
    sessions::reset_password(&s.app, &a, &id, &b.new, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/session/list`: the signed-in user's sessions.
pub async fn list_sessions(State(s): State<HttpState>, CurrentUser(a): CurrentUser, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let token = token(&headers).unwrap_or_default();
    Ok(Json(json!({"sessions": sessions::list(&s.app, &a, &token).await?})))
}

/// `DELETE /api/session/{id}`: ends one of them.
pub async fn end_session(State(s): State<HttpState>, CurrentUser(a): CurrentUser, Path(id): Path<String>) -> ApiResult<StatusCode> {
    sessions::end(&s.app, &a, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/audit` (admin): the newest entries of the audit log.
pub async fn audit_log(State(s): State<HttpState>, CurrentUser(a): CurrentUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"entries": crate::app::audit::list(&s.app, &a, 500).await?})))
}

pub async fn sign_out(State(s): State<HttpState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = token(&headers) {
        sessions::sign_out(&s.app, &token).await?;
    }
    Ok(([(header::SET_COOKIE, clear_cookie(s.secure_cookies))], Json(json!({"signed_out": true}))).into_response())
}

pub async fn whoami(State(s): State<HttpState>, CurrentUser(a): CurrentUser) -> ApiResult<Json<Value>> {
    let unit = match &a.unit_id {
        Some(id) => Some(s.app.unit_name(id).await?),
        None => None,
    };
    Ok(Json(json!({"username": a.username, "name": a.name, "role": a.role, "unit": unit})))
}

#[derive(Deserialize)]
pub struct NewUnit {
    name: String,
    #[serde(default)]
    emails: Vec<String>,
    /// 分管领导's addresses.
    #[serde(default)]
    leaders: Vec<String>,
}

pub async fn create_unit(State(s): State<HttpState>, CurrentUser(a): CurrentUser, body: Body<NewUnit>) -> ApiResult<(StatusCode, Json<accounts::UnitView>)> {
    let Json(b) = body?;
    Ok((StatusCode::CREATED, Json(accounts::create_unit(&s.app, &a, &b.name, b.emails, b.leaders).await?)))
}

pub async fn list_units(State(s): State<HttpState>, CurrentUser(a): CurrentUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"units": accounts::list_units(&s.app, &a).await?})))
}

#[derive(Deserialize)]
pub struct NewUser {
    username: String,
    password: String,
    role: String,
    unit: Option<String>,
    /// 姓名.
    name: Option<String>,
}

pub async fn create_user(State(s): State<HttpState>, CurrentUser(a): CurrentUser, body: Body<NewUser>) -> ApiResult<(StatusCode, Json<accounts::UserView>)> {
    let Json(b) = body?;
    let new = accounts::NewUser { username: b.username, password: b.password, role: b.role, unit: b.unit, name: b.name };
    Ok((StatusCode::CREATED, Json(accounts::create_user(&s.app, &a, new).await?)))
}

pub async fn list_users(State(s): State<HttpState>, CurrentUser(a): CurrentUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"users": accounts::list_users(&s.app, &a).await?})))
}

#[derive(Deserialize)]
pub struct NewIssueBody {
    code: String,
    unit: String,
    title: String,
    source: Option<String>,
    category: Option<String>,
    location: Option<String>,
    description: Option<String>,
    /// Evidence uploaded first (`POST /api/attachments`).
    #[serde(default)]
    attachments: Vec<String>,
}

pub async fn create_issue(
    State(s): State<HttpState>,
    CurrentUser(a): CurrentUser,
    body: Body<NewIssueBody>,
) -> ApiResult<(StatusCode, Json<issues::IssueView>)> {
    let Json(b) = body?;
    a.require(&[crate::core::state::Role::Dispatcher])?;
    let attachments = crate::app::attachments::claim_exact(&s.app, &a, &b.attachments).await?;
    let mut new = issues::NewIssue::parse(
        &s.app,
        issues::IssueInput {
            code: b.code,
            unit: b.unit,
            title: b.title,
            source: b.source,
            category: b.category,
            location: b.location,
            description: b.description,
        },
    )?;
    new.attachments = attachments.iter().map(|f| f.as_str().to_string()).collect();
    Ok((StatusCode::CREATED, Json(issues::register(&s.app, &a, new).await?)))
}

#[derive(Deserialize)]
pub struct IssueQuery {
    state: Option<String>,
    unit: Option<String>,
    code: Option<String>,
    q: Option<String>,
    source: Option<String>,
    category: Option<String>,
    tier: Option<usize>,
    /// Dispatched on or after / on or before, `YYYY-MM-DD`.
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The list's filters, parsed: a bad value is a question with no answer (400), not an empty list.
impl TryFrom<IssueQuery> for (issues::IssueFilter, Option<issues::Page>) {
    type Error = AppError;

    fn try_from(q: IssueQuery) -> Result<Self, AppError> {
        let state = q.state.filter(|s| !s.is_empty()).map(|s| s.parse()).transpose().map_err(AppError::BadInput)?;
        let date = |d: Option<String>, what: &str| {
            d.filter(|d| !d.is_empty())
                .map(|d| d.parse::<chrono::NaiveDate>().map_err(|_| AppError::BadInput(format!("{what} `{d}` 不是日期 YYYY-MM-DD"))))
                .transpose()
        };
        let filter = issues::IssueFilter {
            state,
            unit: q.unit,
            code: q.code,
            q: q.q,
            source: q.source,
            category: q.category,
            tier: q.tier,
            dispatched_from: date(q.from, "from")?,
            dispatched_to: date(q.to, "to")?,
        };
        let page = (q.page.is_some() || q.per_page.is_some()).then(|| issues::Page::new(q.page, q.per_page)).transpose()?;
        Ok((filter, page))
    }
}

pub async fn list_issues(State(s): State<HttpState>, CurrentUser(a): CurrentUser, Query(q): Query<IssueQuery>) -> ApiResult<Response> {
    let (filter, page) = q.try_into()?;
    if page.is_some() {
        return Ok(Json(issues::list_page(&s.app, &a, filter, page).await?).into_response());
    }
    // Without a page, every matching issue: a chunk at a time.
    super::streamed::issues(&s.app, &a, filter).await
}

pub async fn get_issue(State(s): State<HttpState>, CurrentUser(a): CurrentUser, Path(id): Path<String>) -> ApiResult<Json<issues::IssueView>> {
    Ok(Json(issues::get(&s.app, &a, &id).await?))
}

#[derive(Deserialize)]
pub struct ActionBody {
    action: String,
    passed: Option<bool>,
    note: Option<String>,
    /// 改派: the unit's name.
    unit: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
}

impl TryFrom<ActionBody> for MoveRequest {
    type Error = AppError;

    fn try_from(b: ActionBody) -> Result<MoveRequest, AppError> {
        Ok(MoveRequest { action: moves::requested_action(&b.action, b.passed)?, note: b.note, unit: b.unit, attachments: b.attachments })
    }
}

pub async fn act(
    State(s): State<HttpState>,
    CurrentUser(a): CurrentUser,
    Path(id): Path<String>,
    body: Body<ActionBody>,
) -> ApiResult<Json<issues::IssueView>> {
    let Json(b) = body?;
    Ok(Json(moves::act(&s.app, &a, &id, MoveRequest::try_from(b)?).await?))
}

pub async fn dispatch_now(State(s): State<HttpState>, CurrentUser(a): CurrentUser) -> ApiResult<Response> {
    let view = dispatch::dispatch_now(&s.app, &a).await?;
    let status = if view.issues.is_empty() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(view)).into_response())
}

#[derive(Deserialize)]
pub struct ViolationBody {
    unit: String,
    note: Option<String>,
}

pub async fn violation(State(s): State<HttpState>, CurrentUser(a): CurrentUser, body: Body<ViolationBody>) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(b) = body?;
    Ok((StatusCode::CREATED, Json(violations::record(&s.app, &a, &b.unit, b.note).await?)))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
}

pub async fn report(State(s): State<HttpState>, CurrentUser(a): CurrentUser, Path(q): Path<String>, Query(f): Query<ReportQuery>) -> ApiResult<Response> {
    if q == "open" {
        // Like simulate's `open`: the list itself, as of now.
        return super::streamed::open(&s.app, &a).await;
    }
    let xlsx = match f.format.as_deref() {
        None | Some("json") => false,
        Some("xlsx") => true,
        Some(other) => return Err(ApiError::new(StatusCode::BAD_REQUEST, format!("不支持的格式 `{other}` (format must be json or xlsx)"))),
    };
    // `YYYY` is a year (its score), `YYYYQn` a quarter.
    if q.len() == 4 && q.bytes().all(|b| b.is_ascii_digit()) {
        let year = reports::year(&s.app, &a, &q).await?;
        if !xlsx {
            return Ok(Json(year).into_response());
        }
        let trend = crate::app::stats::trend(&s.app, &a, year.year).await?;
        return super::xlsx::year(&year, &trend);
    }
    if !xlsx {
        return super::streamed::quarter(&s.app, &a, &q).await;
    }
    // The workbook streams its items (a province's quarter has 200,000):
    // totals and completions as the database keeps them, then the items
    // sheet written on a blocking thread as the pages are read.
    use crate::app::stats;
    let (view, completed, mut items) = reports::quarter_streamed(&s.app, &a, &q).await?;
    let stats = stats::of_completions(&s.app, &view, &completed).await?;
    let open = reports::open(&s.app, &a).await?;
    let wf = s.app.wf.clone();
    let name = view.report.quarter.clone();
    let book = tokio::task::spawn_blocking(move || -> ApiResult<crate::mail::Book> {
        let book = super::xlsx::report(&wf, &view, &stats, &open, items.by_ref())?;
        items.finish()?;
        Ok(book)
    })
    .await
    .map_err(|e| crate::app::AppError::Unexpected(anyhow::anyhow!("the workbook's thread failed: {e}")))??;
    Ok(super::xlsx::download(book, &name))
}

/// `GET /api/stats/{YYYYQn}` (per unit: rates, days, returns, chases) or
/// `/api/stats/{YYYY}` (points per unit over the year's quarters).
pub async fn stats(State(s): State<HttpState>, CurrentUser(a): CurrentUser, Path(q): Path<String>) -> ApiResult<Response> {
    if q.len() == 4
        && let Ok(year) = q.parse::<i32>()
    {
        return Ok(Json(crate::app::stats::trend(&s.app, &a, year).await?).into_response());
    }
    Ok(Json(crate::app::stats::quarter(&s.app, &a, &q).await?).into_response())
}

pub async fn inbox(State(s): State<HttpState>, CurrentUser(a): CurrentUser) -> ApiResult<Json<crate::app::inbox::Inbox>> {
    Ok(Json(crate::app::inbox::list(&s.app, &a).await?))
}

pub async fn read_message(State(s): State<HttpState>, CurrentUser(a): CurrentUser, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id = if id == "all" { None } else { Some(id.parse().map_err(|_| AppError::NotFound("没有这条消息 (no such message)".into()))?) };
    crate::app::inbox::mark_read(&s.app, &a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ChaseBody {
    note: Option<String>,
}

pub async fn chase(
    State(s): State<HttpState>,
    CurrentUser(a): CurrentUser,
    Path(id): Path<String>,
    body: Body<ChaseBody>,
) -> ApiResult<Json<issues::IssueView>> {
    let Json(b) = body?;
    Ok(Json(crate::app::chase::chase(&s.app, &a, &id, b.note).await?))
}

#[derive(Deserialize)]
pub struct RevokeBody {
    note: Option<String>,
}

pub async fn revoke(State(s): State<HttpState>, CurrentUser(a): CurrentUser, Path(id): Path<String>, body: Body<RevokeBody>) -> ApiResult<Json<Value>> {
    let Json(b) = body?;
    Ok(Json(violations::revoke(&s.app, &a, &id, b.note).await?))
}

/// `POST /api/attachments`: one part `file`, checked by content and size.
pub async fn upload(State(s): State<HttpState>, CurrentUser(a): CurrentUser, mut multipart: axum::extract::Multipart) -> ApiResult<(StatusCode, Json<Value>)> {
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::new(e.status(), format!("上传格式错误 (bad multipart body): {}", e.body_text()));
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_string();
        let bytes = field.bytes().await.map_err(bad)?;
        let id = crate::app::attachments::store_named(&s.app, &a, &name, &bytes).await?;
        let body = json!({"id": id.as_str(), "name": name, "content_type": id.kind().content_type(), "size": bytes.len()});
        return Ok((StatusCode::CREATED, Json(body)));
    }
    Err(AppError::BadInput("缺少文件：表单须有一个名为 file 的部分 (a multipart part named `file` is required)".into()).into())
}

#[derive(Deserialize)]
pub struct ClockBody {
    now: String,
}

pub async fn advance_clock(State(s): State<HttpState>, CurrentUser(a): CurrentUser, body: Body<ClockBody>) -> ApiResult<Json<Value>> {
    if !s.app.test_clock {
        return Err(AppError::NotFound("测试时钟未启用 (no test clock)".into()).into());
    }
    let Json(b) = body?;
    a.require(&[crate::core::state::Role::Admin])?;
    let to = LocalTime::parse(&b.now).map_err(AppError::BadInput)?;
    let fired = scheduler::advance_test_clock(&s.app, to).await?;
    Ok(Json(json!({"now": to, "fired": fired})))
}

pub async fn read_clock(State(s): State<HttpState>, CurrentUser(a): CurrentUser) -> ApiResult<Json<Value>> {
    if !s.app.test_clock {
        return Err(AppError::NotFound("测试时钟未启用 (no test clock)".into()).into());
    }
    a.require(&[crate::core::state::Role::Admin])?;
    Ok(Json(json!({"now": s.app.now().await?, "test_clock": true})))
}

pub async fn mails(State(s): State<HttpState>, CurrentUser(a): CurrentUser) -> ApiResult<Response> {
    super::streamed::mails(&s.app, &a).await
}
