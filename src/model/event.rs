//! The real-time wire protocol on `/ws` (JSON text frames), shared by server and client.
use super::activity::{Activity, ActivityKind};
use super::analytics::{Analytics, AnalyticsSummary};
use super::draft::Draft;
use super::ids::{LeadId, UserId};
use super::kpi::Kpis;
use super::message::Message;
use super::presence::{Member, Viewer};
use serde::{Deserialize, Serialize};

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Replay every event after `after`, then stream live ones.
    Resume { after: i64 },
    /// Liveness check; answered with `pong`.
    Ping,
    /// The lead this tab shows (null: none). Teammates see the viewer's avatar on it.
    View { lead_id: Option<LeadId> },
    /// A key was pressed in this tab's composer for `lead_id` (sent at most every 1.5 s).
    Typing { lead_id: LeadId },
    /// The person used this tab (sent at most every 30 s); without it they turn "away".
    Active,
    /// This tab shows the dashboard (`on`) or stopped showing it: only such tabs receive
    /// `stats_updated` and `analytics_updated` (see [`EventKind::is_dashboard`]). Answered with the
    /// same frame once it applies.
    Dashboard { on: bool },
}

/// What kind of frame a logged event is: its `type`, kept beside it in the log so a socket can
/// choose without decoding the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    MessagesUpdated,
    DraftsUpdated,
    LeadsUpdated,
    LeadDeleted,
    ReadsUpdated,
    PrefsUpdated,
    WorkspaceUpdated,
    MemberRenamed,
    TeamChanged,
    ActivityUpdated,
    StatsUpdated,
    AnalyticsUpdated,
    /// A frame that is never logged (presence, typing, pongs), or a kind this version does
    /// not know (a log written by a newer one).
    Other,
}

impl EventKind {
    const ALL: [EventKind; 13] = [
        EventKind::MessagesUpdated,
        EventKind::DraftsUpdated,
        EventKind::LeadsUpdated,
        EventKind::LeadDeleted,
        EventKind::ReadsUpdated,
        EventKind::PrefsUpdated,
        EventKind::WorkspaceUpdated,
        EventKind::MemberRenamed,
        EventKind::TeamChanged,
        EventKind::ActivityUpdated,
        EventKind::StatsUpdated,
        EventKind::AnalyticsUpdated,
        EventKind::Other,
    ];

    pub fn of(frame: &ServerFrame) -> EventKind {
        match frame {
            ServerFrame::MessagesUpdated { .. } => EventKind::MessagesUpdated,
            ServerFrame::DraftsUpdated { .. } => EventKind::DraftsUpdated,
            ServerFrame::LeadsUpdated { .. } => EventKind::LeadsUpdated,
            ServerFrame::LeadDeleted { .. } => EventKind::LeadDeleted,
            ServerFrame::ReadsUpdated { .. } => EventKind::ReadsUpdated,
            ServerFrame::PrefsUpdated { .. } => EventKind::PrefsUpdated,
            ServerFrame::WorkspaceUpdated { .. } => EventKind::WorkspaceUpdated,
            ServerFrame::MemberRenamed { .. } => EventKind::MemberRenamed,
            ServerFrame::TeamChanged { .. } => EventKind::TeamChanged,
            ServerFrame::ActivityUpdated { .. } => EventKind::ActivityUpdated,
            ServerFrame::StatsUpdated { .. } => EventKind::StatsUpdated,
            ServerFrame::AnalyticsUpdated { .. } => EventKind::AnalyticsUpdated,
            _ => EventKind::Other,
        }
    }

    /// The frame's `type` on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MessagesUpdated => "messages_updated",
            EventKind::DraftsUpdated => "drafts_updated",
            EventKind::LeadsUpdated => "leads_updated",
            EventKind::LeadDeleted => "lead_deleted",
            EventKind::ReadsUpdated => "reads_updated",
            EventKind::PrefsUpdated => "prefs_updated",
            EventKind::WorkspaceUpdated => "workspace_updated",
            EventKind::MemberRenamed => "member_renamed",
            EventKind::TeamChanged => "team_changed",
            EventKind::ActivityUpdated => "activity_updated",
            EventKind::StatsUpdated => "stats_updated",
            EventKind::AnalyticsUpdated => "analytics_updated",
            EventKind::Other => "other",
        }
    }

    /// Unknown kinds read as `Other`.
    pub fn parse(raw: &str) -> EventKind {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .unwrap_or(EventKind::Other)
    }

    /// Received only while a tab shows the dashboard.
    pub fn is_dashboard(self) -> bool {
        matches!(self, EventKind::StatsUpdated | EventKind::AnalyticsUpdated)
    }
}

