//! Settings → Email: the mailbox Leadwire watches for replies (IMAP), owner only. The password
//! is write-only (left empty, the stored one is kept); the connection's health shows below.
use crate::api::mailbox::{get_mailbox, RemoveMailbox, SaveMailbox};
use crate::components::field::{Field, FormError};
use crate::components::local_time::{LocalTime, TimeStyle};
use crate::components::status::{ErrorNotice, Loading};
use crate::model::error::{field_error, form_error};
use crate::model::mailbox::MailboxView;
use leptos::prelude::*;

#[component]
pub fn MailboxSection() -> impl IntoView {
    let save = ServerAction::<SaveMailbox>::new();
    let remove = ServerAction::<RemoveMailbox>::new();
    // Bumped to look again while the first connection is being made.
    let recheck = RwSignal::new(0u32);
    // Only a save that worked reloads the form: after a refused one, what was typed stays.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved.update(|n| *n += 1);
            forget_typed_password();
        }
    });
    let current = Resource::new(
        move || (saved.get(), remove.version().get(), recheck.get()),
        |_| get_mailbox(),
    );
    view! {
        <section class="card" aria-labelledby="mailbox-title">
            <h2 id="mailbox-title">"Mailbox"</h2>
            <p class="muted">
                "Connect the mailbox your leads reply to: Leadwire watches it (IMAP, instantly where the server offers IDLE), "
                "takes each new email into its lead's thread once, and sets Reply-To on your outgoing email to its address. "
                "The password is stored encrypted and never shown again."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match current.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(None) => view! {
                            <p class="muted">"Only the workspace owner can connect the mailbox."</p>
                        }.into_any(),
                        Ok(Some(m)) => view! { <MailboxForm mailbox=m save remove recheck/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn MailboxForm(
    mailbox: MailboxView,
    save: ServerAction<SaveMailbox>,
    remove: ServerAction<RemoveMailbox>,
    recheck: RwSignal<u32>,
) -> impl IntoView {
    let result = save.value();
    // Connecting: the outcome (connected, or why not) shows by itself within seconds.
    let connecting = mailbox.configured
        && mailbox.enabled
        && mailbox.last_sync_at.is_none()
        && mailbox.last_error.is_none();
    #[cfg(feature = "hydrate")]
    if connecting {
        set_timeout(
            move || {
                recheck.try_update(|n| *n += 1);
            },
            std::time::Duration::from_millis(1500),
        );
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (connecting, recheck);
    let err = move |field: &'static str| Signal::derive(move || field_error(&result.get(), field));
    let health = mailbox.configured.then(|| {
        let state = match (&mailbox.last_error, mailbox.last_sync_at) {
            (Some(error), _) => view! {
                <p class="notice error" role="alert" data-testid="mailbox-error">{error.clone()}</p>
            }
            .into_any(),
            (None, Some(at)) => view! {
                <p class="notice success" role="status" data-testid="mailbox-synced">
                    "Connected. Last checked " <LocalTime at=at style=TimeStyle::Full/> "."
                </p>
            }
            .into_any(),
            (None, None) => view! { <p class="muted" role="status">"Connecting…"</p> }.into_any(),
        };
        let state = if mailbox.enabled {
            state
        } else {
            view! { <p class="muted">"Paused: new mail is not being taken in."</p> }.into_any()
        };
        view! {
            {state}
            <ActionForm action=remove>
                <button type="submit" class="btn subtle" disabled=move || remove.pending().get()>"Disconnect"</button>
            </ActionForm>
        }
    });
    let security = mailbox.security.clone();
    let option = move |value: &'static str, label: &'static str| {
        view! { <option value=value selected=security == value>{label}</option> }
    };
    view! {
        {health}
        <ActionForm action=save attr:class="stacked-form" attr:data-testid="mailbox-form">
            <Field label="IMAP server" name="host" value=mailbox.host.clone() placeholder="imap.example.com"
                autocomplete="off" error=err("host")/>
            <Field label="Port" name="port" value=mailbox.port.to_string() error=err("port")/>
            <label class="field">
                <span>"Security"</span>
                <select name="security">
                    {option("tls", "TLS (port 993)")}
                    {option("starttls", "STARTTLS (port 143)")}
                    {option("none", "None (a server on this machine only)")}
                </select>
            </label>
            <Field label="User name" name="username" value=mailbox.username.clone() autocomplete="off"
                error=err("username")/>
            <Field label="Password" name="password" kind="password" autocomplete="new-password"
                hint=if mailbox.configured { "Leave empty to keep the stored password." } else { "" }
                error=err("password")/>
            <Field label="Folder" name="folder" value=mailbox.folder.clone() placeholder="INBOX" error=err("folder")/>
            <Field label="Its email address" name="address" kind="email" value=mailbox.address.clone()
                placeholder="sales@example.com" hint="Replies to your email are sent here." error=err("address")/>
            <label class="check">
                <input type="checkbox" name="enabled" checked=mailbox.enabled/>
                " Watch this mailbox"
            </label>
            <button type="submit" class="btn primary" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save and connect" }}
            </button>
        </ActionForm>
        <FormError message=Signal::derive(move || form_error(&result.get()))/>
    }
}

/// The password field, once saved, goes blank (the form is updated in place, and a browser
/// keeps what was typed in a field whatever its `value` attribute says).
fn forget_typed_password() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = document()
            .query_selector("[data-testid=mailbox-form] input[name=password]")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.set_value("");
        }
    }
}
