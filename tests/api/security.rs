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

/// 14 failures under 7 spellings of one name lock that name: every
/// spelling shares its limit, and the right password meets 429 meanwhile.
#[tokio::test]
async fn every_spelling_of_a_locked_name_is_locked() {
    let app = spawn_app(Backend::Sqlite, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    app.user("victim", "unit", Some("中兴街道")).await;
    let spellings = ["victim", " victim", "victim ", "\tvictim", "victim\u{a0}", "ｖｉｃｔｉｍ", "VICTIM"];
    let mut statuses = Vec::new();
    for round in 0..2 {
        for name in spellings {
            let c = client();
            let r = c.post(app.url("/api/session")).json(&json!({"username": name, "password": format!("wrong-{round}")})).send().await.unwrap();
            statuses.push(r.status().as_u16());
        }
    }
    assert_eq!(&statuses[..5], [401; 5], "five failures of any spelling: {statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "then locked, whatever the spelling: {statuses:?}");
    for name in spellings {
        let r = client().post(app.url("/api/session")).json(&json!({"username": name, "password": PASSWORD})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{name:?} with the right password during the lock");
    }
    let (_, audit) = app.get(&app.admin, "/api/audit").await;
    let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"lock_out") && actions.iter().filter(|a| **a == "sign_in_failed").count() == 5, "{actions:?}");
}

/// Names that impersonate are refused; a name that normalises to an
/// existing one is taken; a unit name cannot hold a line break.
#[tokio::test]
async fn names_that_impersonate_are_refused() {
    let app = spawn_app(Backend::Sqlite, "2021-03-01T08:00:00").await;
    app.user("zx", "dispatcher", None).await;
    for (name, status) in [("ad\u{202e}min", 400), ("ｚｘ", 400), ("z\u{200b}x", 400), ("ZX", 409), ("a\u{0}b", 400), ("new\nline", 400)] {
        let (s, body) = app.post(&app.admin, "/api/users", json!({"username": name, "password": PASSWORD, "role": "dispatcher"})).await;
        assert_eq!(s.as_u16(), status, "{name:?}: {body}");
    }
    for name in ["中兴\r\n街道", "中兴\u{7}街道"] {
        assert_eq!(app.post(&app.admin, "/api/units", json!({"name": name})).await.0, StatusCode::BAD_REQUEST, "{name:?}");
    }
}

/// Passwords: weak and common ones refused; a change works, the old one
/// stops and the user's other sessions end; an admin's reset forces a
/// change before anything else.
#[tokio::test]
async fn passwords_change_reset_and_refuse_the_weak() {
    let app = spawn_app(Backend::Sqlite, "2021-03-01T08:00:00").await;
    for weak in ["12345678", "password", "password1", "Passw0rd!", "qwertyuiop", "kh", "short"] {
        let (s, body) = app.post(&app.admin, "/api/users", json!({"username": "kh", "password": weak, "role": "assessor"})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{weak}: {body}");
    }
    let first = app.user("kh", "assessor", None).await;
    let second = sign_in(&app.base, "kh", PASSWORD).await;
    let change = |c: &reqwest::Client, current: &str, new: &str| {
        let (c, url, body) = (c.clone(), app.url("/api/session/password"), json!({"current": current, "new": new}));
        async move { c.post(url).json(&body).send().await.unwrap().status() }
    };
    assert_eq!(change(&first, "not-mine", "quiet-harbour-lamp-77").await, StatusCode::BAD_REQUEST, "the current one must be right");
    assert_eq!(change(&first, PASSWORD, "password").await, StatusCode::BAD_REQUEST, "a common one is refused");
    assert_eq!(change(&first, PASSWORD, "quiet-harbour-lamp-77").await, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&first, "/api/issues").await.0, StatusCode::OK, "this session goes on");
    assert_eq!(app.get(&second, "/api/issues").await.0, StatusCode::UNAUTHORIZED, "the other one ended");
    let old = client().post(app.url("/api/session")).json(&json!({"username": "kh", "password": PASSWORD})).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "the old password no longer works");
    sign_in(&app.base, "kh", "quiet-harbour-lamp-77").await;
    // The admin resets it: every session ends; the next one may only change it.
    let (_, users) = app.get(&app.admin, "/api/users").await;
    let id = users["users"].as_array().unwrap().iter().find(|u| u["username"] == "kh").unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(app.post(&first, &format!("/api/users/{id}/password"), json!({"new": "temporary-reset-pass-9"})).await.0, StatusCode::FORBIDDEN);
    let reset = app.admin.post(app.url(&format!("/api/users/{id}/password"))).json(&json!({"new": "temporary-reset-pass-9"})).send().await.unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&first, "/api/issues").await.0, StatusCode::UNAUTHORIZED);
    let again = sign_in(&app.base, "kh", "temporary-reset-pass-9").await;
    assert_eq!(app.get(&again, "/api/issues").await.0, StatusCode::FORBIDDEN, "a reset password must be changed first");
    assert_eq!(app.get(&again, "/api/session").await.1["username"], "kh");
    assert_eq!(change(&again, "temporary-reset-pass-9", "second-harbour-lamp-88").await, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&again, "/api/issues").await.0, StatusCode::OK);
}

