//! Messages of a lead's timeline.
use super::Store;
use crate::model::ids::{LeadId, MessageId, UserId, WorkspaceId};
use crate::model::message::{Channel, Direction, Message};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: MessageId,
    lead_id: LeadId,
    direction: String,
    channel: String,
    subject: Option<String>,
    body: String,
    status: String,
    author_name: Option<String>,
    created_at: DateTime<Utc>,
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
            author_name: r.author_name,
            created_at: r.created_at,
        }
    }
}

/// A message to store as it is (the demo seed, and later the send and webhook paths).
pub struct NewMessage<'a> {
    pub lead_id: LeadId,
    pub direction: Direction,
    pub channel: Channel,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub status: &'a str,
    pub author_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// A lead with its most recent message, for the inbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LatestMessage {
    pub lead_id: LeadId,
    pub lead_name: String,
    pub company: Option<String>,
    pub stage: String,
    pub owner_name: Option<String>,
    pub direction: String,
    pub channel: String,
    pub subject: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl Store {
    pub async fn insert_message(
        &self,
        workspace: WorkspaceId,
        m: &NewMessage<'_>,
    ) -> Result<MessageId, sqlx::Error> {
        let id = MessageId::new_random();
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, lead_id, direction, channel, subject, body, status, \
             author_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(workspace)
        .bind(m.lead_id)
        .bind(m.direction.as_str())
        .bind(m.channel.as_str())
        .bind(m.subject)
        .bind(m.body)
        .bind(m.status)
        .bind(m.author_id)
        .bind(m.created_at)
        .execute(self.pool())
        .await?;
        Ok(id)
    }

    /// The newest `limit` messages of a lead, returned oldest first.
    pub async fn lead_messages(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
        limit: i64,
    ) -> Result<Vec<Message>, sqlx::Error> {
        let mut rows = sqlx::query_as::<_, MessageRow>(
            "SELECT m.id, m.lead_id, m.direction, m.channel, m.subject, m.body, m.status, \
             u.name AS author_name, m.created_at FROM messages m LEFT JOIN users u ON u.id = m.author_id \
             WHERE m.workspace_id = ? AND m.lead_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
        )
        .bind(workspace)
        .bind(lead)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.reverse();
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One row per lead that has messages, most recent conversation first.
    pub async fn latest_messages(
        &self,
        workspace: WorkspaceId,
        limit: i64,
    ) -> Result<Vec<LatestMessage>, sqlx::Error> {
        sqlx::query_as::<_, LatestMessage>(
            "SELECT l.id AS lead_id, l.name AS lead_name, l.company, l.stage, u.name AS owner_name, \
             m.direction, m.channel, m.subject, m.body, m.created_at \
             FROM leads l \
             JOIN messages m ON m.id = (SELECT id FROM messages WHERE lead_id = l.id \
                                        ORDER BY created_at DESC, id DESC LIMIT 1) \
             LEFT JOIN users u ON u.id = l.owner_id \
             WHERE l.workspace_id = ? ORDER BY m.created_at DESC LIMIT ?",
        )
        .bind(workspace)
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    pub async fn message_count_since(
        &self,
        workspace: WorkspaceId,
        since: DateTime<Utc>,
    ) -> Result<i64, sqlx::Error> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM messages WHERE workspace_id = ? AND created_at >= ?",
        )
        .bind(workspace)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }
}
