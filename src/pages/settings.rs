//! `/settings`: your profile (name, password, appearance), the team (members and invites), the workspace's
//! channels and mail, personal API tokens, and (owners) deleting the workspace.
use super::settings_channels::ChannelsSection;
use super::settings_mailbox::MailboxSection;
use super::settings_notifications::NotificationsSection;
use super::settings_team::TeamSection;
use super::settings_templates::TemplatesSection;
use super::settings_workspace::{DeleteWorkspaceSection, WorkspaceSection};
use crate::api::auth::{get_current_user, ChangePassword, RenameMe};
use crate::api::inbound_email::get_inbound_email;
use crate::api::tokens::{list_api_tokens, CreateApiToken, RevokeApiToken};
use crate::api::tracking::{get_email_tracking, SetEmailTracking};
use crate::components::copy_field::CopyField;
use crate::components::field::{Field, FormError};
use crate::components::layout::ProfileVersion;
use crate::components::local_time::LocalTime;
use crate::components::status::{ErrorNotice, Loading};
use crate::components::theme::ThemeChoice;
use crate::model::error::{field_error, form_error};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings"/>
        <div class="page-head">
            <h1>"Settings"</h1>
        </div>
        <div class="settings">
            <ProfileSection/>
            <WorkspaceSection/>
            <TeamSection/>
            <NotificationsSection/>
            <TrackingSection/>
            <MailboxSection/>
            <InboundEmailSection/>
            <ChannelsSection/>
            <TemplatesSection/>
            <TokensSection/>
            <DeleteWorkspaceSection/>
        </div>
    }
}

/// The signed-in user's own name and password.
#[component]
fn ProfileSection() -> impl IntoView {
    let rename = ServerAction::<RenameMe>::new();
    let password = ServerAction::<ChangePassword>::new();
    let me = Resource::new(move || rename.version().get(), |_| get_current_user());
    let renamed = rename.value();
    let changed = password.value();
    if let Some(ProfileVersion(version)) = use_context::<ProfileVersion>() {
        Effect::new(move |_| {
            if matches!(renamed.get(), Some(Ok(()))) {
                version.update(|v| *v += 1);
            }
        });
    }
    view! {
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">"Your profile"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match me.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(user) => {
                            let (name, email) = user.map(|u| (u.name, u.email)).unwrap_or_default();
                            view! {
                                <p class="muted">"Signed in as " <strong>{email}</strong></p>
                                <ActionForm action=rename attr:class="inline-form">
                                    <Field label="Your name" name="name" id="profile-name" autocomplete="name" value=name
                                        error=Signal::derive(move || field_error(&renamed.get(), "name"))/>
                                    <button type="submit" class="btn" disabled=move || rename.pending().get()>"Save name"</button>
                                </ActionForm>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <FormError message=Signal::derive(move || form_error(&renamed.get()))/>
            {move || matches!(renamed.get(), Some(Ok(()))).then(|| view! {
                <p class="notice success" role="status">"Your name is saved. Teammates see it from now on."</p>
            })}
            <h3>"Change password"</h3>
            <ActionForm action=password attr:class="stacked-form">
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password"
                    error=Signal::derive(move || field_error(&changed.get(), "current_password"))/>
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password"
                    hint="At least 8 characters."
                    error=Signal::derive(move || field_error(&changed.get(), "new_password"))/>
                <button type="submit" class="btn" disabled=move || password.pending().get()>"Change password"</button>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&changed.get()))/>
            {move || matches!(changed.get(), Some(Ok(()))).then(|| view! {
                <p class="notice success" role="status">"Password changed. Your other devices are signed out."</p>
            })}
            <ThemeChoice/>
        </section>
    }
}

