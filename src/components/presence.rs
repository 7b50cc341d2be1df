//! Team awareness in the UI: avatars of teammates viewing a lead, "Alice is typing…", and who
//! is online. Everything here follows the presence context; nothing polls.
use super::layout::initials;
use crate::client::presence::use_presence;
use crate::client::realtime::use_realtime;
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, UserId};
use crate::model::presence::{typing_label, OnlineStatus};
use leptos::prelude::*;
use std::time::Duration;

fn status_class(status: Option<OnlineStatus>) -> &'static str {
    match status {
        Some(OnlineStatus::Online) => "avatar online",
        Some(OnlineStatus::Away) => "avatar away",
        None => "avatar offline",
    }
}

fn status_word(status: Option<OnlineStatus>) -> &'static str {
    match status {
        Some(OnlineStatus::Online) => "online",
        Some(OnlineStatus::Away) => "away",
        None => "offline",
    }
}

/// Teammates (not `me`) who have `lead_id` open right now.
#[component]
pub fn LeadViewers(lead_id: LeadId, me: UserId) -> impl IntoView {
    let presence = use_presence();
    let others = move || {
        presence
            .map(|p| {
                p.viewers.with(|all| {
                    all.get(&lead_id)
                        .map(|v| {
                            v.iter()
                                .filter(|v| v.user_id != me)
                                .cloned()
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default()
                })
            })
            .unwrap_or_default()
    };
    view! {
        <Show when=move || !others().is_empty()>
            <div class="viewers" aria-label="Also viewing this lead">
                <span class="muted">"Also here:"</span>
                <ul>
                    <For each=others key=|v| v.user_id let:viewer>
                        {
                            let status = move || presence.and_then(|p| p.status_of(viewer.user_id));
                            let label = format!("{} is viewing this lead", viewer.name);
                            view! {
                                <li data-testid="viewer" title=label.clone() aria-label=label>
                                    <span class=move || status_class(status())>{initials(&viewer.name)}</span>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </div>
        </Show>
    }
}

/// "Alice is typing…" for teammates typing to `lead_id`; each entry expires by itself.
#[component]
pub fn TypingIndicator(lead_id: LeadId, me: UserId) -> impl IntoView {
    // (user, name, expires at in ms since the epoch)
    let typists: RwSignal<Vec<(UserId, String, i64)>> = RwSignal::new(Vec::new());
    let prune = move || {
        let now = chrono::Utc::now().timestamp_millis();
        typists.try_update(|t| t.retain(|(_, _, until)| *until > now));
    };
    if let Some(realtime) = use_realtime() {
        realtime.on_event(move |frame| match frame {
            ServerFrame::Typing {
                lead_id: lead,
                user_id,
                name,
                expires_in_ms,
            } if *lead == lead_id && *user_id != me => {
                let until = chrono::Utc::now().timestamp_millis() + i64::from(*expires_in_ms);
                typists.update(|t| {
                    t.retain(|(u, _, _)| u != user_id);
                    t.push((*user_id, name.clone(), until));
                });
                set_timeout(prune, Duration::from_millis(u64::from(*expires_in_ms) + 50));
            }
            // Their message arrived, or they left the lead: no longer typing.
            ServerFrame::MessagesUpdated { message, .. } if message.lead_id == lead_id => {
                // By id: two teammates may share a name, and a name may change.
                if let Some(author) = message.author_id {
                    typists.update(|t| t.retain(|(u, _, _)| *u != author));
                }
            }
            ServerFrame::Presence {
                lead_id: lead,
                viewers,
            } if *lead == lead_id => {
                typists.update(|t| t.retain(|(u, _, _)| viewers.iter().any(|v| v.user_id == *u)));
            }
            _ => {}
        });
    }
    let label = move || {
        typing_label(&typists.with(|t| t.iter().map(|(_, n, _)| n.clone()).collect::<Vec<_>>()))
    };
    view! {
        <p class="typing" data-testid="typing" aria-live="polite">{label}</p>
    }
}

/// Teammates with a tab open, for the inbox.
#[component]
pub fn OnlineTeam() -> impl IntoView {
    let presence = use_presence();
    let members = move || presence.map(|p| p.online.get()).unwrap_or_default();
    view! {
        <div class="online-team" aria-label="Team online">
            <Show
                when=move || !members().is_empty()
                fallback=|| view! { <span class="muted">"Nobody else is online."</span> }
            >
                <ul>
                    <For each=members key=|m| (m.user_id, m.status) let:member>
                        <li data-testid="online-member" title=format!("{} is {}", member.name, status_word(Some(member.status)))>
                            <span class=status_class(Some(member.status))>{initials(&member.name)}</span>
                            <span class="name">{member.name.clone()}</span>
                        </li>
                    </For>
                </ul>
            </Show>
        </div>
    }
}
