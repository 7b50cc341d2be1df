//! Group commit: every write that appends events runs on one writer connection, inside one
//! batch transaction shared by all the writes that were waiting, and is acknowledged only after
//! that batch's COMMIT and the fsync after it (one for all of them; see [`Durability`]).
//!
//! How a write goes:
//! 1. [`Store::begin_write`] takes the writer (a FIFO lock), opens the batch transaction if none
//!    is open (`BEGIN IMMEDIATE`) and a savepoint for this write alone.
//! 2. The write runs its statements on the [`WriteTx`]; an error (or a dropped future) rolls back
//!    to its savepoint only, so one failing write never spoils its batch.
//! 3. [`WriteTx::commit`] releases the savepoint, leaves its events with the batch, hands the
//!    writer to the next waiting write and waits.
//! 4. The committer task queues for the writer behind every write already waiting, so one COMMIT
//!    covers all of them; it lets the writer go to the next batch's writes, fsyncs the log (see
//!    [`Durability`]), then publishes the batch's events in seq order and acknowledges each
//!    write. A crash before that fsync returns acknowledges nothing.
//!
//! The steps that change the writer's state run in spawned tasks, so a request dropped halfway
//! (a client that hung up) cannot leave a savepoint or the batch half-made. A write that runs
//! whole on a task of its own ([`Store::detached`], the send path) takes those steps in place:
//! each task hop a step costs is time the writer is held, and nobody else can start a write
//! meanwhile. Those writes and the committer run on the store's write thread (`write_thread`),
//! where a task is polled again as soon as SQLite answers it.
use super::db::Conn;
use super::events::LoggedEvent;
use super::pg_writes::PgWrite;
use super::script::Script;
use super::write_counts::Counts;
use super::write_thread::WriteThread;
use super::{Store, Writes};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{FromRow, Sqlite, SqliteConnection, SqlitePool};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use tokio::sync::{broadcast, oneshot, Mutex, Notify, OwnedMutexGuard};

/// A batch's outcome as each of its writes hears it (sqlx errors cannot be cloned).
type Ack = Result<(), String>;

tokio::task_local! {
    /// Set on the task of a write that runs to its end whatever its caller does (see
    /// [`Store::detached`]).
    static DETACHED: ();
}

fn in_detached_write() -> bool {
    DETACHED.try_with(|_| ()).is_ok()
}

/// Runs `step` to its end even if the caller goes away: on a task of its own, or in place on a
/// detached write's task, which runs to its end anyway.
async fn to_the_end<R>(
    step: impl Future<Output = Result<R, sqlx::Error>> + Send + 'static,
) -> Result<R, sqlx::Error>
where
    R: Send + 'static,
{
    if in_detached_write() {
        step.await
    } else {
        tokio::spawn(step).await.map_err(task_failed)?
    }
}

/// The one writer connection and the batch it is building.
pub(super) struct Writer {
    pool: SqlitePool,
    /// The writer's connection, taken from its pool once and kept. Taken and given back per
    /// batch (as a sqlx transaction does), it cost two more hand-offs to SQLite's thread a
    /// batch: sqlx pings a connection when it leaves the pool and when it returns, and the next
    /// batch waited for the second. A connection that fails is given back (and replaced).
    conn: Option<PoolConnection<Sqlite>>,
    /// A batch transaction is open on `conn`: its BEGIN went with the batch's first write
    /// (`enter`), one hand-off fewer.
    batch_open: bool,
    /// A write holds a savepoint that it has not released: it failed or was dropped.
    in_write: bool,
    /// Events of the writes released into the batch, in seq order.
    events: Vec<LoggedEvent>,
    waiters: Vec<oneshot::Sender<Ack>>,
    counts: Arc<Counts>,
}

/// The shared parts: the writer and the doorbell of its committer task.
pub(super) struct GroupCommit {
    writer: Arc<Mutex<Writer>>,
    /// Where sends and the committer run (see `write_thread`).
    thread: WriteThread,
    commit_due: Arc<Notify>,
    counts: Arc<Counts>,
}

