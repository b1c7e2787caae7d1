//! The outbox: mails are rows first, sent later.
//!
//! A mail is inserted in the same transaction as the change that causes it,
//! under its unique key, so it is neither lost (SMTP down → it waits and is
//! retried with backoff) nor sent twice (the key is unique, ever).

use super::{App, AppResult};
use crate::core::LocalTime;
use crate::db::entities::outbox;
use crate::mail::{Attachment, OutgoingMail, Transport};
use chrono::TimeZone;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, EntityTrait, Set};

pub struct NewMail {
    pub key: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub attachment: Option<(String, Vec<u8>)>,
    pub send_after: LocalTime,
    /// Who sees it in the app's inbox (消息).
    pub audience: Audience,
}

/// Whom a mail is meant for inside the service: a unit's users, or the
/// users of a role (攻坚办's mails to dispatchers, recheck mails to the
/// rechecker, quarter mails to the assessor and 攻坚办).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Unit(String),
    Dispatcher,
    Rechecker,
    Quarter,
}

impl Audience {
    fn columns(&self) -> (Option<String>, &'static str) {
        match self {
            Audience::Unit(id) => (Some(id.clone()), "unit"),
            Audience::Dispatcher => (None, "dispatcher"),
            Audience::Rechecker => (None, "rechecker"),
            Audience::Quarter => (None, "quarter"),
        }
    }
}

/// Queues a mail unless one with the same key was ever queued.
pub async fn enqueue(db: &impl ConnectionTrait, mail: NewMail) -> AppResult<()> {
    let row = new_row(mail);
    outbox::Entity::insert(row).on_conflict_do_nothing_on([outbox::Column::Key]).exec_without_returning(db).await?;
    Ok(())
}

/// A mail whose content may grow until it is sent — the dispatch mail of
/// an instant, which names every list dispatched to the unit then (rules.md:
/// lists of one instant make one mail, one key). The first list's row is
/// held back for `gather` on the real clock, so a second list in the same
/// instant extends it before any sender takes it; an already sent mail is
/// never touched.
pub async fn enqueue_or_extend(db: &impl ConnectionTrait, mail: NewMail, gather: std::time::Duration) -> AppResult<()> {
    let mut row = new_row(mail);
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    row.retry_at = Set(Some(wall + gather.as_millis() as i64));
    let update = OnConflict::column(outbox::Column::Key)
        .update_columns([outbox::Column::Subject, outbox::Column::Body, outbox::Column::AttachmentName, outbox::Column::Attachment])
        .action_and_where(Expr::col((outbox::Entity, outbox::Column::SentAt)).is_null())
        .to_owned();
    outbox::Entity::insert(row).on_conflict(update).exec_without_returning(db).await?;
    Ok(())
}

/// A mail's row, to insert now or with a batch.
pub(crate) fn new_row(mail: NewMail) -> outbox::ActiveModel {
    let (attachment_name, attachment) = mail.attachment.map_or((None, None), |(n, b)| (Some(n), Some(b)));
    let (unit_id, audience) = mail.audience.columns();
    outbox::ActiveModel {
        id: NotSet,
        key: Set(mail.key),
        recipients: Set(serde_json::to_string(&mail.to).unwrap_or_default()),
        cc: Set(serde_json::to_string(&mail.cc).unwrap_or_default()),
        subject: Set(mail.subject),
        body: Set(mail.body),
        attachment_name: Set(attachment_name),
        attachment: Set(attachment),
        send_after: Set(mail.send_after.to_string()),
        sent_at: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(mail.send_after.to_string()),
        last_error: Set(None),
        claimed_by: Set(None),
        claimed_until: Set(None),
        retry_at: Set(None),
        unit_id: Set(unit_id),
        audience: Set(Some(audience.to_string())),
    }
}

/// Builds a row's message and hands it to the transport (SMTP or files).
pub(crate) async fn send(app: &App, row: &outbox::Model) -> anyhow::Result<()> {
    let transport = app.transport.get_or_try_init(|| async { Transport::from_url(app.mail.smtp_url.as_deref(), &app.mail.data_dir) }).await?;
    let send_after = super::convert::time(&row.send_after).map_err(|e| anyhow::anyhow!("{e}"))?;
    let date =
        app.wf.timezone.from_local_datetime(&send_after.naive()).earliest().map(|d| d.fixed_offset()).ok_or_else(|| anyhow::anyhow!("no such local time"))?;
    let mail = OutgoingMail {
        key: row.key.clone(),
        to: serde_json::from_str(&row.recipients)?,
        cc: serde_json::from_str(&row.cc)?,
        subject: row.subject.clone(),
        body: row.body.clone(),
        attachment: row.attachment.clone().map(|bytes| Attachment {
            filename: row.attachment_name.clone().unwrap_or_else(|| "attachment.xlsx".into()),
            content_type: crate::mail::XLSX_CONTENT_TYPE.into(),
            bytes,
        }),
        date,
    };
    let message = crate::mail::build_message(&app.wf.mail.from, &mail)?;
    transport.send(&message, &row.key).await
}
