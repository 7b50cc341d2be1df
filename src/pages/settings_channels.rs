//! Settings → Channels (owner only): SMS and WhatsApp through Twilio, WhatsApp and Instagram
//! through Meta, and the sandbox that stands in for each channel until it is connected.
//! Tokens and app secrets are write-only.
use crate::api::channels::{get_channels, SaveMeta, SaveTwilio, SendTest, SetSandbox};
use crate::components::field::{Field, FormError};
use crate::components::local_time::{LocalTime, TimeStyle};
use crate::components::status::{ErrorNotice, Loading};
use crate::model::channel_settings::{ChannelView, MetaView};
use crate::model::error::{field_error, form_error};
use leptos::prelude::*;

#[component]
pub fn ChannelsSection() -> impl IntoView {
    let sandbox = ServerAction::<SetSandbox>::new();
    // Only a save that worked reloads the forms: after a refused one, what was typed stays.
    let saved = RwSignal::new(0u32);
    let current = Resource::new(
        move || (saved.get(), sandbox.version().get()),
        |_| get_channels(),
    );
    view! {
        <section class="card" aria-labelledby="channels-title">
            <h2 id="channels-title">"Channels"</h2>
            <p class="muted">
                "Connect SMS and WhatsApp through your Twilio account, WhatsApp and Instagram through Meta. Until a channel is connected, the sandbox stands in: "
                "messages go to the "<a href="/outbox">"outbox"</a>" instead of the lead's phone, and are labelled so."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match current.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(None) => view! {
                            <p class="muted">"Only the workspace owner can connect channels."</p>
                        }.into_any(),
                        Ok(Some(channels)) => channels
                            .into_iter()
                            .map(|c| view! { <ChannelCard channel=c sandbox saved/> })
                            .collect_view()
                            .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ChannelCard(
    channel: ChannelView,
    sandbox: ServerAction<SetSandbox>,
    saved: RwSignal<u32>,
) -> impl IntoView {
    let route = match channel.route.as_deref() {
        Some("twilio") => "Connected through Twilio.".to_string(),
        Some("meta") => "Connected through Meta.".to_string(),
        Some(_) => format!(
            "Sandbox: {} messages go to the outbox, not to the lead.",
            channel.label
        ),
        None => format!("Not connected: {} messages cannot be sent.", channel.label),
    };
    let switch_to = if channel.sandbox_on { "false" } else { "true" };
    let switch_label = if channel.sandbox_on {
        "Switch the sandbox off"
    } else {
        "Switch the sandbox on"
    };
    let twilio = channel
        .twilio_supported
        .then(|| view! { <TwilioForm channel=channel.clone() saved/> });
    let meta = channel
        .meta_supported
        .then(|| view! { <MetaForm channel=channel.clone() saved/> });
    let testid = format!("channel-{}", channel.channel);
    let name = channel.channel.clone();
    view! {
        <div class="channel" data-testid=testid>
            <h3>{channel.label.clone()}</h3>
            <p class="muted" role="status" data-testid="channel-route">{route}</p>
            <ActionForm action=sandbox>
                <input type="hidden" name="channel" value=name/>
                <input type="hidden" name="on" value=switch_to/>
                <button type="submit" class="btn subtle small" disabled=move || sandbox.pending().get()>
                    {switch_label}
                </button>
            </ActionForm>
            {twilio}
            {meta}
        </div>
    }
}

/// The form of a connection, reset after a save that worked: the form is updated in place, and
/// a field keeps what was typed whatever its `value` says, so without a reset the secret would
/// stay in its field and the saved values would not show.
fn reset_after_save(
    succeeded: impl Fn() -> bool + Send + Sync + 'static,
    saved: RwSignal<u32>,
) -> NodeRef<leptos::html::Form> {
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if succeeded() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            saved.update(|n| *n += 1);
        }
    });
    form
}

