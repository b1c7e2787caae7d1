//! Requests through the service's own router, in process: routing, the
//! session, the use case and the JSON, everything a request costs the server
//! but the socket — so the time measured is the server's, not the client's
//! (which would share the same 2 cores).

use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use tower::ServiceExt;

/// Every bench account's password.
pub const PASSWORD: &str = "bench-river-lantern-42";

#[derive(Clone)]
pub struct Client {
    router: axum::Router,
    cookie: String,
}

impl Client {
    pub async fn sign_in(router: &axum::Router, username: &str) -> anyhow::Result<Client> {
        let body = serde_json::json!({ "username": username, "password": PASSWORD }).to_string();
        let request = Request::post("/api/session").header(header::CONTENT_TYPE, "application/json").body(Body::from(body))?;
        let response = router.clone().oneshot(request).await?;
        anyhow::ensure!(response.status().is_success(), "sign-in of {username}: {}", response.status());
        let cookie = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .collect::<Vec<_>>()
            .join("; ");
        Ok(Client { router: router.clone(), cookie })
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Bytes> {
        Ok(self.get_timed(path).await?.0)
    }

    /// As [`Client::get`], with the time the server says it took
    /// (`Server-Timing: app;dur=…`, ms).
    pub async fn get_timed(&self, path: &str) -> anyhow::Result<(Bytes, Option<f64>)> {
        let request = Request::get(path).header(header::COOKIE, &self.cookie).body(Body::empty())?;
        let response = self.router.clone().oneshot(request).await?;
        let server = response.headers().get("server-timing").and_then(|v| v.to_str().ok()?.split("dur=").nth(1)?.parse().ok());
        Ok((Self::body(path, response).await?, server))
    }

    pub async fn post(&self, path: &str, json: serde_json::Value) -> anyhow::Result<Bytes> {
        let request =
            Request::post(path).header(header::COOKIE, &self.cookie).header(header::CONTENT_TYPE, "application/json").body(Body::from(json.to_string()))?;
        self.send(request).await
    }

    /// The answer's whole body; anything but a 2xx is an error.
    async fn send(&self, request: Request<Body>) -> anyhow::Result<Bytes> {
        let path = request.uri().to_string();
        let response = self.router.clone().oneshot(request).await?;
        Self::body(&path, response).await
    }

    async fn body(path: &str, response: axum::response::Response) -> anyhow::Result<Bytes> {
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        anyhow::ensure!(status.is_success(), "{path}: {status} {}", String::from_utf8_lossy(&body));
        Ok(body)
    }
}
