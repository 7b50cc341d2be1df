//! The invite email: sent when a teammate is invited "by email", through the same relay as
//! every other email, or kept in the built-in outbox without one (sealed: the link is a
//! credential). Sent while the inviter waits, so a refused address or an unreachable relay is
//! said at once, beside the link they can still copy.
use super::transport::Transport;
use crate::model::ids::WorkspaceId;
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use lettre::message::{header::ContentType, Mailbox};

/// What the invite email says, and to whom.
pub struct InviteMail<'a> {
    pub workspace: WorkspaceId,
    pub workspace_name: &'a str,
    pub inviter: &'a str,
    pub to: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Sends it; where it went (`smtp` or `outbox`), or why it could not be sent.
pub async fn send(state: &AppState, mail: &InviteMail<'_>) -> Result<&'static str, String> {
    let subject = format!(
        "{} invited you to {} on Leadwire",
        mail.inviter, mail.workspace_name
    );
    let body = format!(
        "Hello,\n\n{inviter} invited you to join {workspace} on Leadwire, where your team answers \
         leads on email, SMS, WhatsApp, Instagram and website chat in one place.\n\n\
         Accept the invite and choose your password here:\n{link}\n\n\
         The link works once and until {expires} (UTC). If you did not expect this email, you \
         can ignore it.\n",
        inviter = mail.inviter,
        workspace = mail.workspace_name,
        link = mail.link,
        expires = mail.expires_at.format("%-d %B %Y, %H:%M"),
    );
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| format!("{} is not an address mail can be sent to.", mail.to))?;
    let message = lettre::Message::builder()
        .from(state.settings.mail.from.clone())
        .to(to)
        .subject(subject.clone())
        // A Message-ID of lettre's making (mail without one is often taken for spam).
        .message_id(None)
        .date_now()
        .user_agent("Leadwire".into())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| format!("Could not build the email: {e}"))?;
    let transport = Transport::new(&state.settings.mail)?;
    let delivered = transport
        // Sent while the inviter waits: nothing to record before the data leaves, and an
        // answer that never comes is reported to them like any other failure.
        .send_message(message, || async { Ok(()) })
        .await
        .map_err(|e| e.reason)?;
    if let Some(raw) = delivered.raw {
        state
            .store
            .insert_account_email(mail.workspace, mail.to, &subject, &state.secrets.seal(&raw))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "could not keep an invite email for the outbox");
                "The email could not be kept in the outbox.".to_string()
            })?;
    }
    Ok(delivered.via)
}
