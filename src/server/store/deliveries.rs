//! The provider channels' deliveries (SMS, WhatsApp, Instagram): a message's delivery queued
//! with it (its place in the queue is `outbound`'s, shared with email), claimed, the provider's
//! answer recorded, the providers' status reports, retries through the channel's route now, and
//! what the sandbox received.
use super::connections::{Connection, CONNECTION_SELECT};
use super::db::{on_conn, on_db, Conn};
use super::message_rows::message_in;
use super::message_rows::{message_updated, set_status, RetryOutcome};
use super::outbound::{self, Worker};
use super::script::Script;
use super::Store;
use crate::model::channel::Channel;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::message::{Message, MessageStatus};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An outbound message's delivery, queued with it (owned, like [`super::emails::NewEmail`]).
#[derive(Clone)]
pub struct NewDelivery {
    pub connection_id: Uuid,
    /// The lead's address on the channel, as the provider wants it (`+15551234567`).
    pub to_address: String,
    /// A WhatsApp template to send instead of the text (JSON of `TemplateUse`).
    pub template: Option<String>,
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
    #[sqlx(skip)]
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
    /// Statuses only move forward (`MessageStatus::follows`): a late or repeated report
    /// changes nothing.
    fn moves(&self, current: MessageStatus) -> bool {
        self.status().follows(current)
    }

    fn status(&self) -> MessageStatus {
        match self {
            Report::Sent => MessageStatus::Sent,
            Report::Delivered => MessageStatus::Delivered,
            Report::Read { .. } => MessageStatus::Read,
            Report::Failed { .. } => MessageStatus::Failed,
        }
    }
}

