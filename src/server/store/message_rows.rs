//! One message as the API shows it: its row and SELECT, reading it inside a write, changing
//! its delivery status (with the dashboard's figures) and announcing the change to sockets.
//! Shared by the message, email and channel-delivery stores, below all three.
use super::db::{on_conn, Backend, Conn};
use super::events::{append, LoggedEvent};
use crate::model::channel::Channel;
use crate::model::event::{RowAction, ServerFrame};
use crate::model::ids::{LeadId, MessageId, UserId, WorkspaceId};
use crate::model::message::{Direction, Message, MessageStatus};
use chrono::{DateTime, Utc};
use std::sync::LazyLock;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    id: MessageId,
    lead_id: LeadId,
    direction: String,
    channel: String,
    subject: Option<String>,
    body: String,
    status: MessageStatus,
    status_reason: Option<String>,
    author_name: Option<String>,
    author_id: Option<UserId>,
    client_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    opened_at: Option<DateTime<Utc>>,
    clicked_at: Option<DateTime<Utc>>,
    proxy_opened_at: Option<DateTime<Utc>>,
    quoted: Option<String>,
    auto_reply: bool,
    has_html: bool,
    omitted: Option<String>,
    /// JSON array of [`AttachmentMeta`] (received email only).
    attachments: Option<String>,
    delivered_via: Option<String>,
}

/// The columns of a [`MessageRow`], to follow with a WHERE on `m`.
pub(super) fn message_select(backend: Backend) -> &'static str {
    static SQLITE: LazyLock<String> = LazyLock::new(|| message_select_for(Backend::Sqlite));
    static POSTGRES: LazyLock<String> = LazyLock::new(|| message_select_for(Backend::Postgres));
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

fn message_select_for(b: Backend) -> String {
    let files = |table| {
        let fields = [
            ("id", b.id_hex("r.id")),
            ("filename", "r.filename".to_string()),
            ("content_type", "r.content_type".to_string()),
            ("size", "r.size".to_string()),
        ];
        b.json_rows(&fields, table, "message_id = m.id", "position")
    };
    format!(
        "SELECT m.id, m.lead_id, m.direction, m.channel, m.subject, m.body, m.status, \
         m.status_reason, u.name AS author_name, m.author_id, m.client_id, m.created_at, m.opened_at, m.clicked_at, \
         m.proxy_opened_at, ie.quoted_text AS quoted, m.auto_reply, m.delivered_via, \
         (ie.html_body IS NOT NULL) AS has_html, ie.omitted, \
         CASE WHEN ie.message_id IS NOT NULL THEN {} \
         WHEN m.channel IN ('sms', 'whatsapp', 'instagram') THEN {} END AS attachments \
         FROM messages m LEFT JOIN users u ON u.id = m.author_id \
         LEFT JOIN inbound_emails ie ON ie.message_id = m.id",
        files("inbound_attachments"),
        files("channel_media"),
    )
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Self {
        Message {
            id: r.id,
            lead_id: r.lead_id,
            // CHECK constraints keep both columns to known values.
            direction: Direction::parse(&r.direction).unwrap_or(Direction::Inbound),
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Chat),
            subject: r.subject,
            body: r.body,
            status: r.status,
            status_reason: r.status_reason,
            author_name: r.author_name,
            author_id: r.author_id,
            client_id: r.client_id,
            created_at: r.created_at,
            opened_at: r.opened_at,
            clicked_at: r.clicked_at,
            proxy_opened_at: r.proxy_opened_at,
            quoted: r.quoted,
            auto_reply: r.auto_reply,
            attachments: r
                .attachments
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default(),
            has_html: r.has_html,
            omitted: r
                .omitted
                .map(|o| o.lines().map(str::to_string).collect())
                .unwrap_or_default(),
            delivered_via: r.delivered_via,
        }
    }
}

/// One message as it stands, inside a transaction.
pub(super) async fn message_in(mut tx: Conn<'_>, id: MessageId) -> Result<Message, sqlx::Error> {
    let select = message_select(tx.backend());
    Ok(
        on_conn!(tx, |c, sql| sqlx::query_as::<_, MessageRow>(sql(&format!(
            "{select} WHERE m.id = ?"
        )))
        .bind(id)
        .fetch_one(c)
        .await)?
        .into(),
    )
}

/// A message's delivery status (and the dashboard's delivered and opened figures with it).
pub(super) async fn set_status(
    mut tx: Conn<'_>,
    message: MessageId,
    status: MessageStatus,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    use super::rollups::{message_changed_in, message_facts_in, MESSAGE_FACTS};
    let before = message_facts_in(tx.reborrow(), message).await?;
    let after = on_conn!(tx, |c, sql| sqlx::query_as(sql(&format!(
        "UPDATE messages SET status = ?, status_reason = ? WHERE id = ? RETURNING {MESSAGE_FACTS}"
    )))
    .bind(status)
    .bind(reason)
    .bind(message)
    .fetch_optional(c)
    .await)?;
    message_changed_in(tx.reborrow(), before, after).await
}

/// Appends `messages_updated UPDATE` with the message as it now stands, and returns both.
pub(super) async fn message_updated(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    id: MessageId,
) -> Result<(LoggedEvent, Message), sqlx::Error> {
    let message = message_in(tx.reborrow(), id).await?;
    let event = append(tx.reborrow(), workspace, None, |seq| {
        ServerFrame::MessagesUpdated {
            seq,
            action: RowAction::Update,
            message: message.clone(),
        }
    })
    .await?;
    Ok((event, message))
}

/// What a retry (of an email or a channel message) found.
pub enum RetryOutcome {
    Queued(Box<Message>),
    NotFound,
    /// Only failed emails can be retried.
    NotFailed,
}
