//! Team awareness in memory: which tabs are open, which lead each shows, when each was last
//! used. Changes go out as ephemeral frames on their own bus (never the event log); a closed
//! socket leaves at once, a dead one when its heartbeat times out. Rooms are per workspace, so
//! nothing crosses workspace boundaries. With several instances each also knows the tabs open
//! on the others (`peers`): what it is told, kept while it is repeated.
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, UserId, WorkspaceId};
use crate::model::presence::{Member, OnlineStatus, Viewer, TYPING_TTL_MS};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

mod peers;
pub use peers::{run_relay, PeerMessage};

/// An ephemeral frame for the sockets of one workspace.
#[derive(Debug)]
pub struct Ephemeral {
    pub workspace: WorkspaceId,
    pub payload: String,
}

pub struct PresenceHub {
    rooms: Mutex<HashMap<WorkspaceId, Room>>,
    bus: broadcast::Sender<Arc<Ephemeral>>,
    next_tab: AtomicU64,
    away_after: Duration,
    /// To the other instances (see `peers`), once a relay runs.
    to_peers: Mutex<Option<mpsc::UnboundedSender<PeerMessage>>>,
}

#[derive(Default)]
struct Room {
    tabs: HashMap<u64, Tab>,
    /// Tabs open on other instances, by instance: as each last said, and when.
    remote: HashMap<String, (Vec<Tab>, Instant)>,
    /// The last `online` list sent, so only changes go out.
    last_online: Vec<Member>,
}

#[derive(Clone)]
struct Tab {
    user: UserId,
    name: String,
    lead: Option<LeadId>,
    active_at: Instant,
}

impl PresenceHub {
    pub fn new(away_after: Duration) -> PresenceHub {
        let (bus, _) = broadcast::channel(4096);
        PresenceHub {
            rooms: Mutex::new(HashMap::new()),
            bus,
            next_tab: AtomicU64::new(1),
            away_after,
            to_peers: Mutex::new(None),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Ephemeral>> {
        self.bus.subscribe()
    }

    /// A socket opened: the user is online. Returns the tab's id for later calls.
    pub fn join(&self, workspace: WorkspaceId, user: UserId, name: &str) -> u64 {
        let tab = self.next_tab.fetch_add(1, Ordering::Relaxed);
        let mut rooms = self.lock();
        let room = rooms.entry(workspace).or_default();
        room.tabs.insert(
            tab,
            Tab {
                user,
                name: name.to_string(),
                lead: None,
                active_at: Instant::now(),
            },
        );
        self.refresh_online(workspace, room);
        self.share(workspace, room);
        tab
    }

    /// A socket closed (or timed out): it stops viewing, and the user may go offline.
    pub fn leave(&self, workspace: WorkspaceId, tab: u64) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(&workspace) else {
            return;
        };
        if let Some(gone) = room.tabs.remove(&tab) {
            if let Some(lead) = gone.lead {
                self.publish_viewers(workspace, room, lead);
            }
        }
        self.refresh_online(workspace, room);
        self.share(workspace, room);
        if room.tabs.is_empty() && room.remote.is_empty() {
            rooms.remove(&workspace);
        }
    }

    /// The user changed their name: their tabs show the new one to teammates now, in the
    /// online list and beside the leads they view.
    pub fn rename(&self, workspace: WorkspaceId, user: UserId, name: &str) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(&workspace) else {
            return;
        };
        let mut viewed = Vec::new();
        for t in room.tabs.values_mut().filter(|t| t.user == user) {
            t.name = name.to_string();
            viewed.extend(t.lead);
        }
        viewed.sort_unstable();
        viewed.dedup();
        for lead in viewed {
            self.publish_viewers(workspace, room, lead);
        }
        self.refresh_online(workspace, room);
        self.share(workspace, room);
    }

