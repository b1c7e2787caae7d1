//! 消息: the notices meant for the signed-in user and its unit (the outbox's
//! rows, [`crate::app::inbox`]), newest first, unread marked, with 全部已读
//! and a read button per message. The header shows the unread count.

use super::layout::{Layout, Me, WebResult, local_path, render, short_time};
use super::view::{Flash, with_flash};
use crate::app::inbox;
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};

/// A piece of a message body: text, or a link to a page of this site.
pub struct Piece {
    pub text: String,
    pub href: Option<String>,
}

pub struct MessageView {
    pub id: i64,
    pub at: String,
    pub subject: String,
    pub lines: Vec<Vec<Piece>>,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    layout: Layout,
    messages: Vec<MessageView>,
    unread: u64,
}

/// A mail's line with the service's own address in it (the 交办单 link of
/// a dispatch mail) as a link on this site; the rest stays text.
fn pieces(line: &str) -> Vec<Piece> {
    let text = |t: &str| Piece { text: t.to_string(), href: None };
    let Some(path_at) = line.find("/dispatches/") else { return vec![text(line)] };
    let start = line[..path_at].rfind("http").unwrap_or(path_at);
    let end = line[path_at..].find(char::is_whitespace).map_or(line.len(), |e| path_at + e);
    match local_path(Some(&line[path_at..end])) {
        Some(href) if href.contains("/print") => {
            vec![text(&line[..start]), Piece { text: "打开交办单".into(), href: Some(href) }, text(&line[end..])]
        }
        _ => vec![text(line)],
    }
}

pub async fn page(State(s): State<HttpState>, me: Me, Query(flash): Query<Flash>) -> WebResult {
    let list = inbox::list(&s.app, &me.actor).await?;
    let messages = list
        .messages
        .into_iter()
        .map(|m| MessageView { id: m.id, at: short_time(&m.at), subject: m.subject, lines: m.body.lines().map(pieces).collect(), read: m.read })
        .collect();
    let layout = Layout::new(&s, &me, "消息", "/inbox").await.with_flash(flash.message());
    Ok(render(&InboxPage { layout, messages, unread: list.unread }))
}

/// `POST /inbox/read`: every message shown is read.
pub async fn read_all(State(s): State<HttpState>, me: Me) -> WebResult {
    inbox::mark_read(&s.app, &me.actor, None).await?;
    Ok(Redirect::to(&with_flash("/inbox", "read_all", &[])).into_response())
}

/// `POST /inbox/{id}/read`: one message (another's is 404).
pub async fn read_one(State(s): State<HttpState>, me: Me, Path(id): Path<String>) -> WebResult {
    let id: i64 = id.parse().map_err(|_| crate::app::AppError::NotFound(String::new()))?;
    inbox::mark_read(&s.app, &me.actor, Some(id)).await?;
    Ok(Redirect::to(&format!("/inbox?ok=read#m{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn the_print_link_of_a_dispatch_mail_becomes_a_link_on_this_site() {
        let p = pieces("打印交办单（签收用）：https://jiaoban.example.gov.cn/dispatches/0193-ab/print?unit=u1");
        let shown: Vec<(&str, Option<&str>)> = p.iter().map(|p| (p.text.as_str(), p.href.as_deref())).collect();
        assert_eq!(shown, [("打印交办单（签收用）：", None), ("打开交办单", Some("/dispatches/0193-ab/print?unit=u1")), ("", None)]);
        assert_eq!(pieces("编号 W-1 已交办").len(), 1);
        assert!(pieces("see /dispatches/\u{0}x/print").iter().all(|p| p.href.is_none()), "only a clean local path becomes a link");
    }
}
