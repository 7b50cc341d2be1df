//! The tab's one WebSocket. It resumes by sequence on every (re)connect and wake-up
//! (`visibilitychange`, `online`, `pageshow`), reconnects with backoff and jitter, drops
//! duplicates by `seq`, and hands every logged event to every listener.
use crate::model::event::ServerFrame;
use leptos::prelude::*;
#[cfg(feature = "hydrate")]
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    Connecting,
    Live,
    Reconnecting,
    Offline,
    /// The session ended (signed out elsewhere, expired, revoked): nothing reconnects until the
    /// person signs in again; the page and its unsaved text stay.
    SignedOut,
}

impl ConnStatus {
    pub fn label(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "Connecting…",
            ConnStatus::Live => "Live",
            ConnStatus::Reconnecting => "Reconnecting…",
            ConnStatus::Offline => "Offline",
            ConnStatus::SignedOut => "Signed out",
        }
    }
}

#[cfg(feature = "hydrate")]
type Listener = Rc<dyn Fn(&ServerFrame)>;

/// The real-time context, provided by the signed-in layout.
#[derive(Clone, Copy)]
pub struct Realtime {
    pub status: RwSignal<ConnStatus>,
    /// Bumped when the server answers `reset`: views refetch their data.
    pub resets: RwSignal<u64>,
    /// Bumped on every `messages_updated`, `reads_updated` and `member_renamed` (and on reset):
    /// list views that summarise messages (inbox, dashboard) refetch when it moves.
    pub messages_version: RwSignal<u64>,
    /// Bumped on every `stats_updated` / `analytics_updated` (and on reset): the dashboard's
    /// KPIs and charts refetch for the view they show.
    pub stats_version: RwSignal<u64>,
    /// Bumped on every `leads_updated`, `member_renamed` and every new lead in the feed (and on
    /// reset): lists of leads refetch when it moves.
    pub leads_version: RwSignal<u64>,
    /// Bumped on `workspace_updated` (and on reset): pages that write amounts reread the
    /// workspace's currency.
    pub workspace_version: RwSignal<u64>,
    /// Bumped on `team_changed` and `member_renamed` (and on reset): the choices of a lead's
    /// owner read the team again.
    pub team_version: RwSignal<u64>,
    // Browser-only: server render threads must never hold (or drop) thread-local values.
    #[cfg(feature = "hydrate")]
    /// Each with its id and whether it is still wanted (see `dispatch`).
    listeners: StoredValue<
        Vec<(u64, std::sync::Arc<std::sync::atomic::AtomicBool>, Listener)>,
        LocalStorage,
    >,
    #[cfg(feature = "hydrate")]
    next_id: StoredValue<u64>,
}

impl Realtime {
    /// Calls `listener` with every logged event, in seq order, until the calling component
    /// unmounts. Every event reaches every listener (there is no "last message" to miss).
    /// Listeners also hear `live` and the ephemeral frames (presence, typing, online).
    pub fn on_event(&self, listener: impl Fn(&ServerFrame) + 'static) {
        #[cfg(not(feature = "hydrate"))]
        let _ = listener; // no socket on the server
        #[cfg(feature = "hydrate")]
        self.add_listener(Rc::new(listener));
    }

    #[cfg(feature = "hydrate")]
    fn add_listener(&self, listener: Listener) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        self.listeners
            .update_value(|l| l.push((id, alive.clone(), listener)));
        let listeners = self.listeners;
        on_cleanup(move || {
            alive.store(false, std::sync::atomic::Ordering::Relaxed);
            listeners.try_update_value(|l| l.retain(|(i, _, _)| *i != id));
        });
    }

    #[cfg(feature = "hydrate")]
    fn dispatch(&self, frame: &ServerFrame) {
        // Copy the list first: a listener may add or remove listeners. One removed meanwhile
        // (an earlier listener's change disposed its view: a deleted lead's page) is skipped,
        // since its signals are gone.
        let listeners: Vec<(std::sync::Arc<std::sync::atomic::AtomicBool>, Listener)> = self
            .listeners
            .try_with_value(|l| l.iter().map(|(_, a, f)| (a.clone(), f.clone())).collect())
            .unwrap_or_default();
        for (alive, listener) in listeners {
            if alive.load(std::sync::atomic::Ordering::Relaxed) {
                listener(frame);
            }
        }
        // A rename changes the owner named on inbox rows and lead lists.
        if matches!(
            frame,
            ServerFrame::MessagesUpdated { .. }
                | ServerFrame::ReadsUpdated { .. }
                | ServerFrame::LeadDeleted { .. }
                | ServerFrame::MemberRenamed { .. }
        ) {
            self.messages_version.update(|v| *v += 1);
        }
        if matches!(
            frame,
            ServerFrame::StatsUpdated { .. } | ServerFrame::AnalyticsUpdated { .. }
        ) {
            self.stats_version.update(|v| *v += 1);
        }
        // Leads made by an inbound message or email arrive as a feed entry.
        if matches!(
            frame,
            ServerFrame::LeadsUpdated { .. }
                | ServerFrame::LeadDeleted { .. }
                | ServerFrame::MemberRenamed { .. }
                | ServerFrame::ActivityUpdated {
                    event: crate::model::activity::ActivityKind::LeadCreated,
                    ..
                }
        ) {
            self.leads_version.update(|v| *v += 1);
        }
        if matches!(frame, ServerFrame::WorkspaceUpdated { .. }) {
            self.workspace_version.update(|v| *v += 1);
        }
        if matches!(
            frame,
            ServerFrame::TeamChanged { .. } | ServerFrame::MemberRenamed { .. }
        ) {
            self.team_version.update(|v| *v += 1);
        }
    }
}

/// Creates the context and, in the browser, opens the socket for as long as the caller lives.
pub fn provide_realtime() -> Realtime {
    let realtime = Realtime {
        status: RwSignal::new(ConnStatus::Connecting),
        resets: RwSignal::new(0),
        messages_version: RwSignal::new(0),
        stats_version: RwSignal::new(0),
        leads_version: RwSignal::new(0),
        workspace_version: RwSignal::new(0),
        team_version: RwSignal::new(0),
        #[cfg(feature = "hydrate")]
        listeners: StoredValue::new_local(Vec::new()),
        #[cfg(feature = "hydrate")]
        next_id: StoredValue::new(0),
    };
    provide_context(realtime);
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| untrack(|| connection::start(realtime)));
        on_cleanup(connection::stop);
    }
    realtime
}

pub fn use_realtime() -> Option<Realtime> {
    use_context::<Realtime>()
}

/// Sends `frame` on this tab's socket when it is open (ephemeral frames: lost when offline,
/// and re-sent on going live where that matters). No-op on the server.
pub fn send(frame: &crate::model::event::ClientFrame) -> bool {
    #[cfg(feature = "hydrate")]
    return connection::send_now(frame);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = frame;
        false
    }
}

/// Whether this tab shows the dashboard: only then does the server send it the dashboard's
/// events. The dashboard page says so while it is mounted; kept across reconnects.
pub fn show_dashboard(on: bool) {
    #[cfg(feature = "hydrate")]
    connection::show_dashboard(on);
    #[cfg(not(feature = "hydrate"))]
    let _ = on;
}

#[cfg(feature = "hydrate")]
mod connection;
