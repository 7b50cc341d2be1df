//! Messages exchanged with a lead on one of the channels.
use super::channel::{parse_channel, parse_subject, Channel};
use super::error::AppError;
use super::ids::{LeadId, MessageId};
use super::length::MAX_BODY_CHARS;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

/// Where a message stands. Outbound: `queued` (waiting for its relay or provider), `sent` (it
/// took the message), `delivered` and `read` (as the provider reports), `failed` (see the
/// message's `status_reason`); inbound: `received`. Statuses only move forward, in that order
/// (a failure only before delivery; `MessageStatus::follows`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "TEXT", rename_all = "snake_case"))]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
    Received,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Failed => "failed",
            MessageStatus::Received => "received",
        }
    }

    pub fn parse(raw: &str) -> Option<MessageStatus> {
        [
            MessageStatus::Queued,
            MessageStatus::Sent,
            MessageStatus::Delivered,
            MessageStatus::Read,
            MessageStatus::Failed,
            MessageStatus::Received,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// Whether a report of `self` may replace `current`: queued → sent → delivered → read, and
    /// a failure only before delivery. A late or repeated report (delivered before sent, sent
    /// twice) changes nothing.
    pub fn follows(self, current: MessageStatus) -> bool {
        let rank = |s: MessageStatus| match s {
            MessageStatus::Queued => 0,
            MessageStatus::Sent => 1,
            MessageStatus::Delivered => 2,
            MessageStatus::Read => 3,
            MessageStatus::Failed | MessageStatus::Received => 4,
        };
        match self {
            MessageStatus::Failed => rank(current) <= 1,
            next => rank(current) < rank(next),
        }
    }
}

/// The subject of a follow-up to an email with `subject`: "Re: …" once, never "Re: Re: …".
pub fn reply_subject(subject: &str) -> String {
    let subject = subject.trim();
    if subject.is_empty() || subject.to_lowercase().starts_with("re:") {
        subject.to_string()
    } else {
        format!("Re: {subject}")
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
    pub status: MessageStatus,
    /// Why a message failed, when it did.
    pub status_reason: Option<String>,
    /// The teammate who sent an outbound message.
    pub author_name: Option<String>,
    #[serde(default)]
    pub author_id: Option<super::ids::UserId>,
    /// The id the sender generated; a retried send with the same id returns this message.
    pub client_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// First human open of an outbound email (tracking pixel).
    pub opened_at: Option<DateTime<Utc>>,
    /// First human click on a tracked link.
    pub clicked_at: Option<DateTime<Utc>>,
    /// First fetch of the pixel by a mail privacy proxy: delivered, not necessarily read.
    #[serde(default)]
    pub proxy_opened_at: Option<DateTime<Utc>>,
    /// A received email's quoted history, cut off its body (shown folded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<String>,
    /// A received email a machine sent for the lead (an out-of-office): shown, labelled, and
    /// not counted as a reply.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_reply: bool,
    /// A received email's files (`GET /attachments/{id}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentMeta>,
    /// A received email came with an HTML version (`GET /inbound/{id}/html`, sandboxed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_html: bool,
    /// What of a received email was not kept, one note each (too many attachments …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<String>,
    /// Where an outbound message went once sent: `smtp`, `twilio`, or a stand-in that did not
    /// reach the lead — `outbox` (email without a relay) or `sandbox` (SMS, WhatsApp and
    /// Instagram without a provider connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_via: Option<String>,
}

/// A file that came with a received email, as the thread lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    pub id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

impl AttachmentMeta {
    /// Pictures browsers show safely inline; everything else is a download.
    pub fn is_image(&self) -> bool {
        is_inline_image(&self.content_type)
    }

    /// "12 KB", "3.4 MB".
    pub fn size_label(&self) -> String {
        super::text::size_label(self.size)
    }
}

/// The picture types served inline (SVG is not one of them: it can carry script).
pub fn is_inline_image(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// A message as a form or the JSON API gives it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageInput {
    /// `outbound` (default) or `inbound` (an integration recording what the lead sent).
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub direction: String,
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub channel: String,
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub subject: String,
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub body: String,
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub client_id: String,
    /// Collision guard: the newest message the sender had seen when they started writing
    /// (`start` for an empty thread). A teammate's message after it makes the send a 409
    /// `collision` unless `confirmed`. Empty: no check (integrations).
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub after: String,
    pub confirmed: bool,
    /// WhatsApp: send this approved template (its name) instead of free text; `body` is then
    /// ignored and the template's text with `template_params` is what the lead reads.
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub template: String,
    #[serde(deserialize_with = "super::text::null_as_empty")]
    pub template_language: String,
    pub template_params: Vec<String>,
    /// Files to send with it (SMS, WhatsApp, Instagram): ids `POST /api/uploads` gave.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// A message ready to store: every field valid.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageFields {
    pub direction: Direction,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    pub client_id: Uuid,
    pub guard: CollisionGuard,
    /// The template to send instead of free text (its body is filled in when it is found).
    pub template: Option<super::template::TemplateUse>,
    /// Uploaded files to send with it (checked against the channel when they are found).
    pub attachments: Vec<Uuid>,
}

/// Whether to check for a teammate's message sent while this one was being written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CollisionGuard {
    /// Send regardless (integrations, or the sender confirmed).
    Off,
    /// Any teammate message counts: the thread was empty when writing began.
    SinceStart,
    /// Teammate messages newer than this one count.
    After(MessageId),
}

impl MessageInput {
    pub fn parse(&self) -> Result<MessageFields, AppError> {
        let direction = match self.direction.trim() {
            "" => Direction::Outbound,
            d => Direction::parse(d).ok_or_else(|| {
                AppError::validation("direction", "Direction must be inbound or outbound.")
            })?,
        };
        let channel = parse_channel(&self.channel)?;
        let subject = parse_subject(channel, &self.subject)?;
        let template = (!self.template.trim().is_empty()).then(|| super::template::TemplateUse {
            name: self.template.trim().to_string(),
            language: self.template_language.trim().to_string(),
            params: self.template_params.clone(),
            twilio_content_sid: None,
        });
        if template.is_some() && direction == Direction::Inbound {
            return Err(AppError::validation(
                "template",
                "Only a message to the lead can be a template.",
            ));
        }
        let attachments = self
            .attachments
            .iter()
            .map(|id| Uuid::parse_str(id.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                AppError::validation(
                    "attachments",
                    "attachments must be ids that POST /api/uploads gave.",
                )
            })?;
        if !attachments.is_empty() && (direction == Direction::Inbound || template.is_some()) {
            return Err(AppError::validation(
                "attachments",
                "Files go with a message you write to the lead, not with a template.",
            ));
        }
        // A template's text is filled in from the template itself; a file may go without text.
        let body = match template {
            Some(_) => String::new(),
            None if !attachments.is_empty() && self.body.trim().is_empty() => String::new(),
            None => parse_body(&self.body)?,
        };
        if direction == Direction::Outbound {
            // The channel's own limit (WhatsApp 4,096 characters, SMS 1,600 …).
            if let Some(why) = super::length::too_long(channel, &body) {
                return Err(AppError::validation("body", why));
            }
        }
        let client_id = Uuid::parse_str(self.client_id.trim()).map_err(|_| {
            AppError::validation(
                "client_id",
                "client_id must be a UUID generated by the sender.",
            )
        })?;
        let guard = match (self.confirmed, self.after.trim()) {
            (true, _) | (_, "") => CollisionGuard::Off,
            (false, "start") => CollisionGuard::SinceStart,
            (false, id) => CollisionGuard::After(MessageId::parse(id).ok_or_else(|| {
                AppError::validation("after", "after must be a message id or \"start\".")
            })?),
        };
        Ok(MessageFields {
            direction,
            channel,
            subject,
            body,
            client_id,
            guard,
            template,
            attachments,
        })
    }
}

/// The message text: not blank, at most [`MAX_BODY_CHARS`]. Inner whitespace is kept as typed.
pub fn parse_body(raw: &str) -> Result<String, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::validation("body", "Write a message first."));
    }
    if raw.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::validation(
            "body",
            format!("A message can be at most {MAX_BODY_CHARS} characters."),
        ));
    }
    Ok(raw.trim_end().to_string())
}

