//! Outbound email: the composed mail queued with its message (its place in the queue is
//! `outbound`'s, shared with every channel), its tracked links, what the relay's answers
//! and bounces do to it, and the local outbox.
use super::db::{on_conn, on_db, Conn};
use super::message_rows::{message_updated, set_status, RetryOutcome};
use super::outbound::{self, Worker};
use super::script::{placeholders, Script};
use super::Store;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::message::{Message, MessageStatus};
use crate::server::email::compose::Composed;
use chrono::{DateTime, Utc};

/// An email to queue with its message. It owns what it holds: on PostgreSQL a send moves to
/// the store's write thread.
#[derive(Clone)]
pub struct NewEmail {
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    /// Without angle brackets.
    pub message_id_header: String,
    pub composed: Composed,
}

/// A claimed delivery: everything the worker needs to put the mail on the wire.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailJob {
    pub message_id: MessageId,
    pub workspace_id: WorkspaceId,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id_header: String,
    pub in_reply_to: Option<String>,
    pub references_header: Option<String>,
    /// Including the one just claimed.
    #[sqlx(skip)]
    pub attempts: i64,
    /// The workspace's watched mailbox, where the lead's answer should go (None: `From`).
    pub reply_to: Option<String>,
    /// When an earlier attempt's data left without the relay's answer being recorded (the
    /// server stopped meanwhile): the relay may have the mail.
    #[sqlx(skip)]
    pub in_doubt_since: Option<DateTime<Utc>>,
}

/// A mail in the local outbox list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub message_id: MessageId,
    pub lead_id: LeadId,
    pub lead_name: String,
    pub to_address: String,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
}

/// One outbox mail, whole.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxMail {
    pub message_id: MessageId,
    pub lead_id: LeadId,
    pub lead_name: String,
    pub to_address: String,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub html_body: String,
    pub raw_message: String,
    /// Without angle brackets.
    pub message_id_header: String,
    /// The text part as typed.
    pub text_body: String,
}

impl Store {
    /// Claims the next due email: counts the attempt and leases it until `lease_until`, so a
    /// crashed worker's mail is retried after the lease rather than lost or sent twice at once.
    pub async fn claim_due_email(
        &self,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<EmailJob>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let Some(claimed) =
            outbound::claim_in(tx.reborrow(), Worker::Email, lease_until, false).await?
        else {
            tx.commit(Vec::new()).await?;
            return Ok(None);
        };
        let mut job = on_conn!(tx, |c, sql| {
            sqlx::query_as::<_, EmailJob>(sql("SELECT e.message_id, e.workspace_id, e.to_address, e.to_name, e.subject, e.text_body, \
             e.html_body, e.message_id_header, e.in_reply_to, e.references_header, \
             (SELECT address FROM imap_mailboxes i WHERE i.workspace_id = e.workspace_id \
              AND i.enabled = TRUE) AS reply_to \
             FROM outbound_emails e WHERE e.message_id = ?",))
        .bind(claimed.message_id)
        .fetch_one(c)
        .await
        })?;
        job.attempts = claimed.attempts;
        job.in_doubt_since = claimed.in_doubt_since;
        tx.commit(Vec::new()).await?;
        Ok(Some(job))
    }

