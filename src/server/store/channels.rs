//! The provider channels (SMS, WhatsApp, Instagram): each workspace's connections, the outbound
//! delivery queue, the providers' status reports and the messages they hand us. Secrets arrive
//! and leave sealed (see `server::secrets`).
use super::activity::{log_in, NewActivity};
use super::emails::{message_updated, set_status, RetryOutcome};
use super::events::LoggedEvent;
use super::messages::{message_in, record_in, EmailExtras, Recorded};
use super::{now, Store};
use crate::model::activity::ActivityKind;
use crate::model::channel::Channel;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::lead::Stage;
use crate::model::lead_input::LeadFields;
use crate::model::message::{AttachmentMeta, CollisionGuard, Direction, Message, MessageFields};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A workspace's connection of one channel to a provider (or to the sandbox).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Connection {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub channel: String,
    /// `twilio` or `sandbox`.
    pub provider: String,
    pub webhook_key: String,
    pub account_id: String,
    pub sender: String,
    pub secret_sealed: String,
    /// Meta: the app secret that signs its webhooks, sealed.
    pub app_secret_sealed: Option<String>,
    /// Meta: ours, echoed by its subscription handshake.
    pub verify_token: Option<String>,
    pub enabled: bool,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

const SELECT: &str =
    "SELECT id, workspace_id, channel, provider, webhook_key, account_id, sender, \
     secret_sealed, app_secret_sealed, verify_token, enabled, last_inbound_at, last_error, \
     last_error_at FROM channel_connections";

/// A connection as Settings saves it.
pub struct ConnectionInput<'a> {
    pub channel: Channel,
    pub provider: &'a str,
    pub account_id: &'a str,
    pub sender: &'a str,
    /// None keeps the stored secret (the form never shows it back).
    pub secret_sealed: Option<&'a str>,
    /// Meta's app secret, sealed; None keeps the stored one.
    pub app_secret_sealed: Option<&'a str>,
    /// Meta's verify token for a new connection (a saved one keeps its own).
    pub verify_token: Option<&'a str>,
    pub enabled: bool,
}

/// An outbound message's delivery, queued with it.
pub struct NewDelivery<'a> {
    pub connection_id: Uuid,
    /// The lead's address on the channel, as the provider wants it (`+15551234567`).
    pub to_address: &'a str,
    /// A WhatsApp template to send instead of the text (JSON of `TemplateUse`).
    pub template: Option<&'a str>,
}

/// A claimed delivery: everything the worker needs to hand the message to its provider.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryJob {
    pub message_id: MessageId,
    pub workspace_id: WorkspaceId,
    pub channel: String,
    pub body: String,
    pub to_address: String,
    /// A WhatsApp template to send instead of the text (JSON of `TemplateUse`).
    pub template: Option<String>,
    /// Including the one just claimed.
    pub attempts: i64,
    #[sqlx(flatten)]
    pub connection: Connection,
    /// Files to send with it, fetched by the provider from `/media/{token}`.
    #[sqlx(skip)]
    pub media: Vec<super::uploads::MediaLink>,
    /// An earlier attempt, begun then, has no known outcome (the server stopped mid-send, or
    /// the provider's answer never came): the provider may have the message already.
    #[sqlx(skip)]
    pub in_doubt_since: Option<DateTime<Utc>>,
}

/// What a provider reported about a message it took.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    Sent,
    Delivered,
    Read {
        at: DateTime<Utc>,
    },
    /// Failed or undelivered, with the provider's code and words.
    Failed {
        reason: String,
    },
}

impl Report {
    /// Statuses only move forward: queued → sent → delivered → read; a failure only before
    /// delivery. A late or repeated report (delivered before sent, sent twice) changes nothing.
    fn moves(&self, current: &str) -> bool {
        let rank = |s: &str| match s {
            "queued" => 0,
            "sent" => 1,
            "delivered" => 2,
            "read" => 3,
            _ => 4,
        };
        match self {
            Report::Failed { .. } => rank(current) <= 1,
            Report::Sent => rank(current) < 1,
            Report::Delivered => rank(current) < 2,
            Report::Read { .. } => rank(current) < 3,
        }
    }

