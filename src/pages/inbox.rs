//! `/` and `/inbox`: one row per lead with a conversation, newest first and live; filters and
//! full-text search in the URL; the selected lead's thread beside the list on wide screens (its
//! own view on narrow ones), with the lead's stage, details and actions beside the thread (or
//! behind a "Details" switch where there is no room); j/k or arrows to move, Enter to open, `/`
//! to search, Esc to go back. Over 400 lines because the list, its rows, its empty states and
//! its keys all read the one query in the URL; the panes beside it are components of their own.
use crate::api::leads::get_inbox;
use crate::client::realtime::use_realtime;
use crate::components::inbox_pane::SelectedThread;
use crate::components::inbox_row::row_markup;
use crate::components::pane_resizer::{list_width_style, use_list_width, PaneResizer};
use crate::components::presence::OnlineTeam;
use crate::components::status::{EmptyState, ErrorNotice, Loading};
use crate::model::channel::Channel;
use crate::model::message::ConversationSummary;
use crate::model::page_data::InboxPageJson;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// The inbox's URL state.
#[derive(Debug, Clone, Default, PartialEq)]
struct InboxQuery {
    channel: String,
    unread: bool,
    owner: String,
    stage: String,
    q: String,
    lead: String,
}

impl InboxQuery {
    fn href(&self) -> String {
        self.href_with_lead(&self.lead)
    }

    /// This query's URL with `lead` selected (each row links to its own; written without a copy
    /// of the query per row).
    fn href_with_lead(&self, lead: &str) -> String {
        let mut out = String::with_capacity(64);
        out.push_str("/inbox");
        let mut separator = '?';
        for (k, v) in [
            ("channel", self.channel.as_str()),
            ("owner", &self.owner),
            ("stage", &self.stage),
            ("q", &self.q),
            ("lead", lead),
        ] {
            if !v.is_empty() {
                out.push(separator);
                separator = '&';
                out.push_str(k);
                out.push('=');
                push_encoded(&mut out, v);
            }
        }
        if self.unread {
            out.push(separator);
            out.push_str("unread=1");
        }
        out
    }

    fn filtered(&self) -> bool {
        self.unread || !self.channel.is_empty() || !self.owner.is_empty() || !self.stage.is_empty()
    }
}

