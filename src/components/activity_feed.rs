//! The activity feed of the workspace (the dashboard) or of one lead (beside its thread):
//! newest first, live (each `activity_updated` lands on top in every tab), with "load more" for
//! older entries. Every entry links to its lead.
use super::local_time::{LocalTime, TimeStyle};
use super::status::{EmptyState, ErrorNotice, Loading};
use crate::api::dashboard::get_activity;
use crate::client::realtime::use_realtime;
use crate::model::activity::{Activity, ActivityKind};
use crate::model::event::ServerFrame;
use crate::model::ids::LeadId;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn ActivityFeed(
    /// Only this lead's entries.
    #[prop(optional)]
    lead: Option<LeadId>,
) -> impl IntoView {
    let realtime = use_realtime();
    let resets = move || realtime.map(|r| r.resets.get()).unwrap_or(0);
    let lead_id = StoredValue::new(lead.map(|l| l.to_string()));
    let first = Resource::new(resets, move |_| get_activity(None, lead_id.get_value()));
    // Entries that arrived live, newest first, and older pages the user asked for.
    let live = RwSignal::new(Vec::<Activity>::new());
    let older = RwSignal::new(Vec::<Activity>::new());
    let older_more = RwSignal::new(None::<bool>);
    // Leads deleted since the first page was read: their entries are gone on the server too.
    let deleted = RwSignal::new(std::collections::HashSet::<crate::model::ids::LeadId>::new());
    let loading_more = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        // After a reset the first page is fetched again; what was gathered is stale.
        resets();
        live.set(Vec::new());
        older.set(Vec::new());
        older_more.set(None);
    });
    if let Some(rt) = realtime {
        rt.on_event(move |frame| match frame {
            ServerFrame::ActivityUpdated { data, .. } if lead.is_none_or(|l| data.lead_id == l) => {
                let entry = data.clone();
                live.update(|l| {
                    if !l.iter().any(|a| a.id == entry.id) {
                        l.insert(0, entry);
                    }
                });
            }
            // A lead's own feed goes with its view when the lead is deleted; only the
            // workspace's feed drops a deleted lead's entries.
            ServerFrame::LeadDeleted { lead_id, .. } if lead.is_none() => {
                deleted.update(|d| {
                    d.insert(*lead_id);
                });
            }
            _ => {}
        });
    }
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match first.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(page) => {
                        let first_items = StoredValue::new(page.items);
                        let first_more = page.has_more;
                        let items = move || {
                            let mut all: Vec<Activity> = Vec::new();
                            let mut seen = std::collections::HashSet::new();
                            // Read while the view may be going away (its lead deleted).
                            let loaded = first_items.try_get_value().unwrap_or_default();
                            let deleted = deleted.get();
                            for a in live.get().into_iter().chain(loaded).chain(older.get()) {
                                if !deleted.contains(&a.lead_id) && seen.insert(a.id) {
                                    all.push(a);
                                }
                            }
                            all.sort_by_key(|a| std::cmp::Reverse(a.id));
                            all
                        };
                        let has_more = move || older_more.get().unwrap_or(first_more);
                        let load_more = move |_| {
                            let oldest = items().last().map(|a| a.id);
                            let lead_id = lead_id.get_value();
                            loading_more.set(true);
                            more_error.set(None);
                            leptos::task::spawn_local(async move {
                                match get_activity(oldest, lead_id).await {
                                    Ok(p) => {
                                        older.update(|o| o.extend(p.items));
                                        older_more.set(Some(p.has_more));
                                    }
                                    Err(e) => more_error.set(Some(e.to_string())),
                                }
                                loading_more.set(false);
                            });
                        };
                        view! {
                            <Show
                                when=move || !items().is_empty()
                                fallback=move || view! {
                                    <EmptyState title="No activity yet">
                                        <p>{if lead.is_some() {
                                            "Messages, opens, stage changes and meetings with this lead show up here."
                                        } else {
                                            "Messages, opens, stage changes and meetings show up here as they happen."
                                        }}</p>
                                    </EmptyState>
                                }
                            >
                                <ol class="feed" data-testid="activity-feed" aria-live="polite">
                                    <For each=items key=|a| a.id let:entry>
                                        <FeedItem entry/>
                                    </For>
                                </ol>
                                <Show when=has_more>
                                    <button class="btn subtle more" on:click=load_more disabled=move || loading_more.get()>
                                        {move || if loading_more.get() { "Loading…" } else { "Load more" }}
                                    </button>
                                </Show>
                                {move || more_error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                            </Show>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn FeedItem(entry: Activity) -> impl IntoView {
    let kind = entry.kind;
    let href = format!("/leads/{}", entry.lead_id);
    let sentence = entry.sentence();
    let meeting = entry.meeting_at;
    let detail = match kind {
        ActivityKind::MessageSent
        | ActivityKind::MessageReceived
        | ActivityKind::MessageFailed
        | ActivityKind::EmailOpened
        | ActivityKind::LinkClicked => entry.detail.clone(),
        _ => None,
    };
    view! {
        <li class=format!("feed-item kind-{}", kind.as_str()) data-kind=kind.as_str()>
            <span class="feed-icon" aria-hidden="true">{kind.icon()}</span>
            <div class="feed-body">
                <A href=href attr:class="feed-sentence">{sentence}</A>
                {meeting.map(|at| view! {
                    <span class="feed-detail">"Meeting on " <LocalTime at style=TimeStyle::Full/></span>
                })}
                {detail.map(|d| view! { <span class="feed-detail">{d}</span> })}
            </div>
            <span class="feed-time"><LocalTime at=entry.at/></span>
        </li>
    }
}