impl GroupCommit {
    /// `pool` must hold a single connection: the writer's, set up for `durability`.
    pub(super) fn start(
        pool: SqlitePool,
        events: broadcast::Sender<Arc<LoggedEvent>>,
        durability: Durability,
    ) -> std::io::Result<GroupCommit> {
        let thread = WriteThread::start("sqlite-writes")?;
        let counts = Arc::new(Counts::default());
        let writer = Arc::new(Mutex::new(Writer {
            pool,
            conn: None,
            batch_open: false,
            in_write: false,
            events: Vec::new(),
            waiters: Vec::new(),
            counts: counts.clone(),
        }));
        let commit_due = Arc::new(Notify::new());
        // On the write thread: its COMMIT holds the writer too.
        thread.spawn(committer(
            Arc::downgrade(&writer),
            commit_due.clone(),
            events,
            durability,
            counts.clone(),
        ));
        Ok(GroupCommit {
            writer,
            thread,
            commit_due,
            counts,
        })
    }
}

/// One write: on SQLite, in the current batch; on PostgreSQL, its own transaction (see
/// `pg_writes`). [`WriteTx::conn`] is the connection its statements run on.
pub(crate) struct WriteTx {
    inner: Inner,
}

enum Inner {
    Sqlite {
        guard: Option<OwnedMutexGuard<Writer>>,
        commit_due: Arc<Notify>,
    },
    Postgres(PgWrite),
}

/// The values of a write's first read (see [`Store::begin_write_reading`]), for either backend.
pub(crate) trait FirstReadArgs: Send + 'static {
    fn sqlite(self) -> SqliteArguments<'static>;
    fn postgres(self) -> PgArguments;
}

impl Store {
    /// Starts a write that may append events (see the module comment). Writes run one at a
    /// time, so `seq` order is commit order and events are published in that order.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let group = match &self.writes {
            Writes::Sqlite(group) => group,
            Writes::Postgres(writes) => {
                return Ok(WriteTx {
                    inner: Inner::Postgres(writes.begin().await?),
                })
            }
        };
        let writer = group.writer.clone();
        let commit_due = group.commit_due.clone();
        // Run to the end: if the caller goes away meanwhile, the WriteTx it never sees is dropped
        // like any other uncommitted write (undone, and the committer told).
        to_the_end(async move {
            let mut tx = WriteTx::take(writer, commit_due).await;
            tx.writer().start_write().await?;
            Ok(tx)
        })
        .await
    }

    /// Runs `write` to its end even if the caller goes away, and returns its result, on the
    /// store's write thread (see `write_thread`). On SQLite as a task of its own, whose writes
    /// take their steps in place (see the module comment): from the moment it has the writer
    /// until its commit it hops to no other task. On PostgreSQL in place if already there.
    pub(crate) async fn detached<R>(
        &self,
        write: impl Future<Output = Result<R, sqlx::Error>> + Send + 'static,
    ) -> Result<R, sqlx::Error>
    where
        R: Send + 'static,
    {
        match &self.writes {
            Writes::Sqlite(group) => group.thread.run(DETACHED.scope((), write)).await,
            Writes::Postgres(writes) => match writes.write_thread() {
                Some(thread) => thread.run(write).await,
                None => write.await,
            },
        }
    }

    /// Starts a write that appends no events and needs no order among the others (a session, a
    /// token, a setting). On SQLite it goes through the writer all the same — the readers' pool
    /// cannot write (see `Store::open`); on PostgreSQL it is a plain transaction, outside the
    /// write lock that every instance's event-appending writes queue for. Committing it with
    /// events fails on PostgreSQL (and writes nothing).
    pub(crate) async fn begin_unlogged_write(&self) -> Result<WriteTx, sqlx::Error> {
        match &self.writes {
            Writes::Postgres(writes) => Ok(WriteTx {
                inner: Inner::Postgres(writes.begin_unordered().await?),
            }),
            Writes::Sqlite(_) => self.begin_write().await,
        }
    }

    /// An empty write through group commit, acknowledged like any other: for the health check.
    pub async fn write_probe(&self) -> Result<(), sqlx::Error> {
        self.begin_write().await?.commit(Vec::new()).await
    }

    /// [`Store::begin_write`] that also runs the write's first read, `sql` (one row of shape
    /// `O`, its parameters numbered), in the same round trip as the write's savepoint: one
    /// hand-off to SQLite's thread fewer for the send path, which holds the writer for every
    /// send. The read runs to the end with the savepoint (on a spawned task, or in place in a
    /// detached write), so a caller that goes away leaves the write to be undone like any other.
    ///
    /// `make_args` runs once the writer is this write's, so what it reads (the clock, for a
    /// message's time) follows the order writes commit in; its second half comes back as is.
    ///
    /// On PostgreSQL the read is simply the write's first statement.
    pub(crate) async fn begin_write_reading<O, A, T>(
        &self,
        sql: &'static str,
        make_args: impl FnOnce() -> (A, T) + Send + 'static,
    ) -> Result<(WriteTx, O, T), sqlx::Error>
    where
        O: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static,
        A: FirstReadArgs,
        T: Send + 'static,
    {
        let group = match &self.writes {
            Writes::Sqlite(group) => group,
            Writes::Postgres(writes) => {
                let mut write = writes.begin().await?;
                let (args, extra) = make_args();
                let first = sqlx::query_as_with(super::db::pg_sql(sql), args.postgres())
                    .fetch_one(write.conn())
                    .await?;
                return Ok((
                    WriteTx {
                        inner: Inner::Postgres(write),
                    },
                    first,
                    extra,
                ));
            }
        };
        let writer = group.writer.clone();
        let commit_due = group.commit_due.clone();
        to_the_end(async move {
            let mut tx = WriteTx::take(writer, commit_due).await;
            let (args, extra) = make_args();
            let first = tx.writer().start_write_reading(sql, args.sqlite()).await?;
            Ok((tx, first, extra))
        })
        .await
    }

    /// Events committed and published since the store opened.
    pub fn events_published(&self) -> u64 {
        self.write_counts().events.load(Ordering::Relaxed)
    }

    fn write_counts(&self) -> &Counts {
        match &self.writes {
            Writes::Sqlite(group) => &group.counts,
            Writes::Postgres(writes) => writes.counts(),
        }
    }

    /// (writes, commits) since the store opened; see [`Counts`]. On PostgreSQL every write is
    /// its own commit.
    pub fn group_commit_counts(&self) -> (u64, u64) {
        let counts = self.write_counts();
        (
            counts.writes.load(Ordering::Relaxed),
            counts.commits.load(Ordering::Relaxed),
        )
    }
}