/// Appends `v` percent-encoded for a query string.
fn push_encoded(out: &mut String, v: &str) {
    use std::fmt::Write;
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).unwrap_or_default();
        InboxQuery {
            channel: get("channel"),
            unread: matches!(get("unread").as_str(), "1" | "true"),
            owner: get("owner"),
            stage: get("stage"),
            q: get("q"),
            lead: get("lead"),
        }
    });
    let navigate = use_navigate();
    let go = move |next: InboxQuery| {
        navigate(
            &next.href(),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        )
    };
    // Live: every message, read or lead event re-reads the list (it filters by stage and
    // owner, and shows names).
    let realtime = use_realtime();
    // The page's biggest data: sent inside the page as JSON that needs little escaping.
    let rows: Resource<_, InboxPageJson> = Resource::new_with_options(
        move || {
            let q = query.get();
            (
                (q.channel, q.unread, q.owner, q.stage, q.q),
                realtime
                    .map(|r| (r.messages_version.get(), r.leads_version.get()))
                    .unwrap_or_default(),
            )
        },
        |((channel, unread, owner, stage, q), _)| get_inbox(channel, unread, owner, stage, q),
        false,
    );
    let selected = Memo::new(move |_| query.with(|q| q.lead.clone()));
    let search_box = NodeRef::<leptos::html::Input>::new();
    let list_pane = NodeRef::<leptos::html::Section>::new();
    let list_width = use_list_width();
    let list = NodeRef::<leptos::html::Ul>::new();

    // Typing in the search box updates the URL after a short pause.
    let typed = RwSignal::new(query.get_untracked().q);
    let generation = StoredValue::new(0u64);
    let on_search = {
        let go = go.clone();
        move |ev| {
            let text = event_target_value(&ev);
            typed.set(text.clone());
            let mine = generation.get_value() + 1;
            generation.set_value(mine);
            let go = go.clone();
            set_timeout(
                move || {
                    if generation.get_value() == mine {
                        go(InboxQuery {
                            q: text,
                            lead: String::new(),
                            ..query.get_untracked()
                        });
                    }
                },
                std::time::Duration::from_millis(250),
            );
        }
    };

    #[cfg(feature = "hydrate")]
    {
        let go = go.clone();
        let keys = window_event_listener(leptos::ev::keydown, move |ev| {
            on_key(&ev, search_box, list, query, &go);
        });
        on_cleanup(move || keys.remove());
    }

    let set = {
        let go = go.clone();
        move |change: fn(&mut InboxQuery, String)| {
            let go = go.clone();
            move |ev: leptos::ev::Event| {
                let mut next = query.get_untracked();
                change(&mut next, event_target_value(&ev));
                next.lead.clear();
                go(next);
            }
        }
    };
    let set_unread = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let mut next = query.get_untracked();
            next.unread = event_target_checked(&ev);
            go(next);
        }
    };
    let close = {
        let go = go.clone();
        move |_| {
            go(InboxQuery {
                lead: String::new(),
                ..query.get_untracked()
            })
        }
    };

    view! {
        <Title text="Inbox"/>
        <div class="page-head">
            <h1>"Inbox"</h1>
            <OnlineTeam/>
        </div>
        <div class=move || if selected.get().is_empty() { "inbox-layout" } else { "inbox-layout has-selection" }
            style=list_width_style(list_width)>
            <section class="inbox-list" aria-label="Conversations list" node_ref=list_pane>
                <form class="inbox-filters" on:submit=|ev| ev.prevent_default()>
                    <label class="sr-only" for="inbox-search">"Search conversations"</label>
                    <input id="inbox-search" type="search" node_ref=search_box placeholder="Search messages and leads  ( / )"
                        maxlength="200" prop:value=move || typed.get() on:input=on_search/>
                    <label class="sr-only" for="inbox-channel">"Channel"</label>
                    <select id="inbox-channel" on:change=set(|q, v| q.channel = v)>
                        <option value="" selected=move || query.with(|q| q.channel.is_empty())>"All channels"</option>
                        {Channel::ALL.into_iter().map(|c| view! {
                            <option value=c.as_str() selected=move || query.with(|q| q.channel == c.as_str())>{c.label()}</option>
                        }).collect_view()}
                    </select>
                    <label class="sr-only" for="inbox-owner">"Owner"</label>
                    <select id="inbox-owner" on:change=set(|q, v| q.owner = v)>
                        <option value="" selected=move || query.with(|q| q.owner.is_empty())>"Everyone's"</option>
                        <option value="me" selected=move || query.with(|q| q.owner == "me")>"Mine"</option>
                    </select>
                    <label class="sr-only" for="inbox-stage">"Stage"</label>
                    <select id="inbox-stage" on:change=set(|q, v| q.stage = v)>
                        <option value="" selected=move || query.with(|q| q.stage.is_empty())>"All stages"</option>
                        {crate::model::lead::Stage::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=move || query.with(|q| q.stage == s.as_str())>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || query.with(|q| q.unread) on:change=set_unread/>
                        "Unread only"
                    </label>
                </form>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        let q = query.get_untracked();
                        match rows.await {
                            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                            Ok(page) if page.rows.is_empty() => empty_state(&q, page.searched).into_any(),
                            Ok(page) => {
                                // Hydration keeps the server's rows as they are, times in UTC.
                                #[cfg(feature = "hydrate")]
                                Effect::new(move |_| {
                                    if let Some(ul) = list.get() {
                                        crate::components::local_time::localize_times(&ul);
                                    }
                                });
                                view! {
                                    <ul class="inbox" aria-label="Conversations" node_ref=list>
                                        {{
                                            // One markup per row, in the rows' order (`server::leads::inbox`).
                                            debug_assert!(page.prepared.as_ref().is_none_or(|p| p.rows.len() == page.rows.len()));
                                            let mut made = page.prepared.as_ref().map(|p| p.rows.iter());
                                            page.rows.into_iter().map(|c| {
                                                let markup = made.as_mut().and_then(|m| m.next()).cloned();
                                                row(c, &q, markup)
                                            }).collect_view()
                                        }}
                                    </ul>
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
            <PaneResizer width=list_width list=list_pane/>
            <Show when=move || !selected.get().is_empty()>
                <section class="inbox-pane" aria-label="Selected conversation">
                    <div class="pane-head">
                        // Phones only: on wide screens the list stays beside the thread (Esc closes it).
                        <button type="button" class="btn subtle small pane-back" on:click=close.clone()>"← Back"</button>
                        <A href=move || format!("/leads/{}", selected.get())>"Open lead page"</A>
                    </div>
                    <SelectedThread id=selected/>
                </section>
            </Show>
        </div>
    }
}

/// One row; `markup` is its inner markup when the server made it already (a cached page).
fn row(c: ConversationSummary, q: &InboxQuery, markup: Option<String>) -> impl IntoView {
    let id = c.lead_id.to_string();
    let current = q.lead == id;
    let class = match (c.unread > 0, current) {
        (true, true) => "inbox-row unread current",
        (true, false) => "inbox-row unread",
        (false, true) => "inbox-row current",
        (false, false) => "inbox-row",
    };
    let href = q.href_with_lead(&id);
    // Times in UTC on the server; the browser writes its own zone (see `localize_times`).
    #[cfg(not(feature = "hydrate"))]
    let inner = markup.unwrap_or_else(|| row_markup(&c, &chrono::Utc));
    #[cfg(feature = "hydrate")]
    let inner = markup.unwrap_or_else(|| row_markup(&c, &chrono::Local));
    view! {
        <li>
            // A plain link (the router follows it all the same): `<A>` would mark every row
            // `aria-current="page"` (they all point at /inbox) and costs a memo per row.
            <a href=href class=class data-testid="inbox-row" aria-current=current.then_some("true")
                inner_html=inner></a>
        </li>
    }
}

fn empty_state(q: &InboxQuery, searched: bool) -> impl IntoView {
    let text = format!("Nothing matches “{}”. Try fewer or shorter words.", q.q);
    if searched {
        view! {
            <EmptyState title="No results">
                <p>{text}</p>
            </EmptyState>
        }
        .into_any()
    } else if q.filtered() {
        view! {
            <EmptyState title="Nothing here">
                <p>"No conversation matches these filters."</p>
                <A href="/inbox" attr:class="btn">"Clear filters"</A>
            </EmptyState>
        }
        .into_any()
    } else {
        view! {
            <EmptyState title="No conversations yet">
                <p>"Messages with your leads on every channel will appear here, newest first."</p>
                <A href="/leads" attr:class="btn primary">"Go to leads"</A>
            </EmptyState>
        }
        .into_any()
    }
}

/// j/k or arrows move between rows, `/` focuses search, Esc closes the selection or clears the
/// search. Enter on a focused row follows its link (the browser does that).
#[cfg(feature = "hydrate")]
fn on_key(
    ev: &leptos::ev::KeyboardEvent,
    search_box: NodeRef<leptos::html::Input>,
    list: NodeRef<leptos::html::Ul>,
    query: Memo<InboxQuery>,
    go: &impl Fn(InboxQuery),
) {
    use wasm_bindgen::JsCast;
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return;
    }
    let active = document().active_element();
    let typing = active
        .as_ref()
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    let key = ev.key();
    if key == "Escape" {
        let q = query.get_untracked();
        if !q.lead.is_empty() {
            go(InboxQuery {
                lead: String::new(),
                ..q
            });
        } else if !q.q.is_empty() {
            go(InboxQuery {
                q: String::new(),
                ..q
            });
        }
        if let Some(el) = active.and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.blur();
        }
        return;
    }
    if typing {
        return;
    }
    match key.as_str() {
        "/" => {
            ev.prevent_default();
            if let Some(input) = search_box.get_untracked() {
                let _ = input.focus();
            }
        }
        "j" | "k" | "ArrowDown" | "ArrowUp" => {
            let Some(list) = list.get_untracked() else {
                return;
            };
            let Ok(rows) = list.query_selector_all("a.inbox-row") else {
                return;
            };
            let count = rows.length();
            if count == 0 {
                return;
            }
            let current: Option<u32> = (0..count).find(|i| {
                rows.item(*i)
                    .zip(active.clone())
                    .is_some_and(|(row, a)| row.is_same_node(Some(&a)))
            });
            let down = matches!(key.as_str(), "j" | "ArrowDown");
            let next = match (current, down) {
                (None, _) => 0,
                (Some(i), true) => (i + 1).min(count - 1),
                (Some(i), false) => i.saturating_sub(1),
            };
            if let Some(el) = rows
                .item(next)
                .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            {
                ev.prevent_default();
                let _ = el.focus();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::InboxQuery;

    #[test]
    fn a_rows_link_keeps_the_filters_and_selects_its_lead() {
        let q = InboxQuery {
            channel: "sms".into(),
            unread: true,
            q: "café & co".into(),
            lead: "old".into(),
            ..Default::default()
        };
        assert_eq!(
            q.href_with_lead("abc-1"),
            "/inbox?channel=sms&q=caf%C3%A9%20%26%20co&lead=abc-1&unread=1"
        );
        assert_eq!(
            q.href(),
            "/inbox?channel=sms&q=caf%C3%A9%20%26%20co&lead=old&unread=1"
        );
        assert_eq!(InboxQuery::default().href(), "/inbox");
        let unread_only = InboxQuery {
            unread: true,
            ..Default::default()
        };
        assert_eq!(unread_only.href(), "/inbox?unread=1");
    }
}
