//! What the lead page and the inbox show beside a lead's conversation: stage and next steps,
//! the details (editable in place), the other leads at its company, its recent activity, and
//! for owners, deletion. The lead shown follows saves here and teammates' changes live.
use crate::api::dashboard::SetLeadStage;
use crate::api::leads::{get_lead, same_company_leads};
use crate::client::realtime::use_realtime;
use crate::components::activity_feed::ActivityFeed;
use crate::components::badges::StageBadge;
use crate::components::lead_actions::LeadActions;
use crate::components::lead_delete::LeadDeletion;
use crate::components::lead_edit::{LeadEditForm, OwnersResource};
use crate::model::auth::{CurrentUser, Role};
use crate::model::error::AppError;
use crate::model::event::ServerFrame;
use crate::model::ids::UserId;
use crate::model::lead::Lead;
use crate::model::money::currency_of;
use leptos::prelude::*;
use leptos_router::components::A;

/// Keeps `current` at the newest version of the lead: saved here, changed by a teammate (a
/// `leads_updated` event), or re-read after the socket had to reset; its owner's name follows
/// a rename (`member_renamed`). `deleted` turns true when
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
        // The owner's new name; the lead itself (and its version) did not change.
        ServerFrame::MemberRenamed { user_id, name, .. }
            if current.with_untracked(|l| l.owner_id == Some(*user_id)) =>
        {
            current.update(|l| l.owner_name = Some(name.clone()));
        }
        _ => {}
    });
    Effect::new(move |previous: Option<u64>| {
        let resets = realtime.resets.get();
        if previous.is_some_and(|p| p != resets) {
            leptos::task::spawn_local(async move {
                match get_lead(id).await {
                    Ok(lead) => newer(&lead),
                    Err(AppError::NotFound) => deleted.set(true),
                    Err(_) => {}
                }
            });
        }
        resets
    });
}

/// A lead on screen: kept at its newest version ([`follow_lead`]; `deleted` once it is gone),
/// with the workspace's currency for its deal value and whether the viewer is an owner, both
/// also live.
#[derive(Clone, Copy)]
pub struct ShownLead {
    pub current: RwSignal<Lead>,
    pub deleted: RwSignal<bool>,
    pub currency: RwSignal<String>,
    /// The viewer is an owner (owners may delete the lead).
    pub owner: RwSignal<bool>,
}

impl ShownLead {
    pub fn new(lead: Lead, viewer: Viewer) -> ShownLead {
        let shown = ShownLead {
            current: RwSignal::new(lead),
            deleted: RwSignal::new(false),
            currency: live_currency(viewer.currency),
            owner: live_owner(viewer.id, viewer.owner),
        };
        follow_lead(shown.current, shown.deleted);
        shown
    }
}

/// Who views a lead, as read with the page: whether they are an owner (owners may delete it),
/// and the workspace's currency.
pub struct Viewer {
    pub id: Option<UserId>,
    pub owner: bool,
    pub currency: String,
}

pub fn viewer(me: Option<CurrentUser>) -> Viewer {
    Viewer {
        id: me.as_ref().map(|u| u.id),
        owner: me.as_ref().is_some_and(|u| u.role == Role::Owner),
        currency: currency_of(me),
    }
}

/// Whether the viewer is an owner, kept live: another owner may change their role while the
/// lead is open (`team_changed`), and the Delete card comes or goes at once rather than
/// answering "owners only" after a click.
fn live_owner(me: Option<UserId>, initial: bool) -> RwSignal<bool> {
    let owner = RwSignal::new(initial);
    if let (Some(realtime), Some(me)) = (use_realtime(), me) {
        realtime.on_event(move |frame| {
            if let ServerFrame::TeamChanged { user_id, role, .. } = frame {
                if *user_id == me {
                    owner.set(*role == Some(Role::Owner));
                }
            }
        });
    }
    owner
}

/// Reads the owner choices again when the team changes (a teammate joined, left or was
/// renamed) — but not under an open edit form, whose fields would be redrawn and lose what is
/// typed: then once it closes.
fn follow_team(owners: OwnersResource, editing: RwSignal<bool>) {
    let Some(realtime) = use_realtime() else {
        return;
    };
    Effect::new(move |read_for: Option<u64>| {
        let version = realtime.team_version.get();
        let open = editing.get();
        match read_for {
            Some(seen) if seen != version && !open => {
                owners.refetch();
                version
            }
            Some(seen) => seen,
            None => version,
        }
    });
}

/// The workspace's currency, kept live: an owner may change it while a lead is open.
fn live_currency(initial: String) -> RwSignal<String> {
    let currency = RwSignal::new(initial);
    if let Some(realtime) = use_realtime() {
        realtime.on_event(move |frame| {
            if let ServerFrame::WorkspaceUpdated { currency: now, .. } = frame {
                currency.set(now.clone());
            }
        });
    }
    currency
}

/// Stage and next steps, the details card, the company's other leads, the activity and
/// (owners) deletion, for `current` (its name, company and deal value are the caller's heading).
#[component]
pub fn LeadSidebar(
    current: RwSignal<Lead>,
    owners: OwnersResource,
    /// The viewer is an owner (owners may delete the lead); follows a change of role.
    owner: RwSignal<bool>,
) -> impl IntoView {
    let set_stage = ServerAction::<SetLeadStage>::new();
    let editing = RwSignal::new(false);
    follow_team(owners, editing);
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
            <SameCompany current/>
            <section class="card lead-activity" aria-labelledby="lead-activity-title" data-testid="lead-activity">
                <h2 id="lead-activity-title">"Recent activity"</h2>
                <ActivityFeed lead=current.get_untracked().id/>
            </section>
            <Show when=move || owner.get()>
                <LeadDeletion current/>
            </Show>
        </div>
    }
}

/// The other leads at the lead's company, when there are any ("Also at Brightline"); follows a
/// change of the company.
#[component]
fn SameCompany(current: RwSignal<Lead>) -> impl IntoView {
    let id = current.get_untracked().id;
    let company = Memo::new(move |_| current.read().company.clone().unwrap_or_default());
    let others = Resource::new(move || company.get(), move |_| same_company_leads(id));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let leads = others.await.unwrap_or_default();
                (!leads.is_empty()).then(|| view! {
                    <section class="card same-company" aria-labelledby="same-company-title" data-testid="same-company">
                        <h2 id="same-company-title">{move || format!("Also at {}", company.get())}</h2>
                        <ul>
                            {leads.into_iter().map(|l| view! {
                                <li>
                                    <A href=format!("/leads/{}", l.id)>{l.name.clone()}</A>
                                    " "
                                    <StageBadge stage=l.stage/>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Transition>
    }
}
