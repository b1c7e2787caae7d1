//! `spawn_app()`: the real service on port 0, its own database per test —
//! a fresh SQLite file, or a fresh PostgreSQL database at 127.0.0.1:5432.
//! Shared by the API, web and browser tests (`#[path]` from the others).
#![allow(dead_code)]

use jiaoban::startup::{Application, Config};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;

pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "river-bank-lantern-42";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    /// The service itself, for what no request reaches (housekeeping).
    pub app: jiaoban::app::App,
    pub base: String,
    pub admin: reqwest::Client,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn postgres_admin_url() -> String {
    std::env::var("JIAOBAN_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether a PostgreSQL test may run: true if the server answers; if not,
/// the test fails, or (skipping allowed) should return at once.
pub async fn postgres_ready() -> bool {
    let ok = sea_orm::Database::connect(postgres_admin_url()).await.is_ok();
    crate::require::present("postgres", ok, "PostgreSQL at 127.0.0.1:5432 (JIAOBAN_TEST_PG overrides)")
}

/// A fresh PostgreSQL database; its URL.
pub async fn fresh_postgres() -> String {
    use sea_orm::ConnectionTrait;
    let admin_url = postgres_admin_url();
    let name = format!("jiaoban_test_{}", uuid::Uuid::new_v4().simple());
    let db = sea_orm::Database::connect(&admin_url).await.expect("PostgreSQL at 127.0.0.1:5432 (set JIAOBAN_TEST_PG to override)");
    db.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    db.close().await.ok();
    match admin_url.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{name}"),
        None => panic!("bad JIAOBAN_TEST_PG"),
    }
}

/// The service with a test clock starting at `test_clock`, or on the real
/// clock if it is "".
pub async fn spawn_app(backend: Backend, test_clock: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres().await),
    };
    spawn_on(dir, database_url, test_clock, None).await
}

pub async fn spawn_on(dir: tempfile::TempDir, database_url: Option<String>, test_clock: &str, smtp_url: Option<String>) -> TestApp {
    spawn_with(dir, database_url, test_clock, smtp_url, ADMIN_PASSWORD).await
}

/// The service on data that may already exist (an admin whose password is
/// `admin_password`).
pub async fn spawn_with(dir: tempfile::TempDir, database_url: Option<String>, test_clock: &str, smtp_url: Option<String>, admin_password: &str) -> TestApp {
    let application = build(&dir, database_url.clone(), test_clock, smtp_url, admin_password).await;
    serve(application, dir, database_url, admin_password).await
}

/// The service with `jiaoban demo`'s data; every account, admin too, has
/// the demo's password, as in `jiaoban demo`.
pub async fn spawn_demo() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let application = build(&dir, None, jiaoban::demo::START, None, jiaoban::demo::PASSWORD).await;
    jiaoban::demo::seed(&application.app).await.expect("the demo seeds");
    serve(application, dir, None, jiaoban::demo::PASSWORD).await
}

async fn build(dir: &tempfile::TempDir, database_url: Option<String>, test_clock: &str, smtp_url: Option<String>, admin_password: &str) -> Application {
    build_with(dir, database_url, test_clock, smtp_url, admin_password, Default::default()).await
}

/// The service with session lifetimes of a test's choosing.
pub async fn spawn_with_sessions(test_clock: &str, sessions: jiaoban::app::sessions::SessionRules) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let application = build_with(&dir, None, test_clock, None, ADMIN_PASSWORD, sessions).await;
    serve(application, dir, None, ADMIN_PASSWORD).await
}

async fn build_with(
    dir: &tempfile::TempDir,
    database_url: Option<String>,
    test_clock: &str,
    smtp_url: Option<String>,
    admin_password: &str,
    sessions: jiaoban::app::sessions::SessionRules,
) -> Application {
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_url,
        smtp_url,
        workflow: concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml").into(),
        // "" runs the service on the real clock, as in production.
        test_clock: (!test_clock.is_empty()).then(|| test_clock.into()),
        public_url: None,
        admin_password: Some(admin_password.into()),
        sessions,
    };
    Application::build(config).await.expect("the service starts")
}

/// Serves `application` in the background; signs admin in.
async fn serve(application: Application, dir: tempfile::TempDir, database_url: Option<String>, admin_password: &str) -> TestApp {
    let base = format!("http://127.0.0.1:{}", application.port());
    let app = application.app.clone();
    let server = tokio::spawn(async move {
        application.run_until_stopped(std::future::pending()).await.unwrap();
    });
    let admin = sign_in(&base, "admin", admin_password).await;
    TestApp { app, base, admin, data_dir: dir.path().to_path_buf(), database_url, _dir: dir, server }
}

/// A cookie-keeping client that does not follow redirects, so the web
/// tests can see the 303s of POST-redirect-GET.
pub fn client() -> reqwest::Client {
    // A bound on every request: a test that hangs must fail, not stall CI.
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).timeout(std::time::Duration::from_secs(120)).build().unwrap()
}

