//! Messages exchanged with a lead on one of the channels.
use super::ids::{LeadId, MessageId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The ways a lead can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
    Instagram,
    Chat,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Sms,
        Channel::Whatsapp,
        Channel::Instagram,
        Channel::Chat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Instagram => "instagram",
            Channel::Chat => "chat",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "Email",
            Channel::Sms => "SMS",
            Channel::Whatsapp => "WhatsApp",
            Channel::Instagram => "Instagram",
            Channel::Chat => "Website chat",
        }
    }

    pub fn parse(raw: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(raw: &str) -> Option<Direction> {
        match raw {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

/// One message in a lead's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub lead_id: LeadId,
    pub direction: Direction,
    pub channel: Channel,
    /// Email only.
    pub subject: Option<String>,
    pub body: String,
    pub status: String,
    /// The teammate who sent an outbound message.
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A lead's most recent message, as a row of the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub lead_id: LeadId,
    pub lead_name: String,
    pub company: Option<String>,
    pub stage: super::lead::Stage,
    pub owner_name: Option<String>,
    pub direction: Direction,
    pub channel: Channel,
    pub subject: Option<String>,
    pub preview: String,
    pub at: DateTime<Utc>,
}

/// The first characters of a message body on one line, for previews.
pub fn preview(body: &str, max_chars: usize) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        flat
    } else {
        let cut: String = flat.chars().take(max_chars).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_flattens_and_truncates() {
        assert_eq!(preview("Hi\n\nthere", 20), "Hi there");
        assert_eq!(preview("abcdef", 3), "abc…");
    }

    #[test]
    fn channels_parse_case_insensitively() {
        assert_eq!(Channel::parse("WhatsApp"), Some(Channel::Whatsapp));
        assert_eq!(Channel::parse("fax"), None);
    }
}
