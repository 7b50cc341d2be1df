//! The pure rules of a conversation thread, shared by its view and tested here: keeping the
//! message list in order as frames and answers arrive, which channels the composer offers, and
//! what a new message starts with (the channel the lead last wrote on, "Re: <last subject>"),
//! and what "Send as … instead" sends.
use super::channel::Channel;
use super::message::{reply_subject, Direction, Message, MessageInput};

/// Where a lead can be reached, for the composer's channel list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeadAddresses {
    /// The lead's name, for what the composer says about them.
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    pub instagram: Option<String>,
}

/// The channels a sales person writes on, and where each goes for this lead.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelChoice {
    pub channel: Channel,
    /// `None`: the message cannot go out on it (no address, not connected); the option is
    /// disabled with `reason`.
    pub address: Option<String>,
    pub reason: String,
}

/// Inserts `message` or replaces the one with its id, keeping (time, id) order; true when it
/// was new. Frames, send answers and pages may bring the same message more than once, in any
/// order.
pub fn upsert(list: &mut Vec<Message>, message: Message) -> bool {
    match list.iter_mut().find(|m| m.id == message.id) {
        Some(existing) => {
            *existing = message;
            false
        }
        None => {
            let at = list
                .iter()
                .rposition(|m| (m.created_at, m.id) <= (message.created_at, message.id))
                .map_or(0, |i| i + 1);
            list.insert(at, message);
            true
        }
    }
}

/// Every channel, each with the lead's address on it or why it cannot be used. `unconnected`:
/// channels with neither a connection nor the sandbox; `chatted`: the lead has written on the
/// website chat (answers go back into that chat).
pub fn channel_choices(
    a: &LeadAddresses,
    unconnected: &[Channel],
    chatted: bool,
) -> Vec<ChannelChoice> {
    let choice = |channel: Channel, address: &Option<String>, missing: &str| {
        if unconnected.contains(&channel) {
            ChannelChoice {
                channel,
                address: None,
                reason: "not connected — connect it in Settings → Channels".to_string(),
            }
        } else {
            ChannelChoice {
                channel,
                address: address.clone(),
                reason: missing.to_string(),
            }
        }
    };
    vec![
        choice(Channel::Email, &a.email, "no email address"),
        choice(Channel::Sms, &a.phone, "no phone number"),
        choice(Channel::Whatsapp, &a.whatsapp, "no WhatsApp number"),
        choice(Channel::Instagram, &a.instagram, "no Instagram handle"),
        ChannelChoice {
            channel: Channel::Chat,
            address: chatted.then(String::new),
            reason: "hasn't written on the website chat".to_string(),
        },
    ]
}

/// The channel a new message starts on: the one the lead last wrote on, if it can be used;
/// else the first usable one; else email (which then says why it cannot go).
pub fn default_channel(messages: &[Message], choices: &[ChannelChoice]) -> Channel {
    let usable = |c: Channel| {
        choices
            .iter()
            .any(|x| x.channel == c && x.address.is_some())
    };
    messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound)
        .map(|m| m.channel)
        .filter(|c| usable(*c))
        .or_else(|| {
            choices
                .iter()
                .find(|x| x.address.is_some())
                .map(|x| x.channel)
        })
        .unwrap_or(Channel::Email)
}

/// The subject a new email starts with: "Re: " and the thread's last subject (empty on other
/// channels, or when no email had one).
pub fn default_subject(messages: &[Message], channel: Channel) -> String {
    if channel != Channel::Email {
        return String::new();
    }
    messages
        .iter()
        .rev()
        .find_map(|m| m.subject.as_deref())
        .map(reply_subject)
        .unwrap_or_default()
}

