//! The soak: sixteen clients at once — dispatchers registering (and racing
//! on one code), two users per unit racing to sign and report, a rechecker,
//! readers downloading reports, clients sending garbage — while the test
//! clock moves under them and the SMTP server refuses one mail in five and
//! answers slowly. On SQLite, and on two instances sharing one PostgreSQL.
//!
//! Afterwards: no answer was ≥ 500; every acknowledged move is in its
//! issue's history and nothing else is; no mail key reached the SMTP server
//! twice; and once the server behaves, every mail in the outbox arrives.

use crate::helpers::*;
use crate::sink::{Faults, Sink, python_ready};
use rand::{Rng, SeedableRng};
use reqwest::Client;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const START: &str = "2021-03-01T08:00:00";
/// The clock walks from START to here, in random steps.
const END_DAY: i64 = 75;
const UNITS: [&str; 4] = ["中兴街道", "竹行街道", "新开街道", "区住建局"];
/// Registrations per dispatcher.
const REGISTRATIONS: usize = 24;

/// What the clients saw, for the checks afterwards.
#[derive(Default)]
struct Seen {
    /// Every answer ≥ 500, with what was asked.
    server_errors: Vec<String>,
    /// Acknowledged moves: (issue id, action as the history names it, user).
    moves: Vec<(String, String, String)>,
    /// Codes whose registration was acknowledged.
    registered: Vec<String>,
    /// Racing registrations of one code: code → statuses.
    races: BTreeMap<String, Vec<u16>>,
    requests: usize,
}

#[derive(Clone)]
struct World {
    bases: Arc<Vec<String>>,
    seen: Arc<Mutex<Seen>>,
    done: Arc<AtomicBool>,
}

impl World {
    fn base(&self, rng: &mut impl Rng) -> &str {
        &self.bases[rng.random_range(0..self.bases.len())]
    }

    /// Sends and records; `None` if the request itself failed.
    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> (u16, Value) {
        let response = request.send().await.unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
        let status = response.status().as_u16();
        let body = response.bytes().await.map(|b| serde_json::from_slice(&b).unwrap_or(Value::Null)).unwrap_or(Value::Null);
        let mut seen = self.seen.lock().unwrap();
        seen.requests += 1;
        if status >= 500 {
            seen.server_errors.push(format!("{what} → {status} {body}"));
        }
        (status, body)
    }

    async fn get(&self, c: &Client, rng: &mut impl Rng, path: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.base(rng));
        self.send(c.get(url), &format!("GET {path}")).await
    }

    async fn post(&self, c: &Client, rng: &mut impl Rng, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base(rng));
        self.send(c.post(url).json(&body), &format!("POST {path} {body}")).await
    }

    /// A move; recorded when acknowledged.
    async fn act(&self, c: &Client, rng: &mut impl Rng, user: &str, id: &str, body: Value) -> u16 {
        let (status, _) = self.post(c, rng, &format!("/api/issues/{id}/actions"), body.clone()).await;
        if status == 200 {
            let action = match (body["action"].as_str().unwrap(), body["passed"].as_bool()) {
                ("recheck", Some(true)) => "recheck_pass".to_string(),
                ("recheck", Some(false)) => "recheck_fail".to_string(),
                (other, _) => other.to_string(),
            };
            self.seen.lock().unwrap().moves.push((id.to_string(), action, user.to_string()));
        }
        status
    }

    fn running(&self) -> bool {
        !self.done.load(Ordering::Relaxed)
    }
}

fn ids_in(list: &Value, state: &str) -> Vec<String> {
    list["issues"].as_array().map_or_else(Vec::new, |a| a.iter().filter(|i| i["state"] == state).filter_map(|i| i["id"].as_str().map(String::from)).collect())
}

