//! Settings → Email's mailbox (owner only): checking what the owner typed, sealing the
//! password, saving, and (re)starting the watcher (`email::imap`).
use super::auth::Caller;
use super::state::AppState;
use super::store::mailboxes::MailboxSettings;
use crate::model::auth::Role;
use crate::model::error::AppError;
use crate::model::mailbox::MailboxView;

/// The form as typed.
pub struct Form {
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub address: String,
    pub enabled: bool,
}

fn owner_only(caller: &Caller) -> Result<(), AppError> {
    caller.require_owner("the mailbox")
}

pub async fn view(state: &AppState, caller: &Caller) -> Result<Option<MailboxView>, AppError> {
    if caller.user.role != Role::Owner {
        return Ok(None);
    }
    let mailbox = state.store.mailbox(caller.user.workspace_id).await?;
    Ok(Some(match mailbox {
        None => MailboxView {
            port: 993,
            security: "tls".into(),
            folder: "INBOX".into(),
            enabled: true,
            ..MailboxView::default()
        },
        Some(m) => MailboxView {
            configured: true,
            host: m.settings.host,
            port: m.settings.port,
            security: m.settings.security,
            username: m.settings.username,
            folder: m.settings.folder,
            address: m.settings.address,
            enabled: m.enabled,
            last_sync_at: m.last_sync_at,
            last_error: m.last_error,
        },
    }))
}

/// The settings `form` describes, or the first field that is wrong.
fn check(form: &Form) -> Result<MailboxSettings, AppError> {
    let host = form.host.trim();
    if host.is_empty()
        || host.len() > 253
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return Err(AppError::validation(
            "host",
            "Enter the IMAP server's host name, like imap.example.com.",
        ));
    }
    let port: i64 = match form.port.trim().parse() {
        Ok(p @ 1..=65535) => p,
        _ => {
            return Err(AppError::validation(
                "port",
                "Enter a port between 1 and 65535 (usually 993).",
            ))
        }
    };
    let security = match form.security.as_str() {
        s @ ("tls" | "starttls" | "none") => s.to_string(),
        _ => {
            return Err(AppError::validation(
                "security",
                "Choose TLS, STARTTLS or none.",
            ))
        }
    };
    let username = form.username.trim();
    if username.is_empty() || username.len() > 254 || username.chars().any(char::is_control) {
        return Err(AppError::validation(
            "username",
            "Enter the mailbox's user name.",
        ));
    }
    let folder = match form.folder.trim() {
        "" => "INBOX",
        f => f,
    };
    if folder.len() > 200 || folder.chars().any(|c| c.is_control() || c == '"') {
        return Err(AppError::validation(
            "folder",
            "Enter a folder name like INBOX.",
        ));
    }
    let address = form.address.trim().to_lowercase();
    let (local, domain) = address.split_once('@').unwrap_or_default();
    if local.is_empty()
        || !domain.contains('.')
        || address.len() > 254
        || address.contains(char::is_whitespace)
    {
        return Err(AppError::validation(
            "address",
            "Enter the mailbox's email address: replies to your email go there.",
        ));
    }
    if form.password.len() > 1000 || form.password.chars().any(char::is_control) {
        return Err(AppError::validation(
            "password",
            "That password cannot be used.",
        ));
    }
    Ok(MailboxSettings {
        host: host.to_string(),
        port,
        security,
        username: username.to_string(),
        folder: folder.to_string(),
        address,
    })
}

pub async fn save(state: &AppState, caller: &Caller, form: Form) -> Result<MailboxView, AppError> {
    owner_only(caller)?;
    let settings = check(&form)?;
    let sealed = (!form.password.is_empty()).then(|| state.secrets.seal(&form.password));
    let workspace = caller.user.workspace_id;
    let saved = state
        .store
        .save_mailbox(workspace, &settings, sealed.as_deref(), form.enabled)
        .await?;
    if !saved {
        return Err(AppError::validation(
            "password",
            "Enter the mailbox's password.",
        ));
    }
    super::email::imap::restart(state, workspace);
    view(state, caller).await?.ok_or(AppError::Internal)
}

pub async fn remove(state: &AppState, caller: &Caller) -> Result<(), AppError> {
    owner_only(caller)?;
    let workspace = caller.user.workspace_id;
    state.store.delete_mailbox(workspace).await?;
    super::email::imap::restart(state, workspace);
    Ok(())
}