/// One page of a lead's thread, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Whether older messages exist before the first one here.
    pub has_more: bool,
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
    /// Inbound messages the viewer has not read.
    #[serde(default)]
    pub unread: i64,
    /// For search results: where the search matched, as (text, highlighted) parts.
    #[serde(default)]
    pub matched: Option<Vec<(String, bool)>>,
}

/// "20 s ago", "3 min ago", "2 h ago", "4 d ago": how long before `now` something happened.
pub fn ago(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds().max(0);
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// The first characters of a message body on one line, for previews.
pub fn preview(body: &str, max_chars: usize) -> String {
    // One pass that stops at the limit, a word at a time: the inbox folds fifty bodies of up to
    // 1,000 characters on every render.
    let mut flat = String::with_capacity(body.len().min(max_chars * 2) + 4);
    let mut count = 0;
    for word in body.split_whitespace() {
        let space = usize::from(count > 0);
        let chars = word.chars().count();
        if count + space + chars <= max_chars {
            if space == 1 {
                flat.push(' ');
            }
            flat.push_str(word);
            count += space + chars;
            continue;
        }
        // This word does not fit: keep what does, then mark the cut.
        if space == 1 && count < max_chars {
            flat.push(' ');
            count += 1;
        }
        let fits = word
            .char_indices()
            .nth(max_chars - count)
            .map_or(word.len(), |(at, _)| at);
        flat.push_str(&word[..fits]);
        flat.truncate(flat.trim_end().len());
        flat.push('…');
        return flat;
    }
    flat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_ups_answer_the_subject_once() {
        assert_eq!(reply_subject("Pricing"), "Re: Pricing");
        assert_eq!(reply_subject("Re: Pricing"), "Re: Pricing");
        assert_eq!(reply_subject("RE: Pricing"), "RE: Pricing");
        assert_eq!(reply_subject("  "), "");
    }

    #[test]
    fn ago_reads_naturally() {
        let now = Utc::now();
        assert_eq!(ago(now, now - chrono::Duration::seconds(20)), "20 s ago");
        assert_eq!(ago(now, now - chrono::Duration::seconds(200)), "3 min ago");
        assert_eq!(ago(now, now - chrono::Duration::hours(2)), "2 h ago");
        assert_eq!(ago(now, now + chrono::Duration::seconds(5)), "0 s ago");
    }

    #[test]
    fn the_collision_guard_is_parsed_from_after_and_confirmed() {
        let mut m = input("sms", "", "Hi");
        assert_eq!(m.parse().unwrap().guard, CollisionGuard::Off);
        m.after = "start".into();
        assert_eq!(m.parse().unwrap().guard, CollisionGuard::SinceStart);
        m.after = "6f1c1d2e-7a4b-4c3d-9e8f-0a1b2c3d4e5f".into();
        assert!(matches!(m.parse().unwrap().guard, CollisionGuard::After(_)));
        m.confirmed = true;
        assert_eq!(m.parse().unwrap().guard, CollisionGuard::Off);
        m.confirmed = false;
        m.after = "yesterday".into();
        assert_eq!(m.parse().unwrap_err().field(), Some("after"));
    }

    #[test]
    fn preview_flattens_and_truncates() {
        assert_eq!(preview("Hi\n\nthere", 20), "Hi there");
        assert_eq!(preview("abcdef", 3), "abc…");
        assert_eq!(preview("  abc  ", 3), "abc");
        assert_eq!(preview("ab  cd", 3), "ab…");
        assert_eq!(preview("ab  cd", 5), "ab cd");
        assert_eq!(preview("héllo wörld", 7), "héllo w…");
        assert_eq!(preview(" \t\n", 5), "");
    }

    fn input(channel: &str, subject: &str, body: &str) -> MessageInput {
        MessageInput {
            channel: channel.into(),
            subject: subject.into(),
            body: body.into(),
            client_id: "6f1c1d2e-7a4b-4c3d-9e8f-0a1b2c3d4e5f".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_message_parses() {
        let m = input("email", " Hello ", "Hi there\n").parse().unwrap();
        assert_eq!(m.direction, Direction::Outbound);
        assert_eq!(m.subject.as_deref(), Some("Hello"));
        assert_eq!(m.body, "Hi there");
    }

    #[test]
    fn bad_messages_name_their_field() {
        assert_eq!(
            input("fax", "", "Hi").parse().unwrap_err().field(),
            Some("channel")
        );
        assert_eq!(
            input("sms", "", "  ").parse().unwrap_err().field(),
            Some("body")
        );
        assert_eq!(
            input("sms", "Subject", "Hi").parse().unwrap_err().field(),
            Some("subject")
        );
        let long = "x".repeat(MAX_BODY_CHARS + 1);
        assert_eq!(
            input("sms", "", &long).parse().unwrap_err().field(),
            Some("body")
        );
        let mut no_id = input("sms", "", "Hi");
        no_id.client_id = "123".into();
        assert_eq!(no_id.parse().unwrap_err().field(), Some("client_id"));
    }

    #[test]
    fn channels_parse_case_insensitively() {
        assert_eq!(Channel::parse("WhatsApp"), Some(Channel::Whatsapp));
        assert_eq!(Channel::parse("fax"), None);
    }
}

/// Everything a conversation thread needs to open: the newest page, the viewer's draft, and
/// the autosave delay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadData {
    /// Who is looking: drafts are theirs alone.
    pub viewer_id: super::ids::UserId,
    /// The event-log position the data was read at.
    pub seq: i64,
    pub page: MessagePage,
    pub draft: Option<super::draft::Draft>,
    pub autosave_delay_ms: u32,
    /// Provider channels with neither a connection nor the sandbox: not offered to send on.
    #[serde(default)]
    pub unconnected: Vec<Channel>,
    /// WhatsApp and Instagram: until when free text may go to the lead.
    #[serde(default)]
    pub windows: Vec<ChannelWindow>,
    /// The workspace's WhatsApp templates, offered outside the window.
    #[serde(default)]
    pub templates: Vec<super::template::Template>,
}

/// Until when free text may go to the lead on a channel with a 24-hour window (None: they
/// never wrote on it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelWindow {
    pub channel: Channel,
    pub open_until: Option<chrono::DateTime<chrono::Utc>>,
}
