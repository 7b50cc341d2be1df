//! The inputs of a lead form, shared by "new lead" and "edit lead".
use super::field::Field;
use crate::model::auth::TeamMember;
use crate::model::error::{field_error, AppError};
use crate::model::ids::UserId;
use crate::model::lead::Stage;
use crate::model::lead_input::LeadInput;
use leptos::prelude::*;

/// Inputs named `input[…]`, matching the server functions' `input: LeadInput` argument.
#[component]
pub fn LeadFields(
    initial: LeadInput,
    members: Vec<TeamMember>,
    /// Selected in the owner list when `initial` names no owner.
    default_owner: Option<UserId>,
    /// The last submission's result, for errors beside their fields.
    #[prop(into)]
    result: Signal<Option<Result<(), AppError>>>,
) -> impl IntoView {
    let err = move |field: &'static str| Signal::derive(move || field_error(&result.get(), field));
    let owner = UserId::parse(&initial.owner_id).or(default_owner);
    let stage = Stage::parse(&initial.stage).unwrap_or(Stage::New);
    view! {
        <div class="form-grid">
            <Field label="Name" name="input[name]" value=initial.name.clone() autocomplete="off" error=err("name")/>
            <Field label="Company" name="input[company]" value=initial.company.clone() autocomplete="off" error=err("company")/>
            <Field label="Email" name="input[email]" kind="email" value=initial.email.clone() autocomplete="off" error=err("email")/>
            <Field label="Phone (SMS)" name="input[phone]" kind="tel" value=initial.phone.clone() placeholder="+1 415 555 0100" error=err("phone")/>
            <Field label="WhatsApp number" name="input[whatsapp]" kind="tel" value=initial.whatsapp.clone() error=err("whatsapp")/>
            <Field label="Instagram handle" name="input[instagram]" value=initial.instagram.clone() placeholder="@handle" error=err("instagram")/>
            <div class="field" class:invalid=move || err("stage").get().is_some()>
                <label for="f-input-stage">"Stage"</label>
                <select id="f-input-stage" name="input[stage]">
                    {Stage::ALL
                        .into_iter()
                        .map(|s| view! { <option value=s.as_str() selected=s == stage>{s.label()}</option> })
                        .collect_view()}
                </select>
                <p class="field-error">{move || err("stage").get()}</p>
            </div>
            <Field label="Deal value" name="input[deal_value]" value=initial.deal_value.clone() placeholder="12,500" error=err("deal_value")/>
            <div class="field" class:invalid=move || err("owner_id").get().is_some()>
                <label for="f-input-owner_id">"Owner"</label>
                <select id="f-input-owner_id" name="input[owner_id]">
                    <option value="" selected=owner.is_none()>"Unassigned"</option>
                    {members
                        .into_iter()
                        .map(|m| view! { <option value=m.id.to_string() selected=Some(m.id) == owner>{m.name}</option> })
                        .collect_view()}
                </select>
                <p class="field-error">{move || err("owner_id").get()}</p>
            </div>
        </div>
    }
}
