//! The service over a real SMTP server process (tests/support/smtp_sink.py):
//! a dispatch list and a reminder arrive once each, with their keys.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Sink {
    child: std::process::Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the sink, or returns None (skip) when aiosmtpd is missing outside CI.
fn sink() -> Option<Sink> {
    let ready = Command::new("python3").args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if !ready {
        assert!(std::env::var_os("CI").is_none(), "CI: aiosmtpd is required (pip install aiosmtpd)");
        eprintln!("SKIPPED: pip install aiosmtpd to run the SMTP test");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py"))
        .args(["--port", "0", "--exit-on-stdin-eof", "--dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().strip_prefix("READY ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("sink not ready: {line}"));
    Some(Sink { child, dir, port })
}

fn received(sink: &Sink, at_least: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mails: Vec<String> = std::fs::read_dir(sink.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        if mails.len() >= at_least || Instant::now() > deadline {
            return mails;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines().find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(": ")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_lists_and_reminders_go_out_over_smtp_once() {
    let Some(sink) = sink() else { return };
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_on(dir, None, "2021-03-01T08:00:00", Some(format!("smtp://127.0.0.1:{}", sink.port))).await;
    app.unit("中兴街道").await;
    let dispatcher = app.user("gjb", "dispatcher", None).await;
    let (s, _) = app.post(&dispatcher, "/api/issues", json!({"code": "W-1", "unit": "中兴街道", "title": "排口"})).await;
    assert_eq!(s, StatusCode::CREATED);
    // The 09:00 list of the 1st, then warn-16 at 08:30 on Monday 03-15.
    assert_eq!(app.advance("2021-03-15T09:00:00").await, StatusCode::OK);
    assert_eq!(app.advance("2021-03-15T09:00:00").await, StatusCode::OK);
    let mails = received(&sink, 2);
    let mut keys: Vec<&str> = mails.iter().filter_map(|m| header(m, "X-Jiaoban-Key")).collect();
    keys.sort();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[0].starts_with("dispatch:2021-03-01T09:00:00:"), "{keys:?}");
    assert!(keys[1].starts_with("warn-16:"), "{keys:?}");
    let warn = mails.iter().find(|m| header(m, "X-Jiaoban-Key").is_some_and(|k| k.starts_with("warn-16"))).unwrap();
    assert_eq!(header(warn, "Date"), Some("Mon, 15 Mar 2021 08:30:00 +0800"));
    let list = mails.iter().find(|m| header(m, "X-Jiaoban-Key").is_some_and(|k| k.starts_with("dispatch"))).unwrap();
    assert!(list.contains("u12@example.org"), "sent to the unit's address");
    assert!(list.contains(".xlsx"), "the list is attached");
}
