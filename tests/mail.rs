//! Mail end to end: lettre → a real SMTP server (aiosmtpd, its own process,
//! tests/support/smtp_sink.py) → raw `.eml` files → Python's `email`
//! package. Both ends are independent of lettre, so a header lettre writes
//! and only lettre could read would fail here.
//!
//! Needs `python3` with `aiosmtpd` (`pip install aiosmtpd`). Without it the
//! SMTP tests are skipped on a developer machine and fail under CI (`CI`
//! set), where a skip would hide a missing install step.

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, FixedOffset};
use jiaoban::mail::{self, Attachment, OutgoingMail, Transport};
use serde_json::Value;
use std::io::Cursor;
use std::path::Path;
use std::process::Command;

#[path = "support/require.rs"]
mod require;
#[path = "support/sink.rs"]
mod sink;

use sink::{Sink, python_ready};
const FROM: &str = "交办系统 <jiaoban@example.org>";

/// Reads an `.eml` with Python's `email` package (RFC 2047 subjects, RFC
/// 2231 file names) and returns what a mail client would show.
fn parse_eml(path: &Path) -> Value {
    const PARSER: &str = r#"
import email, json, sys
from email import policy
from email.utils import getaddresses, parsedate_to_datetime
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
addrs = lambda name: [a for _, a in getaddresses([str(h) for h in msg.get_all(name, [])])]
print(json.dumps({
    "key": msg["X-Jiaoban-Key"],
    "date": parsedate_to_datetime(msg["Date"]).isoformat(),
    "message_id": msg["Message-ID"],
    "subject": str(msg["Subject"]),
    "from": str(msg["From"]),
    "to": addrs("To"), "cc": addrs("Cc"),
    "body": msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n"),
    "attachments": [{"filename": p.get_filename(), "type": p.get_content_type(),
                     "hex": p.get_payload(decode=True).hex()} for p in msg.iter_attachments()],
    "defects": [repr(d) for part in msg.walk() for d in part.defects],
}, ensure_ascii=False))
"#;
    let out = Command::new("python3").args(["-c", PARSER]).arg(path).output().expect("python3 runs");
    assert!(out.status.success(), "python could not parse {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["defects"], serde_json::json!([]), "{} is not clean MIME", path.display());
    parsed
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn warning_mail() -> OutgoingMail {
    let issue = mail::IssueRef { code: "W-2021-031", title: "通富路雨水口污水直排", unit: "崇川区", dispatched_on: "2021-03-16" };
    let (subject, body) = mail::reminder_subject_and_body(&mail::ReminderMail::Warn { issue, tier_day: 16, tier_date: "2021-04-01", points: "0.02" }, None);
    OutgoingMail {
        key: "warn-16:0190a0b1-issue".into(),
        to: vec!["chongchuan@example.org".into(), "cc-hb@example.org".into()],
        cc: vec!["gjb@example.org".into()],
        subject,
        body,
        attachment: None,
        date: at("2021-03-29T08:30:00+08:00"),
    }
}

fn list_mail() -> (OutgoingMail, Vec<u8>) {
    let rows = vec![vec!["W-2021-032".into(), "=坝埂阻水".into(), "阻水障碍物".into(), "12345移交".into(), "新开河".into(), "2021-03-16".into()]];
    let xlsx = mail::xlsx_table("交办清单", &mail::DISPATCH_COLUMNS, &rows).unwrap();
    let mail = OutgoingMail {
        key: "dispatch:2021-03-16T09:00:00:unit-b".into(),
        to: vec![],
        cc: vec!["gjb@example.org".into()],
        subject: "【交办】开发区 交办清单（1项）".into(),
        body: mail::dispatch_mail_body("开发区", "2021-03-16T09:00:00", &rows),
        attachment: Some(Attachment { filename: "交办清单-2021-03-16.xlsx".into(), content_type: mail::XLSX_CONTENT_TYPE.into(), bytes: xlsx.clone() }),
        date: at("2021-03-16T09:00:00+08:00"),
    };
    (mail, xlsx)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn smtp_delivers_each_mail_with_its_key_date_subject_recipients_and_attachment() {
    if !python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    let sink = Sink::start(None);
    let transport = Transport::from_url(Some(&sink.url("")), Path::new("unused")).unwrap();
    let (list, xlsx) = list_mail();
    for m in [warning_mail(), list] {
        transport.send(&mail::build_message(FROM, &m).unwrap(), &m.key).await.unwrap();
    }
    drop(transport);

    let paths = sink.wait_for(2);
    let (warn, list) = (parse_eml(&paths[0]), parse_eml(&paths[1]));
    assert_eq!(warn["key"], "warn-16:0190a0b1-issue");
    assert_eq!(warn["date"], "2021-03-29T08:30:00+08:00");
    assert_eq!(warn["subject"], "【预警】W-2021-031 将于2021-04-01满16天");
    assert_eq!(warn["from"], FROM);
    assert_eq!(warn["to"], serde_json::json!(["chongchuan@example.org", "cc-hb@example.org"]));
    assert_eq!(warn["cc"], serde_json::json!(["gjb@example.org"]));
    assert!(warn["body"].as_str().unwrap().starts_with("崇川区：\n\n问题“通富路雨水口污水直排”"), "{}", warn["body"]);
    assert_eq!(warn["attachments"], serde_json::json!([]));
    assert_eq!(sink.envelope(&paths[0])["rcpt_tos"], serde_json::json!(["chongchuan@example.org", "cc-hb@example.org", "gjb@example.org"]));

    assert_eq!(list["key"], "dispatch:2021-03-16T09:00:00:unit-b");
    assert_eq!(list["date"], "2021-03-16T09:00:00+08:00");
    assert_eq!(list["subject"], "【交办】开发区 交办清单（1项）");
    assert_eq!(list["to"], serde_json::json!(["gjb@example.org"]), "a cc-only mail goes to its copies");
    assert_eq!(list["cc"], serde_json::json!([]));
    assert!(list["body"].as_str().unwrap().contains("W-2021-032  =坝埂阻水"), "{}", list["body"]);
    let file = &list["attachments"][0];
    assert_eq!(file["filename"], "交办清单-2021-03-16.xlsx");
    assert_eq!(file["type"], mail::XLSX_CONTENT_TYPE);
    assert_eq!(file["hex"], hex(&xlsx), "the attachment arrives byte for byte");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let range = book.worksheet_range("交办清单").unwrap();
    assert_eq!(range.get_value((1, 1)).map(ToString::to_string).as_deref(), Some("'=坝埂阻水"));

    assert!(sink.stop().success(), "the sink exits cleanly on SIGTERM");
}

#[tokio::test]
async fn smtp_urls_with_credentials_authenticate_and_wrong_ones_fail() {
    if !python_ready("import aiosmtpd", "python3 with aiosmtpd") {
        return;
    }
    let sink = Sink::start(Some("jiaoban:s3cret"));
    let message = mail::build_message(FROM, &warning_mail()).unwrap();

    let wrong = Transport::from_url(Some(&sink.url("jiaoban:nope@")), Path::new("unused")).unwrap();
    assert!(wrong.send(&message, "warn-16:0190a0b1-issue").await.is_err(), "a wrong password must not count as sent");

    let right = Transport::from_url(Some(&sink.url("jiaoban:s3cret@")), Path::new("unused")).unwrap();
    right.send(&message, "warn-16:0190a0b1-issue").await.unwrap();
    let paths = sink.wait_for(1);
    assert_eq!(parse_eml(&paths[0])["key"], "warn-16:0190a0b1-issue");
    assert!(sink.stop().success());
}

#[tokio::test]
async fn without_smtp_each_mail_becomes_a_parsable_eml_named_after_its_key() {
    if !python_ready("import email", "python3") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let transport = Transport::from_url(None, data.path()).unwrap();
    let (list, xlsx) = list_mail();
    transport.send(&mail::build_message(FROM, &list).unwrap(), &list.key).await.unwrap();

    let path = data.path().join("mail").join("dispatch_2021-03-16T09_00_00_unit-b.eml");
    assert_eq!(transport.eml_path(&list.key).as_deref(), Some(path.as_path()));
    let parsed = parse_eml(&path);
    assert_eq!(parsed["key"], list.key.as_str());
    assert_eq!(parsed["date"], "2021-03-16T09:00:00+08:00");
    assert_eq!(parsed["subject"], list.subject.as_str());
    assert_eq!(parsed["attachments"][0]["hex"], hex(&xlsx));
    let names: Vec<_> = std::fs::read_dir(data.path().join("mail")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file is left behind: {names:?}");
}
