//! `/signup`: creates a workspace and its first user.
use crate::api::auth::Signup;
use crate::components::field::{Field, FormError};
use crate::model::error::{field_error, form_error};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<Signup>::new();
    let result = action.value();
    let err = move |field: &'static str| Signal::derive(move || field_error(&result.get(), field));
    view! {
        <Title text="Create your workspace"/>
        <div class="auth-page">
            <div class="auth-card">
                <p class="brand big"><span class="brand-mark" aria-hidden="true">"◆"</span>"Leadwire"</p>
                <h1>"Create your workspace"</h1>
                <p class="muted">"One inbox for every conversation with your leads."</p>
                <ActionForm action=action>
                    <Field label="Your name" name="name" autocomplete="name" autofocus=true error=err("name")/>
                    <Field label="Work email" name="email" kind="email" autocomplete="email" error=err("email")/>
                    <Field label="Password" name="password" kind="password" autocomplete="new-password"
                        hint="At least 8 characters." error=err("password")/>
                    <Field label="Workspace name" name="workspace" autocomplete="organization"
                        placeholder="Acme Sales" error=err("workspace")/>
                    <FormError message=Signal::derive(move || form_error(&result.get()))/>
                    <button type="submit" class="btn primary wide" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Creating…" } else { "Create workspace" }}
                    </button>
                </ActionForm>
                <p class="muted">"Already have an account? " <A href="/login">"Sign in"</A></p>
            </div>
        </div>
    }
}
