//! A thread of its own for sends on PostgreSQL.
//!
//! A send holds the write lock every instance's writes wait for (see `pg_writes`) across its
//! round trips to PostgreSQL, and between them its task must be polled again. On the server's
//! runtime, with the cores busy writing frames to a thousand sockets, that turn came late:
//! sends waited 82 ms on average for a lock whose statements took ~2 ms. Here a send runs start
//! to finish on one thread with its own runtime and its own connections, which sleeps until
//! PostgreSQL answers and is then woken ahead of the busy runtime's threads (the kernel's
//! scheduler favours a thread that slept), so the lock is held for little more than the
//! statements themselves.
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

thread_local! {
    /// Set on the write thread: its writes take its own connections.
    static HERE: Cell<bool> = const { Cell::new(false) };
}

pub(super) struct WriteThread {
    jobs: mpsc::UnboundedSender<Job>,
    /// Connections made on the thread, so that their sockets wake it, not the server's runtime.
    pool: PgPool,
}

impl WriteThread {
    /// Starts the thread; it ends once the last handle to it is dropped and its work is done.
    pub(super) async fn start(
        options: PgConnectOptions,
        connections: u32,
    ) -> std::io::Result<Self> {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let (ready, pool) = oneshot::channel();
        std::thread::Builder::new()
            .name("pg-writes".into())
            .spawn(move || {
                HERE.with(|here| here.set(true));
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let pool = PgPoolOptions::new()
                        .max_connections(connections)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_lazy_with(options);
                    let _ = ready.send(Ok(pool));
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job);
                    }
                });
            })?;
        let pool = pool
            .await
            .map_err(|_| std::io::Error::other("the write thread did not start"))??;
        Ok(WriteThread { jobs, pool })
    }

    /// Whether the caller runs on the write thread.
    pub(super) fn here() -> bool {
        HERE.with(Cell::get)
    }

    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `work` on the thread, to the end even if the caller stops waiting; its outcome.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, sqlx::Error>> + Send + 'static,
    ) -> Result<T, sqlx::Error> {
        let (done, outcome) = oneshot::channel();
        self.jobs
            .send(Box::pin(async move {
                let _ = done.send(work.await);
            }))
            .map_err(|_| sqlx::Error::PoolClosed)?;
        outcome.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}