    fn status(&self) -> &'static str {
        match self {
            Report::Sent => "sent",
            Report::Delivered => "delivered",
            Report::Read { .. } => "read",
            Report::Failed { .. } => "failed",
        }
    }
}

/// A message a lead sent on a provider channel.
pub struct Incoming<'a> {
    pub channel: Channel,
    /// The provider's id of the message: the same message is stored once.
    pub provider_message_id: &'a str,
    /// The lead's address on the channel (`+15551234567`).
    pub from: &'a str,
    /// The name the provider knows the sender by (WhatsApp profile name), if any.
    pub profile_name: Option<&'a str>,
    pub body: &'a str,
    /// Pictures, voice notes, documents … fetched from the provider.
    pub media: &'a [crate::server::channels::media::MediaFile],
}

/// What [`Store::receive_channel_message`] did.
pub enum Arrived {
    Stored(Box<Message>),
    Duplicate,
}

impl Store {
    pub async fn connections(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<Connection>, sqlx::Error> {
        sqlx::query_as(&format!(
            "{SELECT} WHERE workspace_id = ? ORDER BY channel, provider"
        ))
        .bind(workspace)
        .fetch_all(self.pool())
        .await
    }

    pub async fn connection_by_key(&self, key: &str) -> Result<Option<Connection>, sqlx::Error> {
        sqlx::query_as(&format!("{SELECT} WHERE webhook_key = ?"))
            .bind(key)
            .fetch_optional(self.pool())
            .await
    }

    /// Creates or changes the workspace's connection of `input.channel` to `input.provider`.
    /// `new_key` and a secret are needed only when it is new (or, the secret, when it moves to
    /// another account). Returns None when there is no secret to keep.
    pub async fn save_connection(
        &self,
        workspace: WorkspaceId,
        input: &ConnectionInput<'_>,
        new_key: &str,
    ) -> Result<Option<Connection>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let before: Option<Connection> = sqlx::query_as(&format!(
            "{SELECT} WHERE workspace_id = ? AND channel = ? AND provider = ?"
        ))
        .bind(workspace)
        .bind(input.channel.as_str())
        .bind(input.provider)
        .fetch_optional(&mut *tx)
        .await?;
        // A token is kept only for the account it belongs to.
        let kept = before
            .as_ref()
            .filter(|b| b.account_id == input.account_id)
            .map(|b| b.secret_sealed.clone());
        let Some(secret) = input.secret_sealed.map(str::to_string).or(kept) else {
            tx.commit(Vec::new()).await?;
            return Ok(None);
        };
        let app_secret = input.app_secret_sealed.map(str::to_string).or_else(|| {
            before
                .as_ref()
                .filter(|b| b.account_id == input.account_id)
                .and_then(|b| b.app_secret_sealed.clone())
        });
        // The webhook's verify token stays what the provider's console was given.
        let verify_token = before
            .as_ref()
            .and_then(|b| b.verify_token.clone())
            .or(input.verify_token.map(str::to_string));
        let saved: Connection = sqlx::query_as(
            "INSERT INTO channel_connections (id, workspace_id, channel, provider, webhook_key, \
             account_id, sender, secret_sealed, app_secret_sealed, verify_token, enabled, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (workspace_id, channel, provider) DO UPDATE SET account_id = excluded.account_id, \
             sender = excluded.sender, secret_sealed = excluded.secret_sealed, \
             app_secret_sealed = excluded.app_secret_sealed, verify_token = excluded.verify_token, \
             enabled = excluded.enabled, updated_at = excluded.updated_at, \
             last_error = CASE WHEN excluded.secret_sealed IS secret_sealed THEN last_error END \
             RETURNING id, workspace_id, channel, provider, webhook_key, account_id, sender, \
             secret_sealed, app_secret_sealed, verify_token, enabled, last_inbound_at, last_error, \
             last_error_at",
        )
        .bind(Uuid::new_v4())
        .bind(workspace)
        .bind(input.channel.as_str())
        .bind(input.provider)
        .bind(new_key)
        .bind(input.account_id)
        .bind(input.sender)
        .bind(&secret)
        .bind(app_secret)
        .bind(verify_token)
        .bind(input.enabled)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit(Vec::new()).await?;
        Ok(Some(saved))
    }

