//! The service on the real clock, as in production (every other API test
//! runs a test clock). There, on PostgreSQL, a move that writes nothing but
//! its issue row and its history is one statement outside any transaction
//! (app::effects::persist_alone), and a move with effects (a report's
//! reminder, a recheck's charge) or a reassignment still opens a
//! transaction.

use crate::helpers::*;
use crate::replay::photo;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The actions of the issue's history, in order.
fn actions(issue: &Value) -> Vec<&str> {
    issue["history"].as_array().unwrap().iter().map(|m| m["action"].as_str().unwrap()).collect()
}

/// How many moves of `action` the issue's history holds.
fn moves_of(issue: &Value, action: &str) -> usize {
    actions(issue).into_iter().filter(|a| *a == action).count()
}

/// Eight clients accept one issue at once: one is answered 200, the rest
/// 409, and the history holds one acceptance, its chain intact. Then the
/// issue goes the whole way (report with a photo, a failed and a passed
/// recheck, close) and every count the database keeps still matches.
async fn racing_moves_on_the_real_clock_leave_one_history_row_each(backend: Backend) {
    let app = spawn_app(backend, "").await;
    app.unit("中兴街道").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    let fh = app.user("fh", "rechecker", None).await;
    let mut officers = Vec::new();
    for i in 0..8 {
        officers.push(app.user(&format!("zx{i}"), "unit", Some("中兴街道")).await);
    }
    let (s, issue) = app.post(&gjb, "/api/issues", json!({"code": "R-1", "unit": "中兴街道", "title": "排口"})).await;
    assert_eq!(s, StatusCode::CREATED, "{issue}");
    let id = issue["id"].as_str().unwrap().to_string();
    assert_eq!(app.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);
    let path = format!("/api/issues/{id}/actions");

    let mut racing = tokio::task::JoinSet::new();
    for c in officers.clone() {
        let (base, path) = (app.base.clone(), path.clone());
        racing.spawn(async move { c.post(format!("{base}{path}")).json(&json!({"action": "accept"})).send().await.unwrap().status() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = racing.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses.sort();
    let page = app.issue("R-1").await;
    assert_eq!((page["state"].as_str(), moves_of(&page, "accept")), (Some("rectifying"), 1), "{page}");
    assert_eq!(statuses, [vec![StatusCode::OK], vec![StatusCode::CONFLICT; 7]].concat());
    assert_eq!(page["history_intact"], true);

    let evidence = photo(&app, &officers[0]).await;
    let (s, b) = app.post(&officers[0], &path, json!({"action": "report", "note": "已整改", "attachments": [evidence]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for (passed, state) in [(false, "rectifying"), (true, "rechecked")] {
        let (s, b) = app.post(&fh, &path, json!({"action": "recheck", "passed": passed, "note": "现场复核"})).await;
        assert_eq!((s, b["state"].as_str()), (StatusCode::OK, Some(state)), "{b}");
        if !passed {
            let evidence = photo(&app, &officers[1]).await;
            let (s, b) = app.post(&officers[1], &path, json!({"action": "report", "note": "再次整改", "attachments": [evidence]})).await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    }
    let (s, b) = app.post(&gjb, &path, json!({"action": "close"})).await;
    assert_eq!((s, b["state"].as_str()), (StatusCode::OK, Some("closed")), "{b}");
    let page = app.issue("R-1").await;
    let kinds = ["accept", "report", "recheck_fail", "recheck_pass", "close"].map(|a| moves_of(&page, a));
    assert_eq!(kinds, [1, 2, 1, 1, 1], "{page}");
    assert_eq!(page["history_intact"], true);
    // Done on its dispatch day: charged, within the first tier.
    assert_eq!((&page["charged"], &page["points_so_far"]), (&json!(true), &json!("0.00")), "{page}");
    app.assert_counts_kept().await;
}

/// The corrections on the real clock: a return ruled on both ways (驳回 and
/// 改派, which takes a new place in the dispatch order in its transaction),
/// a withdrawal, and the new unit's acceptance; each move is in the
/// history once and the kept counts match.
async fn corrections_on_the_real_clock_each_write_their_move(backend: Backend) {
    let app = spawn_app(backend, "").await;
    app.unit("中兴街道").await;
    app.unit("竹行街道").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    let zh = app.user("zh", "unit", Some("竹行街道")).await;
    let mut ids = Vec::new();
    for code in ["C-1", "C-2"] {
        let (s, issue) = app.post(&gjb, "/api/issues", json!({"code": code, "unit": "中兴街道", "title": "排口"})).await;
        assert_eq!(s, StatusCode::CREATED, "{issue}");
        ids.push(format!("/api/issues/{}/actions", issue["id"].as_str().unwrap()));
    }
    assert_eq!(app.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);
    let steps = [
        (&zx, &ids[0], json!({"action": "return", "note": "不属本街道"}), "returned"),
        (&gjb, &ids[0], json!({"action": "reject_return", "note": "属于本街道"}), "assigned"),
        (&gjb, &ids[0], json!({"action": "withdraw", "note": "重复登记"}), "withdrawn"),
        (&zx, &ids[1], json!({"action": "return", "note": "不属本街道"}), "returned"),
        (&gjb, &ids[1], json!({"action": "reassign", "unit": "竹行街道"}), "assigned"),
        (&zh, &ids[1], json!({"action": "accept"}), "rectifying"),
    ];
    for (c, path, body, state) in steps {
        let (s, b) = app.post(c, path, body.clone()).await;
        assert_eq!((s, b["state"].as_str()), (StatusCode::OK, Some(state)), "{body}: {b}");
    }
    let first = app.issue("C-1").await;
    let second = app.issue("C-2").await;
    assert_eq!(actions(&first), ["register", "dispatch", "return", "reject_return", "withdraw"], "{first}");
    assert_eq!(actions(&second), ["register", "dispatch", "return", "reassign", "accept"], "{second}");
    assert_eq!((&first["history_intact"], &second["history_intact"]), (&json!(true), &json!(true)));
    assert_eq!(second["unit"], "竹行街道");
    app.assert_counts_kept().await;
}

both_backends!(racing_moves_on_the_real_clock_leave_one_history_row_each, corrections_on_the_real_clock_each_write_their_move);
