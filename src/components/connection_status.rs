//! The real-time connection's state, visible in the top bar.
use crate::client::realtime::{use_realtime, ConnStatus};
use leptos::prelude::*;

#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let status = use_realtime().map(|r| r.status);
    let current = move || status.map(|s| s.get()).unwrap_or(ConnStatus::Connecting);
    let class = move || match current() {
        ConnStatus::Live => "conn live",
        ConnStatus::Connecting | ConnStatus::Reconnecting => "conn pending",
        ConnStatus::Offline => "conn offline",
    };
    view! {
        <span class=class data-testid="connection-status" role="status" title="Real-time updates">
            <span class="conn-dot" aria-hidden="true"></span>
            <span class="conn-label">{move || current().label()}</span>
        </span>
    }
}
