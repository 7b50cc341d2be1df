//! The store boundary: all SQL lives below this module; callers see domain operations only.
//! SQLite (WAL, foreign keys on, fsync on every commit) is the embedded default; PostgreSQL
//! (`postgres://` URLs) serves several instances sharing one database (see `db`).
pub mod account_emails;
pub mod activity;
mod address_buckets;
pub mod api_tokens;
pub mod channels;
pub mod connections;
pub mod copy_to_postgres;
pub(crate) mod db;
pub mod deletion;
pub mod deliveries;
mod dialect;
pub mod drafts;
pub mod emails;
pub mod events;
mod hit_folding;
pub mod inbound_emails;
pub mod inbox;
pub mod invites;
pub mod kpis;
pub mod leads;
pub mod mailboxes;
pub mod meetings;
pub mod message_rows;
pub mod messages;
pub mod notification_prefs;
pub mod outbound;
pub mod pg_presence;
mod pg_writes;
#[cfg(test)]
mod query_plan;
pub mod reads;
mod revoked;
mod rollups;
mod script;
pub mod sessions;
mod sign_in_failures;
pub mod templates;
pub mod tracking;
pub mod turns;
pub mod uploads;
pub mod users;
pub mod workspaces;
mod write_counts;
mod write_thread;
mod writer;

use chrono::{DateTime, SubsecRound, Utc};
use db::{Backend, Db};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// How many committed events a slow socket may fall behind in memory before it replays from
/// the database instead.
const EVENT_BUFFER: usize = 4096;

/// How long a SQLite statement waits for a lock another connection holds before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Store {
    /// Readers (on SQLite read-only: every write goes through `writes`; on PostgreSQL also the
    /// writes that need no order, such as rate limits).
    db: Db,
    /// How writes that append events run, so that `seq` order is commit order and events are
    /// published in that order (a socket never sees 8 before 7).
    writes: Writes,
    events: broadcast::Sender<Arc<events::LoggedEvent>>,
}

#[derive(Clone)]
enum Writes {
    /// The one writer connection and its group commit (see `writer`).
    Sqlite(Arc<writer::GroupCommit>),
    /// A transaction per write under one advisory lock, and the doorbell (see `pg_writes`).
    Postgres(Arc<pg_writes::PgWrites>),
}

impl Store {
    /// Opens the database at `url` — a SQLite file (created if needed) or, for `postgres://`
    /// URLs, a PostgreSQL database — and runs its embedded migrations.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Store::open_postgres(url).await;
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an acknowledged write survives power loss, as the README promises.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // SQLite's temporary files (transient tables, statement journals) in memory: with
            // its default every send created, wrote and deleted one on the writer's thread
            // (`strace` of P1: an `access`, an `openat`, a `close` and about 25 of the 83
            // `pwrite`s a send); P3 went from 1,364–1,436 to 1,585–1,829 sends/s.
            .pragma("temp_store", "memory");
        if let Some(parent) = std::path::Path::new(options.get_filename()).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        // Migrations on a connection of their own: the readers' pool below cannot write. (A pool
        // of one: `run` on a bare connection makes a future that is not `Send`.)
        let setup = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&setup).await?;
        // Readers only (`query_only`): every write goes through the writer. SQLite lets one
        // connection write at a time, and under a flood of sends the writer's batches hold
        // that lock back to back; a write on another connection waits for it in SQLite's busy
        // handler, which polls with sleeps, rarely lands in the gap between two batches, and
        // fails after the busy timeout — sign-ins and settings failed so while sends flooded.
        // Queued behind the writer, such a write waits its turn like a send.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone().pragma("query_only", "true"))
            .await?;
        setup.close().await;
        // The writer's commits are put on disk by the committer's own fsync of the log, once
        // the writer is free (see `writer::Durability`); SQLite's own where there is no log.
        let log = std::path::PathBuf::from(format!("{}-wal", options.get_filename().display()));
        let has_log = log.is_file();
        let synchronous = if has_log {
            SqliteSynchronous::Normal
        } else {
            SqliteSynchronous::Full
        };
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            // Every write statement runs here, including the rollups' few row-count shapes
            // (see `rollups`): room for all of them stays prepared.
            .connect_with(
                options
                    .statement_cache_capacity(400)
                    .synchronous(synchronous),
            )
            .await?;
        // Opened with the writer connected (see `writer::LogFile`).
        let durability = if has_log {
            writer::Durability::SyncLog(Arc::new(writer::LogFile::open(log)?))
        } else {
            writer::Durability::InCommit
        };
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Ok(Store {
            db: Db::Sqlite(pool),
            writes: Writes::Sqlite(Arc::new(
                writer::GroupCommit::start(writer, events.clone(), durability)
                    .map_err(sqlx::Error::Io)?,
            )),
            events,
        })
    }

    async fn open_postgres(url: &str) -> Result<Store, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations_pg").run(&pool).await?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let writes = pg_writes::PgWrites::start(pool.clone(), events.clone()).await?;
        Ok(Store {
            db: Db::Postgres(pool),
            writes: Writes::Postgres(Arc::new(writes)),
            events,
        })
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The reader pool's connections: (open, idle).
    pub fn pool_usage(&self) -> (u32, u32) {
        self.db.usage()
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        db::on_db!(&self.db, |p, sql| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))
    }

    /// On PostgreSQL, whether this instance hears other instances' commits (its doorbell
    /// connection is listening); `None` on SQLite, which has no other instances.
    pub fn doorbell_listening(&self) -> Option<bool> {
        match &self.writes {
            Writes::Sqlite(_) => None,
            Writes::Postgres(writes) => Some(writes.doorbell_listening()),
        }
    }
}

