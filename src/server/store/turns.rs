//! The conversation facts on each message that make reply rate and response time cheap:
//! `opens_turn` (the first of a run of our messages), `replied_at` (when the lead answered that
//! run) and `response_secs` (from the lead's run to our reply). Written in the same
//! transaction as the message; the dashboard rollups follow them by trigger.
use super::Store;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::message::Direction;

/// Derives `opens_turn`, `replied_at` and `response_secs` (see the migration that adds them)
/// from the order of one workspace's messages. The migration ran a frozen copy of this once,
/// over every workspace, to backfill rows that existed before it.
const TURNS_SQL: &str = "\
WITH ordered AS (
    SELECT id, lead_id, direction, created_at,
        CASE WHEN LAG(direction) OVER w IS NULL OR LAG(direction) OVER w != direction THEN 1 ELSE 0 END AS opens
    FROM messages WHERE workspace_id = ?
    WINDOW w AS (PARTITION BY lead_id ORDER BY created_at, id)
), openers AS (
    SELECT id, direction, created_at,
        LAG(created_at) OVER v AS previous_run_start,
        LEAD(created_at) OVER v AS next_run_start
    FROM ordered WHERE opens = 1
    WINDOW v AS (PARTITION BY lead_id ORDER BY created_at, id)
)
UPDATE messages SET
    opens_turn = 1,
    replied_at = openers.next_run_start,
    response_secs = CASE WHEN openers.previous_run_start IS NULL THEN NULL
        ELSE CAST(ROUND((julianday(openers.created_at) - julianday(openers.previous_run_start)) * 86400) AS INTEGER) END
FROM openers
WHERE messages.id = openers.id AND openers.direction = 'outbound'";

/// Recomputes the conversation facts of every message in `workspace` (after a bulk import),
/// inside the caller's transaction.
pub(super) async fn recompute_turns_in(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE messages SET opens_turn = 0, replied_at = NULL, response_secs = NULL \
         WHERE workspace_id = ? AND (opens_turn != 0 OR response_secs IS NOT NULL)",
    )
    .bind(workspace)
    .execute(&mut *tx)
    .await?;
    sqlx::query(TURNS_SQL)
        .bind(workspace)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Sets the conversation facts of `message`, just recorded as the newest of its lead, from
/// the message before it: the same rules as [`recompute_turns_in`], for one row (a full
/// recompute per send would cost a window over the whole thread).
pub(super) async fn note_newest_in(
    tx: &mut sqlx::SqliteConnection,
    lead: LeadId,
    message: MessageId,
    direction: Direction,
) -> Result<(), sqlx::Error> {
    let previous: Option<(String,)> = sqlx::query_as(
        "SELECT direction FROM messages WHERE lead_id = ? AND id != ? \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(lead)
    .bind(message)
    .fetch_optional(&mut *tx)
    .await?;
    let previous = previous.as_ref().map(|(d,)| d.as_str());
    match (direction, previous) {
        // The first message of a thread, ours: an outreach turn with nothing to respond to.
        (Direction::Outbound, None) => {
            sqlx::query("UPDATE messages SET opens_turn = 1 WHERE id = ?")
                .bind(message)
                .execute(&mut *tx)
                .await?;
        }
        // Our answer to the lead's run: a turn, timed from the first message of that run.
        (Direction::Outbound, Some("inbound")) => {
            sqlx::query(
                "UPDATE messages SET opens_turn = 1, response_secs = (\
                 SELECT CAST(ROUND((julianday(messages.created_at) - julianday(MIN(i.created_at))) * 86400) AS INTEGER) \
                 FROM messages i WHERE i.lead_id = ?1 AND i.direction = 'inbound' AND i.created_at > \
                 COALESCE((SELECT MAX(o.created_at) FROM messages o WHERE o.lead_id = ?1 \
                 AND o.direction = 'outbound' AND o.id != ?2), '')) WHERE id = ?2",
            )
            .bind(lead)
            .bind(message)
            .execute(&mut *tx)
            .await?;
        }
        // The lead answers our run: its opening message is replied to.
        (Direction::Inbound, Some("outbound")) => {
            sqlx::query(
                "UPDATE messages SET replied_at = (SELECT created_at FROM messages WHERE id = ?2) \
                 WHERE id = (SELECT id FROM messages WHERE lead_id = ?1 AND opens_turn = 1 \
                 ORDER BY created_at DESC, id DESC LIMIT 1) AND replied_at IS NULL",
            )
            .bind(lead)
            .bind(message)
            .execute(&mut *tx)
            .await?;
        }
        // A message continuing a run changes nothing.
        _ => {}
    }
    Ok(())
}

impl Store {
    /// Recomputes every message's conversation facts in `workspace` (seeds and imports that
    /// insert rows directly call this once at the end).
    pub async fn recompute_turns(&self, workspace: WorkspaceId) -> Result<(), sqlx::Error> {
        let (_writer, mut tx) = self.begin_write().await?;
        recompute_turns_in(&mut tx, workspace).await?;
        tx.commit().await
    }
}
