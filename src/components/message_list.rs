//! A lead's messages, oldest first, inbound and outbound styled apart, under date separators.
use super::badges::ChannelBadge;
use super::local_time::{LocalTime, TimeStyle};
use crate::model::message::{Direction, Message};
use leptos::prelude::*;

#[component]
pub fn MessageList(messages: Vec<Message>) -> impl IntoView {
    if messages.is_empty() {
        return view! {
            <div class="empty small">
                <p>"No messages with this lead yet."</p>
            </div>
        }
        .into_any();
    }
    let mut last_day = None;
    let items = messages
        .into_iter()
        .map(|m| {
            let day = m.created_at.date_naive();
            let separator = (last_day != Some(day)).then(|| {
                last_day = Some(day);
                view! {
                    <li class="day-separator" role="separator">
                        <span>{m.created_at.format("%a %-d %b %Y").to_string()}</span>
                    </li>
                }
            });
            let side = match m.direction {
                Direction::Inbound => "inbound",
                Direction::Outbound => "outbound",
            };
            view! {
                {separator}
                <li class=format!("message {side}") data-testid="message">
                    <div class="message-meta">
                        <ChannelBadge channel=m.channel/>
                        {m.author_name.clone().map(|a| view! { <span class="author">{a}</span> })}
                        <LocalTime at=m.created_at style=TimeStyle::Compact/>
                    </div>
                    {m.subject.clone().map(|s| view! { <p class="subject">{s}</p> })}
                    <p class="body">{m.body.clone()}</p>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="messages" aria-label="Conversation">{items}</ol> }.into_any()
}
