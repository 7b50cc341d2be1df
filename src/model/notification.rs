//! Which events notify a user (toast, sound, browser notification): the triggers and a user's
//! preferences. How a logged event is recognised as one of them is `notice`.
use serde::{Deserialize, Serialize};

/// A user's notification preferences, stored server-side. Everything is on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPrefs {
    pub inbound_message: bool,
    pub email_opened: bool,
    pub link_clicked: bool,
    pub lead_converted: bool,
    pub meeting_booked: bool,
    pub sound: bool,
}

impl Default for NotificationPrefs {
    fn default() -> Self {
        NotificationPrefs {
            inbound_message: true,
            email_opened: true,
            link_clicked: true,
            lead_converted: true,
            meeting_booked: true,
            sound: true,
        }
    }
}

/// The events that can notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    InboundMessage,
    EmailOpened,
    LinkClicked,
    LeadConverted,
    MeetingBooked,
}

impl Trigger {
    pub const ALL: [Trigger; 5] = [
        Trigger::InboundMessage,
        Trigger::EmailOpened,
        Trigger::LinkClicked,
        Trigger::LeadConverted,
        Trigger::MeetingBooked,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Trigger::InboundMessage => "A lead sends a message",
            Trigger::EmailOpened => "A lead opens an email",
            Trigger::LinkClicked => "A lead clicks a link in an email",
            Trigger::LeadConverted => "A lead is won",
            Trigger::MeetingBooked => "A meeting is booked",
        }
    }

    pub fn enabled(self, prefs: &NotificationPrefs) -> bool {
        match self {
            Trigger::InboundMessage => prefs.inbound_message,
            Trigger::EmailOpened => prefs.email_opened,
            Trigger::LinkClicked => prefs.link_clicked,
            Trigger::LeadConverted => prefs.lead_converted,
            Trigger::MeetingBooked => prefs.meeting_booked,
        }
    }

    pub fn set(self, prefs: &mut NotificationPrefs, on: bool) {
        match self {
            Trigger::InboundMessage => prefs.inbound_message = on,
            Trigger::EmailOpened => prefs.email_opened = on,
            Trigger::LinkClicked => prefs.link_clicked = on,
            Trigger::LeadConverted => prefs.lead_converted = on,
            Trigger::MeetingBooked => prefs.meeting_booked = on,
        }
    }
}
