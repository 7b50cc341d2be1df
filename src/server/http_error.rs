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
            AppError::Conflict { .. }
            | AppError::Collision { .. }
            | AppError::LeadChanged { .. } => StatusCode::CONFLICT,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Offline | AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl AppError {
    /// `Retry-After` for a rate-limited answer.
    fn retry_after(&self) -> Option<HeaderValue> {
        match self {
            AppError::RateLimited {
                retry_after_secs, ..
            } => Some(HeaderValue::from(*retry_after_secs)),
            _ => None,
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
        // A stale edit answers with the lead as it is now, so the client can merge.
        if let AppError::LeadChanged { lead } = &self {
            body["lead"] = serde_json::to_value(lead).unwrap_or_default();
        }
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(wait) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, wait);
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

/// Gives a failing server function's response the error's status (and `Retry-After`). A plain
/// HTML form post (no JavaScript) is answered with a redirect back instead, so it is left alone.
pub fn set_server_fn_status(error: &AppError) {
    use leptos::prelude::use_context;
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let wants_html = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if wants_html {
        return;
    }
    response.set_status(error.status());
    if let Some(wait) = error.retry_after() {
        response.insert_header(header::RETRY_AFTER, wait);
    }
}
