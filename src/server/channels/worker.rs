//! The queue of the provider channels (run by `outbound_queue`, the loop email shares): takes
//! due deliveries one at a time, hands each to its connection's provider (or the sandbox), and
//! moves the message to `sent` with the provider's
//! message id, back to the queue with a backoff (timeouts, 429, 5xx), or to `failed` with the
//! provider's code and words. A delivery is leased while it is tried: a server killed mid-send
//! tries it again after the lease — unless the provider's status report for it arrived in the
//! meantime (its callback URL names our message), which records the send and so ends it.
use super::send_error::SendError;
use super::{meta, twilio};
use crate::server::outbound_queue::{self, Queue};
use crate::server::retry::after_failure;
use crate::server::state::AppState;
use crate::server::store::deliveries::DeliveryJob;
use crate::server::store::outbound::Worker;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::Notify;

/// The queue of SMS, WhatsApp and Instagram deliveries, each through its connection.
pub struct ChannelQueue {
    http: reqwest::Client,
}

/// Runs for the life of the server.
pub async fn run(state: AppState) {
    let http = state.providers.clone();
    outbound_queue::run(state, ChannelQueue { http }).await;
}

impl Queue for ChannelQueue {
    type Job = DeliveryJob;
    const NAME: &'static str = "channel delivery";
    const WORKER: Worker = Worker::Provider;
    const LEASE_MINUTES: i64 = 5;

    async fn claim(
        &self,
        state: &AppState,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<DeliveryJob>, sqlx::Error> {
        state.store.claim_due_delivery(lease_until).await
    }

    fn bell(state: &AppState) -> Arc<Notify> {
        state.delivery_wake.clone()
    }

    async fn deliver(&self, state: &AppState, job: DeliveryJob) {
        deliver(state, &self.http, job).await
    }
}

#[tracing::instrument(name = "delivery", skip_all, fields(message_id = %job.message_id, channel = %job.channel, attempt = job.attempts))]
async fn deliver(state: &AppState, http: &reqwest::Client, job: DeliveryJob) {
    let attempt = match settle_doubt(state, http, &job).await {
        Ok(Some(provider_id)) => {
            tracing::info!(message = %job.message_id, "the provider had the message in doubt already; not sent again");
            Ok(provider_id)
        }
        Ok(None) => hand_over(state, http, &job).await,
        Err(failure) => Err(failure),
    };
    let outcome = match attempt {
        Ok(provider_id) => {
            tracing::info!(message = %job.message_id, via = %job.connection.provider, "channel message sent");
            state
                .store
                .delivery_accepted(&job, &provider_id)
                .await
                .map(|sent| state.metrics.delivered(sent.channel, sent.created_at))
        }
        Err(failure) => {
            let settings = &state.settings.channels;
            let attempts = job.attempts.max(1) as u32;
            tracing::warn!(message = %job.message_id, attempts, reason = %failure.reason, "channel delivery attempt failed");
            if failure.of_connection {
                if let Err(e) = state
                    .store
                    .connection_failed(job.connection.id, &failure.reason)
                    .await
                {
                    tracing::warn!(error = %e, "could not record a connection's error");
                }
            }
            let (reason, retry_at) = after_failure(
                attempts,
                settings.max_attempts,
                settings.retry_base_ms,
                failure.permanent,
                failure.reason,
            );
            state
                .store
                .delivery_attempt_failed(&job, &reason, retry_at, failure.in_doubt)
                .await
        }
    };
    if let Err(e) = outcome {
        // The lease brings the delivery back; nothing is lost.
        tracing::error!(message = %job.message_id, error = %e, "could not record a delivery outcome");
    }
}

/// Before a delivery whose earlier attempt is in doubt is sent again: the provider's id for
/// it if the provider has it already (None: send it).
async fn settle_doubt(
    state: &AppState,
    http: &reqwest::Client,
    job: &DeliveryJob,
) -> Result<Option<String>, SendError> {
    let Some(since) = job.in_doubt_since else {
        return Ok(None);
    };
    match job.connection.provider.as_str() {
        // Nothing reached anyone: the sandbox takes it again.
        "sandbox" => Ok(None),
        // Meta has no way to ask whether it took a message, nor an idempotency key: sending
        // again could reach the lead twice, so it is left to the sender.
        "meta" => Err(SendError {
            permanent: true,
            of_connection: false,
            reason: "Leadwire stopped while handing this message to Meta, and Meta cannot be \
                     asked whether it took it, so it was not sent again: it may or may not have \
                     arrived. Check with the lead, or Retry to send it once more."
                .into(),
            in_doubt: false,
        }),
        _ => {
            let token = open_token(state, job)?;
            let ours = state
                .store
                .provider_ids_since(job.connection.id, &job.to_address, since)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "reading deliveries before asking Twilio");
                    SendError {
                        permanent: false,
                        of_connection: false,
                        reason: "Leadwire could not read its own records of this message; it \
                                 will try again."
                            .into(),
                        in_doubt: true,
                    }
                })?;
            twilio::find_sent(
                http,
                &twilio_account(state, job, &token),
                &job.to_address,
                // Twilio renders a template's text itself: any text matches.
                template_of(job).is_none().then_some(job.body.as_str()),
                since,
                &ours,
            )
            .await
        }
    }
}