/// "Send as SMS instead": `failed`'s text once more on `channel`, as a new message
/// (`client_id`) answering `after`. An email keeps the subject; files go along where `channel`
/// carries files (the server says if it cannot carry these). Confirmed: the sender chose this
/// on a message already written, so there is no collision question.
pub fn resend_as(
    failed: &Message,
    channel: Channel,
    client_id: String,
    after: String,
) -> MessageInput {
    MessageInput {
        channel: channel.as_str().to_string(),
        subject: match channel {
            Channel::Email => failed.subject.clone().unwrap_or_default(),
            _ => String::new(),
        },
        body: failed.body.clone(),
        attachments: if channel.carries_files() {
            failed
                .attachments
                .iter()
                .map(|a| a.id.to_string())
                .collect()
        } else {
            Vec::new()
        },
        client_id,
        after,
        confirmed: true,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::{LeadId, MessageId};
    use crate::model::message::MessageStatus;
    use chrono::{DateTime, Duration, Utc};

    fn message(n: u128, at: DateTime<Utc>, direction: Direction, channel: Channel) -> Message {
        Message {
            id: MessageId(uuid::Uuid::from_u128(n)),
            lead_id: LeadId(uuid::Uuid::nil()),
            direction,
            channel,
            subject: None,
            body: format!("message {n}"),
            status: MessageStatus::Sent,
            status_reason: None,
            author_name: None,
            author_id: None,
            client_id: None,
            created_at: at,
            opened_at: None,
            clicked_at: None,
            proxy_opened_at: None,
            quoted: None,
            auto_reply: false,
            has_html: false,
            omitted: Vec::new(),
            attachments: Vec::new(),
            delivered_via: None,
        }
    }

    fn reachable(email: bool, phone: bool) -> LeadAddresses {
        LeadAddresses {
            name: "Maya".into(),
            email: email.then(|| "maya@example.com".into()),
            phone: phone.then(|| "+14155550101".into()),
            ..Default::default()
        }
    }

    #[test]
    fn upsert_keeps_time_order_and_replaces_by_id() {
        let t = Utc::now();
        let mut list = Vec::new();
        assert!(upsert(
            &mut list,
            message(2, t, Direction::Outbound, Channel::Sms)
        ));
        assert!(upsert(
            &mut list,
            message(
                3,
                t + Duration::seconds(1),
                Direction::Outbound,
                Channel::Sms
            )
        ));
        // An older message arriving late goes before the newer ones.
        assert!(upsert(
            &mut list,
            message(
                1,
                t - Duration::seconds(1),
                Direction::Inbound,
                Channel::Sms
            )
        ));
        // Same time: the id decides, so every tab orders alike.
        assert!(upsert(
            &mut list,
            message(4, t, Direction::Outbound, Channel::Sms)
        ));
        let ids: Vec<u128> = list.iter().map(|m| m.id.0.as_u128()).collect();
        assert_eq!(ids, [1, 2, 4, 3]);
        // The same message again (a status update): replaced in place, not added.
        let mut read = message(2, t, Direction::Outbound, Channel::Sms);
        read.status = MessageStatus::Read;
        assert!(!upsert(&mut list, read));
        assert_eq!(list.len(), 4);
        assert_eq!(list[1].status, MessageStatus::Read);
    }

    #[test]
    fn channels_without_an_address_or_a_connection_say_why() {
        let choices = channel_choices(&reachable(true, false), &[Channel::Whatsapp], false);
        let by = |c: Channel| choices.iter().find(|x| x.channel == c).unwrap();
        assert_eq!(
            by(Channel::Email).address.as_deref(),
            Some("maya@example.com")
        );
        assert_eq!(by(Channel::Sms).address, None);
        assert_eq!(by(Channel::Sms).reason, "no phone number");
        assert_eq!(by(Channel::Whatsapp).address, None);
        assert!(by(Channel::Whatsapp).reason.contains("Settings → Channels"));
        assert_eq!(by(Channel::Chat).address, None);
        let chatted = channel_choices(&reachable(true, false), &[], true);
        assert_eq!(chatted.last().unwrap().address.as_deref(), Some(""));
    }

    #[test]
    fn a_new_message_starts_on_the_channel_the_lead_last_wrote_on() {
        let t = Utc::now();
        let choices = channel_choices(&reachable(true, true), &[], false);
        let thread = [
            message(1, t, Direction::Inbound, Channel::Email),
            message(
                2,
                t + Duration::seconds(1),
                Direction::Inbound,
                Channel::Sms,
            ),
            // Our own later email does not count: the lead's last word was on SMS.
            message(
                3,
                t + Duration::seconds(2),
                Direction::Outbound,
                Channel::Email,
            ),
        ];
        assert_eq!(default_channel(&thread, &choices), Channel::Sms);
        // Without a phone number SMS cannot be used: the first usable channel.
        let email_only = channel_choices(&reachable(true, false), &[], false);
        assert_eq!(default_channel(&thread, &email_only), Channel::Email);
        let phone_only = channel_choices(&reachable(false, true), &[], false);
        assert_eq!(default_channel(&[], &phone_only), Channel::Sms);
        // Nothing usable at all: email, which says why.
        let nothing = channel_choices(&reachable(false, false), &[], false);
        assert_eq!(default_channel(&[], &nothing), Channel::Email);
        // A chat lead is answered on the chat.
        let chat = [message(4, t, Direction::Inbound, Channel::Chat)];
        let chat_choices = channel_choices(&reachable(true, false), &[], true);
        assert_eq!(default_channel(&chat, &chat_choices), Channel::Chat);
    }

    #[test]
    fn a_follow_up_email_answers_the_last_subject() {
        let t = Utc::now();
        let mut first = message(1, t, Direction::Outbound, Channel::Email);
        first.subject = Some("Pricing".into());
        let mut second = message(
            2,
            t + Duration::seconds(1),
            Direction::Inbound,
            Channel::Email,
        );
        second.subject = Some("Re: Pricing".into());
        let sms = message(
            3,
            t + Duration::seconds(2),
            Direction::Inbound,
            Channel::Sms,
        );
        let thread = [first.clone(), second, sms];
        assert_eq!(default_subject(&thread, Channel::Email), "Re: Pricing");
        assert_eq!(default_subject(&[first], Channel::Email), "Re: Pricing");
        assert_eq!(default_subject(&thread, Channel::Sms), "");
        assert_eq!(default_subject(&[], Channel::Email), "");
    }

    #[test]
    fn sending_a_failed_message_again_on_another_channel() {
        use crate::model::message::AttachmentMeta;
        let mut failed = message(1, Utc::now(), Direction::Outbound, Channel::Email);
        failed.subject = Some("Pricing".into());
        failed.attachments = vec![AttachmentMeta {
            id: uuid::Uuid::from_u128(9),
            filename: "quote.pdf".into(),
            content_type: "application/pdf".into(),
            size: 10,
        }];
        let sms = resend_as(&failed, Channel::Sms, "c1".into(), "m7".into());
        assert_eq!(sms.channel, "sms");
        assert_eq!(sms.body, "message 1");
        assert_eq!(sms.subject, "", "only email carries a subject");
        assert_eq!(sms.attachments, [uuid::Uuid::from_u128(9).to_string()]);
        assert_eq!((sms.client_id.as_str(), sms.after.as_str()), ("c1", "m7"));
        assert!(sms.confirmed, "chosen on a message already written");
        let email = resend_as(&failed, Channel::Email, "c2".into(), "m7".into());
        assert_eq!(email.subject, "Pricing");
        assert!(email.attachments.is_empty(), "files do not go by email");
    }
}