impl Store {
    /// Claims the next due delivery: counts the attempt and leases it until `lease_until`, so
    /// a crashed worker's message is tried again after the lease, not lost.
    pub async fn claim_due_delivery(
        &self,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<DeliveryJob>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let Some(claimed) =
            outbound::claim_in(tx.reborrow(), Worker::Provider, lease_until, true).await?
        else {
            tx.commit(Vec::new()).await?;
            return Ok(None);
        };
        let mut job = on_conn!(tx, |c, sql| {
            sqlx::query_as::<_, DeliveryJob>(sql(
            "SELECT d.message_id, d.workspace_id, m.channel, m.body, d.to_address, d.template, \
             c.id, c.workspace_id, c.channel, c.provider, c.webhook_key, \
             c.account_id, c.sender, c.secret_sealed, c.app_secret_sealed, c.verify_token, \
             c.enabled, c.last_inbound_at, c.last_error, c.last_error_at \
             FROM deliveries d JOIN messages m ON m.id = d.message_id \
             JOIN channel_connections c ON c.id = d.connection_id WHERE d.message_id = ?",
        ))
        .bind(claimed.message_id)
        .fetch_one(c)
        .await
        })?;
        job.media = super::uploads::media_links_in(tx.reborrow(), job.message_id).await?;
        job.attempts = claimed.attempts;
        job.in_doubt_since = claimed.in_doubt_since;
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
        on_db!(self.db(), |p, sql| sqlx::query_scalar(sql("SELECT d.provider_message_id FROM deliveries d JOIN outbound_queue q ON q.message_id = d.message_id \
             WHERE d.connection_id = ? AND d.to_address = ? \
             AND d.provider_message_id IS NOT NULL AND q.sent_at >= ?",))
        .bind(connection)
        .bind(to)
        .bind(since - chrono::Duration::minutes(1))
        .fetch_all(p)
        .await)
        .map(|ids| ids.into_iter().collect())
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
        outbound::handed_over_in(tx.reborrow(), job.message_id).await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE deliveries SET provider_message_id = ? WHERE message_id = ?"
        ))
        .bind(provider_message_id)
        .bind(job.message_id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE messages SET delivered_via = ? WHERE id = ?"
        ))
        .bind(&job.connection.provider)
        .bind(job.message_id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        // The provider took a message: whatever troubled the connection is over.
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE channel_connections SET last_error = NULL WHERE id = ?"
        ))
        .bind(job.connection.id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        let status: MessageStatus = on_conn!(tx, |c, sql| sqlx::query_scalar(sql(
            "SELECT status FROM messages WHERE id = ?"
        ))
        .bind(job.message_id)
        .fetch_one(c)
        .await)?;
        if Report::Sent.moves(status) {
            set_status(tx.reborrow(), job.message_id, MessageStatus::Sent, None).await?;
        }
        let (event, message) =
            message_updated(tx.reborrow(), job.workspace_id, job.message_id).await?;
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
        self.outbound_attempt_failed(job.workspace_id, job.message_id, reason, retry_at, in_doubt)
            .await
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
        let found: Option<(MessageId, MessageStatus, bool)> = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql("SELECT d.message_id, m.status, q.sent_at IS NOT NULL FROM deliveries d \
             JOIN messages m ON m.id = d.message_id JOIN outbound_queue q ON q.message_id = d.message_id \
             WHERE d.connection_id = ? AND (d.provider_message_id = ? OR (d.provider_message_id IS NULL AND d.message_id = ?))",))
        .bind(connection.id)
        .bind(provider_message_id)
        .bind(message)
        .fetch_optional(c)
        .await
        })?;
        let Some((id, status, recorded)) = found else {
            tx.commit(Vec::new()).await?;
            return Ok(None);
        };
        // We gave up on a send (timeouts) that the provider had in fact taken: its report
        // corrects the failure.
        let corrects = status == MessageStatus::Failed
            && !recorded
            && !matches!(report, Report::Failed { .. });
        if !(report.moves(status) || corrects) {
            let message = message_in(tx.reborrow(), id).await?;
            tx.commit(Vec::new()).await?;
            return Ok(Some(message));
        }
        // A report for a send whose answer was lost (or is still on its way) is the answer.
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE deliveries SET provider_message_id = ? WHERE message_id = ?"
        ))
        .bind(provider_message_id)
        .bind(id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        outbound::handed_over_in(tx.reborrow(), id).await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE messages SET delivered_via = ? WHERE id = ?"
        ))
        .bind(&connection.provider)
        .bind(id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        let reason = match report {
            Report::Failed { reason } => Some(reason.as_str()),
            _ => None,
        };
        set_status(tx.reborrow(), id, report.status(), reason).await?;
        if let Report::Read { at } = report {
            // Read receipts show like an email's first open.
            use super::rollups::{message_changed_in, message_facts_in, MESSAGE_FACTS};
            let before = message_facts_in(tx.reborrow(), id).await?;
            let after = on_conn!(tx, |c, sql| {
                sqlx::query_as(sql(&format!(
                "UPDATE messages SET opened_at = COALESCE(opened_at, ?) WHERE id = ? RETURNING {MESSAGE_FACTS}"
            )))
            .bind(at)
            .bind(id)
            .fetch_optional(c)
            .await
            })?;
            message_changed_in(tx.reborrow(), before, after).await?;
        }
        let (event, message) = message_updated(tx.reborrow(), connection.workspace_id, id).await?;
        let mut events = vec![event];
        if let Some(reason) = reason {
            events.push(
                outbound::failed_activity(tx.reborrow(), connection.workspace_id, &message, reason)
                    .await?,
            );
        }
        tx.commit(events).await?;
        Ok(Some(message))
    }

    /// The channel of a message of `workspace`'s lead `lead` that has a delivery (None: no such
    /// message, or not one a provider carries).
    pub async fn delivery_channel(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
        message: MessageId,
    ) -> Result<Option<Channel>, sqlx::Error> {
        let found: Option<(String,)> = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT m.channel FROM deliveries d JOIN messages m ON m.id = d.message_id \
             WHERE d.message_id = ? AND d.workspace_id = ? AND m.lead_id = ?",
        ))
        .bind(message)
        .bind(workspace)
        .bind(lead)
        .fetch_optional(p)
        .await)?;
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
        let status: Option<MessageStatus> = on_conn!(tx, |c, sql| sqlx::query_scalar(sql(
            "SELECT m.status FROM messages m JOIN deliveries d ON d.message_id = m.id \
             WHERE m.id = ? AND m.workspace_id = ? AND m.lead_id = ?",
        ))
        .bind(message)
        .bind(workspace)
        .bind(lead)
        .fetch_optional(c)
        .await)?;
        match status {
            None => {
                tx.commit(Vec::new()).await?;
                return Ok(RetryOutcome::NotFound);
            }
            Some(MessageStatus::Failed) => {}
            Some(_) => {
                tx.commit(Vec::new()).await?;
                return Ok(RetryOutcome::NotFailed);
            }
        }
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("UPDATE deliveries SET connection_id = ?, provider_message_id = NULL WHERE message_id = ?",))
        .bind(connection)
        .bind(message)
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        outbound::requeue_in(tx.reborrow(), message).await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE messages SET delivered_via = NULL WHERE id = ?"
        ))
        .bind(message)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        set_status(tx.reborrow(), message, MessageStatus::Queued, None).await?;
        let (event, updated) = message_updated(tx.reborrow(), workspace, message).await?;
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
        let rows: Vec<(MessageId, String, String)> = on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql("SELECT m.id, l.name, d.to_address FROM deliveries d JOIN messages m ON m.id = d.message_id \
             JOIN channel_connections c ON c.id = d.connection_id JOIN leads l ON l.id = m.lead_id \
             WHERE d.workspace_id = ? AND c.provider = 'sandbox' ORDER BY m.created_at DESC, m.id DESC LIMIT ?",))
        .bind(workspace)
        .bind(limit)
        .fetch_all(p)
        .await
        })?;
        let mut out = Vec::with_capacity(rows.len());
        let mut conn = self.db().acquire().await?;
        for (id, lead_name, to) in rows {
            out.push((message_in(conn.reborrow(), id).await?, lead_name, to));
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
        let row: Option<(Uuid, Option<String>, String)> =
            on_db!(self.db(), |p, sql| sqlx::query_as(sql(
                "SELECT d.connection_id, d.provider_message_id, d.to_address FROM deliveries d \
             JOIN channel_connections c ON c.id = d.connection_id \
             WHERE d.workspace_id = ? AND d.message_id = ? AND c.provider = 'sandbox'",
            ))
            .bind(workspace)
            .bind(message)
            .fetch_optional(p)
            .await)?;
        let Some((connection, provider_id, to)) = row else {
            return Ok(None);
        };
        let connection: Connection = on_db!(self.db(), |p, sql| sqlx::query_as(sql(&format!(
            "{CONNECTION_SELECT} WHERE id = ?"
        )))
        .bind(connection)
        .fetch_one(p)
        .await)?;
        let mut conn = self.db().acquire().await?;
        let message = message_in(conn.reborrow(), message).await?;
        Ok(Some((message, connection, provider_id, to)))
    }
}

