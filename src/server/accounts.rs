//! Sign-up, sign-in and sign-out; a user's own name and password.
use super::auth::{Caller, Via};
use super::crypto::{random_token, token_hash};
use super::revocations::Ended;
use super::sign_in_guard::Attempt;
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
    /// After a password sign-in: the device cookie that exempts this browser from the limits
    /// other clients' failures trigger (see `sign_in_guard`).
    pub device: Option<String>,
}

/// Where an unauthenticated request came from, for the per-client limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Knock<'a> {
    pub ip: Option<IpAddr>,
    pub device_cookie: Option<&'a str>,
}

/// Charges one request without an account (sign-up, sign-in, invite look-up or acceptance, a
/// signed-out page) to the client's address.
pub async fn admit_public_request(state: &AppState, ip: Option<IpAddr>) -> Result<(), AppError> {
    state.public_requests.charge(ip).await
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
pub async fn signup(
    state: &AppState,
    input: SignupInput<'_>,
    ip: Option<IpAddr>,
) -> Result<Session, AppError> {
    admit_public_request(state, ip).await?;
    let name = parse_person_name("name", input.name)?;
    let email = Email::parse("email", input.email)?;
    let password = Password::parse("password", input.password)?;
    let workspace = parse_workspace_name("workspace", input.workspace)?;
    if state.store.email_taken(email.as_str()).await? {
        return Err(AppError::validation("email", EMAIL_TAKEN));
    }
    // Counted only for valid input, so a typo does not use up the hour's allowance.
    state.signups.charge(ip).await?;
    let hash = state.passwords.hash(password.expose()).await?;
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
        Err(e) => return Err(e.into()),
    };
    start_session(state, user).await
}

/// Checks the password and signs the user in. A client that keeps failing is slowed down
/// (429); the account's owner on another device is not (see `sign_in_guard`).
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    knock: Knock<'_>,
) -> Result<Session, AppError> {
    admit_public_request(state, knock.ip).await?;
    let email = Email::parse("email", email)?;
    if password.is_empty() {
        return Err(AppError::validation("password", "Password is required."));
    }
    let attempt = Attempt {
        email: email.as_str(),
        ip: knock.ip,
        device_cookie: knock.device_cookie,
    };
    if let Err(wait) = state
        .sign_in_guard
        .admit_counted(&attempt, Instant::now())
        .await?
    {
        return Err(AppError::RateLimited {
            message: format!(
                "Too many failed sign-in attempts. Try again in {} minute(s).",
                wait.div_ceil(60)
            ),
            retry_after_secs: wait,
        });
    }
    let record = state.store.user_by_email(email.as_str()).await?;
    // An unknown account costs the same hashing time: timing does not reveal who has one.
    let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
    let verified = state.passwords.verify(password, stored_hash).await?;
    match record {
        Some(user) if verified => {
            let device = state.sign_in_guard.succeeded_counted(&attempt).await?;
            let mut session = start_session(state, user.id).await?;
            session.device = Some(device);
            Ok(session)
        }
        _ => Err(AppError::InvalidCredentials),
    }
}

/// Ends the session server-side, so the cookie is worthless even if it was copied.
pub async fn logout(state: &AppState, session_token: &str) -> Result<(), AppError> {
    let hash = token_hash(session_token);
    state.store.delete_session(&hash).await?;
    // Its open sockets close now, not at their next heartbeat.
    state.revocations.announce(Ended::Session(hash)).await;
    Ok(())
}

/// Creates a session for `user` and returns it with the signed-in user.
pub async fn start_session(state: &AppState, user: UserId) -> Result<Session, AppError> {
    let store = &state.store;
    let token = random_token();
    let expires = now() + chrono::Duration::seconds(state.settings.session_ttl_secs);
    store
        .create_session(&token_hash(&token), user, expires)
        .await?;
    let record = store
        .session_user(&token_hash(&token))
        .await?
        .ok_or(AppError::Internal)?;
    Ok(Session {
        user: record.user.into(),
        token,
        device: None,
    })
}

/// Changes the caller's display name.
pub async fn rename(state: &AppState, caller: &Caller, name: &str) -> Result<(), AppError> {
    caller.require_session()?;
    let name = parse_person_name("name", name)?;
    // Its `member_renamed` event renames the user's open tabs in presence, on every instance
    // (`realtime::fanout`).
    state
        .store
        .rename_user(caller.user.workspace_id, caller.user.id, &name)
        .await?;
    Ok(())
}

/// Changes the caller's password after checking the current one. Every other session of the
/// user ends (a password is changed because it may be known to someone else); the session
/// that made the change stays signed in.
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    caller.require_session()?;
    let keep = match &caller.via {
        Via::Session { token_hash, .. } => Some(token_hash.as_str()),
        Via::Token { .. } => None,
    };
    if current.is_empty() {
        return Err(AppError::validation(
            "current_password",
            "Enter your current password.",
        ));
    }
    let new = Password::parse("new_password", new)?;
    let stored = state.store.password_hash(caller.user.id).await?;
    if !state.passwords.verify(current, stored).await? {
        return Err(AppError::validation(
            "current_password",
            "That is not your current password.",
        ));
    }
    let hash = state.passwords.hash(new.expose()).await?;
    let ended = state
        .store
        .set_password(caller.user.id, &hash, keep)
        .await?;
    for session in ended {
        state.revocations.announce(Ended::Session(session)).await;
    }
    Ok(())
}
