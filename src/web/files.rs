//! `GET /files/{id}`: an evidence file, to those who may see its issue.
//!
//! Office computers are shared: a browser must not keep a photo for the
//! next person signed in, so the response is `no-store` (set for every
//! signed-in answer by `http::headers`). A PDF is a download
//! (`attachment`): opened inline it would run in the site's origin.

use super::layout::{Me, WebResult};
use crate::app::attachments;
use crate::http::HttpState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
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
            (header::CONTENT_DISPOSITION, if kind.is_image() { "inline" } else { "attachment" }),
        ],
        bytes,
    )
        .into_response())
}
