//! Settings → Workspace: the currency amounts are shown in (owners change it), and Delete
//! workspace (owners): everything in the workspace goes, for everyone, after its name is typed
//! to confirm.
use crate::api::auth::get_current_user;
use crate::api::workspace::{DeleteWorkspace, SetCurrency};
use crate::components::field::{Field, FormError};
use crate::components::layout::ProfileVersion;
use crate::model::auth::Role;
use crate::model::error::{field_error, form_error};
use crate::model::money::{format_money, CURRENCIES};
use leptos::prelude::*;

/// The workspace's currency: owners choose it; members see which it is.
#[component]
pub fn WorkspaceSection() -> impl IntoView {
    let save = ServerAction::<SetCurrency>::new();
    // Read again when the viewer's role changes (`ProfileVersion`): the form is owners' only.
    let profile = use_context::<ProfileVersion>().map(|ProfileVersion(v)| v);
    let me = Resource::new(
        move || (save.version().get(), profile.map(|v| v.get())),
        |_| get_current_user(),
    );
    let result = save.value();
    view! {
        <section class="card" aria-labelledby="workspace-title">
            <h2 id="workspace-title">"Workspace"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok(Some(user)) = me.await else { return None };
                    let example = format_money(1_250_050, &user.currency);
                    Some(if user.role == Role::Owner {
                        let current = user.currency.clone();
                        view! {
                            <ActionForm action=save attr:class="inline-form">
                                <label class="field">
                                    <span>"Currency"</span>
                                    <select name="currency" id="workspace-currency" aria-describedby="currency-example">
                                        {CURRENCIES.iter().map(|(code, _, name)| view! {
                                            <option value=*code selected=*code == current>{format!("{code} — {name}")}</option>
                                        }).collect_view()}
                                    </select>
                                    {move || field_error(&result.get(), "currency").map(|e| view! { <span class="field-error" role="alert">{e}</span> })}
                                </label>
                                <button type="submit" class="btn" disabled=move || save.pending().get()>"Save currency"</button>
                            </ActionForm>
                            <p class="muted" id="currency-example">"Deal values read like " <strong data-testid="currency-example">{example}</strong> " everywhere."</p>
                        }.into_any()
                    } else {
                        view! {
                            <p class="muted">"Amounts are in " {user.currency.clone()} ", like " <strong data-testid="currency-example">{example}</strong> "."</p>
                        }.into_any()
                    })
                })}
            </Suspense>
            <FormError message=Signal::derive(move || form_error(&result.get()))/>
        </section>
    }
}

#[component]
pub fn DeleteWorkspaceSection() -> impl IntoView {
    // Its own read of the user: only owners see the card (read again when their role changes).
    let profile = use_context::<ProfileVersion>().map(|ProfileVersion(v)| v);
    let me = Resource::new(move || profile.map(|v| v.get()), |_| get_current_user());
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
