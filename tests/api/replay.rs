//! The spec's examples replayed through the HTTP API with the test clock:
//! the service's quarter reports and open list equal `simulate`'s.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;

fn example(name: &str, ext: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/conformance/examples/{name}.{ext}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

struct Actors {
    dispatcher: reqwest::Client,
    rechecker: reqwest::Client,
    units: HashMap<String, reqwest::Client>,
    ids: HashMap<String, String>,
    unit_of: HashMap<String, String>,
}

async fn actors(app: &TestApp, events: &[Value]) -> Actors {
    let mut units = HashMap::new();
    for e in events {
        if let Some(unit) = e["unit"].as_str().filter(|u| !units.contains_key(*u)) {
            app.unit(unit).await;
            let client = app.user(&format!("unit{}", units.len()), "unit", Some(unit)).await;
            units.insert(unit.to_string(), client);
        }
    }
    Actors {
        dispatcher: app.user("dispatcher", "dispatcher", None).await,
        rechecker: app.user("rechecker", "rechecker", None).await,
        units,
        ids: HashMap::new(),
        unit_of: HashMap::new(),
    }
}

async fn apply(app: &TestApp, a: &mut Actors, e: &Value) {
    let issue = e["issue"].as_str().unwrap_or_default().to_string();
    let (status, body) = match e["event"].as_str().unwrap() {
        "register" => {
            let body = json!({"code": issue, "unit": e["unit"], "title": e["title"], "source": e["source"], "category": e["category"]});
            let (s, b) = app.post(&a.dispatcher, "/api/issues", body).await;
            a.ids.insert(issue.clone(), b["id"].as_str().unwrap_or_default().to_string());
            a.unit_of.insert(issue.clone(), e["unit"].as_str().unwrap().to_string());
            (s, b)
        }
        "dispatch" => app.post(&a.dispatcher, "/api/dispatches", json!({})).await,
        "violation" => app.post(&a.dispatcher, "/api/violations", json!({"unit": e["unit"], "note": e["note"]})).await,
        action => {
            let client = match action {
                "accept" | "report" => &a.units[&a.unit_of[&issue]],
                "recheck" => &a.rechecker,
                _ => &a.dispatcher,
            };
            app.post(client, &format!("/api/issues/{}/actions", a.ids[&issue]), json!({"action": action, "passed": e["passed"]})).await
        }
    };
    assert!(status.is_success(), "{e}: {status} {body}");
}

/// Replays an example and compares every quarter and the open list.
pub async fn replay_example(backend: Backend, name: &str) {
    let events: Vec<Value> = example(name, "jsonl").lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
    let as_of = example(name, "as_of").trim().to_string();
    let expected: Value = serde_json::from_str(&example(name, "expected.json")).unwrap();
    let app = spawn_app(backend, "2020-12-31T00:00:00").await;
    let mut a = actors(&app, &events).await;
    for e in &events {
        assert_eq!(app.advance(e["at"].as_str().unwrap()).await, StatusCode::OK);
        apply(&app, &mut a, e).await;
    }
    assert_eq!(app.advance(&as_of).await, StatusCode::OK);
    let mut frozen = Vec::new();
    for quarter in expected["quarters"].as_array().unwrap() {
        let q = quarter["quarter"].as_str().unwrap();
        let (status, mut got) = app.get(&a.dispatcher, &format!("/api/reports/{q}")).await;
        assert_eq!(status, StatusCode::OK);
        // Frozen once the due date has passed: from the day after it.
        let is_frozen = as_of[..10] > *quarter["due"].as_str().unwrap();
        assert_eq!(got.as_object_mut().unwrap().remove("frozen"), Some(json!(is_frozen)), "{name} {backend:?}: {q} frozen as of {as_of}");
        assert_eq!(&got, quarter, "{name} {backend:?}: quarter {q} differs");
        if is_frozen {
            frozen.push((q.to_string(), raw(&app, &a.dispatcher, q).await));
        }
    }
    let (_, open) = app.get(&a.dispatcher, "/api/reports/open").await;
    assert_eq!(open, expected["open"], "{name} {backend:?}: open list differs");
    // Late events — every open issue moves on, a violation — and time
    // passes: a frozen quarter stays byte for byte what it was.
    finish_open_issues(&app, &a, &open).await;
    let later = chrono::NaiveDateTime::parse_from_str(&as_of, "%Y-%m-%dT%H:%M:%S").unwrap() + chrono::Duration::days(40);
    assert_eq!(app.advance(&later.format("%Y-%m-%dT%H:%M:%S").to_string()).await, StatusCode::OK);
    for (q, before) in frozen {
        assert_eq!(raw(&app, &a.dispatcher, &q).await, before, "{name} {backend:?}: frozen {q} changed after late events");
    }
}

/// The report's body exactly as served.
async fn raw(app: &TestApp, c: &reqwest::Client, quarter: &str) -> String {
    c.get(app.url(&format!("/api/reports/{quarter}"))).send().await.unwrap().text().await.unwrap()
}

/// Moves every open issue one step on (and records a violation).
async fn finish_open_issues(app: &TestApp, a: &Actors, open: &Value) {
    for entry in open.as_array().unwrap() {
        let code = entry["issue"].as_str().unwrap();
        let (client, body) = match entry["state"].as_str().unwrap() {
            "assigned" => (&a.units[&a.unit_of[code]], json!({"action": "accept"})),
            "rectifying" => (&a.units[&a.unit_of[code]], json!({"action": "report"})),
            "reported" => (&a.rechecker, json!({"action": "recheck", "passed": true})),
            _ => continue,
        };
        let (status, body) = app.post(client, &format!("/api/issues/{}/actions", a.ids[code]), body).await;
        assert_eq!(status, StatusCode::OK, "{code}: {body}");
    }
    if let Some(unit) = a.unit_of.values().next() {
        let (status, _) = app.post(&a.dispatcher, "/api/violations", json!({"unit": unit, "note": "late"})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
}

/// The freeze at its boundary: a quarter's report is live through the last
/// second of its due date and frozen from the first second after.
pub async fn the_freeze_comes_the_day_after_the_due_date(backend: Backend) {
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    let (status, _) = app.get(&app.admin, "/api/reports/2021Q1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.advance("2021-04-10T23:59:59").await, StatusCode::OK);
    assert_eq!(app.get(&app.admin, "/api/reports/2021Q1").await.1["frozen"], false, "still live on the due date");
    assert_eq!(app.get(&app.admin, "/api/reports/2021Q2").await.1["frozen"], false);
    assert_eq!(app.advance("2021-04-11T00:00:00").await, StatusCode::OK);
    assert_eq!(app.get(&app.admin, "/api/reports/2021Q1").await.1["frozen"], true, "frozen the day after");
    assert_eq!(app.get(&app.admin, "/api/reports/2021Q2").await.1["frozen"], false);
}

/// What a real SMTP server received — each mail's key, with the service's
/// ids turned back into the timeline's codes and unit names, and its Date —
/// equals `simulate --reminders` for the same events, each key once.
pub async fn reminders_equal_simulate(backend: Backend) {
    if !crate::sink::python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    let name = "reminders";
    let events: Vec<Value> = example(name, "jsonl").lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
    let expected: Value = serde_json::from_str(&example(name, "expected.json")).unwrap();
    let sink = crate::sink::Sink::start(None);
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres().await),
    };
    let app = spawn_on(tempfile::tempdir().unwrap(), database_url, "2021-01-01T00:00:00", Some(sink.url(""))).await;
    let mut a = actors(&app, &events).await;
    for e in &events {
        assert_eq!(app.advance(e["at"].as_str().unwrap()).await, StatusCode::OK);
        apply(&app, &mut a, e).await;
    }
    assert_eq!(app.advance(example(name, "as_of").trim()).await, StatusCode::OK);
    let (_, units) = app.get(&app.admin, "/api/units").await;
    let mut names: Vec<(String, String)> =
        units["units"].as_array().unwrap().iter().map(|u| (u["id"].as_str().unwrap().to_string(), u["name"].as_str().unwrap().to_string())).collect();
    names.extend(a.ids.iter().map(|(code, id)| (id.clone(), code.clone())));
    let (_, mails) = app.get(&app.admin, "/api/mails").await;
    let keys: Vec<String> = mails["mails"].as_array().unwrap().iter().map(|m| m["key"].as_str().unwrap().to_string()).collect();
    let counts = sink.wait_for_keys(&keys, std::time::Duration::from_secs(60));
    assert!(counts.values().all(|n| *n == 1), "a key arrived twice: {counts:?}");
    let mut got: Vec<(String, String)> = sink
        .arrived()
        .into_iter()
        .map(|(key, date)| {
            let key = names.iter().fold(key, |k, (id, name)| k.replace(id, name));
            let at = chrono::DateTime::parse_from_rfc2822(&date).unwrap_or_else(|e| panic!("Date `{date}`: {e}"));
            (at.naive_local().format("%Y-%m-%dT%H:%M:%S").to_string(), key)
        })
        .collect();
    got.sort();
    let want: Vec<(String, String)> =
        expected["reminders"].as_array().unwrap().iter().map(|r| (r["at"].as_str().unwrap().to_string(), r["key"].as_str().unwrap().to_string())).collect();
    assert_eq!(got, want, "what arrived, with its Date, is what simulate says is owed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_freeze_comes_the_day_after_the_due_date() {
    the_freeze_comes_the_day_after_the_due_date(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_freeze_comes_the_day_after_the_due_date() {
    if postgres_ready().await {
        the_freeze_comes_the_day_after_the_due_date(Backend::Postgres).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reminders_equal_simulate() {
    reminders_equal_simulate(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reminders_equal_simulate() {
    if postgres_ready().await {
        reminders_equal_simulate(Backend::Postgres).await
    }
}

macro_rules! both_backends {
    ($($name:ident => $example:literal),+ $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::replay_example(crate::helpers::Backend::Sqlite, $example).await } )+ }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if crate::helpers::postgres_ready().await { super::replay_example(crate::helpers::Backend::Postgres, $example).await } } )+ }
    };
}

both_backends! {
    worked_example_reports_equal_simulate => "worked-example",
    quarter_edges_report_equal_simulate => "quarter-edges",
}
