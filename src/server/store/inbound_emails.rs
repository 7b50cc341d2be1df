//! Received email: each workspace's inbound endpoint key and signing secret, and taking an email
//! into a lead's timeline (matched by thread headers, then by sender, else a new lead) in one
//! write, as an inbound message like any other.
use super::activity::{log_in, NewActivity};
use super::db::{on_conn, on_db, Conn};
use super::events::LoggedEvent;
use super::messages::{record_in, Recorded};
use super::{now, Store};
use crate::model::activity::ActivityKind;
use crate::model::channel::Channel;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::lead::Stage;
use crate::model::lead_input::LeadFields;
use crate::model::message::{AttachmentMeta, CollisionGuard, Direction, Message, MessageFields};
use crate::server::email::inbound::InboundEmail;

/// How a received email found its lead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MatchedBy {
    /// `In-Reply-To`/`References` named an email of this workspace's thread with the lead.
    Thread,
    /// The sender's address is a lead's email.
    Address,
    /// Nobody matched: a new lead was created from the sender.
    NewLead,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Thread => "thread",
            MatchedBy::Address => "address",
            MatchedBy::NewLead => "new_lead",
        }
    }
}

/// The outcome of [`Store::receive_email`].
pub enum Received {
    Stored {
        message: Box<Message>,
        matched_by: MatchedBy,
    },
    /// This Message-ID was taken before: nothing changed.
    Duplicate { message_id: MessageId },
}

impl Store {
    /// The workspace's inbound endpoint key and secret, made on first use.
    pub async fn inbound_email_key(
        &self,
        workspace: WorkspaceId,
    ) -> Result<(String, String), sqlx::Error> {
        let read = || async {
            on_db!(self.db(), |p, sql| sqlx::query_as(sql(
                "SELECT key, secret FROM inbound_email_keys WHERE workspace_id = ?"
            ))
            .bind(workspace)
            .fetch_optional(p)
            .await)
        };
        // Read first: even an INSERT that does nothing takes the write lock, and outside the
        // writer it would wait out the open batch (see `Store::connection_failed`).
        if let Some(key) = read().await? {
            return Ok(key);
        }
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "INSERT INTO inbound_email_keys (workspace_id, key, secret, created_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id) DO NOTHING",
        ))
        .bind(workspace)
        .bind(crate::server::crypto::random_hex(16))
        .bind(crate::server::crypto::random_hex(32))
        .bind(now())
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        read().await?.ok_or(sqlx::Error::RowNotFound)
    }

    /// The workspace an endpoint key belongs to, and its secret.
    pub async fn inbound_key_owner(
        &self,
        key: &str,
    ) -> Result<Option<(WorkspaceId, String)>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT workspace_id, secret FROM inbound_email_keys WHERE key = ?"
        ))
        .bind(key)
        .fetch_optional(p)
        .await)
    }

    /// Takes `email` into `workspace`: finds or creates its lead and records it as an inbound
    /// email message (inbox unread, feed, KPIs and sockets follow as for any inbound message),
    /// all in one write. Matching never leaves the workspace: a forged `In-Reply-To` naming
    /// another workspace's email matches nothing.
    pub async fn receive_email(
        &self,
        workspace: WorkspaceId,
        email: &InboundEmail,
    ) -> Result<Received, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let seen: Option<(MessageId,)> = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql("SELECT message_id FROM inbound_emails WHERE workspace_id = ? AND message_id_header = ?",))
        .bind(workspace)
        .bind(&email.message_id)
        .fetch_optional(c)
        .await
        })?;
        if let Some((message_id,)) = seen {
            tx.commit(Vec::new()).await?;
            return Ok(Received::Duplicate { message_id });
        }
        let (lead, matched_by, created) = lead_for(tx.reborrow(), workspace, email).await?;
        let mut events: Vec<_> = created.into_iter().collect();
        let fields = MessageFields {
            direction: Direction::Inbound,
            channel: Channel::Email,
            subject: email.subject.clone(),
            body: if email.new_text.is_empty() {
                "(no text)".to_string()
            } else {
                email.new_text.clone()
            },
            client_id: client_id(workspace, &email.message_id),
            guard: CollisionGuard::Off,
            template: None,
            attachments: Vec::new(),
        };
        // Named before the message is built, so its live event lists them.
        let attachments: Vec<AttachmentMeta> = email
            .attachments
            .iter()
            .map(|a| AttachmentMeta {
                id: uuid::Uuid::new_v4(),
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: a.data.len() as i64,
            })
            .collect();
        let (recorded, logged) = record_in(
            tx.reborrow(),
            workspace,
            lead,
            None,
            &fields,
            None,
            super::messages::EmailExtras {
                quoted: email.quoted.as_deref(),
                auto_reply: email.auto_reply,
                attachments: &attachments,
                has_html: email.html.is_some(),
                omitted: &email.omitted,
            },
        )
        .await?;
        events.extend(logged);
        let message = match recorded {
            Recorded::Created(message) => message,
            // The derived client id is only ever this email's: seen above, so not reachable.
            Recorded::Existing(message) => {
                tx.commit(events).await?;
                return Ok(Received::Duplicate {
                    message_id: message.id,
                });
            }
        };
        let omitted = (!email.omitted.is_empty()).then(|| email.omitted.join("\n"));
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO inbound_emails (message_id, workspace_id, message_id_header, from_address, \
             from_name, quoted_text, received_at, html_body, omitted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",))
        .bind(message.id)
        .bind(workspace)
        .bind(&email.message_id)
        .bind(&email.from_address)
        .bind(&email.from_name)
        .bind(&email.quoted)
        .bind(now())
        .bind(&email.html)
        .bind(omitted)
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        for (position, (meta, file)) in attachments.iter().zip(&email.attachments).enumerate() {
            on_conn!(tx, |c, sql| {
                sqlx::query(sql("INSERT INTO inbound_attachments (id, message_id, workspace_id, position, filename, \
                 content_type, content_id, size, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",))
            .bind(meta.id)
            .bind(message.id)
            .bind(workspace)
            .bind(position as i64)
            .bind(&meta.filename)
            .bind(&meta.content_type)
            .bind(&file.content_id)
            .bind(meta.size)
            .bind(&file.data)
            .execute(c)
            .await.map(super::db::Done::from)
            })?;
        }
        tx.commit(events).await?;
        Ok(Received::Stored {
            message: Box::new(message),
            matched_by,
        })
    }
}

