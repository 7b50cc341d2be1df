//! Small labels: pipeline stage and channel.
use crate::model::lead::Stage;
use crate::model::message::Channel;
use leptos::prelude::*;

#[component]
pub fn StageBadge(stage: Stage) -> impl IntoView {
    view! { <span class=format!("badge stage-{}", stage.as_str())>{stage.label()}</span> }
}

#[component]
pub fn ChannelBadge(channel: Channel) -> impl IntoView {
    view! {
        <span class=format!("badge channel channel-{}", channel.as_str()) title=channel.label()>
            <span aria-hidden="true">{channel_icon(channel)}</span>
            " "
            {channel.label()}
        </span>
    }
}

pub fn channel_icon(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "✉",
        Channel::Sms => "✆",
        Channel::Whatsapp => "◉",
        Channel::Instagram => "◎",
        Channel::Chat => "❝",
    }
}
