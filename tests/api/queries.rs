//! A page reads a fixed number of statements however many rows it shows
//! (no query per row: `X-Jiaoban-Queries`, answered by debug builds), and a
//! paged list's `total` — taken from the counts the database keeps per unit
//! and state where the filter allows — is the number of matching issues.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const UNITS: [&str; 3] = ["中兴街道", "竹行街道", "城东街道"];

/// The statements `path` took (asked twice: the first may fill a cache).
async fn statements(app: &TestApp, c: &reqwest::Client, path: &str) -> (u32, Value) {
    let mut last = (0, Value::Null);
    for _ in 0..2 {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let n = r.headers()["x-jiaoban-queries"].to_str().unwrap().parse().unwrap();
        last = (n, r.json().await.unwrap());
    }
    last
}

async fn register(app: &TestApp, c: &reqwest::Client, codes: std::ops::Range<usize>) {
    for i in codes {
        let body = json!({"code": format!("Q-{i}"), "unit": UNITS[i % 3], "title": format!("排口 {i}")});
        let (s, b) = app.post(c, "/api/issues", body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, b) = app.post(c, "/api/dispatches", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// The pages measured, each with the statements it took and what it said.
async fn measure(app: &TestApp, c: &reqwest::Client, first: &str) -> Vec<(String, u32, Value)> {
    let paths = [
        "/api/issues?page=1&per_page=50".to_string(),
        "/api/issues?unit=中兴街道&state=rectifying&page=1&per_page=2".to_string(),
        "/api/issues?q=排口&page=1&per_page=50".to_string(),
        format!("/api/issues/{first}"),
        "/api/reports/open".to_string(),
    ];
    let mut out = Vec::new();
    for path in paths {
        let (n, body) = statements(app, c, &path).await;
        out.push((path, n, body));
    }
    out
}

async fn pages_read_a_fixed_number_of_statements(backend: Backend) {
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    for unit in UNITS {
        app.unit(unit).await;
    }
    let gjb = app.user("gjb", "dispatcher", None).await;
    register(&app, &gjb, 0..3).await;
    let first = app.issue("Q-0").await["id"].as_str().unwrap().to_string();
    let unit = app.user("zx", "unit", Some("中兴街道")).await;
    assert_eq!(app.post(&unit, &format!("/api/issues/{first}/actions"), json!({"action": "accept"})).await.0, StatusCode::OK);
    // Past the last tier: the others are charged, the open ones counted.
    assert_eq!(app.advance("2021-04-05T09:00:00").await, StatusCode::OK);
    let small = measure(&app, &gjb, &first).await;

    // Ten times the issues, in every unit, and a longer history.
    register(&app, &gjb, 3..30).await;
    for note in ["请尽快整改", "再次催办", "第三次催办"] {
        assert_eq!(app.post(&gjb, &format!("/api/issues/{first}/chase"), json!({"note": note})).await.0, StatusCode::OK);
    }
    // A move: what it reads and writes, whatever the size of the data.
    let q3 = app.issue("Q-3").await["id"].as_str().unwrap().to_string();
    let r = unit.post(app.url(&format!("/api/issues/{q3}/actions"))).json(&json!({"action": "accept"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let statements: u32 = r.headers()["x-jiaoban-queries"].to_str().unwrap().parse().unwrap();
    // The session, the issue, the test clock, its update, the history's
    // last link and the new one (BEGIN and COMMIT aside).
    assert!(statements <= 6, "a move took {statements} statements");
    assert_eq!(app.advance("2021-05-10T09:00:00").await, StatusCode::OK);
    let large = measure(&app, &gjb, &first).await;
    for ((path, few, _), (_, many, body)) in small.iter().zip(&large) {
        assert_eq!(few, many, "{path}: {few} statements with 3 issues, {many} with 30: a query per row");
        assert!(*many <= 8, "{path}: {many} statements");
        if let Some(total) = body.get("total") {
            // The same filter without a page lists every matching issue.
            let whole =
                path.split('?').nth(1).unwrap().split('&').filter(|kv| !kv.starts_with("page=") && !kv.starts_with("per_page=")).collect::<Vec<_>>().join("&");
            let (_, all) = app.get(&gjb, &format!("/api/issues?{whole}")).await;
            assert_eq!(total.as_u64().unwrap() as usize, all["issues"].as_array().unwrap().len(), "{path}: total");
        }
    }
    assert_eq!(large[0].2["total"], 30);
    // The total comes with the page's rows; past the last page, or where
    // nothing matches, there are none to bring it, and it is still right.
    for (path, total) in [
        ("/api/issues?page=9&per_page=50", 30),
        ("/api/issues?q=排口&page=9&per_page=5", 30),
        ("/api/issues?unit=中兴街道&page=3&per_page=10", 10),
        ("/api/issues?q=无此问题&page=1&per_page=5", 0),
        ("/api/issues?unit=中兴街道&state=closed&page=1&per_page=5", 0),
    ] {
        let (s, body) = app.get(&gjb, path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(body["issues"].as_array().unwrap().len(), 0, "{path}");
        assert_eq!(body["total"], total, "{path}");
    }
    // Unpaged, the list is streamed a few issues at a time (debug builds
    // read three): the same issues, in the same order, as page after page.
    for (who, expected) in [(&gjb, 30), (&unit, 10)] {
        let (_, whole) = app.get(who, "/api/issues").await;
        let whole: Vec<Value> = whole["issues"].as_array().unwrap().clone();
        let mut paged = Vec::new();
        for page in 1..=5 {
            let (_, p) = app.get(who, &format!("/api/issues?page={page}&per_page=7")).await;
            paged.extend(p["issues"].as_array().unwrap().iter().cloned());
        }
        assert_eq!(whole.len(), expected);
        assert_eq!(whole, paged, "the streamed list and its pages differ");
    }
    assert!(large[1].2["total"].as_u64().unwrap() >= 1, "Q-0 is rectifying: {}", large[1].2);
    // A unit user's total counts its own issues only.
    let (_, mine) = app.get(&unit, "/api/issues?page=1&per_page=5").await;
    assert_eq!(mine["total"], 10);
    app.assert_counts_kept().await;
}

/// Every answer says how long the server took (`Server-Timing: app;dur=ms`),
/// so a benchmark can tell the server's time from its own.
#[tokio::test]
async fn every_answer_says_how_long_the_server_took() {
    let app = spawn_app(Backend::Sqlite, "2021-03-01T08:00:00").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    for (c, path) in [(client(), "/healthz"), (gjb.clone(), "/api/issues?page=1&per_page=5"), (gjb, "/api/issues/no-such-issue")] {
        let r = c.get(app.url(path)).send().await.unwrap();
        let timing = r.headers().get("server-timing").unwrap_or_else(|| panic!("{path}: no Server-Timing")).to_str().unwrap().to_string();
        let ms: f64 = timing.strip_prefix("app;dur=").and_then(|d| d.parse().ok()).unwrap_or_else(|| panic!("{path}: {timing}"));
        assert!((0.0..60_000.0).contains(&ms), "{path}: {timing}");
    }
}

/// An HTML page and the statements it took (asked twice, as [`statements`]).
async fn page_statements(app: &TestApp, c: &reqwest::Client, path: &str) -> (u32, String) {
    let mut last = (0, String::new());
    for _ in 0..2 {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let n = r.headers()["x-jiaoban-queries"].to_str().unwrap().parse().unwrap();
        last = (n, r.text().await.unwrap());
    }
    last
}

/// The queues show a move of each issue (the report awaiting recheck, the
/// failed recheck, the unit's return): read for all their issues at once,
/// so a queue of 12 takes the statements a queue of 4 does.
async fn queues_read_their_moves_at_once(backend: Backend) {
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    for unit in UNITS {
        app.unit(unit).await;
    }
    let gjb = app.user("gjb", "dispatcher", None).await;
    let fx = app.user("fx", "rechecker", None).await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    let mut notes = Vec::new();
    let mut rounds = Vec::new();
    for codes in [0..12, 12..36] {
        register(&app, &gjb, codes.clone()).await;
        // 中兴街道's issues: reported, reported and failed, or returned.
        for i in codes.filter(|i| i % 3 == 0) {
            let id = app.issue(&format!("Q-{i}")).await["id"].as_str().unwrap().to_string();
            let act = |c: &reqwest::Client, body: Value| {
                let (app, c, path) = (&app, c.clone(), format!("/api/issues/{id}/actions"));
                async move { app.post(&c, &path, body).await }
            };
            let note = if i % 6 == 0 { format!("已整改第{i}号") } else { format!("不属本辖区第{i}号") };
            if i % 6 == 0 {
                assert_eq!(act(&zx, json!({"action": "accept"})).await.0, StatusCode::OK);
                let photo = crate::replay::photo(&app, &zx).await;
                let (s, b) = act(&zx, json!({"action": "report", "note": note, "attachments": [photo]})).await;
                assert_eq!(s, StatusCode::OK, "{b}");
            } else {
                assert_eq!(act(&zx, json!({"action": "return", "note": note})).await.0, StatusCode::OK);
            }
            if i % 12 == 0 {
                let fail = format!("复核未通过第{i}号");
                assert_eq!(act(&fx, json!({"action": "recheck", "passed": false, "note": fail})).await.0, StatusCode::OK);
                notes.push((fail, ["/my"].as_slice()));
            } else {
                notes.push((note, if i % 6 == 0 { ["/recheck"].as_slice() } else { ["/board", "/my"].as_slice() }));
            }
        }
        let mut round = Vec::new();
        for (c, path) in [(&gjb, "/board"), (&gjb, "/recheck"), (&zx, "/my")] {
            round.push((path, page_statements(&app, c, path).await));
        }
        rounds.push(round);
    }
    for ((path, (few, _)), (_, (many, html))) in rounds[0].iter().zip(&rounds[1]) {
        assert_eq!(few, many, "{path}: {few} statements with 4 of its issues, {many} with 12: a query per issue");
        for (note, pages) in &notes {
            assert_eq!(html.contains(note.as_str()), pages.contains(path), "{path}: {note}");
        }
    }
    // The tiles count the states from the kept counts: 6 returned, 3
    // reported (24 issues of the other units are assigned).
    let board = &rounds[1][0].1.1;
    for (n, label) in [(0, "待交办"), (6, "退回待定"), (3, "待复核"), (0, "待销号")] {
        assert!(board.contains(&format!("<span class=\"n\">{n}</span><span class=\"l\">{label}")), "{label}: {board}");
    }
    // The recheck queue: the longest waiting since its last report first,
    // a page at a time. Q-0, failed, is reported again a day later: last.
    assert_eq!(app.advance("2021-03-02T09:00:00").await, StatusCode::OK);
    let q0 = app.issue("Q-0").await["id"].as_str().unwrap().to_string();
    let photo = crate::replay::photo(&app, &zx).await;
    let again = json!({"action": "report", "note": "再次整改", "attachments": [photo]});
    assert_eq!(app.post(&zx, &format!("/api/issues/{q0}/actions"), again).await.0, StatusCode::OK);
    let cards = |html: &str| {
        html.split("<article class=\"issue-card")
            .skip(1)
            .map(|a| a.split("data-code=\"").nth(1).unwrap().split('"').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let (_, html) = page_statements(&app, &gjb, "/recheck?per_page=2").await;
    assert_eq!(cards(&html), ["Q-6", "Q-18"]);
    assert!(html.contains("共 4 条"), "{html}");
    let (_, html) = page_statements(&app, &gjb, "/recheck?per_page=2&page=2").await;
    assert_eq!(cards(&html), ["Q-30", "Q-0"]);
}

/// The open list is read a chunk at a time (debug builds read three):
/// every open issue once, in dispatch order — a reassigned issue at its
/// reassignment — and a unit sees its own.
async fn the_open_list_crosses_its_chunks_in_dispatch_order(backend: Backend) {
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    for unit in UNITS {
        app.unit(unit).await;
    }
    let gjb = app.user("gjb", "dispatcher", None).await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    register(&app, &gjb, 0..10).await;
    let id = |code: &'static str| {
        let app = &app;
        async move { app.issue(code).await["id"].as_str().unwrap().to_string() }
    };
    let (q1, q3) = (id("Q-1").await, id("Q-3").await);
    let (s, b) = app.post(&gjb, &format!("/api/issues/{q1}/actions"), json!({"action": "withdraw", "note": "重复登记"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(app.post(&zx, &format!("/api/issues/{q3}/actions"), json!({"action": "return", "note": "不属本辖区"})).await.0, StatusCode::OK);
    let (s, b) = app.post(&gjb, &format!("/api/issues/{q3}/actions"), json!({"action": "reassign", "unit": "城东街道", "note": "改派"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, open) = app.get(&gjb, "/api/reports/open").await;
    assert_eq!(s, StatusCode::OK);
    let entries: Vec<(String, String)> =
        open.as_array().unwrap().iter().map(|o| (o["issue"].as_str().unwrap().to_string(), o["unit"].as_str().unwrap().to_string())).collect();
    let mut expected: Vec<(String, String)> =
        [0, 2, 4, 5, 6, 7, 8, 9, 3].iter().map(|i| (format!("Q-{i}"), if *i == 3 { "城东街道".to_string() } else { UNITS[i % 3].to_string() })).collect();
    assert_eq!(entries, expected, "{open}");
    let (_, mine) = app.get(&zx, "/api/reports/open").await;
    expected.retain(|(_, unit)| unit == "中兴街道");
    let mine: Vec<&str> = mine.as_array().unwrap().iter().map(|o| o["issue"].as_str().unwrap()).collect();
    assert_eq!(mine, expected.iter().map(|(code, _)| code.as_str()).collect::<Vec<_>>());
}

/// A list reads its rows by position (`db::columns`; on PostgreSQL without
/// sqlx's type check), the issue page by name: every issue of a list —
/// every field of it filled, one charged and closed, one withdrawn, one
/// never dispatched — is the issue page's issue without its history.
async fn a_list_row_is_what_the_issue_page_shows(backend: Backend) {
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    for unit in UNITS {
        app.unit(unit).await;
    }
    let gjb = app.user("gjb", "dispatcher", None).await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    let fuhe = app.user("fuhe", "rechecker", None).await;
    for i in 0..3 {
        let body = json!({"code": format!("F-{i}"), "unit": "中兴街道", "title": format!("排口 {i}"), "source": "12345移交",
            "category": "入河污染源", "location": format!("{i}号排口"), "description": format!("雨后溢流 {i}")});
        assert_eq!(app.post(&gjb, "/api/issues", body).await.0, StatusCode::CREATED);
    }
    assert_eq!(app.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);
    let body = json!({"code": "F-9", "unit": "城东街道", "title": "未交办"});
    assert_eq!(app.post(&gjb, "/api/issues", body).await.0, StatusCode::CREATED);
    let id = |code: &'static str| {
        let app = &app;
        async move { app.issue(code).await["id"].as_str().unwrap().to_string() }
    };
    let (done, gone) = (id("F-0").await, id("F-1").await);
    assert_eq!(app.advance("2021-03-20T09:00:00").await, StatusCode::OK);
    let photo = crate::replay::photo(&app, &zx).await;
    let steps = [
        (&zx, json!({"action": "accept"})),
        (&zx, json!({"action": "report", "note": "已整改", "attachments": [photo]})),
        (&fuhe, json!({"action": "recheck", "passed": true, "note": "复核通过"})),
        (&gjb, json!({"action": "close"})),
    ];
    for (who, body) in steps {
        let (s, b) = app.post(who, &format!("/api/issues/{done}/actions"), body).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, b) = app.post(&gjb, &format!("/api/issues/{gone}/actions"), json!({"action": "withdraw", "note": "重复登记"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, list) = app.get(&gjb, "/api/issues?page=1&per_page=50").await;
    let rows = list["issues"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{list}");
    for row in rows {
        let (_, mut page) = app.get(&gjb, &format!("/api/issues/{}", row["id"].as_str().unwrap())).await;
        let page = page.as_object_mut().unwrap();
        page.remove("history");
        page.remove("history_intact");
        assert_eq!(&Value::Object(page.clone()), row);
    }
    // Both read by position: each field is also what was registered, so a
    // column read in the wrong place fails here even where both agree.
    for i in 0..3 {
        let row = rows.iter().find(|r| r["code"] == format!("F-{i}")).unwrap();
        let fields = ["unit", "title", "source", "category", "location", "description"].map(|f| row[f].as_str().unwrap_or_default().to_string());
        let registered = ["中兴街道".to_string(), format!("排口 {i}"), "12345移交".into(), "入河污染源".into(), format!("{i}号排口"), format!("雨后溢流 {i}")];
        assert_eq!(fields, registered, "{row}");
    }
    // The history, read by position from the same statement, names who did
    // what, with what note and file.
    let (_, page) = app.get(&gjb, &format!("/api/issues/{done}")).await;
    let said: Vec<(String, String, String, usize)> = page["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["actor"] != "gjb")
        .map(|m| {
            let text = |f: &str| m[f].as_str().unwrap_or_default().to_string();
            (text("action"), text("actor"), text("note"), m["attachments"].as_array().map_or(0, Vec::len))
        })
        .collect();
    let want = [("accept", "zx", "", 0), ("report", "zx", "已整改", 1), ("recheck_pass", "fuhe", "复核通过", 0)];
    assert_eq!(said, want.map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d)), "{page}");
    assert!(page["history"].as_array().unwrap().iter().all(|m| !m["actor_role"].as_str().unwrap_or_default().is_empty()), "{page}");
    let closed = rows.iter().find(|r| r["code"] == "F-0").unwrap();
    assert_eq!((closed["state"].as_str(), closed["charged"].as_bool(), closed["days"].as_i64()), (Some("closed"), Some(true), Some(19)), "{closed}");
    assert_eq!(closed["points_so_far"], "0.02", "{closed}");
}

both_backends! {
    pages_read_a_fixed_number_of_statements,
    queues_read_their_moves_at_once,
    the_open_list_crosses_its_chunks_in_dispatch_order,
    a_list_row_is_what_the_issue_page_shows
}

/// A kept-count table spread over many pages (what a long transaction
/// beside busy moves leaves, and VACUUM cannot undo) is rewritten by the
/// housekeeping's compaction, keeping every count: the lists' totals read
/// a page, not hundreds (PostgreSQL; SQLite's tables do not spread so).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spread_count_table_is_compacted_and_keeps_its_counts() {
    use sea_orm::ConnectionTrait;
    if !postgres_ready().await {
        return;
    }
    let app = spawn_app(Backend::Postgres, "2021-03-01T08:00:00").await;
    let exec = |sql: &'static str| {
        let db = app.app.db.clone();
        async move { db.execute_unprepared(sql).await.unwrap() }
    };
    let pages = || {
        let db = app.app.db.clone();
        async move {
            let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT pg_relation_size('issue_counts') / 8192 AS p")).await;
            row.unwrap().unwrap().try_get::<i64>("", "p").unwrap()
        }
    };
    for unit in UNITS {
        app.unit(unit).await;
    }
    let gjb = app.user("gjb", "dispatcher", None).await;
    // Rows that fill pages first, the real counts after them, then the
    // first ones gone: the real rows sit on the table's last pages, which
    // VACUUM cannot cut off.
    exec("INSERT INTO issue_counts (unit_id, state, n) SELECT 'spread-' || g, 'closed', 0 FROM generate_series(1, 20000) g").await;
    register(&app, &gjb, 0..6).await;
    exec("DELETE FROM issue_counts WHERE unit_id LIKE 'spread-%'").await;
    exec("VACUUM issue_counts").await;
    let spread = pages().await;
    assert!(spread > 50, "the table takes {spread} pages");
    let rewritten = jiaoban::app::compact::compact_counts(&app.app).await.unwrap();
    assert_eq!(rewritten, vec!["issue_counts"]);
    let compact = pages().await;
    assert!(compact <= 2, "{spread} pages became {compact}");
    app.assert_counts_kept().await;
    let (s, list) = app.get(&gjb, "/api/issues?per_page=2").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 6, "{list}");
    // Compact now: nothing to do.
    assert!(jiaoban::app::compact::compact_counts(&app.app).await.unwrap().is_empty());
}
