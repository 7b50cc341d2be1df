//! Request bodies: JSON parse failures become a clear 400/413 instead of axum's plain text.
use crate::model::error::AppError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// `axum::Json`, but rejecting with an [`AppError`].
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::MissingJsonContentType(_) => AppError::BadRequest {
                    message: "Send the body as JSON with Content-Type: application/json.".into(),
                },
                JsonRejection::BytesRejection(_) => AppError::PayloadTooLarge {
                    message: "The request body is too large.".into(),
                },
                other => AppError::BadRequest {
                    message: format!(
                        "The request body is not valid JSON for this endpoint: {}",
                        other.body_text()
                    ),
                },
            }),
        }
    }
}

/// Reads a JSON member as text for a form-like input: strings as they are, numbers as written,
/// `null` as blank. Anything else is a validation error on that member.
pub fn member_as_text(field: &str, value: &serde_json::Value) -> Result<String, AppError> {
    match value {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Null => Ok(String::new()),
        _ => Err(AppError::validation(
            field,
            format!("`{field}` must be a string, a number or null."),
        )),
    }
}