    /// The workspace's sandbox for `channel`, made with these values if it has none yet (two
    /// first sends at once make one).
    pub async fn ensure_sandbox(
        &self,
        workspace: WorkspaceId,
        channel: Channel,
        new: &ConnectionInput<'_>,
        new_key: &str,
    ) -> Result<Connection, sqlx::Error> {
        sqlx::query(
            "INSERT INTO channel_connections (id, workspace_id, channel, provider, webhook_key, \
             account_id, sender, secret_sealed, enabled, updated_at) VALUES (?, ?, ?, 'sandbox', ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (workspace_id, channel, provider) DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(workspace)
        .bind(channel.as_str())
        .bind(new_key)
        .bind(new.account_id)
        .bind(new.sender)
        .bind(new.secret_sealed.unwrap_or_default())
        .bind(new.enabled)
        .bind(now())
        .execute(self.pool())
        .await?;
        sqlx::query_as(&format!(
            "{SELECT} WHERE workspace_id = ? AND channel = ? AND provider = 'sandbox'"
        ))
        .bind(workspace)
        .bind(channel.as_str())
        .fetch_one(self.pool())
        .await
    }

    /// Turns a connection on or off (the sandbox's switch in Settings).
    pub async fn enable_connection(
        &self,
        workspace: WorkspaceId,
        id: Uuid,
        enabled: bool,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE channel_connections SET enabled = ?, updated_at = ? WHERE id = ? AND workspace_id = ?",
        )
        .bind(enabled)
        .bind(now())
        .bind(id)
        .bind(workspace)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that a provider call on the connection failed (its health in Settings).
    ///
    /// Through the writer: a write on a pool connection would wait for the writer's open batch
    /// in SQLite's busy handler, which sleeps in steps of up to 100 ms (this was the webhook's
    /// p99 of 240–340 ms when its "last inbound" time was written so).
    pub async fn connection_failed(&self, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE channel_connections SET last_error = ?, last_error_at = ? WHERE id = ?",
        )
        .bind(error)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit(Vec::new()).await
    }

