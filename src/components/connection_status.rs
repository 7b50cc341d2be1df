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
        ConnStatus::Offline | ConnStatus::SignedOut => "conn offline",
    };
    // Sign-in comes back to this page, where the unsaved text is still kept.
    let location = leptos_router::hooks::use_location();
    let sign_in = move || format!("/login?next={}", location.pathname.get());
    view! {
        <span class=class data-testid="connection-status" role="status" title="Real-time updates">
            <span class="conn-dot" aria-hidden="true"></span>
            <span class="conn-label">{move || current().label()}</span>
        </span>
        <Show when=move || current() == ConnStatus::SignedOut>
            <a class="btn small primary" href=sign_in data-testid="sign-in-again">"Sign in"</a>
        </Show>
    }
}
