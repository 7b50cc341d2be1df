//! Credentials that ended (a sign-out, a revoked token), told to every instance: on PostgreSQL
//! as a notification each instance's doorbell hears (see `pg_writes`); with SQLite there is
//! one instance and nothing to tell beyond it (see `server::revocations`).
use super::{Store, Writes};
use std::sync::Arc;
use tokio::sync::broadcast;

impl Store {
    /// Tells every instance, this one included, that the credential `name` ended.
    pub async fn ring_revoked(&self, name: &str) -> Result<(), sqlx::Error> {
        match &self.writes {
            Writes::Postgres(writes) => writes.ring_revoked(name).await,
            Writes::Sqlite(_) => Ok(()),
        }
    }

    /// What other instances (and this one) rang, when there are several: each a credential's
    /// name, or `None` when some may have been missed.
    pub fn subscribe_revoked(&self) -> Option<broadcast::Receiver<Option<Arc<str>>>> {
        match &self.writes {
            Writes::Postgres(writes) => Some(writes.subscribe_revoked()),
            Writes::Sqlite(_) => None,
        }
    }
}
