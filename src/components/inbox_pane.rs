//! The inbox's right-hand side for the selected lead: its name, company and deal value, its
//! thread, and the lead's sidebar beside it (or behind a switch where there is no room).
use crate::api::auth::get_current_user;
use crate::api::leads::{lead_at, lead_owners};
use crate::components::conversation_thread::LeadThread;
use crate::components::lead_edit::OwnersResource;
use crate::components::lead_sidebar::{viewer, LeadSidebar, ShownLead, Viewer};
use crate::components::status::{ErrorNotice, Loading};
use crate::model::lead::Lead;
use crate::model::money::format_money;
use leptos::prelude::*;

/// The selected lead (read once per selection; from then on it follows saves and teammates'
/// changes live).
#[component]
pub fn SelectedThread(id: Memo<String>) -> impl IntoView {
    let lead = Resource::new(move || id.get(), lead_at);
    let owners = Resource::new(|| (), |_| lead_owners());
    let me = Resource::new(|| (), |_| get_current_user());
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match lead.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(lead) => {
                        let viewer = viewer(me.await.ok().flatten());
                        view! { <SelectedLead lead owners viewer/> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The selected lead's name, company and deal value; its thread; and beside it the lead's
/// stage, details and actions (wide screens), or one of the two with a switch (narrower ones).
#[component]
fn SelectedLead(lead: Lead, owners: OwnersResource, viewer: Viewer) -> impl IntoView {
    let ShownLead {
        current,
        deleted,
        currency,
        owner,
    } = ShownLead::new(lead.clone(), viewer);
    let details = RwSignal::new(false);
    let subtitle = move || {
        let lead = current.read();
        let deal = lead
            .deal_value_cents
            .map(|c| format_money(c, &currency.read()));
        [lead.company.clone(), deal]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
    };
    view! {
        <Show
            when=move || !deleted.get()
            fallback=|| view! {
                <p class="notice info" role="status" data-testid="pane-deleted">
                    "This lead was deleted, with its whole conversation."
                </p>
            }
        >
            <div class="pane-lead-head">
                <div>
                    <h2 class="pane-title" data-testid="pane-lead">{move || current.read().name.clone()}</h2>
                    <p class="muted pane-subtitle" data-testid="pane-subtitle">{subtitle}</p>
                </div>
                <button
                    type="button"
                    class="btn subtle small pane-details-toggle"
                    aria-controls="pane-side"
                    aria-expanded=move || details.get().to_string()
                    on:click=move |_| details.update(|d| *d = !*d)
                >
                    {move || if details.get() { "Conversation" } else { "Details" }}
                </button>
            </div>
            <div class="pane-body" class:show-details=move || details.get()>
                <div class="pane-thread">
                    <LeadThread lead=lead.clone()/>
                </div>
                <section id="pane-side" class="pane-side" aria-label="Lead details" data-testid="pane-side">
                    <LeadSidebar current owners owner/>
                </section>
            </div>
        </Show>
    }
}
