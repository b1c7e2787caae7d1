//! Text the database cannot hold is refused at the door.
//!
//! PostgreSQL refuses NUL in text (and answers with an error that would be
//! a 500), SQLite would store it and later confuse every reader; invalid
//! UTF-8 is not text at all. One middleware looks at everything a handler
//! could turn into a string — the path, the query string, a JSON or
//! urlencoded body — so that no handler, present or future, has to
//! remember to. (Multipart text fields are checked where they are read,
//! `web::form`.) A request refused here is a 400 and changes nothing.

use super::error::ApiError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode;

/// Largest body this check reads (the JSON API's own limit).
const LIMIT: usize = super::JSON_LIMIT;

pub async fn refuse_bad_text(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if !clean_encoded(uri.path().as_bytes()) || !uri.query().is_none_or(|q| clean_encoded(q.as_bytes())) {
        return refused("地址中含有不允许的字符 (NUL or invalid UTF-8 in the address)");
    }
    let kind = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let (json, form) = (kind.starts_with("application/json"), kind.starts_with("application/x-www-form-urlencoded"));
    if !json && !form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, LIMIT).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "请求内容过大 (request body too large)").into_response();
    };
    let clean = if json {
        clean_json(&bytes)
    } else {
        bytes.split(|b| *b == b'&').all(|pair| clean_encoded(&pair.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect::<Vec<_>>()))
    };
    if !clean {
        return refused("内容中含有不允许的字符 (NUL in the request body, or a form field that is not UTF-8)");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn refused(message: &str) -> Response {
    ApiError::new(StatusCode::BAD_REQUEST, message).into_response()
}

/// Percent-decoded, the bytes are UTF-8 without NUL.
fn clean_encoded(raw: &[u8]) -> bool {
    let decoded: Vec<u8> = percent_decode(raw).collect();
    !decoded.contains(&0) && std::str::from_utf8(&decoded).is_ok()
}

/// No string (key or value) of the JSON holds NUL. A body that is not JSON
/// passes: the handler's own parser answers it with a clearer 400.
fn clean_json(bytes: &[u8]) -> bool {
    fn walk(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => !s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().all(walk),
            serde_json::Value::Object(map) => map.iter().all(|(k, v)| !k.contains('\0') && walk(v)),
            _ => true,
        }
    }
    serde_json::from_slice::<serde_json::Value>(bytes).map_or(true, |v| walk(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_broken_utf8_are_caught_wherever_they_hide() {
        assert!(clean_encoded(b"/api/issues"));
        assert!(clean_encoded("unit=%E4%B8%AD%E5%85%B4".as_bytes()));
        assert!(!clean_encoded(b"unit=%00"));
        assert!(!clean_encoded(b"unit=%FF%FE"));
        assert!(clean_json(br#"{"note": "ok", "list": ["a"]}"#));
        assert!(!clean_json(br#"{"note": "a\u0000b"}"#));
        assert!(!clean_json(br#"{"a\u0000": 1}"#));
        assert!(!clean_json(br#"[{"deep": ["x\u0000"]}]"#));
        assert!(clean_json(b"not json at all"));
    }
}