/// Stored as its wire name (TEXT); a name this version does not know reads as `Other` rather
/// than failing the replay that reads it.
#[cfg(feature = "ssr")]
mod event_kind_column {
    use super::EventKind;
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::Database;

    // Generic over the database: the column is text on SQLite and PostgreSQL alike.
    impl<DB: Database> sqlx::Type<DB> for EventKind
    where
        for<'a> &'a str: sqlx::Type<DB>,
    {
        fn type_info() -> DB::TypeInfo {
            <&str as sqlx::Type<DB>>::type_info()
        }

        fn compatible(ty: &DB::TypeInfo) -> bool {
            <&str as sqlx::Type<DB>>::compatible(ty)
        }
    }

    impl<'q, DB: Database> sqlx::Encode<'q, DB> for EventKind
    where
        &'q str: sqlx::Encode<'q, DB>,
    {
        fn encode_by_ref(
            &self,
            buf: &mut <DB as Database>::ArgumentBuffer<'q>,
        ) -> Result<IsNull, BoxDynError> {
            self.as_str().encode_by_ref(buf)
        }
    }

    impl<'r, DB: Database> sqlx::Decode<'r, DB> for EventKind
    where
        &'r str: sqlx::Decode<'r, DB>,
    {
        fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(EventKind::parse(<&str as sqlx::Decode<'r, DB>>::decode(
                value,
            )?))
        }
    }
}

/// Whether a row was created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowAction {
    #[serde(rename = "INSERT")]
    Insert,
    #[serde(rename = "UPDATE")]
    Update,
}

/// What the server sends. Logged events carry their `seq`; the others do not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame on a socket: the newest `seq` right now.
    Hello {
        head: i64,
    },
    /// Replay is done; events from here on are live.
    Live {
        seq: i64,
    },
    /// The client is too far behind to replay: refetch views, then continue after `seq`.
    Reset {
        seq: i64,
        reason: String,
    },
    Pong,
    /// The socket now receives dashboard events (`on`), or no longer does: the answer to the
    /// client's `dashboard`. From here on nothing is missed, so a dashboard refetches once.
    Dashboard {
        on: bool,
    },
    MessagesUpdated {
        seq: i64,
        action: RowAction,
        message: Message,
    },
    /// A lead was created or its details changed (stage, owner, value, addresses): lists and
    /// the lead's page follow it. `lead.version` orders changes to one lead.
    LeadsUpdated {
        seq: i64,
        action: RowAction,
        lead: super::lead::Lead,
    },
    /// A lead was deleted, with its conversation and everything recorded about it: lists drop
    /// it, its page says so, and this device forgets its local draft.
    LeadDeleted {
        seq: i64,
        lead_id: LeadId,
    },
    /// A draft of the receiving user changed (`draft: null` — it was sent or deleted).
    DraftsUpdated {
        seq: i64,
        lead_id: LeadId,
        draft: Option<Draft>,
    },
    /// The receiving user's notification settings changed (in another tab or device): toasts,
    /// sounds and browser notifications follow them at once.
    PrefsUpdated {
        seq: i64,
        prefs: super::notification::NotificationPrefs,
    },
    /// The workspace's currency changed: open pages write amounts in it at once.
    WorkspaceUpdated {
        seq: i64,
        currency: String,
    },
    /// A member of the workspace changed their name: open pages show the new one wherever
    /// they name them (message authors, lead owners, the team list, the top bar).
    MemberRenamed {
        seq: i64,
        user_id: UserId,
        name: String,
    },
    /// Someone joined the workspace (`role` is theirs), an owner changed a member's role, or
    /// removed them (`role` None): team lists and lead owner choices read the team again, and
    /// the member's own open pages show or hide what only owners may do.
    TeamChanged {
        seq: i64,
        user_id: UserId,
        role: Option<super::auth::Role>,
    },
    /// The receiving user's unread count on a lead changed (they read it, or marked it unread).
    ReadsUpdated {
        seq: i64,
        lead_id: LeadId,
        unread: i64,
    },
    /// Something happened to a lead (the activity feed's new entry).
    ActivityUpdated {
        seq: i64,
        event: ActivityKind,
        data: Activity,
    },
    /// The workspace's KPIs moved (coalesced: a burst of changes is one event). `stats` is the
    /// default view (7 days, every channel, UTC days); a dashboard showing another view refetches.
    StatsUpdated {
        seq: i64,
        stats: Kpis,
        timestamp: chrono::DateTime<chrono::Utc>,
    },
    /// The workspace's chart data moved (coalesced like `stats_updated`, same default view).
    AnalyticsUpdated {
        seq: i64,
        data: Analytics,
        summary: AnalyticsSummary,
    },
    /// Ephemeral: who has `lead_id` open now (sent when it changes, and on going live).
    Presence {
        lead_id: LeadId,
        viewers: Vec<Viewer>,
    },
    /// Ephemeral: a teammate is typing to the lead; show it for `expires_in_ms` unless renewed.
    Typing {
        lead_id: LeadId,
        user_id: UserId,
        name: String,
        expires_in_ms: u32,
    },
    /// Ephemeral: every teammate with a tab open, and whether they are active or away.
    Online {
        users: Vec<Member>,
    },
}

