//! Teammates and invites for the UI.
use crate::model::auth::{CreatedInvite, InviteDetails, TeamOverview};
use crate::model::error::AppError;
use crate::model::ids::{InviteId, UserId};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "team_overview")]
pub async fn get_team_overview() -> Result<TeamOverview, AppError> {
    use crate::server::team;
    let (state, caller) = super::caller().await?;
    Ok(TeamOverview {
        me: caller.user.id,
        members: team::members(&state, &caller).await?,
        invites: team::pending_invites(&state, &caller).await?,
    })
}

/// `send_email`: a checkbox's value ("on" when ticked).
#[server(prefix = "/rpc", endpoint = "invite_teammate")]
pub async fn invite_teammate(
    email: String,
    send_email: Option<String>,
) -> Result<CreatedInvite, AppError> {
    let (state, caller) = super::caller().await?;
    let send_email = send_email.is_some_and(|v| !matches!(v.as_str(), "" | "false" | "off"));
    crate::server::team::invite(&state, &caller, &email, send_email).await
}

#[server(prefix = "/rpc", endpoint = "revoke_invite")]
pub async fn revoke_invite(id: InviteId) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::team::revoke_invite(&state, &caller, id).await
}

/// Public: what the invite page shows to the person holding the link.
#[server(prefix = "/rpc", endpoint = "invite_details")]
pub async fn get_invite_details(token: String) -> Result<InviteDetails, AppError> {
    let (state, parts) = super::request()?;
    // Public: counted like every other request anyone can make without an account.
    crate::server::accounts::admit_public_request(&state, super::client_ip(&state, &parts)).await?;
    crate::server::team::invite_details(&state, &token).await
}

/// Public: creates the teammate's account from an invite link and signs them in.
#[server(prefix = "/rpc", endpoint = "accept_invite")]
pub async fn accept_invite(token: String, name: String, password: String) -> Result<(), AppError> {
    let (state, parts) = super::request()?;
    let ip = super::client_ip(&state, &parts);
    let session = crate::server::team::accept_invite(&state, &token, &name, &password, ip).await?;
    super::set_cookie(crate::server::auth::session_cookie(&state, &session.token));
    leptos_axum::redirect("/leads");
    Ok(())
}

/// Makes a teammate an owner or a member (owners only).
/// Removes a teammate (owners only): signed out everywhere, their leads unassigned.
#[server(prefix = "/rpc", endpoint = "remove_member")]
pub async fn remove_member(user_id: UserId) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::team::remove_member(&state, &caller, user_id).await
}

#[server(prefix = "/rpc", endpoint = "set_member_role")]
pub async fn set_member_role(user_id: UserId, role: String) -> Result<(), AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::team::set_role(&state, &caller, user_id, &role).await
}
