//! 消息 over HTTP: a unit finds its dispatch notice in the app, the header
//! counts what it has not read, and reading it brings the count down.

use super::{arrange, page};
use crate::server::{self, PASSWORD};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

/// The header's unread count (0 when no badge is shown).
fn unread(html: &str) -> u64 {
    html.split("id=\"unread-count\"").nth(1).and_then(|b| b.split_once('>')).and_then(|(_, rest)| rest.split('<').next()?.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_unit_reads_its_dispatch_notice_in_the_app_and_the_header_count_drops() {
    let (s, w1, _) = arrange().await;
    // The list mail waits for the next working moment; the clock passes it.
    assert_eq!(s.advance("2021-03-01T10:00:00").await, StatusCode::OK);
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    let (status, html) = page(&zx, s.url("/inbox")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("【交办】中兴街道 交办清单（1项）") && html.contains("W-1") && html.contains("class=\"message unread\""), "{html}");
    assert!(!html.contains("竹行街道 交办清单"), "another unit's notice is not ours: {html}");
    let before = unread(&html);
    assert!(before >= 1, "the header counts it: {html}");

    // The count is on every page.
    let (_, my) = page(&zx, s.url(&format!("/issues/{w1}"))).await;
    assert_eq!(unread(&my), before);

    let id = html.split("class=\"message unread\" id=\"m").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let r = zx.post(s.url(&format!("/inbox/{id}/read"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&zx, s.url(r.headers()[LOCATION].to_str().unwrap())).await;
    assert_eq!(unread(&html), before - 1, "{html}");
    assert!(html.contains("已标为已读"), "{html}");

    // Another unit cannot mark it; 全部已读 clears the badge.
    let zh = server::sign_in(&s.base, "zh", PASSWORD).await;
    assert_eq!(zh.post(s.url(&format!("/inbox/{id}/read"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    assert_eq!(s.post(&gjb, &format!("/api/issues/{w1}/chase"), serde_json::json!({"note": "请加快"})).await.0, StatusCode::OK);
    let (_, html) = page(&zx, s.url("/inbox")).await;
    assert!(html.contains("【催办】W-1") && unread(&html) >= 1, "{html}");
    assert_eq!(zx.post(s.url("/inbox/read")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&zx, s.url("/inbox")).await;
    assert!(unread(&html) == 0 && !html.contains("id=\"unread-count\"") && !html.contains("class=\"message unread\""), "{html}");
}
