//! Who is calling: the session cookie → an [`Actor`].
//!
//! Sessions are server-side rows; the cookie holds only a random token. It is
//! HttpOnly and SameSite=Lax, so a link in a reminder mail opens signed in
//! while cross-site POSTs carry no cookie; Secure when the public URL is https.

use super::HttpState;
use super::error::ApiError;
use crate::app::{Actor, AppError, accounts};
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

pub fn set_cookie(token: &str, secure: bool) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000{}", if secure { "; Secure" } else { "" })
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
        let actor = accounts::session_actor(&state.app, &token).await?.ok_or(AppError::Unauthenticated)?;
        parts.extensions.insert(actor.clone());
        Ok(CurrentUser(actor))
    }
}
