//! Reads every request body whole (up to `max_body_bytes`) before any handler or guard looks at
//! the request. A handler that refuses a request without reading its body (no `Content-Type`, no
//! session, a foreign origin) left those bytes on the connection; hyper then closed it after the
//! response, and the client's next request on that keep-alive connection was lost. With the body
//! read first, a refusal leaves the connection clean. A body over the limit is refused with 413
//! and `Connection: close`, before the rest of it is read.
use super::state::AppState;
use crate::model::error::AppError;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn read_body_first(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    // GETs, upgrades and other bodiless requests pass untouched (and are not buffered).
    if body.size_hint().exact() == Some(0) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    match axum::body::to_bytes(body, state.settings.max_body_bytes).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => {
            let mut response = AppError::PayloadTooLarge {
                message: format!(
                    "The request body is larger than {} bytes.",
                    state.settings.max_body_bytes
                ),
            }
            .into_response();
            // The unread rest of the body is still on the wire: the connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}
