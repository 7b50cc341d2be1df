//! The activity feed: one entry per lead interaction, message event, stage change, conversion
//! and meeting booked, written in the same transaction as the change it describes.
use super::channel::Channel;
use super::error::AppError;
use super::ids::{LeadId, MessageId, UserId};
use super::lead::Stage;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    LeadCreated,
    MessageSent,
    MessageReceived,
    EmailOpened,
    LinkClicked,
    MessageFailed,
    StageChanged,
    LeadConverted,
    MeetingBooked,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 9] = [
        ActivityKind::LeadCreated,
        ActivityKind::MessageSent,
        ActivityKind::MessageReceived,
        ActivityKind::EmailOpened,
        ActivityKind::LinkClicked,
        ActivityKind::MessageFailed,
        ActivityKind::StageChanged,
        ActivityKind::LeadConverted,
        ActivityKind::MeetingBooked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::LeadCreated => "lead_created",
            ActivityKind::MessageSent => "message_sent",
            ActivityKind::MessageReceived => "message_received",
            ActivityKind::EmailOpened => "email_opened",
            ActivityKind::LinkClicked => "link_clicked",
            ActivityKind::MessageFailed => "message_failed",
            ActivityKind::StageChanged => "stage_changed",
            ActivityKind::LeadConverted => "lead_converted",
            ActivityKind::MeetingBooked => "meeting_booked",
        }
    }

    pub fn parse(raw: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// A small symbol for the feed (also announced as the item's label).
    pub fn icon(self) -> &'static str {
        match self {
            ActivityKind::LeadCreated => "＋",
            ActivityKind::MessageSent => "↗",
            ActivityKind::MessageReceived => "↘",
            ActivityKind::EmailOpened => "👁",
            ActivityKind::LinkClicked => "🔗",
            ActivityKind::MessageFailed => "⚠",
            ActivityKind::StageChanged => "⇄",
            ActivityKind::LeadConverted => "🏆",
            ActivityKind::MeetingBooked => "📅",
        }
    }
}

/// One feed entry as the browser shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Grows with every entry: newest first is highest first, and "load more" pages by it.
    pub id: i64,
    pub kind: ActivityKind,
    pub lead_id: LeadId,
    pub lead_name: String,
    /// The teammate who did it; none for what a lead or a machine did.
    pub actor_name: Option<String>,
    pub actor_id: Option<UserId>,
    pub message_id: Option<MessageId>,
    pub channel: Option<Channel>,
    /// The stage a change moved to.
    pub stage: Option<Stage>,
    /// When a booked meeting takes place.
    pub meeting_at: Option<DateTime<Utc>>,
    /// A short excerpt: the message preview, or a failure's reason.
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

impl Activity {
    /// The sentence the feed shows, e.g. "Sam sent an email to Maya Patel".
    pub fn sentence(&self) -> String {
        let actor = self.actor_name.as_deref().unwrap_or("Someone");
        let lead = &self.lead_name;
        let channel = self.channel.map_or("a message", channel_noun);
        match self.kind {
            ActivityKind::LeadCreated => format!("{actor} added {lead}"),
            ActivityKind::MessageSent => format!("{actor} sent {channel} to {lead}"),
            ActivityKind::MessageReceived => format!("{lead} sent {channel}"),
            ActivityKind::EmailOpened => format!("{lead} opened an email"),
            ActivityKind::LinkClicked => format!("{lead} clicked a link in an email"),
            ActivityKind::MessageFailed => format!("Delivery of {channel} to {lead} failed"),
            ActivityKind::StageChanged => format!(
                "{actor} moved {lead} to {}",
                self.stage.map_or("another stage", Stage::label)
            ),
            ActivityKind::LeadConverted => format!("{actor} won {lead}"),
            ActivityKind::MeetingBooked => format!("{actor} booked a meeting with {lead}"),
        }
    }
}

fn channel_noun(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "an email",
        Channel::Sms => "an SMS",
        Channel::Whatsapp => "a WhatsApp message",
        Channel::Instagram => "an Instagram message",
        Channel::Chat => "a chat message",
    }
}

/// A page of the feed, newest first; `has_more` when older entries exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub items: Vec<Activity>,
    pub has_more: bool,
}

/// "Log meeting booked": when the meeting takes place, as RFC 3339 (the browser sends its
/// local choice converted to UTC). Within a year either side of now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingInput {
    pub at: String,
}

impl MeetingInput {
    pub fn parse(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
        let at = DateTime::parse_from_rfc3339(self.at.trim())
            .map_err(|_| AppError::validation("at", "Pick the date and time of the meeting."))?
            .with_timezone(&Utc);
        if (at - now).num_days().abs() > 366 {
            return Err(AppError::validation(
                "at",
                "The meeting must be within a year of today.",
            ));
        }
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_times_must_be_times_near_today() {
        let now = Utc::now();
        let ok = MeetingInput {
            at: "2026-12-03T14:30:00+01:00".into(),
        };
        let parsed = ok
            .parse(
                chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc),
            )
            .unwrap();
        assert_eq!(parsed.to_rfc3339(), "2026-12-03T13:30:00+00:00");
        for bad in ["", "tomorrow", "2026-13-01T00:00:00Z", "2026-12-03 14:30"] {
            let input = MeetingInput { at: bad.into() };
            assert!(
                matches!(input.parse(now), Err(AppError::Validation { ref field, .. }) if field == "at"),
                "{bad}"
            );
        }
        let far = MeetingInput {
            at: (now + chrono::Duration::days(800)).to_rfc3339(),
        };
        assert!(far.parse(now).is_err());
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().into())
            );
        }
    }

    #[test]
    fn sentences_name_actor_channel_and_lead() {
        let a = Activity {
            id: 1,
            kind: ActivityKind::MessageSent,
            lead_id: LeadId(uuid::Uuid::nil()),
            lead_name: "Maya Patel".into(),
            actor_name: Some("Sam".into()),
            actor_id: None,
            message_id: None,
            channel: Some(Channel::Sms),
            stage: None,
            meeting_at: None,
            detail: None,
            at: Utc::now(),
        };
        assert_eq!(a.sentence(), "Sam sent an SMS to Maya Patel");
        let won = Activity {
            kind: ActivityKind::LeadConverted,
            ..a.clone()
        };
        assert_eq!(won.sentence(), "Sam won Maya Patel");
    }
}