/// Queues the delivery of a message being recorded, in its transaction, due now.
pub(super) async fn queue_in(
    tx: Conn<'_>,
    workspace: WorkspaceId,
    message: MessageId,
    delivery: &NewDelivery,
) -> Result<(), sqlx::Error> {
    let mut script = Script::for_conn(&tx);
    script
        .push(
            "INSERT INTO deliveries (message_id, workspace_id, connection_id, to_address, template) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(message)
        .bind(workspace)
        .bind(delivery.connection_id)
        .bind(&delivery.to_address)
        .bind(&delivery.template);
    outbound::queue_in(&mut script, workspace, message, Worker::Provider);
    script.execute(tx).await
}

#[cfg(test)]
mod tests {
    use super::Report;
    use crate::model::message::MessageStatus;

    #[test]
    fn reports_never_move_a_status_backwards() {
        assert!(Report::Sent.moves(MessageStatus::Queued));
        assert!(!Report::Sent.moves(MessageStatus::Delivered));
        assert!(Report::Delivered.moves(MessageStatus::Queued));
        assert!(!Report::Delivered.moves(MessageStatus::Read));
        let read = Report::Read {
            at: chrono::Utc::now(),
        };
        assert!(read.moves(MessageStatus::Delivered));
        assert!(!read.moves(MessageStatus::Read));
        let failed = Report::Failed {
            reason: "30003".into(),
        };
        assert!(failed.moves(MessageStatus::Sent));
        assert!(!failed.moves(MessageStatus::Delivered));
        assert!(!failed.moves(MessageStatus::Failed));
    }
}
