//! The real service on port 0 with its own SQLite database and data dir,
//! as `tests/api` starts it; shared by the browser tests and `tests/web.rs`.
#![allow(dead_code)]

use jiaoban::startup::{Application, Config};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;

pub const ADMIN_PASSWORD: &str = "jiaoban2021";
pub const PASSWORD: &str = "password-123";

pub struct Server {
    pub base: String,
    pub admin: reqwest::Client,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the service on a test clock; `demo` seeds it as `jiaoban demo`
/// does (the clock must then start at the demo's start).
pub async fn start(test_clock: &str, demo: bool) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        smtp_url: None,
        workflow: concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml").into(),
        test_clock: Some(test_clock.into()),
        public_url: None,
        admin_password: Some(ADMIN_PASSWORD.into()),
    };
    let application = Application::build(config).await.expect("the service starts");
    if demo {
        jiaoban::demo::seed(&application.app).await.expect("the demo seeds");
    }
    let base = format!("http://127.0.0.1:{}", application.port());
    let task = tokio::spawn(async move {
        application.run_until_stopped(std::future::pending()).await.unwrap();
    });
    let admin = sign_in(&base, "admin", ADMIN_PASSWORD).await;
    Server { base, admin, data_dir: dir.path().to_path_buf(), _dir: dir, task }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A client signed in through the API (same cookie as the sign-in form).
pub async fn sign_in(base: &str, username: &str, password: &str) -> reqwest::Client {
    let c = client();
    let r = c.post(format!("{base}/api/session")).json(&json!({"username": username, "password": password})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "sign in as {username}");
    c
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, c: &reqwest::Client, path: &str, body: Value) -> (StatusCode, Value) {
        let r = c.post(self.url(path)).json(&body).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, c: &reqwest::Client, path: &str) -> (StatusCode, Value) {
        let r = c.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn unit(&self, name: &str) {
        let (s, body) = self.post(&self.admin, "/api/units", json!({"name": name, "emails": [format!("unit{}@example.gov.cn", name.chars().count())]})).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }

    pub async fn user(&self, username: &str, role: &str, unit: Option<&str>) {
        let (s, body) = self.post(&self.admin, "/api/users", json!({"username": username, "password": PASSWORD, "role": role, "unit": unit})).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }

    /// Moves the test clock (as admin, through the API) and runs what is owed.
    pub async fn advance(&self, now: &str) {
        let (s, body) = self.post(&self.admin, "/api/test-clock", json!({"now": now})).await;
        assert_eq!(s, StatusCode::OK, "advance to {now}: {body}");
    }

    /// The issue with `code`, as the API shows it to admin (with history).
    pub async fn issue(&self, code: &str) -> Value {
        let (_, list) = self.get(&self.admin, &format!("/api/issues?code={code}")).await;
        let id = list["issues"][0]["id"].as_str().unwrap_or_else(|| panic!("no issue {code}: {list}")).to_string();
        self.get(&self.admin, &format!("/api/issues/{id}")).await.1
    }
}

/// A tiny valid PNG (solid colour): signature, IHDR, one stored-deflate IDAT, IEND.
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    // Each scanline: filter byte 0 (none), then the pixels.
    let line: Vec<u8> = std::iter::once(0).chain(rgb.iter().copied().cycle().take(3 * width as usize)).collect();
    let raw: Vec<u8> = line.iter().copied().cycle().take(line.len() * height as usize).collect();
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    assert!(raw.len() < 65536, "one stored block");
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend((raw.len() as u16).to_le_bytes());
    zlib.extend((!(raw.len() as u16)).to_le_bytes());
    zlib.extend(&raw);
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A multipart/form-data body by hand: (name, filename, bytes) parts.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----jiaobanTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes()),
            None => body.extend(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
