//! The 督办 toolkit walked in Chromium on the demo data: 攻坚办 searches and
//! filters the board, opens an issue and chases it; the unit finds the
//! chase in 消息 and reads it; the 交办单 is printed (a print preview
//! screenshot and a PDF on A4, one page per unit). Screenshots under
//! target/screenshots/toolkit/.

use crate::chrome::{DESKTOP, PHONE, Page, screenshot_dir};
use crate::server;
use crate::with_browser;
use jiaoban::demo::PASSWORD;

/// The demo's units and their users' logins.
const UNITS: [(&str, &str); 6] = [
    ("中兴街道", "zhongxing"),
    ("竹行街道", "zhuhang"),
    ("新开街道", "xinkai"),
    ("老洪港管理办公室", "laohonggang"),
    ("区住建局", "zhujianju"),
    ("区生态环境局", "shengtaiju"),
];

/// Applies the page's `@media print` rules on screen at A4 width: what
/// the print preview shows, as a screenshot.
const AS_PRINTED: &str = r#"
for (const sheet of document.styleSheets) {
  for (const rule of Array.from(sheet.cssRules)) {
    if (rule instanceof CSSMediaRule && rule.media.mediaText.includes('print')) { rule.media.mediaText = 'all'; }
  }
}
document.body.style.padding = '12mm';
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gongjianban_searches_chases_the_unit_reads_it_and_the_dispatch_list_prints_on_a4() {
    with_browser(|c| async move {
        let server = server::start_demo().await;
        let p = Page { c: &c, base: &server.base };

        // 攻坚办 searches the board, then narrows it to the issues the units hold.
        p.sign_in("gongjianban", PASSWORD).await;
        p.fill("#q", "排污口").await;
        p.click("#search-button").await;
        p.wait_text("#total", "共").await;
        assert!(p.path().await.starts_with("/board?q="), "the search is in the URL: {}", p.path().await);
        let titles = p.text("#board tbody").await;
        assert!(titles.lines().all(|l| !l.contains("W-2021") || titles.contains("排污口")), "{titles}");
        p.click("#search summary").await;
        p.select("#f-state", "待签收和整改中").await;
        p.click("#filter-button").await;
        p.wait_text("#total", "共").await;
        assert!(p.path().await.contains("state=running"), "{}", p.path().await);
        p.screenshot_full("toolkit/board-filtered-phone-full", PHONE).await;
        p.screenshot_full("toolkit/board-filtered-desktop-full", DESKTOP).await;

        // The first issue of the search: its page, its deadlines as dates, 催办.
        let code = p.find("#board tbody tr").await.attr("data-code").await.unwrap().expect("a row");
        p.click(&format!("#board tr[data-code='{code}'] td a")).await;
        p.wait_text("#issue-title", "排污口").await;
        p.wait_text(".deadline", "日起").await;
        p.wait_text("main", "记录完整").await;
        p.fill("#chase-note", "请本周五前完成整改并反馈").await;
        p.click("#chase-button").await;
        p.accept_confirm().await;
        p.wait_text("#flash", "已催办（第 1 次）").await;
        p.wait_text("#chases", "催办1次").await;
        p.wait_text("#timeline", "请本周五前完成整改并反馈").await;
        p.screenshot_full("toolkit/issue-chased-desktop-full", DESKTOP).await;
        p.goto(&format!("/board?q={code}")).await;
        p.wait_text(&format!("#board tr[data-code='{code}']"), "催办1次").await;
        p.sign_out().await;

        // The unit: the count in the header, the chase in 消息, read.
        let unit = server.issue(&code).await["unit"].as_str().unwrap().to_string();
        let login = UNITS.iter().find(|(name, _)| *name == unit).map(|(_, login)| *login).unwrap();
        p.sign_in(login, PASSWORD).await;
        p.find("#unread-count").await;
        p.click("#inbox-link").await;
        p.wait_text("#messages", &format!("【催办】{code}")).await;
        p.wait_text("#messages", "请本周五前完成整改并反馈").await;
        p.screenshot("toolkit/unit-inbox-phone", PHONE).await;
        p.click("#read-all").await;
        p.wait_text("#flash", "全部消息已标为已读").await;
        assert!(c.find(fantoccini::Locator::Css("#unread-count")).await.is_err(), "the badge is gone");
        p.goto("/password").await;
        p.wait_text("#devices", "本设备").await;
        p.screenshot("toolkit/unit-password-phone", PHONE).await;
        p.sign_out().await;

        // The 交办单 of the first list: on screen, as printed, and as a PDF.
        p.sign_in("gongjianban", PASSWORD).await;
        p.goto("/dispatches").await;
        p.click(".batch .print-link").await;
        p.wait_text(".sheet-title", "交办单").await;
        let sheets = c.find_all(fantoccini::Locator::Css("article.sheet")).await.unwrap().len();
        p.screenshot("toolkit/print-sheet-desktop", DESKTOP).await;
        let pdf = c.print(fantoccini::wd::PrintConfiguration::default()).await.expect("Chromium prints the page");
        let pdf_path = screenshot_dir().join("toolkit/jiaoban-print.pdf");
        std::fs::write(&pdf_path, &pdf).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert!(pages >= sheets, "one A4 page (at least) per unit's sheet: {pages} pages, {sheets} sheets");
        c.execute(AS_PRINTED, vec![]).await.unwrap();
        p.screenshot_full("toolkit/print-preview-a4", (794, 1123)).await;

        // The report page with its trend, and the audit log.
        p.goto("/reports?q=2021Q1").await;
        p.wait_text("#trend", "扣分趋势").await;
        p.screenshot_full("toolkit/report-desktop-full", DESKTOP).await;
        p.screenshot_full("toolkit/report-phone-full", PHONE).await;
        for (css, name) in [("#units", "report-units"), ("#trend", "report-trend")] {
            c.execute(&format!("document.querySelector('{css}').scrollIntoView()"), vec![]).await.unwrap();
            p.screenshot(&format!("toolkit/{name}-desktop"), DESKTOP).await;
        }
        c.set_window_size(PHONE.0, PHONE.1).await.unwrap();
        c.execute("document.querySelector('#trend').scrollIntoView()", vec![]).await.unwrap();
        p.screenshot("toolkit/report-trend-phone", PHONE).await;
        p.sign_out().await;
        p.sign_in("admin", PASSWORD).await;
        p.click("#audit-link").await;
        p.wait_text("#audit", "登录").await;
        p.screenshot("toolkit/admin-audit-desktop", DESKTOP).await;
    })
    .await;
}