    /// Claims the next due delivery: counts the attempt and leases it until `lease_until`, so
    /// a crashed worker's message is tried again after the lease, not lost.
    pub async fn claim_due_delivery(
        &self,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<DeliveryJob>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let due: Option<(MessageId, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT d.message_id, d.attempt_started_at FROM deliveries d \
             JOIN messages m ON m.id = d.message_id \
             WHERE d.sent_at IS NULL AND m.status = 'queued' AND d.next_attempt_at <= ? \
             ORDER BY d.next_attempt_at LIMIT 1",
        )
        .bind(now())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, in_doubt_since)) = due else {
            tx.commit(Vec::new()).await?;
            return Ok(None);
        };
        // An attempt in doubt keeps its start: the provider may have had it since then.
        sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, \
             attempt_started_at = COALESCE(attempt_started_at, ?) WHERE message_id = ?",
        )
        .bind(lease_until)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut job = sqlx::query_as::<_, DeliveryJob>(
            "SELECT d.message_id, d.workspace_id, m.channel, m.body, d.to_address, d.template, d.attempts, \
             c.id, c.workspace_id, c.channel, c.provider, c.webhook_key, \
             c.account_id, c.sender, c.secret_sealed, c.app_secret_sealed, c.verify_token, \
             c.enabled, c.last_inbound_at, c.last_error, c.last_error_at \
             FROM deliveries d JOIN messages m ON m.id = d.message_id \
             JOIN channel_connections c ON c.id = d.connection_id WHERE d.message_id = ?",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        job.media = super::uploads::media_links_in(&mut tx, job.message_id).await?;
        job.in_doubt_since = in_doubt_since;
        tx.commit(Vec::new()).await?;
        Ok(Some(job))
    }

    /// The provider ids of messages already sent through `connection` to `to` since `since`
    /// (less a minute, for the provider's clock): a message found at the provider with one of
    /// these ids is not the one in doubt.
    pub async fn provider_ids_since(
        &self,
        connection: Uuid,
        to: &str,
        since: DateTime<Utc>,
    ) -> Result<std::collections::HashSet<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT provider_message_id FROM deliveries WHERE connection_id = ? AND to_address = ? \
             AND provider_message_id IS NOT NULL AND sent_at >= ?",
        )
        .bind(connection)
        .bind(to)
        .bind(since - chrono::Duration::minutes(1))
        .fetch_all(self.pool())
        .await
        .map(|ids| ids.into_iter().collect())
    }

    /// When the next queued delivery is due, if any.
    pub async fn next_delivery_due(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let (due,): (Option<DateTime<Utc>>,) = sqlx::query_as(
            "SELECT MIN(d.next_attempt_at) FROM deliveries d JOIN messages m ON m.id = d.message_id \
             WHERE d.sent_at IS NULL AND m.status = 'queued'",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(due)
    }

    /// The provider took the message and named it `provider_message_id`: it is `sent`, via
    /// `via` (`twilio`, or `sandbox` when nothing reached the lead). A status report that
    /// already moved it further is kept. Returns the message (for the
    /// delivery-lag metric).
    pub async fn delivery_accepted(
        &self,
        job: &DeliveryJob,
        provider_message_id: &str,
    ) -> Result<Message, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE deliveries SET sent_at = ?, provider_message_id = ?, last_error = NULL, \
             attempt_started_at = NULL WHERE message_id = ?",
        )
        .bind(now())
        .bind(provider_message_id)
        .bind(job.message_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE messages SET delivered_via = ? WHERE id = ?")
            .bind(&job.connection.provider)
            .bind(job.message_id)
            .execute(&mut *tx)
            .await?;
        // The provider took a message: whatever troubled the connection is over.
        sqlx::query("UPDATE channel_connections SET last_error = NULL WHERE id = ?")
            .bind(job.connection.id)
            .execute(&mut *tx)
            .await?;
        let (status,): (String,) = sqlx::query_as("SELECT status FROM messages WHERE id = ?")
            .bind(job.message_id)
            .fetch_one(&mut *tx)
            .await?;
        if Report::Sent.moves(&status) {
            set_status(&mut tx, job.message_id, "sent", None).await?;
        }
        let (event, message) = message_updated(&mut tx, job.workspace_id, job.message_id).await?;
        tx.commit(vec![event]).await?;
        Ok(message)
    }

    /// An attempt failed: try again at `retry_at`, or (None) give up and mark the message
    /// failed. Either way the reason reaches the thread. `in_doubt`: the provider may have
    /// taken it all the same, so the next attempt asks first (a message given up on is not).
    pub async fn delivery_attempt_failed(
        &self,
        job: &DeliveryJob,
        reason: &str,
        retry_at: Option<DateTime<Utc>>,
        in_doubt: bool,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        // The provider's status report already recorded the send (its answer was lost or
        // late): the attempt did not fail.
        let (sent,): (bool,) =
            sqlx::query_as("SELECT sent_at IS NOT NULL FROM deliveries WHERE message_id = ?")
                .bind(job.message_id)
                .fetch_one(&mut *tx)
                .await?;
        if sent {
            tx.commit(Vec::new()).await?;
            return Ok(());
        }
        sqlx::query(
            "UPDATE deliveries SET last_error = ?, next_attempt_at = ?, \
             attempt_started_at = CASE WHEN ? THEN attempt_started_at END WHERE message_id = ?",
        )
        .bind(reason)
        .bind(retry_at.unwrap_or_else(now))
        .bind(in_doubt && retry_at.is_some())
        .bind(job.message_id)
        .execute(&mut *tx)
        .await?;
        let status = if retry_at.is_some() {
            "queued"
        } else {
            "failed"
        };
        set_status(&mut tx, job.message_id, status, Some(reason)).await?;
        let (event, message) = message_updated(&mut tx, job.workspace_id, job.message_id).await?;
        let mut events = vec![event];
        if retry_at.is_none() {
            events.push(failed_activity(&mut tx, job.workspace_id, &message, reason).await?);
        }
        tx.commit(events).await?;
        Ok(())
    }

    /// A provider's status report for a message of `connection`: found by the provider's id,
    /// or by ours (`message`, from the callback URL) when the report overtook the provider's
    /// answer. Returns the message as it now stands, or None when the connection sent no such
    /// message.
    pub async fn delivery_report(
        &self,
        connection: &Connection,
        provider_message_id: &str,
        message: Option<MessageId>,
        report: &Report,
    ) -> Result<Option<Message>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let found: Option<(MessageId, String, bool)> = sqlx::query_as(
            "SELECT d.message_id, m.status, d.sent_at IS NOT NULL FROM deliveries d \
             JOIN messages m ON m.id = d.message_id \
             WHERE d.connection_id = ? AND (d.provider_message_id = ? OR (d.provider_message_id IS NULL AND d.message_id = ?))",
        )
        .bind(connection.id)
        .bind(provider_message_id)
        .bind(message)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, status, recorded)) = found else {
            tx.commit(Vec::new()).await?;
            return Ok(None);
        };
        // We gave up on a send (timeouts) that the provider had in fact taken: its report
        // corrects the failure.
        let corrects = status == "failed" && !recorded && !matches!(report, Report::Failed { .. });
        if !(report.moves(&status) || corrects) {
            let message = message_in(&mut tx, id).await?;
            tx.commit(Vec::new()).await?;
            return Ok(Some(message));
        }
        // A report for a send whose answer was lost (or is still on its way) is the answer.
        sqlx::query(
            "UPDATE deliveries SET provider_message_id = ?, sent_at = COALESCE(sent_at, ?) WHERE message_id = ?",
        )
        .bind(provider_message_id)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE messages SET delivered_via = ? WHERE id = ?")
            .bind(&connection.provider)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let reason = match report {
            Report::Failed { reason } => Some(reason.as_str()),
            _ => None,
        };
        set_status(&mut tx, id, report.status(), reason).await?;
        if let Report::Read { at } = report {
            // Read receipts show like an email's first open.
            use super::rollups::{message_changed_in, message_facts_in, MESSAGE_FACTS};
            let before = message_facts_in(&mut tx, id).await?;
            let after = sqlx::query_as(&format!(
                "UPDATE messages SET opened_at = COALESCE(opened_at, ?) WHERE id = ? RETURNING {MESSAGE_FACTS}"
            ))
            .bind(at)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            message_changed_in(&mut tx, before, after).await?;
        }
        let (event, message) = message_updated(&mut tx, connection.workspace_id, id).await?;
        let mut events = vec![event];
        if let Some(reason) = reason {
            events.push(failed_activity(&mut tx, connection.workspace_id, &message, reason).await?);
        }
        tx.commit(events).await?;
        Ok(Some(message))
    }

    /// A message a lead sent on `connection`'s channel: joins the lead with that address (the
    /// most recently active), else a new lead named from the profile or the address. The
    /// provider's id makes a repeated webhook a duplicate. The connection's "last inbound" time
    /// is written in the same write (see `connection_failed` for why not apart).
    pub async fn receive_channel_message(
        &self,
        connection: &Connection,
        incoming: &Incoming<'_>,
    ) -> Result<Arrived, sqlx::Error> {
        let workspace = connection.workspace_id;
        let client_id = client_id(connection, incoming.provider_message_id);
        let mut tx = self.begin_write().await?;
        let seen: Option<(MessageId,)> =
            sqlx::query_as("SELECT id FROM messages WHERE workspace_id = ? AND client_id = ?")
                .bind(workspace)
                .bind(client_id)
                .fetch_optional(&mut *tx)
                .await?;
        if seen.is_some() {
            tx.commit(Vec::new()).await?;
            return Ok(Arrived::Duplicate);
        }
        let (lead, created) = lead_for(&mut tx, workspace, incoming).await?;
        let mut events: Vec<LoggedEvent> = created.into_iter().collect();
        let fields = MessageFields {
            direction: Direction::Inbound,
            channel: incoming.channel,
            subject: None,
            body: incoming.body.to_string(),
            client_id,
            guard: CollisionGuard::Off,
            template: None,
            attachments: Vec::new(),
        };
        let metas: Vec<AttachmentMeta> = incoming
            .media
            .iter()
            .map(|f| AttachmentMeta {
                id: Uuid::new_v4(),
                filename: f.filename.clone(),
                content_type: f.content_type.clone(),
                size: f.data.len() as i64,
            })
            .collect();
        let (recorded, logged) = record_in(
            &mut tx,
            workspace,
            lead,
            None,
            &fields,
            None,
            EmailExtras {
                attachments: &metas,
                ..EmailExtras::default()
            },
        )
        .await?;
        if let Recorded::Created(message) = &recorded {
            for (position, (meta, file)) in metas.iter().zip(incoming.media).enumerate() {
                sqlx::query(
                    "INSERT INTO channel_media (id, message_id, workspace_id, position, filename, \
                     content_type, size, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(meta.id)
                .bind(message.id)
                .bind(workspace)
                .bind(position as i64)
                .bind(&meta.filename)
                .bind(&meta.content_type)
                .bind(meta.size)
                .bind(&file.data)
                .execute(&mut *tx)
                .await?;
            }
        }
        events.extend(logged);
        sqlx::query("UPDATE channel_connections SET last_inbound_at = ? WHERE id = ?")
            .bind(now())
            .bind(connection.id)
            .execute(&mut *tx)
            .await?;
        tx.commit(events).await?;
        Ok(match recorded {
            Recorded::Created(message) => Arrived::Stored(Box::new(message)),
            // Checked above, in the same write: not reachable.
            Recorded::Existing(_) => Arrived::Duplicate,
        })
    }

    /// The channel of a message of `workspace`'s lead `lead` that has a delivery (None: no such
    /// message, or not one a provider carries).
    pub async fn delivery_channel(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
        message: MessageId,
    ) -> Result<Option<Channel>, sqlx::Error> {
        let found: Option<(String,)> = sqlx::query_as(
            "SELECT m.channel FROM deliveries d JOIN messages m ON m.id = d.message_id \
             WHERE d.message_id = ? AND d.workspace_id = ? AND m.lead_id = ?",
        )
        .bind(message)
        .bind(workspace)
        .bind(lead)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.and_then(|(c,)| Channel::parse(&c)))
    }

    /// Puts a failed message of the workspace back in the queue through `connection` (the
    /// channel's route now), due now, with fresh attempts.
    pub async fn retry_delivery(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
        message: MessageId,
        connection: Uuid,
    ) -> Result<RetryOutcome, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let status: Option<(String,)> = sqlx::query_as(
            "SELECT m.status FROM messages m JOIN deliveries d ON d.message_id = m.id \
             WHERE m.id = ? AND m.workspace_id = ? AND m.lead_id = ?",
        )
        .bind(message)
        .bind(workspace)
        .bind(lead)
        .fetch_optional(&mut *tx)
        .await?;
        match status.as_ref().map(|(s,)| s.as_str()) {
            None => {
                tx.commit(Vec::new()).await?;
                return Ok(RetryOutcome::NotFound);
            }
            Some("failed") => {}
            Some(_) => {
                tx.commit(Vec::new()).await?;
                return Ok(RetryOutcome::NotFailed);
            }
        }
        sqlx::query(
            "UPDATE deliveries SET connection_id = ?, attempts = 0, next_attempt_at = ?, last_error = NULL, \
             sent_at = NULL, provider_message_id = NULL, attempt_started_at = NULL WHERE message_id = ?",
        )
        .bind(connection)
        .bind(now())
        .bind(message)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE messages SET delivered_via = NULL WHERE id = ?")
            .bind(message)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, message, "queued", None).await?;
        let (event, updated) = message_updated(&mut tx, workspace, message).await?;
        tx.commit(vec![event]).await?;
        Ok(RetryOutcome::Queued(Box::new(updated)))
    }

    /// The sandbox's view: outbound messages of the workspace on `channel`s that went to the
    /// sandbox, newest first, with the lead they were for.
    pub async fn sandbox_messages(
        &self,
        workspace: WorkspaceId,
        limit: i64,
    ) -> Result<Vec<(Message, String, String)>, sqlx::Error> {
        let rows: Vec<(MessageId, String, String)> = sqlx::query_as(
            "SELECT m.id, l.name, d.to_address FROM deliveries d JOIN messages m ON m.id = d.message_id \
             JOIN channel_connections c ON c.id = d.connection_id JOIN leads l ON l.id = m.lead_id \
             WHERE d.workspace_id = ? AND c.provider = 'sandbox' ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
        )
        .bind(workspace)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut conn = self.pool().acquire().await?;
        for (id, lead_name, to) in rows {
            out.push((message_in(&mut conn, id).await?, lead_name, to));
        }
        Ok(out)
    }

    /// One message the sandbox delivered for `workspace`, with its delivery's provider id and
    /// the lead's address it went to.
    pub async fn sandbox_delivery(
        &self,
        workspace: WorkspaceId,
        message: MessageId,
    ) -> Result<Option<(Message, Connection, Option<String>, String)>, sqlx::Error> {
        let row: Option<(Uuid, Option<String>, String)> = sqlx::query_as(
            "SELECT d.connection_id, d.provider_message_id, d.to_address FROM deliveries d \
             JOIN channel_connections c ON c.id = d.connection_id \
             WHERE d.workspace_id = ? AND d.message_id = ? AND c.provider = 'sandbox'",
        )
        .bind(workspace)
        .bind(message)
        .fetch_optional(self.pool())
        .await?;
        let Some((connection, provider_id, to)) = row else {
            return Ok(None);
        };
        let connection: Connection = sqlx::query_as(&format!("{SELECT} WHERE id = ?"))
            .bind(connection)
            .fetch_one(self.pool())
            .await?;
        let mut conn = self.pool().acquire().await?;
        let message = message_in(&mut conn, message).await?;
        Ok(Some((message, connection, provider_id, to)))
    }
}

