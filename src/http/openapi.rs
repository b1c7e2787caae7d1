//! `GET /api/openapi.json`: the whole API, built with utoipa's builders so
//! the document lists exactly the routes the router serves.

use axum::Json;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, ResponseBuilder};

const ROUTES: &[(&str, HttpMethod, &str)] = &[
    ("/healthz", HttpMethod::Get, "Liveness: 200 once the service serves"),
    ("/api/session", HttpMethod::Post, "Sign in {username, password}; sets the session cookie"),
    ("/api/session", HttpMethod::Get, "Who am I"),
    ("/api/session", HttpMethod::Delete, "Sign out; the cookie stops working"),
    ("/api/units", HttpMethod::Post, "Create a unit {name, emails} (admin)"),
    ("/api/units", HttpMethod::Get, "List units"),
    ("/api/users", HttpMethod::Post, "Create a user {username, password, role, unit?} (admin)"),
    ("/api/users", HttpMethod::Get, "List users (admin)"),
    ("/api/issues", HttpMethod::Post, "Register an issue {code, unit, title, source?, category?, location?, description?} (dispatcher)"),
    ("/api/issues", HttpMethod::Get, "List issues ?state=&unit=&code= (a unit user sees its own only)"),
    ("/api/issues/{id}", HttpMethod::Get, "One issue with its full history"),
    ("/api/issues/{id}/actions", HttpMethod::Post, "Move an issue {action: accept|report|recheck|close, passed?, note?}"),
    ("/api/dispatches", HttpMethod::Post, "Dispatch the pool now (dispatcher)"),
    ("/api/violations", HttpMethod::Post, "Record 未执行调度方案或者指令 {unit, note} (dispatcher)"),
    ("/api/reports/{quarter}", HttpMethod::Get, "Quarter report YYYYQn (?format=xlsx), or `open` for the open list"),
    ("/api/test-clock", HttpMethod::Post, "Advance the test clock {now} and run what is owed (admin; only with --test-clock)"),
    ("/api/test-clock", HttpMethod::Get, "Read the test clock (only with --test-clock)"),
    ("/api/mails", HttpMethod::Get, "The mail log: every reminder key, when it was owed and sent (admin, dispatcher)"),
    ("/api/openapi.json", HttpMethod::Get, "This document"),
];

fn build() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for (path, method, summary) in ROUTES {
        let operation = OperationBuilder::new()
            .summary(Some(*summary))
            .response("200", ResponseBuilder::new().description("Success (JSON)"))
            .response("4XX", ResponseBuilder::new().description("{\"error\": \"…\"} — bad input, not signed in, forbidden, not found, conflict"))
            .build();
        paths = paths.path(*path, PathItem::new(method.clone(), operation));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("jiaoban 交办")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Deadline-driven issue handling for a 攻坚办"))
                .build(),
        )
        .paths(paths.build())
        .build()
}

pub async fn document() -> Json<OpenApi> {
    Json(build())
}
