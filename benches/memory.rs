//! `cargo bench --bench memory`: does `jiaoban serve` stay flat under load?
//!
//! Starts the release binary as a child process (its own memory, not the
//! clients'), on SQLite with a test clock, and runs the soak's roles against
//! it for `MEMORY_MINUTES` (default 60): a dispatcher registering,
//! dispatching and closing; one officer per unit signing and reporting with
//! a photo; a rechecker; a reader of reports, workbooks, the open list and
//! the board; a client sending garbage; the test clock moving two hours
//! every five seconds (so tiers, reminders and quarters pass). Samples the
//! server's resident memory every 30 s and prints it, and the ratio of the
//! last sample to the one at 5 minutes (the target: within 10%), and the
//! ratio of the medians of minutes 5–10 and of the last five minutes
//! (single samples swing with the reports being built). Counts
//! answers ≥ 500 (there must be none). Not a timed test.
//!
//! `MEMORY_ISSUES=N` stops registering after N issues (a constant data
//! size). After the soak, each of the reader's requests is probed: how far
//! it lifts the server's memory, and where it settles.

#[path = "common/mod.rs"]
mod common;

use reqwest::Client;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const UNITS: [&str; 4] = ["中兴街道", "竹行街道", "新开街道", "区住建局"];
const PASSWORD: &str = "bench-river-lantern-42";
const PHOTO: &[u8] = include_bytes!("../assets/demo-photo.png");

