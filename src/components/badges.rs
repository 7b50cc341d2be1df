//! Small labels: pipeline stage and channel, and the channels' icons (one drawing per channel,
//! used by the inbox, the thread and the composer alike).
use crate::model::channel::Channel;
use crate::model::lead::Stage;
use leptos::prelude::*;

#[component]
pub fn StageBadge(stage: Stage) -> impl IntoView {
    view! { <span class=format!("badge stage-{}", stage.as_str())>{stage.label()}</span> }
}

#[component]
pub fn ChannelBadge(channel: Channel) -> impl IntoView {
    view! {
        <span class=format!("badge channel channel-{}", channel.as_str()) title=channel.label()>
            <ChannelIcon channel/>
            " "
            {channel.label()}
        </span>
    }
}

/// The channel's icon: a 16 px line drawing in the text colour (its stroke is styled by `.icon`
/// in the stylesheet, not repeated on every icon of the page), hidden from screen readers (the
/// label beside it, or the element's own label, names the channel). [`push_channel_icon`] writes
/// the same markup as text.
#[component]
pub fn ChannelIcon(channel: Channel) -> impl IntoView {
    view! {
        <svg
            class=format!("icon icon-{}", channel.as_str())
            viewBox="0 0 24 24"
            width="16"
            height="16"
            aria-hidden="true"
            inner_html=drawing(channel)
        ></svg>
    }
}

/// [`ChannelIcon`]'s markup, appended to `html` (for markup built as text, see `inbox_row`).
pub fn push_channel_icon(html: &mut String, channel: Channel) {
    html.push_str(
        r#"<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" class="icon icon-"#,
    );
    html.push_str(channel.as_str());
    html.push_str("\">");
    html.push_str(drawing(channel));
    html.push_str("</svg>");
}

/// [`StageBadge`]'s markup, appended to `html`.
pub fn push_stage_badge(html: &mut String, stage: Stage) {
    html.push_str("<span class=\"badge stage-");
    html.push_str(stage.as_str());
    html.push_str("\">");
    html.push_str(stage.label());
    html.push_str("</span>");
}

/// The shapes inside a channel's icon: fixed markup, set as the drawing's inner HTML — one string
/// to write per icon instead of a view per shape, and nothing to hydrate inside.
fn drawing(channel: Channel) -> &'static str {
    match channel {
        // An envelope.
        Channel::Email => {
            r#"<rect x="3" y="5" width="18" height="14" rx="2"></rect><path d="M3 7l9 6 9-6"></path>"#
        }
        // A speech bubble with lines of text.
        Channel::Sms => {
            r#"<path d="M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1h-9l-5 4v-4H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z"></path><path d="M7 9h10M7 12.5h6"></path>"#
        }
        // A round bubble with a handset.
        Channel::Whatsapp => {
            r#"<path d="M12 3a9 9 0 0 0-7.7 13.6L3 21l4.5-1.2A9 9 0 1 0 12 3z"></path><path d="M9 8.5c.2 3.2 3.3 6.3 6.5 6.5l1-1.6-2-1-1 .9c-1-.5-1.9-1.4-2.4-2.4l.9-1-1-2z"></path>"#
        }
        // A rounded camera body with its lens and flash.
        Channel::Instagram => {
            r#"<rect x="3" y="3" width="18" height="18" rx="5"></rect><circle cx="12" cy="12" r="4"></circle><circle cx="17.5" cy="6.5" r="0.5"></circle>"#
        }
        // A browser window with a message in it.
        Channel::Chat => {
            r#"<rect x="3" y="4" width="18" height="16" rx="2"></rect><path d="M3 8h18M7 12h10M7 15.5h6"></path>"#
        }
    }
}
