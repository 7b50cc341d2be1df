//! Sign-up, sign-in, sign-out, "who am I" and the user's own name and password, for the UI.
use crate::model::auth::CurrentUser;
use crate::model::error::AppError;
use leptos::prelude::*;

/// The signed-in user, or `None` for a visitor.
#[server(prefix = "/rpc", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    match super::caller().await {
        Ok((_, caller)) => Ok(Some(caller.user)),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}

#[server(prefix = "/rpc", endpoint = "signup")]
pub async fn signup(
    name: String,
    email: String,
    password: String,
    workspace: String,
) -> Result<(), AppError> {
    use crate::server::accounts::{signup, SignupInput};
    let (state, parts) = super::request()?;
    let input = SignupInput {
        name: &name,
        email: &email,
        password: &password,
        workspace: &workspace,
    };
    let session = signup(&state, input, super::client_ip(&state, &parts)).await?;
    super::set_cookie(crate::server::auth::session_cookie(&state, &session.token));
    leptos_axum::redirect("/leads");
    Ok(())
}

/// Signs in and continues to `next` when it is a path on this site.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: String) -> Result<(), AppError> {
    use crate::model::auth::safe_next_path;
    use crate::server::accounts::Knock;
    use crate::server::auth::{cookie, device_cookie, session_cookie};
    use crate::server::sign_in_guard::DEVICE_COOKIE;
    let (state, parts) = super::request()?;
    let knock = Knock {
        ip: super::client_ip(&state, &parts),
        device_cookie: cookie(&parts.headers, DEVICE_COOKIE),
    };
    let session = crate::server::accounts::login(&state, &email, &password, knock).await?;
    super::set_cookie(session_cookie(&state, &session.token));
    if let Some(device) = &session.device {
        super::set_cookie(device_cookie(&state, device));
    }
    leptos_axum::redirect(safe_next_path(&next).unwrap_or("/"));
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::auth::{cleared_session_cookie, session_token};
    let (state, parts) = super::request()?;
    if let Some(token) = session_token(&parts.headers) {
        crate::server::accounts::logout(&state, token).await?;
    }
    super::set_cookie(cleared_session_cookie(&state));
    leptos_axum::redirect("/login");
    Ok(())
}

/// Renames the signed-in user.
#[server(prefix = "/rpc", endpoint = "rename_me")]
pub async fn rename_me(name: String) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::accounts::rename(&state, &caller, &name).await
}

/// Changes the signed-in user's password; their other sessions end.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::accounts::change_password(&state, &caller, &current_password, &new_password)
        .await
}
