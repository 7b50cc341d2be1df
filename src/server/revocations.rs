//! Credentials that just ended — a sign-out, a revoked API token, a deleted workspace —
//! announced to the open sockets riding on them, which close at once. (Session expiry needs no
//! announcement: each socket knows when its session ends.)
//!
//! With several instances on PostgreSQL a socket may be open on another instance than the one
//! that ended its credential: every announcement also rings every instance (`store::revoked`),
//! and each passes what it hears to its own sockets. Should an instance's listening connection
//! drop, announcements made meanwhile are lost: its sockets are then told to check their
//! credentials in the database themselves ([`Ended::Unknown`]).
use crate::model::ids::{ApiTokenId, WorkspaceId};
use crate::server::store::Store;
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// A session, by the hash of its cookie value.
    Session(String),
    Token(ApiTokenId),
    /// Every credential of a workspace that was deleted.
    Workspace(WorkspaceId),
    /// Some credential may have ended without this instance hearing which: every socket checks
    /// its own.
    Unknown,
}

impl Ended {
    /// The name other instances are told.
    fn name(&self) -> String {
        match self {
            Ended::Session(hash) => format!("session:{hash}"),
            Ended::Token(id) => format!("token:{id}"),
            Ended::Workspace(id) => format!("workspace:{id}"),
            Ended::Unknown => "unknown".into(),
        }
    }

    /// What another instance announced (a name nobody could parse counts as unknown: the
    /// sockets then check).
    fn from_name(name: &str) -> Ended {
        let parsed = match name.split_once(':') {
            Some(("session", hash)) if !hash.is_empty() => Some(Ended::Session(hash.to_string())),
            Some(("token", id)) => ApiTokenId::parse(id).map(Ended::Token),
            Some(("workspace", id)) => WorkspaceId::parse(id).map(Ended::Workspace),
            _ => None,
        };
        parsed.unwrap_or(Ended::Unknown)
    }
}

pub struct Revocations {
    sender: broadcast::Sender<Ended>,
    store: Option<Store>,
}

impl Revocations {
    /// Announcements for this instance's sockets and, when `store` has other instances beside
    /// this one (PostgreSQL), for theirs too.
    pub fn start(store: &Store) -> Revocations {
        let sender = broadcast::channel(1024).0;
        let Some(mut heard) = store.subscribe_revoked() else {
            return Revocations {
                sender,
                store: None,
            };
        };
        let local = sender.clone();
        tokio::spawn(async move {
            loop {
                let ended = match heard.recv().await {
                    Ok(Some(name)) => Ended::from_name(&name),
                    Ok(None) | Err(broadcast::error::RecvError::Lagged(_)) => Ended::Unknown,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let _ = local.send(ended);
            }
        });
        Revocations {
            sender,
            store: Some(store.clone()),
        }
    }

    /// Tells every socket, on every instance, once the other instances have been told; a
    /// socket that lags behind this channel re-checks its credential in the database instead
    /// (see `realtime`).
    pub async fn announce(&self, ended: Ended) {
        // No receiver (no socket open) is not an error.
        let _ = self.sender.send(ended.clone());
        if let Some(store) = &self.store {
            // The credential is gone from the database already: a socket on another instance
            // that is not told stays open until it next checks (a reconnect, a lag).
            if let Err(e) = store.ring_revoked(&ended.name()).await {
                tracing::error!(error = %e, "could not tell the other instances a credential ended");
            }
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Ended> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_travel_between_instances_and_garbage_means_check() {
        let token = ApiTokenId::new_random();
        let workspace = WorkspaceId::new_random();
        for ended in [
            Ended::Session("ab12".into()),
            Ended::Token(token),
            Ended::Workspace(workspace),
            Ended::Unknown,
        ] {
            assert_eq!(Ended::from_name(&ended.name()), ended);
        }
        for garbage in ["", "session:", "token:not-a-uuid", "workspace", "other:1"] {
            assert_eq!(Ended::from_name(garbage), Ended::Unknown, "{garbage}");
        }
    }
}
