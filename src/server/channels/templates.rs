//! WhatsApp templates (Settings → Channels, owner only; every teammate reads them in the
//! composer) and the 24-hour window a send on WhatsApp or Instagram must respect.
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::model::ids::{LeadId, TemplateId, WorkspaceId};
use crate::model::lead::Lead;
use crate::model::message::ChannelWindow;
use crate::model::template::{
    check_params, has_templates, has_window, parse_content_sid, parse_template, render,
    window_closed, window_until, Template, TemplateUse,
};
use crate::server::auth::Caller;
use crate::server::state::AppState;

pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<Template>, AppError> {
    Ok(state.store.templates(caller.user.workspace_id).await?)
}

pub async fn save(
    state: &AppState,
    caller: &Caller,
    name: &str,
    language: &str,
    body: &str,
    twilio_content_sid: &str,
) -> Result<Vec<Template>, AppError> {
    super::settings::owner_only(caller)?;
    let (name, language, body) = parse_template(name, language, body)?;
    let content_sid = parse_content_sid("twilio_content_sid", twilio_content_sid)?;
    state
        .store
        .save_template(
            caller.user.workspace_id,
            &name,
            &language,
            &body,
            content_sid.as_deref(),
        )
        .await?;
    list(state, caller).await
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: TemplateId,
) -> Result<Vec<Template>, AppError> {
    super::settings::owner_only(caller)?;
    let removed = state
        .store
        .delete_template(caller.user.workspace_id, id)
        .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    list(state, caller).await
}

/// Until when free text may go to the lead on each windowed channel (None: they never wrote
/// there, so only a template can open the conversation).
pub async fn windows(
    state: &AppState,
    workspace: WorkspaceId,
    lead: LeadId,
) -> Result<Vec<ChannelWindow>, AppError> {
    let last = state.store.last_inbound_by_channel(workspace, lead).await?;
    Ok([Channel::Whatsapp, Channel::Instagram]
        .into_iter()
        .map(|channel| ChannelWindow {
            channel,
            open_until: window_until(
                last.iter()
                    .find(|(c, _)| c == channel.as_str())
                    .map(|(_, at)| *at),
            ),
        })
        .collect())
}

/// What an outbound send on `channel` may carry now: free text inside the window, an approved
/// template (WhatsApp) at any time. A template's rendered text is returned as the body the
/// lead reads. Refused (422) before anything is stored.
pub async fn check_send(
    state: &AppState,
    workspace: WorkspaceId,
    lead: &Lead,
    channel: Channel,
    template: Option<&TemplateUse>,
) -> Result<Option<(TemplateUse, String)>, AppError> {
    let Some(chosen) = template else {
        if has_window(channel) {
            let open = windows(state, workspace, lead.id)
                .await?
                .into_iter()
                .find(|w| w.channel == channel)
                .and_then(|w| w.open_until)
                .is_some_and(|until| until > chrono::Utc::now());
            if !open {
                return Err(AppError::validation(
                    "template",
                    window_closed(channel, &lead.name),
                ));
            }
        }
        return Ok(None);
    };
    if !has_templates(channel) {
        return Err(AppError::validation(
            "template",
            "Only WhatsApp messages can be sent as a template.",
        ));
    }
    let found = state
        .store
        .template(workspace, chosen.name.trim(), chosen.language.trim())
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "template",
                format!(
                    "This workspace has no template {} ({}); add it in Settings → Channels.",
                    chosen.name.trim(),
                    chosen.language.trim()
                ),
            )
        })?;
    let params = check_params(&found, &chosen.params)?;
    let text = render(&found.body, &params);
    Ok(Some((
        TemplateUse {
            name: found.name,
            language: found.language,
            params,
            twilio_content_sid: found.twilio_content_sid,
        },
        text,
    )))
}
