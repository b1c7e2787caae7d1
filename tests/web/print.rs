//! The printable 交办单 of a dispatch list and of one unit's part of it:
//! what it says, who may open which part.

use super::{arrange, page};
use crate::server::{self, PASSWORD};
use reqwest::StatusCode;

/// The whole list's print link on 交办清单, and each unit's id by name.
async fn links(s: &crate::server::Server) -> (String, std::collections::HashMap<String, String>) {
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (_, html) = page(&gjb, s.url("/dispatches")).await;
    let whole = html.split("href=\"/dispatches/").nth(1).and_then(|h| h.split('"').next()).map(|h| format!("/dispatches/{h}")).expect("a print link");
    assert!(whole.ends_with("/print") && html.contains("打印中兴街道交办单"), "{html}");
    let (_, units) = s.get(&s.admin, "/api/units").await;
    let ids = units["units"].as_array().unwrap().iter().map(|u| (u["name"].as_str().unwrap().to_string(), u["id"].as_str().unwrap().to_string())).collect();
    (whole, ids)
}

#[tokio::test]
async fn the_whole_list_prints_one_sheet_per_unit_with_dates_and_signature_lines() {
    let (s, _, _) = arrange().await;
    let (whole, _) = links(&s).await;
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (status, html) = page(&gjb, s.url(&whole)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(html.matches("<article class=\"sheet\"").count(), 2, "one sheet per unit: {html}");
    for said in ["交办单", "交办单位", "攻坚办", "2021年3月1日", "影响水环境质量突出问题整改销号", "签收人", "签收日期", "data-print"]
    {
        assert!(html.contains(said), "{said}: {html}");
    }
    // Deadlines by tier as dates, from the dispatch date 2021-03-01.
    for said in ["3月16日前完成不扣分", "3月17日起扣0.02分", "4月1日起超期（扣0.05分）"] {
        assert!(html.contains(said), "{said}: {html}");
    }
    assert!(html.contains("data-code=\"W-1\"") && html.contains("data-code=\"W-2\""), "{html}");
    let css = server::client().get(s.url("/assets/app.css")).send().await.unwrap().text().await.unwrap();
    assert!(css.contains("@media print") && css.contains("size: A4"), "a print stylesheet for A4");
}

#[tokio::test]
async fn a_unit_prints_its_own_part_and_meets_404_on_anothers() {
    let (s, _, _) = arrange().await;
    let (whole, ids) = links(&s).await;
    let (zx_unit, zh_unit) = (&ids["中兴街道"], &ids["竹行街道"]);
    let own = format!("{whole}?unit={zx_unit}");

    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    let (status, html) = page(&zx, s.url(&own)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("data-code=\"W-1\"") && !html.contains("data-code=\"W-2\"") && html.matches("class=\"sheet\"").count() == 1, "{html}");
    assert!(html.contains("中兴街道") && html.contains("签收单位"), "{html}");
    for other in [format!("{whole}?unit={zh_unit}"), whole.clone(), format!("{whole}?unit=nonsense"), "/dispatches/no-such-list/print".to_string()] {
        let (status, html) = page(&zx, s.url(&other)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{other}: {html}");
        assert!(!html.contains("W-2"), "{html}");
    }

    // 攻坚办 and the assessor open any part; the rechecker has no business here.
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (status, html) = page(&gjb, s.url(&format!("{whole}?unit={zh_unit}"))).await;
    assert!(status == StatusCode::OK && html.contains("data-code=\"W-2\"") && !html.contains("data-code=\"W-1\""), "{html}");
    let kh = server::sign_in(&s.base, "kh", PASSWORD).await;
    assert_eq!(page(&kh, s.url(&own)).await.0, StatusCode::OK);
    let fh = server::sign_in(&s.base, "fh", PASSWORD).await;
    assert_eq!(page(&fh, s.url(&own)).await.0, StatusCode::FORBIDDEN);
}
