//! Leads, always read and written within one workspace.
use super::activity::{log_in, NewActivity};
use super::db::{on_conn, on_db, Conn};
use super::events::{append, LoggedEvent};
use super::{now, Store};
use crate::model::activity::ActivityKind;
use crate::model::event::{RowAction, ServerFrame};
use crate::model::ids::{LeadId, UserId, WorkspaceId};
use crate::model::lead::{Lead, Stage};
use crate::model::lead_input::LeadFields;
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct LeadRow {
    id: LeadId,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    whatsapp: Option<String>,
    instagram: Option<String>,
    company: Option<String>,
    stage: String,
    deal_value_cents: Option<i64>,
    owner_id: Option<UserId>,
    owner_name: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl From<LeadRow> for Lead {
    fn from(r: LeadRow) -> Self {
        Lead {
            id: r.id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            whatsapp: r.whatsapp,
            instagram: r.instagram,
            company: r.company,
            // The CHECK constraint keeps the column to known stages.
            stage: Stage::parse(&r.stage).unwrap_or(Stage::New),
            deal_value_cents: r.deal_value_cents,
            owner_id: r.owner_id,
            owner_name: r.owner_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

const LEAD_SELECT: &str =
    "SELECT l.id, l.name, l.email, l.phone, l.whatsapp, l.instagram, l.company, \
     l.stage, l.deal_value_cents, l.owner_id, u.name AS owner_name, l.created_at, l.updated_at, l.version \
     FROM leads l LEFT JOIN users u ON u.id = l.owner_id";

/// What an update of a lead came to.
#[derive(Debug)]
pub enum LeadWrite {
    Saved(Lead),
    /// The edit named an older version: nothing was stored; this is the current lead.
    Stale(Lead),
    /// No such lead in the workspace.
    Missing,
}

impl LeadWrite {
    /// The lead as saved, if it was.
    pub fn saved(self) -> Option<Lead> {
        match self {
            LeadWrite::Saved(lead) => Some(lead),
            _ => None,
        }
    }
}

/// Which leads a list shows.
#[derive(Debug, Default, Clone)]
pub struct LeadFilter {
    /// Matched against name, company and email.
    pub search: Option<String>,
    pub stage: Option<Stage>,
    /// The company exactly (letter case aside).
    pub company: Option<String>,
    pub limit: i64,
}

impl Store {
    /// Creates a lead added by `actor`, and tells the feed.
    pub async fn insert_lead(
        &self,
        workspace: WorkspaceId,
        actor: UserId,
        f: &LeadFields,
    ) -> Result<Lead, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let id = insert_lead_in(tx.reborrow(), workspace, f, now()).await?;
        let mut created = NewActivity::new(ActivityKind::LeadCreated, id);
        created.actor_id = Some(actor);
        let mut events = vec![log_in(tx.reborrow(), workspace, created).await?];
        if f.stage == Stage::Won {
            events
                .push(log_in(tx.reborrow(), workspace, stage_activity(id, actor, f.stage)).await?);
        }
        let lead = lead_in(tx.reborrow(), workspace, id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        events.push(lead_event(tx.reborrow(), workspace, RowAction::Insert, &lead).await?);
        tx.commit(events).await?;
        Ok(lead)
    }

    /// Inserts with an explicit creation time and no feed entry (the demo seed backdates its
    /// leads).
    pub async fn insert_lead_at(
        &self,
        workspace: WorkspaceId,
        f: &LeadFields,
        at: DateTime<Utc>,
    ) -> Result<Lead, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let id = insert_lead_in(tx.reborrow(), workspace, f, at).await?;
        let lead = lead_in(tx.reborrow(), workspace, id).await?;
        tx.commit(Vec::new()).await?;
        lead.ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn lead(
        &self,
        workspace: WorkspaceId,
        id: LeadId,
    ) -> Result<Option<Lead>, sqlx::Error> {
        let row = on_db!(self.db(), |p, sql| sqlx::query_as::<_, LeadRow>(sql(
            &format!("{LEAD_SELECT} WHERE l.id = ? AND l.workspace_id = ?")
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(Into::into))
    }

    pub async fn leads(
        &self,
        workspace: WorkspaceId,
        filter: &LeadFilter,
    ) -> Result<Vec<Lead>, sqlx::Error> {
        let mut sql = format!("{LEAD_SELECT} WHERE l.workspace_id = ?");
        if filter.stage.is_some() {
            sql.push_str(" AND l.stage = ?");
        }
        if filter.search.is_some() {
            let like = self.backend().like_any_case();
            sql.push_str(&format!(
                " AND (l.name {like} ? ESCAPE '\\' OR l.company {like} ? ESCAPE '\\' OR l.email {like} ? ESCAPE '\\')",
            ));
        }
        if filter.company.is_some() {
            sql.push_str(" AND lower(l.company) = lower(?)");
        }
        sql.push_str(" ORDER BY l.updated_at DESC, l.id LIMIT ?");
        let rows = on_db!(self.db(), |p, fit| {
            let mut query = sqlx::query_as::<_, LeadRow>(fit(&sql)).bind(workspace);
            if let Some(stage) = filter.stage {
                query = query.bind(stage.as_str());
            }
            if let Some(search) = &filter.search {
                // The pattern is bound once per searched column.
                let pattern = format!("%{}%", escape_like(search));
                query = query
                    .bind(pattern.clone())
                    .bind(pattern.clone())
                    .bind(pattern);
            }
            if let Some(company) = &filter.company {
                query = query.bind(company.clone());
            }
            query.bind(filter.limit).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Replaces a lead's fields, when `expected` (if given) is still its version. A stage change
    /// by `actor` is stamped (`won_at`, `closed_at`) and told to the feed; every change is a
    /// `leads_updated` event, so open tabs follow it.
    pub async fn update_lead(
        &self,
        workspace: WorkspaceId,
        actor: UserId,
        id: LeadId,
        f: &LeadFields,
        expected: Option<i64>,
    ) -> Result<LeadWrite, sqlx::Error> {
        self.update_lead_at(workspace, actor, id, f, expected, now())
            .await
    }

    /// [`Store::update_lead`] as of `at` (a stage change is stamped with it; tests backdate).
    pub async fn update_lead_at(
        &self,
        workspace: WorkspaceId,
        actor: UserId,
        id: LeadId,
        f: &LeadFields,
        expected: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<LeadWrite, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let Some(before) = lead_in(tx.reborrow(), workspace, id).await? else {
            tx.commit(Vec::new()).await?;
            return Ok(LeadWrite::Missing);
        };
        // Checked inside the writer's transaction: no other write can slip in between.
        if expected.is_some_and(|v| v != before.version) {
            tx.commit(Vec::new()).await?;
            return Ok(LeadWrite::Stale(before));
        }
        let facts = super::rollups::lead_facts_in(tx.reborrow(), id).await?;
        let changed = before.stage != f.stage;
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("UPDATE leads SET name = ?, email = ?, phone = ?, whatsapp = ?, instagram = ?, company = ?, \
             stage = ?, deal_value_cents = ?, owner_id = ?, updated_at = ?, version = version + 1 \
             WHERE id = ? AND workspace_id = ?",))
        .bind(&f.name)
        .bind(&f.email)
        .bind(&f.phone)
        .bind(&f.whatsapp)
        .bind(&f.instagram)
        .bind(&f.company)
        .bind(f.stage.as_str())
        .bind(f.deal_value_cents)
        .bind(f.owner_id)
        .bind(at)
        .bind(id)
        .bind(workspace)
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        let mut events = Vec::new();
        if changed {
            stamp_stage(tx.reborrow(), id, f.stage, at).await?;
            events
                .push(log_in(tx.reborrow(), workspace, stage_activity(id, actor, f.stage)).await?);
        }
        super::rollups::lead_changed_in(tx.reborrow(), facts, id).await?;
        let lead = lead_in(tx.reborrow(), workspace, id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        events.push(lead_event(tx.reborrow(), workspace, RowAction::Update, &lead).await?);
        tx.commit(events).await?;
        Ok(LeadWrite::Saved(lead))
    }
}

/// Unassigns every lead of `workspace` that `user` owns (a removed teammate): the owner's
/// fields change and nothing else, each lead's version rises, and open tabs hear each change.
pub(super) async fn unassign_in(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    user: UserId,
) -> Result<Vec<LoggedEvent>, sqlx::Error> {
    let owned: Vec<(LeadId,)> = on_conn!(tx, |c, sql| sqlx::query_as(sql(
        "UPDATE leads SET owner_id = NULL, updated_at = ?, version = version + 1 \
         WHERE workspace_id = ? AND owner_id = ? RETURNING id",
    ))
    .bind(now())
    .bind(workspace)
    .bind(user)
    .fetch_all(c)
    .await)?;
    let mut events = Vec::with_capacity(owned.len());
    for (id,) in owned {
        let lead = lead_in(tx.reborrow(), workspace, id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        events.push(lead_event(tx.reborrow(), workspace, RowAction::Update, &lead).await?);
    }
    Ok(events)
}

/// The `leads_updated` event of `lead`, for every tab of the workspace.
async fn lead_event(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    action: RowAction,
    lead: &Lead,
) -> Result<LoggedEvent, sqlx::Error> {
    let lead = lead.clone();
    append(tx.reborrow(), workspace, None, move |seq| {
        ServerFrame::LeadsUpdated { seq, action, lead }
    })
    .await
}

/// The feed entry of a move to `stage`: winning is a conversion, the rest a stage change.
fn stage_activity(lead: LeadId, actor: UserId, stage: Stage) -> NewActivity<'static> {
    let kind = if stage == Stage::Won {
        ActivityKind::LeadConverted
    } else {
        ActivityKind::StageChanged
    };
    let mut entry = NewActivity::new(kind, lead);
    entry.actor_id = Some(actor);
    entry.stage = Some(stage);
    entry
}

/// `(won_at, closed_at)` of a lead entering `stage` at `at`: won stamps both, lost only
/// `closed_at`, an open stage neither.
fn stage_stamps(stage: Stage, at: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    (
        (stage == Stage::Won).then_some(at),
        (!stage.is_open()).then_some(at),
    )
}

/// `won_at` when the lead is won, `closed_at` when won or lost; reopening clears both.
async fn stamp_stage(
    mut tx: Conn<'_>,
    id: LeadId,
    stage: Stage,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (won, closed) = stage_stamps(stage, at);
    on_conn!(tx, |c, sql| sqlx::query(sql(
        "UPDATE leads SET won_at = ?, closed_at = ? WHERE id = ?"
    ))
    .bind(won)
    .bind(closed)
    .bind(id)
    .execute(c)
    .await
    .map(super::db::Done::from))?;
    Ok(())
}

pub(super) async fn insert_lead_in(
    mut conn: Conn<'_>,
    workspace: WorkspaceId,
    f: &LeadFields,
    at: DateTime<Utc>,
) -> Result<LeadId, sqlx::Error> {
    let id = LeadId::new_random();
    // Stamped in the insert itself (see `stamp_stage`): one row write.
    let (won, closed) = stage_stamps(f.stage, at);
    on_conn!(conn, |c, sql| {
        sqlx::query(sql("INSERT INTO leads (id, workspace_id, name, email, phone, whatsapp, instagram, company, stage, \
         deal_value_cents, owner_id, created_at, updated_at, won_at, closed_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",))
    .bind(id)
    .bind(workspace)
    .bind(&f.name)
    .bind(&f.email)
    .bind(&f.phone)
    .bind(&f.whatsapp)
    .bind(&f.instagram)
    .bind(&f.company)
    .bind(f.stage.as_str())
    .bind(f.deal_value_cents)
    .bind(f.owner_id)
    .bind(at)
    .bind(at)
    .bind(won)
    .bind(closed)
    .execute(c)
    .await.map(super::db::Done::from)
    })?;
    let mut rollups = super::rollups::Delta::default();
    rollups.lead(
        &super::rollups::LeadFacts {
            workspace_id: workspace,
            stage: f.stage.as_str().to_string(),
            unclosed: closed.is_none(),
            value_cents: f.deal_value_cents.unwrap_or(0),
        },
        1,
    );
    rollups.apply(conn).await?;
    Ok(id)
}

async fn lead_in(
    mut conn: Conn<'_>,
    workspace: WorkspaceId,
    id: LeadId,
) -> Result<Option<Lead>, sqlx::Error> {
    let row = on_conn!(conn, |c, sql| sqlx::query_as::<_, LeadRow>(sql(&format!(
        "{LEAD_SELECT} WHERE l.id = ? AND l.workspace_id = ?"
    )))
    .bind(id)
    .bind(workspace)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(Into::into))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
