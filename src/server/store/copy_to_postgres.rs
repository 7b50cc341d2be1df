//! `leadwire migrate`: copies everything in this SQLite store into an empty PostgreSQL database
//! that gets the PostgreSQL schema (`migrations_pg/`) first — ids, event seqs, receipts, drafts,
//! sessions, rollups, all of it — in one PostgreSQL transaction (a failure leaves it empty),
//! then checks both sides: row counts per table, and per-workspace totals computed on each side
//! by the same SQL.
//!
//! The tables, their columns and their order come from PostgreSQL's catalogue (tables before
//! the tables that refer to them), so a table added to both schemas is copied without a change
//! here; each value is read from SQLite as the type its PostgreSQL column has.
use super::db::Db;
use super::Store;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::{PgPool, Row};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// How far the copy is: `table`, `done` of `total` rows.
pub struct Progress<'a> {
    pub table: &'a str,
    pub done: u64,
    pub total: u64,
}

/// What was copied, and what the check after it found.
#[derive(Debug, Default)]
pub struct CopyReport {
    /// Rows per table, as counted on both sides after the copy.
    pub rows: BTreeMap<String, (i64, i64)>,
    /// Per-workspace totals (`<workspace> <figure>` → SQLite, PostgreSQL).
    pub totals: BTreeMap<String, (i64, i64)>,
}

impl CopyReport {
    /// Every count and total the same on both sides.
    pub fn verified(&self) -> bool {
        self.rows
            .values()
            .chain(self.totals.values())
            .all(|(a, b)| a == b)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the PostgreSQL database already holds data (table `{0}` is not empty): copy into an empty one")]
    NotEmpty(String),
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A column and how its values travel.
struct Column {
    name: String,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Uuid,
    Time,
    Bool,
    Int,
    Text,
    Bytes,
}

enum Value {
    Uuid(Option<Uuid>),
    Time(Option<DateTime<Utc>>),
    Bool(Option<bool>),
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// PostgreSQL's bound on parameters per statement is 65,535.
const PARAMS_PER_INSERT: usize = 30_000;

impl Store {
    /// The SQLite pool a copy reads from.
    fn copy_source(&self) -> Result<&sqlx::SqlitePool, sqlx::Error> {
        match self.db() {
            Db::Sqlite(pool) => Ok(pool),
            Db::Postgres(_) => Err(sqlx::Error::Configuration(
                "the store to copy from must be a SQLite file".into(),
            )),
        }
    }

    /// Copies the whole store into the empty PostgreSQL database at `to` (see the module).
    pub async fn copy_to_postgres(
        &self,
        to: &str,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Result<CopyReport, CopyError> {
        let source = self.copy_source()?;
        let pg = PgPool::connect(to).await?;
        sqlx::migrate!("./migrations_pg").run(&pg).await?;
        let tables = tables_in_order(&pg).await?;
        for table in &tables {
            let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&pg)
                .await?;
            if rows > 0 {
                return Err(CopyError::NotEmpty(table.clone()));
            }
        }
        let mut tx = pg.begin().await?;
        // The copied rows already hold what the triggers would derive.
        sqlx::query("ALTER TABLE messages DISABLE TRIGGER messages_track_latest")
            .execute(&mut *tx)
            .await?;
        for table in &tables {
            let columns = columns_of(&pg, table).await?;
            let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(source)
                .await?;
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            let list = names.join(", ");
            let per_insert = (PARAMS_PER_INSERT / columns.len().max(1)).max(1);
            let select = format!("SELECT {list} FROM {table}");
            let mut rows = sqlx::query(&select).fetch(source);
            let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_insert);
            let mut done = 0u64;
            progress(Progress {
                table,
                done,
                total: total as u64,
            });
            while let Some(row) = rows.try_next().await? {
                let mut values = Vec::with_capacity(columns.len());
                for (i, column) in columns.iter().enumerate() {
                    values.push(read(&row, i, column.kind)?);
                }
                batch.push(values);
                if batch.len() == per_insert {
                    insert(&mut tx, table, &list, std::mem::take(&mut batch)).await?;
                    done += per_insert as u64;
                    progress(Progress {
                        table,
                        done,
                        total: total as u64,
                    });
                }
            }
            if !batch.is_empty() {
                done += batch.len() as u64;
                insert(&mut tx, table, &list, batch).await?;
                progress(Progress {
                    table,
                    done,
                    total: total as u64,
                });
            }
        }
        sqlx::query("ALTER TABLE messages ENABLE TRIGGER messages_track_latest")
            .execute(&mut *tx)
            .await?;
        // Numbers PostgreSQL gives out go on after the copied ones.
        for (table, column) in [
            ("events", "seq"),
            ("activities", "id"),
            ("tracking_events", "id"),
        ] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let report = self.compare(&pg, &tables).await?;
        pg.close().await;
        Ok(report)
    }

    async fn compare(&self, pg: &PgPool, tables: &[String]) -> Result<CopyReport, sqlx::Error> {
        let source = self.copy_source()?;
        let mut report = CopyReport::default();
        for table in tables {
            let count = format!("SELECT COUNT(*) FROM {table}");
            let here: i64 = sqlx::query_scalar(&count).fetch_one(source).await?;
            let there: i64 = sqlx::query_scalar(&count).fetch_one(pg).await?;
            report.rows.insert(table.clone(), (here, there));
        }
        // The same figures from each side's rows, by the same SQL (PostgreSQL sums BIGINTs as
        // NUMERIC: cast back).
        const TOTALS: &str = "SELECT w.name, \
            (SELECT COUNT(*) FROM messages m WHERE m.workspace_id = w.id AND m.direction = 'inbound'), \
            (SELECT COUNT(*) FROM messages m WHERE m.workspace_id = w.id AND m.direction = 'outbound'), \
            (SELECT COUNT(*) FROM leads l WHERE l.workspace_id = w.id AND l.stage = 'won'), \
            (SELECT CAST(COALESCE(SUM(l.deal_value_cents), 0) AS BIGINT) FROM leads l WHERE l.workspace_id = w.id AND l.stage = 'won'), \
            (SELECT COALESCE(MAX(e.ws_seq), 0) FROM events e WHERE e.workspace_id = w.id), \
            (SELECT CAST(COALESCE(SUM(r.sent + r.received), 0) AS BIGINT) FROM message_rollups r WHERE r.workspace_id = w.id) \
            FROM workspaces w";
        let here: Vec<(String, i64, i64, i64, i64, i64, i64)> =
            sqlx::query_as(TOTALS).fetch_all(source).await?;
        let there: Vec<(String, i64, i64, i64, i64, i64, i64)> =
            sqlx::query_as(TOTALS).fetch_all(pg).await?;
        let figures = |rows: Vec<(String, i64, i64, i64, i64, i64, i64)>| {
            let mut out = BTreeMap::new();
            for (name, inbound, outbound, won, won_value, seq, rolled) in rows {
                for (figure, n) in [
                    ("messages received", inbound),
                    ("messages sent", outbound),
                    ("leads won", won),
                    ("won value (cents)", won_value),
                    ("event seq", seq),
                    ("rolled-up messages", rolled),
                ] {
                    out.insert(format!("{name}: {figure}"), n);
                }
            }
            out
        };
        let (here, there) = (figures(here), figures(there));
        let keys: BTreeSet<&String> = here.keys().chain(there.keys()).collect();
        for key in keys {
            let a = here.get(key).copied().unwrap_or(-1);
            let b = there.get(key).copied().unwrap_or(-1);
            report.totals.insert(key.clone(), (a, b));
        }
        Ok(report)
    }
}

/// PostgreSQL's tables, each after every table it refers to.
/// Tables only PostgreSQL has: state several instances share that one SQLite instance keeps
/// in memory (nothing to copy).
const POSTGRES_ONLY: &[&str] = &["sign_in_failures", "address_buckets"];

async fn tables_in_order(pg: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name <> '_sqlx_migrations' AND table_name <> ALL($1) ORDER BY table_name",
    )
    .bind(POSTGRES_ONLY)
    .fetch_all(pg)
    .await?;
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT tc.table_name::text, ccu.table_name::text \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.constraint_column_usage ccu \
           ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema \
         WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'",
    )
    .fetch_all(pg)
    .await?;
    let mut ordered: Vec<String> = Vec::new();
    while ordered.len() < tables.len() {
        let before = ordered.len();
        for table in &tables {
            let ready = !ordered.contains(table)
                && references
                    .iter()
                    .filter(|(from, to)| from == table && to != table)
                    .all(|(_, to)| ordered.contains(to));
            if ready {
                ordered.push(table.clone());
            }
        }
        if ordered.len() == before {
            return Err(sqlx::Error::Protocol(
                "the PostgreSQL schema's references form a circle".into(),
            ));
        }
    }
    Ok(ordered)
}