async fn dispatcher(w: World, c: Client, name: String, peer: usize, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for n in 0..REGISTRATIONS {
        // Every fourth code is registered by both dispatchers at once.
        let code = if n % 4 == 0 { format!("R-{n}") } else { format!("S-{peer}-{n}") };
        let unit = UNITS[rng.random_range(0..UNITS.len())];
        let (status, _) = w.post(&c, &mut rng, "/api/issues", json!({"code": code, "unit": unit, "title": format!("排口 {code}")})).await;
        {
            let mut seen = w.seen.lock().unwrap();
            if status == 201 {
                seen.registered.push(code.clone());
            }
            if code.starts_with("R-") {
                seen.races.entry(code).or_default().push(status);
            }
        }
        if rng.random_bool(0.2) {
            w.post(&c, &mut rng, "/api/dispatches", json!({})).await;
        }
        if rng.random_bool(0.3) {
            let (_, list) = w.get(&c, &mut rng, "/api/issues?state=rechecked").await;
            for id in ids_in(&list, "rechecked").into_iter().take(3) {
                w.act(&c, &mut rng, &name, &id, json!({"action": "close"})).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..120))).await;
    }
    while w.running() {
        let (_, list) = w.get(&c, &mut rng, "/api/issues?state=rechecked").await;
        for id in ids_in(&list, "rechecked").into_iter().take(3) {
            w.act(&c, &mut rng, &name, &id, json!({"action": "close"})).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Two of these per unit pick the same issue and race on it.
async fn unit_user(w: World, c: Client, name: String, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    while w.running() {
        let (_, list) = w.get(&c, &mut rng, "/api/issues").await;
        let target =
            ids_in(&list, "assigned").into_iter().map(|id| (id, "accept")).chain(ids_in(&list, "rectifying").into_iter().map(|id| (id, "report"))).next();
        // Both users of a unit see the same first issue; a unit is not
        // quick, so some issues go past their tiers (and mail).
        if let Some((id, action)) = target.filter(|_| rng.random_bool(0.2)) {
            let mut body = json!({"action": action, "note": "已整改"});
            if action == "report" {
                // A report carries a photo (rules.md, Evidence).
                let part = reqwest::multipart::Part::bytes(include_bytes!("../../assets/demo-photo.png").to_vec()).file_name("after.png");
                let url = format!("{}/api/attachments", w.base(&mut rng));
                let (status, photo) = w.send(c.post(url).multipart(reqwest::multipart::Form::new().part("file", part)), "upload a photo").await;
                assert_eq!(status, 201, "{photo}");
                body["attachments"] = json!([photo["id"]]);
            }
            let status = w.act(&c, &mut rng, &name, &id, body).await;
            assert!(matches!(status, 200 | 409), "{action} answered {status}");
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..300))).await;
    }
}

async fn rechecker(w: World, c: Client, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    while w.running() {
        let (_, list) = w.get(&c, &mut rng, "/api/issues?state=reported").await;
        for id in ids_in(&list, "reported").into_iter().take(4) {
            let passed = rng.random_bool(0.75);
            w.act(&c, &mut rng, "fh", &id, json!({"action": "recheck", "passed": passed, "note": "现场复核"})).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..200))).await;
    }
}

async fn reader(w: World, c: Client, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let paths = ["/api/reports/2021Q1", "/api/reports/2021Q2?format=xlsx", "/api/reports/open", "/api/issues", "/api/reports/2021Q1?format=xlsx", "/metrics"];
    while w.running() {
        let path = paths[rng.random_range(0..paths.len())];
        let (status, _) = w.get(&c, &mut rng, path).await;
        assert_eq!(status, 200, "{path}");
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..100))).await;
    }
}

/// Garbage of every kind; each must be refused (4xx) and change nothing —
/// which the history check afterwards proves for the moves.
async fn vandal(w: World, c: Client, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    while w.running() {
        let (_, list) = w.get(&c, &mut rng, "/api/issues").await;
        let id = list["issues"].as_array().and_then(|a| a.first()).and_then(|i| i["id"].as_str()).unwrap_or("nope").to_string();
        let base = w.base(&mut rng).to_string();
        let attempts: Vec<(reqwest::RequestBuilder, &str)> = vec![
            (c.post(format!("{base}/api/issues")).header("content-type", "application/json").body("{\"code\": "), "truncated JSON"),
            (c.post(format!("{base}/api/issues")).json(&json!({"code": "X\u{0}1", "unit": UNITS[0], "title": "t"})), "NUL in a code"),
            (c.get(format!("{base}/api/issues?unit=%00")), "NUL in a query"),
            (c.get(format!("{base}/api/issues?state=%FF%FE")), "invalid UTF-8 in a query"),
            (c.get(format!("{base}/api/issues?state=done")), "unknown state"),
            (c.post(format!("{base}/api/issues/{id}/actions")).json(&json!({"action": "teleport"})), "unknown action"),
            (c.post(format!("{base}/api/issues/{id}/actions")).json(&json!({"action": "recheck", "passed": "yes"})), "wrong type"),
            (c.post(format!("{base}/api/issues/{id}/actions")).json(&json!({"action": "close", "note": 12345678901234567890u64})), "number for a note"),
            (c.post(format!("{base}/api/issues/00000000-0000-0000-0000-000000000000/actions")).json(&json!({"action": "accept"})), "unknown issue"),
            (c.get(format!("{base}/api/reports/2021Q9")), "no such quarter"),
            (c.get(format!("{base}/api/reports/99999999999999999999Q1")), "year out of range"),
            (c.post(format!("{base}/api/test-clock")).json(&json!({"now": "2021-13-45T99:00:00"})), "not a time"),
            (c.post(format!("{base}/api/violations")).json(&json!({"unit": "不存在的单位", "note": "x"})), "unknown unit"),
        ];
        for (request, what) in attempts {
            let (status, body) = w.send(request, what).await;
            assert!((400..500).contains(&status), "{what}: {status} {body}");
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..150))).await;
    }
}

