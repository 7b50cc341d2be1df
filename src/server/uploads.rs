//! Files sent to leads on SMS, WhatsApp and Instagram. `POST /api/uploads` keeps a file for a
//! day (the composer uploads it when it is picked, then sends the message with its id);
//! `GET /media/{token}` serves a sent file to the provider that fetches it (Twilio's
//! `MediaUrl`, the Graph API's `link`), by the 128-bit token only that message's delivery knows.
use super::auth::Caller;
use super::origin::check_origin;
use super::read_body::read_then_run;
use super::state::AppState;
use crate::model::attachment::{clean_filename, upload_type, Upload, MAX_BYTES};
use crate::model::error::AppError;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

/// `POST /api/uploads`, with the app's guards (Origin, session or token) and a body limit of
/// its own: the app's `max_body_bytes` is for JSON, a picture is larger.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/uploads", post(upload))
        .layer(middleware::from_fn_with_state(state.clone(), check_origin))
        // The body was read whole (at most MAX_BYTES) below; axum's own default is 2 MB.
        .layer(DefaultBodyLimit::max(MAX_BYTES))
        .layer(middleware::from_fn(read_whole_file))
}

/// Reads the body whole before the guards (as `read_body` does for the rest of the app), and
/// refuses one over [`MAX_BYTES`] with 413 saying the limit.
async fn read_whole_file(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    read_then_run(parts, body, next, MAX_BYTES, || {
        format!("A file can be at most {} MB.", MAX_BYTES / (1024 * 1024))
    })
    .await
}

/// Unsent uploads one person may hold (they go a day after they were made): a bound on what a
/// signed-in client can pile up.
const PENDING_QUOTA: usize = 50 * 1024 * 1024;

#[derive(Deserialize)]
struct UploadQuery {
    filename: Option<String>,
}

/// The file is the body, its type the `Content-Type`, its name `?filename=`: 201 with its id.
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Upload>), AppError> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let content_type = upload_type(declared).map_err(|why| AppError::validation("file", why))?;
    if body.is_empty() {
        return Err(AppError::validation("file", "The file is empty."));
    }
    let filename = clean_filename(query.filename.as_deref().unwrap_or(""));
    let upload = state
        .store
        .insert_upload(
            caller.user.workspace_id,
            caller.user.id,
            &filename,
            &content_type,
            &body,
            PENDING_QUOTA as i64,
        )
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "file",
                format!(
                    "You have {} MB of files waiting to be sent: send them, or wait a day for unsent ones to go.",
                    PENDING_QUOTA / (1024 * 1024)
                ),
            )
        })?;
    Ok((StatusCode::CREATED, Json(upload)))
}

/// `GET /media/{token}`: a sent file, for the provider delivering it. Public by design (the
/// token is the credential, as Twilio's own media URLs are); a malformed or unknown token is 404.
pub async fn media(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.store.public_media(&token).await {
        Ok(Some(file)) => {
            let mut response = file.data.into_response();
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&file.content_type) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", file.filename))
            {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400"),
            );
            response
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading a sent file");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
