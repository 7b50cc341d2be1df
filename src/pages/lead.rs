//! `/leads/:id`: a lead's details and conversation (the thread grows into the composer next).
use crate::api::dashboard::SetLeadStage;
use crate::api::leads::{get_lead, lead_owners, UpdateLead};
use crate::components::badges::StageBadge;
use crate::components::conversation_thread::LeadThread;
use crate::components::field::FormError;
use crate::components::lead_actions::LeadActions;
use crate::components::lead_fields::LeadFields;
use crate::components::status::{ErrorNotice, Loading};
use crate::model::error::form_error;
use crate::model::lead::{format_money, Lead, LeadInput};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn LeadPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let update = ServerAction::<UpdateLead>::new();
    let set_stage = ServerAction::<SetLeadStage>::new();
    // Refetch after every successful save.
    let lead = Resource::new(
        move || (id(), update.version().get(), set_stage.version().get()),
        |(id, _, _)| get_lead(id),
    );
    let owners = Resource::new(|| (), |_| lead_owners());
    // A Transition keeps the page on screen while a saved lead is refetched.
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match lead.await {
                    Err(e) => view! { <Title text="Lead"/> <ErrorNotice error=e/> }.into_any(),
                    Ok(lead) => view! { <LeadView lead=lead update=update set_stage=set_stage owners=owners/> }.into_any(),
                }
            })}
        </Transition>
    }
}

type OwnersResource = Resource<
    Result<
        (
            Vec<crate::model::auth::TeamMember>,
            crate::model::ids::UserId,
        ),
        crate::model::error::AppError,
    >,
>;

#[component]
fn LeadView(
    lead: Lead,
    update: ServerAction<UpdateLead>,
    set_stage: ServerAction<SetLeadStage>,
    owners: OwnersResource,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let result = Signal::derive(move || update.value().get().map(|r| r.map(|_| ())));
    // Close the editor once a save succeeds.
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) {
            editing.set(false);
        }
    });
    let contact = [
        ("Email", lead.email.clone()),
        ("Phone", lead.phone.clone()),
        ("WhatsApp", lead.whatsapp.clone()),
        ("Instagram", lead.instagram.clone().map(|h| format!("@{h}"))),
    ];
    let owner_label = lead
        .owner_name
        .clone()
        .unwrap_or_else(|| "Unassigned".into());
    let input = LeadInput::from_lead(&lead);
    let id = lead.id.to_string();
    view! {
        <Title text=lead.name.clone()/>
        <p class="crumbs"><A href="/leads">"← Leads"</A></p>
        <div class="page-head">
            <div>
                <h1 data-testid="lead-name">{lead.name.clone()}</h1>
                <p class="muted">{lead.company.clone().unwrap_or_default()}</p>
            </div>
            <div class="head-badges">
                <StageBadge stage=lead.stage/>
                <span class="deal">{lead.deal_value_cents.map(format_money)}</span>
            </div>
        </div>
        <div class="lead-layout">
            <LeadThread lead=lead.clone()/>
            <div class="lead-side">
            <LeadActions lead=lead.clone() set_stage/>
            <aside class="card details" aria-labelledby="details-title">
                <div class="card-head">
                    <h2 id="details-title">"Details"</h2>
                    <button type="button" class="btn subtle" on:click=move |_| editing.update(|e| *e = !*e)>
                        {move || if editing.get() { "Cancel" } else { "Edit" }}
                    </button>
                </div>
                <Show when=move || !editing.get()>
                    <dl class="facts">
                        {contact.clone().into_iter().map(|(label, value)| view! {
                            <dt>{label}</dt>
                            <dd>{value.unwrap_or_else(|| "—".into())}</dd>
                        }).collect_view()}
                        <dt>"Owner"</dt>
                        <dd>{owner_label.clone()}</dd>
                    </dl>
                </Show>
                <Show when=move || editing.get()>
                    <LeadEditForm input=input.clone() id=id.clone() update=update owners=owners result=result/>
                </Show>
            </aside>
            </div>
        </div>
    }
}

/// The edit form of the details card.
#[component]
fn LeadEditForm(
    input: LeadInput,
    id: String,
    update: ServerAction<UpdateLead>,
    owners: OwnersResource,
    result: Signal<Option<Result<(), crate::model::error::AppError>>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=Loading>
            {move || {
                let input = input.clone();
                let id = id.clone();
                Suspend::new(async move {
                    match owners.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok((members, _)) => view! {
                            <ActionForm action=update>
                                <input type="hidden" name="id" value=id/>
                                <LeadFields initial=input members=members default_owner=None result=result/>
                                <FormError message=Signal::derive(move || form_error(&result.get()))/>
                                <div class="actions">
                                    <button type="submit" class="btn primary" disabled=move || update.pending().get()>"Save"</button>
                                </div>
                            </ActionForm>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
