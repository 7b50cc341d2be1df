//! Who is calling: a session cookie (browsers) or a personal API token (integrations).
use super::crypto::token_hash;
use super::state::AppState;
use crate::model::auth::{ApiScopes, CurrentUser, Role};
use crate::model::error::AppError;
use crate::model::ids::ApiTokenId;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method};
use chrono::{DateTime, Utc};

pub const SESSION_COOKIE: &str = "lw_session";

/// An authenticated caller. Every service call takes one, and scopes its queries to
/// `caller.user.workspace_id`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: CurrentUser,
    pub via: Via,
}

/// The credential a request came with: what ends it (sign-out, expiry, revocation) and what it
/// may do.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    Session {
        token_hash: String,
        expires_at: DateTime<Utc>,
    },
    Token {
        id: ApiTokenId,
        scopes: ApiScopes,
    },
}

impl Caller {
    /// Account management (tokens, teammates, invites, workspace settings) and every server
    /// function: a signed-in person, never an API token.
    pub fn require_session(&self) -> Result<(), AppError> {
        match self.via {
            Via::Session { .. } => Ok(()),
            Via::Token { .. } => Err(AppError::Forbidden {
                message: "API tokens can only use the JSON API under /api; sign in for this."
                    .into(),
            }),
        }
    }

    /// Workspace settings (channels, mailbox, tracking, roles): owners only. `what` names the
    /// setting in the refusal ("Only the workspace owner can change {what}.").
    pub fn require_owner(&self, what: &str) -> Result<(), AppError> {
        self.require_owner_to(&format!("change {what}"))
    }

    /// Owners only, said as "Only the workspace owner can {action}."
    pub fn require_owner_to(&self, action: &str) -> Result<(), AppError> {
        if self.user.role == Role::Owner {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                message: format!("Only the workspace owner can {action}."),
            })
        }
    }

    /// A token's scope for this request (`write` for anything but reading); sessions may all.
    pub fn require_scope(&self, write: bool) -> Result<(), AppError> {
        match self.via {
            Via::Token { scopes, .. } if write && !scopes.write => Err(AppError::Forbidden {
                message: "This API token is read-only.".into(),
            }),
            Via::Token { scopes, .. } if !scopes.read => Err(AppError::Forbidden {
                message: "This API token has no scope for this request.".into(),
            }),
            _ => Ok(()),
        }
    }
}

/// Resolves the caller from `Authorization: Bearer …` or, failing that, the session cookie.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    if let Some(token) = bearer_token(headers) {
        let record = state
            .store
            .api_token_user(&token_hash(token))
            .await?
            .ok_or(AppError::Unauthorized)?;
        return Ok(Caller {
            via: Via::Token {
                id: record.token_id,
                scopes: ApiScopes::from_db(&record.token_scopes),
            },
            user: record.user.into(),
        });
    }
    let token = session_token(headers).ok_or(AppError::Unauthorized)?;
    session_caller(state, token)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// The person a session cookie's `token` belongs to, if it is a live session.
pub async fn session_caller(state: &AppState, token: &str) -> Result<Option<Caller>, sqlx::Error> {
    Ok(page_caller(state, token).await?.map(|(caller, _)| caller))
}

/// [`session_caller`] for a page request, with the event-log head the page renders at.
pub async fn page_caller(
    state: &AppState,
    token: &str,
) -> Result<Option<(Caller, i64)>, sqlx::Error> {
    let hash = token_hash(token);
    Ok(state.store.page_session(&hash).await?.map(|page| {
        let caller = Caller {
            user: page.session.user.into(),
            via: Via::Session {
                token_hash: hash,
                expires_at: page.session.session_expires_at,
            },
        };
        (caller, page.head)
    }))
}

/// The caller a page request was admitted as (`page_guard`), kept in the request's extensions
/// so the server functions the page's render calls do not each look the session up again.
#[derive(Debug, Clone)]
pub struct PageCaller(pub Caller);

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then_some(token)
}

/// The session cookie's value, if the request carries one.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}

/// A cookie's value, if the request carries it (non-empty).
pub fn cookie<'h>(headers: &'h HeaderMap, wanted: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for the device cookie of a successful sign-in (a year; see `sign_in_guard`).
pub fn device_cookie(state: &AppState, value: &str) -> HeaderValue {
    cookie_header(
        state,
        super::sign_in_guard::DEVICE_COOKIE,
        value,
        365 * 24 * 3600,
    )
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Secure over https.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let max_age = state.settings.session_ttl_secs;
    cookie_header(state, SESSION_COOKIE, token, max_age)
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_session_cookie(state: &AppState) -> HeaderValue {
    cookie_header(state, SESSION_COOKIE, "", 0)
}

/// HttpOnly, SameSite=Lax, site-wide, `Secure` over https.
fn cookie_header(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie)
        .expect("cookies built from URL-safe base64 and hex are valid headers")
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = authenticate(state, &parts.headers).await?;
        // Routes that take a `Caller` are the JSON API and the socket: reading needs `read`,
        // anything else `write`.
        caller.require_scope(!matches!(parts.method, Method::GET | Method::HEAD))?;
        Ok(caller)
    }
}
