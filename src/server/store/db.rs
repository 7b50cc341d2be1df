//! The two databases the store runs on, behind one set of types: the embedded SQLite file (the
//! default) and PostgreSQL (several instances sharing one database).
//!
//! Store code is written once and compiled for each backend: [`on_db!`] and [`on_conn!`] run a
//! body with the backend's own pool or connection, so sqlx's query types, row decoding and
//! binding stay those of that backend (no lowest-common-denominator driver), and SQL that both
//! dialects read the same way is written once. Where the dialects differ, the code matches on
//! the backend and says why there.
//!
//! Parameters are written SQLite's way (`?` in order, or `?N`); for PostgreSQL [`pg_sql`]
//! renumbers them as `$N` once per statement text.
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// A pool of the store's database.
#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One connection, borrowed: from a pool, a transaction or the writer.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// A read transaction on the pool (one snapshot for several reads).
pub(crate) enum DbTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A connection taken from the pool for several statements.
pub(crate) enum PooledConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn begin(&self) -> Result<DbTx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(p) => DbTx::Sqlite(p.begin().await?),
            Db::Postgres(p) => DbTx::Postgres(p.begin().await?),
        })
    }

    pub async fn acquire(&self) -> Result<PooledConn, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(p) => PooledConn::Sqlite(p.acquire().await?),
            Db::Postgres(p) => PooledConn::Postgres(p.acquire().await?),
        })
    }

    /// (open, idle) connections.
    pub fn usage(&self) -> (u32, u32) {
        match self {
            Db::Sqlite(p) => (p.size(), p.num_idle() as u32),
            Db::Postgres(p) => (p.size(), p.num_idle() as u32),
        }
    }
}

impl Conn<'_> {
    /// The same connection, for one more call (the enum holds a `&mut`).
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }
}

impl DbTx {
    /// The transaction's connection, for one call.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            DbTx::Sqlite(t) => Conn::Sqlite(t),
            DbTx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            DbTx::Sqlite(t) => t.commit().await,
            DbTx::Postgres(t) => t.commit().await,
        }
    }
}

impl PooledConn {
    /// The connection, for one call.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            PooledConn::Sqlite(c) => Conn::Sqlite(c),
            PooledConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// What a statement changed, on either backend.
pub(crate) struct Done(u64);

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.0
    }
}

impl From<sqlx::sqlite::SqliteQueryResult> for Done {
    fn from(r: sqlx::sqlite::SqliteQueryResult) -> Self {
        Done(r.rows_affected())
    }
}

impl From<sqlx::postgres::PgQueryResult> for Done {
    fn from(r: sqlx::postgres::PgQueryResult) -> Self {
        Done(r.rows_affected())
    }
}

/// Runs `$body` with `$p` bound to the store's pool, once per backend, and `$sql` to the
/// function that fits SQL written with `?` parameters to that backend (see [`pg_sql`]).
macro_rules! on_db {
    ($db:expr, |$p:ident, $sql:ident| $body:expr) => {
        match $db {
            $crate::server::store::db::Db::Sqlite($p) => {
                #[allow(unused_variables)]
                let $sql = $crate::server::store::db::sqlite_sql;
                $body
            }
            $crate::server::store::db::Db::Postgres($p) => {
                #[allow(unused_variables)]
                let $sql = $crate::server::store::db::pg_sql;
                $body
            }
        }
    };
}
pub(crate) use on_db;

/// [`on_db!`] for a borrowed [`Conn`]: `$c` is the backend's `&mut` connection.
macro_rules! on_conn {
    ($conn:expr, |$c:ident, $sql:ident| $body:expr) => {
        match $conn.reborrow() {
            $crate::server::store::db::Conn::Sqlite($c) => {
                #[allow(unused_variables)]
                let $sql = $crate::server::store::db::sqlite_sql;
                $body
            }
            $crate::server::store::db::Conn::Postgres($c) => {
                #[allow(unused_variables)]
                let $sql = $crate::server::store::db::pg_sql;
                $body
            }
        }
    };
}
pub(crate) use on_conn;

/// SQLite reads the store's SQL as written.
pub(crate) fn sqlite_sql(sql: &str) -> &str {
    sql
}

/// The store's SQL with its `?`/`?N` parameters as PostgreSQL's `$N`, translated once per
/// distinct text and kept (statement texts are a fixed set of shapes, so this stays small).
pub(crate) fn pg_sql(sql: &str) -> &'static str {
    static CACHE: OnceLock<RwLock<HashMap<Box<str>, &'static str>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.read().expect("not poisoned").get(sql) {
        return found;
    }
    let translated: &'static str = Box::leak(numbered_params(sql).into_boxed_str());
    cache
        .write()
        .expect("not poisoned")
        .insert(sql.into(), translated);
    translated
}

/// `?` → `$k` (one past the highest number so far, as SQLite counts) and `?N` → `$N`, outside
/// quoted strings, quoted names and comments.
fn numbered_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    let mut highest = 0u32;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    highest + 1
                } else {
                    digits.parse().unwrap_or(highest + 1)
                };
                highest = highest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::numbered_params;

    #[test]
    fn parameters_are_numbered_as_sqlite_counts_them() {
        assert_eq!(
            numbered_params("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
        );
        assert_eq!(
            numbered_params("UPDATE t SET a = ?2 WHERE b = ?1 OR c = ?2"),
            "UPDATE t SET a = $2 WHERE b = $1 OR c = $2"
        );
        // After ?3, a plain ? is the fourth.
        assert_eq!(numbered_params("?3, ?"), "$3, $4");
    }

    #[test]
    fn question_marks_in_strings_names_and_comments_stay() {
        assert_eq!(
            numbered_params("SELECT '?', \"a?\" -- why?\nFROM t WHERE x = ?"),
            "SELECT '?', \"a?\" -- why?\nFROM t WHERE x = $1"
        );
    }
}
