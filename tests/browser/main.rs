//! End-to-end tests of the web UI in headless Chromium: every role does its
//! day's work through the pages, as a person would.

mod chrome;
mod corrections;
mod cycle;
#[path = "../support/require.rs"]
mod require;
mod screens;
mod server;
mod toolkit;

use chrome::Browser;
use fantoccini::Client;
use std::future::Future;

/// One browser at a time: two cores are shared by the whole test run.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `body` with a fresh browser, and ends the browser whatever happens.
pub async fn with_browser<F, Fut>(body: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some((chromium, driver)) = chrome::installed() else { return };
    let _one_at_a_time = BROWSER.lock().await;
    let browser = Browser::start(&chromium, &driver).await;
    let outcome = tokio::spawn(body(browser.client.clone())).await;
    browser.stop().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the browser test was cancelled: {e}"),
        }
    }
}
