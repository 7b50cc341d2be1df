//! Writes and their events on PostgreSQL, where several instances write to one database.
//!
//! Ordering: every write that may append events first takes one transaction-scoped advisory
//! lock (`pg_advisory_xact_lock`), held until its COMMIT. Writes that append events therefore
//! commit one at a time, in the order they took their seqs: a seq is never visible before the
//! seqs below it, on any instance, and what a write read after taking the lock (the workspace's
//! last seq, the feed's last number) cannot change before it commits — the same guarantee the
//! single writer gives on SQLite.
//!
//! Publishing: a write NOTIFYs `leadwire_events` inside its transaction (PostgreSQL delivers
//! it at COMMIT, to every instance); each instance's doorbell task then reads the log after the
//! last position it published, in order, and hands those events to its sockets. The
//! notification carries nothing: a missed or merged one loses nothing, since the next read
//! starts where the last one ended.
//!
//! Round trips: the lock is held until COMMIT, so every round trip of a write is time no other
//! write on any instance can use. The lock and the NOTIFY travel as one (a write that ends up
//! appending nothing rings the doorbells for nothing: they read an empty page, as they do
//! every second anyway), and a send's writes travel as one statement (`Script::fused`).
//! Sends run on a thread of their own, with connections made there (their sockets wake that
//! thread), so that the holder's next round trip does not wait for a turn on a runtime busy
//! with sockets (`write_thread`). Before it, sends waited 82 ms on average for a lock whose
//! statements took ~2 ms.
use super::events::LoggedEvent;
use super::write_counts::Counts;
use super::write_thread::WriteThread;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The advisory lock every event-appending write holds until it commits ("Leadwire").
pub const WRITE_LOCK: i64 = 0x4c65_6164_7769_7265;
/// The channel the doorbell listens on.
const CHANNEL: &str = "leadwire_events";
/// Credentials that just ended on some instance (a sign-out, a revoked token), for the sockets
/// riding on them on every instance; the payload names the credential (see `revocations`).
const REVOKED: &str = "leadwire_revocations";
/// Takes a write's lock and rings the doorbells at its COMMIT, in one round trip (a simple query,
/// which may hold several statements); write transactions also plan their statements once.
static LOCK_WRITE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SET LOCAL plan_cache_mode = force_generic_plan; \
         SELECT pg_advisory_xact_lock({WRITE_LOCK}); NOTIFY {CHANNEL}"
    )
});
/// Connections of the write thread: sends waiting for the lock each hold one.
const WRITE_CONNECTIONS: u32 = 16;
/// Events read per round of the doorbell.
const PAGE: i64 = 1000;
/// How often the doorbell reads the log even without a notification: a safety net for a
/// notification lost with a dropped listening connection.
const SWEEP: Duration = Duration::from_secs(1);

pub(super) struct PgWrites {
    pool: PgPool,
    counts: Arc<Counts>,
    listening: Arc<AtomicBool>,
    /// What the doorbell heard on [`REVOKED`]; `None` when it may have missed some (its
    /// listening connection dropped), so that sockets check their credentials themselves.
    revoked: broadcast::Sender<Option<Arc<str>>>,
    /// Where sends run (see `write_thread`).
    thread: WriteThread,
    /// The write thread's own connections.
    thread_pool: PgPool,
}

/// One write: its own transaction, holding the write lock.
pub(super) struct PgWrite {
    /// Taken when it commits; dropped uncommitted, PostgreSQL rolls it back.
    tx: Option<Transaction<'static, Postgres>>,
    counts: Arc<Counts>,
    /// Holds the write lock (see [`PgWrites::begin_unordered`] for one that does not).
    ordered: bool,
}

