//! Message services: the thread's pages and recording sent and received messages.
use super::auth::Caller;
use super::channels;
use super::email::compose::compose;
use super::email::new_message_id;
use super::state::AppState;
use super::store::deliveries::NewDelivery;
use super::store::emails::NewEmail;
use super::store::message_rows::RetryOutcome;
use super::store::messages::{Outbound, Recorded};
use super::store::reads::ReadMark;
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::model::ids::{LeadId, MessageId};
use crate::model::message::{
    ago, CollisionGuard, Direction, Message, MessageFields, MessageInput, MessagePage, ThreadData,
};

/// A page of the thread: the newest, or the one before message `before`.
pub async fn page(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
    before: Option<MessageId>,
    limit: Option<i64>,
) -> Result<MessagePage, AppError> {
    super::leads::get(state, caller, lead).await?;
    let page_size = state.settings.thread_page_size;
    let limit = limit.unwrap_or(page_size).clamp(1, page_size.max(1));
    let (messages, has_more) = state
        .store
        .lead_messages(caller.user.workspace_id, lead, before, limit)
        .await?;
    Ok(MessagePage { messages, has_more })
}

pub async fn thread(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
) -> Result<ThreadData, AppError> {
    // Read before the data: the client re-applies any event after this it saw while loading.
    let seq = state
        .store
        .event_window(caller.user.workspace_id)
        .await?
        .head;
    let page = page(state, caller, lead, None, None).await?;
    let draft = state
        .store
        .draft(caller.user.workspace_id, caller.user.id, lead)
        .await?;
    let unconnected = channels::unconnected(state, caller.user.workspace_id).await?;
    let windows = channels::templates::windows(state, caller.user.workspace_id, lead).await?;
    let templates = channels::templates::list(state, caller).await?;
    Ok(ThreadData {
        viewer_id: caller.user.id,
        seq,
        page,
        draft,
        autosave_delay_ms: state.settings.autosave_delay_ms,
        unconnected,
        windows,
        templates,
    })
}

/// Records a message to (outbound) or from (inbound) a lead. Returns the message and whether it
/// is new; a repeated `client_id` returns the original.
#[tracing::instrument(skip_all, fields(workspace = %caller.user.workspace_id, lead = %lead_id))]
pub async fn record(
    state: &AppState,
    caller: &Caller,
    lead_id: LeadId,
    input: &MessageInput,
) -> Result<(Message, bool), AppError> {
    let lead = super::leads::get(state, caller, lead_id).await?;
    let mut fields = input.parse()?;
    let outbound = fields.direction == Direction::Outbound;
    if outbound && fields.channel.address_of(&lead).is_none() {
        return Err(AppError::validation(
            "channel",
            format!(
                "{} has no {} address yet. Add one to the lead first.",
                lead.name,
                fields.channel.label()
            ),
        ));
    }
    let author = (fields.direction == Direction::Outbound).then_some(caller.user.id);
    let workspace = caller.user.workspace_id;
    // WhatsApp and Instagram take free text only within 24 hours of the lead's last message;
    // a template (WhatsApp) goes at any time, and its text is what the thread shows.
    let mut template_json = None;
    let mut chosen_template = None;
    if outbound {
        let checked = channels::templates::check_send(
            state,
            workspace,
            &lead,
            fields.channel,
            fields.template.as_ref(),
        )
        .await?;
        if let Some((chosen, text)) = checked {
            if let Some(why) = crate::model::length::too_long(fields.channel, &text) {
                return Err(AppError::validation("template", why));
            }
            template_json = serde_json::to_string(&chosen).ok();
            chosen_template = Some(chosen);
            fields.body = text;
        }
    }
    check_attachments(state, workspace, &fields).await?;
    if fields.direction == Direction::Outbound && fields.guard != CollisionGuard::Off {
        check_collision(state, caller, lead_id, &fields).await?;
    }
    // Outbound email is composed now (tracked links, pixel) and queued with the message.
    let composed = match (fields.direction, fields.channel, lead.email.as_deref()) {
        (Direction::Outbound, Channel::Email, Some(to)) => {
            let tracking = state.store.email_tracking(workspace).await?;
            let base = tracking.then_some(state.settings.public_url.as_str());
            Some((to, compose(&fields.body, base)))
        }
        _ => None,
    };
    // SMS, WhatsApp and Instagram leave through the workspace's provider or the sandbox.
    let route = if outbound && channels::is_provider_channel(fields.channel) {
        let connection = channels::route(state, workspace, fields.channel)
            .await?
            .ok_or_else(|| channels::not_connected(fields.channel))?;
        // Twilio sends a template only by its Content SID: refused now, not failed later.
        if let Some(t) = &chosen_template {
            if connection.provider == "twilio" && t.twilio_content_sid.is_none() {
                return Err(AppError::validation(
                    "template",
                    format!(
                        "WhatsApp goes through Twilio here, which sends templates by their Content SID: \
                         add {} ({})'s in Settings → Templates.",
                        t.name, t.language
                    ),
                ));
            }
        }
        let to = channels::address(fields.channel, &lead).ok_or_else(|| {
            AppError::validation(
                "channel",
                format!(
                    "{}'s {} address is not one {} can send to.",
                    lead.name,
                    fields.channel.label(),
                    fields.channel.label()
                ),
            )
        })?;
        Some((connection.id, to))
    } else {
        None
    };
    let outbound = match (composed, route) {
        (Some((to, composed)), _) => Some(Outbound::Email(NewEmail {
            to_address: to.to_string(),
            to_name: lead.name.clone(),
            subject: fields.subject.clone().unwrap_or_default(),
            message_id_header: new_message_id(&state.settings.mail),
            composed,
        })),
        (None, Some((connection_id, to))) => Some(Outbound::Channel(NewDelivery {
            connection_id,
            to_address: to,
            template: template_json,
        })),
        (None, None) => None,
    };
    let recorded = state
        .store
        .record_message(workspace, lead_id, author, &fields, outbound.as_ref())
        .await?;
    match recorded {
        Recorded::Created(message) => {
            match outbound {
                Some(Outbound::Email(_)) => state.mail_wake.notify_one(),
                Some(Outbound::Channel(_)) => state.delivery_wake.notify_one(),
                None => {}
            }
            Ok((message, true))
        }
        Recorded::Existing(message) if message.lead_id == lead_id => Ok((message, false)),
        Recorded::Existing(_) => Err(AppError::conflict(
            "This client_id was already used for a message to another lead.",
        )),
    }
}

