//! Helpers shared by the replay tests: build timelines, replay them through
//! the library's `simulate::run`, and read the JSON back.
#![allow(dead_code)]

use jiaoban::core::Workflow;
use serde_json::{Value, json};

pub fn shipped() -> Workflow {
    Workflow::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml"))).unwrap()
}

pub fn strict() -> Workflow {
    Workflow::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/workflows/strict.toml"))).unwrap()
}

pub fn register(at: &str, issue: &str, unit: &str) -> Value {
    json!({"at": at, "event": "register", "issue": issue, "unit": unit, "title": "t"})
}
pub fn dispatch(at: &str) -> Value {
    json!({"at": at, "event": "dispatch"})
}
pub fn act(at: &str, event: &str, issue: &str) -> Value {
    json!({"at": at, "event": event, "issue": issue})
}
pub fn recheck(at: &str, issue: &str, passed: bool) -> Value {
    json!({"at": at, "event": "recheck", "issue": issue, "passed": passed})
}
pub fn violation(at: &str, unit: &str) -> Value {
    json!({"at": at, "event": "violation", "unit": unit, "note": "n"})
}

pub fn reassign(at: &str, issue: &str, unit: &str) -> Value {
    json!({"at": at, "event": "reassign", "issue": issue, "unit": unit})
}
pub fn violation_id(at: &str, unit: &str, id: &str) -> Value {
    json!({"at": at, "event": "violation", "unit": unit, "id": id})
}
pub fn revoke(at: &str, id: &str) -> Value {
    json!({"at": at, "event": "revoke", "violation": id})
}

pub fn lines(events: &[Value]) -> String {
    events.iter().map(|e| e.to_string() + "\n").collect()
}

/// Replays and returns the JSON document, or the first line of the error.
pub fn replay_with(wf: &Workflow, text: &str, as_of: Option<&str>, reminders: bool) -> Result<Value, String> {
    jiaoban::simulate::run(wf, text.as_bytes(), as_of, reminders)
        .map(|out| serde_json::from_str(&jiaoban::simulate::to_json(&out)).unwrap())
        .map_err(|e| e.0.lines().next().unwrap_or("").to_string())
}

pub fn replay(events: &[Value], as_of: Option<&str>) -> Value {
    replay_with(&shipped(), &lines(events), as_of, true).unwrap()
}

/// The item of `issue` and the quarter it was charged in.
pub fn charged(out: &Value, issue: &str) -> Option<(String, Value)> {
    out["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|q| q["items"].as_array().unwrap().iter().find(|i| i["issue"] == issue).map(|i| (q["quarter"].as_str().unwrap().to_string(), i.clone())))
}

/// The items of one quarter.
pub fn items(out: &Value, quarter: &str) -> Vec<Value> {
    out["quarters"].as_array().unwrap().iter().find(|q| q["quarter"] == quarter).map(|q| q["items"].as_array().unwrap().clone()).unwrap_or_default()
}

/// The first line of the error a bad timeline gives.
pub fn refused(events: &[Value]) -> String {
    replay_with(&shipped(), &lines(events), None, false).expect_err("the timeline should be refused")
}

pub fn reminder_keys(out: &Value) -> Vec<(String, String)> {
    out["reminders"].as_array().unwrap().iter().map(|r| (r["key"].as_str().unwrap().to_string(), r["at"].as_str().unwrap().to_string())).collect()
}
