//! The conversation facts on each message that make reply rate and response time cheap:
//! `opens_turn` (the first of a run of our messages), `replied_at` (when the lead answered that
//! run) and `response_secs` (from the lead's run to our reply). Written in the same
//! transaction as the message, and counted by the dashboard rollups in the same write.
use super::db::{on_conn, Backend, Conn};
use super::rollups::{Delta, MessageFacts, MESSAGE_FACTS};
use super::Store;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::message::Direction;

/// Derives `opens_turn`, `replied_at` and `response_secs` (see the migration that adds them)
/// from the order of one workspace's messages (automatic replies take no part). The migration ran a frozen copy of this once,
/// over every workspace, to backfill rows that existed before it.
fn turns_sql(b: Backend) -> String {
    format!(
        "\
WITH ordered AS (
    SELECT id, lead_id, direction, created_at,
        CASE WHEN LAG(direction) OVER w IS NULL OR LAG(direction) OVER w != direction THEN 1 ELSE 0 END AS opens
    FROM messages WHERE workspace_id = ? AND auto_reply = FALSE
    WINDOW w AS (PARTITION BY lead_id ORDER BY created_at, id)
), openers AS (
    SELECT id, direction, created_at,
        LAG(created_at) OVER v AS previous_run_start,
        LEAD(created_at) OVER v AS next_run_start
    FROM ordered WHERE opens = 1
    WINDOW v AS (PARTITION BY lead_id ORDER BY created_at, id)
)
UPDATE messages SET
    opens_turn = TRUE,
    replied_at = openers.next_run_start,
    response_secs = CASE WHEN openers.previous_run_start IS NULL THEN NULL
        ELSE {} END
FROM openers
WHERE messages.id = openers.id AND openers.direction = 'outbound'",
        b.seconds_between("openers.created_at", "openers.previous_run_start")
    )
}

/// Recomputes the conversation facts of every message in `workspace` (after a bulk import),
/// inside the caller's transaction.
pub(super) async fn recompute_turns_in(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
) -> Result<(), sqlx::Error> {
    on_conn!(tx, |c, sql| sqlx::query(sql(
        "UPDATE messages SET opens_turn = FALSE, replied_at = NULL, response_secs = NULL \
         WHERE workspace_id = ? AND (opens_turn = TRUE OR response_secs IS NOT NULL)",
    ))
    .bind(workspace)
    .execute(c)
    .await
    .map(super::db::Done::from))?;
    let turns = turns_sql(tx.backend());
    on_conn!(tx, |c, sql| sqlx::query(sql(&turns))
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
    // Every turn fact of the workspace may have moved: recount its rollups.
    super::rollups::rebuild_in(tx.reborrow(), workspace).await
}

/// The conversation facts a new message carries from its insert, given the direction of the
/// message before it: the same rules as [`recompute_turns_in`], for one row (a full recompute
/// per send would cost a window over the whole thread).
pub(super) struct NewTurn {
    /// It opens a turn: our first message, or our answer to the lead's run.
    pub opens_turn: bool,
    /// Our answer to the lead's run: `response_secs` is timed from that run's first message
    /// (SQL: [`response_secs`]).
    pub timed: bool,
}

pub(super) fn new_turn(direction: Direction, previous: Option<&str>) -> NewTurn {
    match (direction, previous) {
        // The first message of a thread, ours: an outreach turn with nothing to respond to.
        (Direction::Outbound, None) => NewTurn {
            opens_turn: true,
            timed: false,
        },
        // Our answer to the lead's run: a turn, timed from the first message of that run.
        (Direction::Outbound, Some("inbound")) => NewTurn {
            opens_turn: true,
            timed: true,
        },
        // The lead's messages open no turn of ours; a message continuing a run changes nothing.
        _ => NewTurn {
            opens_turn: false,
            timed: false,
        },
    }
}

/// `response_secs` of an outbound message created at `?1` for lead `?2` (the caller binds them
/// so), evaluated before it is inserted: seconds since the first message of the lead's latest run.
pub(super) fn response_secs(b: Backend) -> String {
    format!(
        // The newest outbound time is read once (it does not depend on `i`); none: every
        // inbound message counts (the comparison is NULL, so TRUE).
        "(SELECT {} FROM messages i WHERE i.lead_id = ?2 AND i.direction = 'inbound' \
         AND i.auto_reply = FALSE AND COALESCE(i.created_at > (SELECT MAX(o.created_at) \
         FROM messages o WHERE o.lead_id = ?2 AND o.direction = 'outbound'), TRUE))",
        b.seconds_between("?1", "MIN(i.created_at)")
    )
}

/// A message in `direction` after one in `previous` answers our run: the lead wrote back.
pub(super) fn answers_our_run(direction: Direction, previous: Option<&str>) -> bool {
    (direction, previous) == (Direction::Inbound, Some("outbound"))
}

/// After an inbound `message` that [`answers_our_run`]: the turn that run opened is replied
/// to, and `rollups` counts it so.
pub(super) async fn note_reply_in(
    mut tx: Conn<'_>,
    lead: LeadId,
    message: MessageId,
    rollups: &mut Delta,
) -> Result<(), sqlx::Error> {
    let replied: Option<MessageFacts> = on_conn!(tx, |c, sql| {
        sqlx::query_as(sql(&format!(
        "UPDATE messages SET replied_at = (SELECT created_at FROM messages WHERE id = ?2) \
         WHERE id = (SELECT id FROM messages WHERE lead_id = ?1 AND opens_turn = TRUE \
         ORDER BY created_at DESC, id DESC LIMIT 1) AND replied_at IS NULL RETURNING {MESSAGE_FACTS}"
    )))
    .bind(lead)
    .bind(message)
    .fetch_optional(c)
    .await
    })?;
    if let Some(replied) = replied {
        // It was the same row without `replied_at` (the update's condition).
        let before = MessageFacts {
            replied_at: None,
            ..replied.clone()
        };
        rollups.message(&before, -1);
        rollups.message(&replied, 1);
    }
    Ok(())
}

impl Store {
    /// Recomputes every message's conversation facts in `workspace`, and its dashboard
    /// rollups (seeds and imports that insert rows directly call this once at the end).
    pub async fn recompute_turns(&self, workspace: WorkspaceId) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        recompute_turns_in(tx.reborrow(), workspace).await?;
        tx.commit(Vec::new()).await
    }
}
