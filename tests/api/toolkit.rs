//! The 督办 toolkit through the API (issue 10), on both backends: 催办 and the
//! leaders it reaches, search, filters and pages, days of a closed issue,
//! names in the history, the inbox, the statistics and typed workbooks.

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
}

/// Two units with leaders; named users; W-1..W-3 (中兴街道), W-4 (竹行街道),
/// dispatched on Monday 2021-03-01.
async fn world(backend: Backend) -> World {
    let app = spawn_app(backend, "2021-03-01T08:00:00").await;
    for (unit, leader) in [("中兴街道", "zx-leader@example.org"), ("竹行街道", "zh-leader@example.org")] {
        let (s, b) = app.post(&app.admin, "/api/units", json!({"name": unit, "emails": ["office@example.org"], "leaders": [leader]})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["leaders"], json!([leader]));
    }
    let user = |name: &'static str, role: &'static str, unit: Option<&'static str>, person: &'static str| {
        let app = &app;
        async move {
            let (s, b) = app.post(&app.admin, "/api/users", json!({"username": name, "password": PASSWORD, "role": role, "unit": unit, "name": person})).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            sign_in(&app.base, name, PASSWORD).await
        }
    };
    let gjb = user("gjb", "dispatcher", None, "周敏").await;
    let zx = user("zx", "unit", Some("中兴街道"), "王建国").await;
    let zh = user("zh", "unit", Some("竹行街道"), "李晓明").await;
    let fh = user("fh", "rechecker", None, "吴刚").await;
    let issues = [
        ("W-1", "中兴街道", "通启运河排口", "通启运河东岸", "入河污染源", "巡查发现"),
        ("W-2", "中兴街道", "横河坝埂", "民生圩", "阻水障碍物", "群众举报"),
        ("W-3", "中兴街道", "泵站溢流", "工业园区", "入河污染源", "12345移交"),
        ("W-4", "竹行街道", "雨污混接", "竹行河", "入河污染源", "巡查发现"),
    ];
    for (code, unit, title, location, category, source) in issues {
        let body = json!({"code": code, "unit": unit, "title": title, "location": location, "category": category, "source": source});
        assert_eq!(app.post(&gjb, "/api/issues", body).await.0, StatusCode::CREATED);
    }
    assert_eq!(app.advance("2021-03-01T10:00:00").await, StatusCode::OK);
    World { app, gjb, zx, zh, fh }
}

impl World {
    async fn id(&self, code: &str) -> String {
        self.app.issue(code).await["id"].as_str().unwrap().to_string()
    }

    async fn mail(&self, prefix: &str) -> Option<Value> {
        let (_, mails) = self.app.get(&self.app.admin, "/api/mails").await;
        mails["mails"].as_array().unwrap().iter().find(|m| m["key"].as_str().unwrap().starts_with(prefix)).cloned()
    }
}

async fn a_chase_mails_the_unit_and_its_leaders_and_is_counted(backend: Backend) {
    let w = world(backend).await;
    let id = w.id("W-1").await;
    let path = format!("/api/issues/{id}/chase");
    assert_eq!(w.app.post(&w.zx, &path, json!({"note": "x"})).await.0, StatusCode::FORBIDDEN);
    let (status, issue) = w.app.post(&w.gjb, &path, json!({"note": "请本周内完成"})).await;
    assert_eq!((status, issue["chases"].as_i64()), (StatusCode::OK, Some(1)), "{issue}");
    let (_, issue) = w.app.post(&w.gjb, &path, json!({})).await;
    assert_eq!(issue["chases"], 2);
    let mail = w.mail(&format!("chase:{id}:2")).await.expect("the second chase's mail");
    assert!(mail["cc"].as_array().unwrap().contains(&json!("zx-leader@example.org")), "{mail}");
    assert_eq!(mail["at"], "2021-03-01T10:00:00", "sent now, not at the next working hour");
    let history = w.app.issue("W-1").await["history"].clone();
    let chases: Vec<&Value> = history.as_array().unwrap().iter().filter(|m| m["action"] == "chase").collect();
    assert_eq!(chases.len(), 2);
    assert_eq!(
        (chases[0]["note"].as_str(), chases[0]["actor_name"].as_str(), chases[0]["actor_role"].as_str()),
        (Some("请本周内完成"), Some("周敏"), Some("攻坚办"))
    );
    // Not on a withdrawn issue; not on one never dispatched.
    let w4 = w.id("W-4").await;
    assert_eq!(w.app.post(&w.gjb, &format!("/api/issues/{w4}/actions"), json!({"action": "withdraw", "note": "重复"})).await.0, StatusCode::OK);
    assert_eq!(w.app.post(&w.gjb, &format!("/api/issues/{w4}/chase"), json!({"note": "x"})).await.0, StatusCode::CONFLICT);
    let (_, fresh) = w.app.post(&w.gjb, "/api/issues", json!({"code": "W-9", "unit": "中兴街道", "title": "新"})).await;
    assert_eq!(w.app.post(&w.gjb, &format!("/api/issues/{}/chase", fresh["id"].as_str().unwrap()), json!({})).await.0, StatusCode::CONFLICT);
    // Day 31: the overdue mail is copied to the leaders too.
    assert_eq!(w.app.advance("2021-04-01T09:00:00").await, StatusCode::OK);
    let overdue = w.mail(&format!("tier-31:{id}")).await.expect("tier-31 mail");
    assert!(overdue["cc"].as_array().unwrap().contains(&json!("zx-leader@example.org")), "{overdue}");
    let warn = w.mail(&format!("warn-16:{id}")).await.expect("warn-16 mail");
    assert!(!warn["cc"].as_array().unwrap().contains(&json!("zx-leader@example.org")), "leaders only for the overdue tier: {warn}");
}

