//! `cargo bench --bench service`: the service's figures for the README.
//!
//! 1. HTTP moves/s on SQLite beside the raw SQLite commit rate of the same
//!    UPDATE + INSERT, same machine, same run.
//! 2. One scheduler tick with 1,000,000 open issues of which 100 are due.
//! 3. The quarter report over 1,000,000 charges beside the raw SQL aggregate.
//!
//! 4. A catch-up after 30 days down (BENCH_CATCH_UP open issues, five timers
//!    each) beside the raw delete of those timers and insert of their effects.
//!
//! 5. Pages and lists with `BENCH_N` issues, 16 concurrent readers, beside
//!    the raw indexed query for the same rows (p99 of each).
//!
//! Not timed tests: it prints numbers. `BENCH_N` scales parts 2, 3 and 5 down;
//! `BENCH_PARTS` picks parts.

#[path = "common/mod.rs"]
mod common;

use jiaoban::app::{Actor, reports, scheduler};
use jiaoban::core::LocalTime;
use jiaoban::core::state::Role;
use jiaoban::startup::{Application, Config};
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::time::Instant;

const MOVES: usize = 2000;
const CLIENTS: usize = 8;

/// `test_clock`: None runs on the real clock, as in production.
async fn start(dir: &std::path::Path, test_clock: Option<&str>) -> (Application, String) {
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        database_url: None,
        smtp_url: None,
        workflow: "workflows/water-environment.toml".into(),
        test_clock: test_clock.map(str::to_string),
        public_url: None,
        admin_password: Some("bench-password".into()),
        sessions: Default::default(),
    };
    let app = Application::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    (app, base)
}

async fn client(base: &str, user: &str, password: &str) -> reqwest::Client {
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = c.post(format!("{base}/api/session")).json(&json!({"username": user, "password": password})).send().await.unwrap();
    assert!(r.status().is_success());
    c
}

