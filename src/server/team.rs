//! The team of a workspace: members and invites.
use super::accounts::{admit_public_request, start_session, Session, EMAIL_TAKEN};
use super::auth::Caller;
use super::crypto::{random_token, token_hash};
use super::email::invite_mail::{self, InviteMail};
use super::revocations::Ended;
use super::state::AppState;
use super::store::{invites::AcceptError, now, users::RoleChange, workspaces::NewUser};
use crate::model::auth::{
    parse_person_name, CreatedInvite, Email, InviteDetails, Password, PendingInvite, Role,
    TeamMember,
};
use crate::model::error::AppError;
use crate::model::ids::{InviteId, UserId};

pub async fn members(state: &AppState, caller: &Caller) -> Result<Vec<TeamMember>, AppError> {
    Ok(state.store.team_members(caller.user.workspace_id).await?)
}

pub async fn pending_invites(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<PendingInvite>, AppError> {
    Ok(state
        .store
        .pending_invites(caller.user.workspace_id)
        .await?)
}

/// Creates an invite link for `email`, and (`send_email`) emails it to them. The link is
/// returned once; only its hash is kept (and, for an email kept in the outbox, the sealed mail).
#[tracing::instrument(skip_all, fields(workspace = %caller.user.workspace_id))]
pub async fn invite(
    state: &AppState,
    caller: &Caller,
    email: &str,
    send_email: bool,
) -> Result<CreatedInvite, AppError> {
    let email = Email::parse("email", email)?;
    if state.store.email_taken(email.as_str()).await? {
        return Err(AppError::validation(
            "email",
            "Someone with this email already has a Leadwire account.",
        ));
    }
    let token = random_token();
    let expires = now() + chrono::Duration::hours(state.settings.invite_ttl_hours);
    let invite = state
        .store
        .create_invite(
            caller.user.workspace_id,
            caller.user.id,
            email.as_str(),
            &token_hash(&token),
            expires,
        )
        .await?;
    let link = format!("{}/invite/{token}", state.settings.public_url);
    let (emailed, email_error) = if send_email {
        let mail = InviteMail {
            workspace: caller.user.workspace_id,
            workspace_name: &caller.user.workspace_name,
            inviter: &caller.user.name,
            to: email.as_str(),
            link: &link,
            expires_at: expires,
        };
        match invite_mail::send(state, &mail).await {
            Ok(via) => (Some(via.to_string()), None),
            Err(why) => {
                tracing::warn!(reason = %why, "an invite email was not sent");
                (None, Some(why))
            }
        }
    } else {
        (None, None)
    };
    Ok(CreatedInvite {
        invite,
        link,
        emailed,
        email_error,
    })
}

pub async fn revoke_invite(
    state: &AppState,
    caller: &Caller,
    id: InviteId,
) -> Result<(), AppError> {
    let revoked = state
        .store
        .revoke_invite(caller.user.workspace_id, id)
        .await?;
    if revoked {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// What the invite page shows; unknown, used and expired links all read as not found.
pub async fn invite_details(state: &AppState, token: &str) -> Result<InviteDetails, AppError> {
    let invite = state
        .store
        .open_invite(&token_hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(InviteDetails {
        email: invite.email,
        workspace_name: invite.workspace_name,
        invited_by: invite.invited_by_name,
    })
}

/// Creates the teammate's account from the invite and signs them in.
pub async fn accept_invite(
    state: &AppState,
    token: &str,
    name: &str,
    password: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<Session, AppError> {
    admit_public_request(state, ip).await?;
    let name = parse_person_name("name", name)?;
    let password = Password::parse("password", password)?;
    let invite = state
        .store
        .open_invite(&token_hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    let hash = state.passwords.hash(password.expose()).await?;
    let user = NewUser {
        name: &name,
        email: &invite.email,
        password_hash: &hash,
    };
    match state.store.accept_invite(&invite, user).await {
        Ok(user) => start_session(state, user).await,
        Err(AcceptError::Gone) => Err(AppError::NotFound),
        Err(AcceptError::EmailTaken) => Err(AppError::validation("name", EMAIL_TAKEN)),
        Err(AcceptError::Db(e)) => Err(e.into()),
    }
}

/// Makes a teammate an owner or a member (owners only). A workspace always keeps an owner.
pub async fn set_role(
    state: &AppState,
    caller: &Caller,
    user: UserId,
    role: &str,
) -> Result<(), AppError> {
    caller.require_session()?;
    caller.require_owner("roles")?;
    let role = Role::parse("role", role)?;
    match state
        .store
        .set_role(caller.user.workspace_id, user, role)
        .await?
    {
        RoleChange::Changed => Ok(()),
        RoleChange::NotMember => Err(AppError::NotFound),
        RoleChange::LastOwner => Err(AppError::validation(
            "role",
            "A workspace needs an owner: make a teammate owner first.",
        )),
    }
}

/// Removes a teammate from the workspace (owners only; not yourself: hand ownership over and
/// let another owner remove you). They are signed out everywhere at once; what they wrote keeps
/// their name; their leads become unassigned.
#[tracing::instrument(skip_all, fields(workspace = %caller.user.workspace_id))]
pub async fn remove_member(
    state: &AppState,
    caller: &Caller,
    user: UserId,
) -> Result<(), AppError> {
    caller.require_session()?;
    caller.require_owner_to("remove teammates")?;
    if user == caller.user.id {
        return Err(AppError::validation(
            "user_id",
            "You can't remove yourself: another owner can.",
        ));
    }
    let removed = state
        .store
        .remove_member(caller.user.workspace_id, user)
        .await?
        .ok_or(AppError::NotFound)?;
    for session in removed.sessions {
        state.revocations.announce(Ended::Session(session)).await;
    }
    for token in removed.tokens {
        state.revocations.announce(Ended::Token(token)).await;
    }
    Ok(())
}
