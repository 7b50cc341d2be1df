//! `/invite/:token`: a teammate sets their name and password and joins the workspace.
use crate::api::team::{get_invite_details, AcceptInvite};
use crate::components::field::{Field, FormError};
use crate::components::status::Loading;
use crate::model::error::{field_error, form_error};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let details = Resource::new(token, get_invite_details);
    let action = ServerAction::<AcceptInvite>::new();
    let result = action.value();
    let err = move |field: &'static str| Signal::derive(move || field_error(&result.get(), field));
    view! {
        <Title text="Join your team"/>
        <div class="auth-page">
            <div class="auth-card">
                <p class="brand big"><span class="brand-mark" aria-hidden="true">"◆"</span>"Leadwire"</p>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match details.await {
                            Ok(invite) => view! {
                                <h1>"Join " {invite.workspace_name.clone()}</h1>
                                <p class="muted">{invite.invited_by.clone()} " invited " <strong>{invite.email.clone()}</strong> "."</p>
                                <ActionForm action=action>
                                    <input type="hidden" name="token" value=token()/>
                                    <Field label="Your name" name="name" autocomplete="name" autofocus=true error=err("name")/>
                                    <Field label="Choose a password" name="password" kind="password"
                                        autocomplete="new-password" hint="At least 8 characters." error=err("password")/>
                                    <FormError message=Signal::derive(move || form_error(&result.get()))/>
                                    <button type="submit" class="btn primary wide" disabled=move || action.pending().get()>
                                        "Join workspace"
                                    </button>
                                </ActionForm>
                            }.into_any(),
                            Err(_) => view! {
                                <h1>"This invite can't be used"</h1>
                                <p class="muted">"The link is invalid, has expired, or was already used. Ask your teammate for a new one."</p>
                                <A href="/login" attr:class="btn">"Go to sign in"</A>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}