impl Writer {
    /// Undoes what an earlier write left and marks a write begun: from here on `recover` rolls
    /// back to its savepoint. Returns what must run before the write's savepoint, in the same
    /// statement list: the batch's BEGIN when none is open (see [`Writer::begun`]).
    async fn enter(&mut self) -> Result<&'static str, sqlx::Error> {
        // An earlier write that could not be undone failed its whole batch (rolled back, its
        // writes told): this one starts the next batch, on a fresh connection if need be.
        let _ = self.recover().await;
        if self.conn.is_none() {
            self.conn = Some(self.pool.acquire().await?);
        }
        self.in_write = true;
        if self.batch_open {
            return Ok("");
        }
        self.batch_open = true;
        // IMMEDIATE: the write lock from the start, so no upgrade deadlock with readers.
        Ok("BEGIN IMMEDIATE; ")
    }

    /// What a write's first statement list (`begin`, its savepoint, maybe its first read) came
    /// to. When it also began the batch and failed (a busy BEGIN, a failed read), the batch holds
    /// nothing but this write: it is rolled back whole at once, so the failure stays this
    /// write's (the next write begins a new batch) and the write lock is not kept.
    async fn begun<T>(
        &mut self,
        begin: &str,
        result: Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        if result.is_err() && !begin.is_empty() {
            self.in_write = false;
            self.batch_open = false;
            self.roll_back().await;
        }
        result
    }

    async fn start_write(&mut self) -> Result<(), sqlx::Error> {
        let begin = self.enter().await?;
        let statements = format!("{begin}SAVEPOINT write");
        let result = sqlx::query(&statements).execute(self.conn()).await;
        self.begun(begin, result).await.map(|_| ())
    }

    /// `start_write`, with the savepoint and the write's first read in one statement list.
    /// Should the savepoint itself fail in a batch already open, the write is marked begun all
    /// the same, as in `start_write`: `recover` then finds no savepoint and drops the batch.
    async fn start_write_reading<O>(
        &mut self,
        sql: &str,
        args: SqliteArguments<'static>,
    ) -> Result<O, sqlx::Error>
    where
        O: for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
    {
        let begin = self.enter().await?;
        let both = format!("{begin}SAVEPOINT write; {sql}");
        let result = sqlx::query_as_with(&both, args)
            .fetch_one(self.conn())
            .await;
        self.begun(begin, result).await
    }

    /// Rolls back whatever transaction is open on the writer's connection, at once, so a failed
    /// batch does not keep SQLite's write lock. "Nothing is open" is fine (SQLite ends a
    /// transaction itself on some errors). A connection that cannot even do that (its worker
    /// is gone) is given back: the next write takes a fresh one from the pool.
    async fn roll_back(&mut self) {
        let Some(conn) = self.conn.as_deref_mut() else {
            return;
        };
        match sqlx::query("ROLLBACK").execute(conn).await {
            Ok(_) | Err(sqlx::Error::Database(_)) => {}
            Err(e) => {
                tracing::error!(error = %e, "the writer's connection failed; taking a new one");
                self.conn = None;
            }
        }
    }

    fn conn(&mut self) -> &mut SqliteConnection {
        self.conn
            .as_deref_mut()
            .expect("a write runs on the writer's connection")
    }

    /// Undoes a write that did not commit. If SQLite rolled back the whole transaction (it does
    /// on some I/O errors), the batch is lost: its writes hear the error.
    async fn recover(&mut self) -> Result<(), sqlx::Error> {
        if !self.in_write {
            return Ok(());
        }
        self.in_write = false;
        let undone = match sqlx::query("ROLLBACK TO write").execute(self.conn()).await {
            Ok(_) => sqlx::query("RELEASE write").execute(self.conn()).await,
            Err(e) => Err(e),
        };
        if let Err(e) = undone {
            tracing::error!(error = %e, "a failed write could not be undone; dropping its batch");
            self.fail_batch(&e.to_string()).await;
            return Err(e);
        }
        Ok(())
    }

    /// Releases the current write into the batch.
    async fn release(
        &mut self,
        events: Vec<LoggedEvent>,
    ) -> Result<oneshot::Receiver<Ack>, sqlx::Error> {
        sqlx::query("RELEASE write").execute(self.conn()).await?;
        Ok(self.released(events))
    }

    /// Adds the write whose savepoint was just released to the batch.
    fn released(&mut self, events: Vec<LoggedEvent>) -> oneshot::Receiver<Ack> {
        self.in_write = false;
        self.events.extend(events);
        self.counts.writes.fetch_add(1, Ordering::Relaxed);
        let (ack, acked) = oneshot::channel();
        self.waiters.push(ack);
        acked
    }

    /// Commits the batch and hands back its events and writes, to be published and
    /// acknowledged once the commit is on disk (see [`committer`]); None if there was nothing to
    /// commit or the batch failed (its writes are told).
    async fn commit_batch(&mut self) -> Option<Committed> {
        if self.recover().await.is_err() || !self.batch_open {
            return None;
        }
        self.batch_open = false;
        #[cfg(debug_assertions)]
        crash_test_point();
        match sqlx::query("COMMIT").execute(self.conn()).await {
            Ok(_) => Some(Committed {
                events: std::mem::take(&mut self.events),
                waiters: std::mem::take(&mut self.waiters),
            }),
            Err(e) => {
                tracing::error!(error = %e, "a batch of writes failed to commit");
                self.fail_batch(&e.to_string()).await;
                None
            }
        }
    }

    /// Rolls the batch back and tells each of its writes why.
    async fn fail_batch(&mut self, why: &str) {
        self.batch_open = false;
        self.roll_back().await;
        self.events.clear();
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(Err(why.to_string()));
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closed here (which rolls back what is open) rather than given back to its pool: sqlx
        // gives a connection back from a task it spawns, and a store may outlive its runtime.
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}

