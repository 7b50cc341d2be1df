//! The few places where SQLite and PostgreSQL spell the same thing differently, each written
//! once here for both (the rest of the store's SQL reads the same on each).
use super::db::Backend;

impl Backend {
    /// Whole seconds from the time `earlier` to the time `later` (SQL expressions).
    pub(super) fn seconds_between(self, later: &str, earlier: &str) -> String {
        match self {
            Backend::Sqlite => format!(
                "CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400) AS BIGINT)"
            ),
            Backend::Postgres => format!(
                "CAST(ROUND(EXTRACT(EPOCH FROM (CAST({later} AS TIMESTAMPTZ) - {earlier}))) AS BIGINT)"
            ),
        }
    }

    /// The larger of two values (SQLite's two-argument `MAX`).
    pub(super) fn greatest(self) -> &'static str {
        match self {
            Backend::Sqlite => "MAX",
            Backend::Postgres => "GREATEST",
        }
    }

    /// After a table in a FROM clause: read it by `index` (SQLite's `INDEXED BY`, for a query
    /// whose planner would otherwise walk a whole other index); PostgreSQL plans from its
    /// statistics.
    pub(super) fn by_index(self, index: &str) -> String {
        match self {
            Backend::Sqlite => format!("INDEXED BY {index}"),
            Backend::Postgres => String::new(),
        }
    }

    /// `LIKE` that ignores letter case (SQLite's `LIKE` does, for ASCII).
    pub(super) fn like_any_case(self) -> &'static str {
        match self {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }

    /// An id column as 32 lower-case hex digits (how the client names attachments).
    pub(super) fn id_hex(self, column: &str) -> String {
        match self {
            Backend::Sqlite => format!("lower(hex({column}))"),
            Backend::Postgres => format!("replace(CAST({column} AS TEXT), '-', '')"),
        }
    }

    /// A JSON array (as text) of one object per row of `table` matching `filter`, in `order`
    /// (a column); `[]` when none. `fields` pairs JSON names with SQL expressions over the
    /// rows, which are called `r`.
    pub(super) fn json_rows(
        self,
        fields: &[(&str, String)],
        table: &str,
        filter: &str,
        order: &str,
    ) -> String {
        let pairs = fields
            .iter()
            .map(|(name, value)| format!("'{name}', {value}"))
            .collect::<Vec<_>>()
            .join(", ");
        match self {
            Backend::Sqlite => format!(
                "(SELECT json_group_array(json_object({pairs})) \
                 FROM (SELECT * FROM {table} WHERE {filter} ORDER BY {order}) r)"
            ),
            Backend::Postgres => format!(
                "(SELECT COALESCE(CAST(json_agg(json_build_object({pairs}) ORDER BY r.{order}) AS TEXT), '[]') \
                 FROM {table} r WHERE {filter})"
            ),
        }
    }
}
