//! Several statements sent to SQLite in one round trip.
//!
//! Every statement through sqlx is a hand-off to the connection's worker thread and back, about
//! 55 µs on these machines under load, and the writer runs them one at a time for every write
//! (see `writer`): a send of ten statements held the writer for ~600 µs, which bounded sends
//! per second. A write whose later statements need no answer from the earlier ones collects
//! them in a `Script` and runs them together.
//!
//! Parameters are plain `?`, bound in the order the statements use them: sqlx binds those in
//! order across the statements of one query (numbered ones it miscounts there).
//!
//! PostgreSQL takes one statement per query with parameters: there the statements run one
//! after another on the same connection, each with its own share of the values — or, for a
//! script marked [`Script::fused`], as one statement: every statement but the last becomes a
//! data-modifying `WITH` of the last. PostgreSQL runs those on one snapshot in no promised
//! order, so only a script whose statements neither read what another one writes nor write one
//! row twice may be fused, and only its last statement may return rows.
use super::db::{pg_sql, Backend, Conn};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Encode, FromRow, Postgres, Sqlite, Type};

/// A value waiting to be added to PostgreSQL's arguments of its statement.
type PgValue<'q> = Box<dyn FnOnce(&mut PgArguments) -> Result<(), sqlx::Error> + Send + 'q>;

pub(super) struct Script<'q> {
    statements: Vec<String>,
    sqlite: SqliteArguments<'q>,
    /// In bind order; each statement takes as many as it has `?`s.
    pg: Vec<PgValue<'q>>,
    backend: Backend,
    /// On PostgreSQL: one round trip for the whole script (see the module's note).
    fused: bool,
}

impl<'q> Script<'q> {
    /// A script for `conn`'s backend.
    pub fn for_conn(conn: &Conn<'_>) -> Self {
        Script {
            statements: Vec::new(),
            sqlite: SqliteArguments::default(),
            pg: Vec::new(),
            backend: conn.backend(),
            fused: false,
        }
    }