/// Sessions end when idle or too old; the cookie is a browser-session
/// cookie unless the user asks to be remembered; a user sees and ends its
/// other sessions.
#[tokio::test]
async fn sessions_end_on_time_and_can_be_ended_from_elsewhere() {
    use std::time::Duration;
    let rules = jiaoban::app::sessions::SessionRules { idle: Duration::from_secs(2), lifetime: Duration::from_secs(3600) };
    let app = spawn_with_sessions("2021-03-01T08:00:00", rules).await;
    let plain = client().post(app.url("/api/session")).json(&json!({"username": "admin", "password": ADMIN_PASSWORD})).send().await.unwrap();
    let cookie = plain.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(!cookie.contains("Max-Age"), "a session cookie unless remembered: {cookie}");
    let kept = client().post(app.url("/api/session")).json(&json!({"username": "admin", "password": ADMIN_PASSWORD, "remember": true})).send().await.unwrap();
    assert!(kept.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=3600"));
    let other = sign_in(&app.base, "admin", ADMIN_PASSWORD).await;
    let (_, list) = app.get(&app.admin, "/api/session/list").await;
    let sessions = list["sessions"].as_array().unwrap();
    assert!(sessions.len() >= 4, "{list}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let (_, theirs) = app.get(&other, "/api/session/list").await;
    let other_id = theirs["sessions"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(app.admin.delete(app.url(&format!("/api/session/{other_id}"))).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&other, "/api/issues").await.0, StatusCode::UNAUTHORIZED, "ended from another session");
    assert_eq!(app.admin.delete(app.url("/api/session/nope")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Idle past its limit: gone.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.get(&app.admin, "/api/issues").await.0, StatusCode::UNAUTHORIZED, "idle for longer than allowed");
}

/// A history row altered, removed or inserted with SQL is named by
/// `jiaoban verify`, and the issue no longer shows 记录完整.
#[tokio::test]
async fn verify_names_the_row_changed_by_hand() {
    use sea_orm::{ConnectionTrait, Database};
    let app = spawn_app(Backend::Sqlite, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    for code in ["H-1", "H-2"] {
        assert_eq!(app.post(&gjb, "/api/issues", json!({"code": code, "unit": "中兴街道", "title": "排口"})).await.0, StatusCode::CREATED);
    }
    assert_eq!(app.advance("2021-03-02T10:00:00").await, StatusCode::OK);
    for code in ["H-1", "H-2"] {
        let id = app.issue(code).await["id"].as_str().unwrap().to_string();
        assert_eq!(app.post(&zx, &format!("/api/issues/{id}/actions"), json!({"action": "accept"})).await.0, StatusCode::OK);
    }
    assert_eq!(app.advance("2021-03-05T10:00:00").await, StatusCode::OK);
    assert_eq!(app.issue("H-1").await["history_intact"], true);
    let verify = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_jiaoban")).args(["verify", "--data-dir"]).arg(&app.data_dir).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (ok, said) = verify();
    assert!(ok && said.contains("history verified"), "{said}");
    let db = Database::connect(format!("sqlite://{}?mode=rw", app.data_dir.join("jiaoban.db").display())).await.unwrap();
    let h1 = app.issue("H-1").await["id"].as_str().unwrap().to_string();
    let accept: i64 = {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT id FROM moves WHERE issue_id = '{h1}' AND action = 'accept'"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    };
    // A unit makes its signing look earlier.
    db.execute_unprepared(&format!("UPDATE moves SET at = '2021-03-01T10:00:00' WHERE id = {accept}")).await.unwrap();
    let (ok, said) = verify();
    assert!(!ok && said.contains(&format!("move {accept} was altered")) && said.contains("H-1"), "{said}");
    assert_eq!(app.issue("H-1").await["history_intact"], false);
    db.execute_unprepared(&format!("UPDATE moves SET at = '2021-03-02T10:00:00' WHERE id = {accept}")).await.unwrap();
    assert!(verify().0, "restored, it verifies again");
    // The last move of H-2 removed: its chain still looks whole, but it no
    // longer ends where the issue row says it does.
    let h2 = app.issue("H-2").await["id"].as_str().unwrap().to_string();
    let last_but_one: i64 = {
        let sql = format!("SELECT id FROM moves WHERE issue_id = '{h2}' ORDER BY id DESC LIMIT 1 OFFSET 1");
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get_by_index(0).unwrap()
    };
    db.execute_unprepared("DELETE FROM moves WHERE id = (SELECT MAX(id) FROM moves)").await.unwrap();
    let (ok, said) = verify();
    assert!(!ok && said.contains("H-2") && said.contains(&format!("ends at move {last_but_one}")), "{said}");
    assert_eq!(app.issue("H-2").await["history_intact"], false);
    // The issue row's head set back as well: the day's anchor still shows it.
    db.execute_unprepared(&format!("UPDATE issues SET head = (SELECT hash FROM moves WHERE id = {last_but_one}) WHERE id = '{h2}'")).await.unwrap();
    let (ok, said) = verify();
    assert!(!ok && said.contains("2021-03-02"), "{said}");
}

/// Uploads wait for their move a day at most, and a user has a quota.
#[tokio::test]
async fn uploads_no_move_took_are_removed_and_capped() {
    use sea_orm::{ConnectionTrait, Database};
    let app = spawn_app(Backend::Sqlite, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    let mut ids = Vec::new();
    for _ in 0..jiaoban::app::attachments::PENDING_QUOTA {
        ids.push(crate::replay::photo(&app, &zx).await);
    }
    let part = reqwest::multipart::Part::bytes(include_bytes!("../../assets/demo-photo.png").to_vec()).file_name("x.png");
    let r = zx.post(app.url("/api/attachments")).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the quota of files waiting for a move");
    let db = Database::connect(format!("sqlite://{}?mode=rw", app.data_dir.join("jiaoban.db").display())).await.unwrap();
    db.execute_unprepared(&format!("UPDATE attachments SET uploaded_at = '2000-01-01T00:00:00Z' WHERE id = '{}'", ids[0])).await.unwrap();
    assert_eq!(jiaoban::app::attachments::sweep(&app.app).await.unwrap(), 1, "only the day-old one");
    let r = zx.get(app.url(&format!("/files/{}", ids[0]))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = zx.get(app.url(&format!("/files/{}", ids[1]))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
