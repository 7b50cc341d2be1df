//! The channels a lead can be reached on, and the rules that differ by channel before any
//! length rule (those are in `length`): which names parse, and that only email has a subject.
use super::error::AppError;
use super::lead::Lead;
use super::text::bounded;
use serde::{Deserialize, Serialize};

/// Longest email subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 300;

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
    /// The channels a file can go on from the composer (email sends text; chat has no upload).
    pub fn carries_files(self) -> bool {
        matches!(self, Channel::Sms | Channel::Whatsapp | Channel::Instagram)
    }

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

    /// Where a message on this channel to `lead` goes; `None` when the lead has no address
    /// for it.
    pub fn address_of(self, lead: &Lead) -> Option<String> {
        match self {
            Channel::Email => lead.email.clone(),
            Channel::Sms => lead.phone.clone(),
            Channel::Whatsapp => lead.whatsapp.clone(),
            Channel::Instagram => lead.instagram.clone().map(|h| format!("@{h}")),
            // Website chat answers within the visitor's chat session: no address needed.
            Channel::Chat => Some(String::new()),
        }
    }
}

pub fn parse_channel(raw: &str) -> Result<Channel, AppError> {
    Channel::parse(raw).ok_or_else(|| {
        AppError::validation(
            "channel",
            "Channel must be one of email, sms, whatsapp, instagram or chat.",
        )
    })
}

/// Only email has a subject; blank means none.
pub fn parse_subject(channel: Channel, raw: &str) -> Result<Option<String>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    if channel != Channel::Email {
        return Err(AppError::validation(
            "subject",
            "Only email messages have a subject.",
        ));
    }
    bounded("subject", "Subject", raw, 1, MAX_SUBJECT_CHARS).map(Some)
}
