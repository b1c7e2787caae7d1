//! The issue page's 督办 parts: 催办 with its count, and the history's
//! hash chain shown as 记录完整 (or its failure, in red).

use super::{arrange, page};
use crate::server::{self, PASSWORD};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

#[tokio::test]
async fn the_issue_page_says_its_record_is_intact_and_a_tampered_one_is_flagged() {
    let (s, w1, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (status, html) = page(&gjb, s.url(&format!("/issues/{w1}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("记录完整") && !html.contains("记录校验失败"), "{html}");
    // Dispatched 2021-03-01: the tiers begin on day 16 and 31, said as dates too.
    assert!(html.contains("还剩 16 天") && html.contains("3月17日起扣0.02分 · 4月1日起超期（扣0.05分）"), "{html}");

    // Someone edits a move in the database behind the service's back.
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rw", s.data_dir.join("jiaoban.db").display())).await.unwrap();
    db.execute_unprepared(&format!("UPDATE moves SET note = 'edited' WHERE issue_id = '{w1}' AND action = 'dispatch'")).await.unwrap();
    let (_, html) = page(&gjb, s.url(&format!("/issues/{w1}"))).await;
    assert!(html.contains("记录校验失败") && html.contains("id=\"integrity-alert\"") && !html.contains(">记录完整<"), "{html}");
}

#[tokio::test]
async fn gongjianban_chases_a_unit_from_the_issue_page_and_the_count_shows() {
    let (s, w1, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (_, html) = page(&gjb, s.url(&format!("/issues/{w1}"))).await;
    assert!(html.contains("id=\"chase\"") && html.contains(&format!("action=\"/issues/{w1}/chase\"")), "{html}");

    let r = gjb.post(s.url(&format!("/issues/{w1}/chase"))).form(&[("note", "请本周内完成整改")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()[LOCATION].to_str().unwrap().to_string();
    let (_, html) = page(&gjb, s.url(&location)).await;
    assert!(html.contains("已催办（第 1 次）") && html.contains("催办1次"), "{html}");
    assert!(html.contains("请本周内完成整改") && html.contains("<strong>催办</strong>"), "the chase is in the timeline: {html}");
    assert_eq!(s.issue("W-1").await["chases"], 1);

    // The unit sees the count but no 催办 form; a unit cannot chase.
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    let (_, html) = page(&zx, s.url(&format!("/issues/{w1}"))).await;
    assert!(html.contains("催办1次") && !html.contains("id=\"chase-button\""), "{html}");
    let r = zx.post(s.url(&format!("/issues/{w1}/chase"))).form(&[("note", "")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(s.issue("W-1").await["chases"], 1);
}
