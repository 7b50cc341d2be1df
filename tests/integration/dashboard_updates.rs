//! When the dashboard coalescer logs an update (`Store::log_dashboard_update`): unless a logged
//! update's figures count the burst already. What an update counted is the workspace head read
//! before its figures, not its own place in the log, so a send that commits while the figures
//! are computed is never left out of every later update.
use crate::support::{store_database, workspace_with_lead};
use leadwire::model::analytics::Analytics;
use leadwire::model::channel::Channel;
use leadwire::model::ids::{LeadId, UserId, WorkspaceId};
use leadwire::model::kpi::{DashboardQuery, Kpis};
use leadwire::model::message::{CollisionGuard, Direction, MessageFields};
use leadwire::server::store::Store;
use serde_json::Value;

struct Workspace {
    store: Store,
    id: WorkspaceId,
    owner: UserId,
    lead: LeadId,
}

impl Workspace {
    async fn open(dir: &std::path::Path) -> (Workspace, Option<crate::support::ScratchDatabase>) {
        let (url, scratch) = store_database(dir, "dashboard.db").await;
        let store = Store::open(&url).await.unwrap();
        let (id, owner, lead) = workspace_with_lead(&store).await;
        let workspace = Workspace {
            store,
            id,
            owner,
            lead,
        };
        (workspace, scratch)
    }

    /// Sends a chat message; returns the head after it, as the coalescer notes its last change.
    async fn send(&self, body: &str) -> i64 {
        let fields = MessageFields {
            channel: Channel::Chat,
            direction: Direction::Outbound,
            subject: None,
            body: body.into(),
            client_id: uuid::Uuid::new_v4(),
            guard: CollisionGuard::Off,
            template: None,
            attachments: Vec::new(),
        };
        self.store
            .record_message(self.id, self.lead, Some(self.owner), &fields, None)
            .await
            .unwrap();
        self.head().await
    }

    async fn head(&self) -> i64 {
        self.store.event_window(self.id).await.unwrap().head
    }

    /// The default view's figures, as the coalescer computes them.
    async fn figures(&self) -> (Kpis, Analytics) {
        let query = DashboardQuery::default();
        let now = chrono::Utc::now();
        let stats = self.store.kpis(self.id, &query, now).await.unwrap();
        let charts = self.store.analytics(self.id, &query, now).await.unwrap();
        (stats, charts)
    }

    async fn log(&self, through: i64, basis: i64, (stats, charts): (Kpis, Analytics)) -> bool {
        self.store
            .log_dashboard_update(self.id, through, basis, stats, charts)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_send_committed_while_the_figures_are_computed_gets_an_update_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _scratch) = Workspace::open(dir.path()).await;
    let mut published = w.store.subscribe_events();
    let first = w.send("first").await;
    // A round for the first send reads the head and computes its figures…
    let basis = w.head().await;
    let figures = w.figures().await;
    assert_eq!(figures.0.sent_today, 1);
    // …while a second send commits…
    let second = w.send("second").await;
    // …and logs them after it: above the second send in the log, without it in the figures.
    assert!(w.log(first, basis, figures).await);
    // The second send's round (on this instance or another) still logs, counting it.
    let basis = w.head().await;
    let figures = w.figures().await;
    assert!(w.log(second, basis, figures.clone()).await);
    // An instance whose round saw the same send finds it counted and logs nothing more.
    assert!(!w.log(second, basis, figures).await);

    // Published in log order; on PostgreSQL they reach subscribers through the database's
    // notifications, a moment after the commit, so wait for the two that were logged.
    let mut updates = Vec::new();
    while updates.len() < 2 {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), published.recv())
            .await
            .expect("both logged updates are published")
            .unwrap();
        if event.kind.as_str() == "stats_updated" {
            let frame: Value = serde_json::from_str(&event.payload).unwrap();
            updates.push(frame["stats"]["sent_today"].as_i64().unwrap());
        }
    }
    assert_eq!(updates, [1, 2]);
}

/// A slow round for an earlier change (another instance's) finds a later update that counted
/// it and logs nothing; the next change is still uncounted.
#[tokio::test]
async fn a_slow_round_for_a_change_counted_since_logs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _scratch) = Workspace::open(dir.path()).await;
    let first = w.send("first").await;
    let early_basis = w.head().await;
    let early = w.figures().await;
    let second = w.send("second").await;
    let basis = w.head().await;
    assert!(w.log(second, basis, w.figures().await).await);
    // The slow round for the first send: counted already, nothing logged.
    assert!(!w.log(first, early_basis, early).await);
    let third = w.send("third").await;
    let basis = w.head().await;
    assert!(w.log(third, basis, w.figures().await).await);
    assert!(!w.log(second, basis, w.figures().await).await);
}

/// After the coalescer falls behind the published events it asks the log which workspaces
/// changed since the last event it saw: each one with a change of those kinds after that log
/// position, and the workspace seq of its latest such change.
#[tokio::test]
async fn after_a_lag_the_log_names_what_changed_since_the_last_event_seen() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _scratch) = Workspace::open(dir.path()).await;
    let mut published = w.store.subscribe_events();
    let kinds = ["messages_updated"];
    w.send("first").await;
    let seen = next_message(&mut published).await.log_position;
    let changed = w.store.workspaces_with_events_after(seen, &kinds).await;
    assert_eq!(changed.unwrap(), vec![]);

    w.send("second").await;
    let latest = next_message(&mut published).await.seq;
    let changed = w.store.workspaces_with_events_after(seen, &kinds).await;
    assert_eq!(changed.unwrap(), vec![(w.id, latest)]);
    let other_kinds = w
        .store
        .workspaces_with_events_after(0, &["no_such_kind"])
        .await;
    assert_eq!(other_kinds.unwrap(), vec![]);
}

/// The next message event published (on PostgreSQL, a moment after its send returns).
async fn next_message(
    published: &mut tokio::sync::broadcast::Receiver<
        std::sync::Arc<leadwire::server::store::events::LoggedEvent>,
    >,
) -> std::sync::Arc<leadwire::server::store::events::LoggedEvent> {
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), published.recv())
            .await
            .expect("published within 10 s")
            .unwrap();
        if event.kind.as_str() == "messages_updated" {
            return event;
        }
    }
}
