//! Team awareness in the browser: who views which lead and who is online (kept from the
//! server's ephemeral frames), and what this tab tells the server: the lead it shows, typing
//! (throttled) and activity (throttled, so idle people turn "away").
use super::realtime::{send, Realtime};
use crate::model::event::{ClientFrame, ServerFrame};
use crate::model::ids::{LeadId, UserId};
use crate::model::presence::{Member, OnlineStatus, Viewer, TYPING_THROTTLE_MS};
use leptos::prelude::*;
use std::collections::HashMap;

/// Activity is reported at most this often.
const ACTIVE_THROTTLE_MS: f64 = 30_000.0;

#[derive(Clone, Copy)]
pub struct TeamPresence {
    /// Teammates viewing each lead (this user's own tabs included; views filter them out).
    pub viewers: RwSignal<HashMap<LeadId, Vec<Viewer>>>,
    /// Teammates with a tab open.
    pub online: RwSignal<Vec<Member>>,
    viewing: StoredValue<Option<LeadId>>,
    last_typing: StoredValue<f64>,
    last_active: StoredValue<f64>,
}

impl TeamPresence {
    /// This tab now shows `lead` (or none); re-announced whenever the socket goes live.
    pub fn view(&self, lead: Option<LeadId>) {
        self.viewing.set_value(lead);
        send(&ClientFrame::View { lead_id: lead });
    }

    /// A key was pressed in the composer of `lead`.
    pub fn typing(&self, lead: LeadId) {
        let now = now_ms();
        if now - self.last_typing.get_value() >= TYPING_THROTTLE_MS
            && send(&ClientFrame::Typing { lead_id: lead })
        {
            self.last_typing.set_value(now);
            self.last_active.set_value(now);
        }
    }

    /// The person used this tab.
    pub fn active(&self) {
        let now = now_ms();
        if now - self.last_active.get_value() >= ACTIVE_THROTTLE_MS && send(&ClientFrame::Active) {
            self.last_active.set_value(now);
        }
    }

    /// Online, away, or None (offline).
    pub fn status_of(&self, user: UserId) -> Option<OnlineStatus> {
        self.online
            .with(|m| m.iter().find(|m| m.user_id == user).map(|m| m.status))
    }

    fn on_frame(&self, frame: &ServerFrame) {
        match frame {
            ServerFrame::Live { .. } => {
                // A fresh snapshot follows; re-announce what this tab shows.
                self.viewers.set(HashMap::new());
                send(&ClientFrame::View {
                    lead_id: self.viewing.get_value(),
                });
            }
            ServerFrame::Presence { lead_id, viewers } => self.viewers.update(|all| {
                if viewers.is_empty() {
                    all.remove(lead_id);
                } else {
                    all.insert(*lead_id, viewers.clone());
                }
            }),
            ServerFrame::Online { users } => self.online.set(users.clone()),
            _ => {}
        }
    }
}

/// Creates the context next to the realtime one (in the signed-in layout).
pub fn provide_presence(realtime: Realtime) -> TeamPresence {
    let presence = TeamPresence {
        viewers: RwSignal::new(HashMap::new()),
        online: RwSignal::new(Vec::new()),
        viewing: StoredValue::new(None),
        last_typing: StoredValue::new(0.0),
        last_active: StoredValue::new(0.0),
    };
    provide_context(presence);
    realtime.on_event(move |frame| presence.on_frame(frame));
    #[cfg(feature = "hydrate")]
    {
        let keys = window_event_listener(leptos::ev::keydown, move |_| presence.active());
        let pointer = window_event_listener(leptos::ev::pointerdown, move |_| presence.active());
        on_cleanup(move || {
            keys.remove();
            pointer.remove();
        });
    }
    presence
}

pub fn use_presence() -> Option<TeamPresence> {
    use_context::<TeamPresence>()
}

fn now_ms() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64
}