impl WriteTx {
    /// Waits for the writer (a FIFO lock) and holds it for one write.
    async fn take(writer: Arc<Mutex<Writer>>, commit_due: Arc<Notify>) -> WriteTx {
        WriteTx {
            inner: Inner::Sqlite {
                guard: Some(writer.lock_owned().await),
                commit_due,
            },
        }
    }

    fn writer(&mut self) -> &mut Writer {
        match &mut self.inner {
            Inner::Sqlite { guard, .. } => guard
                .as_mut()
                .expect("a write holds the writer until it commits"),
            Inner::Postgres(_) => unreachable!("only SQLite writes share a writer"),
        }
    }

    /// The connection this write's statements run on, for one call.
    pub(crate) fn reborrow(&mut self) -> Conn<'_> {
        match &mut self.inner {
            Inner::Sqlite { guard, .. } => Conn::Sqlite(
                guard
                    .as_mut()
                    .expect("a write holds the writer until it commits")
                    .conn(),
            ),
            Inner::Postgres(write) => Conn::Postgres(write.conn()),
        }
    }

    /// Adds this write (and `events`, in seq order) to the batch and returns once the batch is
    /// on disk and its events are published. An error means the write did not happen.
    pub(crate) async fn commit(mut self, events: Vec<LoggedEvent>) -> Result<(), sqlx::Error> {
        let (guard, commit_due) = match &mut self.inner {
            Inner::Sqlite { guard, commit_due } => (
                guard.take().expect("a write commits once"),
                commit_due.clone(),
            ),
            Inner::Postgres(write) => {
                if !events.is_empty() && !write.ordered() {
                    // Appended outside the write lock, its seqs could reach sockets out of order:
                    // dropped uncommitted (rolled back) instead.
                    return Err(sqlx::Error::Protocol(
                        "a write begun without the write lock appended events".into(),
                    ));
                }
                return write.commit().await;
            }
        };
        let mut guard = guard;
        // To the end: a caller that goes away cannot leave the write half-released.
        let acked = to_the_end(async move {
            let acked = guard.release(events).await;
            commit_due.notify_one();
            drop(guard);
            acked
        })
        .await?;
        on_disk(acked).await
    }

    /// Runs `script`, the write's last statements, whose rows are the log positions of its
    /// `events` (see `events::place`), and commits the write as [`WriteTx::commit`] does. In a
    /// detached write on SQLite the savepoint's release goes with the script: one hand-off to
    /// SQLite's thread fewer while the writer is held.
    pub(super) async fn commit_script(
        mut self,
        mut script: Script<'_>,
        mut events: Vec<LoggedEvent>,
    ) -> Result<(), sqlx::Error> {
        let in_place = matches!(self.inner, Inner::Sqlite { .. }) && in_detached_write();
        if !in_place {
            let positions = script.fetch_all(self.reborrow()).await?;
            super::events::place(&mut events, positions);
            return self.commit(events).await;
        }
        script.push("RELEASE write");
        // Should a statement fail, SQLite stops there, before the RELEASE: the savepoint stays
        // for the next holder to undo, as for any write dropped uncommitted. (Rows that failed to
        // decode after the whole script ran would leave no savepoint to undo: the next holder
        // then drops the batch and tells its writes, none of which was acknowledged.)
        let positions = script.fetch_all(self.reborrow()).await?;
        super::events::place(&mut events, positions);
        let Inner::Sqlite { guard, commit_due } = &mut self.inner else {
            unreachable!("checked above");
        };
        let mut guard = guard.take().expect("a write commits once");
        let acked = guard.released(events);
        commit_due.notify_one();
        drop(guard);
        on_disk(acked).await
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        // Not committed (an error or an early return): the next holder of the writer undoes
        // the savepoint; the committer makes sure that happens even if no write follows. (A
        // PostgreSQL transaction dropped uncommitted rolls back by itself.)
        if let Inner::Sqlite { guard, commit_due } = &mut self.inner {
            if guard.take().is_some() {
                commit_due.notify_one();
            }
        }
    }
}