/// The PostgreSQL advisory lock every write that appends events holds until it commits.
pub use pg_writes::WRITE_LOCK as POSTGRES_WRITE_LOCK;

/// `sql`, written with the store's `?` parameters, as PostgreSQL takes it (`$N`): for tests
/// and tools that read a store's database with the same SQL on either backend.
pub fn postgres_sql(sql: &str) -> &'static str {
    db::pg_sql(sql)
}

/// Now, to the millisecond: stored times then sort the same as text and as time.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// True when `err` is a unique-constraint violation (a duplicate).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::db::{on_conn, Db, Done};
    use super::workspaces::NewUser;
    use super::{now, Store, BUSY_TIMEOUT};
    use std::time::Duration;

    /// On SQLite every write goes through the writer: the readers' pool refuses one, and a
    /// write that logs nothing (a sign-in's session) made while the writer is held longer than
    /// SQLite's busy timeout waits its turn and is stored — on a pool connection it waited in
    /// SQLite's busy handler and failed ("database is locked"), as sign-ins did under a flood
    /// of sends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_wait_for_the_writer_however_long_it_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/writes.db", dir.path().display());
        let store = Store::open(&url).await.unwrap();
        let Db::Sqlite(readers) = store.db() else {
            panic!("a SQLite URL opened another backend");
        };
        let refused = sqlx::query("DELETE FROM sessions").execute(readers).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains("readonly")),
            "the readers' pool wrote: {refused:?}"
        );

        let (workspace, user) = store
            .create_workspace_with_owner(
                "Held",
                NewUser {
                    name: "Ada",
                    email: "ada@example.test",
                    password_hash: "not a hash",
                },
            )
            .await
            .unwrap();
        // The writer held, with SQLite's write lock taken.
        let mut held = store.begin_write().await.unwrap();
        on_conn!(held, |c, sql| sqlx::query(sql(
            "UPDATE workspaces SET name = 'Still held' WHERE id = ?"
        ))
        .bind(workspace)
        .execute(c)
        .await
        .map(Done::from))
        .unwrap();
        let session = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .create_session("held-hash", user, now() + chrono::Duration::hours(1))
                    .await
            }
        });
        // Longer than any wait in SQLite's busy handler.
        tokio::time::sleep(BUSY_TIMEOUT + Duration::from_millis(500)).await;
        assert!(
            !session.is_finished(),
            "the session write ended while the writer was held: {:?}",
            session.await
        );
        held.commit(Vec::new()).await.unwrap();
        session.await.unwrap().unwrap();
        let signed_in = store.session_user("held-hash").await.unwrap();
        assert_eq!(signed_in.map(|s| s.user.id), Some(user));
    }
}
