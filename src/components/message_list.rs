//! The messages of a thread under their date separators, each with its channel, time and, for
//! outbound ones, its receipt: "Sending…", "Failed" with Retry, "Sent", "Delivered", "Read at
//! 2:30 PM" 🔗, and when only the outbox or the sandbox took it, a line that says so.
use super::badges::ChannelBadge;
use super::local_time::{day_and_clock, day_label, today};
use crate::model::channel::Channel;
use crate::model::ids::MessageId;
use crate::model::message::{Direction, Message};
use crate::model::receipt::{receipt, stand_in, Receipt};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use std::collections::HashSet;

/// Messages with a separator before each new day. `local`: times in the viewer's zone.
/// A message longer than this shows its first [`PREVIEW_CHARS`] and "Show more".
const COLLAPSE_CHARS: usize = 1_200;
const PREVIEW_CHARS: usize = 600;

/// `reachable`: the channels a failed message can be sent again on instead. `expanded`: the
/// long messages the reader opened (kept while the list redraws).
pub fn render_messages(
    messages: &[Message],
    local: bool,
    on_retry: Callback<MessageId>,
    on_fallback: Callback<(MessageId, Channel)>,
    reachable: &[Channel],
    expanded: RwSignal<HashSet<MessageId>>,
) -> impl IntoView {
    let today = today(local);
    let mut last_day = None;
    messages
        .iter()
        .map(|m| {
            let (day, clock) = day_and_clock(m.created_at, local);
            let separator = (last_day != Some(day)).then(|| {
                last_day = Some(day);
                view! { <li class="day-separator" role="separator"><span>{day_label(day, today)}</span></li> }
            });
            let side = match m.direction {
                Direction::Inbound => "inbound",
                Direction::Outbound => "outbound",
            };
            let id = m.id;
            let others: Vec<Channel> = reachable
                .iter()
                .copied()
                .filter(|c| *c != m.channel)
                .collect();
            view! {
                {separator}
                <li class=format!("message {side}") data-testid="message" data-message-id=m.id.to_string()>
                    <div class="message-meta">
                        <ChannelBadge channel=m.channel/>
                        {m.author_name.clone().map(|a| view! { <span class="author">{a}</span> })}
                        <time datetime=m.created_at.to_rfc3339()>{clock}</time>
                        {m.auto_reply.then(|| view! {
                            <span class="auto-reply" title="Sent by the lead's mail program (an out-of-office or similar): not counted as a reply">"Automatic reply"</span>
                        })}
                    </div>
                    {m.subject.clone().map(|s| view! { <p class="subject" dir="auto">{s}</p> })}
                    {body(m, expanded)}
                    {m.quoted.clone().map(|q| view! {
                        <details class="quoted">
                            <summary>"Show quoted text"</summary>
                            <p class="body quoted-text" dir="auto">{q}</p>
                        </details>
                    })}
                    {received_extras(m)}
                    {receipt(m).map(|r| receipt_line(r, local, move || on_retry.run(id), others, move |c| on_fallback.run((id, c))))}
                    {stand_in(m).map(|text| view! { <p class="receipt stand-in" data-testid="stand-in">{text}</p> })}
                </li>
            }
        })
        .collect_view()
}

/// The text, long ones folded to a preview with "Show more". dir="auto": a message in Arabic or
/// Hebrew reads right to left, whatever the page does.
fn body(m: &Message, expanded: RwSignal<HashSet<MessageId>>) -> AnyView {
    if m.body.chars().count() <= COLLAPSE_CHARS {
        return view! { <p class="body" dir="auto">{m.body.clone()}</p> }.into_any();
    }
    let id = m.id;
    let full = m.body.clone();
    let preview = format!(
        "{}…",
        m.body.chars().take(PREVIEW_CHARS).collect::<String>()
    );
    let open = move || expanded.with(|e| e.contains(&id));
    view! {
        <p class="body" dir="auto">{move || if open() { full.clone() } else { preview.clone() }}</p>
        <button type="button" class="btn subtle small show-more" aria-expanded=move || open().to_string()
            on:click=move |_| expanded.update(|e| if !e.remove(&id) { e.insert(id); })>
            {move || if open() { "Show less" } else { "Show more" }}
        </button>
    }
    .into_any()
}