async fn lists_are_searched_filtered_and_paged(backend: Backend) {
    let w = world(backend).await;
    let codes = |v: &Value| v["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let get = |path: String| {
        let (app, c) = (&w.app, w.gjb.clone());
        async move { app.get(&c, &path).await }
    };
    assert_eq!(codes(&get("/api/issues?q=w-1".into()).await.1), ["W-1"], "a code, any case");
    assert_eq!(codes(&get("/api/issues?q=%E6%B0%91%E7%94%9F%E5%9C%A9".into()).await.1), ["W-2"], "a location");
    assert_eq!(codes(&get("/api/issues?q=%E6%8E%92%E5%8F%A3".into()).await.1), ["W-1"], "a word of the title");
    assert_eq!(codes(&get("/api/issues?q=100%25".into()).await.1), Vec::<String>::new(), "% is a character, not a wildcard");
    assert_eq!(
        codes(&get("/api/issues?category=%E5%85%A5%E6%B2%B3%E6%B1%A1%E6%9F%93%E6%BA%90&unit=%E4%B8%AD%E5%85%B4%E8%A1%97%E9%81%93".into()).await.1),
        ["W-1", "W-3"]
    );
    assert_eq!(codes(&get("/api/issues?source=12345%E7%A7%BB%E4%BA%A4".into()).await.1), ["W-3"]);
    assert_eq!(codes(&get("/api/issues?from=2021-03-01&to=2021-03-01".into()).await.1).len(), 4);
    assert_eq!(codes(&get("/api/issues?from=2021-03-02".into()).await.1).len(), 0);
    assert_eq!(get("/api/issues?from=yesterday".into()).await.0, StatusCode::BAD_REQUEST);
    // Pages: `total` counts every match.
    let (_, page) = get("/api/issues?page=2&per_page=3".into()).await;
    assert_eq!((codes(&page), page["total"].as_u64()), (vec!["W-4".to_string()], Some(4)));
    assert!(get("/api/issues".into()).await.1.get("total").is_none(), "no page, no total");
    for bad in ["page=0", "per_page=0", "per_page=100000", "page=-1", "page=x"] {
        assert_eq!(get(format!("/api/issues?{bad}")).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Tiers as of today: day 17 of the list is in the middle tier.
    assert_eq!(w.app.advance("2021-03-18T09:00:00").await, StatusCode::OK);
    assert_eq!(codes(&get("/api/issues?tier=1".into()).await.1).len(), 4);
    assert_eq!(codes(&get("/api/issues?tier=0".into()).await.1).len(), 0);
    assert_eq!(get("/api/issues?tier=9".into()).await.0, StatusCode::BAD_REQUEST);
    // A unit searches only its own.
    let (_, theirs) = w.app.get(&w.zh, "/api/issues?q=W").await;
    assert_eq!(codes(&theirs), ["W-4"]);
}

async fn a_closed_issue_shows_the_days_it_was_charged_for(backend: Backend) {
    let w = world(backend).await;
    let id = w.id("W-1").await;
    let act = |c: reqwest::Client, body: Value| {
        let (app, id) = (&w.app, id.clone());
        async move { app.post(&c, &format!("/api/issues/{id}/actions"), body).await }
    };
    assert_eq!(act(w.zx.clone(), json!({"action": "accept"})).await.0, StatusCode::OK);
    assert_eq!(w.app.advance("2021-03-19T10:00:00").await, StatusCode::OK);
    let photo = photo(&w.app, &w.zx).await;
    assert_eq!(act(w.zx.clone(), json!({"action": "report", "note": "已整改", "attachments": [photo]})).await.0, StatusCode::OK);
    assert_eq!(act(w.fh.clone(), json!({"action": "recheck", "passed": true})).await.0, StatusCode::OK);
    assert_eq!(act(w.gjb.clone(), json!({"action": "close"})).await.0, StatusCode::OK);
    assert_eq!(w.app.advance("2021-05-01T10:00:00").await, StatusCode::OK);
    let issue = w.app.issue("W-1").await;
    assert_eq!((issue["state"].as_str(), issue["days"].as_i64(), issue["points_so_far"].as_str()), (Some("closed"), Some(18), Some("0.02")), "{issue}");
    // A charged issue is in its charge's tier: W-1 closed in the middle
    // one, the three never done charged in the last on day 31.
    let in_tier = |t: usize| {
        let (app, c) = (&w.app, w.gjb.clone());
        async move {
            let (_, list) = app.get(&c, &format!("/api/issues?tier={t}")).await;
            let mut codes: Vec<String> = list["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect();
            codes.sort();
            codes
        }
    };
    assert_eq!(in_tier(1).await, ["W-1"]);
    assert_eq!(in_tier(2).await, ["W-2", "W-3", "W-4"]);
}

async fn names_and_the_inbox(backend: Backend) {
    let w = world(backend).await;
    let (_, me) = w.app.get(&w.zx, "/api/session").await;
    assert_eq!(me["name"], "王建国");
    let history = w.app.issue("W-1").await["history"].clone();
    let dispatch = history.as_array().unwrap().iter().find(|m| m["action"] == "dispatch").unwrap();
    assert_eq!(dispatch["actor_name"], "系统（定时交办）", "the scheduled dispatch is the system's");
    // The list mail of 03-01 (09:00) is in 中兴街道's inbox, not in 竹行街道's of theirs.
    let (_, inbox) = w.app.get(&w.zx, "/api/inbox").await;
    let keys: Vec<&str> = inbox["messages"].as_array().unwrap().iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 1, "{inbox}");
    assert!(keys[0].starts_with("dispatch:2021-03-01T09:00:00:"));
    assert_eq!(inbox["unread"], 1);
    let (_, theirs) = w.app.get(&w.zh, "/api/inbox").await;
    assert_eq!(theirs["messages"].as_array().unwrap().len(), 1);
    assert_ne!(theirs["messages"][0]["key"], inbox["messages"][0]["key"]);
    let id = inbox["messages"][0]["id"].as_i64().unwrap();
    assert_eq!(w.zh.post(w.app.url(&format!("/api/inbox/{id}/read"))).send().await.unwrap().status(), StatusCode::NOT_FOUND, "not theirs to read");
    assert_eq!(w.zx.post(w.app.url(&format!("/api/inbox/{id}/read"))).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let (_, inbox) = w.app.get(&w.zx, "/api/inbox").await;
    assert_eq!((inbox["unread"].as_u64(), inbox["messages"][0]["read"].as_bool()), (Some(0), Some(true)));
    // A chase arrives too, unread; `all` reads it.
    let w1 = w.id("W-1").await;
    assert_eq!(w.app.post(&w.gjb, &format!("/api/issues/{w1}/chase"), json!({"note": "快"})).await.0, StatusCode::OK);
    assert_eq!(w.app.get(&w.zx, "/api/inbox").await.1["unread"], 1);
    assert_eq!(w.zx.post(w.app.url("/api/inbox/all/read")).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(w.app.get(&w.zx, "/api/inbox").await.1["unread"], 0);
    // A return is 攻坚办's to read.
    let w2 = w.id("W-2").await;
    assert_eq!(w.app.post(&w.zx, &format!("/api/issues/{w2}/actions"), json!({"action": "return", "note": "不属本街道"})).await.0, StatusCode::OK);
    assert_eq!(w.app.advance("2021-03-01T11:00:00").await, StatusCode::OK);
    let (_, ours) = w.app.get(&w.gjb, "/api/inbox").await;
    assert!(ours["messages"].as_array().unwrap().iter().any(|m| m["key"].as_str().unwrap().starts_with("return:")), "{ours}");
}

async fn statistics_and_workbooks_a_leader_can_use(backend: Backend) {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let w = world(backend).await;
    let (w1, w2) = (w.id("W-1").await, w.id("W-2").await);
    for id in [&w1, &w2] {
        assert_eq!(w.app.post(&w.zx, &format!("/api/issues/{id}/actions"), json!({"action": "accept"})).await.0, StatusCode::OK);
        let photo = photo(&w.app, &w.zx).await;
        assert_eq!(
            w.app.post(&w.zx, &format!("/api/issues/{id}/actions"), json!({"action": "report", "note": "已整改", "attachments": [photo]})).await.0,
            StatusCode::OK
        );
    }
    // W-1 fails once, then both pass: 3 rechecks, 1 failed.
    assert_eq!(
        w.app.post(&w.fh, &format!("/api/issues/{w1}/actions"), json!({"action": "recheck", "passed": false, "note": "仍渗漏"})).await.0,
        StatusCode::OK
    );
    let photo2 = photo(&w.app, &w.zx).await;
    assert_eq!(
        w.app.post(&w.zx, &format!("/api/issues/{w1}/actions"), json!({"action": "report", "note": "再整改", "attachments": [photo2]})).await.0,
        StatusCode::OK
    );
    for id in [&w1, &w2] {
        assert_eq!(w.app.post(&w.fh, &format!("/api/issues/{id}/actions"), json!({"action": "recheck", "passed": true})).await.0, StatusCode::OK);
    }
    let (status, stats) = w.app.get(&w.gjb, "/api/stats/2021Q1").await;
    assert_eq!(status, StatusCode::OK);
    let zx = stats["units"].as_array().unwrap().iter().find(|u| u["unit"] == "中兴街道").unwrap();
    assert_eq!(
        (zx["completed"].as_u64(), zx["on_time_rate"].as_str(), zx["rechecks"].as_u64(), zx["failed_rechecks"].as_u64()),
        (Some(2), Some("1.00"), Some(3), Some(1)),
        "{zx}"
    );
    assert_eq!((zx["rework_rate"].as_str(), zx["average_days"].as_str()), (Some("0.33"), Some("0.0")));
    let (_, trend) = w.app.get(&w.gjb, "/api/stats/2021").await;
    assert_eq!(trend["quarters"], json!(["2021Q1", "2021Q2", "2021Q3", "2021Q4"]));
    // The workbook: figures are numbers, and the open issues have their sheet.
    let bytes = w.gjb.get(w.app.url("/api/reports/2021Q1?format=xlsx")).send().await.unwrap().bytes().await.unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["2021Q1 扣分", "明细", "跨季度未定分"]);
    let units = book.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = units.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..2], ["单位", "扣分"]);
    assert!(matches!(units.get((1, 1)), Some(Data::Float(_))), "points are numbers: {:?}", units.get((1, 1)));
    let carried = book.worksheet_range_at(2).unwrap().unwrap();
    assert_eq!(carried.rows().count(), 1 + 2, "W-3 and W-4 are still open");
    // The units sheet's rates are the statistics'; the items sheet (written
    // as its pages are read) lists the report's items in its order.
    let zx_row = units.rows().find(|r| r[0] == "中兴街道").unwrap();
    assert_eq!((zx_row[6].to_string(), zx_row[7].to_string(), zx_row[8].to_string()), ("1".into(), "0.33".into(), "0".into()), "{zx_row:?}");
    let (_, report) = w.app.get(&w.gjb, "/api/reports/2021Q1").await;
    let listed: Vec<String> = book.worksheet_range_at(1).unwrap().unwrap().rows().skip(1).filter(|r| r[0] == "问题").map(|r| r[1].to_string()).collect();
    let items: Vec<String> = report["items"].as_array().unwrap().iter().filter_map(|i| i["issue"].as_str().map(String::from)).collect();
    assert!(items.len() >= 2, "{report}");
    assert_eq!(listed, items);
    let bytes = w.gjb.get(w.app.url("/api/reports/2021?format=xlsx")).send().await.unwrap().bytes().await.unwrap();
    let mut year: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = year.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.rows().next().unwrap().len(), 1 + 4 + 2, "unit, four quarters, the year's points and score");
}

both_backends! {
    a_chase_mails_the_unit_and_its_leaders_and_is_counted,
    lists_are_searched_filtered_and_paged,
    a_closed_issue_shows_the_days_it_was_charged_for,
    names_and_the_inbox,
    statistics_and_workbooks_a_leader_can_use,
}
