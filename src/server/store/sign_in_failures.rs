//! Failed sign-ins counted in PostgreSQL, so that instances sharing a database share the limit
//! (see `server::sign_in_guard`; a single SQLite instance counts them in memory). The table
//! exists on PostgreSQL only.
use super::db::Db;
use super::Store;
use std::time::Duration;

/// One lock for every sign-in check: checking and counting stay one step across instances.
const SIGN_IN_LOCK: i64 = 0x4c57_5349_474e_494e;

impl Store {
    /// Checks every `(key, max)` over the last `window` and, when none is at its limit, counts
    /// a failure on each. `Ok(Err(seconds to wait))` for the first key at its limit (nothing is
    /// counted then). On SQLite: `Ok(Ok(()))`, nothing counted (the caller counts in memory).
    pub async fn admit_sign_in(
        &self,
        keys: &[(&str, u32)],
        window: Duration,
    ) -> Result<Result<(), u64>, sqlx::Error> {
        let Db::Postgres(pool) = self.db() else {
            return Ok(Ok(()));
        };
        let window_secs = window.as_secs_f64();
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SIGN_IN_LOCK)
            .execute(&mut *tx)
            .await?;
        for (key, max) in keys {
            sqlx::query(
                "DELETE FROM sign_in_failures WHERE key = $1 \
                 AND at <= now() - make_interval(secs => $2)",
            )
            .bind(key)
            .bind(window_secs)
            .execute(&mut *tx)
            .await?;
            // Seconds until the oldest counted failure leaves the window.
            let (count, wait): (i64, Option<f64>) = sqlx::query_as(
                "SELECT COUNT(*), CAST(EXTRACT(EPOCH FROM \
                 (MIN(at) + make_interval(secs => $2) - now())) AS DOUBLE PRECISION) \
                 FROM sign_in_failures WHERE key = $1",
            )
            .bind(key)
            .bind(window_secs)
            .fetch_one(&mut *tx)
            .await?;
            if count >= i64::from(*max) {
                tx.commit().await?;
                return Ok(Err((wait.unwrap_or(1.0).ceil() as u64).max(1)));
            }
        }
        for (key, _) in keys {
            sqlx::query("INSERT INTO sign_in_failures (key, at) VALUES ($1, now())")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Forgets every failure of `key` (a correct password from that client).
    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<(), sqlx::Error> {
        let Db::Postgres(pool) = self.db() else {
            return Ok(());
        };
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
            .bind(key)
            .execute(pool)
            .await
            .map(|_| ())
    }

    /// Takes back the newest failure of `key` (the attempt counted up front succeeded).
    pub async fn forgive_sign_in_failure(&self, key: &str) -> Result<(), sqlx::Error> {
        let Db::Postgres(pool) = self.db() else {
            return Ok(());
        };
        sqlx::query(
            "DELETE FROM sign_in_failures WHERE ctid = (SELECT ctid FROM sign_in_failures \
             WHERE key = $1 ORDER BY at DESC LIMIT 1)",
        )
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ())
    }
}
