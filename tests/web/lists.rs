//! The board's search, filters and page links over HTTP: the URL is the
//! search, the rows are the right ones, and closed or withdrawn issues are
//! found when asked for.

use super::{arrange, page};
use crate::server::{self, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

/// The codes of the board's rows, in order.
fn codes(html: &str) -> Vec<String> {
    let Some(table) = html.split("id=\"board\"").nth(1) else { return Vec::new() };
    table.split("<tr class=\"row-").skip(1).filter_map(|r| r.split("data-code=\"").nth(1)?.split('"').next().map(str::to_string)).collect()
}

#[tokio::test]
async fn the_board_searches_filters_and_pages_by_its_url() {
    let (s, _, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    // Seven more on 通启运河 for 中兴街道, three elsewhere for 竹行街道, dispatched on 2021-03-02.
    assert_eq!(s.advance("2021-03-02T09:00:00").await, StatusCode::OK);
    for n in 1..=10 {
        let (unit, location) = if n <= 7 { ("中兴街道", "通启运河东岸") } else { ("竹行街道", "竹行河") };
        let body = json!({"code": format!("T-{n:02}"), "unit": unit, "title": format!("雨污混接{n}"), "location": location, "source": "群众举报"});
        assert_eq!(s.post(&gjb, "/api/issues", body).await.0, StatusCode::CREATED);
    }
    assert_eq!(s.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);

    let (status, html) = page(&gjb, s.url("/board")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("共 12 条") && codes(&html).len() == 12, "{html}");
    assert_eq!(codes(&html)[..2], ["W-1", "W-2"], "the longest running first");

    // Words of the location, a page of three: four pages, the links keep the search.
    let (_, html) = page(&gjb, s.url("/board?q=%E9%80%9A%E5%90%AF%E8%BF%90%E6%B2%B3&per_page=3")).await;
    assert!(html.contains("共 7 条") && html.contains("第 1/3 页"), "{html}");
    assert_eq!(codes(&html), ["T-01", "T-02", "T-03"]);
    assert!(html.contains("value=\"通启运河\""), "the box keeps the words: {html}");
    let next = html.split("id=\"next-page\"").next().and_then(|h| h.rsplit("href=\"").next()).and_then(|h| h.split('"').next()).unwrap().replace("&#38;", "&");
    assert_eq!(next, "/board?q=%E9%80%9A%E5%90%AF%E8%BF%90%E6%B2%B3&per_page=3&page=2");
    let (_, html) = page(&gjb, s.url(&next)).await;
    assert_eq!(codes(&html), ["T-04", "T-05", "T-06"]);
    let (_, html) = page(&gjb, s.url("/board?q=%E9%80%9A%E5%90%AF%E8%BF%90%E6%B2%B3&per_page=3&page=3")).await;
    assert_eq!(codes(&html), ["T-07"]);

    // Unit, source and dispatch dates narrow; two words must both match.
    let (_, html) = page(&gjb, s.url("/board?unit=%E7%AB%B9%E8%A1%8C%E8%A1%97%E9%81%93&source=%E7%BE%A4%E4%BC%97%E4%B8%BE%E6%8A%A5")).await;
    assert_eq!(codes(&html), ["T-08", "T-09", "T-10"]);
    let (_, html) = page(&gjb, s.url("/board?from=2021-03-01&to=2021-03-01")).await;
    assert_eq!(codes(&html), ["W-1", "W-2"]);
    let (_, html) = page(&gjb, s.url("/board?q=%E9%9B%A8%E6%B1%A1+10")).await;
    assert_eq!(codes(&html), ["T-10"]);
    let (_, html) = page(&gjb, s.url("/board?from=2021-02-30")).await;
    assert!(html.contains("不是日期") && codes(&html).len() == 12, "a bad date is said, not a 400: {html}");

    // A withdrawn issue leaves the board, and the state filter finds it.
    let t1 = s.issue("T-01").await["id"].as_str().unwrap().to_string();
    let (status, body) = s.post(&gjb, &format!("/api/issues/{t1}/actions"), json!({"action": "withdraw", "note": "重复登记"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, html) = page(&gjb, s.url("/board")).await;
    assert!(!codes(&html).contains(&"T-01".to_string()) && html.contains("共 11 条"), "{html}");
    let (_, html) = page(&gjb, s.url("/board?state=withdrawn")).await;
    assert_eq!(codes(&html), ["T-01"]);
    let (_, html) = page(&gjb, s.url("/board?state=all&q=T-01")).await;
    assert_eq!(codes(&html), ["T-01"]);
    assert!(html.contains("<option value=\"all\" selected>"), "{html}");

    // The tiles count by colour and link to the same filters.
    assert_eq!(s.advance("2021-03-17T09:00:00").await, StatusCode::OK);
    let (_, html) = page(&gjb, s.url("/board")).await;
    assert!(html.contains("href=\"/board?state=running&#38;tier=1\"><span class=\"n\">2</span><span class=\"l\">已进入扣分档"), "{html}");
    let (_, html) = page(&gjb, s.url("/board?state=running&tier=1")).await;
    assert_eq!(codes(&html), ["W-1", "W-2"]);
    let (_, html) = page(&gjb, s.url("/board?colour=yellow")).await;
    assert_eq!(codes(&html), ["W-1", "W-2"], "an old bookmark still works");
}

#[tokio::test]
async fn the_board_shows_how_often_each_issue_was_chased_and_a_unit_searches_its_own() {
    let (s, w1, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    for _ in 0..2 {
        assert_eq!(s.post(&gjb, &format!("/api/issues/{w1}/chase"), json!({"note": "抓紧"})).await.0, StatusCode::OK);
    }
    let (_, html) = page(&gjb, s.url("/board")).await;
    let row = html.split("data-code=\"W-1\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains("催办2次"), "{row}");
    let row = html.split("data-code=\"W-2\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(!row.contains("催办"), "{row}");

    // A unit's list: its own issues only, whatever the search says.
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    let (_, html) = page(&zx, s.url("/my?q=W-2")).await;
    assert!(!html.contains("data-code=\"W-2\"") && !html.contains("data-code=\"W-1\""), "{html}");
    let (_, html) = page(&zx, s.url("/my?q=W-1&unit=%E7%AB%B9%E8%A1%8C%E8%A1%97%E9%81%93")).await;
    assert!(html.contains("data-code=\"W-1\"") && !html.contains("f-unit"), "{html}");
}

/// The board's order (days still counting first, then the oldest dispatch)
/// and its tier counts are SQL of their own: PostgreSQL runs them too.
#[tokio::test]
async fn the_board_orders_filters_and_counts_the_same_on_postgresql() {
    let Some(s) = server::start_postgres("2021-03-01T09:00:00").await else { return };
    s.unit("中兴街道").await;
    let gjb = s.user("gjb", "dispatcher", None).await;
    s.user("fh", "rechecker", None).await;
    for (code, at) in [("P-1", "2021-03-01T09:00:00"), ("P-2", "2021-03-02T09:00:00"), ("P-3", "2021-03-03T09:00:00")] {
        assert_eq!(s.advance(at).await, StatusCode::OK);
        assert_eq!(s.post(&gjb, "/api/issues", json!({"code": code, "unit": "中兴街道", "title": "排口"})).await.0, StatusCode::CREATED);
        assert_eq!(s.post(&gjb, "/api/dispatches", json!({})).await.0, StatusCode::CREATED);
    }
    // P-1 is withdrawn: off the board, found by the state filter.
    let p1 = s.issue("P-1").await["id"].as_str().unwrap().to_string();
    assert_eq!(s.post(&gjb, &format!("/api/issues/{p1}/actions"), json!({"action": "withdraw", "note": "重复"})).await.0, StatusCode::OK);
    assert_eq!(s.advance("2021-03-18T09:00:00").await, StatusCode::OK);
    // After the scheduled dispatch of the 16th: P-4 stays in the pool.
    assert_eq!(s.post(&gjb, "/api/issues", json!({"code": "P-4", "unit": "中兴街道", "title": "排口"})).await.0, StatusCode::CREATED);
    let (_, html) = page(&gjb, s.url("/board")).await;
    assert_eq!(codes(&html), ["P-2", "P-3"]);
    assert!(html.contains("<span class=\"n\">1</span><span class=\"l\">已进入扣分档"), "P-2 is on day 16: {html}");
    let (_, html) = page(&gjb, s.url("/board?state=all&per_page=2&page=2")).await;
    assert_eq!(codes(&html), ["P-1", "P-4"], "the pool last");
    let (_, html) = page(&gjb, s.url("/board?state=running&tier=0&q=%E6%8E%92%E5%8F%A3")).await;
    assert_eq!(codes(&html), ["P-3"]);
}