/// Waits for the batch a write was released into to be committed.
async fn on_disk(acked: oneshot::Receiver<Ack>) -> Result<(), sqlx::Error> {
    match acked.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(sqlx::Error::Protocol(format!(
            "the write was not committed: {why}"
        ))),
        Err(_) => Err(sqlx::Error::WorkerCrashed),
    }
}

/// A committed batch, until it is on disk.
struct Committed {
    events: Vec<LoggedEvent>,
    waiters: Vec<oneshot::Sender<Ack>>,
}

/// Waits for the doorbell, then queues for the writer behind every write already waiting:
/// the batch is whatever they added by the time it gets its turn. It commits the batch, lets
/// the writer go, and only then waits for the fsync that puts the batch on disk (see
/// [`Durability`]): the next batch's writes run meanwhile. Batches are made durable, published
/// and acknowledged one after another, in commit order.
async fn committer(
    writer: Weak<Mutex<Writer>>,
    commit_due: Arc<Notify>,
    published: broadcast::Sender<Arc<LoggedEvent>>,
    durability: Durability,
    counts: Arc<Counts>,
) {
    loop {
        commit_due.notified().await;
        let Some(writer) = writer.upgrade() else {
            return;
        };
        let committed = writer.lock().await.commit_batch().await;
        drop(writer);
        let Some(Committed { events, waiters }) = committed else {
            continue;
        };
        if !durability.sync().await {
            return;
        }
        counts.commits.fetch_add(1, Ordering::Relaxed);
        counts
            .events
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        for event in events {
            // No receivers is fine: nobody is connected.
            let _ = published.send(Arc::new(event));
        }
        for waiter in waiters {
            let _ = waiter.send(Ok(()));
        }
    }
}

