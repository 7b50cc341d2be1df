//! The PostgreSQL schema (`migrations_pg/`) against the SQLite one (`migrations/`): the same
//! tables with the same columns, so that one store can serve both (issue 16), and the guards
//! and the derived column SQLite keeps with triggers behave the same on PostgreSQL. Runs on the
//! PostgreSQL server of the machine (`LEADWIRE_TEST_POSTGRES`, default the local one that
//! `scripts/setup.sh --test` makes sure runs), in a database of its own, dropped at the end.
use crate::support::ScratchDatabase;
use leadwire::server::store::Store;
use std::collections::{BTreeMap, BTreeSet};

/// Columns PostgreSQL has where SQLite keeps a separate FTS5 table instead.
const POSTGRES_ONLY: &[(&str, &str)] = &[
    ("leads", "search"),
    ("messages", "search"),
    // Shared state only several instances need (one SQLite instance keeps it in memory).
    ("sign_in_failures", "key"),
    ("sign_in_failures", "at"),
    ("address_buckets", "key"),
    ("address_buckets", "tokens"),
    ("address_buckets", "at"),
];

async fn migrated() -> ScratchDatabase {
    let db = ScratchDatabase::create().await;
    sqlx::migrate::Migrator::new(std::path::Path::new("migrations_pg"))
        .await
        .unwrap()
        .run(&db.pool)
        .await
        .unwrap();
    db
}

#[tokio::test]
async fn postgres_has_the_tables_and_columns_sqlite_has() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let _store = Store::open(&url).await.unwrap();
    let sqlite = sqlx::SqlitePool::connect(&url).await.unwrap();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE 'leads_fts%' AND name NOT LIKE 'messages_fts%' \
         AND name != '_sqlx_migrations'",
    )
    .fetch_all(&sqlite)
    .await
    .unwrap();
    let mut in_sqlite: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for table in names {
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&sqlite)
                .await
                .unwrap();
        in_sqlite.insert(table, columns.into_iter().collect());
    }
    assert!(in_sqlite.len() > 30, "{in_sqlite:?}");

    let db = migrated().await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name != '_sqlx_migrations'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut in_postgres: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (table, column) in rows {
        if !POSTGRES_ONLY.contains(&(table.as_str(), column.as_str())) {
            in_postgres.entry(table).or_default().insert(column);
        }
    }
    drop(db);
    assert_eq!(
        in_postgres, in_sqlite,
        "a SQLite migration without its PostgreSQL twin in migrations_pg/ (or the reverse)"
    );
}

#[tokio::test]
async fn postgres_keeps_the_guards_and_the_newest_message_as_sqlite_does() {
    let db = migrated().await;
    let pool = &db.pool;
    let (ws, lead, message) = (
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
    );
    let now = chrono::Utc::now();
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, 'Acme', $2)")
        .bind(ws)
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO leads (id, workspace_id, name, stage, created_at, updated_at) \
         VALUES ($1, $2, 'Maya Patel', 'new', $3, $3)",
    )
    .bind(lead)
    .bind(ws)
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO messages (id, workspace_id, lead_id, direction, channel, body, status, created_at) \
         VALUES ($1, $2, $3, 'inbound', 'sms', 'Is the offer still on? Café tomorrow', 'received', $4)",
    )
    .bind(message)
    .bind(ws)
    .bind(lead)
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    // The lead knows its newest message (the inbox's order).
    let newest: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT last_message_id FROM leads WHERE id = $1")
            .bind(lead)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(newest, Some(message));
    // Found by its words, by the start of a word, without minding accents (FTS5's
    // `remove_diacritics 2`, which the search tests rely on on SQLite).
    for (query, hits) in [
        ("offer", 1),
        ("off:*", 1),
        ("cafe:*", 1),
        ("CAFÉ", 1),
        ("tea", 0),
    ] {
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages \
             WHERE search @@ to_tsquery('simple', leadwire_unaccent($1))",
        )
        .bind(query)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(found, hits, "{query}");
    }
    // A message keeps its channel; a lead goes only through the store's deletion.
    let moved = sqlx::query("UPDATE messages SET channel = 'email' WHERE id = $1")
        .bind(message)
        .execute(pool)
        .await;
    assert!(moved.is_err(), "{moved:?}");
    let deleted = sqlx::query("DELETE FROM leads WHERE id = $1")
        .bind(lead)
        .execute(pool)
        .await;
    assert!(deleted.is_err(), "{deleted:?}");
    sqlx::query("INSERT INTO leads_being_deleted (lead_id) VALUES ($1)")
        .bind(lead)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM leads WHERE id = $1")
        .bind(lead)
        .execute(pool)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the lead's messages go with it");
}