/// Moves the test clock forward in random steps, then stops everyone.
async fn clock(w: World, admins: Vec<Client>, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let start = chrono::NaiveDateTime::parse_from_str(START, "%Y-%m-%dT%H:%M:%S").unwrap();
    let end = start + chrono::Duration::days(END_DAY);
    let mut now = start;
    while now < end {
        now += chrono::Duration::minutes(rng.random_range(30..36 * 60));
        let i = rng.random_range(0..admins.len());
        let url = format!("{}/api/test-clock", w.bases[i]);
        let at = now.min(end).format("%Y-%m-%dT%H:%M:%S").to_string();
        let (status, body) = w.send(admins[i].post(url).json(&json!({"now": at})), &format!("advance to {at}")).await;
        assert_eq!(status, 200, "advance to {at}: {body}");
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..250))).await;
    }
    w.done.store(true, Ordering::Relaxed);
}

/// Runs the soak against `apps` (one, or two on one database) and checks it.
async fn soak(apps: Vec<TestApp>, sink: Sink) {
    let first = &apps[0];
    for unit in UNITS {
        first.unit(unit).await;
    }
    let mut users = vec![("gjb1", "dispatcher", None), ("gjb2", "dispatcher", None), ("fh", "rechecker", None), ("kh", "assessor", None)];
    let unit_users: Vec<(String, &str)> = UNITS.iter().enumerate().flat_map(|(i, u)| [(format!("u{i}a"), *u), (format!("u{i}b"), *u)]).collect();
    for (name, unit) in &unit_users {
        users.push((name.as_str(), "unit", Some(*unit)));
    }
    let mut clients = BTreeMap::new();
    for (name, role, unit) in users {
        clients.insert(name.to_string(), first.user(name, role, unit).await);
    }
    let w = World { bases: Arc::new(apps.iter().map(|a| a.base.clone()).collect()), seen: Arc::default(), done: Arc::default() };
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(dispatcher(w.clone(), clients["gjb1"].clone(), "gjb1".into(), 1, 1));
    tasks.spawn(dispatcher(w.clone(), clients["gjb2"].clone(), "gjb2".into(), 2, 2));
    for (n, (name, _)) in unit_users.iter().enumerate() {
        tasks.spawn(unit_user(w.clone(), clients[name].clone(), name.clone(), 10 + n as u64));
    }
    tasks.spawn(rechecker(w.clone(), clients["fh"].clone(), 3));
    tasks.spawn(reader(w.clone(), clients["kh"].clone(), 4));
    tasks.spawn(reader(w.clone(), clients["gjb1"].clone(), 5));
    tasks.spawn(vandal(w.clone(), clients["u0a"].clone(), 6));
    tasks.spawn(vandal(w.clone(), client(), 7));
    tasks.spawn(clock(w.clone(), apps.iter().map(|a| a.admin.clone()).collect(), 8));
    assert_eq!(tasks.len(), 16, "sixteen clients at once");
    while let Some(done) = tasks.join_next().await {
        done.expect("a client failed");
    }
    let seen = std::mem::take(&mut *w.seen.lock().unwrap());
    assert!(seen.server_errors.is_empty(), "answers ≥ 500:\n{}", seen.server_errors.join("\n"));
    assert!(seen.requests > 1000, "the soak was too short: {} requests", seen.requests);
    assert!(seen.moves.len() > 50, "too few moves got through: {}", seen.moves.len());
    for (code, statuses) in &seen.races {
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{code}: one registration wins, the other is a conflict: {statuses:?}");
        assert!(statuses.iter().all(|s| matches!(s, 201 | 409)), "{code}: {statuses:?}");
    }
    check_histories(first, &seen).await;
    check_mail(first, sink).await;
}