/// The lead `email` belongs to: by its thread headers, then by its sender's address, else a new
/// lead made from the sender (with the feed event of its creation).
async fn lead_for(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    email: &InboundEmail,
) -> Result<(LeadId, MatchedBy, Option<LoggedEvent>), sqlx::Error> {
    if let Some(lead) = thread_lead(tx.reborrow(), workspace, &email.answers).await? {
        return Ok((lead, MatchedBy::Thread, None));
    }
    if let Some(lead) = address_lead(tx.reborrow(), workspace, &email.from_address).await? {
        return Ok((lead, MatchedBy::Address, None));
    }
    let local_part = email.from_address.split('@').next().unwrap_or_default();
    let name = email.from_name.as_deref().unwrap_or(local_part);
    let fields = LeadFields {
        name: name.chars().take(200).collect(),
        email: Some(email.from_address.clone()),
        phone: None,
        whatsapp: None,
        instagram: None,
        company: None,
        stage: Stage::New,
        deal_value_cents: None,
        owner_id: None,
    };
    let lead = super::leads::insert_lead_in(tx.reborrow(), workspace, &fields, now()).await?;
    let created = log_in(
        tx.reborrow(),
        workspace,
        NewActivity::new(ActivityKind::LeadCreated, lead),
    )
    .await?;
    Ok((lead, MatchedBy::NewLead, Some(created)))
}

/// The lead of the newest email of this workspace that `answers` names (ours or theirs).
async fn thread_lead(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    answers: &[String],
) -> Result<Option<LeadId>, sqlx::Error> {
    if answers.is_empty() {
        return Ok(None);
    }
    // Bounded: a References header can be long; the newest ids are the useful ones.
    let answers = &answers[..answers.len().min(50)];
    // Numbered (sqlx counts bare `?` from 1 whatever else the query names): ?1 the workspace,
    // ?2… the ids, used by both lists.
    let marks = (2..answers.len() + 2)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT m.lead_id FROM messages m WHERE m.workspace_id = ?1 AND m.id IN (\
         SELECT message_id FROM outbound_emails WHERE workspace_id = ?1 AND message_id_header IN ({marks}) \
         UNION ALL SELECT message_id FROM inbound_emails WHERE workspace_id = ?1 AND message_id_header IN ({marks})) \
         ORDER BY m.created_at DESC LIMIT 1"
    );
    let row = on_conn!(tx, |c, fit| {
        let mut query = sqlx::query_as::<_, (LeadId,)>(fit(&sql)).bind(workspace);
        for id in answers {
            query = query.bind(id);
        }
        query.fetch_optional(c).await
    })?;
    Ok(row.map(|(lead,)| lead))
}

/// The lead of this workspace whose email is `address`, the most recently active first.
async fn address_lead(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    address: &str,
) -> Result<Option<LeadId>, sqlx::Error> {
    let lead: Option<(LeadId,)> = on_conn!(tx, |c, sql| sqlx::query_as(sql(
        "SELECT id FROM leads WHERE workspace_id = ? AND lower(email) = ? \
         ORDER BY last_message_at DESC, created_at DESC LIMIT 1",
    ))
    .bind(workspace)
    .bind(address)
    .fetch_optional(c)
    .await)?;
    Ok(lead.map(|(lead,)| lead))
}

/// The message's client id: the same email gets the same id, in this workspace only.
fn client_id(workspace: WorkspaceId, message_id: &str) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(workspace.0.as_bytes())
        .chain_update(message_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A received email's file, to serve.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredAttachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl Store {
    /// One file of a received email or channel message of `workspace` (None for another
    /// workspace's).
    pub async fn inbound_attachment(
        &self,
        workspace: WorkspaceId,
        id: uuid::Uuid,
    ) -> Result<Option<StoredAttachment>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT filename, content_type, data FROM inbound_attachments \
             WHERE id = ?1 AND workspace_id = ?2 \
             UNION ALL SELECT filename, content_type, data FROM channel_media \
             WHERE id = ?1 AND workspace_id = ?2",
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(p)
        .await)
    }

    /// The HTML part of a received email of `workspace`, and its embedded files as
    /// (Content-ID, content type, bytes), for its `cid:` references.
    pub async fn inbound_html(
        &self,
        workspace: WorkspaceId,
        message: MessageId,
    ) -> Result<Option<(String, Vec<(String, String, Vec<u8>)>)>, sqlx::Error> {
        let html: Option<(Option<String>,)> = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT html_body FROM inbound_emails WHERE message_id = ? AND workspace_id = ?",
        ))
        .bind(message)
        .bind(workspace)
        .fetch_optional(p)
        .await)?;
        let Some((Some(html),)) = html else {
            return Ok(None);
        };
        let embedded = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT content_id, content_type, data FROM inbound_attachments \
             WHERE message_id = ? AND content_id IS NOT NULL",
        ))
        .bind(message)
        .fetch_all(p)
        .await)?;
        Ok(Some((html, embedded)))
    }
}
