//! `AppError` as an HTTP response: `{error, message, field?}` with the matching status.
use crate::model::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

impl AppError {
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
        // A stale edit answers with the lead as it is now, so the client can merge.
        if let AppError::LeadChanged { lead } = &self {
            body["lead"] = serde_json::to_value(lead).unwrap_or_default();
        }
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(wait) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
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
