//! Each role's main page on the demo data, at desktop and phone size, saved
//! under target/screenshots/ to be looked at (and shown in the README).

use crate::chrome::{screenshot_dir, Page, DESKTOP, PHONE};
use crate::server;
use crate::with_browser;

const PAGES: &[(&str, &str, &str)] = &[
    ("gongjianban", "/board", "dispatcher-board"),
    ("gongjianban", "/pool", "dispatcher-pool"),
    ("zhongxing", "/my", "unit-my-issues"),
    ("fuhe", "/recheck", "rechecker-queue"),
    ("kaohe", "/reports?q=2021Q1", "assessor-report"),
    ("admin", "/admin", "admin"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_main_page_renders_on_desktop_and_phone() {
    with_browser(|c| async move {
        let server = server::start_demo().await;
        let p = Page { c: &c, base: &server.base };
        p.goto("/login").await;
        p.screenshot("sign-in-phone", PHONE).await;
        let mut signed_in = "";
        for (user, path, name) in PAGES {
            if signed_in != *user {
                if !signed_in.is_empty() {
                    p.sign_out().await;
                }
                p.sign_in(user, jiaoban::demo::PASSWORD).await;
                signed_in = user;
            }
            p.goto(path).await;
            p.wait_text("#test-clock", "测试时钟").await;
            p.wait_text("#me", user).await;
            p.screenshot(&format!("{name}-desktop"), DESKTOP).await;
            p.screenshot_full(&format!("{name}-desktop-full"), DESKTOP).await;
            p.screenshot(&format!("{name}-phone"), PHONE).await;
        }
        // The unit's report form, as the officer at the riverbank sees it.
        p.sign_out().await;
        p.sign_in("zhongxing", jiaoban::demo::PASSWORD).await;
        p.click("#rectifying .card-link, #returned .card-link").await;
        p.wait_text("main", "反馈整改情况").await;
        p.screenshot("unit-report-form-phone", PHONE).await;
        p.c.execute("document.querySelector('#report').scrollIntoView()", vec![]).await.unwrap();
        p.screenshot("unit-report-form-phone-scrolled", PHONE).await;
        let saved = std::fs::read_dir(screenshot_dir()).unwrap().count();
        assert!(saved >= PAGES.len() * 2, "screenshots saved in {}", screenshot_dir().display());
    })
    .await;
}
