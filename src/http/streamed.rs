//! The answers that grow with the data, written as they are read (see
//! [`super::stream`]): every matching issue, a quarter's report, and the
//! open list.

use super::error::ApiResult;
use super::stream::{self, Pages};
use crate::app::issues::{IssueFilter, IssueList, IssueView};
use crate::app::mail_log::{self, MailLog, MailView};
use crate::app::open_list::{self, OpenList};
use crate::app::reports::{ItemPage, QuarterStream};
use crate::app::{Actor, AppResult, search};
use crate::core::Workflow;
use crate::core::report::OpenEntry;
use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

fn json(body: axum::body::Body) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /api/issues` without a page: `{"issues": [...]}`, a chunk at a
/// time; a list that fits in one chunk is answered whole.
pub async fn issues(app: &crate::app::App, actor: &Actor, filter: IssueFilter) -> ApiResult<Response> {
    let mut chunks = search::chunks(app, actor, filter).await?;
    let first = chunks.next().await?.unwrap_or_default();
    if chunks.done() {
        return Ok(Json(IssueList { issues: first, total: None }).into_response());
    }
    Ok(json(stream::array(b"{\"issues\":[".to_vec(), Some(first), chunks)))
}

impl Pages for search::Chunks {
    type Page = Vec<IssueView>;

    async fn next(&mut self) -> AppResult<Option<Vec<IssueView>>> {
        search::Chunks::next(self).await
    }

    fn write(&mut self, page: Vec<IssueView>, first: bool) -> serde_json::Result<Vec<u8>> {
        stream::elements(&page, first)
    }

    fn tail(self) -> serde_json::Result<Vec<u8>> {
        Ok(b"}".to_vec())
    }
}

/// `GET /api/mails`: `{"mails": [...]}`, oldest first, a page at a time;
/// a log that fits in one page is answered whole.
pub async fn mails(app: &crate::app::App, actor: &Actor) -> ApiResult<Response> {
    let mut log = mail_log::log(app, actor)?;
    let first = log.next().await?.unwrap_or_default();
    if log.done() {
        return Ok(Json(serde_json::json!({ "mails": first })).into_response());
    }
    Ok(json(stream::array(b"{\"mails\":[".to_vec(), Some(first), log)))
}

impl Pages for MailLog {
    type Page = Vec<MailView>;

    async fn next(&mut self) -> AppResult<Option<Vec<MailView>>> {
        MailLog::next(self).await
    }

    fn write(&mut self, page: Vec<MailView>, first: bool) -> serde_json::Result<Vec<u8>> {
        stream::elements(&page, first)
    }

    fn tail(self) -> serde_json::Result<Vec<u8>> {
        Ok(b"}".to_vec())
    }
}

/// `GET /api/reports/{YYYYQn}` as JSON: its items a page at a time, then
/// the unit rows and total (a JSON object's keys have no order), counted
/// from the very items written.
pub async fn quarter(app: &crate::app::App, actor: &Actor, q: &str) -> ApiResult<Response> {
    let mut report = crate::app::reports::quarter_stream(app, actor, q).await?;
    let first = report.next().await?;
    let head = format!("{{\"quarter\":\"{}\",\"items\":[", report.quarter()).into_bytes();
    Ok(json(stream::array(head, first, QuarterPages { report, wf: app.wf.clone() })))
}

struct QuarterPages {
    report: QuarterStream,
    wf: Arc<Workflow>,
}

impl Pages for QuarterPages {
    type Page = ItemPage;

    async fn next(&mut self) -> AppResult<Option<ItemPage>> {
        self.report.next().await
    }

    fn write(&mut self, page: ItemPage, first: bool) -> serde_json::Result<Vec<u8>> {
        let json = stream::elements(page.items(), first)?;
        self.report.count(&self.wf, page);
        Ok(json)
    }

    /// `,"due":…,"total":…,"units":[…],"frozen":…}`.
    fn tail(self) -> serde_json::Result<Vec<u8>> {
        let view = self.report.finish(&self.wf);
        let tail = QuarterTail { due: view.report.due, total: view.report.total, units: &view.report.units, frozen: view.frozen };
        // The tail's own `{` is dropped: it continues the report's object.
        let mut json = serde_json::to_vec(&tail)?;
        json[0] = b',';
        Ok(json)
    }
}

/// What a streamed quarter report writes after its items.
#[derive(serde::Serialize)]
struct QuarterTail<'a> {
    due: chrono::NaiveDate,
    total: crate::core::Points,
    units: &'a [crate::core::report::UnitRow],
    frozen: bool,
}

/// `GET /api/reports/open`: a JSON array, a chunk at a time; a list that
/// fits in one chunk is answered whole.
pub async fn open(app: &crate::app::App, actor: &Actor) -> ApiResult<Response> {
    let mut list = open_list::open_list(app, actor).await?;
    let first = list.next().await?;
    if list.done() {
        return Ok(Json(first.unwrap_or_default()).into_response());
    }
    Ok(json(stream::array(b"[".to_vec(), first, list)))
}

impl Pages for OpenList {
    type Page = Vec<OpenEntry>;

    async fn next(&mut self) -> AppResult<Option<Vec<OpenEntry>>> {
        OpenList::next(self).await
    }

    fn write(&mut self, page: Vec<OpenEntry>, first: bool) -> serde_json::Result<Vec<u8>> {
        stream::elements(&page, first)
    }

    fn tail(self) -> serde_json::Result<Vec<u8>> {
        Ok(Vec::new())
    }
}
