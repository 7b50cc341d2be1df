//! The pending-send queue of a thread: a send is shown at once, kept in `localStorage` (the
//! local outbox) so it outlives the tab, and sent until the server has it; a refused send gives
//! its text back to the composer.
use super::badges::ChannelBadge;
use super::collision::CollisionNote;
use crate::api::messages::send_message;
use crate::client::draft::DraftHandle;
use crate::client::outbox;
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use crate::model::message::{Message, MessageInput};
use crate::model::thread::upsert;
use leptos::prelude::*;

/// A send on its way to the server: shown at once, replaced by the stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingSend {
    pub input: MessageInput,
    /// Set while waiting for the connection to come back.
    pub waiting: bool,
}

/// Where a thread's sends report back: the thread's messages and pending sends, its error line,
/// its draft (a refused send's text goes back there) and its collision note.
#[derive(Clone, Copy)]
pub struct SendQueue {
    pub lead_id: LeadId,
    pub messages: RwSignal<Vec<Message>>,
    pub pending: RwSignal<Vec<PendingSend>>,
    pub send_error: RwSignal<Option<String>>,
    pub draft: DraftHandle,
    pub collision: RwSignal<Option<CollisionNote>>,
}

impl SendQueue {
    /// Sends until the server has it. The client id makes retries safe: the server answers a
    /// repeat with the original message. The loop outlives the thread view (leaving the lead does
    /// not cancel a send); the outbox entry in `localStorage` outlives the tab.
    pub fn deliver(self, input: MessageInput) {
        let SendQueue {
            lead_id,
            messages,
            pending,
            send_error,
            draft,
            collision,
        } = self;
        if !claim_delivery(&input.client_id) {
            return; // already on its way from this tab
        }
        leptos::task::spawn_local(async move {
            // A draft save already on its way goes first: the send deletes the draft, and a save
            // that reached the server after it would bring the sent text back as a draft. A save
            // takes milliseconds; the wait is bounded anyway (a second).
            for _ in 0..40 {
                if !draft.saving() {
                    break;
                }
                wait_ms(25).await;
            }
            let mut attempt = 0u32;
            loop {
                match send_message(lead_id, input.clone()).await {
                    Ok(message) => {
                        outbox::remove(&input.client_id);
                        pending.try_update(|p| p.retain(|s| s.input.client_id != input.client_id));
                        // The socket may have brought this message already, and a later UPDATE
                        // (email delivered) with it: the answer is the oldest state, so it only fills
                        // a gap and never replaces.
                        if messages.try_get_untracked().is_some() {
                            insert_if_absent(messages, message);
                        }
                        break;
                    }
                    Err(AppError::Offline) | Err(AppError::Internal) => {
                        pending.try_update(|p| {
                            for s in p
                                .iter_mut()
                                .filter(|s| s.input.client_id == input.client_id)
                            {
                                s.waiting = true;
                            }
                        });
                        attempt += 1;
                        wait_ms((500 * 2u32.pow(attempt.min(4))).min(5_000)).await;
                    }
                    Err(e) => {
                        // Refused (e.g. the lead lost that address): give the text back to the composer.
                        outbox::remove(&input.client_id);
                        pending.try_update(|p| p.retain(|s| s.input.client_id != input.client_id));
                        if let Some(current) = draft.content.try_get_untracked() {
                            let restored = if current.trim().is_empty() {
                                input.body.clone()
                            } else {
                                format!("{}\n\n{current}", input.body)
                            };
                            draft.content.set(restored);
                            if draft.subject.get_untracked().is_empty() {
                                draft.subject.set(input.subject.clone());
                            }
                            draft.edited();
                        }
                        match e {
                            AppError::Collision { message } => {
                                collision.try_set(Some(CollisionNote::Refused(message)));
                            }
                            e => {
                                send_error.try_set(Some(e.to_string()));
                            }
                        }
                        break;
                    }
                }
            }
            release_delivery(&input.client_id);
        });
    }
}

/// The sends not yet stored, under the thread's messages: "Sending…", or "Waiting for
/// connection…" while offline.
#[component]
pub fn PendingSends(pending: RwSignal<Vec<PendingSend>>) -> impl IntoView {
    move || {
        pending
            .get()
            .into_iter()
            .map(|p| {
                let files = match p.input.attachments.len() {
                    0 => None,
                    1 => Some("With 1 file".to_string()),
                    n => Some(format!("With {n} files")),
                };
                view! {
                    <li class="message outbound pending" data-testid="message-pending">
                        <div class="message-meta">
                            {Channel::parse(&p.input.channel).map(|c| view! { <ChannelBadge channel=c/> })}
                            <span>{if p.waiting { "Waiting for connection…" } else { "Sending…" }}</span>
                        </div>
                        {(!p.input.subject.is_empty()).then(|| view! { <p class="subject">{p.input.subject.clone()}</p> })}
                        <p class="body">{p.input.body.clone()}</p>
                        {files.map(|f| view! { <p class="hint">{f}</p> })}
                    </li>
                }
            })
            .collect_view()
    }
}

/// Adds `message` unless the thread has it already (in any state).
fn insert_if_absent(messages: RwSignal<Vec<Message>>, message: Message) {
    // Checked untracked first: a message the thread has already must not wake its views.
    if !messages.with_untracked(|list| list.iter().any(|m| m.id == message.id)) {
        messages.update(|list| {
            upsert(list, message);
        });
    }
}

thread_local! {
    static IN_FLIGHT: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

fn claim_delivery(client_id: &str) -> bool {
    IN_FLIGHT.with(|f| f.borrow_mut().insert(client_id.to_string()))
}

fn release_delivery(client_id: &str) {
    IN_FLIGHT.with(|f| f.borrow_mut().remove(client_id));
}

async fn wait_ms(ms: u32) {
    #[cfg(feature = "hydrate")]
    gloo_timers::future::TimeoutFuture::new(ms).await;
    #[cfg(not(feature = "hydrate"))]
    let _ = ms;
}
