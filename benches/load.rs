//! `cargo bench --bench load`: moves under concurrent load, for the README.
//!
//! Sixteen unit officers at once, each signing for its own issues over HTTP
//! (`accept`, the real clock, as in production), on SQLite, on PostgreSQL,
//! and on two instances sharing one PostgreSQL database. Prints moves/s and
//! the p50 / p99 latency of a move, beside the raw limit measured in the
//! same run: SQLite's commit rate for the same UPDATE + INSERT, and
//! `pgbench`'s simple-update TPS with 16 clients.
//!
//! `BENCH_MOVES` sets the number of moves per run (default 3200).

use jiaoban::startup::{Application, Config};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const UNITS: [&str; 4] = ["中兴街道", "竹行街道", "新开街道", "区住建局"];
const PASSWORD: &str = "bench-river-lantern-42";

async fn start(dir: &std::path::Path, database_url: Option<String>) -> String {
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        database_url,
        smtp_url: None,
        workflow: "workflows/water-environment.toml".into(),
        test_clock: None,
        public_url: None,
        admin_password: Some(PASSWORD.into()),
        sessions: Default::default(),
    };
    let app = Application::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    base
}

async fn client(base: &str, user: &str) -> reqwest::Client {
    let c = reqwest::Client::builder().cookie_store(true).timeout(Duration::from_secs(60)).build().unwrap();
    let r = c.post(format!("{base}/api/session")).json(&json!({"username": user, "password": PASSWORD})).send().await.unwrap();
    assert!(r.status().is_success(), "sign in {user}");
    c
}

/// Units, a dispatcher, 16 unit officers and their dispatched issues.
async fn arrange(base: &str, moves: usize) -> Vec<(reqwest::Client, Vec<String>)> {
    let admin = client(base, "admin").await;
    for unit in UNITS {
        admin.post(format!("{base}/api/units")).json(&json!({"name": unit, "emails": []})).send().await.unwrap();
    }
    let mut users = vec![("gjb".to_string(), "dispatcher", None)];
    users.extend((0..CLIENTS).map(|i| (format!("officer{i}"), "unit", Some(UNITS[i % UNITS.len()]))));
    for (name, role, unit) in &users {
        admin.post(format!("{base}/api/users")).json(&json!({"username": name, "password": PASSWORD, "role": role, "unit": unit})).send().await.unwrap();
    }
    let gjb = client(base, "gjb").await;
    let mut by_unit: Vec<Vec<String>> = vec![Vec::new(); UNITS.len()];
    for i in 0..moves {
        let unit = i % UNITS.len();
        let r: Value = gjb
            .post(format!("{base}/api/issues"))
            .json(&json!({"code": format!("L-{i}"), "unit": UNITS[unit], "title": "排口"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        by_unit[unit].push(r["id"].as_str().unwrap().to_string());
    }
    gjb.post(format!("{base}/api/dispatches")).send().await.unwrap();
    // Each officer takes its own share of its unit's issues.
    let mut out = Vec::new();
    for i in 0..CLIENTS {
        let unit = i % UNITS.len();
        let per_unit = CLIENTS / UNITS.len();
        let mine: Vec<String> = by_unit[unit].iter().skip(i / UNITS.len()).step_by(per_unit).cloned().collect();
        out.push((client(base, &format!("officer{i}")).await, mine));
    }
    out
}

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// The officers sign for their issues at once; `bases` spreads them over
/// instances.
async fn run(officers: Vec<(reqwest::Client, Vec<String>)>, bases: &[String]) -> Figures {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (n, (c, ids)) in officers.into_iter().enumerate() {
        let base = bases[n % bases.len()].clone();
        tasks.spawn(async move {
            let mut took = Vec::with_capacity(ids.len());
            for id in ids {
                let t = Instant::now();
                let r = c.post(format!("{base}/api/issues/{id}/actions")).json(&json!({"action": "accept"})).send().await.unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                took.push(t.elapsed());
            }
            took
        });
    }
    let mut all: Vec<Duration> = Vec::new();
    while let Some(took) = tasks.join_next().await {
        all.extend(took.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)].as_secs_f64() * 1e3;
    Figures { per_second: all.len() as f64 / elapsed, p50_ms: at(0.50), p99_ms: at(0.99) }
}

fn print(what: &str, f: &Figures, raw: &str) {
    println!("{what}: {:.0} moves/s, p50 {:.1} ms, p99 {:.1} ms ({CLIENTS} clients){raw}", f.per_second, f.p50_ms, f.p99_ms);
}

/// SQLite's own limit: the same UPDATE + INSERT per move, one durable
/// transaction each, on its own connection (WAL, synchronous=FULL).
async fn raw_sqlite(file: &std::path::Path, ids: &[String]) -> f64 {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rw", file.display())).await.unwrap();
    db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;").await.unwrap();
    let started = Instant::now();
    for (n, id) in ids.iter().enumerate() {
        let sql = format!(
            "BEGIN IMMEDIATE; UPDATE issues SET state = 'reported', version = version + 1 WHERE id = '{id}'; \
             INSERT INTO moves (issue_id, action, actor, at, note, attachments) VALUES ('{id}', 'report', 'raw', '2026-03-02T10:00:{:02}', NULL, '[]'); COMMIT;",
            n % 60
        );
        db.execute_unprepared(&sql).await.unwrap();
    }
    ids.len() as f64 / started.elapsed().as_secs_f64()
}

async fn fresh_postgres(name: &str) -> String {
    use sea_orm::ConnectionTrait;
    let admin = sea_orm::Database::connect("postgres://postgres@127.0.0.1:5432/postgres").await.unwrap();
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    format!("postgres://postgres@127.0.0.1:5432/{name}")
}

async fn main_async(moves: usize) {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), None).await;
    let officers = arrange(&base, moves).await;
    let ids: Vec<String> = officers.iter().flat_map(|(_, ids)| ids.clone()).collect();
    let sqlite = run(officers, &[base]).await;
    let raw = raw_sqlite(&dir.path().join("jiaoban.db"), &ids).await;
    print("SQLite", &sqlite, &format!("; raw SQLite UPDATE+INSERT commits {raw:.0}/s, ratio {:.2}", sqlite.per_second / raw));

    let url = fresh_postgres("jiaoban_bench_load_1").await;
    let base = start(tempfile::tempdir().unwrap().path(), Some(url)).await;
    let one = run(arrange(&base, moves).await, &[base]).await;
    let url = fresh_postgres("jiaoban_bench_load_2").await;
    let a = start(tempfile::tempdir().unwrap().path(), Some(url.clone())).await;
    let b = start(tempfile::tempdir().unwrap().path(), Some(url)).await;
    let two = run(arrange(&a, moves).await, &[a, b]).await;
    let tps = jiaoban::bench::pgbench("postgres://postgres@127.0.0.1:5432/postgres");
    let ratio = |f: &Figures| tps.map_or_else(String::new, |t| format!("; pgbench -N {t:.0} tps, ratio {:.2}", f.per_second / t));
    print("PostgreSQL, one instance", &one, &ratio(&one));
    print("PostgreSQL, two instances", &two, &format!("{}; ×{:.2} one instance", ratio(&two), two.per_second / one.per_second));
}

fn main() {
    let moves: usize = std::env::var("BENCH_MOVES").ok().and_then(|v| v.parse().ok()).unwrap_or(3200);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(main_async(moves));
}