/// A message's files, sent or received: pictures inline, the rest as downloads.
pub fn attachment_list(m: &Message) -> Option<impl IntoView> {
    (!m.attachments.is_empty()).then(|| {
        let items = m
            .attachments
            .iter()
            .map(|a| {
                let url = format!("/attachments/{}", a.id);
                let link = url.clone();
                let name = a.filename.clone();
                let label = name.clone();
                if a.is_image() {
                    view! {
                        <li class="attachment image">
                            <a href=link target="_blank" rel="noopener noreferrer">
                                <img src=url alt=name title=label loading="lazy"/>
                            </a>
                        </li>
                    }
                    .into_any()
                } else {
                    view! {
                        <li class="attachment file">
                            <a href=link download=name>
                                <span aria-hidden="true">"📎 "</span>
                                {label}
                                <span class="size">{format!(" ({})", a.size_label())}</span>
                            </a>
                        </li>
                    }
                    .into_any()
                }
            })
            .collect_view();
        view! { <ul class="attachments" aria-label="Attachments" data-testid="attachments">{items}</ul> }
    })
}

/// A message's files, a received email's HTML version in a sandboxed frame on demand, and what
/// was left out.
fn received_extras(m: &Message) -> impl IntoView {
    let files = attachment_list(m);
    let original = m.has_html.then(|| {
        let src = format!("/inbound/{}/html", m.id);
        // Loaded when opened: a thread of HTML emails costs no request until one is read.
        let opened = RwSignal::new(false);
        view! {
            <details class="original" on:toggle=move |_| opened.set(true)>
                <summary>"Show original email"</summary>
                // Sandboxed and served with its own strict policy: no script, no remote content.
                {move || opened.get().then(|| view! {
                    <iframe
                        src=src.clone()
                        title="The email as sent"
                        sandbox="allow-popups allow-popups-to-escape-sandbox"
                        referrerpolicy="no-referrer"
                    ></iframe>
                })}
            </details>
        }
    });
    let omitted = (!m.omitted.is_empty()).then(|| {
        m.omitted
            .iter()
            .map(|note| view! { <p class="omitted">{note.clone()}</p> })
            .collect_view()
    });
    (files, original, omitted)
}

fn receipt_line(
    r: Receipt,
    local: bool,
    retry: impl Fn() + 'static,
    others: Vec<Channel>,
    instead: impl Fn(Channel) + Clone + Send + Sync + 'static,
) -> AnyView {
    match r {
        Receipt::Queued => view! {
            <p class="receipt queued" data-testid="receipt">"Sending…"</p>
        }
        .into_any(),
        Receipt::Failed { reason, retryable } => view! {
            <p class="receipt failed" data-testid="receipt" role="status">
                <span class="failed">"Failed"</span>
                <span class="reason">{reason}</span>
                {retryable.then(|| view! {
                    <button type="button" class="btn subtle small" on:click=move |_| retry()>"Retry"</button>
                })}
                {others.into_iter().map(|c| {
                    let instead = instead.clone();
                    view! {
                        <button type="button" class="btn subtle small" on:click=move |_| instead(c)>
                            {format!("Send as {} instead", c.label())}
                        </button>
                    }
                }).collect_view()}
            </p>
        }
        .into_any(),
        Receipt::Sent => view! { <p class="receipt" data-testid="receipt">"Sent"</p> }.into_any(),
        Receipt::Delivered => {
            view! { <p class="receipt" data-testid="receipt">"Delivered"</p> }.into_any()
        }
        Receipt::ProxyOpened => view! {
            <p class="receipt" data-testid="receipt" title="A mail privacy proxy (such as Apple Mail's) fetched this email. That happens on delivery, so it does not mean it was read.">
                "Delivered — opened by a mail privacy proxy"
            </p>
        }
        .into_any(),
        Receipt::Read { at, clicked_at } => view! {
            <p class="receipt read" data-testid="receipt">
                <span>{read_label(at, local)}</span>
                {clicked_at.map(|c| {
                    let when = format!("Link clicked {}", when_label(c, local));
                    view! { <span class="clicked" data-testid="clicked" title=when.clone() aria-label=when>"🔗"</span> }
                })}
            </p>
        }
        .into_any(),
    }
}

/// "Read at 2:30 PM" today, "Read at 2:30 PM, Mon 16 Nov" on another day.
fn read_label(at: DateTime<Utc>, local: bool) -> String {
    format!("Read {}", when_label(at, local))
}

fn when_label(at: DateTime<Utc>, local: bool) -> String {
    let (day, clock) = day_and_clock(at, local);
    if day == today(local) {
        format!("at {clock}")
    } else {
        format!("at {clock}, {}", day_label(day, today(local)))
    }
}
