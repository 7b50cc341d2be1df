//! Presence across instances (PostgreSQL only): each instance tells the others, through
//! PostgreSQL NOTIFY, which tabs are open on it — when they change and every
//! [`SHARE_EVERY`] regardless — and relays typing frames. What another instance said is kept
//! for [`PEER_TTL`]: an instance that dies stops repeating itself, and its people leave the
//! online list and the leads they viewed within that time.
use super::{PresenceHub, Room, Tab};
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, UserId, WorkspaceId};
use crate::server::store::Store;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How often an instance repeats its tabs.
const SHARE_EVERY: Duration = Duration::from_secs(2);
/// How long another instance's word holds without being repeated.
const PEER_TTL: Duration = Duration::from_secs(6);

/// What one instance tells the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum PeerMessage {
    /// Every tab open on the sender in `workspace` (none: all closed).
    Room {
        workspace: WorkspaceId,
        tabs: Vec<PeerTab>,
    },
    /// A typing frame, as its sockets get it.
    Typing {
        workspace: WorkspaceId,
        payload: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerTab {
    user: UserId,
    name: String,
    lead: Option<LeadId>,
    /// Milliseconds since the tab was last used.
    idle_ms: u64,
}

/// A message with the instance it came from.
#[derive(Serialize, Deserialize)]
struct Envelope {
    from: String,
    message: PeerMessage,
}

impl PeerMessage {
    pub(super) fn typing(workspace: WorkspaceId, frame: &ServerFrame) -> PeerMessage {
        PeerMessage::Typing {
            workspace,
            payload: serde_json::to_string(frame).unwrap_or_default(),
        }
    }
}

impl PresenceHub {
    /// Tells the other instances this room's tabs now.
    pub(super) fn share(&self, workspace: WorkspaceId, room: &Room) {
        self.tell_peers(room_message(workspace, room));
    }

    pub(super) fn tell_peers(&self, message: PeerMessage) {
        let to_peers = self.to_peers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(to_peers) = to_peers.as_ref() {
            let _ = to_peers.send(message);
        }
    }

    /// Forgets what instances that fell silent said (and says so to the sockets).
    pub(super) fn expire_peers(&self, workspace: WorkspaceId, room: &mut Room) {
        let gone: Vec<String> = room
            .remote
            .iter()
            .filter(|(_, (_, heard))| heard.elapsed() > PEER_TTL)
            .map(|(instance, _)| instance.clone())
            .collect();
        for instance in gone {
            self.replace_peer(workspace, room, &instance, Vec::new());
        }
    }

    /// What another instance said.
    fn apply_peer(&self, from: &str, message: PeerMessage) {
        match message {
            PeerMessage::Typing { workspace, payload } => {
                let _ = self
                    .bus
                    .send(Arc::new(super::Ephemeral { workspace, payload }));
            }
            PeerMessage::Room { workspace, tabs } => {
                let now = Instant::now();
                let tabs = tabs
                    .into_iter()
                    .map(|t| Tab {
                        user: t.user,
                        name: t.name,
                        lead: t.lead,
                        active_at: now
                            .checked_sub(Duration::from_millis(t.idle_ms))
                            .unwrap_or(now),
                    })
                    .collect();
                let mut rooms = self.lock();
                let room = rooms.entry(workspace).or_default();
                self.replace_peer(workspace, room, from, tabs);
                if room.tabs.is_empty() && room.remote.is_empty() {
                    rooms.remove(&workspace);
                }
            }
        }
    }

    /// Sets what instance `from` has open in the room; the leads whose viewers that changes
    /// and the online list go out to this instance's sockets.
    fn replace_peer(&self, workspace: WorkspaceId, room: &mut Room, from: &str, tabs: Vec<Tab>) {
        let leads_of = |tabs: &[Tab]| tabs.iter().filter_map(|t| t.lead).collect::<Vec<_>>();
        let mut leads = leads_of(&tabs);
        let before: Vec<(LeadId, Vec<crate::model::presence::Viewer>)> = {
            if let Some((old, _)) = room.remote.get(from) {
                leads.extend(leads_of(old));
            }
            leads.sort_by_key(|l| l.to_string());
            leads.dedup();
            leads
                .iter()
                .map(|l| (*l, super::viewers(room, *l)))
                .collect()
        };
        if tabs.is_empty() {
            room.remote.remove(from);
        } else {
            room.remote.insert(from.to_string(), (tabs, Instant::now()));
        }
        for (lead, viewers) in before {
            if super::viewers(room, lead) != viewers {
                self.publish_viewers(workspace, room, lead);
            }
        }
        self.refresh_online(workspace, room);
    }

    /// Every room with tabs on this instance, as the others should hear it.
    fn local_rooms(&self) -> Vec<PeerMessage> {
        self.lock()
            .iter()
            .filter(|(_, room)| !room.tabs.is_empty())
            .map(|(workspace, room)| room_message(*workspace, room))
            .collect()
    }

    fn expire_all_peers(&self) {
        let mut rooms = self.lock();
        for (workspace, room) in rooms.iter_mut() {
            self.expire_peers(*workspace, room);
        }
        rooms.retain(|_, room| !room.tabs.is_empty() || !room.remote.is_empty());
    }
}

fn room_message(workspace: WorkspaceId, room: &Room) -> PeerMessage {
    PeerMessage::Room {
        workspace,
        tabs: room
            .tabs
            .values()
            .map(|t| PeerTab {
                user: t.user,
                name: t.name.clone(),
                lead: t.lead,
                idle_ms: t.active_at.elapsed().as_millis() as u64,
            })
            .collect(),
    }
}

/// Relays presence between this instance and the others while the server runs; returns at
/// once on SQLite (one instance, nothing to relay).
pub async fn run_relay(hub: Arc<PresenceHub>, store: Store) {
    let mut listener = match store.presence_listener().await {
        Ok(Some(listener)) => listener,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "presence across instances: cannot listen");
            return;
        }
    };
    let me = uuid::Uuid::new_v4().to_string();
    let (to_peers, mut outgoing) = mpsc::unbounded_channel();
    *hub.to_peers.lock().unwrap_or_else(|p| p.into_inner()) = Some(to_peers);
    let mut tick = tokio::time::interval(SHARE_EVERY);
    let send = |message: PeerMessage| {
        let store = store.clone();
        let envelope = Envelope {
            from: me.clone(),
            message,
        };
        async move {
            let Ok(payload) = serde_json::to_string(&envelope) else {
                return;
            };
            if let Err(e) = store.notify_presence(&payload).await {
                tracing::warn!(error = %e, "presence across instances: could not tell");
            }
        }
    };
    loop {
        tokio::select! {
            Some(message) = outgoing.recv() => send(message).await,
            heard = listener.recv() => match heard {
                Ok(payload) => match serde_json::from_str::<Envelope>(&payload) {
                    Ok(envelope) if envelope.from != me => {
                        hub.apply_peer(&envelope.from, envelope.message);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "presence across instances: unreadable"),
                },
                // sqlx reconnects on the next call; the next round of shares repairs the rest.
                Err(e) => {
                    tracing::warn!(error = %e, "presence across instances: listening failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
            _ = tick.tick() => {
                hub.expire_all_peers();
                for message in hub.local_rooms() {
                    send(message).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(
        rx: &mut tokio::sync::broadcast::Receiver<Arc<super::super::Ephemeral>>,
    ) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        while let Ok(e) = rx.try_recv() {
            out.push(serde_json::from_str(&e.payload).unwrap());
        }
        out
    }

    #[test]
    fn another_instances_viewer_shows_and_leaves_when_it_falls_silent() {
        let hub = PresenceHub::new(Duration::from_secs(300));
        let mut rx = hub.subscribe();
        let (ws, lead, user) = (
            WorkspaceId::new_random(),
            LeadId::new_random(),
            UserId::new_random(),
        );
        let tab = PeerTab {
            user,
            name: "Ada".into(),
            lead: Some(lead),
            idle_ms: 0,
        };
        hub.apply_peer(
            "b",
            PeerMessage::Room {
                workspace: ws,
                tabs: vec![tab],
            },
        );
        let shown = frames(&mut rx);
        assert!(shown
            .iter()
            .any(|f| f["type"] == "presence" && f["viewers"][0]["name"] == "Ada"));
        assert!(shown
            .iter()
            .any(|f| f["type"] == "online" && f["users"][0]["name"] == "Ada"));
        // Silent past the TTL: gone.
        {
            let mut rooms = hub.lock();
            let room = rooms.get_mut(&ws).unwrap();
            room.remote.get_mut("b").unwrap().1 =
                Instant::now() - PEER_TTL - Duration::from_secs(1);
        }
        hub.expire_all_peers();
        let gone = frames(&mut rx);
        assert!(gone
            .iter()
            .any(|f| f["type"] == "presence" && f["viewers"].as_array().unwrap().is_empty()));
        assert!(hub.snapshot(ws).is_empty());
    }
}
