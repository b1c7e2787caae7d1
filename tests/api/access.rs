//! Who may do what, and bad input: clear 4xx errors that change nothing.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    app: TestApp,
    dispatcher: reqwest::Client,
    rechecker: reqwest::Client,
    assessor: reqwest::Client,
    zhongxing: reqwest::Client,
    zhuhang: reqwest::Client,
    /// An issue of 中兴街道, dispatched.
    issue: String,
}

async fn world(backend: Backend) -> World {
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    app.unit("竹行街道").await;
    let dispatcher = app.user("gjb", "dispatcher", None).await;
    let (s, issue) = app
        .post(
            &dispatcher,
            "/api/issues",
            json!({"code": "W-2021-001", "unit": "中兴街道", "title": "排口疑似偷排", "source": "巡查发现", "category": "入河污染源"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{issue}");
    let (s, _) = app.post(&dispatcher, "/api/dispatches", json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    World {
        rechecker: app.user("fh", "rechecker", None).await,
        assessor: app.user("kh", "assessor", None).await,
        zhongxing: app.user("zx", "unit", Some("中兴街道")).await,
        zhuhang: app.user("zh", "unit", Some("竹行街道")).await,
        issue: issue["id"].as_str().unwrap().to_string(),
        dispatcher,
        app,
    }
}

async fn state(w: &World) -> Value {
    w.app.get(&w.dispatcher, &format!("/api/issues/{}", w.issue)).await.1
}

async fn another_units_issue_is_invisible_everywhere(backend: Backend) {
    let w = world(backend).await;
    let path = format!("/api/issues/{}", w.issue);
    assert_eq!(w.app.get(&w.zhuhang, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(w.app.post(&w.zhuhang, &format!("{path}/actions"), json!({"action": "accept"})).await.0, StatusCode::NOT_FOUND);
    let (_, list) = w.app.get(&w.zhuhang, "/api/issues?unit=中兴街道").await;
    assert_eq!(list["issues"], json!([]));
    let (_, open) = w.app.get(&w.zhuhang, "/api/reports/open").await;
    assert_eq!(open, json!([]));
    let (_, report) = w.app.get(&w.zhuhang, "/api/reports/2021Q1").await;
    assert_eq!(report["units"].as_array().unwrap().len(), 1);
    assert_eq!(report["units"][0]["unit"], "竹行街道");
    // The own unit does see it.
    assert_eq!(w.app.get(&w.zhongxing, &path).await.0, StatusCode::OK);
    assert_eq!(w.app.get(&w.zhongxing, "/api/issues").await.1["issues"].as_array().unwrap().len(), 1);
}

async fn wrong_roles_and_forbidden_moves_change_nothing(backend: Backend) {
    let w = world(backend).await;
    let actions = format!("/api/issues/{}/actions", w.issue);
    let before = state(&w).await;
    assert_eq!(w.app.post(&w.rechecker, &actions, json!({"action": "accept"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(w.app.post(&w.assessor, &actions, json!({"action": "close"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(w.app.post(&w.zhongxing, "/api/issues", json!({"code": "X", "unit": "中兴街道", "title": "t"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(w.app.post(&w.zhongxing, "/api/dispatches", json!({})).await.0, StatusCode::FORBIDDEN);
    let (s, body) = w.app.post(&w.zhongxing, &actions, json!({"action": "report"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().contains("report"), "{body}");
    let after = state(&w).await;
    assert_eq!(before["state"], after["state"]);
    assert_eq!(before["history"], after["history"]);
    // The right role moves it.
    let (s, moved) = w.app.post(&w.zhongxing, &actions, json!({"action": "accept", "note": "已签收"})).await;
    assert_eq!((s, moved["state"].as_str()), (StatusCode::OK, Some("rectifying")));
}

async fn bad_input_is_a_clear_4xx(backend: Backend) {
    let w = world(backend).await;
    let r = w.dispatcher.post(w.app.url("/api/issues")).header("content-type", "application/json").body("{\"code\": ").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    assert_eq!(w.app.get(&w.dispatcher, "/api/issues/no-such-id").await.0, StatusCode::NOT_FOUND);
    assert_eq!(w.app.post(&w.dispatcher, "/api/issues", json!({"code": "W-2021-001", "unit": "中兴街道", "title": "dup"})).await.0, StatusCode::CONFLICT);
    assert_eq!(w.app.post(&w.dispatcher, "/api/issues", json!({"code": "W-9", "unit": "没有的单位", "title": "t"})).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        w.app.post(&w.dispatcher, "/api/issues", json!({"code": "W-9", "unit": "中兴街道", "title": "t", "source": "微信"})).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(w.app.post(&w.rechecker, &format!("/api/issues/{}/actions", w.issue), json!({"action": "recheck"})).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(w.app.get(&w.assessor, "/api/reports/2021Q9").await.0, StatusCode::BAD_REQUEST);
    let big = "x".repeat(400 * 1024);
    assert_eq!(w.app.post(&w.dispatcher, "/api/issues", json!({"code": "W-10", "unit": "中兴街道", "title": big})).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(w.app.get(&w.dispatcher, "/api/issues").await.1["issues"].as_array().unwrap().len(), 1);
}

async fn sessions_end_at_sign_out_and_wrong_passwords_are_limited(backend: Backend) {
    let w = world(backend).await;
    let (s, me) = w.app.get(&w.zhongxing, "/api/session").await;
    assert_eq!((s, me["unit"].as_str()), (StatusCode::OK, Some("中兴街道")));
    assert_eq!(w.zhongxing.delete(w.app.url("/api/session")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(w.app.get(&w.zhongxing, "/api/issues").await.0, StatusCode::UNAUTHORIZED);
    // Failures 1–5 are 401, the 6th is 429, and so is the right password
    // while the name is locked; another user signs in as ever. (The end of
    // the window: src/http/limiter.rs, on an injected clock.)
    let c = client();
    for n in 1..=5 {
        assert_eq!(w.app.post(&c, "/api/session", json!({"username": "zx", "password": "wrong-password"})).await.0, StatusCode::UNAUTHORIZED, "failure {n}");
    }
    assert_eq!(w.app.post(&c, "/api/session", json!({"username": "zx", "password": "wrong-password"})).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        w.app.post(&c, "/api/session", json!({"username": "zx", "password": PASSWORD})).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert_eq!(w.app.post(&c, "/api/session", json!({"username": "zh", "password": PASSWORD})).await.0, StatusCode::OK, "another user is unaffected");
    // A cross-site form post is refused by the CSRF layer.
    let r =
        w.dispatcher.post(w.app.url("/api/dispatches")).header("origin", "http://evil.example").header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn the_test_clock_refuses_to_go_back_and_survives_a_restart(backend: Backend) {
    let w = world(backend).await;
    assert_eq!(w.app.advance("2021-03-20T00:00:00").await, StatusCode::OK);
    assert_eq!(w.app.advance("2021-03-20T00:00:00").await, StatusCode::OK);
    assert_eq!(w.app.advance("2021-03-19T00:00:00").await, StatusCode::CONFLICT);
    assert_eq!(w.app.advance("2021-04-01T00:00:00").await, StatusCode::OK);
    // Day 31 of an issue dispatched 03-01 is 04-01: charged 0.05 in Q2.
    let (_, q2) = w.app.get(&w.assessor, "/api/reports/2021Q2").await;
    assert_eq!(q2["total"], "0.05");
    assert_eq!(q2["items"][0]["issue"], "W-2021-001");
    assert_eq!(q2["frozen"], false);
    let (_, q1) = w.app.get(&w.assessor, "/api/reports/2021Q1").await;
    assert_eq!(q1["total"], "0.00");
    let (_, clock) = w.app.get(&w.app.admin, "/api/test-clock").await;
    assert_eq!(clock["now"], "2021-04-01T00:00:00");
    // Restart on the same data with an earlier START: the stored clock wins.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&w.app.data_dir, dir.path());
    let restarted = spawn_on(dir, w.app.database_url.clone(), "2021-01-01T00:00:00", None).await;
    let (_, clock) = restarted.get(&restarted.admin, "/api/test-clock").await;
    assert_eq!(clock["now"], "2021-04-01T00:00:00");
    let (_, q2) = restarted.get(&restarted.admin, "/api/reports/2021Q2").await;
    assert_eq!(q2["total"], "0.05", "nothing charged twice after a restart");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

both_backends! {
    another_units_issue_is_invisible_everywhere,
    wrong_roles_and_forbidden_moves_change_nothing,
    bad_input_is_a_clear_4xx,
    sessions_end_at_sign_out_and_wrong_passwords_are_limited,
    the_test_clock_refuses_to_go_back_and_survives_a_restart,
}

/// Two instances on one PostgreSQL database advance their clocks at once:
/// every timer still fires exactly once (no issue charged twice), and the
/// SMTP server receives every owed mail exactly once — counted where it
/// arrives, not in the outbox (whose unique key proves nothing about
/// delivery).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgres_fire_each_timer_once() {
    if !postgres_ready().await || !crate::sink::python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    let sink = crate::sink::Sink::start(None);
    let url = fresh_postgres().await;
    let first = spawn_on(tempfile::tempdir().unwrap(), Some(url.clone()), "2021-03-01T08:00:00", Some(sink.url(""))).await;
    first.unit("中兴街道").await;
    let dispatcher = first.user("gjb", "dispatcher", None).await;
    for i in 0..30 {
        let (s, _) = first.post(&dispatcher, "/api/issues", json!({"code": format!("P-{i}"), "unit": "中兴街道", "title": "t"})).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let second = spawn_on(tempfile::tempdir().unwrap(), Some(url), "2021-03-01T08:00:00", Some(sink.url(""))).await;
    let (a, b) = tokio::join!(first.advance("2021-05-01T00:00:00"), second.advance("2021-05-01T00:00:00"));
    assert_eq!((a, b), (StatusCode::OK, StatusCode::OK));
    let (_, q2) = first.get(&first.admin, "/api/reports/2021Q2").await;
    assert_eq!(q2["items"].as_array().unwrap().len(), 30, "each issue charged exactly once: {q2}");
    assert_eq!(q2["total"], "1.50");
    let (_, mails) = first.get(&first.admin, "/api/mails").await;
    let keys: Vec<String> = mails["mails"].as_array().unwrap().iter().map(|m| m["key"].as_str().unwrap().to_string()).collect();
    // 30 issues × warn-16, tier-16, warn-31, tier-31; one dispatch mail; quarter-report and quarter-due of 2021Q1.
    assert_eq!(keys.len(), 30 * 4 + 1 + 2, "{keys:?}");
    let arrived = sink.wait_for_keys(&keys, std::time::Duration::from_secs(60));
    let once: std::collections::BTreeMap<String, usize> = keys.iter().map(|k| (k.clone(), 1)).collect();
    assert_eq!(arrived, once, "each key reached the SMTP server exactly once");
    assert_eq!(sink.log().len(), keys.len(), "and took one attempt each (the server never refused)");
}

/// Instances keep sessions in memory for a few seconds
/// (src/app/session_cache.rs), yet a session ended on one instance — signed
/// out, or its password reset by an admin — is refused by the other at
/// once: PostgreSQL tells it. The token is sent by hand, as a stolen cookie
/// would be, not by a client that forgets it when told to.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_ended_on_one_instance_is_refused_by_the_other_at_once() {
    if !postgres_ready().await {
        return;
    }
    let url = fresh_postgres().await;
    let first = spawn_on(tempfile::tempdir().unwrap(), Some(url.clone()), "2021-03-01T08:00:00", None).await;
    first.unit("中兴街道").await;
    first.user("zx", "unit", Some("中兴街道")).await;
    let second = spawn_on(tempfile::tempdir().unwrap(), Some(url), "2021-03-01T08:00:00", None).await;
    let started = std::time::Instant::now();
    while !second.app.keeps_sessions() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the second instance never listened");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (_, users) = first.get(&first.admin, "/api/users").await;
    let zx = users.as_array().or(users["users"].as_array()).unwrap().iter().find(|u| u["username"] == "zx").unwrap()["id"].as_str().unwrap().to_string();
    for end in ["sign out", "reset"] {
        let token = session_token(&first.base, "zx").await;
        let ask = |app: &TestApp| {
            let (url, token) = (app.url("/api/session"), token.clone());
            async move { reqwest::Client::new().get(url).header("cookie", format!("jiaoban_session={token}")).send().await.unwrap().status() }
        };
        // Both instances have read the session: the second now keeps it.
        assert_eq!((ask(&first).await, ask(&second).await), (StatusCode::OK, StatusCode::OK));
        let status = match end {
            "sign out" => {
                reqwest::Client::new().delete(first.url("/api/session")).header("cookie", format!("jiaoban_session={token}")).send().await.unwrap().status()
            }
            _ => first.post(&first.admin, &format!("/api/users/{zx}/password"), json!({"new": PASSWORD})).await.0,
        };
        assert!(status.is_success(), "{end}: {status}");
        assert_eq!(ask(&first).await, StatusCode::UNAUTHORIZED, "{end}: the instance that ended it");
        let ended = std::time::Instant::now();
        while ask(&second).await != StatusCode::UNAUTHORIZED {
            // Well inside the 5 s a kept session would otherwise live.
            assert!(ended.elapsed() < std::time::Duration::from_secs(2), "{end}: the other instance still accepts the session");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// Signs `username` in and returns its session token.
async fn session_token(base: &str, username: &str) -> String {
    let r = reqwest::Client::new().post(format!("{base}/api/session")).json(&json!({"username": username, "password": PASSWORD})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    cookie.split(';').next().unwrap().trim_start_matches("jiaoban_session=").to_string()
}

/// `?format=xlsx` is a real workbook with the same figures; a unit user's
/// workbook holds only its own row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quarter_report_downloads_as_xlsx_with_only_what_the_reader_may_see() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let w = world(Backend::Sqlite).await;
    assert_eq!(w.app.advance("2021-04-01T00:00:00").await, StatusCode::OK);
    // Every sheet's rows, one after the other.
    let read = |bytes: Vec<u8>| -> Vec<Vec<String>> {
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheets = book.worksheets();
        assert_eq!(sheets.len(), 3, "units, items, carried over");
        sheets.iter().flat_map(|(_, range)| range.rows().map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>()).collect::<Vec<_>>()).collect()
    };
    let r = w.assessor.get(w.app.url("/api/reports/2021Q2?format=xlsx")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let rows = read(r.bytes().await.unwrap().to_vec());
    let all_rows = rows.clone();
    assert!(rows.iter().any(|r| r.first().map(String::as_str) == Some("中兴街道") && r.get(1).map(String::as_str) == Some("0.05")), "{rows:?}");
    assert!(rows.iter().any(|r| r.first().map(String::as_str) == Some("竹行街道")), "{rows:?}");
    assert!(rows.iter().any(|r| r.first().map(String::as_str) == Some("问题") && r.get(2).map(String::as_str) == Some("中兴街道")), "{rows:?}");
    let r = w.zhuhang.get(w.app.url("/api/reports/2021Q2?format=xlsx")).send().await.unwrap();
    let rows = read(r.bytes().await.unwrap().to_vec());
    assert!(!rows.iter().flatten().any(|c| c == "中兴街道" || c == "W-2021-001"), "another unit's data leaked: {rows:?}");
    // The JSON report too: a unit reads its own charges only (by index,
    // charges_unit_quarter), and all of them.
    let (_, theirs) = w.app.get(&w.zhuhang, "/api/reports/2021Q2").await;
    assert_eq!(theirs["items"], json!([]), "{theirs}");
    let (_, own) = w.app.get(&w.zhongxing, "/api/reports/2021Q2").await;
    let (_, all) = w.app.get(&w.assessor, "/api/reports/2021Q2").await;
    // The items sheet lists the JSON report's items, cell for cell: codes
    // and dates as text, days and points as numbers.
    let listed: Vec<Vec<String>> = all_rows.iter().filter(|r| r.first().map(String::as_str) == Some("问题")).cloned().collect();
    let issues: Vec<Vec<String>> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i.get("issue").is_some())
        .map(|i| {
            let text = |v: &Value| v.as_str().unwrap_or("未完成").to_string();
            let points: f64 = i["points"].as_str().unwrap().parse().unwrap();
            let cells = ["问题".to_string(), text(&i["issue"]), text(&i["unit"]), text(&i["dispatched"]), text(&i["completed"])];
            cells.into_iter().chain([i["days"].to_string(), points.to_string(), String::new()]).collect()
        })
        .collect();
    assert!(!issues.is_empty());
    assert_eq!(listed, issues);
    let of_zhongxing: Vec<&Value> = all["items"].as_array().unwrap().iter().filter(|i| i["unit"] == "中兴街道").collect();
    assert!(!of_zhongxing.is_empty());
    assert_eq!(own["items"].as_array().unwrap().iter().collect::<Vec<_>>(), of_zhongxing, "{own}");
    assert_eq!((own["units"][0]["unit"].clone(), own["total"].clone()), (json!("中兴街道"), own["units"][0]["points"].clone()));
}
