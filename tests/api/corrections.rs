//! Corrections and evidence through the API (api.md), on both backends: who
//! may return, rule on, withdraw and revoke, what each must carry, and that
//! every refusal changes nothing. (What corrections do to the figures is
//! replayed against simulate in replay.rs.)

use crate::helpers::*;
use crate::replay::photo;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    app: TestApp,
    gjb: reqwest::Client,
    zx: reqwest::Client,
    zh: reqwest::Client,
    fh: reqwest::Client,
    w1: String,
    w2: String,
}

/// Two units; W-1 (中兴街道) and W-2 (竹行街道) dispatched on Monday 2021-03-01.
async fn world(backend: Backend) -> World {
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    app.unit("竹行街道").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    let zh = app.user("zh", "unit", Some("竹行街道")).await;
    let fh = app.user("fh", "rechecker", None).await;
    for (code, unit) in [("W-1", "中兴街道"), ("W-2", "竹行街道")] {
        let (s, b) = app.post(&gjb, "/api/issues", json!({"code": code, "unit": unit, "title": "排口"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    assert_eq!(app.advance("2021-03-01T10:00:00").await, StatusCode::OK);
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let (w1, w2) = (id(app.issue("W-1").await), id(app.issue("W-2").await));
    World { app, gjb, zx, zh, fh, w1, w2 }
}

impl World {
    async fn act(&self, c: &reqwest::Client, id: &str, body: Value) -> (StatusCode, Value) {
        self.app.post(c, &format!("/api/issues/{id}/actions"), body).await
    }

    async fn moves(&self, code: &str) -> usize {
        self.app.issue(code).await["history"].as_array().unwrap().len()
    }
}

async fn a_report_needs_a_note_and_a_photo_and_a_refused_one_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    assert_eq!(w.act(&w.zx, &w.w1, json!({"action": "accept"})).await.0, StatusCode::OK);
    let before = w.moves("W-1").await;
    let mine = photo(&w.app, &w.zx).await;
    for (body, why) in [
        (json!({"action": "report"}), "neither"),
        (json!({"action": "report", "note": "已整改"}), "no photo"),
        (json!({"action": "report", "note": "   ", "attachments": [mine]}), "a blank note"),
        (json!({"action": "report", "note": "已整改", "attachments": ["0123456789abcdef0123456789abcdef.png"]}), "a photo that does not exist"),
    ] {
        let (status, body) = w.act(&w.zx, &w.w1, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains("反馈") || error.contains("附件"), "{why}: the error says what is missing: {body}");
    }
    // Someone else's upload is not this unit's photo.
    let theirs = photo(&w.app, &w.zh).await;
    assert_eq!(w.act(&w.zx, &w.w1, json!({"action": "report", "note": "已整改", "attachments": [theirs]})).await.0, StatusCode::BAD_REQUEST);
    let issue = w.app.issue("W-1").await;
    assert_eq!((issue["state"].as_str(), w.moves("W-1").await), (Some("rectifying"), before), "nothing changed");
    let (status, body) = w.act(&w.zx, &w.w1, json!({"action": "report", "note": "已整改", "attachments": [mine]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let history = w.app.issue("W-1").await["history"].clone();
    assert_eq!(history.as_array().unwrap().last().unwrap()["attachments"], json!([mine]));
    // A photo serves one move only.
    let (status, _) = w.act(&w.fh, &w.w1, json!({"action": "recheck", "passed": false, "note": "仍渗漏", "attachments": [mine]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A failed recheck needs its reason.
    assert_eq!(w.act(&w.fh, &w.w1, json!({"action": "recheck", "passed": false})).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(w.act(&w.fh, &w.w1, json!({"action": "recheck", "passed": false, "note": "仍渗漏"})).await.0, StatusCode::OK);
}

async fn uploads_are_checked_by_content(backend: Backend) {
    let w = world(backend).await;
    let send = |bytes: Vec<u8>, name: &'static str| {
        let c = w.zx.clone();
        let url = w.app.url("/api/attachments");
        async move {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
            let r = c.post(url).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let png = include_bytes!("../../assets/demo-photo.png").to_vec();
    let (status, body) = send(png.clone(), "河道.png").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!((body["name"].as_str(), body["content_type"].as_str(), body["size"].as_u64()), (Some("河道.png"), Some("image/png"), Some(png.len() as u64)));
    assert_eq!(send(b"<html>not a photo</html>".to_vec(), "photo.png").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(send(Vec::new(), "empty.png").await.0, StatusCode::BAD_REQUEST);
    let mut big = png.clone();
    big.resize(jiaoban::app::attachments::MAX_BYTES + 1, 0);
    assert!(send(big, "big.png").await.0.is_client_error());
    let r = w.zx.post(w.app.url("/api/attachments")).multipart(reqwest::multipart::Form::new().text("other", "x")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "no `file` part");
    assert_eq!(client().post(w.app.url("/api/attachments")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

async fn return_and_ruling_follow_who_and_when(backend: Backend) {
    let w = world(backend).await;
    // Only its own unit, with a reason, while not signed for.
    assert_eq!(w.act(&w.zh, &w.w1, json!({"action": "return", "note": "不是我们的"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(w.act(&w.gjb, &w.w1, json!({"action": "return", "note": "x"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(w.act(&w.zx, &w.w1, json!({"action": "return"})).await.0, StatusCode::BAD_REQUEST);
    let (status, body) = w.act(&w.zx, &w.w1, json!({"action": "return", "note": "属竹行街道辖区"})).await;
    assert_eq!((status, body["state"].as_str()), (StatusCode::OK, Some("returned")), "{body}");
    // 攻坚办 rules: not to the same unit, not to nowhere.
    assert_eq!(w.act(&w.gjb, &w.w1, json!({"action": "reassign", "unit": "中兴街道"})).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(w.act(&w.gjb, &w.w1, json!({"action": "reassign"})).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(w.act(&w.gjb, &w.w1, json!({"action": "reassign", "unit": "不存在的街道"})).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(w.act(&w.zx, &w.w1, json!({"action": "reassign", "unit": "竹行街道"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(w.app.advance("2021-03-03T10:00:00").await, StatusCode::OK);
    let (status, body) = w.act(&w.gjb, &w.w1, json!({"action": "reassign", "unit": "竹行街道"})).await;
    assert_eq!((status, body["state"].as_str(), body["unit"].as_str()), (StatusCode::OK, Some("assigned"), Some("竹行街道")), "{body}");
    assert_eq!(body["dispatched_at"], "2021-03-03T10:00:00", "a new d");
    // It is no longer 中兴街道's: not on its list, not on its page.
    let (_, mine) = w.app.get(&w.zx, "/api/issues").await;
    assert!(mine["issues"].as_array().unwrap().iter().all(|i| i["code"] != "W-1"), "{mine}");
    assert_eq!(w.app.get(&w.zx, &format!("/api/issues/{}", w.w1)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(w.app.get(&w.zh, &format!("/api/issues/{}", w.w1)).await.0, StatusCode::OK);
    let history = w.app.issue("W-1").await["history"].clone();
    let reassign = history.as_array().unwrap().iter().find(|m| m["action"] == "reassign").unwrap();
    assert_eq!(reassign["unit"], "竹行街道", "the history names where it went");
    // W-2: the window is d + 3; on day 4 it is closed.
    assert_eq!(w.app.advance("2021-03-05T09:00:00").await, StatusCode::OK);
    let (status, body) = w.act(&w.zh, &w.w2, json!({"action": "return", "note": "晚了"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(w.app.issue("W-2").await["state"], "assigned");
}

async fn withdrawal_and_revocation_happen_once(backend: Backend) {
    let w = world(backend).await;
    assert_eq!(w.act(&w.gjb, &w.w2, json!({"action": "withdraw"})).await.0, StatusCode::BAD_REQUEST, "a reason is needed");
    assert_eq!(w.act(&w.zh, &w.w2, json!({"action": "withdraw", "note": "x"})).await.0, StatusCode::FORBIDDEN);
    let (status, body) = w.act(&w.gjb, &w.w2, json!({"action": "withdraw", "note": "重复登记"})).await;
    assert_eq!((status, body["state"].as_str()), (StatusCode::OK, Some("withdrawn")), "{body}");
    assert_eq!(w.act(&w.gjb, &w.w2, json!({"action": "withdraw", "note": "again"})).await.0, StatusCode::CONFLICT);
    // The unit still sees it, marked 已撤销; it is on no open list.
    let (_, theirs) = w.app.get(&w.zh, "/api/issues").await;
    let mine = theirs["issues"].as_array().unwrap().iter().find(|i| i["code"] == "W-2").unwrap().clone();
    assert_eq!(mine["state_label"], "已撤销");
    let (_, open) = w.app.get(&w.gjb, "/api/reports/open").await;
    assert!(open.as_array().unwrap().iter().all(|o| o["issue"] != "W-2"), "{open}");

    let (status, violation) = w.app.post(&w.gjb, "/api/violations", json!({"unit": "中兴街道", "note": "未按调度指令开闸"})).await;
    assert_eq!(status, StatusCode::CREATED, "{violation}");
    assert_eq!(w.app.post(&w.gjb, "/api/violations", json!({"unit": "中兴街道"})).await.0, StatusCode::BAD_REQUEST, "a violation needs its note");
    let id = violation["id"].as_str().unwrap();
    let path = format!("/api/violations/{id}/revoke");
    assert_eq!(w.app.post(&w.gjb, &path, json!({})).await.0, StatusCode::BAD_REQUEST, "a reason is needed");
    assert_eq!(w.app.post(&w.zx, &path, json!({"note": "x"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(w.app.post(&w.gjb, "/api/violations/999999/revoke", json!({"note": "x"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(w.app.post(&w.gjb, "/api/violations/nope/revoke", json!({"note": "x"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(w.app.post(&w.gjb, &path, json!({"note": "记错单位"})).await.0, StatusCode::OK);
    assert_eq!(w.app.post(&w.gjb, &path, json!({"note": "again"})).await.0, StatusCode::CONFLICT);
    let (_, q1) = w.app.get(&w.gjb, "/api/reports/2021Q1").await;
    assert_eq!((q1["total"].as_str(), q1["items"].as_array().unwrap().len()), (Some("0.00"), 0), "revoked before the freeze: gone, {q1}");
}

async fn the_year_report_scores_each_unit(backend: Backend) {
    let w = world(backend).await;
    assert_eq!(w.app.post(&w.gjb, "/api/violations", json!({"unit": "中兴街道", "note": "未执行调度"})).await.0, StatusCode::CREATED);
    assert_eq!(w.app.advance("2021-04-02T09:00:00").await, StatusCode::OK);
    let (status, year) = w.app.get(&w.gjb, "/api/reports/2021").await;
    assert_eq!(status, StatusCode::OK, "{year}");
    assert_eq!(year["year"], 2021);
    assert_eq!(year["score"], "3.00");
    // W-1 and W-2 overdue on 04-01 (0.05 each), and the violation (0.01).
    assert_eq!(
        year["units"],
        json!([{"unit": "中兴街道", "points": "0.06", "remaining": "2.94"}, {"unit": "竹行街道", "points": "0.05", "remaining": "2.95"}])
    );
    let (_, own) = w.app.get(&w.zh, "/api/reports/2021").await;
    assert_eq!(own["units"], json!([{"unit": "竹行街道", "points": "0.05", "remaining": "2.95"}]), "a unit sees its own row");
    let r = w.gjb.get(w.app.url("/api/reports/2021?format=xlsx")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    assert_eq!(w.app.get(&w.gjb, "/api/reports/0000").await.0, StatusCode::BAD_REQUEST);
}

/// An overdue timer that finds its issue withdrawn fires and changes
/// nothing: the issue is not written and its version stays, so a move
/// read before the timer fired is not refused for nothing. The issue still
/// with its unit is charged, and its version moves.
async fn an_overdue_timer_that_changes_nothing_writes_nothing(backend: Backend) {
    use sea_orm::{ConnectionTrait, Statement};
    let w = world(backend).await;
    assert_eq!(w.act(&w.gjb, &w.w2, json!({"action": "withdraw", "note": "重复登记"})).await.0, StatusCode::OK);
    let versions = || async {
        let sql = format!("SELECT id, version FROM issues WHERE id IN ('{}', '{}') ORDER BY code", w.w1, w.w2);
        let rows = w.app.app.db.query_all_raw(Statement::from_string(w.app.app.db.get_database_backend(), sql)).await.unwrap();
        rows.iter().map(|r| r.try_get::<i32>("", "version").unwrap()).collect::<Vec<_>>()
    };
    let before = versions().await;
    assert_eq!(w.app.advance("2021-04-02T09:00:00").await, StatusCode::OK);
    let after = versions().await;
    assert!(after[0] > before[0], "W-1 was charged: {before:?} → {after:?}");
    assert_eq!(after[1], before[1], "W-2, withdrawn, was not written by its overdue timer");
    let (_, q) = w.app.get(&w.gjb, "/api/reports/2021Q2").await;
    let charged: Vec<&str> = q["items"].as_array().unwrap().iter().filter_map(|i| i["issue"].as_str()).collect();
    assert_eq!(charged, ["W-1"], "{q}");
}

both_backends! {
    an_overdue_timer_that_changes_nothing_writes_nothing,
    a_report_needs_a_note_and_a_photo_and_a_refused_one_changes_nothing,
    uploads_are_checked_by_content,
    return_and_ruling_follow_who_and_when,
    withdrawal_and_revocation_happen_once,
    the_year_report_scores_each_unit,
}