#[derive(Clone)]
struct World {
    base: String,
    done: Arc<AtomicBool>,
    errors: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl World {
    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match request.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                if status >= 500 {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                }
                (status, r.json().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }
    fn running(&self) -> bool {
        !self.done.load(Ordering::Relaxed)
    }
}

async fn client(base: &str, user: &str) -> Client {
    let c = Client::builder().cookie_store(true).timeout(Duration::from_secs(120)).build().unwrap();
    for _ in 0..100 {
        if let Ok(r) = c.post(format!("{base}/api/session")).json(&json!({"username": user, "password": PASSWORD})).send().await
            && r.status().is_success()
        {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("cannot sign in as {user}");
}

fn ids(list: &Value, state: &str) -> Vec<String> {
    let all = list["issues"].as_array().cloned().unwrap_or_default();
    all.iter().filter(|i| i["state"] == state).filter_map(|i| i["id"].as_str().map(str::to_string)).collect()
}

/// Registers an issue every 50 ms, up to `cap` (then the data stops
/// growing and the soak shows what memory does at a constant size), and
/// every 20 rounds dispatches and closes what was rechecked.
async fn dispatcher(w: World, c: Client, cap: usize) {
    let mut n = 0;
    while w.running() {
        n += 1;
        let unit = UNITS[n % UNITS.len()];
        if n <= cap {
            w.send(c.post(format!("{}/api/issues", w.base)).json(&json!({"code": format!("M-{n}"), "unit": unit, "title": format!("排口 {n}")}))).await;
        }
        if n % 20 == 0 {
            w.send(c.post(format!("{}/api/dispatches", w.base)).json(&json!({}))).await;
            let (_, list) = w.send(c.get(format!("{}/api/issues?state=rechecked", w.base))).await;
            for id in ids(&list, "rechecked") {
                w.send(c.post(format!("{}/api/issues/{id}/actions", w.base)).json(&json!({"action": "close"}))).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn officer(w: World, c: Client) {
    while w.running() {
        let (_, list) = w.send(c.get(format!("{}/api/issues?state=assigned", w.base))).await;
        for id in ids(&list, "assigned").into_iter().take(5) {
            w.send(c.post(format!("{}/api/issues/{id}/actions", w.base)).json(&json!({"action": "accept"}))).await;
        }
        let (_, list) = w.send(c.get(format!("{}/api/issues?state=rectifying", w.base))).await;
        for id in ids(&list, "rectifying").into_iter().take(3) {
            let part = reqwest::multipart::Part::bytes(PHOTO.to_vec()).file_name("after.png");
            let (_, photo) = w.send(c.post(format!("{}/api/attachments", w.base)).multipart(reqwest::multipart::Form::new().part("file", part))).await;
            let body = json!({"action": "report", "note": "已整改", "attachments": [photo["id"]]});
            w.send(c.post(format!("{}/api/issues/{id}/actions", w.base)).json(&body)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn rechecker(w: World, c: Client) {
    let mut n = 0u32;
    while w.running() {
        let (_, list) = w.send(c.get(format!("{}/api/issues?state=reported", w.base))).await;
        for id in ids(&list, "reported").into_iter().take(5) {
            n += 1;
            let body = json!({"action": "recheck", "passed": !n.is_multiple_of(4), "note": "现场复核"});
            w.send(c.post(format!("{}/api/issues/{id}/actions", w.base)).json(&body)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn reader(w: World, c: Client) {
    let mut n = 0;
    while w.running() {
        n += 1;
        w.send(c.get(format!("{}{}", w.base, READS[n % READS.len()]))).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// What the reader fetches, round and round.
const READS: [&str; 7] =
    ["/api/reports/2021Q1", "/api/reports/2021Q1?format=xlsx", "/api/reports/open", "/api/issues?q=排口", "/board", "/api/reports/2021", "/metrics"];

/// After the soak, with the load stopped: each of the reader's requests
/// three times in a row, the server's resident memory polled every 5 ms
/// meanwhile — how far each one lifts it, and where it settles after.
async fn probe(w: &World, c: &Client, pid: u32) {
    println!("request  peak above before (MiB)  after − before (MiB)  ms");
    for path in READS {
        let before = common::rss_kib(&pid.to_string());
        let peak = Arc::new(std::sync::atomic::AtomicU64::new(before));
        let polling = Arc::new(AtomicBool::new(true));
        let poller = tokio::spawn({
            let (peak, polling) = (peak.clone(), polling.clone());
            async move {
                while polling.load(Ordering::Relaxed) {
                    peak.fetch_max(common::rss_kib(&pid.to_string()), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        let started = Instant::now();
        for _ in 0..3 {
            w.send(c.get(format!("{}{}", w.base, path))).await;
        }
        let ms = started.elapsed().as_millis() / 3;
        polling.store(false, Ordering::Relaxed);
        let _ = poller.await;
        let after = common::rss_kib(&pid.to_string());
        let mib = |k: i64| k as f64 / 1024.0;
        println!("{path}  {:.1}  {:.1}  {ms}", mib(peak.load(Ordering::Relaxed) as i64 - before as i64), mib(after as i64 - before as i64));
    }
}

async fn vandal(w: World, c: Client) {
    let bad = ["/api/issues?unit=%00", "/api/issues?state=%FF%FE", "/api/reports/2021Q9", "/api/issues/nope", "/api/issues?page=-1"];
    let mut n = 0;
    while w.running() {
        n += 1;
        w.send(c.get(format!("{}{}", w.base, bad[n % bad.len()]))).await;
        w.send(c.post(format!("{}/api/issues", w.base)).header("content-type", "application/json").body("{\"code\": ")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn clock(w: World, c: Client) {
    let mut now = chrono::NaiveDateTime::parse_from_str("2021-03-01T08:00:00", "%Y-%m-%dT%H:%M:%S").unwrap();
    while w.running() {
        tokio::time::sleep(Duration::from_secs(5)).await;
        now += chrono::Duration::hours(2);
        w.send(c.post(format!("{}/api/test-clock", w.base)).json(&json!({"now": now.format("%Y-%m-%dT%H:%M:%S").to_string()}))).await;
    }
}

#[tokio::main]
async fn main() {
    let minutes: u64 = std::env::var("MEMORY_MINUTES").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    // MEMORY_ISSUES=N: register no more than N issues (a constant data size).
    let cap: usize = std::env::var("MEMORY_ISSUES").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = std::process::Command::new(env!("CARGO_BIN_EXE_jiaoban"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--data-dir", &dir.path().display().to_string(), "--test-clock", "2021-03-01T08:00:00"])
        .env("JIAOBAN_ADMIN_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = server.id();
    let mut server = Server(server);
    let base = format!("http://127.0.0.1:{port}");
    let admin = client(&base, "admin").await;
    for unit in UNITS {
        admin.post(format!("{base}/api/units")).json(&json!({"name": unit, "emails": ["u@example.org"]})).send().await.unwrap();
    }
    let mut users = vec![("gjb".to_string(), "dispatcher", None), ("fh".to_string(), "rechecker", None), ("kh".to_string(), "assessor", None)];
    users.extend(UNITS.iter().enumerate().map(|(i, u)| (format!("officer{i}"), "unit", Some(*u))));
    for (name, role, unit) in &users {
        admin.post(format!("{base}/api/users")).json(&json!({"username": name, "password": PASSWORD, "role": role, "unit": unit})).send().await.unwrap();
    }
    let w = World { base: base.clone(), done: Arc::default(), errors: Arc::default(), requests: Arc::default() };
    let reader_client = client(&base, "kh").await;
    let mut tasks = vec![
        tokio::spawn(dispatcher(w.clone(), client(&base, "gjb").await, cap)),
        tokio::spawn(rechecker(w.clone(), client(&base, "fh").await)),
        tokio::spawn(reader(w.clone(), reader_client.clone())),
        tokio::spawn(vandal(w.clone(), client(&base, "kh").await)),
        tokio::spawn(clock(w.clone(), admin.clone())),
    ];
    for i in 0..UNITS.len() {
        tasks.push(tokio::spawn(officer(w.clone(), client(&base, &format!("officer{i}")).await)));
    }
    let started = Instant::now();
    let mut at_five = None;
    let mut last = 0;
    // (minute, KiB) of every sample: single samples swing with the reports
    // being built at that instant, medians of five minutes less so.
    let mut samples: Vec<(f64, u64)> = Vec::new();
    println!("minute  server RSS (MiB)  requests  answers >= 500");
    while started.elapsed() < Duration::from_secs(minutes * 60) {
        tokio::time::sleep(Duration::from_secs(30)).await;
        last = common::rss_kib(&pid.to_string());
        let minute = started.elapsed().as_secs_f64() / 60.0;
        if minute >= 5.0 && at_five.is_none() {
            at_five = Some(last);
        }
        samples.push((minute, last));
        println!("{minute:6.1}  {:16.1}  {:8}  {}", last as f64 / 1024.0, w.requests.load(Ordering::Relaxed), w.errors.load(Ordering::Relaxed));
    }
    w.done.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    probe(&w, &reader_client, pid).await;
    let five = at_five.unwrap_or(last).max(1);
    println!(
        "serve RSS after {minutes} min: {:.1} MiB; after 5 min: {:.1} MiB; ratio {:.2} (flat within 10%: {}); answers >= 500: {}",
        last as f64 / 1024.0,
        five as f64 / 1024.0,
        last as f64 / five as f64,
        (last as f64 / five as f64) <= 1.10,
        w.errors.load(Ordering::Relaxed)
    );
    let median = |from: f64, to: f64| {
        let mut kib: Vec<u64> = samples.iter().filter(|(m, _)| (from..to).contains(m)).map(|s| s.1).collect();
        kib.sort_unstable();
        kib.get(kib.len() / 2).copied()
    };
    let end = samples.last().map_or(0.0, |s| s.0);
    if let (Some(early), Some(late)) = (median(5.0, 10.0), median(end - 5.0, end + 1.0)) {
        println!(
            "median RSS, minutes 5-10: {:.1} MiB; last five minutes: {:.1} MiB; ratio {:.2}",
            early as f64 / 1024.0,
            late as f64 / 1024.0,
            late as f64 / early.max(1) as f64
        );
    }
    let _ = server.0.kill();
}

/// Stops the server however the bench ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
