//! A thread of its own, with a one-thread runtime, for the work that holds the writer.
//!
//! Whoever holds the writer makes every other write wait, and between its round trips to the
//! database its task must be polled again. On the server's runtime, busy with requests and
//! sockets, that turn comes late: a woken task queues behind the others on its worker (and a
//! task woken from a database thread goes to the shared queue, which a busy worker looks at
//! only now and then). Here nothing else runs, so a write is polled the moment its database
//! call answers, and the kernel's scheduler favours a thread that was sleeping: the writer is
//! held for little more than the statements themselves.
//!
//! Measured with SQLite on 2026-12-06 (2-core Intel Xeon, 16 senders, 10 sockets): the send's
//! two round trips held the writer 148 + 221 µs on the server's runtime, about half of it
//! waiting for a turn (see README, *Benchmarks*).
use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

thread_local! {
    /// Which write thread this is (0: none).
    static HERE: Cell<u64> = const { Cell::new(0) };
}

pub(super) struct WriteThread {
    id: u64,
    handle: Handle,
    /// Dropped with the last handle: the thread's runtime then stops, with whatever it runs.
    _stop: oneshot::Sender<()>,
}

impl WriteThread {
    /// Starts the thread. Its runtime is built here, so nothing waits for the thread.
    pub(super) fn start(name: &str) -> std::io::Result<WriteThread> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                HERE.with(|here| here.set(id));
                // Runs the spawned work until the last handle goes.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(WriteThread {
            id,
            handle,
            _stop: stop,
        })
    }

    /// Whether the caller runs on this thread.
    pub(super) fn here(&self) -> bool {
        HERE.with(Cell::get) == self.id
    }

    /// Starts `work` on the thread (for a task that lives as long as the store).
    pub(super) fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.handle.spawn(work);
    }

    /// Runs `work` on the thread, to the end even if the caller stops waiting; its outcome.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, sqlx::Error>> + Send + 'static,
    ) -> Result<T, sqlx::Error> {
        match self.handle.spawn(work).await {
            Ok(outcome) => outcome,
            // Cancelled: the store is closing.
            Err(e) if e.is_cancelled() => Err(sqlx::Error::PoolClosed),
            Err(e) => {
                tracing::error!(error = %e, "a write on the write thread failed");
                Err(sqlx::Error::WorkerCrashed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WriteThread;

    #[tokio::test]
    async fn work_runs_on_the_thread_and_its_outcome_comes_back() {
        let thread = WriteThread::start("test-writes").unwrap();
        assert!(!thread.here());
        let (name, here) = {
            let thread = std::sync::Arc::new(thread);
            let inside = thread.clone();
            let seen = thread
                .run(async move {
                    Ok((
                        std::thread::current().name().map(str::to_string),
                        inside.here(),
                    ))
                })
                .await
                .unwrap();
            assert!(!thread.here());
            seen
        };
        assert_eq!(name.as_deref(), Some("test-writes"));
        assert!(here);
        let thread = WriteThread::start("test-writes").unwrap();
        let failed = thread
            .run(async { Err::<(), _>(sqlx::Error::RowNotFound) })
            .await;
        assert!(matches!(failed, Err(sqlx::Error::RowNotFound)));
    }

    #[tokio::test]
    async fn the_thread_ends_with_its_last_handle() {
        let thread = WriteThread::start("test-writes").unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        // Work that never finishes holds `tx` until the runtime drops it, when the thread ends.
        thread.spawn(async move {
            let _held = tx;
            std::future::pending::<()>().await;
        });
        drop(thread);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected),
            "the thread's runtime stopped and dropped its work"
        );
    }
}
