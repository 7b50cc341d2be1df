//! Lead services: every call is scoped to the caller's workspace; another workspace's lead is 404.
use super::auth::Caller;
use super::inbox_cache::PageKey;
use super::state::AppState;
use super::store::leads::{LeadFilter, LeadWrite};
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::model::ids::LeadId;
use crate::model::inbox::{highlight_parts, InboxFilter, InboxPage, PreparedInbox};
use crate::model::lead::{Lead, Stage};
use crate::model::lead_input::{LeadFields, LeadInput};
use crate::model::message::{preview, ConversationSummary, Direction};
use std::sync::Arc;

pub const MAX_LIST: i64 = 500;
const MAX_SEARCH_CHARS: usize = 200;

pub async fn list(
    state: &AppState,
    caller: &Caller,
    search: &str,
    stage: &str,
) -> Result<Vec<Lead>, AppError> {
    let search = search.trim();
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::validation("q", "Search text is too long."));
    }
    let stage = match stage.trim() {
        "" | "all" => None,
        s => Some(Stage::parse(s).ok_or_else(|| AppError::validation("stage", "Unknown stage."))?),
    };
    let filter = LeadFilter {
        search: (!search.is_empty()).then(|| search.to_string()),
        stage,
        limit: MAX_LIST,
        ..LeadFilter::default()
    };
    Ok(state.store.leads(caller.user.workspace_id, &filter).await?)
}

/// How many other leads of a lead's company its sidebar lists.
const SAME_COMPANY: usize = 5;