impl PgWrites {
    /// Starts the doorbell task that publishes committed events to `published`.
    pub(super) async fn start(
        pool: PgPool,
        published: broadcast::Sender<Arc<LoggedEvent>>,
    ) -> Result<PgWrites, sqlx::Error> {
        // Started first: a thread that cannot start leaves no doorbell task behind.
        let thread = WriteThread::start("pg-writes").map_err(sqlx::Error::Io)?;
        let options = (*pool.connect_options()).clone();
        // Made on the thread, so that its connections are opened there and wake it.
        let thread_pool = thread
            .run(async move {
                Ok(PgPoolOptions::new()
                    .max_connections(WRITE_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_lazy_with(options))
            })
            .await?;
        let counts = Arc::new(Counts::default());
        let listening = Arc::new(AtomicBool::new(false));
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen_all([CHANNEL, REVOKED]).await?;
        let revoked = broadcast::channel(1024).0;
        listening.store(true, Ordering::Relaxed);
        // Listening first, then reading where the log is: nothing committed after this read
        // can be missed.
        let (from,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM events")
            .fetch_one(&pool)
            .await?;
        tokio::spawn(doorbell(
            listener,
            pool.clone(),
            from,
            published,
            counts.clone(),
            listening.clone(),
            revoked.clone(),
        ));
        Ok(PgWrites {
            pool,
            counts,
            listening,
            revoked,
            thread,
            thread_pool,
        })
    }

    pub(super) async fn begin(&self) -> Result<PgWrite, sqlx::Error> {
        // On the write thread, its own connections (their sockets wake that thread).
        let pool = if self.thread.here() {
            &self.thread_pool
        } else {
            &self.pool
        };
        // BEGIN on its own first: sqlx rolls back a dropped or failed transaction only once its
        // BEGIN has completed. Were the lock part of the BEGIN's query, a caller that gave up
        // waiting for it (the health check's timeout) or a lock wait cut short (a
        // `lock_timeout`, a cancelled backend) would return a connection to the pool inside a
        // transaction — holding the lock, or aborted. The BEGIN is before the lock, so its
        // round trip costs no other write anything.
        let mut tx = pool.begin().await?;
        // Without arguments, sqlx sends it as a simple query: its three statements in one.
        sqlx::Executor::execute(&mut *tx, LOCK_WRITE.as_str()).await?;
        Ok(PgWrite {
            tx: Some(tx),
            counts: self.counts.clone(),
            ordered: true,
        })
    }

    /// A write that appends no events: a plain transaction on the pool, without the write lock
    /// (which every instance's event-appending writes queue for) and without ringing every
    /// instance's doorbell.
    pub(super) async fn begin_unordered(&self) -> Result<PgWrite, sqlx::Error> {
        Ok(PgWrite {
            tx: Some(self.pool.begin().await?),
            counts: self.counts.clone(),
            ordered: false,
        })
    }

    /// The write thread, unless the caller already runs on it.
    pub(super) fn write_thread(&self) -> Option<&WriteThread> {
        (!self.thread.here()).then_some(&self.thread)
    }

    pub(super) fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Tells every instance (this one too) that the credential `name` ended.
    pub(super) async fn ring_revoked(&self, name: &str) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(REVOKED)
            .bind(name)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    pub(super) fn subscribe_revoked(&self) -> broadcast::Receiver<Option<Arc<str>>> {
        self.revoked.subscribe()
    }

    /// Whether the doorbell's connection is listening (for `/healthz`).
    pub(super) fn doorbell_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }
}

impl PgWrite {
    /// Whether it holds the write lock, without which it must append no events.
    pub(super) fn ordered(&self) -> bool {
        self.ordered
    }

    pub(super) fn conn(&mut self) -> &mut PgConnection {
        self.tx.as_mut().expect("a write runs until it commits")
    }

    /// Commits; every instance's doorbell then reads and publishes what it appended.
    pub(super) async fn commit(&mut self) -> Result<(), sqlx::Error> {
        let tx = self.tx.take().expect("a write commits once");
        tx.commit().await?;
        // Counted are the writes that queue for the lock (group commit's figures).
        if self.ordered {
            self.counts.writes.fetch_add(1, Ordering::Relaxed);
            self.counts.commits.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Reads and publishes the log after `from` on every notification (and every [`SWEEP`]).
async fn doorbell(
    mut listener: PgListener,
    pool: PgPool,
    mut from: i64,
    published: broadcast::Sender<Arc<LoggedEvent>>,
    counts: Arc<Counts>,
    listening: Arc<AtomicBool>,
    revoked: broadcast::Sender<Option<Arc<str>>>,
) {
    loop {
        let heard = tokio::time::timeout(SWEEP, listener.try_recv()).await;
        match heard {
            Ok(Ok(Some(notification))) if notification.channel() == REVOKED => {
                let _ = revoked.send(Some(notification.payload().into()));
                // Nothing was appended to the log: no read.
                continue;
            }
            // A notification, or none within the sweep: read the log either way.
            Ok(Ok(Some(_))) | Err(_) => {
                if !listening.swap(true, Ordering::Relaxed) {
                    // Listening again after a drop: what was announced meanwhile is lost.
                    let _ = revoked.send(None);
                }
            }
            // The connection dropped: sqlx reconnects on the next call; the read below
            // catches up on whatever was notified meanwhile.
            Ok(Ok(None)) | Ok(Err(_)) => {
                // What is announced from now on is lost until the connection is back: the
                // sockets are told to check then (above), once.
                listening.store(false, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        loop {
            let page: Result<Vec<LoggedEvent>, sqlx::Error> = sqlx::query_as(
                "SELECT ws_seq, seq, workspace_id, user_id, kind, payload FROM events \
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(from)
            .bind(PAGE)
            .fetch_all(&pool)
            .await;
            let Ok(page) = page else {
                break;
            };
            let full = page.len() as i64 == PAGE;
            for event in page {
                from = event.log_position;
                counts.events.fetch_add(1, Ordering::Relaxed);
                let _ = published.send(Arc::new(event));
            }
            if !full {
                break;
            }
        }
    }
}