impl ServerFrame {
    /// The log position of a logged event.
    pub fn seq(&self) -> Option<i64> {
        match self {
            ServerFrame::MessagesUpdated { seq, .. }
            | ServerFrame::DraftsUpdated { seq, .. }
            | ServerFrame::ReadsUpdated { seq, .. }
            | ServerFrame::PrefsUpdated { seq, .. }
            | ServerFrame::ActivityUpdated { seq, .. }
            | ServerFrame::StatsUpdated { seq, .. }
            | ServerFrame::AnalyticsUpdated { seq, .. }
            | ServerFrame::LeadsUpdated { seq, .. }
            | ServerFrame::LeadDeleted { seq, .. }
            | ServerFrame::WorkspaceUpdated { seq, .. }
            | ServerFrame::MemberRenamed { seq, .. }
            | ServerFrame::TeamChanged { seq, .. } => Some(*seq),
            // Listed rather than `_`: a new logged event must be added above, or clients
            // would drop it as already seen.
            ServerFrame::Hello { .. }
            | ServerFrame::Live { .. }
            | ServerFrame::Reset { .. }
            | ServerFrame::Pong
            | ServerFrame::Dashboard { .. }
            | ServerFrame::Presence { .. }
            | ServerFrame::Typing { .. }
            | ServerFrame::Online { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_use_the_documented_names() {
        let json = serde_json::to_string(&ClientFrame::Resume { after: 7 }).unwrap();
        assert_eq!(json, r#"{"type":"resume","after":7}"#);
        let reset = serde_json::to_value(ServerFrame::Reset {
            seq: 9,
            reason: "x".into(),
        })
        .unwrap();
        assert_eq!(reset["type"], "reset");
        assert_eq!(serde_json::to_value(RowAction::Insert).unwrap(), "INSERT");
        let on: ClientFrame = serde_json::from_str(r#"{"type":"dashboard","on":true}"#).unwrap();
        assert_eq!(on, ClientFrame::Dashboard { on: true });
        let stats = serde_json::to_value(ServerFrame::StatsUpdated {
            seq: 1,
            stats: Default::default(),
            timestamp: chrono::Utc::now(),
        })
        .unwrap();
        let kind = EventKind::parse(stats["type"].as_str().unwrap());
        assert_eq!(kind, EventKind::StatsUpdated);
        assert!(kind.is_dashboard());
        assert!(!EventKind::MessagesUpdated.is_dashboard());
        // Every kind reads back from its wire name; an unknown one is `Other`.
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), kind);
        }
        assert_eq!(EventKind::parse("typing"), EventKind::Other);
    }
}
