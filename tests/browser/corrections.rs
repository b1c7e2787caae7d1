//! Corrections walked through the pages: the unit returns an issue that is
//! not its own, 攻坚办 finds it on the board and reassigns it, the new unit
//! signs and reports with a photo; a violation recorded by mistake is
//! revoked; an overdue issue withdrawn after its quarter froze shows as a
//! correction on the open quarter's report. Screenshots of the forms under
//! target/screenshots/corrections/.

use crate::chrome::{DESKTOP, PHONE, Page};
use crate::server::{self, PASSWORD, png};
use crate::with_browser;
use serde_json::json;

const CODE: &str = "W-2021-951";
/// Never signed for: 0.05 when day d+31 (2021-04-01) begins, in 2021Q2.
const OVERDUE: &str = "W-2021-952";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_returns_an_issue_gongjianban_reassigns_it_and_the_new_unit_signs_in_chromium() {
    with_browser(|c| async move {
        let s = server::start("2021-03-01T08:00:00").await;
        s.unit("中兴街道").await;
        s.unit("竹行街道").await;
        let gjb = s.user("gjb", "dispatcher", None).await;
        s.user("zx", "unit", Some("中兴街道")).await;
        s.user("zh", "unit", Some("竹行街道")).await;
        for (code, title) in [(CODE, "竹行河北岸雨水口晴天排水"), (OVERDUE, "新开港闸口漂浮垃圾")] {
            let body = json!({"code": code, "unit": "中兴街道", "title": title, "location": "竹行河北岸"});
            assert_eq!(s.post(&gjb, "/api/issues", body).await.0, reqwest::StatusCode::CREATED);
        }
        assert_eq!(s.post(&gjb, "/api/dispatches", json!({})).await.0, reqwest::StatusCode::CREATED);
        let id = s.issue(CODE).await["id"].as_str().unwrap().to_string();
        let p = Page { c: &c, base: &s.base };
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("整改后.png");
        std::fs::write(&photo, png(24, 16, [30, 140, 90])).unwrap();

        // The unit: the return form says what it needs and the last day.
        p.sign_in("zx", PASSWORD).await;
        p.wait_text("#to-sign", CODE).await;
        p.click(&format!("#to-sign [data-code='{CODE}'] .card-link")).await;
        p.wait_text("#return", "退回截止日：2021-03-04").await;
        p.wait_text("#return-needs", "须填写说明").await;
        p.screenshot_full("corrections/unit-return-form-desktop-full", DESKTOP).await;
        p.screenshot_full("corrections/unit-return-form-phone-full", PHONE).await;
        p.fill("#return-note", "该雨水口位于竹行街道辖区").await;
        p.click("#return-button").await;
        p.accept_confirm().await;
        p.wait_text("#flash", "已退回").await;
        p.wait_text("#state", "退回待定").await;
        p.goto("/my").await;
        p.wait_text("#returned", CODE).await;
        p.sign_out().await;

        // A day later 攻坚办 finds it on the board and reassigns it.
        assert_eq!(s.advance("2021-03-02T09:00:00").await, reqwest::StatusCode::OK);
        p.sign_in("gjb", PASSWORD).await;
        p.wait_text("#returned", "该雨水口位于竹行街道辖区").await;
        p.screenshot("corrections/dispatcher-board-returned-desktop", DESKTOP).await;
        p.click("#returned .queue-link").await;
        p.wait_text("#pending-return", "该雨水口位于竹行街道辖区").await;
        p.wait_text("#reassign", "新单位从今天（2021-03-02）起算时限").await;
        p.screenshot_full("corrections/dispatcher-ruling-desktop-full", DESKTOP).await;
        p.screenshot_full("corrections/dispatcher-ruling-phone-full", PHONE).await;
        p.select("#reassign-unit", "竹行街道").await;
        p.click("#reassign-button").await;
        p.accept_confirm().await;
        p.wait_text("#flash", "已改派给 竹行街道").await;
        p.wait_text("#timeline", "改派至 竹行街道").await;

        // A violation recorded against the wrong unit, revoked with its reason.
        p.goto("/violations").await;
        p.select("#v-unit", "中兴街道").await;
        p.fill("#v-note", "3月1日未按调度指令开启新开港闸").await;
        p.click("#violation-submit").await;
        p.accept_confirm().await;
        p.wait_text("#flash", "已记录").await;
        p.click("#violations .revoke summary").await;
        p.wait_text("#violations .revoke", "撤销后从 2021Q1 删除这笔扣分").await;
        p.screenshot_full("corrections/violations-desktop-full", DESKTOP).await;
        p.screenshot_full("corrections/violations-phone-full", PHONE).await;
        p.fill("#violations .revoke textarea", "记错单位，应为竹行街道").await;
        p.click("#violations .revoke-button").await;
        p.accept_confirm().await;
        p.wait_text("#flash", "已撤销中兴街道的这条违规记录").await;
        p.wait_text("#violations", "撤销理由：记错单位").await;
        p.screenshot_full("corrections/violations-revoked-phone-full", PHONE).await;
        p.sign_out().await;

        // The new unit: a fresh d (today), signs, reports with a photo.
        p.sign_in("zh", PASSWORD).await;
        p.wait_text("#to-sign", CODE).await;
        p.wait_text("#to-sign", "交办 2021-03-02").await;
        p.click("#to-sign .sign-button").await;
        p.wait_text("#flash", "已签收").await;
        p.goto(&format!("/issues/{id}")).await;
        p.wait_text("#report-needs", "须填写说明并上传至少 1 张照片").await;
        p.fill("#note", "已封堵晴天排水的雨水口").await;
        p.attach("#photos", &photo).await;
        p.click("#report-button").await;
        p.wait_text("#flash", "已提交整改反馈").await;
        p.wait_text("#state", "已反馈").await;
        p.sign_out().await;

        // The unit it was taken from no longer has it.
        p.sign_in("zx", PASSWORD).await;
        p.goto(&format!("/issues/{id}")).await;
        p.wait_text("h1", "没有找到").await;
        p.goto("/my").await;
        p.sign_out().await;

        // After 2021Q2 froze (due 2021-07-10): withdrawing the overdue issue
        // leaves Q2 as it is and refunds it in Q3; the form says so first.
        assert_eq!(s.advance("2021-07-12T09:00:00").await, reqwest::StatusCode::OK);
        let overdue = s.issue(OVERDUE).await["id"].as_str().unwrap().to_string();
        p.sign_in("gjb", PASSWORD).await;
        p.goto(&format!("/issues/{overdue}")).await;
        p.click("#withdraw summary").await;
        p.wait_text("#withdraw-fact", "2021Q2 不变，在 2021Q3 记一笔更正 -0.05").await;
        p.fill("#withdraw-note", "与 W-2021-951 重复登记").await;
        p.click("#withdraw-button").await;
        p.accept_confirm().await;
        p.wait_text("#flash", "已撤销").await;
        p.wait_text("#withdrawn", "与 W-2021-951 重复登记").await;
        p.goto("/reports?q=2021Q3").await;
        p.wait_text("#corrections", "更正 2021Q2").await;
        p.wait_text("#corrections", "-0.05").await;
        p.wait_text("#year tr[data-year-unit='中兴街道']", "3.00").await;
        p.screenshot_full("corrections/report-correction-desktop-full", DESKTOP).await;
        p.screenshot_full("corrections/report-correction-phone-full", PHONE).await;
    })
    .await;
}
