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
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Encode, FromRow, Sqlite, Type};

#[derive(Default)]
pub(super) struct Script<'q> {
    text: String,
    args: SqliteArguments<'q>,
}

impl<'q> Script<'q> {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Appends one statement; bind its `?`s next, in order.
    pub fn push(&mut self, statement: &str) -> &mut Self {
        self.text.push_str(statement);
        self.text.push_str(";\n");
        self
    }

    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: Encode<'q, Sqlite> + Type<Sqlite> + 'q,
    {
        // Adding to SQLite's arguments only stores the value: it cannot fail.
        self.args
            .add(value)
            .expect("an SQLite argument is stored, not encoded");
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
    pub async fn execute(self, conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
        if self.is_empty() {
            return Ok(());
        }
        self.check();
        sqlx::query_with(&self.text, self.args)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Runs every statement and returns the rows they return (`RETURNING`), all of shape `O`.
    pub async fn fetch_all<O>(
        self,
        conn: &mut sqlx::SqliteConnection,
    ) -> Result<Vec<O>, sqlx::Error>
    where
        O: for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
    {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        self.check();
        sqlx::query_as_with(&self.text, self.args)
            .fetch_all(conn)
            .await
    }

    /// A statement with fewer values than `?`s would read NULL for the rest (sqlx's choice):
    /// a bug in the caller, caught in debug builds.
    fn check(&self) {
        debug_assert_eq!(
            self.text.matches('?').count(),
            self.args.len(),
            "a script's values do not match its parameters:\n{}",
            self.text
        );
    }
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
        let mut script = Script::default();
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
        let mut changed: Vec<(String, i64)> = script.fetch_all(&mut conn).await.unwrap();
        changed.sort();
        assert_eq!(changed, [("a".to_string(), 10), ("c".to_string(), 30)]);
        let b: i64 = sqlx::query_scalar("SELECT n FROM t WHERE k = 'b'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(b, 2);
    }
}
