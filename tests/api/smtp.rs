//! The service over a real SMTP server process (tests/support/smtp_sink.py):
//! a dispatch list and a reminder arrive once each, with their keys.

use crate::helpers::*;
use crate::sink::{Sink, python_ready};
use reqwest::StatusCode;
use serde_json::json;

/// Every mail the sink has received, once `at_least` have arrived.
fn received(sink: &Sink, at_least: usize) -> Vec<String> {
    sink.wait_for(at_least);
    sink.received().iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines().find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(": ")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_lists_and_reminders_go_out_over_smtp_once() {
    if !python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    let sink = Sink::start(None);
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_on(dir, None, "2021-03-01T08:00:00", Some(sink.url(""))).await;
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