/// How a committed batch reaches the disk.
///
/// With `synchronous=FULL` SQLite fsyncs the write-ahead log inside COMMIT, and the writer,
/// which every write waits for, sat idle through it (about 1 ms here, as long as eight sends'
/// statements). So the writer's connection commits with `synchronous=NORMAL` — the same writes
/// to the log, no fsync — and the committer fsyncs the log itself once the writer is free, then
/// acknowledges. What is acknowledged is on disk exactly as with FULL: the fsync covers every
/// frame written before it. What changes: another connection can read a batch up to one fsync
/// before it is on disk (a power cut in that moment loses what it read, never what was
/// acknowledged); anything that acts on a write outside the database (an email, an SMS) first
/// claims it through this writer and waits for that claim's acknowledgement, so it never acts
/// on what is not yet on disk.
#[derive(Clone)]
pub(super) enum Durability {
    /// The log file to fsync after each commit.
    SyncLog(Arc<LogFile>),
    /// SQLite syncs inside COMMIT (`synchronous=FULL`; a database with no log file).
    InCommit,
}

/// The write-ahead log, held open for the committer's fsyncs.
///
/// SQLite keeps the log file while any of its connections is open, but should every one close
/// (sqlx replaces a writer connection that stops answering, and the readers' pool lets idle
/// ones go), SQLite checkpoints the log into the database, syncs that and deletes the log; the
/// next connection makes a new file. So each sync checks that the handle is still the file at
/// the log's path, and takes the new one (and puts its name on disk) when it is not.
pub(super) struct LogFile {
    path: std::path::PathBuf,
    file: std::sync::Mutex<std::fs::File>,
}

impl LogFile {
    /// Opens the log at `path`, and puts the file and its name in its folder on disk: SQLite
    /// would on its first fsync of a new log (`synchronous=FULL`); the committer's own fsyncs
    /// cover only its contents.
    pub(super) fn open(path: std::path::PathBuf) -> std::io::Result<LogFile> {
        let file = open_new_log(&path)?;
        Ok(LogFile {
            path,
            file: std::sync::Mutex::new(file),
        })
    }

    /// fsyncs the log as it is now at its path (see the type's note).
    fn sync(&self) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let held = file.metadata()?;
        match std::fs::metadata(&self.path) {
            Ok(now) if (now.dev(), now.ino()) != (held.dev(), held.ino()) => {
                *file = open_new_log(&self.path)?;
            }
            // No log at all: its last contents were checkpointed into the database and synced.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        file.sync_data()
    }
}

fn open_new_log(log: &std::path::Path) -> std::io::Result<std::fs::File> {
    let file = std::fs::File::open(log)?;
    file.sync_all()?;
    let folder = log
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::File::open(folder)?.sync_all()?;
    Ok(file)
}

