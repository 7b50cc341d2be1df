//! Settings → Delete workspace (owners): everything in the workspace goes, for everyone, after
//! its name is typed to confirm.
use crate::api::auth::get_current_user;
use crate::api::team::DeleteWorkspace;
use crate::components::field::{Field, FormError};
use crate::model::auth::Role;
use crate::model::error::{field_error, form_error};
use leptos::prelude::*;

#[component]
pub fn DeleteWorkspaceSection() -> impl IntoView {
    // Its own read of the user: only owners see the card.
    let me = Resource::new(|| (), |_| get_current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(user)) if user.role == Role::Owner => {
                        Some(view! { <DeleteCard workspace=user.workspace_name/> })
                    }
                    _ => None,
                }
            })}
        </Suspense>
    }
}

#[component]
fn DeleteCard(workspace: String) -> impl IntoView {
    let delete = ServerAction::<DeleteWorkspace>::new();
    let result = delete.value();
    view! {
        <section class="card danger-zone" aria-labelledby="delete-workspace-title">
            <h2 id="delete-workspace-title">"Delete workspace"</h2>
            <p>
                "Deletes " <strong>{workspace.clone()}</strong>
                " for everyone: every lead and conversation, the team's accounts, settings, "
                "channels and API tokens. Teammates are signed out at once. This can't be undone."
            </p>
            <ActionForm action=delete attr:class="stacked-form">
                <Field
                    label="Type the workspace's name to confirm"
                    name="confirm"
                    id="delete-workspace-confirm"
                    autocomplete="off"
                    error=Signal::derive(move || field_error(&result.get(), "confirm"))
                />
                <button type="submit" class="btn danger" disabled=move || delete.pending().get()>
                    {move || if delete.pending().get() { "Deleting…" } else { "Delete workspace" }}
                </button>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&result.get()))/>
        </section>
    }
}
