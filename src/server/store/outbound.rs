//! The one outbound queue: every outbound message waiting for its relay or provider — email
//! for the SMTP relay (or the outbox), SMS, WhatsApp and Instagram for their connection (or the
//! sandbox) — is a row of `outbound_queue`, and the life of that row is written here once for
//! every channel: queued with its message, claimed under a lease, an attempt in doubt, handed
//! over, failed with a retry or for good, queued again by Retry. What each channel sends sits
//! beside it (`emails`: the composed mail; `deliveries`: the connection and the provider's id),
//! and the loop that drives it is `server::outbound_queue`.
use super::activity::NewActivity;
use super::db::{on_conn, on_db, Conn};
use super::events::LoggedEvent;
use super::message_rows::{message_updated, set_status};
use super::script::Script;
use super::{now, Store};
use crate::model::activity::ActivityKind;
use crate::model::ids::{MessageId, WorkspaceId};
use crate::model::message::{Message, MessageStatus};
use chrono::{DateTime, Utc};

/// Who hands a queued message over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    /// Email: the SMTP relay, or the outbox without one.
    Email,
    /// SMS, WhatsApp and Instagram: their connection's provider, or the sandbox.
    Provider,
}

impl Worker {
    fn as_str(self) -> &'static str {
        match self {
            Worker::Email => "email",
            Worker::Provider => "provider",
        }
    }
}

/// The queue row of a message just claimed.
pub(super) struct Claimed {
    pub message_id: MessageId,
    /// Including this one.
    pub attempts: i64,
    /// An earlier attempt, begun then, has no recorded outcome: the relay or provider may have
    /// the message already.
    pub in_doubt_since: Option<DateTime<Utc>>,
}

