//! `ConversationThread`: one timeline per lead across channels, live in every tab.
use super::attach::Attachments;
use super::badges::ChannelBadge;
use super::collision::{CollisionNote, CollisionWarning};
use super::composer::Composer;
use super::message_list::render_messages;
use super::presence::{LeadViewers, TypingIndicator};
use super::status::{ErrorNotice, Loading};
use super::template_picker::TemplatePick;
use super::thread_sends::{PendingSend, SendQueue};
use crate::api::messages::{get_thread, mark_read, mark_unread, older_messages, retry_message};
use crate::client::draft::{use_draft, DraftSeed};
use crate::client::outbox;
use crate::client::presence::use_presence;
use crate::client::realtime::use_realtime;
use crate::model::channel::Channel;
use crate::model::event::{RowAction, ServerFrame};
use crate::model::ids::{LeadId, MessageId};
use crate::model::message::{reply_subject, Direction, Message, MessageInput, ThreadData};
use crate::model::thread::{
    channel_choices, default_channel, default_subject, upsert as upsert_into, LeadAddresses,
};
use leptos::html;
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
    // Frames for this lead, kept from before the data arrives: events that commit while
    // `get_thread` is in flight are re-applied to the fresh data (by seq) when it lands.
    let recent: StoredValue<Vec<ServerFrame>> = StoredValue::new(Vec::new());
    if let Some(realtime) = realtime {
        realtime.on_event(move |frame| {
            if concerns(frame, lead_id) {
                recent.update_value(|r| {
                    r.push(frame.clone());
                    if r.len() > RECENT_FRAMES {
                        r.drain(..r.len() - RECENT_FRAMES);
                    }
                });
            }
        });
    }
    // A `reset` from the server (too far behind to replay) refetches the whole thread.
    let data = Resource::new(
        move || (lead_id, realtime.map(|r| r.resets.get()).unwrap_or(0)),
        |(id, _)| get_thread(id.to_string()),
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

/// How many recent frames of a lead a thread keeps for re-applying after a (re)load.
const RECENT_FRAMES: usize = 500;

fn concerns(frame: &ServerFrame, lead_id: LeadId) -> bool {
    match frame {
        ServerFrame::MessagesUpdated { message, .. } => message.lead_id == lead_id,
        ServerFrame::DraftsUpdated { lead_id: id, .. } => *id == lead_id,
        _ => false,
    }
}

#[component]
fn ThreadView(
    lead_id: LeadId,
    addresses: LeadAddresses,
    data: ThreadData,
    recent: StoredValue<Vec<ServerFrame>>,
) -> impl IntoView {
    let loaded_seq = data.seq;
    let messages = RwSignal::new(data.page.messages);
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
    let newest_seen = move || {
        messages
            .with_untracked(|m| m.last().map(|m| m.id.to_string()))
            .unwrap_or_else(|| "start".into())
    };
    let on_typing = Callback::new(move |()| {
        if composing_after.get_value().is_none() {
            composing_after.set_value(Some(newest_seen()));
        }
        if let Some(p) = presence {
            p.typing(lead_id);
        }
    });
    let has_more = RwSignal::new(data.page.has_more);
    let pending: RwSignal<Vec<PendingSend>> = RwSignal::new(Vec::new());
    let send_error: RwSignal<Option<String>> = RwSignal::new(None);
    let loading_older = RwSignal::new(false);
    let at_bottom = RwSignal::new(true);
    let unseen = RwSignal::new(0usize);
    // Server render and hydration use UTC; after that, the viewer's own time zone.
    let local_clock = RwSignal::new(false);
    Effect::new(move |_| local_clock.set(true));
    let scroller = NodeRef::<html::Div>::new();
    let expanded = RwSignal::new(std::collections::HashSet::new());

    let windows = data.windows;
    let templates = data.templates;
    let pick = TemplatePick::new();
    let attach = Attachments::kept_for(lead_id);
    let chatted = messages.with_untracked(|m| m.iter().any(|m| m.channel == Channel::Chat));
    let choices = channel_choices(&addresses, &data.unconnected, chatted);
    // Where a failed message can be sent again instead.
    let reachable: Vec<Channel> = choices
        .iter()
        .filter(|c| c.address.is_some())
        .map(|c| c.channel)
        .collect();
    let default_channel = messages.with_untracked(|m| default_channel(m, &choices));
    let default_subject = messages.with_untracked(|m| default_subject(m, default_channel));
    let draft = use_draft(
        lead_id,
        true,
        data.autosave_delay_ms,
        DraftSeed {
            viewer: data.viewer_id,
            stored: data.draft,
            default_channel,
            default_subject,
        },
    );
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

    if !draft.content.get_untracked().trim().is_empty() {
        composing_after.set_value(Some(newest_seen()));
    }
    let apply = move |frame: &ServerFrame| match frame {
        ServerFrame::MessagesUpdated {
            message, action, ..
        } if message.lead_id == lead_id => {
            let message = message.clone();
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
            let new = upsert(messages, message);
            if new && !at_bottom.get_untracked() {
                unseen.update(|n| *n += 1);
            }
        }
        ServerFrame::DraftsUpdated {
            lead_id: id,
            draft: remote,
            ..
        } if *id == lead_id => {
            draft.apply_remote(remote.clone());
        }
        _ => {}
    };
    // Catch up on what happened while the data was loading, then follow live.
    for frame in recent.get_value() {
        if frame.seq().is_some_and(|seq| seq > loaded_seq) {
            apply(&frame);
        }
    }
    if let Some(realtime) = use_realtime() {
        realtime.on_event(apply);
    }
    // Sends from an earlier visit (or tab) that never reached the server: try them again.
    let sends = SendQueue {
        lead_id,
        messages,
        pending,
        send_error,
        draft,
        collision,
    };
    for entry in outbox::for_lead(lead_id) {
        let known = pending
            .with_untracked(|p| p.iter().any(|s| s.input.client_id == entry.input.client_id));
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

    // Read status: what this tab shows (while visible) is read; "Mark as unread" undoes that
    // until the next inbound message arrives.
    let marked_through: StoredValue<Option<MessageId>> = StoredValue::new(None);
    let hold_unread = RwSignal::new(false);
    let mark_seen = move || {
        let newest_inbound = messages.with_untracked(|m| {
            m.iter()
                .rev()
                .find(|m| m.direction == Direction::Inbound)
                .map(|m| m.id)
        });
        let Some(newest) = newest_inbound else { return };
        if hold_unread.get_untracked()
            || !page_visible()
            || marked_through.get_value() == Some(newest)
        {
            return;
        }
        marked_through.set_value(Some(newest));
        leptos::task::spawn_local(async move {
            let _ = mark_read(lead_id.to_string(), newest.to_string()).await;
        });
    };
    Effect::new(move |previous: Option<Option<MessageId>>| {
        let newest_inbound = messages.with(|m| {
            m.iter()
                .rev()
                .find(|m| m.direction == Direction::Inbound)
                .map(|m| m.id)
        });
        if previous.is_some_and(|p| p != newest_inbound) {
            hold_unread.set(false);
        }
        mark_seen();
        newest_inbound
    });
    #[cfg(feature = "hydrate")]
    {
        let focus = window_event_listener(leptos::ev::focus, move |_| mark_seen());
        let visible = window_event_listener(leptos::ev::visibilitychange, move |_| mark_seen());
        on_cleanup(move || {
            focus.remove();
            visible.remove();
        });
    }
    let on_mark_unread = move |_| {
        hold_unread.set(true);
        marked_through.set_value(None);
        leptos::task::spawn_local(async move {
            if let Err(e) = mark_unread(lead_id.to_string()).await {
                send_error.set(Some(e.to_string()));
            }
        });
    };

    // Follow new messages while the reader is at the bottom.
    Effect::new(move |_| {
        messages.track();
        pending.track();
        if at_bottom.get_untracked() {
            scroll_to_bottom(scroller);
        }
    });

    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            let bottom = el.scroll_height() - el.scroll_top() - el.client_height() < 48;
            at_bottom.set(bottom);
            if bottom {
                unseen.set(0);
            }
        }
    };

    let load_older = move |_| {
        let Some(first) = messages.with_untracked(|m| m.first().map(|m| m.id)) else {
            return;
        };
        loading_older.set(true);
        let before_height = scroller
            .get_untracked()
            .map(|el| el.scroll_height())
            .unwrap_or(0);
        leptos::task::spawn_local(async move {
            match older_messages(lead_id.to_string(), first.to_string()).await {
                Ok(page) => {
                    has_more.set(page.has_more);
                    messages.update(|m| {
                        let mut older = page.messages;
                        older.retain(|o| !m.iter().any(|x| x.id == o.id));
                        older.append(m);
                        *m = older;
                    });
                    // Keep the reader's place: the list grew above them.
                    if let Some(el) = scroller.get_untracked() {
                        request_animation_frame(move || {
                            el.set_scroll_top(el.scroll_top() + el.scroll_height() - before_height);
                        });
                    }
                }
                Err(e) => send_error.set(Some(e.to_string())),
            }
            loading_older.set(false);
        });
    };

    // A failed message goes back in the queue; its UPDATE events bring the new status.
    let on_retry = Callback::new(move |id: MessageId| {
        send_error.set(None);
        leptos::task::spawn_local(async move {
            // The new status arrives as UPDATE events (already, perhaps, with the outcome of
            // the next attempt): the answer here would be older, so it is not applied.
            if let Err(e) = retry_message(lead_id.to_string(), id.to_string()).await {
                send_error.set(Some(e.to_string()));
            }
        });
    });

    // Holds a send until the server has it (see `deliver`): shown as pending, kept in
    // `localStorage` so it outlives the tab.
    let enqueue = move |input: MessageInput| {
        send_error.set(None);
        at_bottom.set(true);
        pending.update(|p| {
            p.push(PendingSend {
                input: input.clone(),
                waiting: false,
            })
        });
        outbox::keep(lead_id, &input);
        sends.deliver(input);
    };

    // "Send as SMS instead": a failed message's text, once more on another channel, as a new
    // message with its own client id.
    let on_fallback = Callback::new(move |(id, channel): (MessageId, Channel)| {
        let Some(failed) = messages.with_untracked(|m| m.iter().find(|m| m.id == id).cloned())
        else {
            return;
        };
        let subject = if channel == Channel::Email {
            failed.subject.clone().unwrap_or_default()
        } else {
            String::new()
        };
        // Its files go along where the other channel carries files (the server says if it
        // cannot carry these).
        let attachments = if super::attach::takes_files(channel) {
            failed
                .attachments
                .iter()
                .map(|a| a.id.to_string())
                .collect()
        } else {
            Vec::new()
        };
        enqueue(MessageInput {
            direction: String::new(),
            channel: channel.as_str().to_string(),
            subject,
            body: failed.body,
            attachments,
            client_id: new_client_id(),
            after: newest_seen(),
            // The sender chose this on a message already written: no collision question.
            confirmed: true,
            ..Default::default()
        });
    });

    let send = move |confirmed: bool| {
        if !confirmed && collision.with_untracked(Option::is_some) {
            return; // the warning is showing: "Send anyway" is the deliberate way through
        }
        collision.set(None);
        let after = composing_after.get_value().unwrap_or_else(newest_seen);
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

    view! {
        <div class="thread-tools">
            <LeadViewers lead_id=lead_id me=viewer/>
            <button type="button" class="btn subtle small" on:click=on_mark_unread disabled=move || hold_unread.get()>
                {move || if hold_unread.get() { "Marked unread" } else { "Mark as unread" }}
            </button>
        </div>
        <div class="thread-scroll" node_ref=scroller on:scroll=on_scroll data-testid="thread">
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
                {move || pending.get().into_iter().map(|p| view! {
                    <li class="message outbound pending" data-testid="message-pending">
                        <div class="message-meta">
                            {Channel::parse(&p.input.channel).map(|c| view! { <ChannelBadge channel=c/> })}
                            <span>{if p.waiting { "Waiting for connection…" } else { "Sending…" }}</span>
                        </div>
                        {(!p.input.subject.is_empty()).then(|| view! { <p class="subject">{p.input.subject.clone()}</p> })}
                        <p class="body">{p.input.body.clone()}</p>
                        {(!p.input.attachments.is_empty()).then(|| view! {
                            <p class="hint">{match p.input.attachments.len() { 1 => "With 1 file".to_string(), n => format!("With {n} files") }}</p>
                        })}
                    </li>
                }).collect_view()}
            </ol>
        </div>
        <Show when=move || { unseen.get() > 0 }>
            <button type="button" class="new-pill" on:click=move |_| { at_bottom.set(true); unseen.set(0); scroll_to_bottom(scroller); }>
                {move || format!("↓ {} new message{}", unseen.get(), if unseen.get() == 1 { "" } else { "s" })}
            </button>
        </Show>
        <TypingIndicator lead_id=lead_id me=viewer/>
        <CollisionWarning note=collision on_confirm=on_confirm/>
        <Composer draft=draft choices=choices on_send=on_send error=send_error on_typing=on_typing
            window=window_note templates=templates pick=pick attach=attach/>
    }
}

/// Inserts or replaces by id, keeping time order; true when it was new.
fn upsert(messages: RwSignal<Vec<Message>>, message: Message) -> bool {
    let mut inserted = false;
    messages.update(|list| inserted = upsert_into(list, message));
    inserted
}

fn scroll_to_bottom(scroller: NodeRef<html::Div>) {
    if let Some(el) = scroller.get_untracked() {
        request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
    }
}

/// A fresh v4 UUID for a send, from the browser's CSPRNG (`getRandomValues` also works on
/// plain-http self-hosted installs, where `crypto.randomUUID` does not exist).
fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut bytes = [0u8; 16];
        if let Ok(crypto) = window().crypto() {
            let _ = crypto.get_random_values_with_u8_array(&mut bytes);
        }
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// Whether the reader can see this tab (messages shown in a hidden tab are not "read").
fn page_visible() -> bool {
    #[cfg(feature = "hydrate")]
    return document().visibility_state() == web_sys::VisibilityState::Visible;
    #[cfg(not(feature = "hydrate"))]
    false
}
