//! Drafts: what a user has typed to a lead but not sent, private to them, on every device.
use super::channel::{parse_channel, parse_subject, Channel};
use super::error::AppError;
use super::ids::LeadId;
use super::length::MAX_BODY_CHARS;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub lead_id: LeadId,
    pub channel: Channel,
    pub subject: Option<String>,
    pub content: String,
    /// Rises by one on every save; a save must name the version it was based on.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// A draft as the client sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftInput {
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub content: String,
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub subject: String,
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub channel: String,
    /// The version this text was based on (0 when there was no draft).
    pub version: i64,
}

/// A draft ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftFields {
    pub channel: Channel,
    pub subject: Option<String>,
    pub content: String,
    pub base_version: i64,
}

impl DraftFields {
    /// Nothing typed at all: saving it removes the draft.
    pub fn is_empty(&self) -> bool {
        self.content.trim().is_empty() && self.subject.is_none()
    }
}

impl DraftInput {
    pub fn parse(&self) -> Result<DraftFields, AppError> {
        let channel = parse_channel(&self.channel)?;
        if self.content.chars().count() > MAX_BODY_CHARS {
            return Err(AppError::validation(
                "content",
                format!("A message can be at most {MAX_BODY_CHARS} characters."),
            ));
        }
        if self.version < 0 {
            return Err(AppError::validation(
                "version",
                "version must be 0 or more.",
            ));
        }
        Ok(DraftFields {
            channel,
            subject: parse_subject(channel, &self.subject)?,
            content: self.content.clone(),
            base_version: self.version,
        })
    }
}

/// The answer to a draft save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DraftSave {
    /// Stored (`None`: it was empty, so the draft is gone).
    Saved { draft: Option<Draft> },
    /// Based on an old version: nothing changed; here is what is stored now.
    Stale { current: Option<Draft> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_validate_channel_subject_and_size() {
        let ok = DraftInput {
            content: "Hi".into(),
            channel: "email".into(),
            subject: "Re: hello".into(),
            version: 3,
        };
        assert_eq!(ok.parse().unwrap().base_version, 3);
        let bad_channel = DraftInput {
            channel: "pigeon".into(),
            ..ok.clone()
        };
        assert_eq!(bad_channel.parse().unwrap_err().field(), Some("channel"));
        let sms_subject = DraftInput {
            channel: "sms".into(),
            ..ok.clone()
        };
        assert_eq!(sms_subject.parse().unwrap_err().field(), Some("subject"));
        let huge = DraftInput {
            content: "x".repeat(MAX_BODY_CHARS + 1),
            ..ok
        };
        assert_eq!(huge.parse().unwrap_err().field(), Some("content"));
    }

    #[test]
    fn an_empty_draft_is_empty() {
        let empty = DraftInput {
            channel: "sms".into(),
            content: "  ".into(),
            ..Default::default()
        };
        assert!(empty.parse().unwrap().is_empty());
    }
}
