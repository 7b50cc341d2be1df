//! The built-in outbox: listing mail the workspace "sent" without a relay, and serving each
//! HTML part as the recipient's mail client would show it.
use super::auth::Caller;
use super::state::AppState;
use crate::model::error::AppError;
use crate::model::ids::MessageId;
use crate::model::outbox::{display_headers, text_body, OutboxEntry, OutboxMail, TeamMail};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// How many outbox mails the list shows.
const LIST_LIMIT: i64 = 200;

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<OutboxEntry>, AppError> {
    let rows = state
        .store
        .outbox(caller.user.workspace_id, LIST_LIMIT)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxEntry {
            message_id: r.message_id,
            lead_id: r.lead_id,
            lead_name: r.lead_name,
            to: r.to_address,
            subject: r.subject,
            sent_at: r.sent_at,
            opened_at: r.opened_at,
        })
        .collect())
}

/// Mail to people rather than leads that went to the outbox (teammates' invites), readable:
/// any teammate may invite, so any teammate may read them.
pub async fn team_mail(state: &AppState, caller: &Caller) -> Result<Vec<TeamMail>, AppError> {
    let rows = state
        .store
        .account_emails(caller.user.workspace_id, LIST_LIMIT)
        .await?;
    let mut mails = Vec::with_capacity(rows.len());
    for row in rows {
        // Sealed with another key (the key file was replaced): listed, its text not readable.
        let text = state
            .secrets
            .open(&row.raw_sealed)
            .map(|raw| text_body(&raw))
            .unwrap_or_else(|| "(sealed with another server key; not readable here)".into());
        mails.push(TeamMail {
            to: row.to_address,
            subject: row.subject,
            sent_at: row.sent_at,
            text,
        });
    }
    Ok(mails)
}

/// The caller's workspace's outbox mail `id`, whole.
async fn find(
    state: &AppState,
    caller: &Caller,
    id: MessageId,
) -> Result<crate::server::store::emails::OutboxMail, AppError> {
    state
        .store
        .outbox_mail(caller.user.workspace_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn get(state: &AppState, caller: &Caller, id: MessageId) -> Result<OutboxMail, AppError> {
    let mail = find(state, caller, id).await?;
    Ok(OutboxMail {
        message_id: mail.message_id,
        lead_id: mail.lead_id,
        lead_name: mail.lead_name,
        subject: mail.subject,
        sent_at: mail.sent_at,
        headers: display_headers(&mail.raw_message),
        raw: mail.raw_message,
    })
}

/// The outbox's "Reply as the lead": writes the reply the lead's mail client would send (their
/// address in `From`, ours in `To`, `Re:` subject, `In-Reply-To`/`References` naming our email,
/// the original quoted below) and takes it in through the inbound path every received email
/// takes, so the round trip can be tried with no mail account. Returns the stored message.
pub async fn reply_as_lead(
    state: &AppState,
    caller: &Caller,
    id: MessageId,
    body: &str,
) -> Result<crate::model::message::Message, AppError> {
    use crate::server::email::inbound::parse;
    use crate::server::store::inbound_emails::Received;
    let body = crate::model::message::parse_body(body)?;
    let mail = find(state, caller, id).await?;
    let raw = lead_reply(&state.settings.mail.from, &mail, &body)?;
    let email = parse(&raw).map_err(|_| AppError::Internal)?;
    match state
        .store
        .receive_email(caller.user.workspace_id, &email)
        .await?
    {
        Received::Stored { message, .. } => Ok(*message),
        Received::Duplicate { .. } => Err(AppError::conflict("That reply was already received.")),
    }
}

/// The raw RFC 5322 reply of the lead to `mail`, saying `text` above the quoted original.
fn lead_reply(
    ours: &lettre::message::Mailbox,
    mail: &crate::server::store::emails::OutboxMail,
    text: &str,
) -> Result<Vec<u8>, AppError> {
    let parent_id = &mail.message_id_header;
    let lead: lettre::message::Mailbox = format!(
        "{} <{}>",
        mail.lead_name.replace(['<', '>', '"'], ""),
        mail.to_address
    )
    .parse()
    .or_else(|_| mail.to_address.parse())
    .map_err(|_| AppError::validation("body", "The lead's address cannot send a reply."))?;
    let domain = mail.to_address.rsplit('@').next().unwrap_or("lead.invalid");
    let subject = if mail.subject.to_lowercase().starts_with("re:") {
        mail.subject.clone()
    } else {
        format!("Re: {}", mail.subject)
    };
    let quoted: String = mail.text_body.lines().map(|l| format!("> {l}\n")).collect();
    let body = format!(
        "{text}\n\nOn {}, {} wrote:\n{quoted}",
        mail.sent_at.format("%a, %-d %b %Y at %H:%M UTC"),
        ours
    );
    let reply = lettre::Message::builder()
        .from(lead)
        .to(ours.clone())
        .subject(subject)
        .message_id(Some(format!(
            "<{}@{domain}>",
            uuid::Uuid::new_v4().simple()
        )))
        .in_reply_to(format!("<{parent_id}>"))
        .references(format!("<{parent_id}>"))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|_| AppError::Internal)?;
    Ok(reply.formatted())
}

/// `GET /outbox/{id}/html`: the HTML part, for the viewer's sandboxed iframe. The content
/// security policy allows images and inline styles only: no scripts, no forms, no frames.
pub async fn html(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = MessageId::parse(&id).ok_or(AppError::NotFound)?;
    let mail = state
        .store
        .outbox_mail(caller.user.workspace_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The lead's view: their mail client loads remote images (the tracking pixel among them).
    Ok(email_html(
        "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
        mail.html_body,
    ))
}

/// An email's HTML part for a sandboxed frame of ours, under `csp` (which must allow no script).
pub fn email_html(csp: &'static str, html: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        html,
    )
        .into_response()
}