/// Adds the queue row of a message being recorded to `script`, due now.
pub(super) fn queue_in(
    script: &mut Script<'_>,
    workspace: WorkspaceId,
    message: MessageId,
    worker: Worker,
) {
    script
        .push(
            "INSERT INTO outbound_queue (message_id, workspace_id, worker, next_attempt_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(message)
        .bind(workspace)
        .bind(worker.as_str())
        .bind(now());
}

/// Claims `worker`'s next due message in a write: counts the attempt and leases it until
/// `lease_until`, so a server killed mid-send tries it again after the lease, neither losing
/// it nor sending it twice at once. `starts_attempt`: the attempt counts as begun now (the
/// provider channels, which ask the provider right away); email marks it begun only when its
/// data leaves ([`Store::outbound_attempt_started`]). An attempt already in doubt keeps its
/// start.
pub(super) async fn claim_in(
    mut tx: Conn<'_>,
    worker: Worker,
    lease_until: DateTime<Utc>,
    starts_attempt: bool,
) -> Result<Option<Claimed>, sqlx::Error> {
    let due: Option<(MessageId, Option<DateTime<Utc>>)> = on_conn!(tx, |c, sql| {
        sqlx::query_as(sql("SELECT q.message_id, q.attempt_started_at FROM outbound_queue q \
         JOIN messages m ON m.id = q.message_id \
         WHERE q.worker = ? AND q.sent_at IS NULL AND m.status = 'queued' AND q.next_attempt_at <= ? \
         ORDER BY q.next_attempt_at LIMIT 1",))
    .bind(worker.as_str())
    .bind(now())
    .fetch_optional(c)
    .await
    })?;
    let Some((message_id, in_doubt_since)) = due else {
        return Ok(None);
    };
    let (attempts,): (i64,) = on_conn!(tx, |c, sql| {
        sqlx::query_as(sql("UPDATE outbound_queue SET attempts = attempts + 1, next_attempt_at = ?, \
         attempt_started_at = CASE WHEN ? THEN COALESCE(attempt_started_at, ?) ELSE attempt_started_at END \
         WHERE message_id = ? RETURNING attempts",))
    .bind(lease_until)
    .bind(starts_attempt)
    .bind(now())
    .bind(message_id)
    .fetch_one(c)
    .await
    })?;
    Ok(Some(Claimed {
        message_id,
        attempts,
        in_doubt_since,
    }))
}

/// The relay, the provider, the outbox or the sandbox took the message: its attempt is over.
pub(super) async fn handed_over_in(
    mut tx: Conn<'_>,
    message: MessageId,
) -> Result<(), sqlx::Error> {
    on_conn!(tx, |c, sql| sqlx::query(sql(
        "UPDATE outbound_queue SET sent_at = COALESCE(sent_at, ?), last_error = NULL, \
         attempt_started_at = NULL WHERE message_id = ?",
    ))
    .bind(now())
    .bind(message)
    .execute(c)
    .await
    .map(super::db::Done::from))?;
    Ok(())
}

/// Back in the queue, due now, with fresh attempts (Retry on a failed message).
pub(super) async fn requeue_in(mut tx: Conn<'_>, message: MessageId) -> Result<(), sqlx::Error> {
    on_conn!(tx, |c, sql| sqlx::query(sql(
        "UPDATE outbound_queue SET attempts = 0, next_attempt_at = ?, last_error = NULL, \
         attempt_started_at = NULL, sent_at = NULL WHERE message_id = ?",
    ))
    .bind(now())
    .bind(message)
    .execute(c)
    .await
    .map(super::db::Done::from))?;
    Ok(())
}

/// Records why the message failed for good (a bounce after it was sent, say) without touching
/// its schedule.
pub(super) async fn note_error_in(
    mut tx: Conn<'_>,
    message: MessageId,
    reason: &str,
) -> Result<(), sqlx::Error> {
    on_conn!(tx, |c, sql| sqlx::query(sql(
        "UPDATE outbound_queue SET last_error = ? WHERE message_id = ?"
    ))
    .bind(reason)
    .bind(message)
    .execute(c)
    .await
    .map(super::db::Done::from))?;
    Ok(())
}

/// The feed entry of a message that failed for good.
pub(super) async fn failed_activity(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    message: &Message,
    reason: &str,
) -> Result<LoggedEvent, sqlx::Error> {
    let mut failed = NewActivity::new(ActivityKind::MessageFailed, message.lead_id);
    failed.actor_id = message.author_id;
    failed.message_id = Some(message.id);
    failed.channel = Some(message.channel);
    failed.detail = Some(reason);
    super::activity::log_in(tx.reborrow(), workspace, failed).await
}

impl Store {
    /// When `worker`'s next queued message is due, if any.
    pub async fn next_outbound_due(
        &self,
        worker: Worker,
    ) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let (due,): (Option<DateTime<Utc>>,) = on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql("SELECT MIN(q.next_attempt_at) FROM outbound_queue q JOIN messages m ON m.id = q.message_id \
             WHERE q.worker = ? AND q.sent_at IS NULL AND m.status = 'queued'",))
        .bind(worker.as_str())
        .fetch_one(p)
        .await
        })?;
        Ok(due)
    }

    /// The message is about to reach its relay or provider: until the answer is recorded the
    /// attempt is in doubt (durable before anything leaves, so a stop in between is known).
    pub async fn outbound_attempt_started(&self, message: MessageId) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE outbound_queue SET attempt_started_at = ? WHERE message_id = ?"
        ))
        .bind(now())
        .bind(message)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(())
    }

    /// An attempt failed: try again at `retry_at`, or (None) give up and mark the message
    /// failed. Either way the reason reaches the thread. `in_doubt`: the relay or provider may
    /// have taken it all the same, so the next attempt asks first (a message given up on is
    /// not). A message whose hand-over was recorded meanwhile (a provider's status report
    /// overtook its lost answer) did not fail.
    pub async fn outbound_attempt_failed(
        &self,
        workspace: WorkspaceId,
        message: MessageId,
        reason: &str,
        retry_at: Option<DateTime<Utc>>,
        in_doubt: bool,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let sent: Option<bool> = on_conn!(tx, |c, sql| sqlx::query_scalar(sql(
            "SELECT sent_at IS NOT NULL FROM outbound_queue WHERE message_id = ?",
        ))
        .bind(message)
        .fetch_optional(c)
        .await)?;
        if sent == Some(true) {
            tx.commit(Vec::new()).await?;
            return Ok(());
        }
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE outbound_queue SET last_error = ?, next_attempt_at = ?, \
             attempt_started_at = CASE WHEN ? THEN attempt_started_at END WHERE message_id = ?",
        ))
        .bind(reason)
        .bind(retry_at.unwrap_or_else(now))
        .bind(in_doubt && retry_at.is_some())
        .bind(message)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        let status = if retry_at.is_some() {
            MessageStatus::Queued
        } else {
            MessageStatus::Failed
        };
        set_status(tx.reborrow(), message, status, Some(reason)).await?;
        let (event, updated) = message_updated(tx.reborrow(), workspace, message).await?;
        let mut events = vec![event];
        if retry_at.is_none() {
            events.push(failed_activity(tx.reborrow(), workspace, &updated, reason).await?);
        }
        tx.commit(events).await?;
        Ok(())
    }

    /// Messages queued for their relay or provider and not yet handed over, by channel (every
    /// outbound channel listed, 0 included).
    pub async fn outbound_queue_depths(&self) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let counted: Vec<(String, i64)> = on_db!(self.db(), |p, sql| {
            sqlx::query_as(sql("SELECT m.channel, COUNT(*) FROM outbound_queue q JOIN messages m ON m.id = q.message_id \
             WHERE q.sent_at IS NULL AND m.status = 'queued' GROUP BY m.channel",))
        .fetch_all(p)
        .await
        })?;
        Ok(["email", "sms", "whatsapp", "instagram"]
            .into_iter()
            .map(|channel| {
                let depth = counted
                    .iter()
                    .find(|(c, _)| c == channel)
                    .map_or(0, |(_, n)| *n);
                (channel.to_string(), depth)
            })
            .collect())
    }
}