/// Puts a failed message back in its delivery queue.
#[tracing::instrument(skip_all, fields(workspace = %caller.user.workspace_id, %lead, %message))]
pub async fn retry(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
    message: MessageId,
) -> Result<Message, AppError> {
    let outcome = state
        .store
        .retry_email(caller.user.workspace_id, lead, message)
        .await?;
    let outcome = match outcome {
        RetryOutcome::Queued(message) => {
            state.mail_wake.notify_one();
            return Ok(*message);
        }
        // Not an email: an SMS, WhatsApp or Instagram message goes out on the channel's route
        // as it is now (the connection may have changed since).
        RetryOutcome::NotFound => retry_delivery(state, caller, lead, message).await?,
        other => other,
    };
    match outcome {
        RetryOutcome::Queued(message) => {
            state.delivery_wake.notify_one();
            Ok(*message)
        }
        RetryOutcome::NotFound => Err(AppError::NotFound),
        RetryOutcome::NotFailed => Err(AppError::conflict("Only a failed message can be retried.")),
    }
}

async fn retry_delivery(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
    message: MessageId,
) -> Result<RetryOutcome, AppError> {
    let workspace = caller.user.workspace_id;
    let Some(channel) = state
        .store
        .delivery_channel(workspace, lead, message)
        .await?
    else {
        return Ok(RetryOutcome::NotFound);
    };
    let connection = channels::route(state, workspace, channel)
        .await?
        .ok_or_else(|| channels::not_connected(channel))?;
    Ok(state
        .store
        .retry_delivery(workspace, lead, message, connection.id)
        .await?)
}

/// The message's files exist in the workspace and its channel carries them (refused at
/// `attachments` before anything is stored).
async fn check_attachments(
    state: &AppState,
    workspace: crate::model::ids::WorkspaceId,
    fields: &MessageFields,
) -> Result<(), AppError> {
    if fields.attachments.is_empty() {
        return Ok(());
    }
    let files = state.store.uploads(workspace, &fields.attachments).await?;
    if files.len() != fields.attachments.len() {
        return Err(AppError::validation(
            "attachments",
            "A file is no longer there to send (an upload waits a day): attach it again.",
        ));
    }
    let types: Vec<&str> = files.iter().map(|f| f.content_type.as_str()).collect();
    crate::model::attachment::check_for(fields.channel, &types, fields.body.chars().count())
        .map_err(|why| AppError::validation("attachments", why))
}

/// Refuses a send when a teammate messaged the lead after the sender started writing (the
/// browser warns first; this catches a warning that never arrived). A retry of a send that
/// already went through is not a collision.
async fn check_collision(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
    fields: &MessageFields,
) -> Result<(), AppError> {
    let workspace = caller.user.workspace_id;
    let already = state
        .store
        .message_by_client_id(workspace, fields.client_id)
        .await?;
    if already.is_some() {
        return Ok(());
    }
    let after = match fields.guard {
        CollisionGuard::After(id) => Some(id),
        _ => None,
    };
    let reply = state
        .store
        .teammate_reply_since(workspace, lead, caller.user.id, after)
        .await?;
    match reply {
        Some((name, at)) => Err(AppError::Collision {
            message: format!(
                "{name} replied {} — send yours anyway?",
                ago(chrono::Utc::now(), at)
            ),
        }),
        None => Ok(()),
    }
}

/// Marks the lead's messages read by the caller through `mark` (or its newest inbound one
/// unread again); the caller's other tabs hear `reads_updated`. Returns the unread count.
pub async fn mark_read(
    state: &AppState,
    caller: &Caller,
    lead: LeadId,
    mark: ReadMark,
) -> Result<i64, AppError> {
    super::leads::get(state, caller, lead).await?;
    state
        .store
        .mark_read(caller.user.workspace_id, caller.user.id, lead, mark)
        .await?
        .ok_or(AppError::NotFound)
}
