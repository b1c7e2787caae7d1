//! The whole path through the pages: 攻坚办 registers and dispatches, the
//! unit signs and reports with a photo, the rechecker fails it, the unit
//! reports again, the rechecker passes, 攻坚办 closes; then the report page
//! shows the points once the test clock has passed the tiers. And a unit
//! never sees another unit's issue or photo.

use crate::chrome::{DESKTOP, PHONE, Page};
use crate::server::{self, PASSWORD, Server, png};
use crate::with_browser;
use reqwest::StatusCode;

/// 2021-02-01 is d: day 20 lands in the 16–30 tier, d+31 = 2021-03-04 in Q1.
const START: &str = "2021-02-01T09:00:00";

async fn arrange() -> Server {
    let server = server::start(START).await;
    for unit in ["中兴街道", "竹行街道"] {
        server.unit(unit).await;
    }
    server.user("gjb", "dispatcher", None).await;
    server.user("zx", "unit", Some("中兴街道")).await;
    server.user("zh", "unit", Some("竹行街道")).await;
    server.user("fh", "rechecker", None).await;
    server
}

async fn register(p: &Page<'_>, code: &str, unit: &str, title: &str) {
    p.goto("/pool").await;
    p.fill("#code", code).await;
    p.select("#unit", unit).await;
    p.fill("#title", title).await;
    p.select("#source", "巡查发现").await;
    p.select("#category", "入河污染源").await;
    p.fill("#location", "通启运河东岸").await;
    p.click("#register-submit").await;
    p.wait_text("#flash", &format!("已登记 {code}")).await;
}

