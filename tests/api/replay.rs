//! The spec's examples replayed through the HTTP API with the test clock:
//! the service's quarter reports and open list equal `simulate`'s.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
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
    Actors { dispatcher: app.user("dispatcher", "dispatcher", None).await, rechecker: app.user("rechecker", "rechecker", None).await, units, ids: HashMap::new(), unit_of: HashMap::new() }
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
    for quarter in expected["quarters"].as_array().unwrap() {
        let (status, mut got) = app.get(&a.dispatcher, &format!("/api/reports/{}", quarter["quarter"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert!(got.as_object_mut().unwrap().remove("frozen").is_some());
        assert_eq!(&got, quarter, "{name} {backend:?}: quarter {} differs", quarter["quarter"]);
    }
    let (_, open) = app.get(&a.dispatcher, "/api/reports/open").await;
    assert_eq!(open, expected["open"], "{name} {backend:?}: open list differs");
}

/// The service's mail log, with its ids turned back into the timeline's codes
/// and unit names, equals `simulate --reminders` for the same events.
pub async fn reminders_equal_simulate(backend: Backend) {
    let name = "reminders";
    let events: Vec<Value> = example(name, "jsonl").lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
    let expected: Value = serde_json::from_str(&example(name, "expected.json")).unwrap();
    let app = spawn_app(backend, "2021-01-01T00:00:00").await;
    let mut a = actors(&app, &events).await;
    for e in &events {
        assert_eq!(app.advance(e["at"].as_str().unwrap()).await, StatusCode::OK);
        apply(&app, &mut a, e).await;
    }
    assert_eq!(app.advance(example(name, "as_of").trim()).await, StatusCode::OK);
    let (_, units) = app.get(&app.admin, "/api/units").await;
    let mut names: Vec<(String, String)> = units["units"].as_array().unwrap().iter().map(|u| (u["id"].as_str().unwrap().to_string(), u["name"].as_str().unwrap().to_string())).collect();
    names.extend(a.ids.iter().map(|(code, id)| (id.clone(), code.clone())));
    let (_, mails) = app.get(&app.admin, "/api/mails").await;
    let mut got: Vec<(String, String)> = mails["mails"].as_array().unwrap().iter().map(|m| {
        let key = names.iter().fold(m["key"].as_str().unwrap().to_string(), |k, (id, name)| k.replace(id, name));
        (m["at"].as_str().unwrap().to_string(), key)
    }).collect();
    got.sort();
    let want: Vec<(String, String)> = expected["reminders"].as_array().unwrap().iter().map(|r| (r["at"].as_str().unwrap().to_string(), r["key"].as_str().unwrap().to_string())).collect();
    assert_eq!(got, want);
    assert!(mails["mails"].as_array().unwrap().iter().all(|m| m["sent_at"].is_string()), "every mail went out: {mails}");
    let files = std::fs::read_dir(app.data_dir.join("mail")).unwrap().count();
    assert_eq!(files, want.len(), "one .eml per key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reminders_equal_simulate() {
    reminders_equal_simulate(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reminders_equal_simulate() {
    reminders_equal_simulate(Backend::Postgres).await
}

macro_rules! both_backends {
    ($($name:ident => $example:literal),+ $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::replay_example(crate::helpers::Backend::Sqlite, $example).await } )+ }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::replay_example(crate::helpers::Backend::Postgres, $example).await } )+ }
    };
}

both_backends! {
    worked_example_reports_equal_simulate => "worked-example",
    quarter_edges_report_equal_simulate => "quarter-edges",
}
