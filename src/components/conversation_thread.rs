//! `ConversationThread`: one timeline per lead across channels, live in every tab. The parts
//! live beside it: the message list and its paging (`thread_state`), sends on their way
//! (`thread_sends`), the read marker, the scroll position (`thread_scroll`), the rendered
//! messages (`message_list`) and the composer; this file wires them to the lead and turns the
//! composer's draft into sends.
use super::attach::Attachments;
use super::collision::{CollisionNote, CollisionWarning};
use super::composer::Composer;
use super::message_list::render_messages;
use super::presence::{LeadViewers, TypingIndicator};
use super::read_marker::{use_read_marker, MarkUnreadButton};
use super::status::{ErrorNotice, Loading};
use super::template_picker::TemplatePick;
use super::thread_scroll::{NewMessagesPill, ThreadScroll};
use super::thread_sends::{PendingSend, PendingSends, SendQueue};
use super::thread_state::{use_thread, RecentFrames};
use crate::api::messages::{get_thread, retry_message};
use crate::client::draft::{use_draft, DraftSeed};
use crate::client::outbox;
use crate::client::presence::use_presence;
use crate::client::realtime::use_realtime;
use crate::model::channel::Channel;
use crate::model::event::{RowAction, ServerFrame};
use crate::model::ids::{LeadId, MessageId};
use crate::model::message::{reply_subject, Direction, MessageInput, ThreadData};
use crate::model::thread::{
    channel_choices, default_channel, default_subject, resend_as, LeadAddresses,
};
use leptos::prelude::*;

