//! Importing the approved WhatsApp templates of the workspace's WhatsApp Business Account from
//! Meta (Settings → WhatsApp templates → "Import from Meta"), instead of typing each in:
//! `GET /{version}/{waba-id}/message_templates` with the WhatsApp connection's access token,
//! page after page. Approved templates with `{{1}}`-style parameters are saved (a template
//! already here gets Meta's text and keeps its Twilio Content SID); the rest are named with why.
use super::meta::{graph_error, GRAPH_VERSION};
use crate::model::channel::Channel;
use crate::model::error::AppError;
use crate::model::template::{parse_template, TemplateImport};
use crate::server::auth::Caller;
use crate::server::state::AppState;
use serde_json::Value;

/// Pages followed at most (Meta pages 25 by default; a WABA holds at most 250 templates).
const MAX_PAGES: usize = 20;

pub async fn import(
    state: &AppState,
    caller: &Caller,
    waba_id: &str,
) -> Result<TemplateImport, AppError> {
    super::settings::owner_only(caller)?;
    let waba = waba_id.trim();
    let refuse = |why: String| AppError::validation("waba_id", why);
    if !(5..=25).contains(&waba.len()) || !waba.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse(
            "The WhatsApp Business Account ID is a number (WhatsApp Manager → Account tools → Phone numbers, or Business settings → WhatsApp accounts).".into(),
        ));
    }
    let workspace = caller.user.workspace_id;
    let connection = state
        .store
        .connections(workspace)
        .await?
        .into_iter()
        .find(|c| c.channel == Channel::Whatsapp.as_str() && c.provider == "meta")
        .ok_or_else(|| {
            refuse("Connect WhatsApp through Meta first (Settings → Channels): its access token reads the templates.".into())
        })?;
    let token = state
        .secrets
        .open(&connection.secret_sealed)
        .ok_or_else(|| refuse("The WhatsApp connection's token does not open with this server's key; save it again in Settings → Channels.".into()))?;
    let base = state
        .settings
        .channels
        .meta_graph_base
        .trim_end_matches('/');
    let timeout = std::time::Duration::from_millis(state.settings.channels.send_timeout_ms);
    let mut url = format!(
        "{base}/{GRAPH_VERSION}/{waba}/message_templates?fields=name,language,status,parameter_format,components&limit=100"
    );
    let mut outcome = TemplateImport::default();
    for _ in 0..MAX_PAGES {
        let answer = state
            .providers
            .get(&url)
            .bearer_auth(&token)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| refuse(format!("Meta could not be reached: {e}")))?;
        let status = answer.status().as_u16();
        let json: Value =
            serde_json::from_str(&answer.text().await.unwrap_or_default()).unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(refuse(graph_error(status, &json).reason));
        }
        for template in json["data"].as_array().into_iter().flatten() {
            match importable(template) {
                Ok((name, language, body)) => {
                    state
                        .store
                        .import_template(workspace, &name, &language, &body)
                        .await?;
                    outcome.imported.push(format!("{name} ({language})"));
                }
                Err(why) => outcome.skipped.push(why),
            }
        }
        // The next page, only ever from the Graph API the settings name.
        match json["paging"]["next"].as_str() {
            Some(next) if super::media::allowed(next, base, false) => url = next.to_string(),
            _ => break,
        }
    }
    Ok(outcome)
}

/// A template of Meta's answer as (name, language, text), or why it is left out.
fn importable(template: &Value) -> Result<(String, String, String), String> {
    let name = template["name"].as_str().unwrap_or("");
    let language = template["language"].as_str().unwrap_or("");
    let label = format!("{name} ({language})");
    match template["status"].as_str().unwrap_or("") {
        "APPROVED" => {}
        "PENDING" | "IN_APPEAL" => return Err(format!("{label}: waiting for Meta's approval")),
        other => {
            return Err(format!(
                "{label}: {}",
                other.to_lowercase().replace('_', " ")
            ))
        }
    }
    if template["parameter_format"].as_str() == Some("NAMED") {
        return Err(format!(
            "{label}: named parameters ({{{{first_name}}}}); Leadwire sends numbered ones ({{{{1}}}})"
        ));
    }
    let body = template["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"].as_str() == Some("BODY"))
        .and_then(|c| c["text"].as_str())
        .ok_or_else(|| format!("{label}: no text"))?;
    parse_template(name, language, body).map_err(|e| format!("{label}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_approved_templates_with_numbered_parameters_are_taken() {
        let ok = json!({"name": "order_update", "language": "en_US", "status": "APPROVED",
            "components": [{"type": "HEADER", "format": "TEXT", "text": "Order"},
                           {"type": "BODY", "text": "Hi {{1}}, your order {{2}} shipped."}]});
        assert_eq!(
            importable(&ok).unwrap(),
            (
                "order_update".into(),
                "en_US".into(),
                "Hi {{1}}, your order {{2}} shipped.".into()
            )
        );
        let pending =
            json!({"name": "promo", "language": "en", "status": "PENDING", "components": []});
        assert_eq!(
            importable(&pending).unwrap_err(),
            "promo (en): waiting for Meta's approval"
        );
        let rejected =
            json!({"name": "spam", "language": "en", "status": "REJECTED", "components": []});
        assert_eq!(importable(&rejected).unwrap_err(), "spam (en): rejected");
        let named = json!({"name": "reservation", "language": "en", "status": "APPROVED",
            "parameter_format": "NAMED", "components": [{"type": "BODY", "text": "For {{guests}}"}]});
        assert!(importable(&named).unwrap_err().contains("named parameters"));
        let no_body = json!({"name": "image_only", "language": "en", "status": "APPROVED",
            "components": [{"type": "HEADER", "format": "IMAGE"}]});
        assert_eq!(
            importable(&no_body).unwrap_err(),
            "image_only (en): no text"
        );
    }
}
