//! The real-time wire protocol on `/ws` (JSON text frames), shared by server and client.
use super::draft::Draft;
use super::ids::LeadId;
use super::message::Message;
use serde::{Deserialize, Serialize};

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Replay every event after `after`, then stream live ones.
    Resume { after: i64 },
    /// Liveness check; answered with `pong`.
    Ping,
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
    MessagesUpdated {
        seq: i64,
        action: RowAction,
        message: Message,
    },
    /// A draft of the receiving user changed (`draft: null` — it was sent or deleted).
    DraftsUpdated {
        seq: i64,
        lead_id: LeadId,
        draft: Option<Draft>,
    },
}

impl ServerFrame {
    /// The log position of a logged event.
    pub fn seq(&self) -> Option<i64> {
        match self {
            ServerFrame::MessagesUpdated { seq, .. } | ServerFrame::DraftsUpdated { seq, .. } => {
                Some(*seq)
            }
            _ => None,
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
    }
}
