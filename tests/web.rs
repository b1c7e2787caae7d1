//! The web UI over plain HTTP (no browser): sign-in, CSRF, uploads checked
//! by content, cross-unit access, Excel import, admin and violation forms,
//! and the corrections' forms (web/corrections.rs).
//! The browser tests (tests/browser) walk the pages; these pin the edges.

#[path = "web/accounts.rs"]
mod accounts;
#[path = "web/corrections.rs"]
mod corrections;
#[path = "web/inbox.rs"]
mod inbox;
#[path = "web/issue_page.rs"]
mod issue_page;
#[path = "web/lists.rs"]
mod lists;
#[path = "web/print.rs"]
mod print;
#[path = "web/reports.rs"]
mod reports;
#[path = "support/require.rs"]
mod require;
#[path = "browser/server.rs"]
mod server;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::json;
use server::{PASSWORD, Server, multipart, png};

const START: &str = "2021-03-01T09:00:00";

/// Two units, one user per role, and one dispatched issue per unit.
async fn arrange() -> (Server, String, String) {
    let s = server::start(START).await;
    s.unit("中兴街道").await;
    s.unit("竹行街道").await;
    s.user("gjb", "dispatcher", None).await;
    s.user("zx", "unit", Some("中兴街道")).await;
    s.user("zh", "unit", Some("竹行街道")).await;
    s.user("fh", "rechecker", None).await;
    s.user("kh", "assessor", None).await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    for (code, unit) in [("W-1", "中兴街道"), ("W-2", "竹行街道")] {
        let (status, body) = s.post(&gjb, "/api/issues", json!({"code": code, "unit": unit, "title": "排口渗漏"})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(s.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);
    let id = |v: serde_json::Value| v["id"].as_str().unwrap().to_string();
    let (w1, w2) = (id(s.issue("W-1").await), id(s.issue("W-2").await));
    (s, w1, w2)
}

async fn page(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post_multipart(c: &reqwest::Client, url: String, parts: &[(&str, Option<&str>, &[u8])]) -> (StatusCode, String, String) {
    let (content_type, body) = multipart(parts);
    let r = c.post(url).header(CONTENT_TYPE, content_type).body(body).send().await.unwrap();
    let location = r.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status(), location, r.text().await.unwrap())
}

#[tokio::test]
async fn signing_in_through_the_form_explains_mistakes_and_lands_on_the_role_page() {
    let (s, _, _) = arrange().await;
    let anonymous = server::client();
    let r = anonymous.get(s.url("/board")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/login?next=/board");

    let r = anonymous.post(s.url("/login")).form(&[("username", "gjb"), ("password", "wrong"), ("next", "/board")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("用户名或密码不正确") && html.contains("value=\"gjb\""), "{html}");

    for (user, main, role) in [
        ("gjb", "/board", "攻坚办"),
        ("zx", "/my", "责任单位"),
        ("fh", "/recheck", "复核部门"),
        ("kh", "/reports", "考核督查组"),
        ("admin", "/admin", "系统管理员"),
    ] {
        let c = server::client();
        let password = if user == "admin" { server::ADMIN_PASSWORD } else { PASSWORD };
        let r = c.post(s.url("/login")).form(&[("username", user), ("password", password), ("next", "")]).send().await.unwrap();
        assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, main), "{user}");
        let (status, html) = page(&c, s.url(main)).await;
        assert_eq!(status, StatusCode::OK, "{user}: {html}");
        assert!(html.contains("测试时钟") && html.contains(role) && html.contains(user), "{user} header: {html}");
    }
}

#[tokio::test]
async fn a_cross_site_form_post_changes_nothing() {
    let (s, _, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let form = [("code", "W-9"), ("unit", "中兴街道"), ("title", "伪造")];
    for (header, value) in [("sec-fetch-site", "cross-site"), ("origin", "http://evil.example")] {
        let (content_type, body) = multipart(&form.map(|(k, v)| (k, None, v.as_bytes())));
        let r = gjb.post(s.url("/pool/issues")).header(header, value).header(CONTENT_TYPE, content_type).body(body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{header}");
    }
    let (_, list) = s.get(&s.admin, "/api/issues?code=W-9").await;
    assert_eq!(list["issues"], json!([]));
    let r = gjb.post(s.url("/dispatches")).header("sec-fetch-site", "same-origin").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a same-origin form post passes");
}

#[tokio::test]
async fn uploads_are_checked_by_content_and_survive_a_rejected_form() {
    let (s, w1, _) = arrange().await;
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    assert_eq!(post_multipart(&zx, s.url(&format!("/issues/{w1}/accept")), &[]).await.0, StatusCode::SEE_OTHER);

    // A web page named photo.png is not a photo; nothing moves.
    let (status, _, html) = post_multipart(
        &zx,
        s.url(&format!("/issues/{w1}/report")),
        &[("note", None, "已整改".as_bytes()), ("photos", Some("photo.png"), b"<html>not a photo</html>")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("只接受 JPEG、PNG 照片或 PDF 文件") && html.contains("已整改"), "{html}");
    assert_eq!(s.issue("W-1").await["state"], "rectifying");

    // Too large for one file.
    let mut big = png(2, 2, [0, 0, 0]);
    big.resize(jiaoban::app::attachments::MAX_BYTES + 1, 0);
    let (status, _, html) = post_multipart(&zx, s.url(&format!("/issues/{w1}/report")), &[("photos", Some("big.png"), &big)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("文件超过 12 MB"), "{html}");

    let photo = png(8, 8, [200, 30, 30]);
    let (status, location, _) =
        post_multipart(&zx, s.url(&format!("/issues/{w1}/report")), &[("note", None, "已整改".as_bytes()), ("photos", Some("photo.png"), &photo)]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, format!("/issues/{w1}?ok=report&code=W-1").as_str()));
    let history = s.issue("W-1").await["history"].clone();
    let report = history.as_array().unwrap().iter().find(|m| m["action"] == "report").unwrap();
    let stored = report["attachments"][0].as_str().unwrap().to_string();
    assert!(stored.ends_with(".png") && stored.len() == 36, "random name: {stored}");
    let served = zx.get(s.url(&format!("/files/{stored}"))).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), photo.as_slice(), "the photo is served back byte for byte");

    // The rechecker forgets the reason: the photo is kept for the second try.
    let fh = server::sign_in(&s.base, "fh", PASSWORD).await;
    let (status, _, html) =
        post_multipart(&fh, s.url(&format!("/issues/{w1}/recheck")), &[("passed", None, b"false"), ("photos", Some("site.png"), &photo)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("复核不通过时，请写明原因"), "{html}");
    let kept = html.split("name=\"kept\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the upload is kept").to_string();
    let (status, _, _) = post_multipart(
        &fh,
        s.url(&format!("/issues/{w1}/recheck")),
        &[("passed", None, b"false"), ("note", None, "仍有渗漏".as_bytes()), ("kept", None, kept.as_bytes())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let issue = s.issue("W-1").await;
    let fail = issue["history"].as_array().unwrap().iter().find(|m| m["action"] == "recheck_fail").unwrap().clone();
    assert_eq!((issue["state"].as_str(), fail["attachments"].clone()), (Some("rectifying"), json!([kept])));

    // Someone else's file cannot be smuggled in as "kept".
    let zh = server::sign_in(&s.base, "zh", PASSWORD).await;
    let w2 = s.issue("W-2").await["id"].as_str().unwrap().to_string();
    post_multipart(&zh, s.url(&format!("/issues/{w2}/accept")), &[]).await;
    let (status, _, html) =
        post_multipart(&zh, s.url(&format!("/issues/{w2}/report")), &[("note", None, "已整改".as_bytes()), ("kept", None, stored.as_bytes())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another's photo is not this report's photo: {html}");
    let w2 = s.issue("W-2").await;
    assert_eq!(w2["state"], "rectifying");
    assert!(!w2["history"].as_array().unwrap().iter().any(|m| m["action"] == "report"), "nothing reported");
}

#[tokio::test]
async fn a_unit_user_meets_404_on_another_units_issue_page_photo_and_forms() {
    let (s, w1, w2) = arrange().await;
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    post_multipart(&zx, s.url(&format!("/issues/{w1}/accept")), &[]).await;
    post_multipart(&zx, s.url(&format!("/issues/{w1}/report")), &[("note", None, "已整改".as_bytes()), ("photos", Some("p.png"), &png(4, 4, [1, 2, 3]))]).await;
    let photo = s.issue("W-1").await["history"].as_array().unwrap().iter().find_map(|m| m["attachments"][0].as_str().map(str::to_string)).unwrap();

    let zh = server::sign_in(&s.base, "zh", PASSWORD).await;
    for path in [format!("/issues/{w1}"), format!("/files/{photo}"), "/files/..%2F..%2Fjiaoban.db".to_string()] {
        let (status, html) = page(&zh, s.url(&path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("没有找到"), "{html}");
    }
    let (status, _, _) = post_multipart(&zh, s.url(&format!("/issues/{w1}/recheck")), &[("passed", None, b"true")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(s.issue("W-1").await["state"], "reported");
    assert_eq!(page(&zh, s.url(&format!("/issues/{w2}"))).await.0, StatusCode::OK);
    let (status, html) = page(&zh, s.url("/board")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    // The unit's report: its own row in the table, nobody else's, no other
    // unit's issue among the items. (Its name is in the header anyway, so
    // the rows themselves are what is checked.)
    let (status, html) = page(&zh, s.url("/reports?q=2021Q1")).await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<&str> = html.split("<tr data-unit=\"").skip(1).filter_map(|r| r.split('"').next()).collect();
    assert_eq!(rows, ["竹行街道"], "a unit sees its own row only");
    assert!(!html.contains("W-1<") && !html.contains(">W-1"), "no other unit's issue on its report");
    // Those who may see the issue may see its photo.
    for user in ["zx", "fh", "gjb", "kh"] {
        let c = server::sign_in(&s.base, user, PASSWORD).await;
        assert_eq!(page(&c, s.url(&format!("/files/{photo}"))).await.0, StatusCode::OK, "{user}");
    }
}

fn workbook(rows: &[[&str; 3]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [["编号", "责任单位", "标题"]].iter().chain(rows).enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *value).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn an_excel_list_is_imported_whole_or_refused_row_by_row() {
    let (s, _, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let bad = workbook(&[["X-1", "中兴街道", "甲"], ["X-2", "不存在的单位", "乙"]]);
    let (status, _, html) = post_multipart(&gjb, s.url("/pool/import"), &[("file", Some("list.xlsx"), &bad)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("第 3 行") && html.contains("不存在的单位"), "{html}");
    assert_eq!(s.get(&s.admin, "/api/issues?code=X-1").await.1["issues"], json!([]), "nothing half-imported");

    let (status, _, html) = post_multipart(&gjb, s.url("/pool/import"), &[("file", Some("list.xlsx"), b"not a workbook")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("无法读取该文件"), "{html}");

    let good = workbook(&[["X-1", "中兴街道", "甲"], ["X-2", "竹行街道", "乙"]]);
    let (status, location, _) = post_multipart(&gjb, s.url("/pool/import"), &[("file", Some("list.xlsx"), &good)]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/pool?ok=imported&n=2"));
    let (_, html) = page(&gjb, s.url(&location)).await;
    assert!(html.contains("已从 Excel 导入 2 个问题") && html.contains("X-1") && html.contains("X-2"), "{html}");
}

#[tokio::test]
async fn registration_and_admin_forms_keep_the_input_and_name_the_field() {
    let (s, _, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (status, _, html) =
        post_multipart(&gjb, s.url("/pool/issues"), &[("code", None, b"W-1"), ("unit", None, "中兴街道".as_bytes()), ("title", None, "重复编号".as_bytes())])
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("编号 `W-1` 已存在") && html.contains("value=\"重复编号\""), "{html}");
    assert!(!html.contains("(code already registered)"), "no English gloss on a page");

    let admin = server::sign_in(&s.base, "admin", server::ADMIN_PASSWORD).await;
    let r = admin.post(s.url("/admin/units")).form(&[("name", "新开街道"), ("emails", "not-an-address")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("格式不正确") && html.contains("value=\"新开街道\""), "{html}");
    let r = admin.post(s.url("/admin/units")).form(&[("name", "新开街道"), ("emails", "xk@example.gov.cn, xk2@example.gov.cn")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post(s.url("/admin/users"))
        .form(&[("username", "xk"), ("password", "river-bank-lantern-42"), ("role", "unit"), ("unit", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("责任单位的用户须选择所属单位"));
    let r = admin
        .post(s.url("/admin/users"))
        .form(&[("username", "xk"), ("password", "river-bank-lantern-42"), ("role", "unit"), ("unit", "新开街道")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&admin, s.url("/admin")).await;
    assert!(html.contains("xk2@example.gov.cn") && html.contains("water-environment") && html.contains("2021.1"), "{html}");
    server::sign_in(&s.base, "xk", "river-bank-lantern-42").await;
}

#[tokio::test]
async fn a_violation_is_recorded_from_the_form_and_counted() {
    let (s, _, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let r = gjb.post(s.url("/violations")).form(&[("unit", "竹行街道"), ("note", "")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请写明未执行的调度方案或指令"));
    let r = gjb.post(s.url("/violations")).form(&[("unit", "竹行街道"), ("note", "未按指令开闸")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, report) = s.get(&gjb, "/api/reports/2021Q1").await;
    let row = report["units"].as_array().unwrap().iter().find(|u| u["unit"] == "竹行街道").unwrap().clone();
    assert_eq!((row["points"].as_str(), row["violations"].as_u64()), (Some("0.01"), Some(1)));
    let (_, html) = page(&gjb, s.url("/violations")).await;
    assert!(html.contains("未按指令开闸"), "{html}");
}

/// Every redirect target a browser could turn into another site stays on
/// this one (and never costs a 5xx); the page lands on the user's own page.
#[tokio::test]
async fn sign_in_redirects_only_to_this_site_whatever_next_says() {
    let (s, _, _) = arrange().await;
    let variants = [
        "/\t/evil.example/x",
        "//evil.example/x",
        "/\\evil.example/x",
        "/\n/evil.example/x",
        "/\u{0b}/evil.example",
        "https://evil.example/x",
        "http:/\\evil.example",
        "\t//evil.example",
        "/\r\nSet-Cookie: x=1",
    ];
    for next in variants {
        let c = server::client();
        // As the form sends it (the browser decodes nothing more).
        let r = c.post(s.url("/login")).form(&[("username", "gjb"), ("password", PASSWORD), ("next", next)]).send().await.unwrap();
        assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/board"), "next={next:?}");
    }
    // As a link puts them in the sign-in page's address (the query decoded
    // once: `%09` is a tab): the page never keeps them for the form.
    for raw in [
        "/%09/evil.example/x",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%0A/evil.example",
        "/%0D%0ASet-Cookie:x",
        "https:%2F%2Fevil.example",
        "/%E3%80%80/evil.example",
    ] {
        let r = server::client().get(s.url(&format!("/login?next={raw}"))).send().await.unwrap();
        assert!(r.status().is_success(), "next={raw}: {}", r.status());
        let html = r.text().await.unwrap();
        assert!(!html.contains("evil.example") && !html.contains("Set-Cookie"), "next={raw} kept in the form: {html}");
    }
    let c = server::client();
    let r = c.post(s.url("/login")).form(&[("username", "gjb"), ("password", PASSWORD), ("next", "/issues?x=1")]).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/issues?x=1", "a local path is followed");
}

/// The security headers are on every page; API answers and signed-in pages
/// are not stored; the test clock is the admin's only.
#[tokio::test]
async fn pages_carry_the_security_headers_and_nothing_signed_in_is_cached() {
    let (s, w1, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    for path in ["/login".to_string(), "/board".to_string(), "/pool".to_string(), format!("/issues/{w1}"), "/reports".to_string(), "/no-such-page".to_string()]
    {
        let r = gjb.get(s.url(&path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(
            h["content-security-policy"].to_str().unwrap().split(';').take(2).collect::<Vec<_>>(),
            ["default-src 'self'", " frame-ancestors 'none'"],
            "{path}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    let r = gjb.get(s.url("/api/issues")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let r = gjb.get(s.url("/assets/app.css")).send().await.unwrap();
    assert_ne!(r.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "static assets may be cached");
    assert_eq!(server::client().get(s.url("/api/test-clock")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(gjb.get(s.url("/api/test-clock")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}