#[component]
fn TokensSection() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    let result = create.value();
    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"API tokens"</h2>
            <p class="muted">"Integrations use a token as " <code>"Authorization: Bearer …"</code> " on the JSON API and the event socket. It acts as you, but cannot manage tokens, teammates or settings."</p>
            <ActionForm action=create attr:class="inline-form">
                <Field label="Token name" name="name" id="token-name" placeholder="Website form" autocomplete="off"
                    error=Signal::derive(move || field_error(&result.get(), "name"))/>
                <label class="field">
                    <span>"Access"</span>
                    <select name="scopes">
                        <option value="read write" selected>"Read and write"</option>
                        <option value="read">"Read only"</option>
                    </select>
                </label>
                <button type="submit" class="btn primary" disabled=move || create.pending().get()>"Create token"</button>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&result.get()))/>
            {move || result.get().and_then(Result::ok).map(|created| view! {
                <div class="notice success" role="status">
                    <p>"Copy the token now: it will not be shown again."</p>
                    <CopyField label="New token" value=created.secret testid="new-token"/>
                </div>
            })}
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="list" aria-label="Tokens">
                                {list.into_iter().map(|t| view! {
                                    <li data-testid="token">
                                        <strong>{t.name}</strong>
                                        <span class="badge">{t.scopes.label()}</span>
                                        <span class="muted">"created " <LocalTime at=t.created_at/></span>
                                        <span class="muted">{match t.last_used_at {
                                            Some(at) => view! { "last used " <LocalTime at=at/> }.into_any(),
                                            None => "never used".into_any(),
                                        }}</span>
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=t.id.to_string()/>
                                            <button type="submit" class="btn subtle danger">"Revoke"</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Where replies come in: the signed endpoint a mail server posts raw messages to (owner only;
/// teammates are told so).
#[component]
fn InboundEmailSection() -> impl IntoView {
    let endpoint = Resource::new(|| (), |_| get_inbound_email());
    let shown = RwSignal::new(false);
    view! {
        <section class="card" aria-labelledby="inbound-title">
            <h2 id="inbound-title">"Receiving email"</h2>
            <p class="muted">
                "Replies from leads join their thread when your mail server (or your provider's inbound hook) posts each raw message here, "
                "signed with the secret: header X-Leadwire-Signature: sha256=<HMAC-SHA256 of the body>. "
                "A reply finds its lead by its thread headers, then by the sender's address; otherwise it creates a lead."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match endpoint.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(None) => view! {
                            <p class="muted">"Only the workspace owner can see the endpoint and its secret."</p>
                        }.into_any(),
                        Ok(Some(e)) => {
                            let secret = e.secret.clone();
                            view! {
                                <dl class="facts">
                                    <dt>"Endpoint"</dt>
                                    <dd><code data-testid="inbound-url">{e.url.clone()}</code></dd>
                                    <dt>"Signing secret"</dt>
                                    <dd>
                                        <code data-testid="inbound-secret">
                                            {move || if shown.get() { secret.clone() } else { "•".repeat(16) }}
                                        </code>
                                        " "
                                        <button type="button" class="btn subtle" on:click=move |_| shown.update(|s| *s = !*s)>
                                            {move || if shown.get() { "Hide" } else { "Show" }}
                                        </button>
                                    </dd>
                                </dl>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The workspace's email tracking switch (owner only; the server says so to others).
#[component]
fn TrackingSection() -> impl IntoView {
    let set = ServerAction::<SetEmailTracking>::new();
    let current = Resource::new(move || set.version().get(), |_| get_email_tracking());
    view! {
        <section class="card" aria-labelledby="tracking-title">
            <h2 id="tracking-title">"Email tracking"</h2>
            <p class="muted">
                "Tracked emails carry a tiny image and rewritten links, so the thread can say \"Read at 2:30 PM\" and show link clicks. "
                "Opens by mail privacy proxies and link scanners are told apart and never count as reads. "
                "Addresses are stored truncated; switching this off stops tracking new emails and recording hits on old ones."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match current.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(on) => view! {
                            <ActionForm action=set>
                                <input type="hidden" name="enabled" value=(!on).to_string()/>
                                <p>
                                    <span data-testid="tracking-state">{if on { "Tracking is on. " } else { "Tracking is off. " }}</span>
                                    <button type="submit" class="btn">{if on { "Turn tracking off" } else { "Turn tracking on" }}</button>
                                </p>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Transition>
            <FormError message=Signal::derive(move || set.value().get().and_then(Result::err).map(|e| e.to_string()))/>
        </section>
    }
}
