//! Settings → Team: the members with their roles (owners change roles and remove teammates,
//! after a confirmation), pending invites, and inviting someone by a link that can also be
//! emailed through the workspace's mail path.
use crate::api::team::{
    get_team_overview, InviteTeammate, RemoveMember, RevokeInvite, SetMemberRole,
};
use crate::client::realtime::use_realtime;
use crate::components::copy_field::CopyField;
use crate::components::field::{Field, FormError};
use crate::components::local_time::{LocalTime, TimeStyle};
use crate::components::status::{ErrorNotice, Loading};
use crate::model::auth::Role;
use crate::model::error::{field_error, form_error};
use crate::model::event::ServerFrame;
use leptos::prelude::*;

#[component]
pub(super) fn TeamSection() -> impl IntoView {
    let invite = ServerAction::<InviteTeammate>::new();
    let revoke = ServerAction::<RevokeInvite>::new();
    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    // A teammate's new name (`member_renamed`), someone joining, a role another owner changed,
    // a removal (`team_changed`): the list reads the team again.
    let renamed = RwSignal::new(0u32);
    if let Some(realtime) = use_realtime() {
        realtime.on_event(move |frame| {
            if matches!(
                frame,
                ServerFrame::MemberRenamed { .. } | ServerFrame::TeamChanged { .. }
            ) {
                renamed.update(|n| *n += 1);
            }
        });
    }
    let team = Resource::new(
        move || {
            (
                invite.version().get(),
                revoke.version().get(),
                set_role.version().get(),
                remove.version().get(),
                renamed.get(),
            )
        },
        |_| get_team_overview(),
    );
    let result = invite.value();
    let role_result = set_role.value();
    let remove_result = remove.value();
    view! {
        <section class="card" aria-labelledby="team-title">
            <h2 id="team-title">"Team"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match team.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(t) => {
                            // Owners manage roles; everyone sees them.
                            let owner = t.members.iter().any(|m| m.id == t.me && m.role == Role::Owner);
                            view! {
                            <ul class="list" aria-label="Members">
                                {t.members.into_iter().map(|m| {
                                    let me = m.id == t.me;
                                    // Owners remove others; nobody removes themselves.
                                    let removable = (owner && !me).then(|| (m.name.clone(), m.id.to_string()));
                                    let (other, label) = match m.role {
                                        Role::Owner => (Role::Member, "Make member"),
                                        Role::Member => (Role::Owner, "Make owner"),
                                    };
                                    view! {
                                        <li data-testid="member">
                                            <strong>{m.name.clone()}</strong>
                                            {me.then_some(" (you)")}
                                            <span class="muted">{m.email}</span>
                                            <span class="badge">{m.role.as_str()}</span>
                                            {owner.then(|| view! {
                                                <ActionForm action=set_role>
                                                    <input type="hidden" name="user_id" value=m.id.to_string()/>
                                                    <input type="hidden" name="role" value=other.as_str()/>
                                                    <button type="submit" class="btn subtle" aria-label=format!("{label}: {}", m.name)>{label}</button>
                                                </ActionForm>
                                            })}
                                            {removable.map(|(name, id)| view! { <RemoveMemberButton name id remove/> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            {(!t.invites.is_empty()).then(|| view! {
                                <h3>"Pending invites"</h3>
                                <ul class="list" aria-label="Pending invites">
                                    {t.invites.into_iter().map(|i| view! {
                                        <li>
                                            <span>{i.email}</span>
                                            <span class="muted">"expires " <LocalTime at=i.expires_at style=TimeStyle::Full/></span>
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="id" value=i.id.to_string()/>
                                                <button type="submit" class="btn subtle danger">"Revoke"</button>
                                            </ActionForm>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                            <FormError message=Signal::derive(move || {
                                field_error(&role_result.get(), "role").or_else(|| form_error(&role_result.get()))
                            })/>
                            <FormError message=Signal::derive(move || {
                                field_error(&remove_result.get(), "user_id").or_else(|| form_error(&remove_result.get()))
                            })/>
                        }.into_any()
                        }
                    }
                })}
            </Transition>
            <h3>"Invite a teammate"</h3>
            <ActionForm action=invite attr:class="inline-form">
                <Field label="Teammate's email" name="email" kind="email" autocomplete="off"
                    error=Signal::derive(move || field_error(&result.get(), "email"))/>
                <label class="check">
                    <input type="checkbox" name="send_email" checked=true/>
                    " Email it to them"
                </label>
                <button type="submit" class="btn primary" disabled=move || invite.pending().get()>
                    {move || if invite.pending().get() { "Inviting…" } else { "Invite" }}
                </button>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&result.get()))/>
            {move || result.get().and_then(Result::ok).map(|created| {
                let email = created.invite.email.clone();
                let sent = match (created.emailed.as_deref(), created.email_error.clone()) {
                    (Some("outbox"), _) => view! {
                        <p data-testid="invite-emailed">"Emailed to " <strong>{email}</strong> " — no SMTP relay is set up, so it is in the " <a href="/outbox">"outbox"</a> ". You can also send them the link yourself."</p>
                    }.into_any(),
                    (Some(_), _) => view! {
                        <p data-testid="invite-emailed">"Emailed to " <strong>{email}</strong> ". You can also send them the link yourself."</p>
                    }.into_any(),
                    (None, Some(why)) => view! {
                        <p class="field-error" role="alert" data-testid="invite-email-error">"The email could not be sent: " {why} " Send them the link yourself."</p>
                    }.into_any(),
                    (None, None) => view! {
                        <p>"Send this link to " <strong>{email}</strong> "."</p>
                    }.into_any(),
                };
                view! {
                    <div class="notice success" role="status">
                        {sent}
                        <p>"The link works once and expires in a week."</p>
                        <CopyField label="Invite link" value=created.link testid="invite-link"/>
                    </div>
                }
            })}
        </section>
    }
}

/// "Remove" beside a teammate (owners): asks first, saying what happens, then removes.
#[component]
fn RemoveMemberButton(
    name: String,
    id: String,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let label = StoredValue::new(format!("Remove {name}"));
    let question = StoredValue::new(format!(
        "Remove {name}? They are signed out everywhere at once; their messages stay, their leads become unassigned."
    ));
    let id = StoredValue::new(id);
    view! {
        <Show
            when=move || asking.get()
            fallback=move || view! {
                <button type="button" class="btn subtle danger" aria-label=label.get_value() on:click=move |_| asking.set(true)>
                    "Remove"
                </button>
            }
        >
            <div class="confirm" role="alertdialog" aria-label=question.get_value()
                on:keydown=move |ev| if ev.key() == "Escape" { asking.set(false) }>
                <p>{question.get_value()}</p>
                <ActionForm action=remove attr:class="actions">
                    <input type="hidden" name="user_id" value=id.get_value()/>
                    <button type="submit" class="btn danger" data-testid="confirm-remove" disabled=move || remove.pending().get()>
                        "Remove"
                    </button>
                    <button type="button" class="btn subtle" on:click=move |_| asking.set(false)>"Cancel"</button>
                </ActionForm>
            </div>
        </Show>
    }
}
