//! Pages need a session: anyone else is sent to the login page, and back afterwards.
use super::auth::{page_caller, session_token, PageCaller, SESSION_COOKIE};
use super::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Pages anyone may open.
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/signup") || path.starts_with("/invite/")
}

/// The event-log position a page was rendered at: its socket resumes from here, so nothing
/// committed between rendering and connecting is missed. Read with the session, before any
/// page data.
#[derive(Debug, Clone, Copy)]
pub struct HeadSeq(pub i64);

/// Applied to the page routes only (static files, `/api` and `/healthz` are not pages).
pub async fn require_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let caller = match session_token(request.headers()) {
        Some(token) => match page_caller(&state, token).await {
            Ok(caller) => caller,
            Err(e) => {
                tracing::error!(error = %e, "checking session for page");
                None
            }
        },
        None => None,
    };
    let signed_in = caller.is_some();
    if is_public(&path) {
        // A signed-in user gains nothing from the login or sign-up form.
        if signed_in && matches!(path.as_str(), "/login" | "/signup") {
            return Redirect::to("/").into_response();
        }
        // Rendering a page costs CPU: anyone without a session gets a bounded rate of them.
        if !signed_in {
            let ip = super::client_ip::of_request(
                request.headers(),
                request.extensions(),
                &state.settings.limits.trusted_proxies,
            );
            if let Err(e) = super::accounts::admit_public_request(&state, ip).await {
                return e.into_response();
            }
        }
        return next.run(request).await;
    }
    if let Some((caller, head)) = caller {
        request.extensions_mut().insert(HeadSeq(head));
        request.extensions_mut().insert(PageCaller(caller));
        return next.run(request).await;
    }
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let location = if target == "/" {
        "/login".to_string()
    } else {
        format!("/login?next={}", encode_query_value(target))
    };
    let mut response = Redirect::to(&location).into_response();
    // A stale cookie is dropped so the browser stops sending it.
    if request
        .headers()
        .get(header::COOKIE)
        .is_some_and(|c| c.to_str().is_ok_and(|c| c.contains(SESSION_COOKIE)))
    {
        response.headers_mut().insert(
            header::SET_COOKIE,
            super::auth::cleared_session_cookie(&state),
        );
    }
    response
}

fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