/// The other leads at lead `id`'s company (none without a company), most recently changed first.
pub async fn same_company(
    state: &AppState,
    caller: &Caller,
    id: LeadId,
) -> Result<Vec<Lead>, AppError> {
    let lead = get(state, caller, id).await?;
    let Some(company) = lead.company.filter(|c| !c.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let filter = LeadFilter {
        company: Some(company),
        limit: SAME_COMPANY as i64 + 1,
        ..LeadFilter::default()
    };
    let mut leads = state.store.leads(caller.user.workspace_id, &filter).await?;
    leads.retain(|l| l.id != id);
    leads.truncate(SAME_COMPANY);
    Ok(leads)
}

pub async fn get(state: &AppState, caller: &Caller, id: LeadId) -> Result<Lead, AppError> {
    state
        .store
        .lead(caller.user.workspace_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: &LeadInput,
) -> Result<Lead, AppError> {
    let fields = checked_fields(state, caller, input).await?;
    Ok(state
        .store
        .insert_lead(caller.user.workspace_id, caller.user.id, &fields)
        .await?)
}

/// Deletes the lead with its conversation and everything recorded about it (owners only):
/// the dashboard's figures drop what it counted, and every open tab is told.
#[tracing::instrument(skip_all, fields(workspace = %caller.user.workspace_id, lead = %id))]
pub async fn delete(state: &AppState, caller: &Caller, id: LeadId) -> Result<(), AppError> {
    // Existence first: another workspace's lead is 404 to a member as well.
    get(state, caller, id).await?;
    caller.require_owner_to("delete leads")?;
    let deleted = state
        .store
        .delete_lead(caller.user.workspace_id, id)
        .await?;
    if deleted {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Saves `input` over the lead. When the input names the version it was based on and the
/// lead has moved on since, nothing is stored and the answer is `LeadChanged` with the lead as
/// it is now (409), so a stale form cannot undo a teammate's change.
#[tracing::instrument(skip_all, fields(workspace = %caller.user.workspace_id, lead = %id))]
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: LeadId,
    input: &LeadInput,
) -> Result<Lead, AppError> {
    // Existence first: another workspace's lead is 404 even when the input is also invalid.
    get(state, caller, id).await?;
    save(state, caller, id, input).await
}

/// [`update`] for a lead the caller was just shown to have.
async fn save(
    state: &AppState,
    caller: &Caller,
    id: LeadId,
    input: &LeadInput,
) -> Result<Lead, AppError> {
    let expected = input.base_version()?;
    let fields = checked_fields(state, caller, input).await?;
    let written = state
        .store
        .update_lead(
            caller.user.workspace_id,
            caller.user.id,
            id,
            &fields,
            expected,
        )
        .await?;
    match written {
        LeadWrite::Saved(lead) => Ok(lead),
        LeadWrite::Stale(lead) => Err(AppError::LeadChanged {
            lead: Box::new(lead),
        }),
        LeadWrite::Missing => Err(AppError::NotFound),
    }
}

/// Changes some fields of the lead and keeps the rest (a partial update): `change` is laid
/// over the lead as it is now. When a teammate's write lands between that read and this write,
/// it is read again and `change` applied anew, so fields `change` does not name are never
/// reverted. Each lost race means another write succeeded, so the attempts are bounded by the
/// writers racing on one lead; past `ATTEMPTS` the caller gets the 409 and the current lead.
/// A `change` that pins a version of its own is not retried: it gets the 409.
pub async fn patch(
    state: &AppState,
    caller: &Caller,
    id: LeadId,
    change: impl Fn(&mut LeadInput) -> Result<(), AppError>,
) -> Result<Lead, AppError> {
    const ATTEMPTS: usize = 16;
    let mut attempt = 1;
    loop {
        let current = get(state, caller, id).await?;
        let mut input = LeadInput::from_lead(&current);
        change(&mut input)?;
        let pinned = input.base_version()? != Some(current.version);
        match save(state, caller, id, &input).await {
            Err(AppError::LeadChanged { .. }) if !pinned && attempt < ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

/// Moves a lead to `stage` (the lead page's quick action), keeping every other field.
pub async fn set_stage(
    state: &AppState,
    caller: &Caller,
    id: LeadId,
    stage: &str,
) -> Result<Lead, AppError> {
    let stage =
        Stage::parse(stage).ok_or_else(|| AppError::validation("stage", "Unknown stage."))?;
    patch(state, caller, id, |input| {
        input.stage = stage.as_str().to_string();
        Ok(())
    })
    .await
}

/// Parses the input and checks what parsing alone cannot: the owner is in the caller's team.
async fn checked_fields(
    state: &AppState,
    caller: &Caller,
    input: &LeadInput,
) -> Result<LeadFields, AppError> {
    let fields = input.parse()?;
    if let Some(owner) = fields.owner_id {
        let member = state
            .store
            .is_member(caller.user.workspace_id, owner)
            .await?;
        if !member {
            return Err(AppError::validation(
                "owner_id",
                "Choose an owner from your team.",
            ));
        }
    }
    Ok(fields)
}

/// Leads with their latest message, most recent first.
pub async fn conversations(
    state: &AppState,
    caller: &Caller,
    limit: i64,
) -> Result<Vec<ConversationSummary>, AppError> {
    Ok(read_inbox(state, caller, &InboxFilter::default(), limit)
        .await?
        .rows)
}

/// The inbox: filtered rows, newest conversation first; with a search, the matching leads
/// (best match first) with where they matched. With `head` (the workspace's event head, read
/// before this call, as the page guard does), rows read under the same head are reused (see
/// `server::inbox_cache`).
pub async fn inbox(
    state: &AppState,
    caller: &Caller,
    filter: &InboxFilter,
    limit: i64,
    head: Option<i64>,
) -> Result<Arc<InboxPage>, AppError> {
    let Some(head) = head else {
        return Ok(Arc::new(read_inbox(state, caller, filter, limit).await?));
    };
    let key = PageKey {
        workspace: caller.user.workspace_id,
        viewer: caller.user.id,
        filter: filter.clone(),
        limit,
    };
    if let Some(page) = state.inbox_cache.get(&key, head) {
        return Ok(page);
    }
    let read_at = std::time::Instant::now();
    let mut page = read_inbox(state, caller, filter, limit).await?;
    // What every render of the cached page would make of it again (see `InboxPage::prepared`).
    let rows = page
        .rows
        .iter()
        .map(|c| crate::components::inbox_row::row_markup(c, &chrono::Utc))
        .collect();
    let encoded = crate::model::page_data::encode_inbox(&page).map_err(|e| {
        tracing::error!(error = %e, "encoding the inbox");
        AppError::Internal
    })?;
    page.prepared = Some(Arc::new(PreparedInbox { rows, encoded }));
    let page = Arc::new(page);
    state.inbox_cache.put(key, head, read_at, page.clone());
    Ok(page)
}

async fn read_inbox(
    state: &AppState,
    caller: &Caller,
    filter: &InboxFilter,
    limit: i64,
) -> Result<InboxPage, AppError> {
    let workspace = caller.user.workspace_id;
    let user = caller.user.id;
    let (rows, matched) = match &filter.search {
        None => (
            state
                .store
                .inbox_rows(workspace, user, filter, None, limit)
                .await?,
            None,
        ),
        Some(fts) => {
            let hits = state.store.search(workspace, fts, limit).await?;
            let ids: Vec<LeadId> = hits.iter().map(|(l, _)| *l).collect();
            let mut rows = state
                .store
                .inbox_rows(workspace, user, filter, Some(&ids), limit)
                .await?;
            // Best match first, as the search ranked them.
            rows.sort_by_key(|r| ids.iter().position(|l| *l == r.lead_id));
            (
                rows,
                Some(
                    hits.into_iter()
                        .collect::<std::collections::HashMap<_, _>>(),
                ),
            )
        }
    };
    let searched = matched.is_some();
    Ok(InboxPage {
        rows: rows
            .into_iter()
            .map(|r| {
                let snippet = matched.as_ref().and_then(|m| m.get(&r.lead_id));
                ConversationSummary {
                    lead_id: r.lead_id,
                    lead_name: r.lead_name,
                    company: r.company,
                    stage: Stage::parse(&r.stage).unwrap_or(Stage::New),
                    owner_name: r.owner_name,
                    direction: Direction::parse(&r.direction).unwrap_or(Direction::Inbound),
                    channel: Channel::parse(&r.channel).unwrap_or(Channel::Chat),
                    subject: r.subject,
                    preview: preview(&r.body, 120),
                    at: r.created_at,
                    unread: r.unread,
                    matched: snippet.map(|s| highlight_parts(s)),
                }
            })
            .collect(),
        searched,
        prepared: None,
    })
}
