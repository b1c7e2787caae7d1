//! Corrections through the pages (rules.md, Corrections): a unit returns an
//! issue, 攻坚办 reassigns it, withdraws another, revokes a violation; each
//! form says what it needs before it is sent, and a refused one changes nothing.

use super::{arrange, page, post_multipart};
use crate::server::{self, PASSWORD};
use reqwest::StatusCode;

fn moves(issue: &serde_json::Value) -> usize {
    issue["history"].as_array().unwrap().len()
}

/// Between `<section … id="{id}"` and the section's end.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no section #{id} in {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn a_unit_returns_an_issue_from_its_page_and_gongjianban_reassigns_it_to_another_unit() {
    let (s, w1, _) = arrange().await;
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;

    // Before pressing anything: the reason is required, and the last day is d + 3.
    let (_, html) = page(&zx, s.url(&format!("/issues/{w1}"))).await;
    let form = section(&html, "return");
    assert!(form.contains("须填写说明") && form.contains("退回截止日：2021-03-04"), "{form}");
    assert!(form.contains("id=\"return-note\"") && form.contains("required") && form.contains("data-confirm="), "{form}");

    // Without a reason: 422, the error next to the field, nothing changed.
    let before = moves(&s.issue("W-1").await);
    let (status, _, html) = post_multipart(&zx, s.url(&format!("/issues/{w1}/return")), &[("note", None, b"  ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(section(&html, "return").contains("id=\"return-note-error\"") && html.contains("请写明退回理由"), "{html}");
    let issue = s.issue("W-1").await;
    assert_eq!((issue["state"].as_str(), moves(&issue)), (Some("assigned"), before), "nothing changed");

    let (status, location, _) = post_multipart(&zx, s.url(&format!("/issues/{w1}/return")), &[("note", None, "该排口属竹行街道辖区".as_bytes())]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, format!("/issues/{w1}?ok=return&code=W-1").as_str()));
    assert_eq!(s.issue("W-1").await["state"], "returned");
    let (_, html) = page(&zx, s.url(&location)).await;
    assert!(html.contains("已退回 W-1，等待攻坚办裁定") && section(&html, "pending-return").contains("该排口属竹行街道辖区"), "{html}");
    let (_, my) = page(&zx, s.url("/my")).await;
    assert!(section(&my, "returned").contains("W-1") && my.contains("已退回，待攻坚办裁定"), "{my}");

    // 攻坚办: the return waits on the board; the page offers the other units.
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (_, board) = page(&gjb, s.url("/board")).await;
    assert!(section(&board, "returned").contains("W-1") && section(&board, "returned").contains("该排口属竹行街道辖区"), "{board}");
    let (_, html) = page(&gjb, s.url(&format!("/issues/{w1}"))).await;
    let form = section(&html, "reassign");
    assert!(form.contains("<option value=\"竹行街道\"") && !form.contains("<option value=\"中兴街道\""), "{form}");
    assert!(section(&html, "reject-return").contains("须填写说明"), "{html}");

    let (status, _, html) = post_multipart(&gjb, s.url(&format!("/issues/{w1}/reassign")), &[("unit", None, b"")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(section(&html, "reassign").contains("请选择改派到的责任单位"), "{html}");
    assert_eq!(s.issue("W-1").await["state"], "returned");

    let (status, location, _) = post_multipart(&gjb, s.url(&format!("/issues/{w1}/reassign")), &[("unit", None, "竹行街道".as_bytes())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, html) = page(&gjb, s.url(&location)).await;
    assert!(html.contains("W-1 已改派给 竹行街道"), "{html}");
    let issue = s.issue("W-1").await;
    assert_eq!((issue["state"].as_str(), issue["unit"].as_str()), (Some("assigned"), Some("竹行街道")));

    // The new unit has it, with the history; the old one no longer does.
    let zh = server::sign_in(&s.base, "zh", PASSWORD).await;
    let (status, html) = page(&zh, s.url(&format!("/issues/{w1}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(section(&html, "timeline").contains("改派至 竹行街道") && html.contains("id=\"accept-button\""), "{html}");
    assert_eq!(page(&zx, s.url(&format!("/issues/{w1}"))).await.0, StatusCode::NOT_FOUND);
    assert!(!page(&zx, s.url("/my")).await.1.contains("data-code=\"W-1\""), "gone from the old unit's list");
    let (status, _, _) = post_multipart(&zx, s.url(&format!("/issues/{w1}/accept")), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = post_multipart(&zh, s.url(&format!("/issues/{w1}/accept")), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(s.issue("W-1").await["state"], "rectifying");
}

#[tokio::test]
async fn each_form_says_what_it_needs_and_the_return_window_closes_on_d_plus_3() {
    let (s, w1, w2) = arrange().await;
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    assert_eq!(post_multipart(&zx, s.url(&format!("/issues/{w1}/accept")), &[]).await.0, StatusCode::SEE_OTHER);
    let (_, html) = page(&zx, s.url(&format!("/issues/{w1}"))).await;
    let form = section(&html, "report");
    assert!(form.contains("须填写说明并上传至少 1 张照片"), "{form}");
    assert!(form.contains("<textarea id=\"note\" name=\"note\"") && form.contains("aria-required=\"true\""), "{form}");
    assert!(!html.contains("id=\"return\""), "signed for: no return any more");
    // Without a photo: the photo field says so, nothing moves.
    let (status, _, html) = post_multipart(&zx, s.url(&format!("/issues/{w1}/report")), &[("note", None, "已整改".as_bytes())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(section(&html, "report").contains("请上传至少 1 张整改后的现场照片"), "{html}");
    assert_eq!(s.issue("W-1").await["state"], "rectifying");

    // Day d + 4: the window closed on d + 3; the page says so and a return is refused.
    assert_eq!(s.advance("2021-03-05T09:00:00").await, StatusCode::OK);
    let zh = server::sign_in(&s.base, "zh", PASSWORD).await;
    let (_, html) = page(&zh, s.url(&format!("/issues/{w2}"))).await;
    assert!(section(&html, "return").contains("退回期限已于 2021-03-04 截止") && !html.contains("id=\"return-button\""), "{html}");
    let (status, _, html) = post_multipart(&zh, s.url(&format!("/issues/{w2}/return")), &[("note", None, "不是我们的".as_bytes())]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert_eq!(s.issue("W-2").await["state"], "assigned");
}

#[tokio::test]
async fn gongjianban_withdraws_an_issue_and_revokes_a_violation_through_the_pages() {
    let (s, _, w2) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (_, html) = page(&gjb, s.url(&format!("/issues/{w2}"))).await;
    let form = section(&html, "withdraw");
    assert!(form.contains("须填写说明") && form.contains("尚未定分：撤销后不再计分") && form.contains("data-confirm="), "{form}");
    let (status, _, html) = post_multipart(&gjb, s.url(&format!("/issues/{w2}/withdraw")), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(section(&html, "withdraw").contains("请写明撤销理由"), "{html}");
    assert_eq!(s.issue("W-2").await["state"], "assigned");
    let (status, location, _) = post_multipart(&gjb, s.url(&format!("/issues/{w2}/withdraw")), &[("note", None, "与 W-1 重复".as_bytes())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = page(&gjb, s.url(&location)).await;
    assert!(html.contains("W-2 已撤销，不再计分") && section(&html, "withdrawn").contains("与 W-1 重复"), "{html}");
    assert!(!html.contains("<form method=\"post\" action=\"/issues/"), "a withdrawn issue offers no move");
    let (_, board) = page(&gjb, s.url("/board")).await;
    assert!(!board.contains("data-code=\"W-2\""), "a withdrawn issue is not on the board: {board}");
    let zh = server::sign_in(&s.base, "zh", PASSWORD).await;
    let (_, my) = page(&zh, s.url("/my")).await;
    let done = &my[my.find("class=\"group done\"").expect("the done list")..];
    assert!(done.contains("W-2") && done.contains("已撤销"), "{my}");

    // A violation: the form says the note is required; revoked with its reason.
    let (_, html) = page(&gjb, s.url("/violations")).await;
    assert!(html.contains("id=\"violation-needs\"") && html.contains("须填写说明"), "{html}");
    let r = gjb.post(s.url("/violations")).form(&[("unit", "竹行街道"), ("note", "未按指令开闸")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&gjb, s.url("/violations")).await;
    let id = html.split("action=\"/violations/").nth(1).and_then(|r| r.split('/').next()).expect("a revoke form").to_string();
    assert!(html.contains("尚未封存）：撤销后从 2021Q1 删除这笔扣分"), "the confirmation says what happens to points: {html}");
    let points = |report: serde_json::Value| report["units"].as_array().unwrap().iter().find(|u| u["unit"] == "竹行街道").unwrap()["points"].clone();
    let revoke = |note: &'static str| gjb.post(s.url(&format!("/violations/{id}/revoke"))).form(&[("note", note), ("q", "2021Q1")]).send();
    let r = revoke("").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请写明撤销理由"));
    assert_eq!(points(s.get(&gjb, "/api/reports/2021Q1").await.1), "0.01", "nothing changed");
    let r = revoke("记错单位").await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/violations?q=2021Q1&ok=revoked&unit=%E7%AB%B9%E8%A1%8C%E8%A1%97%E9%81%93")
    );
    assert_eq!(points(s.get(&gjb, "/api/reports/2021Q1").await.1), "0.00");
    let (_, html) = page(&gjb, s.url("/violations?q=2021Q1")).await;
    let row = &html[html.find(&format!("id=\"violation-{id}\"")).unwrap()..];
    assert!(row.contains("已撤销") && row.contains("撤销理由：记错单位") && !row[..row.find("</li>").unwrap()].contains("<form"), "{html}");
    assert_eq!(revoke("再来一次").await.unwrap().status(), StatusCode::CONFLICT, "once only");
}

/// A charged issue withdrawn after its quarter froze: the form says a
/// correction will be booked, and the open quarter's report shows it.
#[tokio::test]
async fn a_withdrawal_after_the_freeze_shows_as_a_correction_and_the_year_score_nets_it() {
    let (s, w1, _) = arrange().await;
    // Day d + 31 (2021-04-01) charges 0.05 in Q2; Q2 froze after 2021-07-10.
    assert_eq!(s.advance("2021-07-12T09:00:00").await, StatusCode::OK);
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (_, html) = page(&gjb, s.url(&format!("/issues/{w1}"))).await;
    assert!(section(&html, "withdraw").contains("已计扣分 0.05（2021Q2，已封存）：2021Q2 不变，在 2021Q3 记一笔更正 -0.05"), "{html}");
    let (status, _, _) = post_multipart(&gjb, s.url(&format!("/issues/{w1}/withdraw")), &[("note", None, "登记有误".as_bytes())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = page(&gjb, s.url("/reports?q=2021Q3")).await;
    let corrections = &html[html.find("id=\"corrections\"").expect("a corrections table")..];
    assert!(corrections.contains("更正 2021Q2") && corrections.contains("撤销问题 W-1") && corrections.contains("-0.05"), "{html}");
    let year = &html[html.find("id=\"year\"").expect("the year table")..];
    let row = &year[year.find("data-year-unit=\"中兴街道\"").unwrap()..];
    assert!(row.contains(">0.00<") && row.contains(">3.00<"), "0.05 in Q2, −0.05 in Q3: {year}");
    let (_, html) = page(&gjb, s.url("/reports?q=2021Q2")).await;
    assert!(html.contains("W-1") && !html.contains("id=\"corrections\""), "the frozen quarter is as it was");
}
