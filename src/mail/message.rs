//! [`OutgoingMail`] → [`lettre::Message`].
//!
//! lettre already does the hard parts (RFC 2047 subjects, RFC 2231 file
//! names, a transfer encoding for the Chinese body); this file only adds what
//! jiaoban's contract asks for: the key header, the sending instant as
//! `Date`, a stable Message-ID, and cc-only mails.

use super::{OutgoingMail, sanitize_key};
use anyhow::{Context, bail};
use lettre::Message;
use lettre::message::header::{self, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

/// `X-Jiaoban-Key: <key>` — how the acceptance checks, and a person reading
/// the raw mail, tell which reminder a mail is. A typed header rather than
/// a raw one so it can be read back with `headers().get::<JiaobanKey>()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiaobanKey(pub String);

impl Header for JiaobanKey {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Jiaoban-Key")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(JiaobanKey(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        // `new` encodes and folds, so even a key with odd bytes cannot
        // inject a header line.
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Builds the MIME message: text/plain UTF-8 body, plus the attachment as
/// multipart/mixed when there is one.
///
/// A mail with no `to` but some `cc` (a unit whose address list is empty
/// still has its copy to 攻坚办) is sent *to* the copies: an empty `To:` makes
/// some servers and clients drop or mangle the mail, and the copy holders
/// are then the real readers anyway.
pub fn build_message(from: &str, mail: &OutgoingMail) -> anyhow::Result<Message> {
    let from: Mailbox = from.parse().with_context(|| format!("invalid sender address {from:?}"))?;
    let (to, cc) = if mail.to.is_empty() { (&mail.cc, &[][..]) } else { (&mail.to, &mail.cc[..]) };
    if to.is_empty() {
        bail!("mail {} has no recipients", mail.key);
    }
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(mail.subject.clone())
        .header(JiaobanKey(mail.key.clone()))
        .message_id(Some(message_id(&mail.key, mail, &from)))
        .date(mail.date.into());
    for address in to {
        builder = builder.to(mailbox(address, &mail.key)?);
    }
    for address in cc {
        builder = builder.cc(mailbox(address, &mail.key)?);
    }
    let text = SinglePart::plain(mail.body.clone());
    let mut message = match &mail.attachment {
        None => builder.singlepart(text),
        Some(file) => {
            let content_type = ContentType::parse(&file.content_type).with_context(|| format!("invalid attachment content type {:?}", file.content_type))?;
            let part = lettre::message::Attachment::new(file.filename.clone()).body(file.bytes.clone(), content_type);
            builder.multipart(MultiPart::mixed().singlepart(text).singlepart(part))
        }
    }
    .with_context(|| format!("failed to build mail {}", mail.key))?;
    set_local_date(&mut message, mail);
    Ok(message)
}

fn mailbox(address: &str, key: &str) -> anyhow::Result<Mailbox> {
    address.trim().parse().with_context(|| format!("mail {key}: invalid recipient address {address:?}"))
}

/// lettre's `Date` can only print UTC (`+0000`). The same instant written in
/// the mail's own offset (`+0800`) is what the office reads in the raw mail
/// and what the spec's local times say, so the header is rewritten after
/// building. (Writing it before `build` does not work: lettre cannot parse
/// a non-GMT date back and would replace it with the wall clock.)
fn set_local_date(message: &mut Message, mail: &OutgoingMail) {
    let value = mail.date.to_rfc2822();
    message.headers_mut().insert_raw(HeaderValue::dangerous_new_pre_encoded(header::Date::name(), value.clone(), value));
}

/// A Message-ID derived from the key and the sending instant, not random:
/// if the process dies between the server's `250 OK` and the outbox marking
/// the row sent, the retry carries the same id and mail clients can fold the
/// two copies into one. The instant keeps ids distinct across databases that
/// reuse a key such as `quarter-report:2021Q1`.
fn message_id(key: &str, mail: &OutgoingMail, from: &Mailbox) -> String {
    format!("<{}.{}@{}>", sanitize_key(key), mail.date.timestamp(), from.email.domain())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Attachment;
    use chrono::DateTime;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            key: "warn-16:abc".into(),
            to: vec![],
            cc: vec!["gjb@example.org".into()],
            subject: "【预警】W-2021-031 将满16天".into(),
            body: "崇川区：\n\n请抓紧整改。".into(),
            attachment: None,
            date: DateTime::parse_from_rfc3339("2021-03-29T08:30:00+08:00").unwrap(),
        }
    }

    fn text(message: &Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[test]
    fn a_mail_with_only_copies_is_sent_to_the_copies() {
        let message = build_message("jiaoban@example.org", &mail()).unwrap();
        let raw = text(&message);
        assert!(raw.contains("To: gjb@example.org\r\n"), "{raw}");
        assert!(!raw.contains("Cc:"), "{raw}");
        assert_eq!(message.envelope().to().len(), 1);
    }

    #[test]
    fn the_key_and_the_local_sending_instant_are_headers() {
        let message = build_message("交办系统 <jiaoban@example.org>", &mail()).unwrap();
        let raw = text(&message);
        assert!(raw.contains("X-Jiaoban-Key: warn-16:abc\r\n"), "{raw}");
        assert!(raw.contains("Date: Mon, 29 Mar 2021 08:30:00 +0800\r\n"), "{raw}");
        assert!(raw.contains("Message-ID: <warn-16_abc.1616977800@example.org>\r\n"), "{raw}");
        assert!(raw.contains("Subject: =?utf-8?"), "{raw}");
        assert_eq!(message.headers().get::<JiaobanKey>(), Some(JiaobanKey("warn-16:abc".into())));
    }

    #[test]
    fn the_attachment_makes_a_mixed_multipart() {
        let mut m = mail();
        m.to = vec!["unit@example.org".into()];
        m.attachment = Some(Attachment { filename: "交办清单.xlsx".into(), content_type: crate::mail::XLSX_CONTENT_TYPE.into(), bytes: vec![1, 2, 3] });
        let raw = text(&build_message("jiaoban@example.org", &m).unwrap());
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("Cc: gjb@example.org\r\n"), "{raw}");
        assert!(raw.contains("utf-8''%E4%BA%A4%E5%8A%9E"), "{raw}");
    }

    #[test]
    fn a_mail_without_recipients_or_with_a_bad_address_is_refused() {
        let mut m = mail();
        m.cc.clear();
        assert!(build_message("jiaoban@example.org", &m).is_err());
        m.to = vec!["not an address".into()];
        let err = build_message("jiaoban@example.org", &m).unwrap_err();
        assert!(format!("{err:#}").contains("not an address"));
    }
}
