//! Settings → Channels (owner only): SMS and WhatsApp through Twilio, and the sandbox that
//! stands in for each channel until it is connected. Auth tokens are write-only.
use crate::api::channels::{get_channels, ChannelView, SaveTwilio, SetSandbox};
use crate::components::field::{Field, FormError};
use crate::components::local_time::{LocalTime, TimeStyle};
use crate::components::status::{ErrorNotice, Loading};
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
                "Connect SMS and WhatsApp through your Twilio account. Until a channel is connected, the sandbox stands in: "
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
        </div>
    }
}

#[component]
fn TwilioForm(channel: ChannelView, saved: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SaveTwilio>::new();
    let result = save.value();
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            // The form is updated in place, and a field keeps what was typed whatever its
            // `value` says: reset it, so the token goes blank and the saved values show.
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            saved.update(|n| *n += 1);
        }
    });
    let err = move |field: &'static str| Signal::derive(move || field_error(&result.get(), field));
    let t = channel.twilio.clone().unwrap_or_default();
    let configured = channel.twilio.is_some();
    let health = channel.twilio.clone().map(|t| {
        let state = match (&t.last_error, t.last_inbound_at) {
            (Some(error), _) => view! {
                <p class="notice error" role="alert" data-testid="twilio-error">{format!("Last error: {error}")}</p>
            }
            .into_any(),
            (None, Some(at)) => view! {
                <p class="notice success" role="status">
                    "Last message received " <LocalTime at=at style=TimeStyle::Full/> "."
                </p>
            }
            .into_any(),
            (None, None) => view! { <p class="muted">"Nothing received yet."</p> }.into_any(),
        };
        view! {
            <p class="muted">"Webhook URL (Twilio Console → the number → Messaging → \"A message comes in\", HTTP POST):"</p>
            <p><code class="secret" data-testid="twilio-webhook">{t.webhook_url.clone()}</code></p>
            {state}
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
    view! {
        <details class="twilio" open=configured>
            <summary>{if configured { "Twilio connection" } else { "Connect through Twilio" }}</summary>
            {health}
            <ActionForm action=save node_ref=form attr:class="stacked-form" attr:data-testid=testid>
                <input type="hidden" name="channel" value=name/>
                <Field label="Account SID" name="account_sid" value=t.account_sid.clone() autocomplete="off"
                    placeholder="AC…" error=err("account_sid")/>
                <Field label="Auth Token" name="auth_token" kind="password" autocomplete="new-password"
                    hint=hint error=err("auth_token")/>
                <Field label="Sender" name="sender" value=t.sender.clone() autocomplete="off"
                    hint=sender_hint error=err("sender")/>
                <label class="check">
                    <input type="checkbox" name="enabled" checked=t.enabled || !configured/>
                    " Send through this connection"
                </label>
                <button type="submit" class="btn primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&result.get()))/>
        </details>
    }
}