async fn http_moves() {
    let dir = tempfile::tempdir().unwrap();
    let (application, base) = start(dir.path(), None).await;
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    let admin = client(&base, "admin", "bench-password").await;
    admin.post(format!("{base}/api/units")).json(&json!({"name": "中兴街道", "emails": []})).send().await.unwrap();
    for (u, role, unit) in [("d", "dispatcher", None), ("u", "unit", Some("中兴街道"))] {
        admin
            .post(format!("{base}/api/users"))
            .json(&json!({"username": u, "password": "bench-river-lantern-42", "role": role, "unit": unit}))
            .send()
            .await
            .unwrap();
    }
    let d = client(&base, "d", "bench-river-lantern-42").await;
    let mut ids = Vec::new();
    for i in 0..MOVES {
        let r: serde_json::Value = d
            .post(format!("{base}/api/issues"))
            .json(&json!({"code": format!("B-{i}"), "unit": "中兴街道", "title": "t"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    d.post(format!("{base}/api/dispatches")).send().await.unwrap();
    let u = client(&base, "u", "bench-river-lantern-42").await;
    let started = Instant::now();
    // CLIENTS officers at once, as on a busy morning; writes still queue
    // for SQLite's single writer.
    let mut tasks = Vec::new();
    for chunk in ids.chunks(MOVES / CLIENTS) {
        let (u, base, chunk) = (u.clone(), base.clone(), chunk.to_vec());
        tasks.push(tokio::spawn(async move {
            for id in chunk {
                let r = u.post(format!("{base}/api/issues/{id}/actions")).json(&json!({"action": "accept"})).send().await.unwrap();
                assert!(r.status().is_success());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let http = MOVES as f64 / started.elapsed().as_secs_f64();
    // The same UPDATE + INSERT per move, straight to SQLite, one transaction
    // each, on a connection of its own (the service's readers are query_only).
    let raw_db = raw(dir.path()).await;
    let started = Instant::now();
    for (n, id) in ids.iter().enumerate() {
        let sql = format!(
            "BEGIN IMMEDIATE; UPDATE issues SET state = 'reported', version = version + 1 WHERE id = '{id}' AND version = 2; \
             INSERT INTO moves (issue_id, action, actor, at, note, attachments) VALUES ('{id}', 'report', 'raw', '2026-03-02T10:00:{:02}', NULL, '[]'); COMMIT;",
            n % 60
        );
        raw_db.execute_unprepared(&sql).await.unwrap();
    }
    let raw = MOVES as f64 / started.elapsed().as_secs_f64();
    println!("HTTP moves on SQLite: {http:.0}/s ({CLIENTS} concurrent clients); raw SQLite UPDATE+INSERT commits: {raw:.0}/s; ratio {:.2}", http / raw);
}

/// A connection of its own to the service's SQLite file, for loading data
/// and for the raw baselines.
async fn raw(dir: &std::path::Path) -> sea_orm::DatabaseConnection {
    // One connection: a BEGIN and the statements after it must share it.
    let mut options = sea_orm::ConnectOptions::new(format!("sqlite://{}?mode=rw", dir.join("jiaoban.db").display()));
    options.max_connections(1).sqlx_logging(false);
    let db = sea_orm::Database::connect(options).await.unwrap();
    db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;").await.unwrap();
    db
}

async fn bulk(db: &sea_orm::DatabaseConnection, rows: usize, make: impl Fn(usize) -> String, table_cols: &str) {
    for chunk in (0..rows).collect::<Vec<_>>().chunks(5000) {
        let values: Vec<String> = chunk.iter().map(|&i| make(i)).collect();
        db.execute_unprepared(&format!("INSERT INTO {table_cols} VALUES {}", values.join(","))).await.unwrap();
    }
}

async fn tick_and_report(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (application, _) = start(dir.path(), Some("2021-03-01T08:00:00")).await;
    let app = application.app.clone();
    let raw_db = raw(dir.path()).await;
    let db = &raw_db;
    let unit: String = "bench-unit".into();
    db.execute_unprepared(&format!("INSERT INTO units (id, name, emails, seq, created_at) VALUES ('{unit}', '中兴街道', '[]', 1, '2021-03-01T08:00:00')"))
        .await
        .unwrap();
    let loading = Instant::now();
    // Issues from 100 on are already charged (one charge each, below); the
    // first 100 are the ones whose overdue timer is due.
    bulk(db, n, |i| format!("('i{i}', 'B-{i}', '{unit}', 't', NULL, NULL, NULL, NULL, 'rectifying', '2021-02-01T08:00:00', {i}, 'x', '2021-03-01T09:00:00', {i}, 0, NULL, {}, false, 1, '2021.1')", i >= 100),
        "issues (id, code, unit_id, title, source, category, location, description, state, registered_at, reg_seq, dispatch_id, dispatched_at, dispatch_seq, reports, last_report_at, charged, awaiting_at_overdue, version, workflow_version)").await;
    // Every open issue has its overdue timer; 100 of them are due now.
    bulk(
        db,
        n,
        |i| format!("('{}', 0, 'overdue', 'i{i}', '')", if i < 100 { "2021-03-01T09:00:00" } else { "2021-04-01T00:00:00" }),
        "timers (due_at, class, kind, issue_id, payload)",
    )
    .await;
    bulk(
        db,
        n - 100,
        |i| {
            let (points, tier, days, id) = ([0, 20, 50][i % 3], i % 3, [10, 20, 31][i % 3], i + 100);
            format!(
                "('issue', 'i{id}', '{unit}', '2021Q2', {points}, {tier}, {days}, '2021-03-01', '2021-03-20', '2021-04-0{}T10:00:00', NULL, 'B-{id}')",
                1 + i % 9
            )
        },
        "charges (kind, issue_id, unit_id, quarter, points_milli, tier, days, dispatched, completed, known_at, note, code)",
    )
    .await;
    println!("loaded {n} issues, {n} timers, {n} charges in {:.1} s", loading.elapsed().as_secs_f64());
    let started = Instant::now();
    let fired = scheduler::advance_test_clock(&app, LocalTime::parse("2021-03-01T10:00:00").unwrap()).await.unwrap();
    println!("scheduler tick with {n} open issues, {fired} due: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    let assessor = Actor::tool("b", Role::Assessor);
    let started = Instant::now();
    let report = reports::quarter(&app, &assessor, "2021Q2").await.unwrap();
    let report_ms = started.elapsed().as_secs_f64() * 1e3;
    // The raw database doing the same work: the aggregate a report's
    // totals need, and one pass over the rows its items list (each the
    // best of three, as the JSON report below is).
    let best_of_3 = |text: &'static str| {
        let db = app.db.clone();
        async move {
            let mut best = f64::MAX;
            for _ in 0..3 {
                let started = Instant::now();
                db.execute_unprepared(text).await.unwrap();
                best = best.min(started.elapsed().as_secs_f64() * 1e3);
            }
            best
        }
    };
    let sql_ms = best_of_3("SELECT unit_id, SUM(points_milli), COUNT(*) FROM charges WHERE quarter = '2021Q2' AND NOT removed GROUP BY unit_id, tier").await;
    let rows_ms = best_of_3(
        "SELECT id, kind, unit_id, points_milli, tier, days, dispatched, completed, known_at, note, code FROM charges WHERE quarter = '2021Q2' AND NOT removed ORDER BY known_at, id",
    )
    .await;
    println!(
        "quarter report in process, built whole, over {} charges: {report_ms:.0} ms (total {}); raw SQL aggregate: {sql_ms:.0} ms (ratio {:.1}); raw read of its rows: {rows_ms:.0} ms (ratio {:.1})",
        report.report.items.len(),
        report.report.total,
        report_ms / sql_ms,
        report_ms / rows_ms
    );
    // The workbook, through HTTP as a user downloads it, and the memory it took.
    let base = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    let admin = client(&base, "admin", "bench-password").await;
    let rss_before = common::rss_kib("self");
    common::reset_peak();
    let started = Instant::now();
    // Read as it comes and counted, not kept: the peak is the service's.
    let mut answer = admin.get(format!("{base}/api/reports/2021Q2?format=xlsx")).send().await.unwrap();
    let mut xlsx_bytes = 0;
    while let Some(chunk) = answer.chunk().await.unwrap() {
        xlsx_bytes += chunk.len();
    }
    let xlsx_ms = started.elapsed().as_secs_f64() * 1e3;
    let xlsx_peak = common::peak_kib().saturating_sub(rss_before);
    // The JSON report as a client reads it: streamed, items first.
    let mut json_ms = f64::MAX;
    let mut json_len = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let body = admin.get(format!("{base}/api/reports/2021Q2")).send().await.unwrap().bytes().await.unwrap();
        json_ms = json_ms.min(started.elapsed().as_secs_f64() * 1e3);
        json_len = body.len();
    }
    println!(
        "quarter report over HTTP, streamed: {:.1} MB of JSON in {json_ms:.0} ms (best of 3; ratio to the raw aggregate {:.1}, to the raw read of its rows {:.1}); resident memory {} MiB after",
        json_len as f64 / 1e6,
        json_ms / sql_ms,
        json_ms / rows_ms,
        common::rss_kib("self") / 1024
    );
    println!(
        "quarter workbook: {:.1} MB in {xlsx_ms:.0} ms (ratio to the raw aggregate {:.1}); resident memory {} MiB before, peak +{} MiB while it was made, {} MiB after the JSON too",
        xlsx_bytes as f64 / 1e6,
        xlsx_ms / sql_ms,
        rss_before / 1024,
        xlsx_peak / 1024,
        common::rss_kib("self") / 1024
    );
}

/// `n` issues rectifying since the list of 03-01, each with its overdue
/// timer and four tier reminders: what a 30-day outage leaves due.
async fn load_catch_up(db: &sea_orm::DatabaseConnection, n: usize) {
    let unit = "bench-unit";
    db.execute_unprepared(&format!(
        "INSERT INTO units (id, name, emails, seq, created_at) VALUES ('{unit}', '中兴街道', '[\"u@example.org\"]', 1, '2021-03-01T08:00:00')"
    ))
    .await
    .unwrap();
    bulk(db, n, |i| format!("('c{i}', 'C-{i}', '{unit}', 't', NULL, NULL, NULL, NULL, 'rectifying', '2021-02-28T08:00:00', {i}, 'x', '2021-03-01T09:00:00', {i}, 0, NULL, false, false, 1, '2021.1', 1)"),
        "issues (id, code, unit_id, title, source, category, location, description, state, registered_at, reg_seq, dispatch_id, dispatched_at, dispatch_seq, reports, last_report_at, charged, awaiting_at_overdue, version, workflow_version, assignment)").await;
    let timers = [
        ("2021-04-01T00:00:00", 0, "overdue", ""),
        ("2021-03-15T08:30:00", 2, "reminder", "warn:16"),
        ("2021-03-17T08:30:00", 2, "reminder", "tier:16"),
        ("2021-03-29T08:30:00", 2, "reminder", "warn:31"),
        ("2021-04-01T08:30:00", 2, "reminder", "tier:31"),
    ];
    bulk(
        db,
        n * timers.len(),
        |k| {
            let (at, class, kind, payload) = timers[k % timers.len()];
            format!("('{at}', {class}, '{kind}', 'c{}', '{payload}')", k / timers.len())
        },
        "timers (due_at, class, kind, issue_id, payload)",
    )
    .await;
}

/// A 30-day outage: every due timer fired by the service, beside the raw
/// database deleting the same timer rows and inserting the same effects.
async fn catch_up(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (application, _) = start(dir.path(), Some("2021-03-01T10:00:00")).await;
    let app = application.app.clone();
    load_catch_up(&raw(dir.path()).await, n).await;
    let started = Instant::now();
    // The jobs and the clock; sending the 80,000 mails is the delivery
    // workers' (and not part of the raw baseline either).
    let fired = scheduler::move_test_clock(&app, LocalTime::parse("2021-04-02T09:00:00").unwrap()).await.unwrap();
    let service = started.elapsed().as_secs_f64();
    // What the service wrote, so the raw baseline can write as much.
    let written = raw(dir.path()).await;
    let row = written
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT COUNT(*) AS n, AVG(LENGTH(CAST(subject || body || recipients || cc AS BLOB))) AS b FROM outbox",
        ))
        .await
        .unwrap()
        .unwrap();
    let (mails, mail_bytes): (i64, f64) = (row.try_get("", "n").unwrap(), row.try_get("", "b").unwrap_or(0.0));
    println!("the service queued {mails} mails of {mail_bytes:.0} bytes on average (subject, body, recipients)");
    // The same data again, done by hand: delete the due timers, charge the
    // overdue issues, queue the reminders.
    let dir2 = tempfile::tempdir().unwrap();
    drop(start(dir2.path(), Some("2021-03-01T10:00:00")).await);
    let db = raw(dir2.path()).await;
    load_catch_up(&db, n).await;
    let started = Instant::now();
    db.execute_unprepared("BEGIN IMMEDIATE; DELETE FROM timers WHERE due_at <= '2021-04-02T09:00:00'; UPDATE issues SET charged = true, version = version + 1 WHERE charged = false;").await.unwrap();
    bulk(
        &db,
        n,
        |i| format!("('issue', 'c{i}', 'bench-unit', '2021Q2', 50, 2, 31, '2021-03-01', NULL, '2021-04-01T00:00:00', NULL, 'C-{i}')"),
        "charges (kind, issue_id, unit_id, quarter, points_milli, tier, days, dispatched, completed, known_at, note, code)",
    )
    .await;
    let kinds = ["warn-16", "tier-16", "warn-31", "tier-31"];
    // Each raw mail as long as the service's were on average: the same
    // bytes to write, in the subject and body (the recipients are as long).
    let text = "x".repeat((mail_bytes as usize).saturating_sub(r#"["u@example.org"][]"#.len() + 7).max(1));
    bulk(
        &db,
        n * kinds.len(),
        |k| {
            format!(
                "('{}:c{}', '[\"u@example.org\"]', '[]', 'subject', '{text}', NULL, NULL, '2021-03-15T08:30:00', NULL, 0, '2021-03-15T08:30:00', NULL)",
                kinds[k % kinds.len()],
                k / kinds.len()
            )
        },
        "outbox (key, recipients, cc, subject, body, attachment_name, attachment, send_after, sent_at, attempts, next_attempt_at, last_error)",
    )
    .await;
    db.execute_unprepared("COMMIT;").await.unwrap();
    let raw_s = started.elapsed().as_secs_f64();
    println!(
        "catch-up after 30 days down: {fired} timers of {n} open issues in {service:.2} s; raw delete + effects {raw_s:.2} s; ratio {:.1}",
        service / raw_s
    );
}

/// p99 of what `f` measures (ms), run `per` times by each of 16
/// concurrent readers.
async fn p99<F, Fut>(f: F, per: usize) -> f64
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = f64> + Send,
{
    let mut tasks = Vec::new();
    for reader in 0..16 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(per);
            for k in 0..per {
                times.push(f(reader * per + k).await);
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by(f64::total_cmp);
    all[(all.len() as f64 * 0.99) as usize - 1]
}

/// The server's own time for an answer, from its `Server-Timing` header.
fn server_ms(r: &reqwest::Response) -> f64 {
    let value = r.headers().get("server-timing").and_then(|v| v.to_str().ok()).unwrap_or_default();
    value.split("dur=").nth(1).and_then(|d| d.parse().ok()).expect("an answer with Server-Timing")
}

/// Pages and lists with `n` issues (100 units; 1,000 of them open, the rest
/// closed): 16 concurrent readers over HTTP, beside the raw indexed query
/// for the same rows on 16 concurrent connections, and one registration.
async fn pages(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    // On the real clock, as in production: a test clock adds a read of its
    // row to every request.
    let (application, base) = start(dir.path(), None).await;
    let raw_db = raw(dir.path()).await;
    let db = &raw_db;
    bulk(db, 100, |u| format!("('u{u}', '单位{u}', '[]', {u}, '2021-03-01T08:00:00')"), "units (id, name, emails, seq, created_at)").await;
    let loading = Instant::now();
    bulk(db, n, |i| format!("('i{i}', 'P-{i}', 'u{}', '排口 {i}', NULL, NULL, NULL, NULL, '{}', '2021-02-01T08:00:00', {i}, 'x', '2021-03-01T09:00:00', {i}, 1, NULL, {}, false, 2, '2021.1', 1)", i % 100, if i < 1000 { "rectifying" } else { "closed" }, i >= 1000),
        "issues (id, code, unit_id, title, source, category, location, description, state, registered_at, reg_seq, dispatch_id, dispatched_at, dispatch_seq, reports, last_report_at, charged, awaiting_at_overdue, version, workflow_version, assignment)").await;
    println!("loaded {n} issues in {:.1} s", loading.elapsed().as_secs_f64());
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    let admin = client(&base, "admin", "bench-password").await;
    admin.post(format!("{base}/api/users")).json(&json!({"username": "d", "password": "bench-river-lantern-42", "role": "dispatcher"})).send().await.unwrap();
    let d = client(&base, "d", "bench-river-lantern-42").await;
    let started = Instant::now();
    let r = d.post(format!("{base}/api/issues")).json(&json!({"code": "NEW-1", "unit": "单位7", "title": "t"})).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    println!("one registration with {n} issues: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    let urls = [
        ("first page of the issue list", "/api/issues?per_page=50".to_string(), "SELECT * FROM issues ORDER BY reg_seq, id LIMIT 50".to_string()),
        (
            "a unit's rectifying issues",
            "/api/issues?unit=单位7&state=rectifying".into(),
            "SELECT * FROM issues WHERE unit_id = 'u7' AND state = 'rectifying' ORDER BY reg_seq, id LIMIT 50".into(),
        ),
        (
            "an issue page (JSON)",
            format!("/api/issues/i{}", n / 2),
            format!("SELECT * FROM issues i LEFT JOIN moves m ON m.issue_id = i.id WHERE i.id = 'i{}' ORDER BY m.id", n / 2),
        ),
        (
            "the open list",
            "/api/reports/open".into(),
            "SELECT * FROM issues WHERE dispatched_at IS NOT NULL AND charged = false AND state <> 'withdrawn' ORDER BY dispatch_seq".into(),
        ),
    ];
    let pool = {
        let mut options = sea_orm::ConnectOptions::new(format!("sqlite://{}?mode=ro", dir.path().join("jiaoban.db").display()));
        options.max_connections(16).sqlx_logging(false);
        sea_orm::Database::connect(options).await.unwrap()
    };
    for (what, url, sql) in urls {
        // Over HTTP, 16 readers at once: the server's time (Server-Timing,
        // what the issue's target is about) and what the client waited,
        // which adds the client's own work on the same 2 cores.
        let server = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (client, url, seen) = (d.clone(), format!("{base}{url}"), server.clone());
        let waited = p99(
            move |_| {
                let (client, url, seen) = (client.clone(), url.clone(), seen.clone());
                async move {
                    let started = Instant::now();
                    let r = client.get(&url).send().await.unwrap();
                    assert!(r.status().is_success(), "{url}: {}", r.status());
                    seen.lock().unwrap().push(server_ms(&r));
                    r.bytes().await.unwrap();
                    started.elapsed().as_secs_f64() * 1e3
                }
            },
            20,
        )
        .await;
        let mut server = std::mem::take(&mut *server.lock().unwrap());
        server.sort_by(f64::total_cmp);
        let server = server[(server.len() as f64 * 0.99) as usize - 1];
        let pool = pool.clone();
        let raw = p99(
            move |_| {
                let (pool, sql) = (pool.clone(), sql.clone());
                async move {
                    let started = Instant::now();
                    pool.query_all_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql.clone())).await.unwrap();
                    started.elapsed().as_secs_f64() * 1e3
                }
            },
            20,
        )
        .await;
        println!(
            "{what}, {n} issues, 16 readers: p99 server time {server:.1} ms (client waited {waited:.1} ms); raw indexed query p99 {raw:.1} ms; ratio {:.1} (client's {:.1})",
            server / raw,
            waited / raw
        );
    }
}

fn main() {
    let n: usize = std::env::var("BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    // BENCH_PARTS=moves,catch-up,report,pages picks parts (default: all).
    let parts = std::env::var("BENCH_PARTS").unwrap_or_else(|_| "moves,catch-up,report,pages".into());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if parts.contains("moves") {
        rt.block_on(http_moves());
    }
    if parts.contains("catch-up") {
        rt.block_on(catch_up(std::env::var("BENCH_CATCH_UP").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)));
    }
    if parts.contains("report") {
        rt.block_on(tick_and_report(n));
    }
    if parts.contains("pages") {
        rt.block_on(pages(n));
    }
}
