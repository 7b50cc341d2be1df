//! What the thread says under an outbound message: its delivery and read state, in one place so
//! the rules are the same everywhere and unit-tested.
use super::channel::Channel;
use super::message::{Direction, Message, MessageStatus};
use chrono::{DateTime, Utc};

/// The state of an outbound message as the sender sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Receipt {
    /// Waiting for (or between) delivery attempts.
    Queued,
    /// Delivery gave up: the reason, and whether the user can retry.
    Failed { reason: String, retryable: bool },
    /// Handed to the channel; nothing heard since.
    Sent,
    /// The provider reports it reached the lead's phone.
    Delivered,
    /// Only a mail privacy proxy fetched it: delivered, but we cannot say it was read.
    ProxyOpened,
    /// A person opened it (and maybe clicked a link).
    Read {
        at: DateTime<Utc>,
        clicked_at: Option<DateTime<Utc>>,
    },
}

/// The receipt of `m`, or None for inbound messages.
pub fn receipt(m: &Message) -> Option<Receipt> {
    if m.direction != Direction::Outbound {
        return None;
    }
    Some(match m.status {
        MessageStatus::Queued => Receipt::Queued,
        MessageStatus::Failed => Receipt::Failed {
            reason: m
                .status_reason
                .clone()
                .unwrap_or_else(|| "Delivery failed.".into()),
            // Website chat has no delivery to try again.
            retryable: m.channel != Channel::Chat,
        },
        MessageStatus::Delivered if m.opened_at.is_none() => Receipt::Delivered,
        _ => match (m.opened_at, m.clicked_at, m.proxy_opened_at) {
            (Some(at), clicked_at, _) => Receipt::Read { at, clicked_at },
            // A click without a recorded open still means a person read it.
            (None, Some(at), _) => Receipt::Read {
                at,
                clicked_at: Some(at),
            },
            (None, None, Some(_)) => Receipt::ProxyOpened,
            (None, None, None) => Receipt::Sent,
        },
    })
}

/// What stood in for the channel when a message never reached the lead: the thread says so
/// beside its receipt, so a stand-in's "Sent" is never mistaken for the real thing.
pub fn stand_in(m: &Message) -> Option<&'static str> {
    match m.delivered_via.as_deref()? {
        "outbox" => Some("Outbox — not sent to the lead"),
        "sandbox" => Some("Sandbox — not sent to the lead's phone"),
        "held" => Some("Website chat — kept here: no chat widget shows it to the visitor yet"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::{LeadId, MessageId};

    fn outbound(status: &str) -> Message {
        Message {
            id: MessageId::parse("6f1c1d2e-7a4b-4c3d-9e8f-0a1b2c3d4e5f").unwrap(),
            lead_id: LeadId::parse("6f1c1d2e-7a4b-4c3d-9e8f-0a1b2c3d4e5e").unwrap(),
            direction: Direction::Outbound,
            channel: Channel::Email,
            subject: Some("Hi".into()),
            body: "Hello".into(),
            status: MessageStatus::parse(status).expect("a status"),
            status_reason: None,
            author_name: None,
            author_id: None,
            client_id: None,
            created_at: Utc::now(),
            opened_at: None,
            clicked_at: None,
            proxy_opened_at: None,
            quoted: None,
            auto_reply: false,
            attachments: Vec::new(),
            has_html: false,
            omitted: Vec::new(),
            delivered_via: None,
        }
    }

    #[test]
    fn delivery_states_read_plainly() {
        assert_eq!(receipt(&outbound("queued")), Some(Receipt::Queued));
        assert_eq!(receipt(&outbound("sent")), Some(Receipt::Sent));
        assert_eq!(receipt(&outbound("delivered")), Some(Receipt::Delivered));
        let mut read = outbound("read");
        read.opened_at = Some(Utc::now());
        assert!(matches!(receipt(&read), Some(Receipt::Read { .. })));
        let mut sandboxed = outbound("delivered");
        assert_eq!(stand_in(&sandboxed), None);
        sandboxed.delivered_via = Some("sandbox".into());
        assert_eq!(
            stand_in(&sandboxed),
            Some("Sandbox — not sent to the lead's phone")
        );
        sandboxed.delivered_via = Some("twilio".into());
        assert_eq!(stand_in(&sandboxed), None);
        let mut chat = outbound("sent");
        chat.channel = Channel::Chat;
        chat.delivered_via = Some("held".into());
        assert_eq!(
            stand_in(&chat),
            Some("Website chat — kept here: no chat widget shows it to the visitor yet")
        );
        let mut failed = outbound("failed");
        failed.status_reason = Some("550 no such user".into());
        assert_eq!(
            receipt(&failed),
            Some(Receipt::Failed {
                reason: "550 no such user".into(),
                retryable: true
            })
        );
    }

    #[test]
    fn a_proxy_open_is_not_a_read() {
        let mut m = outbound("sent");
        m.proxy_opened_at = Some(Utc::now());
        assert_eq!(receipt(&m), Some(Receipt::ProxyOpened));
        let at = Utc::now();
        m.opened_at = Some(at);
        assert_eq!(
            receipt(&m),
            Some(Receipt::Read {
                at,
                clicked_at: None
            })
        );
    }

    #[test]
    fn inbound_messages_have_no_receipt() {
        let mut m = outbound("received");
        m.direction = Direction::Inbound;
        assert_eq!(receipt(&m), None);
    }
}
