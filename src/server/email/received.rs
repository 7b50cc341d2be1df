//! What a received email shows beyond its text, served to the workspace's members only: its
//! files (`GET /attachments/{id}`) and its HTML part (`GET /inbound/{message_id}/html`, for the
//! thread's sandboxed frame). Nothing a sender wrote runs here: files are downloads (pictures
//! of a few safe types are shown inline), the HTML runs no script, submits no form and loads
//! nothing from anywhere (so a sender's tracking pixels learn nothing).
use crate::model::error::AppError;
use crate::model::ids::MessageId;
use crate::model::message::is_inline_image;
use crate::server::auth::Caller;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// A downloaded file can do nothing in our origin: no script, no plugin, not even its type
/// guessed from its content.
const FILE_CSP: &str = "default-src 'none'; sandbox";
/// The HTML part: its own inline styles and its embedded pictures (inlined as `data:`), nothing
/// else.
/// (The frame that shows it is sandboxed by its own attribute.)
const HTML_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

pub async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let file = state
        .store
        .inbound_attachment(caller.user.workspace_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let inline = is_inline_image(&file.content_type);
    let content_type = if inline {
        HeaderValue::from_str(&file.content_type).map_err(|_| AppError::Internal)?
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    let disposition =
        content_disposition(if inline { "inline" } else { "attachment" }, &file.filename);
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(|_| AppError::Internal)?,
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(FILE_CSP),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        file.data,
    )
        .into_response())
}

pub async fn html(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = MessageId::parse(&id).ok_or(AppError::NotFound)?;
    let (mut html, embedded) = state
        .store
        .inbound_html(caller.user.workspace_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Embedded pictures (`cid:…`) go inline as `data:` URLs: the sandboxed frame has no origin
    // of ours to fetch them with (nor our session cookie).
    for (content_id, content_type, data) in embedded {
        if !is_inline_image(&content_type) {
            continue;
        }
        use base64::Engine;
        let inline = format!(
            "data:{content_type};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&data)
        );
        for scheme in ["cid:", "CID:"] {
            html = html.replace(&format!("{scheme}{content_id}"), &inline);
        }
    }
    Ok(crate::server::outbox::email_html(HTML_CSP, html))
}

/// `attachment; filename="plain ASCII"; filename*=UTF-8''percent-encoded` (RFC 6266).
fn content_disposition(kind: &str, filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_quoted_safely() {
        assert_eq!(
            content_disposition("attachment", "Angebot Größe.pdf"),
            "attachment; filename=\"Angebot Gr__e.pdf\"; filename*=UTF-8''Angebot%20Gr%C3%B6%C3%9Fe.pdf"
        );
        assert!(!content_disposition("inline", "a\"b\\c.png").contains("a\"b"));
    }
}
