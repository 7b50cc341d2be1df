//! The delivery worker: takes due emails from the queue one at a time, sends them, and moves
//! each message to `sent`, back to the queue with a backoff, or to `failed` with the reason.
use super::transport::Transport;
use crate::server::retry::after_failure;
use crate::server::state::AppState;
use crate::server::store::emails::EmailJob;
use crate::server::store::now;
use chrono::Duration;

/// How long a claimed email is leased to this worker (a crash retries it after this).
const LEASE_MINUTES: i64 = 10;
/// Sleep at most this long without checking the queue (also covers clock jumps).
const IDLE_CHECK_SECS: i64 = 60;

/// Runs for the life of the server.
pub async fn run(state: AppState) {
    let transport = match Transport::new(&state.settings.mail) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "email delivery is off: the SMTP settings do not work");
            return;
        }
    };
    loop {
        match state
            .store
            .claim_due_email(now() + Duration::minutes(LEASE_MINUTES))
            .await
        {
            Ok(Some(job)) => deliver(&state, &transport, job).await,
            Ok(None) => idle(&state).await,
            Err(e) => {
                tracing::error!(error = %e, "email queue unreadable; retrying in a second");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

async fn deliver(state: &AppState, transport: &Transport, job: EmailJob) {
    let mail = &state.settings.mail;
    let outcome = match transport.send(mail, &job).await {
        Ok(delivered) => {
            tracing::info!(message = %job.message_id, via = delivered.via, "email sent");
            state
                .store
                .email_sent(&job, delivered.via, delivered.raw.as_deref())
                .await
        }
        Err(failure) => {
            let attempts = job.attempts.max(1) as u32;
            tracing::warn!(message = %job.message_id, attempts, reason = %failure.reason, "email attempt failed");
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
        // The lease brings the email back after LEASE_MINUTES; nothing is lost.
        tracing::error!(message = %job.message_id, error = %e, "could not record an email delivery outcome");
    }
}

/// Waits for a new email (a send rings `mail_wake`) or the next retry, whichever comes first.
async fn idle(state: &AppState) {
    let until_due = match state.store.next_email_due().await {
        Ok(Some(due)) => (due - now())
            .num_milliseconds()
            .clamp(0, IDLE_CHECK_SECS * 1000),
        _ => IDLE_CHECK_SECS * 1000,
    };
    if until_due == 0 {
        // Due now but not claimable (leased elsewhere): do not spin.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        return;
    }
    tokio::select! {
        _ = state.mail_wake.notified() => {}
        _ = tokio::time::sleep(std::time::Duration::from_millis(until_due as u64)) => {}
    }
}
