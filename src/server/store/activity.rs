//! The activity feed: written inside the transaction of the change it describes, logged as
//! `activity_updated` in the same transaction, read newest first.
use super::db::{on_conn, on_db, Conn};
use super::events::{append_all, LoggedEvent, Pending};
use super::script::Script;
use super::{now, Store};
use crate::model::activity::{Activity, ActivityKind, ActivityPage};
use crate::model::channel::Channel;
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, MessageId, UserId, WorkspaceId};
use crate::model::lead::Stage;
use chrono::{DateTime, Utc};

/// What happened, before it is stored.
pub struct NewActivity<'a> {
    pub kind: ActivityKind,
    pub lead_id: LeadId,
    pub actor_id: Option<UserId>,
    pub message_id: Option<MessageId>,
    pub channel: Option<Channel>,
    pub stage: Option<Stage>,
    pub meeting_at: Option<DateTime<Utc>>,
    pub detail: Option<&'a str>,
}

impl<'a> NewActivity<'a> {
    pub fn new(kind: ActivityKind, lead_id: LeadId) -> Self {
        NewActivity {
            kind,
            lead_id,
            actor_id: None,
            message_id: None,
            channel: None,
            stage: None,
            meeting_at: None,
            detail: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: i64,
    kind: String,
    lead_id: LeadId,
    lead_name: String,
    actor_name: Option<String>,
    actor_id: Option<UserId>,
    message_id: Option<MessageId>,
    channel: Option<String>,
    stage: Option<String>,
    meeting_at: Option<DateTime<Utc>>,
    detail: Option<String>,
    at: DateTime<Utc>,
}

// `number` (per workspace) is the id clients see; the global rowid would reveal how busy other
// workspaces are.
const ACTIVITY_SELECT: &str = "SELECT a.number AS id, a.kind, a.lead_id, l.name AS lead_name, \
     u.name AS actor_name, a.actor_id, a.message_id, a.channel, a.stage, a.meeting_at, a.detail, a.at \
     FROM activities a JOIN leads l ON l.id = a.lead_id LEFT JOIN users u ON u.id = a.actor_id";

impl From<ActivityRow> for Activity {
    fn from(r: ActivityRow) -> Self {
        Activity {
            id: r.id,
            // A CHECK constraint keeps `kind` to known values.
            kind: ActivityKind::parse(&r.kind).unwrap_or(ActivityKind::LeadCreated),
            lead_id: r.lead_id,
            lead_name: r.lead_name,
            actor_name: r.actor_name,
            actor_id: r.actor_id,
            message_id: r.message_id,
            channel: r.channel.as_deref().and_then(Channel::parse),
            stage: r.stage.as_deref().and_then(Stage::parse),
            meeting_at: r.meeting_at,
            detail: r.detail,
            at: r.at,
        }
    }
}

/// Longest excerpt kept with an entry.
const DETAIL_CHARS: usize = 140;

/// Stores an entry and appends its `activity_updated` event, inside the writer's transaction.
pub(super) async fn log_in(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    new: NewActivity<'_>,
) -> Result<LoggedEvent, sqlx::Error> {
    Ok(log_entry_in(tx.reborrow(), workspace, new).await?.0)
}

/// [`log_in`], also returning the entry as the feed shows it.
pub(super) async fn log_entry_in(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    new: NewActivity<'_>,
) -> Result<(LoggedEvent, Activity), sqlx::Error> {
    let id = insert_row_in(tx.reborrow(), workspace, &new).await?;
    let activity: Activity = on_conn!(tx, |c, sql| sqlx::query_as::<_, ActivityRow>(sql(
        &format!("{ACTIVITY_SELECT} WHERE a.id = ?")
    ))
    .bind(id)
    .fetch_one(c)
    .await)?
    .into();
    let event = append_all(tx.reborrow(), workspace, vec![feed_event(activity.clone())])
        .await?
        .pop()
        .expect("one event appended");
    Ok((event, activity))
}

/// The `activity_updated` event of an entry.
pub(super) fn feed_event(activity: Activity) -> Pending {
    Pending::new(None, move |seq| ServerFrame::ActivityUpdated {
        seq,
        event: activity.kind,
        data: activity,
    })
}

/// Where an entry's number comes from.
enum Number {
    /// The workspace's highest plus one, read by the insert itself (under the writer, MAX + 1
    /// cannot race); the insert returns the row id.
    Next,
    /// Given by a caller that read the highest earlier in the same write.
    Given(i64),
}

/// Adds the insert of an entry to `script`; returns its stored excerpt and time.
fn push_row(
    script: &mut Script<'_>,
    workspace: WorkspaceId,
    new: &NewActivity<'_>,
    number: Number,
) -> (Option<String>, DateTime<Utc>) {
    let detail = excerpt(new.detail);
    let at = now();
    let (number_sql, returning) = match number {
        Number::Next => (
            "(SELECT COALESCE(MAX(number), 0) + 1 FROM activities WHERE workspace_id = ?)",
            " RETURNING id",
        ),
        Number::Given(_) => ("?", ""),
    };
    script
        .push(&format!(
            "INSERT INTO activities (workspace_id, lead_id, actor_id, message_id, kind, channel, \
             stage, meeting_at, detail, at, number) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {number_sql}){returning}"
        ))
        .bind(workspace)
        .bind(new.lead_id)
        .bind(new.actor_id)
        .bind(new.message_id)
        .bind(new.kind.as_str())
        .bind(new.channel.map(Channel::as_str))
        .bind(new.stage.map(Stage::as_str))
        .bind(new.meeting_at)
        .bind(detail.clone())
        .bind(at);
    match number {
        Number::Next => script.bind(workspace),
        Number::Given(n) => script.bind(n),
    };
    (detail, at)
}

/// Inserts the row; returns its rowid.
async fn insert_row_in(
    tx: Conn<'_>,
    workspace: WorkspaceId,
    new: &NewActivity<'_>,
) -> Result<i64, sqlx::Error> {
    let mut script = Script::for_conn(&tx);
    push_row(&mut script, workspace, new, Number::Next);
    let ids: Vec<(i64,)> = script.fetch_all(tx).await?;
    ids.first().map(|(id,)| *id).ok_or(sqlx::Error::RowNotFound)
}

/// Adds an entry whose lead and actor names the caller knows to a write's `script`, numbered
/// `number` (the workspace's highest as this write read it, plus one), and returns it as the
/// feed shows it, without reading it back (the send path); log it with [`feed_event`].
pub(super) fn push_insert(
    script: &mut Script<'_>,
    workspace: WorkspaceId,
    new: NewActivity<'_>,
    number: i64,
    lead_name: String,
    actor_name: Option<String>,
) -> Activity {
    let (detail, at) = push_row(script, workspace, &new, Number::Given(number));
    Activity {
        id: number,
        kind: new.kind,
        lead_id: new.lead_id,
        lead_name,
        actor_name,
        actor_id: new.actor_id,
        message_id: new.message_id,
        channel: new.channel,
        stage: new.stage,
        meeting_at: new.meeting_at,
        detail,
        at,
    }
}

/// What the feed keeps of a message: its first [`DETAIL_CHARS`] characters.
fn excerpt(detail: Option<&str>) -> Option<String> {
    detail.map(|d| {
        let mut excerpt: String = d.chars().take(DETAIL_CHARS).collect();
        if d.chars().count() > DETAIL_CHARS {
            excerpt.push('…');
        }
        excerpt
    })
}

impl Store {
    /// Feed entries for messages stored directly (the demo seed, imports), in time order.
    pub async fn backfill_message_activity(
        &self,
        workspace: WorkspaceId,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO activities (workspace_id, lead_id, actor_id, message_id, kind, channel, detail, at, number) \
             SELECT workspace_id, lead_id, author_id, id, \
             CASE direction WHEN 'outbound' THEN 'message_sent' ELSE 'message_received' END, \
             channel, substr(body, 1, CAST(?1 AS INTEGER)), created_at, \
             (SELECT COALESCE(MAX(number), 0) FROM activities WHERE workspace_id = ?2) \
               + ROW_NUMBER() OVER (ORDER BY created_at, id) \
             FROM messages m WHERE workspace_id = ?2 \
             AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.message_id = m.id) ORDER BY created_at, id",))
        .bind(DETAIL_CHARS as i64)
        .bind(workspace)
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await?;
        Ok(())
    }

    /// Up to `limit` entries of the workspace (or of its `lead`) older than entry `before` (or
    /// the newest), newest first.
    pub async fn activities(
        &self,
        workspace: WorkspaceId,
        lead: Option<LeadId>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<ActivityPage, sqlx::Error> {
        let sql = feed_sql(lead.is_some());
        let mut rows = on_db!(self.db(), |p, fit| {
            let mut query = sqlx::query_as::<_, ActivityRow>(fit(&sql)).bind(workspace);
            if let Some(lead) = lead {
                query = query.bind(lead);
            }
            query
                .bind(before.unwrap_or(i64::MAX))
                .bind(limit + 1)
                .fetch_all(p)
                .await
        })?;
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        Ok(ActivityPage {
            items: rows.into_iter().map(Into::into).collect(),
            has_more,
        })
    }
}

/// A page of the workspace's feed, or of one lead's (`of_lead`): workspace, [lead,] before,
/// limit.
fn feed_sql(of_lead: bool) -> String {
    let of_lead = if of_lead { "AND a.lead_id = ?" } else { "" };
    format!(
        "{ACTIVITY_SELECT} WHERE a.workspace_id = ? {of_lead} AND a.number < ? \
         ORDER BY a.number DESC LIMIT ?"
    )
}

#[cfg(test)]
mod tests {
    use crate::server::store::query_plan::PlanDb;

    /// Every read of the feed is served by the indexes the send path keeps writing (by
    /// workspace and number, by lead, by message), so the one by (workspace, id), which no read
    /// used, could go: one index fewer for every entry written.
    #[tokio::test]
    async fn every_read_of_the_feed_seeks_by_a_kept_index() {
        let mut db = PlanDb::new().await;
        let reads = [
            (super::feed_sql(false), "activities_by_workspace_number"),
            (super::feed_sql(true), "activities_by"),
            (
                "SELECT COALESCE(MAX(number), 0) FROM activities WHERE workspace_id = ?".into(),
                "activities_by_workspace_number",
            ),
            (
                "SELECT 1 FROM activities a WHERE a.message_id = ?".into(),
                "activities_by_message",
            ),
        ];
        for (query, index) in reads {
            let plan = db.plan(&query).await;
            let on_activities: Vec<&String> = plan
                .iter()
                .filter(|step| step.contains(" a ") || step.contains("activities"))
                .collect();
            assert!(
                on_activities.iter().any(|step| step.contains(index)),
                "{query}: {plan:?}"
            );
            assert!(
                !on_activities.iter().any(|step| step.starts_with("SCAN")),
                "{query}: {plan:?}"
            );
        }
        let gone: Option<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_master WHERE name = 'activities_by_workspace'")
                .fetch_optional(db.conn())
                .await
                .unwrap();
        assert_eq!(gone, None);
    }
}
