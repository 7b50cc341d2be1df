//! `/leads/new`: add a lead; on success its page opens.
use crate::api::leads::{lead_owners, CreateLead};
use crate::components::field::FormError;
use crate::components::lead_fields::LeadFields;
use crate::components::status::{ErrorNotice, Loading};
use crate::model::error::form_error;
use crate::model::lead_input::LeadInput;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NewLeadPage() -> impl IntoView {
    let owners = Resource::new(|| (), |_| lead_owners());
    let action = ServerAction::<CreateLead>::new();
    let result = Signal::derive(move || action.value().get().map(|r| r.map(|_| ())));
    view! {
        <Title text="New lead"/>
        <div class="page-head">
            <h1>"New lead"</h1>
        </div>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match owners.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok((members, me)) => view! {
                        <div class="card">
                            <ActionForm action=action>
                                <LeadFields initial=LeadInput::default() members=members default_owner=Some(me) result=result/>
                                <FormError message=Signal::derive(move || form_error(&result.get()))/>
                                <div class="actions">
                                    <button type="submit" class="btn primary" disabled=move || action.pending().get()>"Create lead"</button>
                                    <A href="/leads" attr:class="btn subtle">"Cancel"</A>
                                </div>
                            </ActionForm>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
