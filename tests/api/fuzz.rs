//! A small fuzzer over every route: random bodies, query strings and ids —
//! broken JSON, wrong types, NUL, invalid UTF-8, numbers out of range,
//! unknown enum values — as every role and as nobody. Every answer is below
//! 500, and every refusal (4xx) leaves the database exactly as it was.
//!
//! `JIAOBAN_FUZZ_SEED` replays a run (the seed is printed when it fails);
//! `JIAOBAN_FUZZ_CASES` sets how many requests per backend.

use crate::helpers::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, Method, StatusCode};
use sea_orm::{Database, DatabaseConnection, FromQueryResult, JsonValue, Statement};
use serde_json::{Value, json};

/// Every route of the router (method, path with `{id}` / `{x}` holes).
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/session"),
    ("GET", "/api/session"),
    ("POST", "/api/units"),
    ("GET", "/api/units"),
    ("POST", "/api/users"),
    ("GET", "/api/users"),
    ("POST", "/api/issues"),
    ("GET", "/api/issues"),
    ("GET", "/api/issues/{id}"),
    ("POST", "/api/issues/{id}/actions"),
    ("POST", "/api/dispatches"),
    ("POST", "/api/violations"),
    ("GET", "/api/mails"),
    ("GET", "/api/reports/{x}"),
    ("GET", "/api/openapi.json"),
    ("POST", "/api/test-clock"),
    ("GET", "/api/test-clock"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/board"),
    ("GET", "/pool"),
    ("POST", "/pool/issues"),
    ("POST", "/pool/import"),
    ("GET", "/dispatches"),
    ("POST", "/dispatches"),
    ("GET", "/closeout"),
    ("GET", "/violations"),
    ("POST", "/violations"),
    ("POST", "/violations/{x}/revoke"),
    ("GET", "/issues/{id}"),
    ("POST", "/issues/{id}/{x}"),
    ("GET", "/my"),
    ("GET", "/recheck"),
    ("GET", "/reports"),
    ("GET", "/admin"),
    ("POST", "/admin/units"),
    ("POST", "/admin/users"),
    ("POST", "/issues/{id}/chase"),
    ("GET", "/dispatches/{x}/print"),
    ("GET", "/inbox"),
    ("POST", "/inbox/read"),
    ("POST", "/inbox/{x}/read"),
    ("GET", "/password"),
    ("POST", "/password"),
    ("POST", "/password/sessions/{x}/end"),
    ("POST", "/admin/users/{id}/password"),
    ("GET", "/admin/audit"),
    ("GET", "/files/{x}"),
    ("GET", "/assets/{x}"),
    ("GET", "/api/{x}"),
    ("PUT", "/api/issues"),
    ("DELETE", "/api/issues/{id}"),
];
const FIELDS: &[&str] = &[
    "code",
    "unit",
    "title",
    "source",
    "category",
    "location",
    "description",
    "action",
    "passed",
    "note",
    "now",
    "username",
    "password",
    "role",
    "name",
    "emails",
    "format",
    "state",
    "attachments",
    "kept",
    "back",
];
const WORDS: &[&str] = &[
    "accept",
    "report",
    "recheck",
    "close",
    "return",
    "reassign",
    "reject_return",
    "withdraw",
    "dispatch",
    "teleport",
    "registered",
    "assigned",
    "dispatcher",
    "unit",
    "admin",
    "中兴街道",
    "不存在",
    "2021-03-05T09:00:00",
    "2021Q1",
    "2021Q9",
    "xlsx",
    "json",
    "../../etc/passwd",
    "true",
];

fn text(rng: &mut StdRng) -> String {
    match rng.random_range(0..9) {
        0 => String::new(),
        1 => "a\u{0}b".into(),
        2 => "\u{202e}evil\u{200b}".into(),
        3 => "单".repeat(rng.random_range(1..3000)),
        4 => "%00%FF%FE".into(),
        5 => "\u{1F4A9}\r\n\t".into(),
        6 => format!("{}", rng.random::<u64>()),
        _ => WORDS[rng.random_range(0..WORDS.len())].to_string(),
    }
}

fn value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..10) {
        0 => Value::Null,
        1 => json!(rng.random_bool(0.5)),
        2 => json!(rng.random::<i64>()),
        3 => json!(1e300 * if rng.random_bool(0.5) { -1.0 } else { 1.0 }),
        4 => serde_json::from_str("123456789012345678901234567890").unwrap(),
        5 if depth < 2 => Value::Array((0..rng.random_range(0..4)).map(|_| value(rng, depth + 1)).collect()),
        6 if depth < 2 => object(rng, depth + 1),
        _ => json!(text(rng)),
    }
}

fn object(rng: &mut StdRng, depth: u32) -> Value {
    let mut map = serde_json::Map::new();
    for _ in 0..rng.random_range(0..6) {
        map.insert(FIELDS[rng.random_range(0..FIELDS.len())].to_string(), value(rng, depth));
    }
    Value::Object(map)
}

