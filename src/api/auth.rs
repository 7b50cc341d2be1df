//! Sign-up, sign-in, sign-out and "who am I" for the UI.
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
    let (state, _) = super::request()?;
    let input = SignupInput {
        name: &name,
        email: &email,
        password: &password,
        workspace: &workspace,
    };
    let session = signup(&state, input).await?;
    super::set_cookie(crate::server::auth::session_cookie(&state, &session.token));
    leptos_axum::redirect("/leads");
    Ok(())
}

/// Signs in and continues to `next` when it is a path on this site.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: String) -> Result<(), AppError> {
    use crate::model::auth::safe_next_path;
    let (state, parts) = super::request()?;
    let ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let session = crate::server::accounts::login(&state, &email, &password, ip).await?;
    super::set_cookie(crate::server::auth::session_cookie(&state, &session.token));
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
