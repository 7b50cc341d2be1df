//! The lead's edit form: a save refused as stale (a teammate saved first) becomes a merge.
use crate::api::leads::UpdateLead;
use crate::components::field::{field_id, FormError};
use crate::components::lead_fields::LeadFields;
use crate::components::status::{ErrorNotice, Loading};
use crate::model::error::{form_error, AppError};
use crate::model::lead::{Lead, Stage};
use crate::model::lead_input::LeadInput;
use crate::model::lead_merge::{self, Merge};
use leptos::prelude::*;

/// The teammates a lead can be given to, and the viewer's id.
pub type OwnersResource = Resource<
    Result<
        (
            Vec<crate::model::auth::TeamMember>,
            crate::model::ids::UserId,
        ),
        crate::model::error::AppError,
    >,
>;

/// The edit form of the details card. It remembers what it was filled with, so a save refused
/// as stale (a teammate saved first) becomes a merge: their changes are taken where the user
/// left a field alone, and a field both changed is shown side by side to decide.
#[component]
pub fn LeadEditForm(
    current: RwSignal<Lead>,
    owners: OwnersResource,
    editing: RwSignal<bool>,
) -> impl IntoView {
    // The form's own action: opening the editor again starts from a clean slate.
    let update = ServerAction::<UpdateLead>::new();
    // What the form was (re)filled with, and the values it shows right now.
    let base = RwSignal::new(LeadInput::from_lead(&current.get_untracked()));
    let shown = RwSignal::new(base.get_untracked());
    let merge = RwSignal::new(None::<Merge>);
    // The submission in flight (the action forgets its input once answered).
    let sent = StoredValue::new(None::<LeadInput>);
    Effect::new(move |_| {
        if let Some(args) = update.input().get() {
            sent.set_value(Some(args.input));
        }
    });
    Effect::new(move |_| match update.value().get() {
        Some(Ok(saved)) => {
            if saved.version > current.get_untracked().version {
                current.set(saved);
            }
            merge.set(None);
            editing.set(false);
        }
        Some(Err(AppError::LeadChanged { lead })) => {
            let theirs = LeadInput::from_lead(&lead);
            let mine = sent.get_value().unwrap_or_else(|| shown.get_untracked());
            let outcome = lead_merge::merge(&base.get_untracked(), &mine, &theirs);
            base.set(theirs);
            shown.set(outcome.merged.clone());
            merge.set(Some(outcome));
            if lead.version > current.get_untracked().version {
                current.set(*lead);
            }
        }
        _ => {}
    });
    let result = Signal::derive(move || update.value().get().map(|r| r.map(|_| ())));
    // The merge panel says it better than a form-level error would.
    let form_message = Signal::derive(move || match update.value().get() {
        Some(Err(AppError::LeadChanged { .. })) => None,
        other => form_error(&other),
    });
    let moved_on = move || current.read().version.to_string() != base.read().version;
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match owners.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok((members, _)) => {
                        let panel_members = members.clone();
                        view! {
                            <Show when=move || moved_on() && merge.read().is_none()>
                                <p class="notice info" role="status" data-testid="lead-moved-on">
                                    "A teammate just changed this lead. Saving will show you what changed."
                                </p>
                            </Show>
                            <MergePanel merge members=panel_members/>
                            <ActionForm action=update>
                                <input type="hidden" name="id" value=move || current.read().id.to_string()/>
                                // Redrawn when a merge refills it; typing does not redraw it.
                                {move || {
                                    let input = shown.get();
                                    let members = members.clone();
                                    view! {
                                        <input type="hidden" name="input[version]" value=input.version.clone()/>
                                        <LeadFields initial=input members default_owner=None result=result/>
                                    }
                                }}
                                <FormError message=form_message/>
                                <div class="actions">
                                    <button type="submit" class="btn primary" disabled=move || update.pending().get()>"Save"</button>
                                </div>
                            </ActionForm>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// What a refused save came to: the teammate's changes that were taken, and the fields both
/// changed with a button to take theirs.
#[component]
fn MergePanel(
    merge: RwSignal<Option<Merge>>,
    members: Vec<crate::model::auth::TeamMember>,
) -> impl IntoView {
    let show = move |field: &str, value: &str| -> String {
        match field {
            "stage" => Stage::parse(value).map(|s| s.label().to_string()),
            "owner_id" => Some(
                members
                    .iter()
                    .find(|m| m.id.to_string() == value)
                    .map(|m| m.name.clone())
                    .unwrap_or_else(|| "Unassigned".into()),
            ),
            _ => None,
        }
        .unwrap_or_else(|| {
            if value.is_empty() {
                "—".into()
            } else {
                value.to_string()
            }
        })
    };
    let take_theirs = move |field: &'static str, theirs: String| {
        set_form_value(&field_id(&format!("input[{field}]")), &theirs);
        merge.update(|m| {
            if let Some(m) = m {
                m.clashes.retain(|c| c.field != field);
            }
        });
    };
    view! {
        {move || merge.get().map(|m| {
            let show = show.clone();
            view! {
                <div class="merge-panel" role="alert" data-testid="lead-merge">
                    <p><strong>"A teammate changed this lead while you were editing."</strong>" Nothing was saved yet."</p>
                    {(!m.taken.is_empty()).then(|| view! {
                        <p>"Their changes are now in the form: " {m.taken.join(", ")} "."</p>
                    })}
                    {(!m.clashes.is_empty()).then(|| view! {
                        <p>"You both changed:"</p>
                        <ul class="merge-clashes">
                            {m.clashes.iter().map(|c| {
                                let field = c.field;
                                let theirs = c.theirs.clone();
                                view! {
                                    <li data-testid="lead-clash">
                                        <span class="clash-label">{c.label}</span>
                                        ": yours " <q>{show(c.field, &c.mine)}</q>
                                        ", theirs " <q>{show(c.field, &c.theirs)}</q>
                                        " "
                                        <button type="button" class="btn subtle" on:click=move |_| take_theirs(field, theirs.clone())>"Use theirs"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })}
                    <p class="muted">"Check the form and save again."</p>
                </div>
            }
        })}
    }
}

/// Sets an input's or select's value in place (the user's other edits stay as typed).
fn set_form_value(id: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = leptos::prelude::document().get_element_by_id(id) {
        let _ = js_sys::Reflect::set(&el, &"value".into(), &value.into());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, value);
}