/// Queues the delivery of a message being recorded, in its transaction, due now.
pub(super) async fn queue_in(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
    message: MessageId,
    delivery: &NewDelivery<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deliveries (message_id, workspace_id, connection_id, to_address, template, \
         next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(message)
    .bind(workspace)
    .bind(delivery.connection_id)
    .bind(delivery.to_address)
    .bind(delivery.template)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn failed_activity(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
    message: &Message,
    reason: &str,
) -> Result<LoggedEvent, sqlx::Error> {
    let mut failed = NewActivity::new(ActivityKind::MessageFailed, message.lead_id);
    failed.actor_id = message.author_id;
    failed.message_id = Some(message.id);
    failed.channel = Some(message.channel);
    failed.detail = Some(reason);
    super::activity::log_in(tx, workspace, failed).await
}

/// Punctuation people type in phone numbers, removed before comparing.
const PHONE_DIGITS: &str =
    "replace(replace(replace(replace(replace(X, ' ', ''), '-', ''), '(', ''), ')', ''), '.', '')";

/// The lead of `workspace` with the sender's address on the channel (the most recently
/// active), else a new lead named from the sender's profile or address.
async fn lead_for(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
    incoming: &Incoming<'_>,
) -> Result<(LeadId, Option<LoggedEvent>), sqlx::Error> {
    let column = match incoming.channel {
        Channel::Whatsapp => "whatsapp",
        Channel::Instagram => "instagram",
        _ => "phone",
    };
    let address = if incoming.channel == Channel::Instagram {
        incoming.from.trim().trim_start_matches('@').to_string()
    } else {
        normalise_phone(incoming.from)
    };
    let sql = if incoming.channel == Channel::Instagram {
        "SELECT id FROM leads WHERE workspace_id = ? AND lower(ltrim(instagram, '@')) = lower(ltrim(?, '@')) \
         ORDER BY last_message_at DESC, created_at DESC LIMIT 1"
            .to_string()
    } else {
        format!(
            "SELECT id FROM leads WHERE workspace_id = ? AND {} = ? \
             ORDER BY last_message_at DESC, created_at DESC LIMIT 1",
            PHONE_DIGITS.replace('X', column)
        )
    };
    let found: Option<(LeadId,)> = sqlx::query_as(&sql)
        .bind(workspace)
        .bind(&address)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some((lead,)) = found {
        return Ok((lead, None));
    }
    let name = incoming
        .profile_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&address);
    let mut fields = LeadFields {
        name: name.chars().take(200).collect(),
        email: None,
        phone: None,
        whatsapp: None,
        instagram: None,
        company: None,
        stage: Stage::New,
        deal_value_cents: None,
        owner_id: None,
    };
    match incoming.channel {
        Channel::Whatsapp => fields.whatsapp = Some(address.clone()),
        Channel::Instagram => fields.instagram = Some(address.trim_start_matches('@').to_string()),
        _ => fields.phone = Some(address.clone()),
    }
    let lead = super::leads::insert_lead_in(tx, workspace, &fields, now()).await?;
    let created = log_in(
        tx,
        workspace,
        NewActivity::new(ActivityKind::LeadCreated, lead),
    )
    .await?;
    Ok((lead, Some(created)))
}

/// A phone number without the punctuation people type (`+1 (555) 010-0200` → `+15550100200`).
pub fn normalise_phone(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect()
}

/// The message's client id: the same provider message gets the same id, per connection.
fn client_id(connection: &Connection, provider_message_id: &str) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(connection.id.as_bytes())
        .chain_update(provider_message_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::{normalise_phone, Report};

    #[test]
    fn reports_never_move_a_status_backwards() {
        assert!(Report::Sent.moves("queued"));
        assert!(!Report::Sent.moves("delivered"));
        assert!(Report::Delivered.moves("queued"));
        assert!(!Report::Delivered.moves("read"));
        let read = Report::Read {
            at: chrono::Utc::now(),
        };
        assert!(read.moves("delivered"));
        assert!(!read.moves("read"));
        let failed = Report::Failed {
            reason: "30003".into(),
        };
        assert!(failed.moves("sent"));
        assert!(!failed.moves("delivered"));
        assert!(!failed.moves("failed"));
    }

    #[test]
    fn phone_numbers_compare_without_punctuation() {
        assert_eq!(normalise_phone("+1 (555) 010-0200"), "+15550100200");
        assert_eq!(normalise_phone("+44.20.7946.0000"), "+442079460000");
    }
}