impl Durability {
    /// Puts everything committed so far on disk; false if the runtime is shutting down (then
    /// nothing is acknowledged, and the committer stops with it). A failed fsync leaves the log's state on disk unknown, and
    /// retrying may report success for pages the kernel has already dropped: like PostgreSQL,
    /// the server stops instead of acknowledging (a restart recovers from what the disk holds).
    async fn sync(&self) -> bool {
        let Durability::SyncLog(log) = self else {
            return true;
        };
        let log = log.clone();
        let synced = tokio::task::spawn_blocking(move || {
            #[cfg(debug_assertions)]
            if test_trigger(&FAIL_LOG_SYNC) {
                return Err(std::io::Error::other("failed on purpose (test)"));
            }
            log.sync()
        })
        .await;
        match synced {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the write-ahead log could not be synced to disk; stopping");
                eprintln!(
                    "leadwire: the write-ahead log could not be synced to disk ({e}); stopping"
                );
                std::process::abort();
            }
            Err(e) if e.is_cancelled() => false,
            Err(e) => {
                tracing::error!(error = %e, "syncing the write-ahead log panicked; stopping");
                std::process::abort();
            }
        }
    }
}

/// A writer task panicked (a bug): the write did not happen.
pub(super) fn task_failed(e: tokio::task::JoinError) -> sqlx::Error {
    tracing::error!(error = %e, "a writer task failed");
    sqlx::Error::WorkerCrashed
}

/// Debug builds only: dies here, between a batch and its COMMIT, once the file named by
/// `LEADWIRE_TEST_CRASH_BEFORE_COMMIT_IF` exists (tests/integration/group_commit.rs checks that
/// such a crash acknowledges nothing it did not store).
#[cfg(debug_assertions)]
fn crash_test_point() {
    static TRIGGER: Trigger = Trigger::new("LEADWIRE_TEST_CRASH_BEFORE_COMMIT_IF");
    if test_trigger(&TRIGGER) {
        std::process::abort();
    }
}

/// Debug builds only: the log's fsync fails once the file named by
/// `LEADWIRE_TEST_FAIL_LOG_SYNC_IF` exists (the same tests check that nothing is acknowledged).
#[cfg(debug_assertions)]
static FAIL_LOG_SYNC: Trigger = Trigger::new("LEADWIRE_TEST_FAIL_LOG_SYNC_IF");

/// A test's fault, armed by creating the file its environment variable names.
#[cfg(debug_assertions)]
struct Trigger {
    variable: &'static str,
    file: std::sync::OnceLock<Option<std::path::PathBuf>>,
}

#[cfg(debug_assertions)]
impl Trigger {
    const fn new(variable: &'static str) -> Trigger {
        Trigger {
            variable,
            file: std::sync::OnceLock::new(),
        }
    }
}

#[cfg(debug_assertions)]
fn test_trigger(trigger: &Trigger) -> bool {
    trigger
        .file
        .get_or_init(|| std::env::var_os(trigger.variable).map(std::path::PathBuf::from))
        .as_deref()
        .is_some_and(std::path::Path::exists)
}

#[cfg(test)]
mod tests {
    use super::LogFile;
    use std::os::unix::fs::MetadataExt;

    fn inode(file: &std::fs::File) -> u64 {
        file.metadata().unwrap().ino()
    }

    /// A log deleted and made anew (every connection closed, then a new one) is the file the
    /// next sync reaches; a log that is gone (checkpointed away) is nothing to sync.
    #[test]
    fn a_sync_follows_the_log_to_its_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db-wal");
        std::fs::write(&path, b"first").unwrap();
        let log = LogFile::open(path.clone()).unwrap();
        let first = inode(&log.file.lock().unwrap());
        log.sync().unwrap();
        assert_eq!(inode(&log.file.lock().unwrap()), first);

        // Kept open, the old file keeps its inode: the new one cannot reuse it.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"second").unwrap();
        let second = std::fs::metadata(&path).unwrap().ino();
        assert_ne!(second, first);
        log.sync().unwrap();
        assert_eq!(inode(&log.file.lock().unwrap()), second);

        std::fs::remove_file(&path).unwrap();
        log.sync().expect("no log is nothing to sync");
    }
}
