//! `GET /files/{id}`: an evidence file, to those who may see its issue.
//!
//! Office computers are shared: a browser must not show a photo from its
//! cache to the next person signed in, so every view asks the server again
//! (`no-cache`). A file never changes under its id, so the answer to a
//! browser that has it is a cheap 304 — after the same access check.

use super::layout::{Me, WebResult};
use crate::app::attachments;
use crate::http::HttpState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;

pub async fn serve(State(s): State<HttpState>, me: Me, Path(id): Path<String>, headers: HeaderMap) -> WebResult {
    let (kind, bytes) = attachments::open(&s.app, &me.actor, &id).await?;
    let etag = format!("\"{id}\"");
    let cache = [(header::CACHE_CONTROL, "private, no-cache".to_string()), (header::ETAG, etag.clone())];
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [
            (header::CONTENT_TYPE, kind.content_type()),
            // The type was checked by content; never let a browser guess another.
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response())
}