/// The thread of one lead: messages oldest to newest under date separators, older history on
/// demand, and the composer with its autosaved draft.
#[component]
pub fn ConversationThread(
    lead_id: LeadId,
    /// Needed to offer email as a channel.
    lead_email: Option<String>,
    lead_name: String,
    #[prop(optional_no_strip)] lead_phone: Option<String>,
    #[prop(optional_no_strip)] lead_whatsapp: Option<String>,
    #[prop(optional_no_strip)] lead_instagram: Option<String>,
) -> impl IntoView {
    let realtime = use_realtime();
    let recent = RecentFrames::keep(lead_id);
    // A `reset` from the server (too far behind to replay) refetches the whole thread.
    let data = Resource::new(
        move || (lead_id, realtime.map(|r| r.resets.get()).unwrap_or(0)),
        |(id, _)| get_thread(id),
    );
    let addresses = LeadAddresses {
        name: lead_name.clone(),
        email: lead_email,
        phone: lead_phone,
        whatsapp: lead_whatsapp,
        instagram: lead_instagram,
    };
    let title = format!("Conversation with {lead_name}");
    view! {
        <section class="card thread" aria-label=title>
            <h2>"Conversation"</h2>
            <Transition fallback=Loading>
                {move || {
                    let addresses = addresses.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(thread) => view! { <ThreadView lead_id=lead_id addresses=addresses data=thread recent=recent/> }.into_any(),
                            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// The thread of `lead`, with its addresses for the composer.
#[component]
pub fn LeadThread(lead: crate::model::lead::Lead) -> impl IntoView {
    view! {
        <ConversationThread
            lead_id=lead.id
            lead_email=lead.email
            lead_name=lead.name
            lead_phone=lead.phone
            lead_whatsapp=lead.whatsapp
            lead_instagram=lead.instagram
        />
    }
}

#[component]
fn ThreadView(
    lead_id: LeadId,
    addresses: LeadAddresses,
    data: ThreadData,
    recent: RecentFrames,
) -> impl IntoView {
    let viewer = data.viewer_id;
    // Teammates see this tab on the lead while the thread is open, and its typing.
    let presence = use_presence();
    if let Some(p) = presence {
        p.view(Some(lead_id));
        on_cleanup(move || p.view(None));
    }
    // Collision guard: the newest message seen when writing began ("start": none yet).
    let composing_after: StoredValue<Option<String>> = StoredValue::new(None);
    let collision: RwSignal<Option<CollisionNote>> = RwSignal::new(None);
    let pending: RwSignal<Vec<PendingSend>> = RwSignal::new(Vec::new());
    let send_error: RwSignal<Option<String>> = RwSignal::new(None);
    // Server render and hydration use UTC; after that, the viewer's own time zone.
    let local_clock = RwSignal::new(false);
    Effect::new(move |_| local_clock.set(true));
    let expanded = RwSignal::new(std::collections::HashSet::new());

    let chatted = data
        .page
        .messages
        .iter()
        .any(|m| m.channel == Channel::Chat);
    let choices = channel_choices(&addresses, &data.unconnected, chatted);
    // Where a failed message can be sent again instead.
    let reachable: Vec<Channel> = choices
        .iter()
        .filter(|c| c.address.is_some())
        .map(|c| c.channel)
        .collect();
    let default_channel = default_channel(&data.page.messages, &choices);
    let default_subject = default_subject(&data.page.messages, default_channel);
    let draft = use_draft(
        lead_id,
        true,
        data.autosave_delay_ms,
        DraftSeed {
            viewer,
            stored: data.draft,
            default_channel,
            default_subject,
        },
    );
    let windows = data.windows;
    let templates = data.templates;
    let pick = TemplatePick::new();
    let attach = Attachments::kept_for(lead_id);

    let scroll = ThreadScroll::new();
    // What a frame of this lead means beyond the message list.
    let on_frame = move |frame: &ServerFrame, added: bool| match frame {
        ServerFrame::MessagesUpdated {
            message, action, ..
        } => {
            // An email on this thread, from any tab or teammate: the next one follows up on it.
            if *action == RowAction::Insert && message.channel == Channel::Email {
                if let Some(subject) = message.subject.as_deref() {
                    draft.set_follow_up_subject(reply_subject(subject));
                }
            }
            // A teammate's message while this user is writing: warn before they send.
            let teammate = message.author_id.is_some_and(|a| a != viewer);
            if *action == RowAction::Insert
                && message.direction == Direction::Outbound
                && teammate
                && composing_after.get_value().is_some()
                && !draft.content.get_untracked().trim().is_empty()
            {
                collision.set(Some(CollisionNote::Reply {
                    name: message
                        .author_name
                        .clone()
                        .unwrap_or_else(|| "A teammate".into()),
                    at: message.created_at,
                }));
            }
            if let Some(client_id) = message.client_id {
                pending.update(|p| p.retain(|s| s.input.client_id != client_id.to_string()));
            }
            if added {
                scroll.arrived();
            }
        }
        ServerFrame::DraftsUpdated { draft: remote, .. } => draft.apply_remote(remote.clone()),
        _ => {}
    };
    let thread = use_thread(lead_id, data.page, data.seq, recent, on_frame);
    let messages = thread.messages;
    // Follow new messages and sends while the reader is at the bottom.
    scroll.follow_changes(move || {
        messages.track();
        pending.track();
    });
    let marker = use_read_marker(thread);

    let on_typing = Callback::new(move |()| {
        if composing_after.get_value().is_none() {
            composing_after.set_value(Some(thread.newest_id()));
        }
        if let Some(p) = presence {
            p.typing(lead_id);
        }
    });
    if !draft.content.get_untracked().trim().is_empty() {
        composing_after.set_value(Some(thread.newest_id()));
    }

    // WhatsApp and Instagram: free text only within 24 hours of the lead's last message there
    // (as the server said, or later if they wrote since).
    let lead_name = addresses.name.clone();
    let window_note = Signal::derive(move || {
        let channel = draft.channel.get();
        if !crate::model::template::has_window(channel) {
            return None;
        }
        let told = windows
            .iter()
            .find(|w| w.channel == channel)
            .and_then(|w| w.open_until);
        let latest = messages.with(|m| {
            m.iter()
                .filter(|m| m.channel == channel && m.direction == Direction::Inbound)
                .map(|m| m.created_at)
                .max()
        });
        let until = told.max(crate::model::template::window_until(latest));
        let open = until.is_some_and(|u| u > chrono::Utc::now());
        (!open).then(|| crate::model::template::window_closed(channel, &lead_name))
    });

    // Sends from an earlier visit (or tab) that never reached the server: try them again —
    // once the page has hydrated. The server rendered it without this browser's outbox, so
    // showing them while hydrating would build another page than the one to hydrate (and
    // stop hydration with a panic).
    let sends = SendQueue {
        lead_id,
        messages,
        pending,
        send_error,
        draft,
        collision,
    };
    Effect::new(move |_| {
        untrack(|| {
            for entry in outbox::for_lead(lead_id) {
                let known = pending.with_untracked(|p| {
                    p.iter().any(|s| s.input.client_id == entry.input.client_id)
                });
                if !known {
                    pending.update(|p| {
                        p.push(PendingSend {
                            input: entry.input.clone(),
                            waiting: true,
                        })
                    });
                    sends.deliver(entry.input);
                }
            }
        })
    });

    let load_older = move |_| {
        let keep_place = scroll.keep_place();
        thread.load_older(keep_place, move |e| send_error.set(Some(e)));
    };

    // A failed message goes back in the queue; its UPDATE events bring the new status.
    let on_retry = Callback::new(move |id: MessageId| {
        send_error.set(None);
        leptos::task::spawn_local(async move {
            // The new status arrives as UPDATE events (already, perhaps, with the outcome of
            // the next attempt): the answer here would be older, so it is not applied.
            if let Err(e) = retry_message(lead_id, id).await {
                send_error.set(Some(e.to_string()));
            }
        });
    });

    // Holds a send until the server has it (see `deliver`): shown as pending, kept in
    // `localStorage` so it outlives the tab.
    let enqueue = move |input: MessageInput| {
        send_error.set(None);
        scroll.follow();
        pending.update(|p| {
            p.push(PendingSend {
                input: input.clone(),
                waiting: false,
            })
        });
        outbox::keep(lead_id, &input);
        sends.deliver(input);
    };

    // "Send as SMS instead": with its own client id, answering the newest message.
    let on_fallback = Callback::new(move |(id, channel): (MessageId, Channel)| {
        if let Some(failed) = thread.find(id) {
            enqueue(resend_as(
                &failed,
                channel,
                new_client_id(),
                thread.newest_id(),
            ));
        }
    });

    let send = move |confirmed: bool| {
        if !confirmed && collision.with_untracked(Option::is_some) {
            return; // the warning is showing: "Send anyway" is the deliberate way through
        }
        collision.set(None);
        let after = composing_after
            .get_value()
            .unwrap_or_else(|| thread.newest_id());
        composing_after.set_value(None);
        if window_note.with_untracked(Option::is_some) {
            // Outside the window: the chosen template goes, and the typed draft stays for when
            // the lead writes back.
            let Some(chosen) = pick.chosen.get_untracked() else {
                return;
            };
            enqueue(MessageInput {
                channel: draft.channel.get_untracked().as_str().to_string(),
                body: pick.preview().unwrap_or_default(),
                client_id: new_client_id(),
                after,
                confirmed,
                template: chosen.name.clone(),
                template_language: chosen.language.clone(),
                template_params: pick.params.get_untracked(),
                ..Default::default()
            });
            pick.choose(None);
            return;
        }
        let input = MessageInput {
            direction: String::new(),
            attachments: attach.ids_for(draft.channel.get_untracked()),
            channel: draft.channel.get_untracked().as_str().to_string(),
            subject: if draft.channel.get_untracked() == Channel::Email {
                draft.subject.get_untracked()
            } else {
                String::new()
            },
            body: draft.content.get_untracked(),
            client_id: new_client_id(),
            after,
            confirmed,
            ..Default::default()
        };
        if input.channel == Channel::Email.as_str() && !input.subject.trim().is_empty() {
            // A follow-up email keeps the thread's subject.
            draft.set_follow_up_subject(reply_subject(&input.subject));
        }
        enqueue(input);
        // The text now lives in the pending send (retried until stored); the composer is free.
        draft.clear_after_send();
        attach.clear();
    };
    let on_send = Callback::new(move |()| send(false));
    let on_confirm = Callback::new(move |()| send(true));

    let has_more = thread.has_more;
    let loading_older = thread.loading_older;
    view! {
        <div class="thread-tools">
            <LeadViewers lead_id=lead_id me=viewer/>
            <MarkUnreadButton marker=marker error=send_error/>
        </div>
        <div class="thread-scroll" node_ref=scroll.node on:scroll=move |_| scroll.moved() data-testid="thread">
            <Show when=move || has_more.get()>
                <div class="older">
                    <button type="button" class="btn subtle" on:click=load_older disabled=move || loading_older.get()>
                        {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                    </button>
                </div>
            </Show>
            <Show when=move || messages.with(Vec::is_empty) && pending.with(Vec::is_empty)>
                <div class="empty small"><p>"No messages yet. Say hello below."</p></div>
            </Show>
            <ol class="messages" aria-label="Messages">
                {move || render_messages(&messages.get(), local_clock.get(), on_retry, on_fallback, &reachable, expanded)}
                <PendingSends pending=pending/>
            </ol>
        </div>
        <NewMessagesPill scroll=scroll/>
        <TypingIndicator lead_id=lead_id me=viewer/>
        <CollisionWarning note=collision on_confirm=on_confirm/>
        <Composer draft=draft choices=choices on_send=on_send error=send_error on_typing=on_typing
            window=window_note templates=templates pick=pick attach=attach/>
    }
}

/// A fresh UUID for a send: a v7 (the time in milliseconds, then 74 bits from the browser's
/// CSPRNG; `getRandomValues` also works on plain-http self-hosted installs, where
/// `crypto.randomUUID` does not exist). Time-ordered, so the server's (workspace, client id)
/// index takes each send at its end rather than on a random page.
fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut bytes = [0u8; 10];
        if let Ok(crypto) = window().crypto() {
            let _ = crypto.get_random_values_with_u8_array(&mut bytes);
        }
        uuid::Builder::from_unix_timestamp_millis(js_sys::Date::now() as u64, &bytes)
            .into_uuid()
            .to_string()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
