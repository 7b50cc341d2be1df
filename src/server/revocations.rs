//! Credentials that just ended — a sign-out, a revoked API token — announced to the open sockets
//! riding on them, which close at once instead of at their next heartbeat. (Session expiry needs
//! no announcement: each socket knows when its session ends.)
use crate::model::ids::{ApiTokenId, WorkspaceId};
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// A session, by the hash of its cookie value.
    Session(String),
    Token(ApiTokenId),
    /// Every credential of a workspace that was deleted.
    Workspace(WorkspaceId),
}

pub struct Revocations {
    sender: broadcast::Sender<Ended>,
}

impl Default for Revocations {
    fn default() -> Self {
        Revocations {
            sender: broadcast::channel(1024).0,
        }
    }
}

impl Revocations {
    /// Tells every socket; a socket that lags behind this channel re-checks its credential in
    /// the database instead (see `realtime`).
    pub fn announce(&self, ended: Ended) {
        // No receiver (no socket open) is not an error.
        let _ = self.sender.send(ended);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Ended> {
        self.sender.subscribe()
    }
}
