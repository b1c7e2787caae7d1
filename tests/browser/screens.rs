//! Each role's main page on the demo data, at desktop and phone size, saved
//! under target/screenshots/ to be looked at (and shown in the README).

use crate::chrome::{DESKTOP, PHONE, Page, screenshot_dir};
use crate::server;
use crate::with_browser;

/// (user, page, screenshot name, the page's heading, a CSS selector that
/// only the page's own content matches, how many it must match at least).
const PAGES: &[(&str, &str, &str, &str, &str, usize)] = &[
    ("gongjianban", "/board", "dispatcher-board", "督办看板", "main table tbody tr", 5),
    ("gongjianban", "/pool", "dispatcher-pool", "待交办", "form[action='/pool/issues'] [name='code']", 1),
    ("zhongxing", "/my", "unit-my-issues", "我的问题", "main .card-link", 1),
    ("fuhe", "/recheck", "rechecker-queue", "待复核", "main a[href^='/issues/']", 1),
    ("kaohe", "/reports?q=2021Q1", "assessor-report", "2021Q1", "tr[data-unit]", 6),
    ("admin", "/admin", "admin", "系统管理", "main table tbody tr", 6),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_main_page_renders_on_desktop_and_phone() {
    with_browser(|c| async move {
        // A fresh folder: the count below must not include an earlier run's
        // files. Its subfolders are other tests' (corrections/), kept.
        for old in std::fs::read_dir(screenshot_dir()).into_iter().flatten().flatten().filter(|e| e.path().extension().is_some_and(|x| x == "png")) {
            let _ = std::fs::remove_file(old.path());
        }
        let server = server::start_demo().await;
        let p = Page { c: &c, base: &server.base };
        p.goto("/login").await;
        p.screenshot("sign-in-phone", PHONE).await;
        let mut signed_in = "";
        for (user, path, name, heading, own, at_least) in PAGES {
            if signed_in != *user {
                if !signed_in.is_empty() {
                    p.sign_out().await;
                }
                p.sign_in(user, jiaoban::demo::PASSWORD).await;
                signed_in = user;
            }
            p.goto(path).await;
            p.wait_text("#test-clock", "测试时钟").await;
            p.find(&format!("#me [data-user='{user}']")).await;
            p.wait_text("h1", heading).await;
            let found = p.c.find_all(fantoccini::Locator::Css(own)).await.unwrap().len();
            assert!(found >= *at_least, "{path} as {user}: {found} of `{own}`, expected at least {at_least}");
            p.screenshot(&format!("{name}-desktop"), DESKTOP).await;
            p.screenshot_full(&format!("{name}-desktop-full"), DESKTOP).await;
            p.screenshot(&format!("{name}-phone"), PHONE).await;
        }
        // The unit's report form, as the officer at the riverbank sees it.
        p.sign_out().await;
        p.sign_in("zhongxing", jiaoban::demo::PASSWORD).await;
        p.click("#rectifying .card-link, #rework .card-link").await;
        p.wait_text("main", "反馈整改情况").await;
        p.screenshot("unit-report-form-phone", PHONE).await;
        p.c.execute("document.querySelector('#report').scrollIntoView()", vec![]).await.unwrap();
        p.screenshot("unit-report-form-phone-scrolled", PHONE).await;
        let saved = std::fs::read_dir(screenshot_dir()).unwrap().filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))).count();
        assert_eq!(saved, 1 + PAGES.len() * 3 + 2, "every screenshot of this run saved in {}", screenshot_dir().display());
    })
    .await;
}
