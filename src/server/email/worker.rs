//! The email queue (run by `outbound_queue`, the loop every channel shares): sends each due
//! email, and moves its message to `sent`, back to the queue with a backoff, or to `failed`
//! with the reason.
use super::transport::{DeliveryError, Transport, STOPPED_IN_DOUBT};
use crate::server::outbound_queue::{self, Queue};
use crate::server::retry::after_failure;
use crate::server::state::AppState;
use crate::server::store::emails::EmailJob;
use crate::server::store::outbound::Worker;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::Notify;

/// The email queue: each item goes to the SMTP relay, or to the outbox without one.
pub struct EmailQueue {
    transport: Transport,
}

/// Runs for the life of the server.
pub async fn run(state: AppState) {
    let transport = match Transport::new(&state.settings.mail) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "email delivery is off: the SMTP settings do not work");
            return;
        }
    };
    outbound_queue::run(state, EmailQueue { transport }).await;
}

impl Queue for EmailQueue {
    type Job = EmailJob;
    const NAME: &'static str = "email";
    const WORKER: Worker = Worker::Email;
    const LEASE_MINUTES: i64 = 10;

    async fn claim(
        &self,
        state: &AppState,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<EmailJob>, sqlx::Error> {
        state.store.claim_due_email(lease_until).await
    }

    fn bell(state: &AppState) -> Arc<Notify> {
        state.mail_wake.clone()
    }

    async fn deliver(&self, state: &AppState, job: EmailJob) {
        deliver(state, &self.transport, job).await
    }
}

#[tracing::instrument(name = "email", skip_all, fields(message_id = %job.message_id, attempt = job.attempts))]
async fn deliver(state: &AppState, transport: &Transport, job: EmailJob) {
    let mail = &state.settings.mail;
    // An earlier attempt's data left and the server stopped before the relay answered: the
    // relay cannot be asked whether it took the mail, so it is not sent again unasked.
    if job.in_doubt_since.is_some() {
        tracing::warn!(message = %job.message_id, "email in doubt after a stop; not sent again");
        if let Err(e) = state
            .store
            .email_attempt_failed(&job, STOPPED_IN_DOUBT, None)
            .await
        {
            tracing::error!(message = %job.message_id, error = %e, "could not record an email in doubt");
        }
        return;
    }
    let data_leaving = || async {
        state
            .store
            .outbound_attempt_started(job.message_id)
            .await
            .map_err(|e| {
                tracing::error!(message = %job.message_id, error = %e, "could not record an email attempt");
                DeliveryError {
                    permanent: false,
                    reason: "Leadwire could not record this attempt before sending; it will try again."
                        .into(),
                    in_doubt: false,
                }
            })
    };
    let outcome = match transport.send(mail, &job, data_leaving).await {
        Ok(delivered) => {
            tracing::info!(message = %job.message_id, via = delivered.via, "email sent");
            state
                .store
                .email_sent(&job, delivered.via, delivered.raw.as_deref())
                .await
                .map(|sent| state.metrics.delivered(sent.channel, sent.created_at))
        }
        Err(failure) => {
            let attempts = job.attempts.max(1) as u32;
            tracing::warn!(message = %job.message_id, attempts, in_doubt = failure.in_doubt, reason = %failure.reason, "email attempt failed");
            let (reason, retry_at) = after_failure(
                attempts,
                mail.max_attempts,
                mail.retry_base_ms,
                failure.permanent,
                failure.reason,
            );
            state
                .store
                .email_attempt_failed(&job, &reason, retry_at)
                .await
        }
    };
    if let Err(e) = outcome {
        // The lease brings the email back; nothing is lost.
        tracing::error!(message = %job.message_id, error = %e, "could not record an email delivery outcome");
    }
}
