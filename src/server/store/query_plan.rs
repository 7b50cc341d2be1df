//! Tests only: SQLite's plan for a query on the schema the migrations make, so a test can say
//! which index a read seeks by (and that it scans nothing).
use sqlx::{Connection, SqliteConnection};

/// An in-memory database with every migration applied.
pub(crate) struct PlanDb(SqliteConnection);

impl PlanDb {
    pub(crate) async fn new() -> PlanDb {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::migrate!("./migrations").run(&mut conn).await.unwrap();
        PlanDb(conn)
    }

    /// The steps of `EXPLAIN QUERY PLAN query` (its parameters unbound: the plan is the same).
    pub(crate) async fn plan(&mut self, query: &str) -> Vec<String> {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {query}"))
                .fetch_all(&mut self.0)
                .await
                .unwrap();
        rows.into_iter().map(|(.., step)| step).collect()
    }

    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.0
    }
}
