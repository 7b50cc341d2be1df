//! The read marker of a thread: what this tab shows while visible is read, up to the newest
//! message the lead sent; "Mark as unread" undoes that until the next one arrives.
use super::thread_state::ThreadState;
use crate::api::messages::{mark_read, mark_unread};
use crate::model::ids::MessageId;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct ReadMarker {
    thread: ThreadState,
    /// The newest inbound message this tab told the server about.
    marked_through: StoredValue<Option<MessageId>>,
    /// The user marked the thread unread: nothing is marked read until the lead writes again.
    held: RwSignal<bool>,
}

/// Marks `thread` read as it is seen (when the newest inbound message changes, and when the
/// tab gains focus or becomes visible). A failed "Mark as unread" is said in `error`.
pub fn use_read_marker(thread: ThreadState) -> ReadMarker {
    let marker = ReadMarker {
        thread,
        marked_through: StoredValue::new(None),
        held: RwSignal::new(false),
    };
    Effect::new(move |previous: Option<Option<MessageId>>| {
        let newest = thread.newest_inbound();
        if previous.is_some_and(|p| p != newest) {
            marker.held.set(false);
        }
        marker.mark_seen();
        newest
    });
    #[cfg(feature = "hydrate")]
    {
        let focus = window_event_listener(leptos::ev::focus, move |_| marker.mark_seen());
        let visible =
            window_event_listener(leptos::ev::visibilitychange, move |_| marker.mark_seen());
        on_cleanup(move || {
            focus.remove();
            visible.remove();
        });
    }
    marker
}

impl ReadMarker {
    fn mark_seen(self) {
        let Some(newest) = self.thread.newest_inbound_untracked() else {
            return;
        };
        if self.held.get_untracked()
            || !page_visible()
            || self.marked_through.get_value() == Some(newest)
        {
            return;
        }
        self.marked_through.set_value(Some(newest));
        let lead = self.thread.lead_id;
        leptos::task::spawn_local(async move {
            let _ = mark_read(lead, newest).await;
        });
    }

    fn mark_unread(self, error: RwSignal<Option<String>>) {
        self.held.set(true);
        self.marked_through.set_value(None);
        let lead = self.thread.lead_id;
        leptos::task::spawn_local(async move {
            if let Err(e) = mark_unread(lead).await {
                error.set(Some(e.to_string()));
            }
        });
    }
}

/// "Mark as unread", which says it did until the lead writes again. A failure goes to `error`.
#[component]
pub fn MarkUnreadButton(marker: ReadMarker, error: RwSignal<Option<String>>) -> impl IntoView {
    let held = marker.held;
    view! {
        <button type="button" class="btn subtle small" on:click=move |_| marker.mark_unread(error)
            disabled=move || held.get()>
            {move || if held.get() { "Marked unread" } else { "Mark as unread" }}
        </button>
    }
}

/// Whether the reader can see this tab (messages shown in a hidden tab are not "read").
fn page_visible() -> bool {
    #[cfg(feature = "hydrate")]
    return document().visibility_state() == web_sys::VisibilityState::Visible;
    #[cfg(not(feature = "hydrate"))]
    false
}
