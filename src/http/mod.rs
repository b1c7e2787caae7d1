//! The HTTP adapter (axum): routes, session cookie, errors, CSRF.
//!
//! CSRF: the session cookie is SameSite=Lax, and every state-changing request
//! passes tower-http's `CsrfLayer` (Sec-Fetch-Site / Origin must be same-origin
//! when a browser sends them). Scripts without those headers still work, which
//! is what the API's other clients need.

mod api;
pub mod error;
mod headers;
mod hygiene;
pub(crate) mod limiter;
mod openapi;
pub mod session;
mod stream;
mod streamed;
pub mod xlsx;

use crate::app::App;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

/// Largest JSON body accepted.
pub(crate) const JSON_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct HttpState {
    pub app: App,
    pub secure_cookies: bool,
    /// Shared with the web sign-in form: one limit per user name.
    pub(crate) limiter: Arc<limiter::Limiter>,
}

pub fn router(app: App) -> Router {
    let secure_cookies = app.mail.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
    let test_clock = app.test_clock;
    let state = HttpState { app, secure_cookies, limiter: Arc::new(limiter::Limiter::default()) };
    let mut api = Router::new()
        .route("/api/session", post(api::sign_in).delete(api::sign_out).get(api::whoami))
        .route("/api/session/password", post(api::change_password))
        .route("/api/session/list", get(api::list_sessions))
        .route("/api/session/{id}", axum::routing::delete(api::end_session))
        .route("/api/users/{id}/password", post(api::reset_password))
        .route("/api/audit", get(api::audit_log))
        .route("/api/units", post(api::create_unit).get(api::list_units))
        .route("/api/users", post(api::create_user).get(api::list_users))
        .route("/api/issues", post(api::create_issue).get(api::list_issues))
        .route("/api/issues/{id}", get(api::get_issue))
        .route("/api/issues/{id}/actions", post(api::act))
        .route("/api/issues/{id}/chase", post(api::chase))
        .route("/api/dispatches", post(api::dispatch_now))
        .route("/api/violations", post(api::violation))
        .route("/api/violations/{id}/revoke", post(api::revoke))
        .route("/api/attachments", post(api::upload).layer(axum::extract::DefaultBodyLimit::max(crate::app::attachments::MAX_BYTES + 64 * 1024)))
        .route("/api/mails", get(api::mails))
        .route("/api/inbox", get(api::inbox))
        .route("/api/stats/{period}", get(api::stats))
        .route("/api/inbox/{id}/read", post(api::read_message))
        .route("/api/reports/{quarter}", get(api::report))
        .route("/api/openapi.json", get(openapi::document));
    if test_clock {
        api = api.route("/api/test-clock", post(api::advance_clock).get(api::read_clock));
    }
    let metrics_app = state.app.clone();
    api.route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .merge(crate::web::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(hygiene::refuse_bad_text))
        .layer(axum::extract::DefaultBodyLimit::max(JSON_LIMIT))
        .layer(tower_http::csrf::CsrfLayer::new())
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(error::ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误 (internal error)"))
        }))
        .layer(axum::middleware::from_fn(headers::secure))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(move |request, next| observe(metrics_app.clone(), request, next)))
        .with_state(state)
}

/// Counts every answer by route (the route's pattern, not the path: ids
/// would make a metric per issue) and status, and the statements each
/// request sent (`crate::db::queries`). `Server-Timing` (W3C) tells a
/// client or a benchmark the time the server spent before answering, apart
/// from the network and the client's own work; the client could time the
/// whole exchange anyway, so it tells nobody more than that.
async fn observe(app: App, request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let route = request.extensions().get::<axum::extract::MatchedPath>().map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = request.method().to_string();
    let started = std::time::Instant::now();
    let (mut response, queries) = crate::db::queries::counting(next.run(request)).await;
    tracing::debug!(%route, %method, queries, "request's statements");
    if cfg!(debug_assertions) {
        response.headers_mut().insert("x-jiaoban-queries", axum::http::HeaderValue::from(queries));
    }
    let elapsed = started.elapsed().as_secs_f64();
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!("app;dur={:.3}", elapsed * 1e3)) {
        response.headers_mut().insert("server-timing", value);
    }
    let labels = crate::app::metrics::RequestLabels { route, method, status: response.status().as_u16() };
    app.metrics.request(labels, elapsed);
    response
}

/// `GET /metrics`: OpenMetrics text, which Prometheus scrapes as is. Open
/// like `/healthz`: counts and ages, nothing about any issue or person.
async fn metrics(axum::extract::State(s): axum::extract::State<HttpState>) -> Result<axum::response::Response, error::ApiError> {
    use axum::response::IntoResponse;
    let text = crate::app::metrics::render(&s.app).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response())
}

/// An unknown address: JSON for the API, a page for people.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        return error::ApiError::new(axum::http::StatusCode::NOT_FOUND, "没有这个地址 (no such route)").into_response();
    }
    let page = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>页面不存在</title><link rel=\"stylesheet\" href=\"/assets/app.css\"><main class=\"plain-page\"><h1>页面不存在</h1><p>您访问的地址不存在。<a href=\"/\">返回首页</a></p></main></html>";
    (axum::http::StatusCode::NOT_FOUND, axum::response::Html(page)).into_response()
}