    /// The relay (or the outbox) took the mail: the message is `sent`. Returns the message
    /// (for the delivery-lag metric).
    pub async fn email_sent(
        &self,
        job: &EmailJob,
        via: &str,
        raw_message: Option<&str>,
    ) -> Result<Message, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        outbound::handed_over_in(tx.reborrow(), job.message_id).await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE outbound_emails SET delivered_via = ?, raw_message = ? WHERE message_id = ?",
        ))
        .bind(via)
        .bind(raw_message)
        .bind(job.message_id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        // The thread says when the mail only reached the outbox.
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE messages SET delivered_via = ? WHERE id = ?"
        ))
        .bind(via)
        .bind(job.message_id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        set_status(tx.reborrow(), job.message_id, MessageStatus::Sent, None).await?;
        let (event, message) =
            message_updated(tx.reborrow(), job.workspace_id, job.message_id).await?;
        tx.commit(vec![event]).await?;
        Ok(message)
    }

    /// An attempt failed: try again at `retry_at`, or (None) give up and mark the message failed.
    /// Either way the reason reaches the thread.
    pub async fn email_attempt_failed(
        &self,
        job: &EmailJob,
        reason: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error> {
        // An email whose data left unanswered is never retried unasked (`transport`), so no
        // attempt stays in doubt here.
        self.outbound_attempt_failed(job.workspace_id, job.message_id, reason, retry_at, false)
            .await
    }

    /// A bounce for the workspace's email with this Message-ID: it is marked `failed` with the
    /// receiving server's reason (the thread and the feed say so, live). Returns the message, or
    /// None when the workspace sent no such email.
    pub async fn email_bounced(
        &self,
        workspace: WorkspaceId,
        message_id_header: &str,
        reason: &str,
    ) -> Result<Option<Message>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let found: Option<(MessageId, MessageStatus)> = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql("SELECT e.message_id, m.status FROM outbound_emails e JOIN messages m ON m.id = e.message_id \
             WHERE e.workspace_id = ? AND e.message_id_header = ?",))
        .bind(workspace)
        .bind(message_id_header)
        .fetch_optional(c)
        .await
        })?;
        let Some((id, status)) = found else {
            return Ok(None);
        };
        // A bounce delivered twice: the email failed once.
        if status == MessageStatus::Failed {
            let message = super::message_rows::message_in(tx.reborrow(), id).await?;
            tx.commit(Vec::new()).await?;
            return Ok(Some(message));
        }
        let reason = format!("Bounced: {reason}");
        outbound::note_error_in(tx.reborrow(), id, &reason).await?;
        set_status(tx.reborrow(), id, MessageStatus::Failed, Some(&reason)).await?;
        let (event, message) = message_updated(tx.reborrow(), workspace, id).await?;
        let logged = outbound::failed_activity(tx.reborrow(), workspace, &message, &reason).await?;
        tx.commit(vec![event, logged]).await?;
        Ok(Some(message))
    }

    /// Puts a failed email of the workspace back in the queue, due now, with fresh attempts.
    pub async fn retry_email(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
        message: MessageId,
    ) -> Result<RetryOutcome, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let status: Option<MessageStatus> = on_conn!(tx, |c, sql| sqlx::query_scalar(sql(
            "SELECT m.status FROM messages m JOIN outbound_emails e ON e.message_id = m.id \
             WHERE m.id = ? AND m.workspace_id = ? AND m.lead_id = ?",
        ))
        .bind(message)
        .bind(workspace)
        .bind(lead)
        .fetch_optional(c)
        .await)?;
        match status {
            None => return Ok(RetryOutcome::NotFound),
            Some(MessageStatus::Failed) => {}
            Some(_) => return Ok(RetryOutcome::NotFailed),
        }
        outbound::requeue_in(tx.reborrow(), message).await?;
        set_status(tx.reborrow(), message, MessageStatus::Queued, None).await?;
        let (event, updated) = message_updated(tx.reborrow(), workspace, message).await?;
        tx.commit(vec![event]).await?;
        Ok(RetryOutcome::Queued(Box::new(updated)))
    }

    /// Mail the workspace sent to the local outbox, newest first.
    pub async fn outbox(
        &self,
        workspace: WorkspaceId,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, sqlx::Error> {
        on_db!(self.db(), |p, sql| {
            sqlx::query_as::<_, OutboxRow>(sql("SELECT e.message_id, m.lead_id, l.name AS lead_name, e.to_address, e.subject, q.sent_at, m.opened_at \
             FROM outbound_emails e JOIN outbound_queue q ON q.message_id = e.message_id \
             JOIN messages m ON m.id = e.message_id JOIN leads l ON l.id = m.lead_id \
             WHERE e.workspace_id = ? AND e.delivered_via = 'outbox' ORDER BY q.sent_at DESC LIMIT ?",))
        .bind(workspace)
        .bind(limit)
        .fetch_all(p)
        .await
        })
    }

    pub async fn outbox_mail(
        &self,
        workspace: WorkspaceId,
        message: MessageId,
    ) -> Result<Option<OutboxMail>, sqlx::Error> {
        on_db!(self.db(), |p, sql| {
            sqlx::query_as::<_, OutboxMail>(sql("SELECT e.message_id, m.lead_id, l.name AS lead_name, e.to_address, e.subject, q.sent_at, \
             e.html_body, e.raw_message, e.message_id_header, e.text_body \
             FROM outbound_emails e JOIN outbound_queue q ON q.message_id = e.message_id \
             JOIN messages m ON m.id = e.message_id JOIN leads l ON l.id = m.lead_id \
             WHERE e.workspace_id = ? AND e.message_id = ? AND e.delivered_via = 'outbox'",))
        .bind(workspace)
        .bind(message)
        .fetch_optional(p)
        .await
        })
    }
}

/// Queues the email of a message being recorded, in its transaction. Threads it after the
/// lead's earlier emails (In-Reply-To the newest, References up to the last ten).
pub(super) async fn insert_in(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    lead: LeadId,
    message: MessageId,
    email: &NewEmail,
) -> Result<(), sqlx::Error> {
    let earlier: Vec<(String,)> = on_conn!(tx, |c, sql| {
        sqlx::query_as(sql(
        "SELECT e.message_id_header FROM outbound_emails e JOIN messages m ON m.id = e.message_id \
         WHERE m.workspace_id = ? AND m.lead_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT 10",
    ))
    .bind(workspace)
    .bind(lead)
    .fetch_all(c)
    .await
    })?;
    let in_reply_to = earlier.first().map(|(h,)| h.clone());
    let references = (!earlier.is_empty()).then(|| {
        earlier
            .iter()
            .rev()
            .map(|(h,)| format!("<{h}>"))
            .collect::<Vec<_>>()
            .join(" ")
    });
    // The mail, its place in the queue and its links: one round trip on the writer.
    let mut script = Script::for_conn(&tx);
    script
        .push(
            "INSERT INTO outbound_emails (message_id, workspace_id, to_address, to_name, subject, \
             text_body, html_body, message_id_header, in_reply_to, references_header, tracking_token) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(message)
        .bind(workspace)
        .bind(&email.to_address)
        .bind(&email.to_name)
        .bind(&email.subject)
        .bind(&email.composed.text)
        .bind(&email.composed.html)
        .bind(&email.message_id_header)
        .bind(in_reply_to)
        .bind(references)
        .bind(&email.composed.tracking_token);
    outbound::queue_in(&mut script, workspace, message, Worker::Email);
    let links = email
        .composed
        .links
        .iter()
        .map(|link| {
            script
                .bind(uuid::Uuid::new_v4())
                .bind(message)
                .bind(&link.token)
                .bind(&link.url)
                .bind(link.position);
            placeholders(5)
        })
        .collect();
    script.rows_statement(
        "INSERT INTO tracked_links (id, message_id, token, url, position) VALUES ",
        links,
        "",
    );
    script.execute(tx).await
}
