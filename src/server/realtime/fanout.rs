//! Fan-out per workspace, encoded once. Two dispatcher tasks read the store's committed events and
//! the presence hub's ephemeral frames, turn each into shared frame bytes once, and write them to
//! the sockets of that event's workspace only (`live`: into each socket's WebSocket, without
//! waking its task). A busy workspace never wakes or resets another's sockets (its fan-out
//! delays another's events by at most the round of writes under way), and a frame is one
//! allocation however many sockets send it.
use super::live::Live;
use super::SocketSink;
use crate::model::event::{EventKind, ServerFrame};
use crate::model::ids::{UserId, WorkspaceId};
use crate::server::metrics::Metrics;
use crate::server::presence::PresenceHub;
use crate::server::store::events::LoggedEvent;
use crate::server::store::Store;
use axum::extract::ws::Utf8Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

/// Frames taken from the store (or the presence hub) at once: each socket gets them in one
/// write and one flush.
const MAX_BATCH: usize = 64;

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

/// The sockets of one workspace. Copied on join and leave (rare), shared by every fan-out.
type Sockets = Arc<Vec<Arc<Live<SocketSink>>>>;

pub struct Fanout {
    sockets: Mutex<HashMap<WorkspaceId, Sockets>>,
    metrics: Arc<Metrics>,
}

/// A socket's place in its workspace's fan-out, for as long as it is kept.
pub struct Subscription {
    fanout: Arc<Fanout>,
    workspace: WorkspaceId,
    live: Arc<Live<SocketSink>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut sockets = self.fanout.lock();
        if let Some(list) = sockets.get_mut(&self.workspace) {
            let rest: Vec<_> = list
                .iter()
                .filter(|s| !Arc::ptr_eq(s, &self.live))
                .cloned()
                .collect();
            if rest.is_empty() {
                sockets.remove(&self.workspace);
            } else {
                *list = Arc::new(rest);
            }
        }
    }
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
    pub fn start(store: &Store, presence: &Arc<PresenceHub>, metrics: Arc<Metrics>) -> Arc<Fanout> {
        let fanout = Arc::new(Fanout {
            sockets: Mutex::default(),
            metrics,
        });
        let events = store.subscribe_events();
        let hub = fanout.clone();
        let tabs = presence.clone();
        tokio::spawn(pump(
            events,
            move |event: Arc<LoggedEvent>| {
                if event.kind == EventKind::MemberRenamed {
                    rename_tabs(&tabs, &event);
                }
                (
                    event.workspace_id,
                    Outgoing::Event {
                        seq: event.seq,
                        user: event.user_id,
                        dashboard: event.kind.is_dashboard(),
                        text: Utf8Bytes::from(event.payload.clone()),
                        published: std::time::Instant::now(),
                    },
                )
            },
            || Outgoing::Replay,
            hub,
        ));
        let ephemeral = presence.subscribe();
        tokio::spawn(pump(
            ephemeral,
            |frame: Arc<crate::server::presence::Ephemeral>| {
                (
                    frame.workspace,
                    Outgoing::Ephemeral(Utf8Bytes::from(frame.payload.clone())),
                )
            },
            || Outgoing::Presence,
            fanout.clone(),
        ));
        fanout
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<WorkspaceId, Sockets>> {
        self.sockets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `live` to `workspace`'s sockets: it gets every frame from now on, for as long as the
    /// subscription is kept.
    pub fn subscribe(
        self: &Arc<Self>,
        workspace: WorkspaceId,
        live: Arc<Live<SocketSink>>,
    ) -> Subscription {
        let mut sockets = self.lock();
        let list = sockets.entry(workspace).or_default();
        let mut grown = Vec::with_capacity(list.len() + 1);
        grown.extend(list.iter().cloned());
        grown.push(live.clone());
        *list = Arc::new(grown);
        Subscription {
            fanout: self.clone(),
            workspace,
            live,
        }
    }

    /// Writes `frames` (in order) to the sockets of `workspace`.
    fn send(&self, workspace: WorkspaceId, frames: &[Arc<Outgoing>]) {
        let Some(sockets) = self.lock().get(&workspace).cloned() else {
            return;
        };
        for socket in sockets.iter() {
            socket.offer(frames, &self.metrics);
        }
    }

    /// `frame` to every socket of every workspace.
    fn send_all(&self, frame: Outgoing) {
        let frame = [Arc::new(frame)];
        let all: Vec<Sockets> = self.lock().values().cloned().collect();
        for socket in all.iter().flat_map(|s| s.iter()) {
            socket.offer(&frame, &self.metrics);
        }
    }
}

/// Reads `source` until it closes, and sends what waits there at once, by workspace, in order.
/// `behind` goes to every socket when the dispatcher itself fell behind `source`.
async fn pump<T: Clone>(
    mut source: broadcast::Receiver<T>,
    frame: impl Fn(T) -> (WorkspaceId, Outgoing),
    behind: fn() -> Outgoing,
    hub: Arc<Fanout>,
) {
    let mut batch: Vec<(WorkspaceId, Vec<Arc<Outgoing>>)> = Vec::new();
    loop {
        let mut taken = 0;
        let mut lagged = false;
        let mut next = match source.recv().await {
            Ok(item) => Some(item),
            Err(RecvError::Lagged(_)) => {
                lagged = true;
                None
            }
            Err(RecvError::Closed) => return,
        };
        while let Some(item) = next.take() {
            let (workspace, frame) = frame(item);
            match batch.iter_mut().find(|(w, _)| *w == workspace) {
                Some((_, frames)) => frames.push(Arc::new(frame)),
                None => batch.push((workspace, vec![Arc::new(frame)])),
            }
            taken += 1;
            if taken < MAX_BATCH {
                next = match source.try_recv() {
                    Ok(item) => Some(item),
                    Err(TryRecvError::Lagged(_)) => {
                        lagged = true;
                        None
                    }
                    Err(_) => None,
                };
            }
        }
        // Unconstrained: a fan-out writes to a thousand sockets in one go, and tokio's budget
        // (128 operations a turn) would make every write after that answer "not now".
        tokio::task::unconstrained(async {
            for (workspace, frames) in batch.drain(..) {
                hub.send(workspace, &frames);
            }
            if lagged {
                hub.send_all(behind());
            }
        })
        .await;
        // The socket tasks those writes woke (a slow socket's, say) wait on this thread: let
        // them, and everything else here, run before the next batch.
        tokio::task::yield_now().await;
    }
}
