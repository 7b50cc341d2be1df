//! The composer under a thread: channel, subject for email, the message, Send, draft status;
//! outside WhatsApp's 24-hour window, the workspace's templates instead of free text.
use super::attach::{takes_files, AttachButton, AttachedFiles, Attachments};
use super::badges::ChannelIcon;
use super::template_picker::{TemplatePick, TemplatePicker};
use crate::client::draft::DraftHandle;
use crate::model::channel::Channel;
use crate::model::length::{counter, too_long};
use crate::model::thread::ChannelChoice;
use leptos::prelude::*;

#[component]
pub fn Composer(
    draft: DraftHandle,
    choices: Vec<ChannelChoice>,
    /// Sends what the composer holds.
    on_send: Callback<()>,
    /// Why the last send failed, if it did.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Called on every keystroke in the message box (teammates see "typing…").
    #[prop(optional)]
    on_typing: Option<Callback<()>>,
    /// Why free text cannot go on the chosen channel now (its 24-hour window is closed).
    #[prop(into)]
    window: Signal<Option<String>>,
    /// The workspace's WhatsApp templates, offered while the window is closed.
    templates: Vec<crate::model::template::Template>,
    pick: TemplatePick,
    /// Files to send with the text (SMS, WhatsApp, Instagram).
    attach: Attachments,
) -> impl IntoView {
    let closed = move || window.with(Option::is_some);
    let files_shown = Signal::derive(move || takes_files(draft.channel.get()) && !closed());
    let offers_templates =
        move || closed() && crate::model::template::has_templates(draft.channel.get());
    let available = {
        let choices = choices.clone();
        move |c: Channel| {
            choices
                .iter()
                .any(|x| x.channel == c && x.address.is_some())
        }
    };
    // Why the chosen channel cannot be used (a draft may have been saved on it earlier).
    let unavailable = {
        let choices = choices.clone();
        move || {
            let channel = draft.channel.get();
            choices
                .iter()
                .find(|x| x.channel == channel && x.address.is_none())
                .map(|x| format!("{} can't be used: {}.", channel.label(), x.reason))
        }
    };
    let unavailable_text = unavailable.clone();
    let too_long = move || draft.content.with(|c| too_long(draft.channel.get(), c));
    let can_send = {
        let available = available.clone();
        move || {
            if closed() {
                return offers_templates() && pick.ready() && available(draft.channel.get());
            }
            // A file may go without text; Send waits for uploads still on their way.
            let has_files = files_shown.get() && attach.has_files();
            (has_files || !draft.content.with(|c| c.trim().is_empty()))
                && !(files_shown.get() && attach.busy())
                && available(draft.channel.get())
                && too_long().is_none()
        }
    };
    // Always a text node, and the notes below always elements (hidden when there is nothing to
    // say): the draft kept in this browser can differ from the one the server rendered with,
    // and hydration needs the same structure.
    let count = move || {
        draft
            .content
            .with(|c| counter(draft.channel.get(), c))
            .unwrap_or_default()
    };
    let placeholder = move || {
        if draft.exists.get() {
            "Continue draft…"
        } else {
            "Write a message…"
        }
    };
    let send = {
        let can_send = can_send.clone();
        move || {
            if can_send() {
                on_send.run(());
            }
        }
    };
    let send_on_click = send.clone();
    let initial_text = draft.content.get_untracked();
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send_on_click(); }>
            <div class="composer-row">
                <label class="sr-only" for="composer-channel">"Channel"</label>
                // Every icon is rendered and all but the chosen channel's hidden: the choice can
                // differ between the server's render and this browser's saved draft, and
                // hydration needs the same elements on both sides.
                // The icon and the choice stay on one line: a wrap would push the text box down.
                <span class="composer-channel">
                <span class="composer-channel-icon" aria-hidden="true">
                    {Channel::ALL.map(|c| view! {
                        <span hidden=move || draft.channel.get() != c><ChannelIcon channel=c/></span>
                    }).collect_view()}
                </span>
                <select
                    id="composer-channel"
                    on:change=move |ev| {
                        if let Some(c) = Channel::parse(&event_target_value(&ev)) {
                            draft.channel.set(c);
                            draft.edited();
                        }
                    }
                >
                    {choices
                        .into_iter()
                        .map(|choice| {
                            let label = match &choice.address {
                                Some(_) => choice.channel.label().to_string(),
                                None => format!("{} — {}", choice.channel.label(), choice.reason),
                            };
                            let c = choice.channel;
                            view! {
                                <option
                                    value=c.as_str()
                                    disabled=choice.address.is_none()
                                    selected=move || draft.channel.get() == c
                                >
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                </span>
                <Show when=move || draft.channel.get() == Channel::Email>
                    <label class="sr-only" for="composer-subject">"Subject"</label>
                    <input
                        id="composer-subject"
                        class="composer-subject"
                        placeholder="Subject"
                        prop:value=move || draft.subject.get()
                        on:input=move |ev| {
                            draft.subject.set(event_target_value(&ev));
                            draft.edited();
                        }
                    />
                </Show>
            </div>
            <p class="notice info" data-testid="window-closed" hidden=move || !closed()>
                {move || window.get().unwrap_or_default()}
            </p>
            <Show when=offers_templates>
                <TemplatePicker templates=templates.clone() pick/>
            </Show>
            <label class="sr-only" for="composer-body">"Message"</label>
            <textarea
                id="composer-body"
                hidden=closed
                rows="3"
                placeholder=placeholder
                prop:value=move || draft.content.get()
                on:input=move |ev| {
                    draft.content.set(event_target_value(&ev));
                    draft.edited();
                    if let Some(typing) = on_typing {
                        typing.run(());
                    }
                }
                on:blur=move |_| draft.save_now()
                on:keydown={
                    let send = send.clone();
                    move |ev| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            send();
                        }
                    }
                }
            >
                {initial_text}
            </textarea>
            <AttachedFiles attach shown=files_shown/>
            <div class="composer-foot">
                <AttachButton attach shown=files_shown/>
                <span class="draft-status" data-testid="draft-status" aria-live="polite">
                    {move || draft.status.get().label()}
                </span>
                <span class="counter" data-testid="length-counter" aria-live="polite"
                    class:over=move || too_long().is_some()>{count}</span>
                <span class="hint hide-narrow">"Ctrl+Enter to send"</span>
                <button type="submit" class="btn primary" disabled=move || !can_send()>
                    "Send"
                </button>
            </div>
            <p class="form-error" data-testid="too-long" hidden=move || too_long().is_none()>
                {move || too_long().unwrap_or_default()}
            </p>
            <p class="hint" data-testid="channel-unavailable" hidden=move || unavailable().is_none()>
                {move || unavailable_text().unwrap_or_default()}
            </p>
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert">{move || error.get()}</p>
            </Show>
        </form>
    }
}