    /// The tab now shows `lead` (already checked to be of this workspace), or none.
    pub fn view(&self, workspace: WorkspaceId, tab: u64, lead: Option<LeadId>) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(&workspace) else {
            return;
        };
        let Some(t) = room.tabs.get_mut(&tab) else {
            return;
        };
        let before = std::mem::replace(&mut t.lead, lead);
        t.active_at = Instant::now();
        if before != lead {
            for changed in [before, lead].into_iter().flatten() {
                self.publish_viewers(workspace, room, changed);
            }
        }
        self.refresh_online(workspace, room);
        self.share(workspace, room);
    }

    /// A keystroke in the tab's composer for `lead`. Ignored unless the tab shows that lead
    /// (which was checked against the workspace when it said so).
    pub fn typing(&self, workspace: WorkspaceId, tab: u64, lead: LeadId) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(&workspace) else {
            return;
        };
        let Some(t) = room.tabs.get_mut(&tab) else {
            return;
        };
        if t.lead != Some(lead) {
            return;
        }
        t.active_at = Instant::now();
        let frame = ServerFrame::Typing {
            lead_id: lead,
            user_id: t.user,
            name: t.name.clone(),
            expires_in_ms: TYPING_TTL_MS,
        };
        self.publish(workspace, &frame);
        self.tell_peers(PeerMessage::typing(workspace, &frame));
        self.refresh_online(workspace, room);
    }

    /// The person used the tab.
    pub fn active(&self, workspace: WorkspaceId, tab: u64) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(&workspace) else {
            return;
        };
        let mut woke = false;
        if let Some(t) = room.tabs.get_mut(&tab) {
            woke = t.active_at.elapsed() >= self.away_after;
            t.active_at = Instant::now();
        }
        self.refresh_online(workspace, room);
        if woke {
            // Away → online is news for the other instances; a busy tab is not.
            self.share(workspace, room);
        }
    }

    /// Everything a socket needs on going live: who is online, who views which lead.
    pub fn snapshot(&self, workspace: WorkspaceId) -> Vec<ServerFrame> {
        let rooms = self.lock();
        let Some(room) = rooms.get(&workspace) else {
            return Vec::new();
        };
        let mut frames = vec![ServerFrame::Online {
            users: self.online(room),
        }];
        let mut leads: Vec<LeadId> = all_tabs(room).filter_map(|t| t.lead).collect();
        leads.sort_by_key(|l| l.to_string());
        leads.dedup();
        for lead in leads {
            frames.push(ServerFrame::Presence {
                lead_id: lead,
                viewers: viewers(room, lead),
            });
        }
        frames
    }

    /// Moves idle users to "away"; run every few seconds.
    pub fn sweep(&self) {
        let mut rooms = self.lock();
        for (workspace, room) in rooms.iter_mut() {
            self.expire_peers(*workspace, room);
            self.refresh_online(*workspace, room);
        }
        rooms.retain(|_, room| !room.tabs.is_empty() || !room.remote.is_empty());
    }

    fn online(&self, room: &Room) -> Vec<Member> {
        let mut users: BTreeMap<(String, UserId), OnlineStatus> = BTreeMap::new();
        for t in all_tabs(room) {
            let status = if t.active_at.elapsed() < self.away_after {
                OnlineStatus::Online
            } else {
                OnlineStatus::Away
            };
            let entry = users
                .entry((t.name.clone(), t.user))
                .or_insert(OnlineStatus::Away);
            if status == OnlineStatus::Online {
                *entry = OnlineStatus::Online;
            }
        }
        users
            .into_iter()
            .map(|((name, user_id), status)| Member {
                user_id,
                name,
                status,
            })
            .collect()
    }

    fn refresh_online(&self, workspace: WorkspaceId, room: &mut Room) {
        let now = self.online(room);
        if now != room.last_online {
            self.publish(workspace, &ServerFrame::Online { users: now.clone() });
            room.last_online = now;
        }
    }

    fn publish_viewers(&self, workspace: WorkspaceId, room: &Room, lead: LeadId) {
        self.publish(
            workspace,
            &ServerFrame::Presence {
                lead_id: lead,
                viewers: viewers(room, lead),
            },
        );
    }

    fn publish(&self, workspace: WorkspaceId, frame: &ServerFrame) {
        match serde_json::to_string(frame) {
            // No subscribers is fine: nobody is connected.
            Ok(payload) => {
                let _ = self.bus.send(Arc::new(Ephemeral { workspace, payload }));
            }
            Err(e) => tracing::error!(error = %e, "could not encode a presence frame"),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<WorkspaceId, Room>> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The room's tabs on this instance and on the others.
fn all_tabs(room: &Room) -> impl Iterator<Item = &Tab> {
    room.tabs
        .values()
        .chain(room.remote.values().flat_map(|(tabs, _)| tabs))
}

/// The distinct users viewing `lead`, by name.
fn viewers(room: &Room, lead: LeadId) -> Vec<Viewer> {
    let mut seen: BTreeMap<(String, UserId), ()> = BTreeMap::new();
    for t in all_tabs(room).filter(|t| t.lead == Some(lead)) {
        seen.insert((t.name.clone(), t.user), ());
    }
    seen.into_keys()
        .map(|(name, user_id)| Viewer { user_id, name })
        .collect()
}

/// Leaves the hub when dropped: every way a socket ends takes its tab out.
pub struct TabGuard {
    pub hub: Arc<PresenceHub>,
    pub workspace: WorkspaceId,
    pub tab: u64,
}

impl Drop for TabGuard {
    fn drop(&mut self) {
        self.hub.leave(self.workspace, self.tab);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(rx: &mut broadcast::Receiver<Arc<Ephemeral>>) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        while let Ok(e) = rx.try_recv() {
            out.push(serde_json::from_str(&e.payload).unwrap());
        }
        out
    }

    #[test]
    fn viewers_join_and_leave_a_lead() {
        let hub = PresenceHub::new(Duration::from_secs(300));
        let mut rx = hub.subscribe();
        let (ws, lead) = (WorkspaceId::new_random(), LeadId::new_random());
        let (alice, bob) = (UserId::new_random(), UserId::new_random());
        let a = hub.join(ws, alice, "Alice");
        let b = hub.join(ws, bob, "Bob");
        hub.view(ws, a, Some(lead));
        hub.view(ws, b, Some(lead));
        let last = frames(&mut rx)
            .into_iter()
            .rev()
            .find(|f| f["type"] == "presence")
            .unwrap();
        assert_eq!(last["viewers"].as_array().unwrap().len(), 2);
        hub.leave(ws, b);
        let after = frames(&mut rx);
        let presence = after.iter().find(|f| f["type"] == "presence").unwrap();
        assert_eq!(presence["viewers"][0]["name"], "Alice");
        assert_eq!(presence["viewers"].as_array().unwrap().len(), 1);
        let online = after.iter().find(|f| f["type"] == "online").unwrap();
        assert_eq!(
            online["users"].as_array().unwrap().len(),
            1,
            "Bob went offline"
        );
    }

    #[test]
    fn a_rename_reaches_the_online_list_and_the_viewers_at_once() {
        let hub = PresenceHub::new(Duration::from_secs(300));
        let mut rx = hub.subscribe();
        let (ws, lead) = (WorkspaceId::new_random(), LeadId::new_random());
        let (alice, bob) = (UserId::new_random(), UserId::new_random());
        let a = hub.join(ws, alice, "Alice");
        hub.join(ws, bob, "Bob");
        hub.view(ws, a, Some(lead));
        frames(&mut rx);
        hub.rename(ws, alice, "Alice Smith");
        let after = frames(&mut rx);
        let presence = after.iter().find(|f| f["type"] == "presence").unwrap();
        assert_eq!(presence["viewers"][0]["name"], "Alice Smith");
        let online = after.iter().find(|f| f["type"] == "online").unwrap();
        let names: Vec<_> = online["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].clone())
            .collect();
        assert_eq!(names, ["Alice Smith", "Bob"]);
    }

    #[test]
    fn typing_only_counts_for_the_lead_the_tab_shows() {
        let hub = PresenceHub::new(Duration::from_secs(300));
        let mut rx = hub.subscribe();
        let ws = WorkspaceId::new_random();
        let (lead, other) = (LeadId::new_random(), LeadId::new_random());
        let tab = hub.join(ws, UserId::new_random(), "Alice");
        hub.typing(ws, tab, lead);
        assert!(frames(&mut rx).iter().all(|f| f["type"] != "typing"));
        hub.view(ws, tab, Some(lead));
        hub.typing(ws, tab, other);
        hub.typing(ws, tab, lead);
        let typing: Vec<_> = frames(&mut rx)
            .into_iter()
            .filter(|f| f["type"] == "typing")
            .collect();
        assert_eq!(typing.len(), 1);
        assert_eq!(typing[0]["expires_in_ms"], TYPING_TTL_MS);
    }

    #[test]
    fn idle_users_turn_away_and_activity_brings_them_back() {
        let hub = PresenceHub::new(Duration::from_millis(0));
        let mut rx = hub.subscribe();
        let ws = WorkspaceId::new_random();
        hub.join(ws, UserId::new_random(), "Alice");
        hub.sweep();
        let last = frames(&mut rx).pop().unwrap();
        assert_eq!(last["users"][0]["status"], "away");

        let hub = PresenceHub::new(Duration::from_secs(300));
        let mut rx = hub.subscribe();
        let tab = hub.join(ws, UserId::new_random(), "Bob");
        hub.active(ws, tab);
        assert_eq!(
            frames(&mut rx).pop().unwrap()["users"][0]["status"],
            "online"
        );
    }

    #[test]
    fn workspaces_never_see_each_other() {
        let hub = PresenceHub::new(Duration::from_secs(300));
        let mut rx = hub.subscribe();
        let (ours, theirs) = (WorkspaceId::new_random(), WorkspaceId::new_random());
        let lead = LeadId::new_random();
        let tab = hub.join(theirs, UserId::new_random(), "Eve");
        hub.view(theirs, tab, Some(lead));
        while let Ok(e) = rx.try_recv() {
            assert_eq!(e.workspace, theirs);
        }
        assert!(hub.snapshot(ours).is_empty());
        assert_eq!(hub.snapshot(theirs).len(), 2);
    }

    #[test]
    fn a_dropped_guard_leaves() {
        let hub = Arc::new(PresenceHub::new(Duration::from_secs(300)));
        let ws = WorkspaceId::new_random();
        let tab = hub.join(ws, UserId::new_random(), "Alice");
        drop(TabGuard {
            hub: hub.clone(),
            workspace: ws,
            tab,
        });
        assert!(hub.snapshot(ws).is_empty());
    }
}
