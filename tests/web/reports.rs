//! The report page: the unit table has the workbook's columns in the
//! workbook's order, with the leader's figures, and the year's trend.

use super::{arrange, page, post_multipart};
use crate::server::{self, PASSWORD, png};
use reqwest::StatusCode;
use serde_json::json;

/// The text of each `<th>` of the table `id`.
fn headings(html: &str, id: &str) -> Vec<String> {
    let table = html.split(&format!("id=\"{id}\"")).nth(1).unwrap().split("</thead>").next().unwrap();
    table
        .split("<th")
        .skip(1)
        .filter(|th| th.starts_with('>') || th.starts_with(' '))
        .map(|th| th.split_once('>').unwrap().1.split("</th>").next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_report_page_shows_the_workbooks_unit_columns_in_order_with_the_figures() {
    let (s, w1, _) = arrange().await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    // 中兴街道 is chased once, fails a recheck once, and passes on day 3.
    assert_eq!(s.post(&gjb, &format!("/api/issues/{w1}/chase"), json!({})).await.0, StatusCode::OK);
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    let fh = server::sign_in(&s.base, "fh", PASSWORD).await;
    let photo = png(4, 4, [9, 9, 9]);
    post_multipart(&zx, s.url(&format!("/issues/{w1}/accept")), &[]).await;
    for (passed, note) in [("false", "仍有渗漏"), ("true", "")] {
        let (status, _, html) =
            post_multipart(&zx, s.url(&format!("/issues/{w1}/report")), &[("note", None, "已整改".as_bytes()), ("photos", Some("p.png"), &photo)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        let (status, _, html) =
            post_multipart(&fh, s.url(&format!("/issues/{w1}/recheck")), &[("passed", None, passed.as_bytes()), ("note", None, note.as_bytes())]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    }

    let kh = server::sign_in(&s.base, "kh", PASSWORD).await;
    let (status, html) = page(&kh, s.url("/reports?q=2021Q1")).await;
    assert_eq!(status, StatusCode::OK);
    let wf = jiaoban::core::Workflow::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml"))).unwrap();
    let columns = jiaoban::http::xlsx::unit_columns(&wf);
    assert_eq!(headings(&html, "units"), columns, "the page's columns are the workbook's");
    let row = html.split("<tr data-unit=\"中兴街道\">").nth(1).unwrap().split("</tr>").next().unwrap();
    let cells: Vec<&str> = row.split("\">").skip(1).map(|c| c.split("</td>").next().unwrap()).collect();
    // 单位, 扣分, 按时, 16–30天, 超过30天, 违规, 按期完成率, 返工率, 平均完成天数, 退回, 催办
    assert_eq!(cells, ["中兴街道", "0.00", "1", "0", "0", "0", "100%", "50%", "0.0", "0", "1"], "{row}");

    // The item links to its issue (ids looked up for the codes listed).
    assert!(html.contains(&format!("<a href=\"/issues/{w1}\">")), "{html}");

    // The trend of the year, and both workbooks still one click away.
    assert!(html.contains("id=\"trend-chart\"") && html.contains("<polyline") && html.contains("2021 年扣分趋势"), "{html}");
    assert!(html.contains("href=\"/api/reports/2021Q1?format=xlsx\"") && html.contains("href=\"/api/reports/2021?format=xlsx\""), "{html}");
    assert_eq!(headings(&html, "trend-table"), ["单位", "2021Q1", "2021Q2", "2021Q3", "2021Q4"]);
    let trend = html.split("data-trend-unit=\"中兴街道\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(trend.contains(">0.00<") && trend.contains(">—<"), "quarters not begun have no points yet: {trend}");
}
