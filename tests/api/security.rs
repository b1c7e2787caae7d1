//! Issue 11 through the API: what an attacker or a careless office would try.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// Two lists dispatched at one instant make one mail per unit (one key)
/// that names the issues of both.
#[tokio::test]
async fn two_lists_in_one_instant_make_one_mail_naming_both() {
    let app = spawn_app(Backend::Sqlite, "2021-03-02T10:00:00").await;
    app.unit("中兴街道").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    for code in ["L-1", "L-2"] {
        assert_eq!(app.post(&gjb, "/api/issues", json!({"code": code, "unit": "中兴街道", "title": "排口"})).await.0, StatusCode::CREATED);
        assert_eq!(app.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);
    }
    let (_, mails) = app.get(&app.admin, "/api/mails").await;
    let keys: Vec<&str> = mails["mails"].as_array().unwrap().iter().map(|m| m["key"].as_str().unwrap()).filter(|k| k.starts_with("dispatch:")).collect();
    assert_eq!(keys.len(), 1, "one key for the unit at this instant: {keys:?}");
    let (_, inbox) = app.get(&zx, "/api/inbox").await;
    let body = inbox["messages"][0]["body"].as_str().unwrap();
    assert!(body.contains("L-1") && body.contains("L-2"), "the mail names both lists' issues: {body}");
    assert!(inbox["messages"][0]["subject"].as_str().unwrap().contains("2项"), "{}", inbox["messages"][0]["subject"]);
}
