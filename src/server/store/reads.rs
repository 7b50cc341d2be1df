//! Read status per user and lead: a watermark (`read_until`) over the lead's inbound messages.
use super::db::{on_conn, Conn};
use super::events::{append, LoggedEvent};
use super::{now, Store};
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, MessageId, UserId, WorkspaceId};
use chrono::{DateTime, Duration, Utc};

/// Where a read mark ends.
pub enum ReadMark {
    /// Everything up to and including this message of the lead has been seen.
    Through(MessageId),
    /// The newest inbound message is unread again.
    LastUnread,
}

impl Store {
    /// Moves the user's watermark on `lead` (forward only for `Through`; back to just before the
    /// newest inbound message for `LastUnread`), logs `reads_updated` for the user alone, and
    /// returns the unread count. None: the message is not one of this lead's.
    pub async fn mark_read(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        lead: LeadId,
        mark: ReadMark,
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let until: Option<DateTime<Utc>> = match mark {
            ReadMark::Through(message) => {
                let at: Option<(DateTime<Utc>,)> = on_conn!(tx, |c, sql| {
                    sqlx::query_as(sql("SELECT created_at FROM messages WHERE id = ? AND lead_id = ? AND workspace_id = ?",))
                .bind(message)
                .bind(lead)
                .bind(workspace)
                .fetch_optional(c)
                .await
                })?;
                let Some((at,)) = at else {
                    return Ok(None);
                };
                let current: Option<(DateTime<Utc>,)> = on_conn!(tx, |c, sql| sqlx::query_as(
                    sql("SELECT read_until FROM lead_reads WHERE user_id = ? AND lead_id = ?",)
                )
                .bind(user)
                .bind(lead)
                .fetch_optional(c)
                .await)?;
                // Forward only: an old tab marking an older message does not unread newer ones.
                Some(current.map_or(at, |(c,)| c.max(at)))
            }
            ReadMark::LastUnread => {
                let (newest,): (Option<DateTime<Utc>>,) = on_conn!(tx, |c, sql| {
                    sqlx::query_as(sql("SELECT MAX(created_at) FROM messages WHERE lead_id = ? AND workspace_id = ? \
                     AND direction = 'inbound'",))
                .bind(lead)
                .bind(workspace)
                .fetch_one(c)
                .await
                })?;
                newest.map(|n| n - Duration::milliseconds(1))
            }
        };
        if let Some(until) = until {
            on_conn!(tx, |c, sql| sqlx::query(sql(
                "INSERT INTO lead_reads (user_id, lead_id, workspace_id, read_until, updated_at) \
                 VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (user_id, lead_id) DO UPDATE SET read_until = excluded.read_until, \
                 updated_at = excluded.updated_at",
            ))
            .bind(user)
            .bind(lead)
            .bind(workspace)
            .bind(until)
            .bind(now())
            .execute(c)
            .await
            .map(super::db::Done::from))?;
        }
        let unread = unread_in(tx.reborrow(), user, lead).await?;
        let event: LoggedEvent = append(tx.reborrow(), workspace, Some(user), |seq| {
            ServerFrame::ReadsUpdated {
                seq,
                lead_id: lead,
                unread,
            }
        })
        .await?;
        tx.commit(vec![event]).await?;
        Ok(Some(unread))
    }

    pub async fn unread_count(&self, user: UserId, lead: LeadId) -> Result<i64, sqlx::Error> {
        let mut conn = self.db().acquire().await?;
        unread_in(conn.reborrow(), user, lead).await
    }
}

async fn unread_in(mut conn: Conn<'_>, user: UserId, lead: LeadId) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_conn!(conn, |c, sql| sqlx::query_as(sql(&unread_in_sql()))
        .bind(lead)
        .bind(user)
        .fetch_one(c)
        .await)?;
    Ok(n)
}

/// One lead's unread count for one reader (`?1` the lead, `?2` the reader). The watermark is read
/// first, as a value, so the count can seek past it (it runs inside the write of every read mark).
fn unread_in_sql() -> String {
    format!(
        "SELECT COUNT(*) FROM messages m WHERE m.lead_id = ?1 AND {}",
        unread(
            "m",
            "(SELECT r.read_until FROM lead_reads r WHERE r.lead_id = ?1 AND r.user_id = ?2)"
        )
    )
}

/// What unread means, for every query that counts it: message `message` (a table alias) is
/// inbound and newer than the reader's watermark `read_until` (an SQL expression; NULL when the
/// reader never read the lead: then every inbound message is unread).
///
/// Written as one bound rather than `read_until IS NULL OR created_at > read_until` so that the
/// count seeks in `messages_by_lead_direction_time` to the watermark instead of reading every
/// inbound message of a long thread. `'-infinity'` is below every time on both databases:
/// PostgreSQL reads it as the timestamp, and SQLite compares the text, where `-` sorts before
/// every digit a stored time starts with.
pub(super) fn unread(message: &str, read_until: &str) -> String {
    format!(
        "{message}.direction = 'inbound' AND {message}.created_at > COALESCE({read_until}, '-infinity')"
    )
}

#[cfg(test)]
mod tests {
    use super::{unread, unread_in_sql};
    use crate::server::store::query_plan::PlanDb;

    /// The count seeks to the watermark in its index (a thread of thousands of read messages
    /// costs one seek, not a walk), and `'-infinity'` stands below any stored time.
    #[tokio::test]
    async fn the_unread_count_seeks_past_the_watermark() {
        let mut db = PlanDb::new().await;
        // As the inbox joins it (per row), and for one lead (after a read mark).
        for query in [
            format!(
                "SELECT COUNT(*) FROM lead_reads r, messages m WHERE m.lead_id = r.lead_id AND {}",
                unread("m", "r.read_until")
            ),
            unread_in_sql(),
        ] {
            let plan = db.plan(&query).await;
            assert!(
                plan.iter()
                    .any(|step| step.contains("messages_by_lead_direction_time")
                        && step.contains("created_at>?")),
                "{query}: {plan:?}"
            );
        }
        let (below,): (bool,) =
            sqlx::query_as("SELECT '0001-01-01T00:00:00+00:00' > COALESCE(NULL, '-infinity')")
                .fetch_one(db.conn())
                .await
                .unwrap();
        assert!(below);
    }
}
