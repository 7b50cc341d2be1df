//! "Delete lead" on the lead page, for owners: asks first and says what goes, then leaves for
//! the list. Teammates' tabs hear `lead_deleted` and show that the lead is gone.
use crate::api::leads::delete_lead;
use crate::model::lead::Lead;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Shown to owners only (the page knows the role): members would get a 403.
#[component]
pub fn LeadDeletion(current: RwSignal<Lead>) -> impl IntoView {
    let asking = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let cancel_button = NodeRef::<html::Button>::new();
    // The safe choice has the focus when the question appears (Enter does not delete).
    Effect::new(move |_| {
        if let Some(button) = cancel_button.get() {
            let _ = button.focus();
        }
    });
    // Not an action tied to this card: this tab's own `lead_deleted` may replace the page (and
    // the card) before the answer arrives, and the answer must still take the user on.
    let navigate = use_navigate();
    let confirm = move |_| {
        let id = current.get_untracked().id;
        let navigate = navigate.clone();
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match delete_lead(id).await {
                Ok(()) => navigate("/leads", Default::default()),
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                    pending.try_set(false);
                }
            }
        });
    };
    view! {
        <section class="card lead-delete" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete lead"</h2>
            <Show
                when=move || asking.get()
                fallback=move || view! {
                    <p class="muted">"Removes the lead and its whole conversation for everyone."</p>
                    <button type="button" class="btn danger" on:click=move |_| asking.set(true)>
                        "Delete lead…"
                    </button>
                }
            >
                <div
                    role="alertdialog"
                    aria-labelledby="delete-question"
                    aria-describedby="delete-detail"
                    class="confirm"
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            asking.set(false);
                        }
                    }
                >
                    <p id="delete-question">
                        <strong>{move || format!("Delete {}?", current.read().name)}</strong>
                    </p>
                    <p id="delete-detail" class="muted">
                        "Its messages, drafts, read receipts, tracking and activity are removed for "
                        "everyone, and the dashboard stops counting them. This can't be undone."
                    </p>
                    <div class="actions">
                        <button
                            type="button"
                            class="btn danger"
                            data-testid="confirm-delete"
                            disabled=move || pending.get()
                            on:click=confirm.clone()
                        >
                            {move || if pending.get() { "Deleting…" } else { "Delete for everyone" }}
                        </button>
                        <button
                            type="button"
                            class="btn subtle"
                            node_ref=cancel_button
                            on:click=move |_| asking.set(false)
                        >
                            "Cancel"
                        </button>
                    </div>
                    {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
                </div>
            </Show>
        </section>
    }
}
