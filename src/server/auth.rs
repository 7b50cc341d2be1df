//! Who is calling: a session cookie (browsers) or a personal API token (integrations).
use super::crypto::token_hash;
use super::http_error::internal;
use super::state::AppState;
use crate::model::auth::CurrentUser;
use crate::model::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};

pub const SESSION_COOKIE: &str = "lw_session";

/// An authenticated caller. Every service call takes one, and scopes its queries to
/// `caller.user.workspace_id`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: CurrentUser,
}

/// Resolves the caller from `Authorization: Bearer …` or, failing that, the session cookie.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    if let Some(token) = bearer_token(headers) {
        let user = state
            .store
            .api_token_user(&token_hash(token))
            .await
            .map_err(internal("resolving API token"))?
            .ok_or(AppError::Unauthorized)?;
        return Ok(Caller { user: user.into() });
    }
    let token = session_token(headers).ok_or(AppError::Unauthorized)?;
    let user = state
        .store
        .session_user(&token_hash(token))
        .await
        .map_err(internal("resolving session"))?
        .ok_or(AppError::Unauthorized)?;
    Ok(Caller { user: user.into() })
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then_some(token)
}

/// The session cookie's value, if the request carries one.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Secure over https.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let max_age = state.settings.session_ttl_secs;
    cookie_header(state, token, max_age)
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_session_cookie(state: &AppState) -> HeaderValue {
    cookie_header(state, "", 0)
}

fn cookie_header(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&cookie).expect("cookie built from URL-safe base64 is a valid header")
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers).await
    }
}