#[component]
fn TwilioForm(channel: ChannelView, saved: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SaveTwilio>::new();
    let result = save.value();
    let form = reset_after_save(move || matches!(result.get(), Some(Ok(_))), saved);
    let err = move |field: &'static str| Signal::derive(move || field_error(&result.get(), field));
    let t = channel.twilio.clone().unwrap_or_default();
    let configured = channel.twilio.is_some();
    let health = channel.twilio.clone().map(|t| {
        let state = health_notice(t.last_error.clone(), t.last_inbound_at, "twilio-error");
        view! {
            <p class="muted">"Webhook URL (Twilio Console → the number → Messaging → \"A message comes in\", HTTP POST):"</p>
            <p><code class="secret" data-testid="twilio-webhook">{t.webhook_url.clone()}</code></p>
            {state}
            <SendTestForm channel=channel.channel.clone() provider="twilio"/>
        }
    });
    let hint = if configured {
        "Leave empty to keep the stored token."
    } else {
        "Stored encrypted; never shown again."
    };
    let sender_hint = if channel.channel == "whatsapp" {
        "Your WhatsApp sender, e.g. +15550100200."
    } else {
        "A number like +15550100200, or a Messaging Service SID (MG…)."
    };
    let testid = format!("twilio-form-{}", channel.channel);
    let name = channel.channel.clone();
    // One form per channel on the page: ids carry the channel, so each label finds its input.
    let prefix = channel.channel.clone();
    let id = move |field: &str| format!("{prefix}-{field}");
    view! {
        <details class="twilio" open=configured>
            <summary>{if configured { "Twilio connection" } else { "Connect through Twilio" }}</summary>
            {health}
            <ActionForm action=save node_ref=form attr:class="stacked-form" attr:data-testid=testid>
                <input type="hidden" name="channel" value=name/>
                <Field label="Account SID" name="account_sid" id=id("account_sid") value=t.account_sid.clone() autocomplete="off"
                    placeholder="AC…" error=err("account_sid")/>
                <Field label="Auth Token" name="auth_token" id=id("auth_token") kind="password" autocomplete="new-password"
                    hint=hint error=err("auth_token")/>
                <Field label="Sender" name="sender" id=id("sender") value=t.sender.clone() autocomplete="off"
                    hint=sender_hint error=err("sender")/>
                <ConnectionSave checked=t.enabled || !configured pending=save.pending()/>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&result.get()))/>
        </details>
    }
}

/// The end of a connection's form: whether messages go through it, and Save.
#[component]
fn ConnectionSave(checked: bool, #[prop(into)] pending: Signal<bool>) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" name="enabled" checked=checked/>
            " Send through this connection"
        </label>
        <button type="submit" class="btn primary" disabled=move || pending.get()>
            {move || if pending.get() { "Saving…" } else { "Save" }}
        </button>
    }
}

/// A connection's health: its last error, else when it last heard from the lead's side.
fn health_notice(
    last_error: Option<String>,
    last_inbound_at: Option<chrono::DateTime<chrono::Utc>>,
    testid: &'static str,
) -> AnyView {
    match (last_error, last_inbound_at) {
        (Some(error), _) => view! {
            <p class="notice error" role="alert" data-testid=testid>{format!("Last error: {error}")}</p>
        }
        .into_any(),
        (None, Some(at)) => view! {
            <p class="notice success" role="status">
                "Last message received " <LocalTime at=at style=TimeStyle::Full/> "."
            </p>
        }
        .into_any(),
        (None, None) => view! { <p class="muted">"Nothing received yet."</p> }.into_any(),
    }
}

