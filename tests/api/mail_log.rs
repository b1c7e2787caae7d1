//! The mail log (`GET /api/mails`) and the admin page's latest mails, read
//! a page at a time in (send_after, key) order (debug builds: pages of 3).

use crate::helpers::*;
use jiaoban::app::{Actor, mail_log};
use jiaoban::core::state::Role;
use reqwest::StatusCode;
use serde_json::json;

both_backends! { the_log_lists_every_mail_once_in_order_across_pages }

/// Five units' dispatch mails owed at one instant (a page boundary falls
/// inside it), two more at a later one: the log lists every outbox row
/// once, in the table's order; the newest mails are its last, reversed.
async fn the_log_lists_every_mail_once_in_order_across_pages(backend: Backend) {
    let app = spawn_app(backend, "2021-03-02T10:00:00").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    let units = ["中兴街道", "竹行街道", "新开街道", "区住建局", "区水务局"];
    for (i, unit) in units.iter().enumerate() {
        app.unit(unit).await;
        assert_eq!(app.post(&gjb, "/api/issues", json!({"code": format!("A-{i}"), "unit": unit, "title": "排口"})).await.0, StatusCode::CREATED);
    }
    assert_eq!(app.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);
    assert_eq!(app.advance("2021-03-03T10:00:00").await, StatusCode::OK);
    for (i, unit) in units[..2].iter().enumerate() {
        assert_eq!(app.post(&gjb, "/api/issues", json!({"code": format!("B-{i}"), "unit": unit, "title": "排口"})).await.0, StatusCode::CREATED);
    }
    assert_eq!(app.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);

    let stored: Vec<(String, String)> =
        app.rows_as_text("SELECT send_after, key FROM outbox ORDER BY send_after, key").await.into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert!(stored.len() >= 7, "seven dispatch mails at least: {stored:?}");
    let first_instant = stored.iter().filter(|(at, _)| *at == stored[0].0).count();
    assert!(first_instant >= 5, "five mails share the first instant, across a page's end: {stored:?}");

    let (status, log) = app.get(&app.admin, "/api/mails").await;
    assert_eq!(status, StatusCode::OK);
    let listed: Vec<(String, String)> =
        log["mails"].as_array().unwrap().iter().map(|m| (m["at"].as_str().unwrap().to_string(), m["key"].as_str().unwrap().to_string())).collect();
    assert_eq!(listed, stored, "every mail once, in order");
    let first = &log["mails"][0];
    assert!(first["to"].as_array().is_some_and(|to| !to.is_empty()) && first["subject"].as_str().is_some_and(|s| !s.is_empty()), "{first}");

    let admin = Actor { user_id: "a".into(), username: "admin".into(), name: "admin".into(), role: Role::Admin, unit_id: None, must_change_password: false };
    let newest: Vec<String> = mail_log::newest(&app.app, &admin, 4).await.unwrap().into_iter().map(|m| m.key).collect();
    let expected: Vec<String> = stored.iter().rev().take(4).map(|(_, k)| k.clone()).collect();
    assert_eq!(newest, expected, "the newest four, newest first");
    let unit = Actor { role: Role::Unit, unit_id: Some("x".into()), ..admin };
    assert!(mail_log::newest(&app.app, &unit, 4).await.is_err(), "a unit user may not read the log");
    let (status, _) = app.get(&app.user("zx", "unit", Some("中兴街道")).await, "/api/mails").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