fn encoded(rng: &mut StdRng) -> String {
    let raw = ["%00", "%FF", "%C3%28", "%E4%B8%AD", "a+b", "%", "&&", "=", "1e400", "-1", "99999999999999999999"];
    (0..rng.random_range(1..4))
        .map(|_| {
            format!(
                "{}={}{}",
                FIELDS[rng.random_range(0..FIELDS.len())],
                raw[rng.random_range(0..raw.len())],
                WORDS[rng.random_range(0..WORDS.len())].replace('/', "%2F")
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn hole(rng: &mut StdRng, ids: &[String]) -> String {
    match rng.random_range(0..6) {
        0 | 1 => ids[rng.random_range(0..ids.len())].clone(),
        2 => "%00".into(),
        3 => "%FF%FE".into(),
        4 => "00000000-0000-0000-0000-000000000000".into(),
        _ => WORDS[rng.random_range(0..WORDS.len())].replace('/', "%2F"),
    }
}

/// One random request as `client`.
fn request(rng: &mut StdRng, client: &Client, base: &str, ids: &[String]) -> (reqwest::RequestBuilder, String) {
    let (method, template) = ROUTES[rng.random_range(0..ROUTES.len())];
    let mut path = template.replace("{id}", &hole(rng, ids)).replace("{x}", &hole(rng, ids));
    if rng.random_bool(0.4) {
        path = format!("{path}?{}", encoded(rng));
    }
    let builder = client.request(Method::from_bytes(method.as_bytes()).unwrap(), format!("{base}{path}"));
    let (builder, body) = match rng.random_range(0..6) {
        0 => (builder, String::new()),
        1 => {
            let bytes: Vec<u8> = (0..rng.random_range(0..64)).map(|_| rng.random()).collect();
            let shown = format!("{bytes:?}");
            (builder.header("content-type", "application/json").body(bytes), shown)
        }
        2 => {
            let form = encoded(rng);
            (builder.header("content-type", "application/x-www-form-urlencoded").body(form.clone()), form)
        }
        3 => {
            let part = reqwest::multipart::Part::bytes(text(rng).into_bytes()).file_name("x.png");
            let form = reqwest::multipart::Form::new().text(FIELDS[rng.random_range(0..FIELDS.len())], text(rng)).part("photos", part);
            (builder.multipart(form), "multipart".into())
        }
        _ => {
            let body = object(rng, 0);
            (builder.json(&body), body.to_string())
        }
    };
    (builder, format!("{method} {path} {}", body.chars().take(300).collect::<String>()))
}

/// Every table but the sessions (signing in is allowed to make one).
async fn snapshot(db: &DatabaseConnection) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    for (table, key) in [
        ("units", "id"),
        ("users", "id"),
        ("issues", "id"),
        ("moves", "id"),
        ("dispatches", "id"),
        ("charges", "id"),
        ("timers", "id"),
        ("outbox", "id"),
        ("clock", "id"),
    ] {
        // The delivery worker marks mail sent in the background: a refused
        // request must queue no mail, but sending is not its change.
        let columns = if table == "outbox" { "id, key" } else { "*" };
        let sql = format!("SELECT {columns} FROM {table} ORDER BY {key}");
        out.push(JsonValue::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).all(db).await.unwrap());
    }
    out
}

async fn fuzz(backend: Backend) {
    let seed: u64 = std::env::var("JIAOBAN_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    let cases: usize = std::env::var("JIAOBAN_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    app.unit("竹行街道").await;
    let dispatcher = app.user("gjb", "dispatcher", None).await;
    let clients = [
        app.admin.clone(),
        dispatcher.clone(),
        app.user("zx", "unit", Some("中兴街道")).await,
        app.user("fh", "rechecker", None).await,
        app.user("kh", "assessor", None).await,
        client(),
    ];
    let mut ids = Vec::new();
    for code in ["F-1", "F-2", "F-3"] {
        let (_, issue) = app.post(&dispatcher, "/api/issues", json!({"code": code, "unit": "中兴街道", "title": "排口"})).await;
        ids.push(issue["id"].as_str().unwrap().to_string());
    }
    assert_eq!(app.advance("2021-03-02T09:00:00").await, StatusCode::OK);
    let db = match &app.database_url {
        Some(url) => Database::connect(url).await.unwrap(),
        None => Database::connect(format!("sqlite://{}?mode=ro", app.data_dir.join("jiaoban.db").display())).await.unwrap(),
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut before = snapshot(&db).await;
    let mut refused = 0;
    for case in 0..cases {
        let client = &clients[rng.random_range(0..clients.len())];
        let (request, what) = request(&mut rng, client, &app.base, &ids);
        let status = request.send().await.unwrap_or_else(|e| panic!("seed {seed}, case {case}: {what}: no answer: {e}")).status();
        assert!(status.as_u16() < 500, "seed {seed}, case {case}: {what} → {status}");
        let after = snapshot(&db).await;
        if status.is_client_error() {
            refused += 1;
            assert!(before == after, "seed {seed}, case {case}: {what} → {status} but the database changed");
        }
        before = after;
    }
    assert!(refused > cases / 2, "seed {seed}: most garbage is refused ({refused} of {cases})");
    db.close().await.ok();
}

#[tokio::test]
async fn random_requests_to_every_route_never_get_a_5xx_nor_change_anything_when_refused_on_sqlite() {
    fuzz(Backend::Sqlite).await;
}

#[tokio::test]
async fn random_requests_to_every_route_never_get_a_5xx_nor_change_anything_when_refused_on_postgres() {
    if postgres_ready().await {
        fuzz(Backend::Postgres).await;
    }
}
