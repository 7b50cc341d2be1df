//! The loop that drives the one outbound queue (`store::outbound`, a row per outbound message
//! of every channel). Two workers take their own rows — email (the SMTP relay or the outbox) and
//! the providers (SMS, WhatsApp and Instagram, or the sandbox), so a slow relay never holds a
//! text message back — and each runs this loop: take the next due item under a lease (a server
//! killed mid-send tries it again once the lease runs out), hand it over, record the outcome;
//! with nothing due, sleep until a send rings the worker's bell or the next retry falls due.
//! What "hand over" means is each worker's own (`email::worker`, `channels::worker`); when to
//! retry is `retry::after_failure`, shared too.
use super::state::AppState;
use super::store::now;
use super::store::outbound::Worker;
use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Notify;

/// Sleep at most this long without checking the queue (also covers clock jumps).
const IDLE_CHECK_SECS: i64 = 60;

pub trait Queue: Send + Sync + 'static {
    type Job: Send;
    /// For the logs: "email", "channel delivery".
    const NAME: &'static str;
    /// How long a claimed item is leased to this worker.
    const LEASE_MINUTES: i64;
    /// Whose rows of the queue it takes.
    const WORKER: Worker;

    /// Claims the next due item, leased until `lease_until`.
    fn claim(
        &self,
        state: &AppState,
        lease_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Self::Job>, sqlx::Error>> + Send;

    /// The bell a new send rings.
    fn bell(state: &AppState) -> Arc<Notify>;

    /// Hands one item over and records how it went (sent, retry later, failed).
    fn deliver(&self, state: &AppState, job: Self::Job) -> impl Future<Output = ()> + Send;
}

/// Runs `queue` for the life of the server.
pub async fn run<Q: Queue>(state: AppState, queue: Q) {
    loop {
        match queue
            .claim(&state, now() + Duration::minutes(Q::LEASE_MINUTES))
            .await
        {
            Ok(Some(job)) => queue.deliver(&state, job).await,
            Ok(None) => idle::<Q>(&state).await,
            Err(e) => {
                tracing::error!(error = %e, queue = Q::NAME, "outbound queue unreadable; retrying in a second");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// Waits for a new item (the bell) or the next retry, whichever comes first.
async fn idle<Q: Queue>(state: &AppState) {
    let until_due = match state.store.next_outbound_due(Q::WORKER).await {
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
    let bell = Q::bell(state);
    tokio::select! {
        _ = bell.notified() => {}
        _ = tokio::time::sleep(std::time::Duration::from_millis(until_due as u64)) => {}
    }
}
