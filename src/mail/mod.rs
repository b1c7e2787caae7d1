//! Mail: a thin adapter between the outbox and the wire.
//!
//! - [`OutgoingMail`] is plain data: what the outbox row says, nothing more.
//! - [`build_message`] (message.rs) turns it into a MIME message with the
//!   `X-Jiaoban-Key` header and the `Date` of its sending instant.
//! - [`Transport`] (transport.rs) puts it on SMTP, or into `.eml` files when
//!   no SMTP server is configured.
//! - [`xlsx_table`] (xlsx.rs) makes the workbook attached to list mails and
//!   served as reports.
//! - text.rs renders the Chinese subjects and bodies; every number in them
//!   (tier days, points, hours) is a parameter, because the workflow owns them.
//!
//! Nothing here decides *whether* or *when* a mail is owed: the core and the
//! scheduler do. This module only makes the bytes and moves them.

mod message;
mod text;
mod transport;
mod xlsx;

pub use message::{JiaobanKey, build_message};
pub use text::{DISPATCH_COLUMNS, IssueRef, ReminderMail, dispatch_mail_body, display_width, reminder_subject_and_body};
pub use transport::{Transport, failure_reason};
pub use xlsx::{Book, Cell, Sheet, XLSX_CONTENT_TYPE, escape_cell, xlsx_book, xlsx_sheets, xlsx_table};

use chrono::{DateTime, FixedOffset};

/// One mail as the outbox keeps it, ready to be built and sent.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The reminder key (rules.md, Reminders); unique for ever.
    pub key: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    /// Plain text, Simplified Chinese.
    pub body: String,
    pub attachment: Option<Attachment>,
    /// The sending instant: on the test clock, the instant the mail was owed,
    /// not the wall clock — so it comes in as data, never from `now()`.
    pub date: DateTime<FixedOffset>,
}

/// A file attached to a mail (in practice the list as `.xlsx`).
#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Makes a key safe as a file name and as the local part of a Message-ID.
///
/// Keys hold `:` (`dispatch:2021-03-16T09:00:00:<unit>`), which Windows file
/// systems and RFC 5322 ids both refuse. The mapping is injective — ASCII
/// letters, digits and `-` stay, `:` becomes `_`, every other byte becomes
/// `%XX` (so a literal `_` is `%5F`) — because two keys sharing one file
/// would silently overwrite a mail that must exist exactly once.
pub(crate) fn sanitize_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => out.push(byte as char),
            b':' => out.push('_'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize_key;

    #[test]
    fn sanitized_keys_keep_their_readable_parts() {
        assert_eq!(sanitize_key("dispatch:2021-03-16T09:00:00:u-1"), "dispatch_2021-03-16T09_00_00_u-1");
        assert_eq!(sanitize_key("recheck-wait:abc:2"), "recheck-wait_abc_2");
    }

    #[test]
    fn sanitizing_never_maps_two_keys_to_one_name() {
        assert_ne!(sanitize_key("a:b"), sanitize_key("a_b"));
        assert_ne!(sanitize_key("a/b"), sanitize_key("a%2Fb"));
        assert_eq!(sanitize_key("../x"), "%2E%2E%2Fx");
        assert_eq!(sanitize_key("单位"), "%E5%8D%95%E4%BD%8D");
    }
}
