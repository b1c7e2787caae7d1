//! Debian's Chromium driven through chromedriver (WebDriver), headless,
//! with a fresh profile per browser.
//!
//! Without Chromium the browser tests fail, unless skipping was allowed
//! (tests/support/require.rs): CI must never pass by running nothing.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const DESKTOP: (u32, u32) = (1366, 900);
pub const PHONE: (u32, u32) = (390, 844);

/// Chromium and chromedriver, or `None` when skipping them is allowed.
pub fn installed() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var("JIAOBAN_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    let driver = std::env::var("JIAOBAN_CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.into());
    let ok = Path::new(&chromium).exists() && Path::new(&driver).exists();
    crate::require::present("chromium", ok, &format!("{chromium} and {driver}: apt-get install chromium chromium-driver"))
        .then(|| (chromium.into(), driver.into()))
}

/// One WebDriver session on its own chromedriver process and profile.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start(chromium: &Path, driver: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // Chromium takes its UI language (file pickers…) from the environment.
        let mut driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .env("LANGUAGE", "zh_CN:zh")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--no-first-run".into(),
            "--lang=zh-CN".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        });
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => {
                    let _ = driver.kill();
                    panic!("cannot start a Chromium session through chromedriver: {e}");
                }
            }
        };
        Browser { client, driver, _profile: profile }
    }

    /// Ends the session (Chromium exits) and stops chromedriver.
    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Page helpers on a client; every wait is bounded.
pub struct Page<'a> {
    pub c: &'a Client,
    pub base: &'a str,
}

const WAIT: Duration = Duration::from_secs(15);

impl Page<'_> {
    pub async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.c.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.c.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => panic!("no `{css}` on {}: {e}", self.path().await),
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    pub async fn select(&self, css: &str, label: &str) {
        self.find(css).await.select_by_label(label).await.unwrap_or_else(|e| panic!("select {label} in `{css}`: {e}"));
    }

    /// Chooses a local file in a file input.
    pub async fn attach(&self, css: &str, file: &Path) {
        self.find(css).await.send_keys(&file.display().to_string()).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits until the text of `css` contains `expected`; returns the text.
    pub async fn wait_text(&self, css: &str, expected: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = match self.c.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(expected) {
                return text;
            }
            if Instant::now() > deadline {
                let body = self.c.find(Locator::Css("body")).await.unwrap().text().await.unwrap_or_default();
                panic!("`{css}` never showed `{expected}` on {} (it shows `{text}`); page:\n{body}", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn accept_confirm(&self) {
        let deadline = Instant::now() + WAIT;
        while self.c.accept_alert().await.is_err() {
            assert!(Instant::now() < deadline, "no confirm dialog appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn sign_in(&self, username: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("#sign-in").await;
        // The header names the person (姓名); the user name is its data.
        self.find(&format!("#me [data-user='{username}']")).await;
    }

    pub async fn sign_out(&self) {
        self.click("#logout").await;
        self.wait_text("#flash", "您已安全退出").await;
    }

    /// Saves what the window shows as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str, size: (u32, u32)) -> PathBuf {
        self.shoot(name, size, false).await
    }

    /// The whole page, as tall as it is (at most 4000 pixels).
    pub async fn screenshot_full(&self, name: &str, size: (u32, u32)) -> PathBuf {
        self.shoot(name, size, true).await
    }

    async fn shoot(&self, name: &str, size: (u32, u32), full: bool) -> PathBuf {
        self.c.set_window_size(size.0, size.1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        if full {
            let inner = self.c.execute("return [document.documentElement.scrollHeight, window.innerHeight, window.outerHeight]", vec![]).await.unwrap();
            let (page, inner, outer) = (inner[0].as_u64().unwrap_or(0), inner[1].as_u64().unwrap_or(0), inner[2].as_u64().unwrap_or(0));
            let height = (page + outer.saturating_sub(inner)).min(4000) as u32;
            self.c.set_window_size(size.0, height.max(size.1)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let png = self.c.screenshot().await.unwrap();
        // `name` may hold a folder (`corrections/…`): one test's pictures apart.
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png).unwrap();
        self.c.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();
        path
    }

    /// Whether every image inside `css` has loaded (the server sent a real picture).
    pub async fn images_loaded(&self, css: &str) -> (usize, bool) {
        let script = format!(
            "const imgs = Array.from(document.querySelectorAll({css:?} + ' img')); return [imgs.length, imgs.every(i => i.complete && i.naturalWidth > 0)];"
        );
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.c.execute(&script, vec![]).await.unwrap();
            let (n, ok) = (v[0].as_u64().unwrap_or(0) as usize, v[1].as_bool().unwrap_or(false));
            if ok || Instant::now() > deadline {
                return (n, ok);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}
