//! `/leads/:id`: a lead's details and conversation (the thread grows into the composer next).
use crate::api::auth::get_current_user;
use crate::api::dashboard::SetLeadStage;
use crate::api::leads::{get_lead, lead_owners, UpdateLead};
use crate::client::realtime::use_realtime;
use crate::components::conversation_thread::LeadThread;
use crate::components::field::{field_id, FormError};
use crate::components::lead_actions::LeadActions;
use crate::components::lead_delete::LeadDeletion;
use crate::components::lead_fields::LeadFields;
use crate::components::status::{ErrorNotice, Loading};
use crate::model::auth::Role;
use crate::model::error::{form_error, AppError};
use crate::model::event::ServerFrame;
use crate::model::lead::{Lead, LeadInput, Stage};
use crate::model::lead_merge::{self, Merge};
use crate::model::money::{currency_of, format_money};
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
    let lead = Resource::new(id, get_lead);
    let owners = Resource::new(|| (), |_| lead_owners());
    let me = Resource::new(|| (), |_| get_current_user());
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match lead.await {
                    Err(e) => view! { <Title text="Lead"/> <ErrorNotice error=e/> }.into_any(),
                    Ok(lead) => {
                        let me = me.await.ok().flatten();
                        let owner = me.as_ref().is_some_and(|u| u.role == Role::Owner);
                        let currency = currency_of(me);
                        view! { <LeadView lead=lead owners=owners owner currency/> }.into_any()
                    }
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

/// Keeps `current` at the newest version of the lead: saved here, changed by a teammate (a
/// `leads_updated` event), or re-read after the socket had to reset. `deleted` turns true when
/// the lead is deleted (`lead_deleted`, or gone when re-read).
fn follow_lead(current: RwSignal<Lead>, deleted: RwSignal<bool>) {
    let id = current.get_untracked().id;
    let newer = move |lead: &Lead| {
        if lead.id == id && lead.version > current.get_untracked().version {
            current.set(lead.clone());
        }
    };
    let Some(realtime) = use_realtime() else {
        return;
    };
    realtime.on_event(move |frame| match frame {
        ServerFrame::LeadsUpdated { lead, .. } => newer(lead),
        ServerFrame::LeadDeleted { lead_id, .. } if *lead_id == id => deleted.set(true),
        _ => {}
    });
    Effect::new(move |previous: Option<u64>| {
        let resets = realtime.resets.get();
        if previous.is_some_and(|p| p != resets) {
            leptos::task::spawn_local(async move {
                match get_lead(id.to_string()).await {
                    Ok(lead) => newer(&lead),
                    Err(AppError::NotFound) => deleted.set(true),
                    Err(_) => {}
                }
            });
        }
        resets
    });
}

#[component]
fn LeadView(
    lead: Lead,
    owners: OwnersResource,
    /// The viewer is an owner (owners may delete the lead).
    owner: bool,
    /// The workspace's currency, for the deal value.
    currency: String,
) -> impl IntoView {
    // Live: an owner may change the workspace's currency while this page is open.
    let currency = RwSignal::new(currency);
    if let Some(realtime) = use_realtime() {
        realtime.on_event(move |frame| {
            if let ServerFrame::WorkspaceUpdated { currency: now, .. } = frame {
                currency.set(now.clone());
            }
        });
    }
    let current = RwSignal::new(lead.clone());
    let deleted = RwSignal::new(false);
    follow_lead(current, deleted);
    let set_stage = ServerAction::<SetLeadStage>::new();
    let editing = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(saved)) = set_stage.value().get() {
            if saved.version > current.get_untracked().version {
                current.set(saved);
            }
        }
    });
    let fact = move |f: fn(&Lead) -> Option<String>| {
        move || f(&current.read()).unwrap_or_else(|| "—".into())
    };
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
                <div class="lead-side">
                <LeadActions current set_stage/>
                <aside class="card details" aria-labelledby="details-title">
                    <div class="card-head">
                        <h2 id="details-title">"Details"</h2>
                        <button type="button" class="btn subtle" on:click=move |_| editing.update(|e| *e = !*e)>
                            {move || if editing.get() { "Cancel" } else { "Edit" }}
                        </button>
                    </div>
                    <Show when=move || !editing.get()>
                        <dl class="facts" data-testid="lead-facts">
                            <dt>"Email"</dt><dd>{fact(|l| l.email.clone())}</dd>
                            <dt>"Phone"</dt><dd>{fact(|l| l.phone.clone())}</dd>
                            <dt>"WhatsApp"</dt><dd>{fact(|l| l.whatsapp.clone())}</dd>
                            <dt>"Instagram"</dt><dd>{fact(|l| l.instagram.as_ref().map(|h| format!("@{h}")))}</dd>
                            <dt>"Owner"</dt>
                            <dd>{move || current.read().owner_name.clone().unwrap_or_else(|| "Unassigned".into())}</dd>
                        </dl>
                    </Show>
                    <Show when=move || editing.get()>
                        <LeadEditForm current owners editing/>
                    </Show>
                </aside>
                {owner.then(|| view! { <LeadDeletion current/> })}
                </div>
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

/// The edit form of the details card. It remembers what it was filled with, so a save refused
/// as stale (a teammate saved first) becomes a merge: their changes are taken where the user
/// left a field alone, and a field both changed is shown side by side to decide.
#[component]
fn LeadEditForm(
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
