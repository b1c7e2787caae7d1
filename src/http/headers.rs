//! Security headers, set once for every response (OWASP ASVS 14.4).
//!
//! - Every response: `X-Content-Type-Options: nosniff` (a type checked by
//!   content must never be re-guessed) and `Referrer-Policy: same-origin`
//!   (an issue's URL holds its id; it must not leak to another site).
//! - HTML: `Content-Security-Policy: default-src 'self'; frame-ancestors
//!   'none'` — the pages load only their own script and style (no inline
//!   script or style exists in the templates) and cannot be framed, so a
//!   page that frames `/board` cannot trick a signed-in clerk into clicks;
//!   `X-Frame-Options: DENY` for browsers that predate frame-ancestors.
//! - API answers and signed-in pages: `Cache-Control: no-store`, so a shared
//!   office PC keeps no copy of one user's data for the next. Static assets
//!   keep their own caching.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub async fn secure(request: Request, next: Next) -> Response {
    let assets = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    let html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if html {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if !assets {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
