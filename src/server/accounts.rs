//! Sign-up, sign-in and sign-out.
use super::crypto::{
    burn_password_check, hash_password, random_token, token_hash, verify_password,
};
use super::http_error::internal;
use super::state::AppState;
use super::store::{is_unique_violation, now, workspaces::NewUser};
use crate::model::auth::{parse_person_name, parse_workspace_name, CurrentUser, Email, Password};
use crate::model::error::AppError;
use crate::model::ids::UserId;
use std::net::IpAddr;
use std::time::Instant;

/// A signed-in user and the secret to put in their session cookie.
pub struct Session {
    pub user: CurrentUser,
    pub token: String,
}

/// Raw sign-up input, as typed.
pub struct SignupInput<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub workspace: &'a str,
}

pub const EMAIL_TAKEN: &str = "An account with this email already exists. Sign in instead.";

/// Creates a workspace with its first user and signs them in.
pub async fn signup(state: &AppState, input: SignupInput<'_>) -> Result<Session, AppError> {
    let name = parse_person_name("name", input.name)?;
    let email = Email::parse("email", input.email)?;
    let password = Password::parse("password", input.password)?;
    let workspace = parse_workspace_name("workspace", input.workspace)?;
    if state
        .store
        .email_taken(email.as_str())
        .await
        .map_err(internal("checking sign-up email"))?
    {
        return Err(AppError::validation("email", EMAIL_TAKEN));
    }
    let hash = hash_off_thread(password).await?;
    let new_user = NewUser {
        name: &name,
        email: email.as_str(),
        password_hash: &hash,
    };
    let (_, user) = match state
        .store
        .create_workspace_with_owner(&workspace, new_user)
        .await
    {
        Ok(ids) => ids,
        // Two sign-ups racing for one email: the unique index decides.
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::validation("email", EMAIL_TAKEN))
        }
        Err(e) => return Err(internal("creating workspace")(e)),
    };
    start_session(state, user).await
}

/// Checks the password (rate limited per account and per IP) and signs the user in.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<Session, AppError> {
    let email = Email::parse("email", email)?;
    if password.is_empty() {
        return Err(AppError::validation("password", "Password is required."));
    }
    let limiter = &state.login_failures;
    let settings = &state.settings;
    let account_key = format!("account:{}", email.as_str());
    let ip_key = ip.map(|ip| format!("ip:{ip}"));
    let at = Instant::now();
    let blocked = limiter
        .blocked(&account_key, settings.login_max_failures_per_account, at)
        .or_else(|| {
            ip_key
                .as_deref()
                .and_then(|k| limiter.blocked(k, settings.login_max_failures_per_ip, at))
        });
    if let Some(wait) = blocked {
        return Err(AppError::RateLimited {
            message: format!(
                "Too many failed sign-in attempts. Try again in {} minute(s).",
                wait.div_ceil(60)
            ),
            retry_after_secs: wait,
        });
    }

    // Count the attempt before the slow check, so parallel guesses cannot all slip past the
    // limit; a success takes it back.
    limiter.record_failure(&account_key, at);
    if let Some(k) = &ip_key {
        limiter.record_failure(k, at);
    }
    let record = state
        .store
        .user_by_email(email.as_str())
        .await
        .map_err(internal("looking up account"))?;
    let password = password.to_string();
    let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || match stored_hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            burn_password_check(&password);
            false
        }
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password check task failed");
        AppError::Internal
    })?;

    match record {
        Some(user) if verified => {
            limiter.clear(&account_key);
            if let Some(k) = &ip_key {
                limiter.forgive_one(k);
            }
            start_session(state, user.id).await
        }
        _ => Err(AppError::InvalidCredentials),
    }
}

/// Ends the session server-side, so the cookie is worthless even if it was copied.
pub async fn logout(state: &AppState, session_token: &str) -> Result<(), AppError> {
    state
        .store
        .delete_session(&token_hash(session_token))
        .await
        .map_err(internal("deleting session"))
}

/// Creates a session for `user` and returns it with the signed-in user.
pub async fn start_session(state: &AppState, user: UserId) -> Result<Session, AppError> {
    let store = &state.store;
    // Housekeeping rides along with sign-ins rather than needing a timer.
    store
        .delete_expired_sessions()
        .await
        .map_err(internal("pruning sessions"))?;
    let token = random_token();
    let expires = now() + chrono::Duration::seconds(state.settings.session_ttl_secs);
    store
        .create_session(&token_hash(&token), user, expires)
        .await
        .map_err(internal("creating session"))?;
    let record = store
        .session_user(&token_hash(&token))
        .await
        .map_err(internal("reading new session"))?
        .ok_or(AppError::Internal)?;
    Ok(Session {
        user: record.into(),
        token,
    })
}

/// argon2id is deliberately slow; keep it off the async workers.
pub async fn hash_off_thread(password: Password) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(password.expose()))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing task failed");
            AppError::Internal
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}
