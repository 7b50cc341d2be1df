//! The collision guard's warning above the composer: a teammate messaged this lead after you
//! started writing. Send then needs a second, deliberate click.
use crate::model::message::ago;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// Why the composer warns.
#[derive(Debug, Clone, PartialEq)]
pub enum CollisionNote {
    /// Seen live: who replied and when (the "ago" keeps counting).
    Reply { name: String, at: DateTime<Utc> },
    /// The server refused the send for this reason (the live event never arrived).
    Refused(String),
}

#[component]
pub fn CollisionWarning(
    note: RwSignal<Option<CollisionNote>>,
    /// Send despite the warning.
    on_confirm: Callback<()>,
) -> impl IntoView {
    // Ticks while a warning shows, so "20 s ago" stays true.
    let now = RwSignal::new(Utc::now());
    #[cfg(feature = "hydrate")]
    {
        if let Ok(tick) = set_interval_with_handle(
            move || now.set(Utc::now()),
            std::time::Duration::from_secs(5),
        ) {
            on_cleanup(move || tick.clear());
        }
    }
    let text = move || {
        note.get().map(|n| match n {
            CollisionNote::Reply { name, at } => {
                format!("{name} replied {} — send yours anyway?", ago(now.get(), at))
            }
            CollisionNote::Refused(message) => message,
        })
    };
    view! {
        <Show when=move || note.with(Option::is_some)>
            <div class="collision" role="alert" data-testid="collision">
                <span>{text}</span>
                <button type="button" class="btn small" on:click=move |_| on_confirm.run(())>"Send anyway"</button>
                <button type="button" class="btn subtle small" on:click=move |_| note.set(None)>"Dismiss"</button>
            </div>
        </Show>
    }
}
