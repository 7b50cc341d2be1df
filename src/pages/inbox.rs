//! `/` and `/inbox`: the leads with the most recent conversations first.
use crate::api::leads::conversations;
use crate::client::realtime::use_realtime;
use crate::components::badges::{channel_icon, StageBadge};
use crate::components::local_time::LocalTime;
use crate::components::presence::OnlineTeam;
use crate::components::status::{EmptyState, ErrorNotice, Loading};
use crate::model::message::Direction;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn InboxPage() -> impl IntoView {
    // Live: every message event anywhere in the workspace re-reads the list.
    let realtime = use_realtime();
    let rows = Resource::new(
        move || realtime.map(|r| r.messages_version.get()).unwrap_or(0),
        |_| conversations(),
    );
    view! {
        <Title text="Inbox"/>
        <div class="page-head">
            <h1>"Inbox"</h1>
            <OnlineTeam/>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No conversations yet">
                            <p>"Messages with your leads on every channel will appear here, newest first."</p>
                            <A href="/leads" attr:class="btn primary">"Go to leads"</A>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="inbox" aria-label="Conversations">
                            {list.into_iter().map(|c| {
                                let from_us = c.direction == Direction::Outbound;
                                let row_class = if c.unread > 0 { "inbox-row unread" } else { "inbox-row" };
                                view! {
                                    <li>
                                        <A href=format!("/leads/{}", c.lead_id) attr:class=row_class attr:data-testid="inbox-row">
                                            <span class=format!("channel-icon channel-{}", c.channel.as_str()) title=c.channel.label() aria-label=c.channel.label()>
                                                {channel_icon(c.channel)}
                                            </span>
                                            <span class="inbox-main">
                                                <span class="inbox-top">
                                                    <strong>{c.lead_name.clone()}</strong>
                                                    {(c.unread > 0).then(|| view! {
                                                        <span class="unread-count" data-testid="unread" aria-label=format!("{} unread", c.unread)>{c.unread}</span>
                                                    })}
                                                    <span class="muted hide-narrow">{c.company.clone().unwrap_or_default()}</span>
                                                    <LocalTime at=c.at/>
                                                </span>
                                                <span class="preview">
                                                    {from_us.then_some("You: ")}
                                                    {c.subject.clone().map(|s| view! { <em>{s}" — "</em> })}
                                                    {c.preview.clone()}
                                                </span>
                                            </span>
                                            <span class="inbox-side hide-narrow">
                                                <StageBadge stage=c.stage/>
                                                <span class="muted">{c.owner_name.clone().unwrap_or_else(|| "Unassigned".into())}</span>
                                            </span>
                                        </A>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
