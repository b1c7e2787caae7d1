//! The web UI: server-rendered zh-CN pages for every role.
//!
//! Thin like the JSON API: each handler reads a form, calls the same use case
//! in [`crate::app`], and renders an askama template. Every form is a plain
//! same-origin HTML POST, so the `CsrfLayer` on the whole router protects it;
//! a successful POST redirects (POST-redirect-GET), a rejected one renders the
//! form again with the input kept and each error next to its field.
//!
//! - [`layout`]: who is signed in, the header and navigation, error pages.
//! - [`form`]: multipart reading, uploads, field errors.
//! - [`tier`]: the colour and "days left" of an issue, from the workflow.
//! - [`view`]: issue rows, timeline entries, messages after a redirect.
//! - [`search`]: every list's search box and filters as GET parameters, and
//!   its page links ([`pager`]).
//! - one module per area: [`login`], [`account`] (password, sessions),
//!   [`board`], [`pool`], [`dispatcher`] (交办清单, 销号) with the printable
//!   交办单 in [`print`], [`issue`] (its forms from the workflow in [`actions`],
//!   their words in [`words`], 催办 in [`chase`]), [`unit`], [`rechecker`],
//!   [`inbox`] (消息), [`violations`], [`reports`] (the unit table in
//!   [`report_units`], the SVG [`chart`] and [`trend`]), [`admin`] (with
//!   [`admin_accounts`]: 重置密码, 审计日志), [`files`].

mod account;
mod actions;
mod admin;
mod admin_accounts;
mod assets;
mod board;
mod chart;
mod chase;
mod dispatcher;
mod files;
mod form;
mod inbox;
mod issue;
mod layout;
mod login;
mod pager;
mod pool;
mod print;
mod rechecker;
mod report_rows;
mod report_units;
mod reports;
mod search;
mod tier;
mod trend;
mod unit;
mod view;
mod violations;
mod words;

use crate::app::attachments;
use crate::http::HttpState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// Largest form accepted: every file of one move at its largest, and the text.
const UPLOAD_LIMIT: usize = attachments::MAX_FILES * attachments::MAX_BYTES + 1024 * 1024;

pub fn router() -> Router<HttpState> {
    Router::new()
        .route("/", get(layout::home))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::sign_out))
        .route("/board", get(board::board))
        .route("/pool", get(pool::page))
        .route("/pool/issues", post(pool::register))
        .route("/pool/import", post(pool::import))
        .route("/dispatches", get(dispatcher::dispatches).post(dispatcher::dispatch_now))
        .route("/dispatches/{id}/print", get(print::page))
        .route("/closeout", get(dispatcher::closeout))
        .route("/violations", get(violations::page).post(violations::record))
        .route("/violations/{id}/revoke", post(violations::revoke))
        .route("/issues/{id}", get(issue::page))
        .route("/issues/{id}/chase", post(chase::send))
        .route("/issues/{id}/{action}", post(issue::act))
        .route("/my", get(unit::my_issues))
        .route("/password", get(account::page).post(account::change))
        .route("/password/sessions/{id}/end", post(account::end_session))
        .route("/inbox", get(inbox::page))
        .route("/inbox/read", post(inbox::read_all))
        .route("/inbox/{id}/read", post(inbox::read_one))
        .route("/recheck", get(rechecker::queue))
        .route("/reports", get(reports::page))
        .route("/admin", get(admin::page))
        .route("/admin/units", post(admin::create_unit))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/users/{id}/password", post(admin_accounts::reset))
        .route("/admin/audit", get(admin_accounts::audit_log))
        .route("/files/{id}", get(files::serve))
        .route("/assets/{name}", get(assets::serve))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}
