//! Fan-out per workspace, encoded once. Two dispatcher tasks read the store's committed events and
//! the presence hub's ephemeral frames, turn each into shared frame bytes once, and hand them to
//! the channel of that event's workspace only. A socket listens to its own workspace's channel:
//! a busy workspace never wakes, delays or resets another's sockets, and a frame is one
//! allocation however many sockets send it.
use crate::model::event::{EventKind, ServerFrame};
use crate::model::ids::{UserId, WorkspaceId};
use crate::server::presence::PresenceHub;
use crate::server::store::events::LoggedEvent;
use crate::server::store::Store;
use axum::extract::ws::Utf8Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::{self, error::RecvError};

/// Frames buffered per workspace before a slow socket lags (and replays from the log).
const CHANNEL: usize = 1024;

/// What a socket of the workspace gets.
#[derive(Debug)]
pub enum Outgoing {
    /// A logged event: its workspace seq, its only recipient if private, whether only tabs
    /// showing the dashboard get it, the frame's text.
    Event {
        seq: i64,
        user: Option<UserId>,
        dashboard: bool,
        text: Utf8Bytes,
        /// When the dispatcher took it from the store, right after its commit (for the
        /// socket-delivery lag metric).
        published: std::time::Instant,
    },
    /// Presence, typing, online: no seq, never replayed.
    Ephemeral(Utf8Bytes),
    /// The dispatcher itself fell behind the store: sockets catch up from the log.
    Replay,
    /// The dispatcher fell behind the presence hub: sockets send a fresh snapshot.
    Presence,
}

#[derive(Default)]
pub struct Fanout {
    channels: Mutex<HashMap<WorkspaceId, broadcast::Sender<Arc<Outgoing>>>>,
}

/// A member's new name, on this instance's tabs of theirs too: every instance reads the event
/// from the log, so tabs on another instance than the one that took the rename show it (in
/// the online list and beside the leads they view) as well.
fn rename_tabs(presence: &PresenceHub, event: &LoggedEvent) {
    if let Ok(ServerFrame::MemberRenamed { user_id, name, .. }) =
        serde_json::from_str::<ServerFrame>(&event.payload)
    {
        presence.rename(event.workspace_id, user_id, &name);
    }
}

impl Fanout {
    /// Starts the dispatchers for `store` and `presence`.
    pub fn start(store: &Store, presence: &Arc<PresenceHub>) -> Arc<Fanout> {
        let fanout = Arc::new(Fanout::default());
        let mut events = store.subscribe_events();
        let hub = fanout.clone();
        let tabs = presence.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        if event.kind == EventKind::MemberRenamed {
                            rename_tabs(&tabs, &event);
                        }
                        hub.send(
                            event.workspace_id,
                            Outgoing::Event {
                                seq: event.seq,
                                user: event.user_id,
                                dashboard: event.kind.is_dashboard(),
                                text: Utf8Bytes::from(event.payload.clone()),
                                published: std::time::Instant::now(),
                            },
                        )
                    }
                    Err(RecvError::Lagged(_)) => hub.send_all(|| Outgoing::Replay),
                    Err(RecvError::Closed) => return,
                }
            }
        });
        let mut ephemeral = presence.subscribe();
        let hub = fanout.clone();
        tokio::spawn(async move {
            loop {
                match ephemeral.recv().await {
                    Ok(frame) => hub.send(
                        frame.workspace,
                        Outgoing::Ephemeral(Utf8Bytes::from(frame.payload.clone())),
                    ),
                    Err(RecvError::Lagged(_)) => hub.send_all(|| Outgoing::Presence),
                    Err(RecvError::Closed) => return,
                }
            }
        });
        fanout
    }

    /// A receiver for `workspace`'s frames, from now on.
    pub fn subscribe(&self, workspace: WorkspaceId) -> broadcast::Receiver<Arc<Outgoing>> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels
            .entry(workspace)
            .or_insert_with(|| broadcast::channel(CHANNEL).0)
            .subscribe()
    }

    fn send(&self, workspace: WorkspaceId, frame: Outgoing) {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(channel) = channels.get(&workspace) {
            // Nobody of the workspace connected any more: forget its channel.
            if channel.send(Arc::new(frame)).is_err() {
                channels.remove(&workspace);
            }
        }
    }

    fn send_all(&self, frame: impl Fn() -> Outgoing) {
        let channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        for channel in channels.values() {
            let _ = channel.send(Arc::new(frame()));
        }
    }
}