/// Every acknowledged move is in its issue's history, and nothing else is.
async fn check_histories(app: &TestApp, seen: &Seen) {
    let (_, list) = app.get(&app.admin, "/api/issues").await;
    let issues = list["issues"].as_array().unwrap();
    let mut codes: Vec<String> = issues.iter().map(|i| i["code"].as_str().unwrap().to_string()).collect();
    let mut registered = seen.registered.clone();
    codes.sort();
    registered.sort();
    assert_eq!(codes, registered, "the issues are exactly the acknowledged registrations");
    for issue in issues {
        let id = issue["id"].as_str().unwrap();
        let (_, full) = app.get(&app.admin, &format!("/api/issues/{id}")).await;
        let history = full["history"].as_array().unwrap();
        let mut stored: Vec<(String, String)> = history
            .iter()
            .filter(|m| !matches!(m["action"].as_str(), Some("register" | "dispatch")))
            .map(|m| (m["action"].as_str().unwrap().to_string(), m["actor"].as_str().unwrap().to_string()))
            .collect();
        let mut acknowledged: Vec<(String, String)> = seen.moves.iter().filter(|(i, _, _)| i == id).map(|(_, a, u)| (a.clone(), u.clone())).collect();
        stored.sort();
        acknowledged.sort();
        assert_eq!(stored, acknowledged, "history of {}", issue["code"]);
        assert_eq!(history.iter().filter(|m| m["action"] == "register").count(), 1);
        assert!(history.iter().filter(|m| m["action"] == "dispatch").count() <= 1, "dispatched once: {}", issue["code"]);
    }
}

/// No key twice while the server misbehaved; once it behaves, every mail
/// of the outbox arrives, once.
async fn check_mail(app: &TestApp, sink: Sink) {
    let early = sink.delivered();
    assert!(early.values().all(|n| *n == 1), "keys delivered twice: {:?}", early.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>());
    assert!(sink.log().iter().any(|(_, accepted)| !accepted), "the server refused some mail, so retries were tested");
    let sink = Sink::up(sink.down().behaving());
    let deadline = std::time::Instant::now() + Duration::from_secs(150);
    let keys = loop {
        let (_, mails) = app.get(&app.admin, "/api/mails").await;
        let mails = mails["mails"].as_array().unwrap().clone();
        if mails.iter().all(|m| !m["sent_at"].is_null()) {
            break mails.iter().map(|m| m["key"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mail still unsent: {:?}",
            mails.iter().filter(|m| m["sent_at"].is_null()).map(|m| &m["key"]).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // How much mail a soak makes depends on how far its clients got while
    // the clock walked (a loaded machine gets less done): enough that
    // delivery was exercised, not a figure.
    assert!(keys.len() > 10, "the soak made mail: {}", keys.len());
    let delivered = sink.wait_for_keys(&keys, Duration::from_secs(10));
    let expected: BTreeMap<String, usize> = keys.iter().map(|k| (k.clone(), 1)).collect();
    assert_eq!(delivered, expected, "every key of the outbox arrived exactly once, and nothing else did");
}

fn faults() -> Faults {
    Faults { refuse_one_in: 5, slow_ms: 150, seed: 20210301 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_on_sqlite_with_a_faulty_smtp_server_keep_every_promise() {
    if !python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    let sink = Sink::start_faulty(faults());
    let app = spawn_on(tempfile::tempdir().unwrap(), None, START, Some(sink.url(""))).await;
    soak(vec![app], sink).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_on_two_instances_of_one_postgres_keep_every_promise() {
    if !python_ready("import aiosmtpd", "python3 with aiosmtpd") || !postgres_ready().await {
        return;
    }
    let sink = Sink::start_faulty(faults());
    let url = fresh_postgres().await;
    let a = spawn_on(tempfile::tempdir().unwrap(), Some(url.clone()), START, Some(sink.url(""))).await;
    let b = spawn_on(tempfile::tempdir().unwrap(), Some(url), START, Some(sink.url(""))).await;
    soak(vec![a, b], sink).await;
}
