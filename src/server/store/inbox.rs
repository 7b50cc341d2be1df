//! The inbox: leads by their newest message (an index range scan on `leads.last_message_at`),
//! filtered, with the viewer's unread counts; and full-text search (FTS5) over messages and
//! lead names.
use super::db::{on_db, Db};
use super::messages::LatestMessage;
use super::Store;
use crate::model::ids::{LeadId, UserId, WorkspaceId};
use crate::model::inbox::{InboxFilter, MARK_END, MARK_START};
use std::collections::HashMap;

/// A row shows a 120-character preview of the newest message: the list reads only this much of
/// each body (a body may be 20,000 characters), room enough for the preview after runs of
/// whitespace fold.
const PREVIEW_SOURCE_CHARS: usize = 1000;

impl Store {
    /// Up to `limit` inbox rows for `user`. With `only`, just those leads (search results),
    /// including leads without messages yet.
    pub async fn inbox_rows(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        filter: &InboxFilter,
        only: Option<&[LeadId]>,
        limit: i64,
    ) -> Result<Vec<LatestMessage>, sqlx::Error> {
        // The reader's watermark is joined once per lead, not looked up per message.
        let unread = super::reads::unread("m2", "r.read_until");
        let mut sql = format!(
            "SELECT * FROM (SELECT l.id AS lead_id, l.name AS lead_name, l.company, l.stage, \
             u.name AS owner_name, COALESCE(m.direction, 'inbound') AS direction, \
             COALESCE(m.channel, 'chat') AS channel, m.subject, \
             COALESCE(substr(m.body, 1, {PREVIEW_SOURCE_CHARS}), '') AS body, \
             COALESCE(m.created_at, l.created_at) AS created_at, \
             (SELECT COUNT(*) FROM messages m2 WHERE m2.lead_id = l.id AND {unread}) AS unread \
             FROM leads l LEFT JOIN messages m ON m.id = l.last_message_id \
             LEFT JOIN users u ON u.id = l.owner_id \
             LEFT JOIN lead_reads r ON r.lead_id = l.id AND r.user_id = ? \
             WHERE l.workspace_id = ?"
        );
        match only {
            Some(ids) => {
                sql.push_str(&format!(
                    " AND l.id IN ({})",
                    vec!["?"; ids.len().max(1)].join(", ")
                ));
            }
            None => sql.push_str(" AND l.last_message_at IS NOT NULL"),
        }
        if filter.channel.is_some() {
            sql.push_str(" AND m.channel = ?");
        }
        if filter.stage.is_some() {
            sql.push_str(" AND l.stage = ?");
        }
        if filter.mine {
            sql.push_str(" AND l.owner_id = ?");
        }
        sql.push_str(" ORDER BY l.last_message_at DESC LIMIT ?) AS rows");
        if filter.unread_only {
            sql.push_str(" WHERE unread > 0");
        }
        let mut rows = on_db!(self.db(), |p, fit| {
            let mut query = sqlx::query_as::<_, LatestMessage>(fit(&sql))
                .bind(user)
                .bind(workspace);
            if let Some(ids) = only {
                if ids.is_empty() {
                    query = query.bind(LeadId::new_random());
                }
                for id in ids {
                    query = query.bind(*id);
                }
            }
            if let Some(channel) = filter.channel {
                query = query.bind(channel.as_str());
            }
            if let Some(stage) = filter.stage {
                query = query.bind(stage.as_str());
            }
            if filter.mine {
                query = query.bind(user);
            }
            // The unread filter applies after the limit only when unread rows are plentiful; ask
            // for more so the page fills.
            let wanted = if filter.unread_only {
                limit * 20
            } else {
                limit
            };
            query.bind(wanted).fetch_all(p).await
        })?;
        rows.truncate(limit as usize);
        Ok(rows)
    }

