//! Where built messages go: an SMTP server, or `.eml` files on disk.
//!
//! The file transport is not a test double: it is what the service does when
//! no SMTP server is configured (api.md, Start), so an intranet install with
//! no mail relay still keeps every mail, readable by any mail client.

use super::sanitize_key;
use anyhow::Context;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long connecting, and then the whole exchange for one mail, may take.
/// lettre's async transport applies its own timeout to connecting only: a
/// relay that accepts the connection and then stops answering would hold
/// the outbox forever. So `send` also bounds the exchange; the outbox
/// retries later anyway.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
const SMTP_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(60);

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The folder the `.eml` files go into (`<data dir>/mail`).
    Files(PathBuf),
}

impl Transport {
    /// `Some(url)` → SMTP; `None` → files under `<data_dir>/mail`.
    ///
    /// URLs are lettre's: `smtp://host:port` is plain SMTP (an intranet
    /// relay), `smtp://user:pass@host:port` adds AUTH, and `?tls=required`
    /// or `smtps://` use rustls for a relay outside. A URL without a port
    /// means 25 for plain `smtp://`.
    pub fn from_url(smtp_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Transport> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .with_context(|| format!("invalid SMTP URL {}", redact(url)))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Transport::Smtp(smtp))
            }
            None => Ok(Transport::Files(data_dir.join("mail"))),
        }
    }

    /// Sends one message; an error means the mail did not go and the outbox
    /// should retry it.
    #[tracing::instrument(skip_all, fields(key = %key), err)]
    pub async fn send(&self, msg: &Message, key: &str) -> anyhow::Result<()> {
        match self {
            Transport::Smtp(smtp) => {
                // `send_raw` instead of `send` avoids cloning the message
                // (the attachment can be large); lettre turns any non-2xx
                // reply into an error.
                let bytes = msg.formatted();
                let exchange = smtp.send_raw(msg.envelope(), &bytes);
                tokio::time::timeout(SMTP_EXCHANGE_TIMEOUT, exchange)
                    .await
                    .context("SMTP server stopped answering")?
                    .context("SMTP server refused or failed")?;
                Ok(())
            }
            Transport::Files(dir) => write_eml(dir, key, &msg.formatted()).await,
        }
    }

    /// The file a key's mail is written to (Files only); lets tests and
    /// operators find a mail by its key.
    pub fn eml_path(&self, key: &str) -> Option<PathBuf> {
        match self {
            Transport::Smtp(_) => None,
            Transport::Files(dir) => Some(dir.join(format!("{}.eml", sanitize_key(key)))),
        }
    }
}

/// Why a send failed, for the metrics: the SMTP server's answer
/// (`transient` 4xx, `permanent` 5xx), a `timeout`, a `connection` that
/// broke, or `other` (a mail that could not be built or written); and
/// whether it was the SMTP conversation that failed.
pub fn failure_reason(e: &anyhow::Error) -> (&'static str, bool) {
    if let Some(smtp) = e.chain().find_map(|c| c.downcast_ref::<lettre::transport::smtp::Error>()) {
        let reason = if smtp.is_transient() {
            "transient"
        } else if smtp.is_permanent() {
            "permanent"
        } else if smtp.is_timeout() {
            "timeout"
        } else {
            "connection"
        };
        return (reason, true);
    }
    if e.chain().any(|c| c.is::<tokio::time::error::Elapsed>()) {
        return ("timeout", true);
    }
    ("other", false)
}

/// Writes to a temporary name, then renames: a crash mid-write leaves a
/// `.tmp` behind, never a truncated `.eml` that looks like a sent mail.
async fn write_eml(dir: &Path, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(dir).await.with_context(|| format!("failed to create {}", dir.display()))?;
    let name = sanitize_key(key);
    let final_path = dir.join(format!("{name}.eml"));
    let temp_path = dir.join(format!("{name}.eml.tmp"));
    tokio::fs::write(&temp_path, bytes).await.with_context(|| format!("failed to write {}", temp_path.display()))?;
    tokio::fs::rename(&temp_path, &final_path).await.with_context(|| format!("failed to move mail to {}", final_path.display()))?;
    Ok(())
}

/// The URL for error messages, without its password (errors end up in the
/// log and in the outbox's `last_error`).
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::Files(dir) => f.debug_tuple("Transport::Files").field(dir).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_means_files_under_the_data_dir() {
        let t = Transport::from_url(None, Path::new("/srv/jb")).unwrap();
        assert_eq!(t.eml_path("quarter-due:2021Q1"), Some(PathBuf::from("/srv/jb/mail/quarter-due_2021Q1.eml")));
        assert!(matches!(Transport::from_url(Some("  "), Path::new("d")).unwrap(), Transport::Files(_)));
    }

    #[tokio::test]
    async fn smtp_urls_with_or_without_credentials_are_accepted() {
        assert!(matches!(Transport::from_url(Some("smtp://127.0.0.1:2525"), Path::new("d")).unwrap(), Transport::Smtp(_)));
        assert!(matches!(Transport::from_url(Some("smtp://u%40x:p@mail.local:25"), Path::new("d")).unwrap(), Transport::Smtp(_)));
    }

    #[test]
    fn a_bad_url_is_an_error_that_hides_the_password() {
        let err = Transport::from_url(Some("ftp://u:secret@h:1"), Path::new("d")).unwrap_err();
        let text = format!("{err:#}");
        assert!(!text.contains("secret"), "{text}");
        assert!(Transport::from_url(Some("not a url"), Path::new("d")).is_err());
        assert_eq!(redact("smtp://u:secret@h:25/?tls=required"), "smtp://u:***@h:25/?tls=required");
        assert_eq!(redact("smtp://h:25"), "smtp://h:25");
    }
}
