//! `/leads/:id`: a lead's conversation, with its stage, details and actions beside it.
use crate::api::auth::get_current_user;
use crate::api::leads::{lead_at, lead_owners};
use crate::components::conversation_thread::LeadThread;
use crate::components::lead_edit::OwnersResource;
use crate::components::lead_sidebar::{viewer, LeadSidebar, ShownLead, Viewer};
use crate::components::status::{ErrorNotice, Loading};
use crate::model::lead::Lead;
use crate::model::money::format_money;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn LeadPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    // Read once per lead: from then on the page follows saves and `leads_updated` in place,
    // so the thread and composer are never redrawn under the user's hands.
    let lead = Resource::new(id, lead_at);
    let owners = Resource::new(|| (), |_| lead_owners());
    let me = Resource::new(|| (), |_| get_current_user());
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match lead.await {
                    Err(e) => view! { <Title text="Lead"/> <ErrorNotice error=e/> }.into_any(),
                    Ok(lead) => {
                        let viewer = viewer(me.await.ok().flatten());
                        view! { <LeadView lead=lead owners=owners viewer/> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn LeadView(
    lead: Lead,
    owners: OwnersResource,
    /// Who views it: their role (owners may delete the lead) and the workspace's currency.
    viewer: Viewer,
) -> impl IntoView {
    let ShownLead {
        current,
        deleted,
        currency,
        owner,
    } = ShownLead::new(lead.clone(), viewer);
    view! {
        <Show when=move || !deleted.get() fallback=move || view! { <LeadGone current/> }>
            <Title text=move || current.read().name.clone()/>
            <p class="crumbs"><A href="/leads">"← Leads"</A></p>
            <div class="page-head">
                <div>
                    <h1 data-testid="lead-name">{move || current.read().name.clone()}</h1>
                    <p class="muted">{move || current.read().company.clone().unwrap_or_default()}</p>
                </div>
                <div class="head-badges">
                    <span class="deal" data-testid="lead-deal">{move || current.read().deal_value_cents.map(|c| format_money(c, &currency.read()))}</span>
                </div>
            </div>
            <div class="lead-layout">
                <LeadThread lead=lead.clone()/>
                <LeadSidebar current owners owner/>
            </div>
        </Show>
    }
}

/// What a tab that had the lead open shows once it is deleted (here or by a teammate).
#[component]
fn LeadGone(current: RwSignal<Lead>) -> impl IntoView {
    view! {
        <Title text="Lead deleted"/>
        <div class="card lead-gone" role="status" data-testid="lead-deleted">
            <h1>{move || current.read().name.clone()}</h1>
            <p>"This lead was deleted, with its whole conversation."</p>
            <p><A href="/">"Back to the inbox"</A> " · " <A href="/leads">"All leads"</A></p>
        </div>
    }
}
