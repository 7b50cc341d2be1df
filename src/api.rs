//! Server functions (the UI's calls) and, for integrations, the JSON API under `/api`.
//! Both are thin: authenticate, parse, call one service function, return.
pub mod auth;
pub mod channels;
pub mod dashboard;
pub mod drafts;
pub mod inbound_email;
pub mod leads;
pub mod mailbox;
pub mod messages;
pub mod outbox;
pub mod team;
pub mod templates;
pub mod tokens;
pub mod tracking;
pub mod workspace;

#[cfg(feature = "ssr")]
pub mod rest;

#[cfg(feature = "ssr")]
use crate::{model::error::AppError, server::auth::Caller, server::state::AppState};

/// The app state and request head of the server function being handled.
#[cfg(feature = "ssr")]
fn request() -> Result<(AppState, axum::http::request::Parts), AppError> {
    use leptos::prelude::use_context;
    let state = use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function ran without AppState in context");
        AppError::Internal
    })?;
    let parts = use_context::<axum::http::request::Parts>().ok_or_else(|| {
        tracing::error!("server function ran without request parts in context");
        AppError::Internal
    })?;
    Ok((state, parts))
}

/// The signed-in caller of the server function being handled. Server functions are the UI's
/// calls: they need a session; API tokens use the JSON API only (see `ApiScopes`).
#[cfg(feature = "ssr")]
async fn caller() -> Result<(AppState, Caller), AppError> {
    let (state, caller, _) = caller_and_head().await?;
    Ok((state, caller))
}

/// [`caller`], and during a page's render the workspace's event head its page guard read with
/// the session (`page_guard::HeadSeq`); `None` for a call from the browser.
#[cfg(feature = "ssr")]
async fn caller_and_head() -> Result<(AppState, Caller, Option<i64>), AppError> {
    let (state, parts) = request()?;
    // During a page's render the page guard has already resolved the session.
    if let Some(crate::server::auth::PageCaller(caller)) = parts.extensions.get() {
        let head = parts
            .extensions
            .get::<crate::server::page_guard::HeadSeq>()
            .map(|h| h.0);
        return Ok((state, caller.clone(), head));
    }
    let caller = crate::server::auth::authenticate(&state, &parts.headers).await?;
    caller.require_session()?;
    Ok((state, caller, None))
}

/// The client's address (see `server::client_ip`).
#[cfg(feature = "ssr")]
fn client_ip(state: &AppState, parts: &axum::http::request::Parts) -> Option<std::net::IpAddr> {
    crate::server::client_ip::of_request(
        &parts.headers,
        &parts.extensions,
        &state.settings.limits.trusted_proxies,
    )
}

/// Adds a `Set-Cookie` header to the server function's response.
#[cfg(feature = "ssr")]
fn set_cookie(value: axum::http::HeaderValue) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}