#[component]
fn MetaForm(channel: ChannelView, saved: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SaveMeta>::new();
    let result = save.value();
    let form = reset_after_save(move || matches!(result.get(), Some(Ok(_))), saved);
    let err = move |field: &'static str| Signal::derive(move || field_error(&result.get(), field));
    let m: MetaView = channel.meta.clone().unwrap_or_default();
    let configured = channel.meta.is_some();
    let whatsapp = channel.channel == "whatsapp";
    let health = channel.meta.clone().map(|m| {
        view! {
            <p class="muted">
                {if whatsapp {
                    "Meta App Dashboard → WhatsApp → Configuration → Webhook: paste the callback URL and the verify token, then subscribe to \"messages\"."
                } else {
                    "Meta App Dashboard → Instagram → Webhooks: paste the callback URL and the verify token, then subscribe to \"messages\" and \"messaging_seen\"."
                }}
            </p>
            <p>"Callback URL: "<code class="secret" data-testid="meta-webhook">{m.webhook_url.clone()}</code></p>
            <p>"Verify token: "<code class="secret" data-testid="meta-verify-token">{m.verify_token.clone()}</code></p>
            {health_notice(m.last_error.clone(), m.last_inbound_at, "meta-error")}
            <SendTestForm channel=channel.channel.clone() provider="meta"/>
        }
    });
    let keep = if configured {
        "Leave empty to keep the stored one."
    } else {
        "Stored encrypted; never shown again."
    };
    let (account_label, account_hint, token_label) = if whatsapp {
        (
            "Phone number ID",
            "WhatsApp → API Setup, under the sender number (not the number itself).",
            "Access token",
        )
    } else {
        (
            "Instagram account ID",
            "The Instagram professional account's id.",
            "Page access token",
        )
    };
    let testid = format!("meta-form-{}", channel.channel);
    let name = channel.channel.clone();
    let prefix = channel.channel.clone();
    let id = move |field: &str| format!("meta-{prefix}-{field}");
    view! {
        <details class="twilio" open=configured>
            <summary>{if configured { "Meta connection" } else { "Connect through Meta" }}</summary>
            {health}
            <ActionForm action=save node_ref=form attr:class="stacked-form" attr:data-testid=testid>
                <input type="hidden" name="channel" value=name/>
                <Field label=account_label name="account_id" id=id("account_id") value=m.account_id.clone() autocomplete="off"
                    hint=account_hint error=err("account_id")/>
                <Field label=token_label name="access_token" id=id("access_token") kind="password" autocomplete="new-password"
                    hint=keep error=err("access_token")/>
                <Field label="App secret" name="app_secret" id=id("app_secret") kind="password" autocomplete="new-password"
                    hint=keep error=err("app_secret")/>
                <ConnectionSave checked=m.enabled || !configured pending=save.pending()/>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&result.get()))/>
        </details>
    }
}

/// "Send test": one message through the saved connection, with the provider's answer shown.
#[component]
fn SendTestForm(channel: String, provider: &'static str) -> impl IntoView {
    let test = ServerAction::<SendTest>::new();
    let result = test.value();
    let instagram = channel == "instagram";
    let (label, placeholder) = if instagram {
        ("Send a test to (Instagram-scoped id)", "1254477777772919")
    } else {
        ("Send a test to", "+1 415 555 0100")
    };
    let id = format!("test-{provider}-{channel}");
    let testid = format!("send-test-{provider}-{channel}");
    let err = Signal::derive(move || field_error(&result.get(), "to"));
    view! {
        <ActionForm action=test attr:class="test-form" attr:data-testid=testid>
            <input type="hidden" name="channel" value=channel.clone()/>
            <input type="hidden" name="provider" value=provider/>
            <Field label=label name="to" id=id autocomplete="off" placeholder=placeholder error=err/>
            <button type="submit" class="btn small" disabled=move || test.pending().get()>
                {move || if test.pending().get() { "Sending…" } else { "Send test" }}
            </button>
            {move || match result.get() {
                Some(Ok(outcome)) if outcome.sent => view! {
                    <p class="notice success" role="status" data-testid="test-outcome">{outcome.detail}</p>
                }.into_any(),
                Some(Ok(outcome)) => view! {
                    <p class="notice error" role="alert" data-testid="test-outcome">{outcome.detail}</p>
                }.into_any(),
                Some(Err(e)) if e.field().is_none() => view! {
                    <p class="notice error" role="alert" data-testid="test-outcome">{e.to_string()}</p>
                }.into_any(),
                _ => ().into_any(),
            }}
        </ActionForm>
    }
}
