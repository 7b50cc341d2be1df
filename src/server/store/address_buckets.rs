//! Token buckets per client address in PostgreSQL, so that instances sharing a database share
//! the sign-up and public-request limits (see `server::address_limits`; a single SQLite
//! instance keeps them in memory). The table exists on PostgreSQL only.
use super::db::Db;
use super::Store;
use std::time::Duration;

impl Store {
    /// Takes a token from the bucket `key` (`burst` tokens, refilled at `per_sec`), in one
    /// statement: the row lock of the upsert makes two instances' takes one after the other.
    /// `Ok(Err(wait))` when the bucket is empty; `Ok(Ok(()))` on SQLite, where nothing is kept.
    pub async fn take_address_token(
        &self,
        key: &str,
        burst: f64,
        per_sec: f64,
    ) -> Result<Result<(), Duration>, sqlx::Error> {
        let Db::Postgres(pool) = self.db() else {
            return Ok(Ok(()));
        };
        // The bucket's level now: what it held plus the refill since, at most `burst`. The wall
        // clock, not the transaction's start, so two racing takes never see time go backwards.
        const REFILLED: &str = "LEAST($2, address_buckets.tokens \
             + EXTRACT(EPOCH FROM clock_timestamp() - address_buckets.at) * $3)";
        let taken: Option<f64> = sqlx::query_scalar(&format!(
            "INSERT INTO address_buckets AS address_buckets (key, tokens, at) \
             VALUES ($1, $2 - 1, clock_timestamp()) \
             ON CONFLICT (key) DO UPDATE SET tokens = {REFILLED} - 1, at = clock_timestamp() \
             WHERE {REFILLED} >= 1 \
             RETURNING tokens"
        ))
        .bind(key)
        .bind(burst)
        .bind(per_sec)
        .fetch_optional(pool)
        .await?;
        if taken.is_some() {
            return Ok(Ok(()));
        }
        // Empty: how long until one token is back.
        let level: f64 = sqlx::query_scalar(&format!(
            "SELECT CAST({REFILLED} AS DOUBLE PRECISION) FROM address_buckets WHERE key = $1"
        ))
        .bind(key)
        .bind(burst)
        .bind(per_sec)
        .fetch_optional(pool)
        .await?
        .unwrap_or(0.0);
        Ok(Err(Duration::from_secs_f64(
            ((1.0 - level) / per_sec).max(0.0),
        )))
    }

    /// Forgets the buckets of limit `name` untouched for `idle` (full again by then): keeps
    /// the table small.
    pub async fn forget_idle_address_buckets(
        &self,
        name: &str,
        idle: Duration,
    ) -> Result<u64, sqlx::Error> {
        let Db::Postgres(pool) = self.db() else {
            return Ok(0);
        };
        sqlx::query(
            "DELETE FROM address_buckets WHERE at < clock_timestamp() - make_interval(secs => $2) \
             AND starts_with(key, $1 || ':')",
        )
        .bind(name)
        .bind(idle.as_secs_f64())
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    }
}
