//! `/login`: email and password; back to where the visitor was headed.
use crate::api::auth::Login;
use crate::components::field::{Field, FormError};
use crate::model::error::{field_error, form_error};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let result = action.value();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in"/>
        <div class="auth-page">
            <div class="auth-card">
                <p class="brand big"><span class="brand-mark" aria-hidden="true">"◆"</span>"Leadwire"</p>
                <h1>"Sign in"</h1>
                <ActionForm action=action>
                    <input type="hidden" name="next" value=next/>
                    <Field label="Email" name="email" kind="email" autocomplete="email" autofocus=true
                        error=Signal::derive(move || field_error(&result.get(), "email"))/>
                    <Field label="Password" name="password" kind="password" autocomplete="current-password"
                        error=Signal::derive(move || field_error(&result.get(), "password"))/>
                    <FormError message=Signal::derive(move || form_error(&result.get()))/>
                    <button type="submit" class="btn primary wide" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="muted">"New to Leadwire? " <A href="/signup">"Create a workspace"</A></p>
            </div>
        </div>
    }
}