/// Gives the message to its provider; the provider's message id.
async fn hand_over(
    state: &AppState,
    http: &reqwest::Client,
    job: &DeliveryJob,
) -> Result<String, SendError> {
    if !job.connection.enabled {
        return Err(SendError {
            permanent: true,
            of_connection: false,
            reason: format!(
                "The {} connection was switched off before this message left. Send it again.",
                job.connection.provider
            ),
            in_doubt: false,
        });
    }
    match job.connection.provider.as_str() {
        // The sandbox takes everything at once; its page shows what the lead's phone would.
        "sandbox" => Ok(format!("SM{}", crate::server::crypto::random_hex(16))),
        "meta" => {
            let token = open_token(state, job)?;
            let template = template_of(job);
            let urls = media_urls(state, job);
            // WhatsApp and Instagram take one file per message (checked before it was queued).
            let file = job
                .media
                .first()
                .zip(urls.first())
                .map(|(m, url)| meta::OutgoingFile {
                    url,
                    kind: crate::model::attachment::kind(&m.content_type),
                    filename: &m.filename,
                });
            meta::send(
                http,
                &meta::Account {
                    graph_base: &state.settings.channels.meta_graph_base,
                    account_id: &job.connection.account_id,
                    access_token: &token,
                    timeout: std::time::Duration::from_millis(
                        state.settings.channels.send_timeout_ms,
                    ),
                },
                job.channel == "whatsapp",
                &job.to_address,
                &job.body,
                template.as_ref(),
                file.as_ref(),
            )
            .await
        }
        _ => {
            let token = open_token(state, job)?;
            let template = template_of(job);
            let callback = format!(
                "{}?message={}",
                super::webhook_url(state, &job.connection),
                job.message_id
            );
            twilio::send(
                http,
                &twilio_account(state, job, &token),
                &job.to_address,
                // A template goes by its Content SID (checked before it was queued); one
                // queued before it had one goes as text, and Twilio says if that is refused.
                match template
                    .as_ref()
                    .and_then(|t| Some((t.twilio_content_sid.as_deref()?, t)))
                {
                    Some((sid, t)) => twilio::Content::Template {
                        sid,
                        params: &t.params,
                    },
                    None => twilio::Content::Text(&job.body),
                },
                &media_urls(state, job),
                &callback,
            )
            .await
        }
    }
}

/// The Twilio account a delivery goes through, with its unsealed `token`.
fn twilio_account<'a>(
    state: &'a AppState,
    job: &'a DeliveryJob,
    token: &'a str,
) -> twilio::Account<'a> {
    twilio::Account {
        api_base: &state.settings.channels.twilio_api_base,
        account_sid: &job.connection.account_id,
        auth_token: token,
        sender: &job.connection.sender,
        timeout: std::time::Duration::from_millis(state.settings.channels.send_timeout_ms),
    }
}

/// Where the provider fetches the message's files: public URLs only the delivery knows.
fn media_urls(state: &AppState, job: &DeliveryJob) -> Vec<String> {
    job.media
        .iter()
        .map(|m| {
            format!(
                "{}/media/{}",
                state.settings.public_url.trim_end_matches('/'),
                m.public_token
            )
        })
        .collect()
}

/// The template a queued message is sent as, if any.
fn template_of(job: &DeliveryJob) -> Option<crate::model::template::TemplateUse> {
    job.template
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
}

/// The connection's token (Twilio's auth token, Meta's access token), unsealed.
fn open_token(state: &AppState, job: &DeliveryJob) -> Result<String, SendError> {
    state
        .secrets
        .open(&job.connection.secret_sealed)
        .ok_or_else(|| SendError {
            permanent: true,
            of_connection: true,
            reason: "The connection's token does not open with this server's key; save it again in Settings → Channels.".into(),
            in_doubt: false,
        })
}