    /// Leads of the workspace matching `fts` (an [`crate::model::inbox::fts_query`]) by a
    /// message's subject or body (newest message first) or by name or company, with a marked
    /// snippet of the match.
    pub async fn search(
        &self,
        workspace: WorkspaceId,
        fts: &str,
        limit: i64,
    ) -> Result<Vec<(LeadId, String)>, sqlx::Error> {
        let (by_name, by_text) = match self.db() {
            Db::Sqlite(pool) => search_fts5(pool, workspace, fts, limit).await?,
            Db::Postgres(pool) => search_tsvector(pool, workspace, fts, limit).await?,
        };
        let by_text = by_text.into_iter().map(|(lead, body, subject)| {
            let shown = if !body.contains(MARK_START) && subject.contains(MARK_START) {
                subject
            } else {
                body
            };
            (lead, shown)
        });
        // One entry per lead: a message snippet says more than the name it shares.
        let mut best: HashMap<LeadId, String> = HashMap::new();
        let mut order = Vec::new();
        for (lead, snippet) in by_text.chain(by_name) {
            if let std::collections::hash_map::Entry::Vacant(slot) = best.entry(lead) {
                order.push(lead);
                slot.insert(snippet);
            }
        }
        order.truncate(limit as usize);
        Ok(order
            .into_iter()
            .filter_map(|l| best.remove(&l).map(|s| (l, s)))
            .collect())
    }
}

/// Names, and snippets of the body and the subject, of the newest matches.
type Found = (Vec<(LeadId, String)>, Vec<(LeadId, String, String)>);

/// SQLite: the FTS5 tables, scoped by their `scope` column.
async fn search_fts5(
    pool: &sqlx::SqlitePool,
    workspace: WorkspaceId,
    fts: &str,
    limit: i64,
) -> Result<Found, sqlx::Error> {
    let start = MARK_START.to_string();
    let end = MARK_END.to_string();
    // The workspace is a token of the `scope` column: scoping is part of the match.
    let scoped = format!(
        "scope:w{} AND ({fts})",
        workspace.to_string().replace('-', "")
    );
    let by_name = sqlx::query_as(
        "SELECT lead_id, highlight(leads_fts, 2, ?, ?) FROM leads_fts \
         WHERE leads_fts MATCH ? ORDER BY rank LIMIT ?",
    )
    .bind(&start)
    .bind(&end)
    .bind(&scoped)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    // Newest matching messages first: FTS5 walks its index backwards and stops at the
    // limit, where ranking would score every match of a common word.
    // Snippets of the body and the subject (column 4, 3): whichever holds the match.
    let by_text = sqlx::query_as(
        "SELECT lead_id, snippet(messages_fts, 4, ?, ?, '…', 12), highlight(messages_fts, 3, ?, ?) \
         FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
    )
    .bind(&start)
    .bind(&end)
    .bind(&start)
    .bind(&end)
    .bind(&scoped)
    .bind(limit * 4)
    .fetch_all(pool)
    .await?;
    Ok((by_name, by_text))
}

/// PostgreSQL: the generated `search` columns (GIN-indexed), with the same words-as-prefixes
/// query: `"cafe"* "bar"*` becomes `cafe:* & bar:*`.
async fn search_tsvector(
    pool: &sqlx::PgPool,
    workspace: WorkspaceId,
    fts: &str,
    limit: i64,
) -> Result<Found, sqlx::Error> {
    let query = fts
        .split(' ')
        .map(|w| format!("{}:*", w.trim_matches(|c| c == '"' || c == '*')))
        .collect::<Vec<_>>()
        .join(" & ");
    let marks = format!("StartSel=\"{MARK_START}\", StopSel=\"{MARK_END}\", HighlightAll=true");
    let snippet = format!(
        "StartSel=\"{MARK_START}\", StopSel=\"{MARK_END}\", MaxWords=12, MinWords=4, \
         ShortWord=0, FragmentDelimiter=\"…\", MaxFragments=1"
    );
    let by_name = sqlx::query_as(
        "SELECT id, ts_headline('simple', name, q, $3) \
         FROM leads, to_tsquery('simple', leadwire_unaccent($2)) q \
         WHERE workspace_id = $1 AND search @@ q ORDER BY ts_rank(search, q) DESC LIMIT $4",
    )
    .bind(workspace)
    .bind(&query)
    .bind(&marks)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let by_text = sqlx::query_as(
        "SELECT lead_id, ts_headline('simple', body, q, $3), \
         ts_headline('simple', COALESCE(subject, ''), q, $4) \
         FROM messages, to_tsquery('simple', leadwire_unaccent($2)) q \
         WHERE workspace_id = $1 AND search @@ q ORDER BY created_at DESC, id DESC LIMIT $5",
    )
    .bind(workspace)
    .bind(&query)
    .bind(&snippet)
    .bind(&marks)
    .bind(limit * 4)
    .fetch_all(pool)
    .await?;
    Ok((by_name, by_text))
}
