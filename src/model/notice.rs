//! How the browser decides that a logged event notifies its user, and what the toast says.
use super::activity::ActivityKind;
use super::event::ServerFrame;
use super::ids::{LeadId, UserId};
use super::notification::{NotificationPrefs, Trigger};

/// What a toast says about a triggering event.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub seq: i64,
    pub trigger: Trigger,
    pub title: String,
    pub body: String,
    pub lead_id: LeadId,
}

/// The notice for `frame`, if it is a trigger that `prefs` has on. Each trigger is recognised
/// from the activity feed's entry, so one change notifies once. The viewer's own actions
/// (they won the lead, they booked the meeting) do not notify them.
pub fn notice_for(frame: &ServerFrame, prefs: &NotificationPrefs, me: UserId) -> Option<Notice> {
    let ServerFrame::ActivityUpdated { seq, data, .. } = frame else {
        return None;
    };
    let trigger = match data.kind {
        ActivityKind::MessageReceived => Trigger::InboundMessage,
        ActivityKind::EmailOpened => Trigger::EmailOpened,
        ActivityKind::LinkClicked => Trigger::LinkClicked,
        ActivityKind::LeadConverted => Trigger::LeadConverted,
        ActivityKind::MeetingBooked => Trigger::MeetingBooked,
        _ => return None,
    };
    if !trigger.enabled(prefs) {
        return None;
    }
    let by_me = data.actor_id == Some(me);
    if by_me && matches!(trigger, Trigger::LeadConverted | Trigger::MeetingBooked) {
        return None;
    }
    let title = match trigger {
        Trigger::InboundMessage => format!("New message from {}", data.lead_name),
        Trigger::EmailOpened => format!("{} opened your email", data.lead_name),
        Trigger::LinkClicked => format!("{} clicked a link", data.lead_name),
        Trigger::LeadConverted => format!("{} is won 🎉", data.lead_name),
        Trigger::MeetingBooked => format!("Meeting booked with {}", data.lead_name),
    };
    let body = data.detail.clone().unwrap_or_else(|| data.sentence());
    Some(Notice {
        seq: *seq,
        trigger,
        title,
        body,
        lead_id: data.lead_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::activity::Activity;
    use chrono::Utc;
    use uuid::Uuid;

    fn entry(kind: ActivityKind, actor: Option<UserId>) -> ServerFrame {
        ServerFrame::ActivityUpdated {
            seq: 5,
            event: kind,
            data: Activity {
                id: 1,
                kind,
                lead_id: LeadId(Uuid::nil()),
                lead_name: "Maya".into(),
                actor_name: actor.map(|_| "Sam".into()),
                actor_id: actor,
                message_id: None,
                channel: None,
                stage: None,
                meeting_at: None,
                detail: Some("Can we talk?".into()),
                at: Utc::now(),
            },
        }
    }

    #[test]
    fn triggers_notify_unless_switched_off() {
        let me = UserId(Uuid::from_u128(1));
        let prefs = NotificationPrefs::default();
        let n = notice_for(&entry(ActivityKind::MessageReceived, None), &prefs, me).unwrap();
        assert_eq!(n.trigger, Trigger::InboundMessage);
        assert_eq!(n.title, "New message from Maya");
        assert_eq!(n.body, "Can we talk?");
        let off = NotificationPrefs {
            inbound_message: false,
            ..prefs
        };
        assert!(notice_for(&entry(ActivityKind::MessageReceived, None), &off, me).is_none());
        // Sending is not a trigger.
        assert!(notice_for(&entry(ActivityKind::MessageSent, Some(me)), &prefs, me).is_none());
    }

    #[test]
    fn my_own_win_does_not_notify_me_but_a_teammates_does() {
        let me = UserId(Uuid::from_u128(1));
        let teammate = UserId(Uuid::from_u128(2));
        let prefs = NotificationPrefs::default();
        assert!(notice_for(&entry(ActivityKind::LeadConverted, Some(me)), &prefs, me).is_none());
        assert!(notice_for(
            &entry(ActivityKind::LeadConverted, Some(teammate)),
            &prefs,
            me
        )
        .is_some());
    }
}
