//! What the writes of a store came to, for `/metrics` and the benchmark (either backend).
use std::sync::atomic::AtomicU64;

/// Writes released into batches and batches committed since the store opened: their ratio is
/// the batch size on SQLite (the benchmark prints it; a test checks that batches form); on
/// PostgreSQL every write is its own commit.
#[derive(Default)]
pub(super) struct Counts {
    pub writes: AtomicU64,
    pub commits: AtomicU64,
    /// Events published by committed writes (for `/metrics`).
    pub events: AtomicU64,
}