/// The columns a copy writes (generated ones, like the search documents, are PostgreSQL's).
async fn columns_of(pg: &PgPool, table: &str) -> Result<Vec<Column>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' \
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(pg)
    .await?;
    rows.into_iter()
        .map(|(name, data_type)| {
            let kind = match data_type.as_str() {
                "uuid" => Kind::Uuid,
                "timestamp with time zone" => Kind::Time,
                "boolean" => Kind::Bool,
                "bigint" | "integer" => Kind::Int,
                "text" => Kind::Text,
                "bytea" => Kind::Bytes,
                other => {
                    return Err(sqlx::Error::Protocol(format!(
                        "{table}.{name}: no copy for PostgreSQL type {other}"
                    )))
                }
            };
            Ok(Column { name, kind })
        })
        .collect()
}

fn read(row: &sqlx::sqlite::SqliteRow, i: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Uuid => Value::Uuid(row.try_get(i)?),
        Kind::Time => Value::Time(row.try_get(i)?),
        Kind::Bool => Value::Bool(row.try_get(i)?),
        Kind::Int => Value::Int(row.try_get(i)?),
        Kind::Text => Value::Text(row.try_get(i)?),
        Kind::Bytes => Value::Bytes(row.try_get(i)?),
    })
}

async fn insert(
    tx: &mut sqlx::PgConnection,
    table: &str,
    list: &str,
    rows: Vec<Vec<Value>>,
) -> Result<(), sqlx::Error> {
    let width = rows.first().map_or(0, Vec::len);
    let mut sql = format!("INSERT INTO {table} ({list}) OVERRIDING SYSTEM VALUE VALUES ");
    let mut n = 0;
    for (r, _) in rows.iter().enumerate() {
        sql.push_str(if r > 0 { ", (" } else { "(" });
        for c in 0..width {
            n += 1;
            sql.push_str(&format!("{}${n}", if c > 0 { ", " } else { "" }));
        }
        sql.push(')');
    }
    let mut query = sqlx::query(&sql);
    for value in rows.into_iter().flatten() {
        query = match value {
            Value::Uuid(v) => query.bind(v),
            Value::Time(v) => query.bind(v),
            Value::Bool(v) => query.bind(v),
            Value::Int(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::Bytes(v) => query.bind(v),
        };
    }
    query.execute(tx).await?;
    Ok(())
}
