//! The one HTTP error type: every failure becomes `{"error": "…"}` with a
//! status that says whose fault it was. Unexpected errors are logged whole
//! and shown opaque.

use crate::app::AppError;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let status = match &e {
            AppError::BadInput(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts | AppError::TooManyUploads(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unexpected(inner) => {
                tracing::error!(error = %format!("{inner:#}"), "unexpected error");
                return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误 (internal error)");
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        // Too large and not JSON keep their own status; the rest is a bad request.
        let status = match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE => r.status(),
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, format!("请求格式错误 (bad request body): {}", r.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "error": self.message }))).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
