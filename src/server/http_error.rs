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

/// A storage failure is the server's problem, not the caller's: logged with the error and
/// where it happened (the `?` that converted it: the standard library passes the caller's
/// location through), and answered as `Internal` without details.
impl From<sqlx::Error> for AppError {
    #[track_caller]
    fn from(err: sqlx::Error) -> AppError {
        let at = std::panic::Location::caller();
        tracing::error!(error = %err, %at, "storage failure");
        AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_failure_reaches_the_caller_as_internal_without_details() {
        let err: AppError = sqlx::Error::PoolTimedOut.into();
        assert_eq!(err, AppError::Internal);
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!err.to_string().contains("pool"), "{err}");
    }
}