pub async fn sign_in(base: &str, username: &str, password: &str) -> reqwest::Client {
    let c = client();
    let r = c.post(format!("{base}/api/session")).json(&json!({"username": username, "password": password})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "sign in as {username}");
    c
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, c: &reqwest::Client, path: &str, body: Value) -> (StatusCode, Value) {
        let r = c.post(self.url(path)).json(&body).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, c: &reqwest::Client, path: &str) -> (StatusCode, Value) {
        let r = c.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn unit(&self, name: &str) {
        let (s, body) = self.post(&self.admin, "/api/units", json!({"name": name, "emails": [format!("u{}@example.org", name.len())]})).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }

    /// Creates a user and returns a signed-in client.
    pub async fn user(&self, username: &str, role: &str, unit: Option<&str>) -> reqwest::Client {
        let (s, body) = self.post(&self.admin, "/api/users", json!({"username": username, "password": PASSWORD, "role": role, "unit": unit})).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        sign_in(&self.base, username, PASSWORD).await
    }

    pub async fn advance(&self, now: &str) -> StatusCode {
        self.post(&self.admin, "/api/test-clock", json!({"now": now})).await.0
    }

    /// Every row `sql` reads, each column as text (cast numbers in the
    /// SQL), in the order read.
    pub async fn rows_as_text(&self, sql: &str) -> Vec<Vec<String>> {
        use sea_orm::{ConnectionTrait, Statement};
        let statement = Statement::from_string(self.app.db.get_database_backend(), sql.to_string());
        let found = self.app.db.query_all_raw(statement).await.unwrap();
        found.iter().map(|r| (0..r.column_names().len()).map(|i| r.try_get_by_index::<String>(i).unwrap()).collect()).collect()
    }

    /// The counts the database keeps per unit and state (`issue_counts`)
    /// and of all issues (`issue_total`), and the totals per unit, quarter,
    /// kind and tier (`charge_totals`), all kept by triggers, are those of
    /// the rows themselves.
    pub async fn assert_counts_kept(&self) {
        // Every column as text (numbers cast in the SQL), rows sorted.
        let text = |sql: &'static str| async move {
            let mut rows = self.rows_as_text(sql).await;
            rows.sort();
            rows
        };
        let kept = text("SELECT unit_id, state, CAST(n AS TEXT) FROM issue_counts WHERE n <> 0").await;
        let counted = text("SELECT unit_id, state, CAST(COUNT(*) AS TEXT) FROM issues GROUP BY unit_id, state").await;
        assert!(!counted.is_empty(), "there are issues to count");
        assert_eq!(kept, counted, "issue_counts differs from the issues");
        let kept = text("SELECT CAST(n AS TEXT) FROM issue_total").await;
        let counted = text("SELECT CAST(COUNT(*) AS TEXT) FROM issues").await;
        assert_eq!(kept, counted, "issue_total differs from the issues");
        // Each unit's totals per quarter, kind and tier are those of the
        // charges still counted.
        let kept = text(
            "SELECT quarter, unit_id, kind, CAST(tier AS TEXT), CAST(n AS TEXT), CAST(points_milli AS TEXT), CAST(completed AS TEXT), \
             CAST(completed_days AS TEXT) FROM charge_totals WHERE n <> 0 OR points_milli <> 0 OR completed <> 0 OR completed_days <> 0",
        )
        .await;
        let summed = text(
            "SELECT quarter, unit_id, kind, CAST(tier AS TEXT), CAST(COUNT(*) AS TEXT), CAST(SUM(points_milli) AS TEXT), CAST(COUNT(completed) AS TEXT), \
             CAST(SUM(CASE WHEN completed IS NULL THEN 0 ELSE COALESCE(days, 0) END) AS TEXT) FROM charges WHERE NOT removed GROUP BY quarter, unit_id, kind, tier",
        )
        .await;
        assert_eq!(kept, summed, "charge_totals differs from the charges");
        // Each issue carries its final charge's points, days and tier, and
        // only a charged issue has them.
        let carried = text(
            "SELECT id, CAST(final_points_milli AS TEXT), CAST(final_days AS TEXT), CAST(final_tier AS TEXT) FROM issues \
             WHERE final_points_milli IS NOT NULL OR final_days IS NOT NULL OR final_tier IS NOT NULL",
        )
        .await;
        let charged = text("SELECT issue_id, CAST(points_milli AS TEXT), CAST(days AS TEXT), CAST(tier AS TEXT) FROM charges WHERE kind = 'issue'").await;
        assert_eq!(carried, charged, "the issues' final points, days and tier differ from their final charges");
    }

    /// The issue with `code`, as the API shows it to admin (with history).
    pub async fn issue(&self, code: &str) -> Value {
        let (_, list) = self.get(&self.admin, &format!("/api/issues?code={code}")).await;
        let id = list["issues"][0]["id"].as_str().unwrap_or_else(|| panic!("no issue {code}: {list}")).to_string();
        self.get(&self.admin, &format!("/api/issues/{id}")).await.1
    }
}
