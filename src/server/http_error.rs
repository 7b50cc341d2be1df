//! `AppError` as an HTTP response: `{error, message, field?}` with the matching status.
use crate::model::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } | AppError::Collision { .. } => StatusCode::CONFLICT,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Offline | AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "error": self.code(),
            "message": self.to_string(),
        });
        if let Some(field) = self.field() {
            body["field"] = field.into();
        }
        let mut response = (self.status(), Json(body)).into_response();
        if let AppError::RateLimited {
            retry_after_secs, ..
        } = &self
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// Logs a storage failure with its context and hands the caller only `Internal`.
pub fn internal(context: &'static str) -> impl FnOnce(sqlx::Error) -> AppError {
    move |err| {
        tracing::error!(error = %err, "{context}");
        AppError::Internal
    }
}
