//! Faults: the SMTP server down for a while, and the service killed with
//! SIGKILL while it delivers and while it catches up. Nothing is lost,
//! nothing is sent twice (but for the one mail a kill can catch between the
//! server's 250 and the commit), and every acknowledged move survives.
//!
//! The kill tests run `jiaoban serve` as its own process — kill -9 of a task
//! inside the test would not be a crash.

use crate::helpers::*;
use crate::sink::{Faults, Sink, python_ready};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const START: &str = "2021-03-01T08:00:00";
const UNITS: [&str; 6] = ["中兴街道", "竹行街道", "新开街道", "老洪港管理办公室", "区住建局", "区生态环境局"];

/// `jiaoban serve` in its own process, on SQLite in `data`.
struct Service {
    child: Child,
    base: String,
    data: std::path::PathBuf,
    smtp: String,
}

impl Service {
    fn start(data: &std::path::Path, smtp: &str) -> Service {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(data.join("service.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_jiaoban"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--test-clock", START, "--smtp-url", smtp, "--data-dir"])
            .arg(data)
            .args(["--workflow", concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml")])
            .env("JIAOBAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("jiaoban serve starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the service did not come up; see {}", data.join("service.log").display());
            std::thread::sleep(Duration::from_millis(50));
        }
        Service { child, base, data: data.to_path_buf(), smtp: smtp.to_string() }
    }

    /// SIGKILL, then the same data again.
    fn kill_and_restart(mut self) -> Service {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
        Service::start(&self.data, &self.smtp)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(c: &reqwest::Client, url: String, body: Value) -> (StatusCode, Value) {
    let r = c.post(url).json(&body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Units, a dispatcher, a unit user, and `n` registered issues.
async fn arrange(base: &str, n: usize) -> (reqwest::Client, reqwest::Client) {
    let admin = sign_in(base, "admin", ADMIN_PASSWORD).await;
    for (i, unit) in UNITS.iter().enumerate() {
        let (s, b) = post(&admin, format!("{base}/api/units"), json!({"name": unit, "emails": [format!("unit{i}@example.org")]})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    for (name, role, unit) in [("gjb", "dispatcher", None), ("zx", "unit", Some(UNITS[0]))] {
        let (s, b) = post(&admin, format!("{base}/api/users"), json!({"username": name, "password": PASSWORD, "role": role, "unit": unit})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let gjb = sign_in(base, "gjb", PASSWORD).await;
    for k in 0..n {
        let (s, b) = post(&gjb, format!("{base}/api/issues"), json!({"code": format!("W-{k:03}"), "unit": UNITS[k % UNITS.len()], "title": "排口渗漏"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    (admin, gjb)
}

/// A request that may never be answered (the service is about to die).
async fn fire_and_forget(c: reqwest::Client, url: String, body: Value) {
    let _ = c.post(url).json(&body).send().await;
}

async fn mails(admin: &reqwest::Client, base: &str) -> Vec<Value> {
    let r = admin.get(format!("{base}/api/mails")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["mails"].as_array().unwrap().clone()
}

/// Waits until every outbox row is sent; returns the outbox keys.
async fn all_sent(admin: &reqwest::Client, base: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let rows = mails(admin, base).await;
        if rows.iter().all(|m| !m["sent_at"].is_null()) {
            return rows.iter().map(|m| m["key"].as_str().unwrap().to_string()).collect();
        }
        assert!(Instant::now() < deadline, "unsent: {:?}", rows.iter().filter(|m| m["sent_at"].is_null()).map(|m| &m["key"]).collect::<Vec<_>>());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Every outbox key arrived; returns how many arrived twice (or more).
fn delivered_once_or_twice(sink: &Sink, keys: &[String]) -> usize {
    let delivered = sink.wait_for_keys(keys, Duration::from_secs(10));
    let expected: std::collections::BTreeSet<&String> = keys.iter().collect();
    let got: std::collections::BTreeSet<&String> = delivered.keys().collect();
    assert_eq!(got, expected, "exactly the outbox's keys arrived");
    assert!(delivered.values().all(|n| *n <= 2), "a key arrived more than twice: {delivered:?}");
    delivered.values().filter(|n| **n > 1).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_down_for_a_while_loses_nothing_sends_nothing_twice_and_delays_no_timer() {
    if !python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    let sink = Sink::start(None);
    let url = sink.url("");
    let down = sink.down();
    let app = spawn_on(tempfile::tempdir().unwrap(), None, START, Some(url)).await;
    app.unit(UNITS[0]).await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    let (s, _) = app.post(&gjb, "/api/issues", json!({"code": "W-1", "unit": UNITS[0], "title": "排口"})).await;
    assert_eq!(s, StatusCode::CREATED);
    // Through the list of 03-01, every tier and the overdue day, SMTP down.
    for day in ["2021-03-02T09:00:00", "2021-03-20T09:00:00", "2021-04-02T09:00:00"] {
        let asked = Instant::now();
        assert_eq!(app.advance(day).await, StatusCode::OK);
        assert!(asked.elapsed() < Duration::from_secs(15), "a dead SMTP server held the clock for {:?}", asked.elapsed());
    }
    // The timers fired on time: the overdue charge is in the report, and
    // every owed mail waits in the outbox with its own instant.
    // (Day 31 of a list of 03-01 is 04-01, in the second quarter.)
    let (_, q2) = app.get(&app.admin, "/api/reports/2021Q2").await;
    assert_eq!(q2["items"][0]["points"], "0.05", "{q2}");
    // Every mail is tried (a dispatch mail waits a few seconds for a second
    // list of its instant first), and none can go.
    let deadline = Instant::now() + Duration::from_secs(30);
    let waiting = loop {
        let rows = app.get(&app.admin, "/api/mails").await.1["mails"].as_array().unwrap().clone();
        if rows.iter().all(|m| m["attempts"].as_i64().unwrap() >= 1) || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let at: BTreeMap<String, String> =
        waiting.iter().map(|m| (m["key"].as_str().unwrap().split(':').next().unwrap().to_string(), m["at"].as_str().unwrap().to_string())).collect();
    assert_eq!(at["dispatch"], "2021-03-01T09:00:00");
    assert_eq!(at["warn-16"], "2021-03-15T08:30:00");
    assert_eq!(at["tier-31"], "2021-04-01T08:30:00");
    assert!(waiting.iter().all(|m| m["sent_at"].is_null() && m["attempts"].as_i64().unwrap() >= 1), "tried, not sent: {waiting:?}");

    let sink = Sink::up(down);
    let keys = all_sent(&app.admin, &app.base, Duration::from_secs(120)).await;
    assert_eq!(delivered_once_or_twice(&sink, &keys), 0, "nothing twice");
    assert_eq!(keys.len(), waiting.len(), "nothing new, nothing lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_delivering_loses_nothing_and_repeats_at_most_the_mail_in_flight() {
    if !python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    let sink = Sink::start_faulty(Faults { slow_ms: 400, ..Faults::default() });
    let data = tempfile::tempdir().unwrap();
    let service = Service::start(data.path(), &sink.url(""));
    let (admin, _) = arrange(&service.base, 24).await;
    let zx = sign_in(&service.base, "zx", PASSWORD).await;
    // Two lists and their tier mails: dozens of mails for a slow server.
    let (s, _) = post(&admin, format!("{}/api/test-clock", service.base), json!({"now": "2021-03-16T09:00:00"})).await;
    assert_eq!(s, StatusCode::OK);
    // An acknowledged move, then the kill while mail is going out.
    let list: Value = zx.get(format!("{}/api/issues", service.base)).send().await.unwrap().json().await.unwrap();
    let id = list["issues"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = post(&zx, format!("{}/api/issues/{id}/actions", service.base), json!({"action": "accept"})).await;
    assert_eq!(s, StatusCode::OK);
    let advancing = tokio::spawn(fire_and_forget(admin.clone(), format!("{}/api/test-clock", service.base), json!({"now": "2021-04-20T09:00:00"})));
    let deadline = Instant::now() + Duration::from_secs(60);
    while sink.delivered().len() < 8 {
        assert!(Instant::now() < deadline, "mail did not start flowing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let service = service.kill_and_restart();
    advancing.abort();
    let admin = sign_in(&service.base, "admin", ADMIN_PASSWORD).await;
    // The request that was cut short, sent again, finishes what is owed.
    let (s, _) = post(&admin, format!("{}/api/test-clock", service.base), json!({"now": "2021-04-20T09:00:00"})).await;
    assert_eq!(s, StatusCode::OK);
    let keys = all_sent(&admin, &service.base, Duration::from_secs(180)).await;
    assert!(keys.len() > 30, "{} mails", keys.len());
    assert!(delivered_once_or_twice(&sink, &keys) <= 1, "at most the one mail in flight twice");
    let issue: Value = admin.get(format!("{}/api/issues/{id}", service.base)).send().await.unwrap().json().await.unwrap();
    assert!(issue["history"].as_array().unwrap().iter().any(|m| m["action"] == "accept" && m["actor"] == "zx"), "the acknowledged move survived: {issue}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_catch_up_finishes_what_is_owed_when_asked_again() {
    if !python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    // The reference: the same data, no kill.
    let sink = Sink::start(None);
    let reference = tempfile::tempdir().unwrap();
    let calm = Service::start(reference.path(), &sink.url(""));
    let expected = catch_up(calm, false).await;
    let sink2 = Sink::start(None);
    let data = tempfile::tempdir().unwrap();
    let killed = Service::start(data.path(), &sink2.url(""));
    let got = catch_up(killed, true).await;
    assert_eq!(got.0, expected.0, "the same quarter reports");
    assert_eq!(got.1, expected.1, "the same mail, by kind and instant");
    assert!(delivered_once_or_twice(&sink2, &got.2) <= 1);
}

/// Timers this process has fired so far (its /metrics).
async fn fired(c: &reqwest::Client, base: &str) -> u64 {
    let text = c.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines().filter(|l| l.starts_with("jiaoban_timers_fired_total")).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum::<f64>() as u64
}

/// 120 issues dispatched, then 40 days at once: hundreds of timers; with
/// `kill`, the service dies mid-way and the request is sent again. Returns
/// the reports, the mail by kind and instant, and the outbox's keys.
async fn catch_up(service: Service, kill: bool) -> (Vec<Value>, Vec<(String, String)>, Vec<String>) {
    let (admin, gjb) = arrange(&service.base, 120).await;
    let (s, _) = post(&gjb, format!("{}/api/dispatches", service.base), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let target = json!({"now": "2021-04-12T09:00:00"});
    let service = if kill {
        let request = tokio::spawn(fire_and_forget(admin.clone(), format!("{}/api/test-clock", service.base), target.clone()));
        // Kill as soon as the first batch of timers has fired.
        let deadline = Instant::now() + Duration::from_secs(30);
        while fired(&admin, &service.base).await == 0 {
            assert!(Instant::now() < deadline, "the catch-up never started");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let restarted = service.kill_and_restart();
        request.abort();
        // The kill came mid-way: the clock moves only once all is done.
        let admin = sign_in(&restarted.base, "admin", ADMIN_PASSWORD).await;
        let clock: Value = admin.get(format!("{}/api/test-clock", restarted.base)).send().await.unwrap().json().await.unwrap();
        assert_eq!(clock["now"], START, "the catch-up was cut short");
        restarted
    } else {
        service
    };
    let admin = sign_in(&service.base, "admin", ADMIN_PASSWORD).await;
    let (s, b) = post(&admin, format!("{}/api/test-clock", service.base), target).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut reports = Vec::new();
    for q in ["2021Q1", "2021Q2"] {
        reports.push(admin.get(format!("{}/api/reports/{q}", service.base)).send().await.unwrap().json::<Value>().await.unwrap());
    }
    let keys = all_sent(&admin, &service.base, Duration::from_secs(120)).await;
    let mut kinds: Vec<(String, String)> = mails(&admin, &service.base)
        .await
        .iter()
        .map(|m| (m["key"].as_str().unwrap().split(':').next().unwrap().to_string(), m["at"].as_str().unwrap().to_string()))
        .collect();
    kinds.sort();
    (reports, kinds, keys)
}