    /// Runs as one statement on PostgreSQL. The caller vouches that no statement reads what
    /// another one writes, that no row is written twice, and that only the last returns rows.
    pub fn fused(mut self) -> Self {
        self.fused = true;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Appends one statement; bind its `?`s next, in order.
    pub fn push(&mut self, statement: &str) -> &mut Self {
        self.statements.push(statement.to_string());
        self
    }

    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres> + Send + 'q,
    {
        match self.backend {
            // Adding to SQLite's arguments only stores the value: it cannot fail.
            Backend::Sqlite => self
                .sqlite
                .add(value)
                .expect("an SQLite argument is stored, not encoded"),
            Backend::Postgres => self.pg.push(Box::new(move |args: &mut PgArguments| {
                args.add(value).map_err(sqlx::Error::Encode)
            })),
        }
        self
    }

    /// `head`, then `rows` joined by commas, then `tail`, as one statement; nothing when there
    /// are no rows (their values are bound already, see [`placeholders`]).
    pub fn rows_statement(&mut self, head: &str, rows: Vec<String>, tail: &str) {
        if rows.is_empty() {
            return;
        }
        self.push(&format!("{head}{}{tail}", rows.join(", ")));
    }

    /// Runs every statement.
    pub async fn execute(self, conn: Conn<'_>) -> Result<(), sqlx::Error> {
        if self.is_empty() {
            return Ok(());
        }
        self.check();
        match conn {
            Conn::Sqlite(c) => {
                let text = self.statements.join(";\n");
                sqlx::query_with(&text, self.sqlite).execute(c).await?;
            }
            Conn::Postgres(c) => {
                for (statement, args) in self.pg_statements()? {
                    sqlx::query_with(pg_sql(&statement), args)
                        .execute(&mut *c)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Each statement with its share of the values, for PostgreSQL; a fused script's one.
    fn pg_statements(self) -> Result<Vec<(String, PgArguments)>, sqlx::Error> {
        if self.fused && self.statements.len() > 1 {
            let mut args = PgArguments::default();
            for value in self.pg {
                value(&mut args)?;
            }
            return Ok(vec![(fuse(&self.statements), args)]);
        }
        let mut values = self.pg.into_iter();
        self.statements
            .into_iter()
            .map(|statement| {
                let mut args = PgArguments::default();
                for value in values.by_ref().take(statement.matches('?').count()) {
                    value(&mut args)?;
                }
                Ok((statement, args))
            })
            .collect()
    }

    /// Runs every statement and returns the rows they return (`RETURNING`), all of shape `O`.
    pub async fn fetch_all<O>(self, conn: Conn<'_>) -> Result<Vec<O>, sqlx::Error>
    where
        O: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        self.check();
        match conn {
            Conn::Sqlite(c) => {
                let text = self.statements.join(";\n");
                sqlx::query_as_with(&text, self.sqlite).fetch_all(c).await
            }
            Conn::Postgres(c) => {
                let mut rows = Vec::new();
                for (statement, args) in self.pg_statements()? {
                    rows.extend(
                        sqlx::query_as_with::<_, O, _>(pg_sql(&statement), args)
                            .fetch_all(&mut *c)
                            .await?,
                    );
                }
                Ok(rows)
            }
        }
    }

    /// A statement with fewer values than `?`s would read NULL for the rest (sqlx's choice):
    /// a bug in the caller, caught in debug builds.
    fn check(&self) {
        let marks: usize = self.statements.iter().map(|s| s.matches('?').count()).sum();
        let values = match self.backend {
            Backend::Sqlite => self.sqlite.len(),
            Backend::Postgres => self.pg.len(),
        };
        debug_assert_eq!(
            marks,
            values,
            "a script's values do not match its parameters:\n{}",
            self.statements.join(";\n")
        );
    }
}

/// `statements` as one: `WITH s0 AS (first), s1 AS (second), … last`. The `?`s stay in the
/// order they were bound in.
fn fuse(statements: &[String]) -> String {
    let (last, rest) = statements.split_last().expect("a script to fuse");
    debug_assert!(
        rest.iter().all(|s| !s.contains("RETURNING")),
        "only a fused script's last statement may return rows"
    );
    let ctes: Vec<String> = rest
        .iter()
        .enumerate()
        .map(|(i, s)| format!("s{i} AS ({s})"))
        .collect();
    format!("WITH {} {last}", ctes.join(", "))
}

/// `(?, ?, …)` for `n` values bound just before.
pub(super) fn placeholders(n: usize) -> String {
    let mut out = String::from("(");
    for i in 0..n {
        out.push_str(if i > 0 { ", ?" } else { "?" });
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// A fused script is one statement whose `?`s number on in bind order across the parts.
    #[test]
    fn a_fused_script_is_the_last_statement_with_the_others_as_its_withs() {
        let fused = fuse(&[
            "INSERT INTO a VALUES (?, ?)".to_string(),
            "DELETE FROM b WHERE k = ?".to_string(),
            "INSERT INTO c VALUES (?) RETURNING k".to_string(),
        ]);
        assert_eq!(
            pg_sql(&fused),
            "WITH s0 AS (INSERT INTO a VALUES ($1, $2)), s1 AS (DELETE FROM b WHERE k = $3) \
             INSERT INTO c VALUES ($4) RETURNING k"
        );
    }

    /// Plain `?`s bind in order across statements, and the rows of a `RETURNING` come back.
    #[tokio::test]
    async fn runs_several_statements_with_their_values_in_order() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)")
            .execute(&mut conn)
            .await
            .unwrap();
        let mut script = Script::for_conn(&Conn::Sqlite(&mut conn));
        script
            .push("INSERT INTO t VALUES (?, ?)")
            .bind("a")
            .bind(1_i64);
        let rows = ["b", "c"]
            .iter()
            .zip([2_i64, 3])
            .map(|(k, n)| {
                script.bind(*k).bind(n);
                placeholders(2)
            })
            .collect();
        script.rows_statement("INSERT INTO t VALUES ", rows, "");
        script.rows_statement("INSERT INTO t VALUES ", Vec::new(), "");
        script
            .push("UPDATE t SET n = n * ? WHERE k != ? RETURNING k, n")
            .bind(10_i64)
            .bind("b");
        let mut changed: Vec<(String, i64)> =
            script.fetch_all(Conn::Sqlite(&mut conn)).await.unwrap();
        changed.sort();
        assert_eq!(changed, [("a".to_string(), 10), ("c".to_string(), 30)]);
        let b: i64 = sqlx::query_scalar("SELECT n FROM t WHERE k = 'b'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(b, 2);
    }
}
