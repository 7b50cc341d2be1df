//! The channel instances tell each other about open tabs on (PostgreSQL NOTIFY; see
//! `server::presence::peers`). Nothing of it is stored.
use super::db::Db;
use super::Store;
use sqlx::postgres::PgListener;

const CHANNEL: &str = "leadwire_presence";

/// Hears what the other instances say.
pub struct PresenceListener(PgListener);

impl PresenceListener {
    /// The next message (sqlx reconnects a dropped connection on the next call).
    pub async fn recv(&mut self) -> Result<String, sqlx::Error> {
        Ok(self.0.recv().await?.payload().to_string())
    }
}

impl Store {
    /// A listener on PostgreSQL; `None` on SQLite, which serves one instance.
    pub async fn presence_listener(&self) -> Result<Option<PresenceListener>, sqlx::Error> {
        let Db::Postgres(pool) = self.db() else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(PresenceListener(listener)))
    }

    /// Tells every instance (this one too; it ignores its own).
    pub async fn notify_presence(&self, payload: &str) -> Result<(), sqlx::Error> {
        let Db::Postgres(pool) = self.db() else {
            return Ok(());
        };
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(pool)
            .await
            .map(|_| ())
    }
}