async fn report(p: &Page<'_>, issue: &str, note: &str, photo: &std::path::Path) {
    p.goto(&format!("/issues/{issue}")).await;
    p.fill("#note", note).await;
    p.attach("#photos", photo).await;
    p.click("#report-button").await;
    p.wait_text("#flash", "已提交整改反馈").await;
    p.wait_text("#state", "已反馈").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_walks_an_issue_from_registration_to_close_out_in_chromium() {
    with_browser(|c| async move {
        let server = arrange().await;
        let p = Page { c: &c, base: &server.base };
        let photos = tempfile::tempdir().unwrap();
        let photo = photos.path().join("现场.png");
        std::fs::write(&photo, png(24, 16, [40, 120, 200])).unwrap();

        // 攻坚办: a rejected form keeps what was typed and says why, in Chinese.
        p.sign_in("gjb", PASSWORD).await;
        assert_eq!(p.path().await, "/board");
        p.goto("/pool").await;
        p.fill("#code", "W-2021-901").await;
        p.click("#register-submit").await;
        p.wait_text("#title-error", "请填写问题标题").await;
        p.wait_text("#unit-error", "请选择责任单位").await;
        assert_eq!(p.find("#code").await.prop("value").await.unwrap().as_deref(), Some("W-2021-901"));
        register(&p, "W-2021-901", "中兴街道", "通启运河东岸排污口疑似偷排").await;
        register(&p, "W-2021-902", "竹行街道", "竹行河雨污混接排口").await;
        p.click("#dispatch-now").await;
        p.accept_confirm().await;
        p.wait_text("#flash", "已交办 2 个问题").await;
        p.wait_text("main", "中兴街道").await;
        p.sign_out().await;
        let issue = server.issue("W-2021-901").await;
        let id = issue["id"].as_str().unwrap().to_string();

        // The unit signs on its phone-friendly list, then reports with a photo.
        p.sign_in("zx", PASSWORD).await;
        assert_eq!(p.path().await, "/my");
        p.wait_text("#to-sign", "W-2021-901").await;
        p.wait_text("#to-sign", "还剩 16 天").await;
        p.click("#to-sign .sign-button").await;
        p.wait_text("#flash", "已签收").await;
        p.wait_text("#rectifying", "W-2021-901").await;
        report(&p, &id, "已封堵排口，清理岸坡垃圾", &photo).await;
        p.sign_out().await;

        // The rechecker: a fail without a reason is refused, the photo kept.
        p.sign_in("fh", PASSWORD).await;
        assert_eq!(p.path().await, "/recheck");
        p.wait_text("main", "W-2021-901").await;
        p.wait_text("main", "已等待").await;
        let (n, loaded) = p.images_loaded("main").await;
        assert!(n >= 1 && loaded, "the unit's photo shows in the queue ({n} images)");
        p.goto(&format!("/issues/{id}")).await;
        p.attach("#photos", &photo).await;
        p.click("#fail-button").await;
        p.wait_text("#note-error", "复核不通过时，请写明原因").await;
        p.wait_text(".kept", "已保留上次上传的 1 个文件").await;
        p.fill("#note", "排口仍有渗漏").await;
        p.click("#fail-button").await;
        p.wait_text("#flash", "已退回责任单位").await;
        p.sign_out().await;

        // Day 20: the unit finds it returned with the reason, reports again.
        assert_eq!(server.advance("2021-02-21T10:00:00").await, reqwest::StatusCode::OK);
        p.sign_in("zx", PASSWORD).await;
        p.wait_text("#rework", "排口仍有渗漏").await;
        report(&p, &id, "已彻底封堵", &photo).await;
        p.sign_out().await;

        p.sign_in("fh", PASSWORD).await;
        p.goto(&format!("/issues/{id}")).await;
        p.fill("#note", "现场复核通过").await;
        p.click("#pass-button").await;
        p.wait_text("#flash", "已复核通过").await;
        p.sign_out().await;

        // 攻坚办 closes it out; the timeline holds every move and photo.
        p.sign_in("gjb", PASSWORD).await;
        p.goto("/closeout").await;
        p.click("#closeout .close-button").await;
        p.wait_text("#flash", "W-2021-901 已销号").await;
        p.goto(&format!("/issues/{id}")).await;
        p.wait_text("#state", "已销号").await;
        let timeline = p.text("#timeline").await;
        let labels: Vec<&str> = ["登记", "交办", "签收", "反馈", "复核不通过", "反馈", "复核通过", "销号"].to_vec();
        let mut rest = timeline.as_str();
        for label in &labels {
            let at = rest.find(label).unwrap_or_else(|| panic!("timeline lacks {label} in order:\n{timeline}"));
            rest = &rest[at + label.len()..];
        }
        let (n, loaded) = p.images_loaded("#timeline").await;
        assert_eq!((n, loaded), (3, true), "two reports and the failed recheck carry a photo each");
        assert_eq!(p.text("#points").await, "0.02");
        p.wait_text(".facts", "20 天（交办至通过复核的那次反馈）").await;
        p.screenshot_full("issue-detail-desktop-full", DESKTOP).await;
        p.screenshot_full("issue-detail-phone-full", PHONE).await;

        // The report: 0.02 for day 20; 902 is carried over until day 31 begins.
        p.goto("/reports?q=2021Q1").await;
        p.wait_text("#units tr[data-unit='中兴街道'] .points", "0.02").await;
        p.wait_text("#open", "W-2021-902").await;
        assert!(p.text("#frozen").await.contains("未封存"));
        assert_eq!(server.advance("2021-03-05T10:00:00").await, reqwest::StatusCode::OK);
        p.goto("/reports?q=2021Q1").await;
        p.wait_text("#units tr[data-unit='竹行街道'] .points", "0.05").await;
        p.wait_text("#total", "0.07").await;
        p.wait_text("#chart", "0.05").await;
        assert!(p.text("main").await.contains("没有未定分的问题"));
        p.sign_out().await;

        // Another unit: neither the issue page nor the photo exists for it.
        let photo_id =
            server.issue("W-2021-901").await["history"].as_array().unwrap().iter().find_map(|m| m["attachments"][0].as_str().map(str::to_string)).unwrap();
        p.sign_in("zh", PASSWORD).await;
        p.goto(&format!("/issues/{id}")).await;
        p.wait_text("h1", "没有找到").await;
        p.goto(&format!("/files/{photo_id}")).await;
        p.wait_text("h1", "没有找到").await;
        let zh = server::sign_in(&server.base, "zh", PASSWORD).await;
        for path in [format!("/issues/{id}"), format!("/files/{photo_id}")] {
            assert_eq!(zh.get(server.url(&path)).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{path}");
        }
        let zx = server::sign_in(&server.base, "zx", PASSWORD).await;
        let own = zx.get(server.url(&format!("/files/{photo_id}"))).send().await.unwrap();
        assert_eq!(own.status(), StatusCode::OK);
        assert_eq!(own.headers()["content-type"], "image/png");
    })
    .await;
}
