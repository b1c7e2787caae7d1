//! Who is calling: the session cookie → an [`Actor`].
//!
//! Sessions are server-side rows; the cookie holds only a random token. It is
//! HttpOnly and SameSite=Lax, so a link in a reminder mail opens signed in
//! while cross-site POSTs carry no cookie; Secure when the public URL is https.

use super::HttpState;
use super::error::ApiError;
use crate::app::identity::canonical;
use crate::app::{Actor, AppError, audit, sessions};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

pub const COOKIE: &str = "jiaoban_session";

pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

/// The session cookie: gone with the browser, unless the user asked to be
/// remembered (then as long as a session may live).
pub fn set_cookie(token: &str, secure: bool, remember: Option<std::time::Duration>) -> String {
    let max_age = remember.map(|d| format!("; Max-Age={}", d.as_secs())).unwrap_or_default();
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{max_age}{}", if secure { "; Secure" } else { "" })
}

/// The address a request came from (for the sign-in limit and the audit).
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
}

/// Extractor of [`client_ip`].
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// Signs in under the limits: per normalised name and per address. The
/// failure that locks a name is logged and audited.
pub async fn sign_in_limited(s: &HttpState, username: &str, password: &str, remember: bool, ip: Option<String>) -> Result<sessions::SignedIn, AppError> {
    let name = canonical(username);
    s.limiter.check(&name, ip.as_deref())?;
    match sessions::sign_in(&s.app, username, password, remember, ip.clone()).await {
        Err(AppError::Unauthenticated) => {
            if s.limiter.failed(&name, ip.as_deref()) {
                tracing::warn!(user = %name, ip = ?ip, "sign-in locked after repeated failures");
                audit::note(&s.app, audit::Entry { actor: &name, action: "lock_out", target: None, detail: None, ip }).await?;
            }
            Err(AppError::Unauthenticated)
        }
        other => other,
    }
}

pub fn clear_cookie(secure: bool) -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" })
}

/// Extractor for handlers that need a signed-in user.
pub struct CurrentUser(pub Actor);

impl FromRequestParts<HttpState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(CurrentUser(actor.clone()));
        }
        let token = token(&parts.headers).ok_or(AppError::Unauthenticated)?;
        let actor = sessions::session_actor(&state.app, &token).await?.ok_or(AppError::Unauthenticated)?;
        // A password an admin reset must be changed before anything else.
        let allowed = matches!(parts.uri.path(), "/api/session" | "/api/session/password");
        if actor.must_change_password && !allowed {
            return Err(AppError::Forbidden("请先修改密码 (change your password first: POST /api/session/password)".into()).into());
        }
        parts.extensions.insert(actor.clone());
        Ok(CurrentUser(actor))
    }
}
