//! WhatsApp templates: every teammate reads them (the composer offers them outside the 24-hour
//! window); the owner adds and removes them in Settings → Channels.
use crate::model::error::AppError;
use crate::model::ids::TemplateId;
use crate::model::template::{Template, TemplateImport};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "get_templates")]
pub async fn get_templates() -> Result<Vec<Template>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::templates::list(&state, &caller).await
}

/// Adds a template, or replaces the text of the one with the same name and language.
#[server(prefix = "/rpc", endpoint = "save_template")]
pub async fn save_template(
    name: String,
    language: String,
    body: String,
    /// Optional: how a Twilio connection sends it (absent from forms that predate it).
    #[server(default)]
    twilio_content_sid: Option<String>,
) -> Result<Vec<Template>, AppError> {
    let (state, caller) = super::caller().await?;
    let sid = twilio_content_sid.unwrap_or_default();
    crate::server::channels::templates::save(&state, &caller, &name, &language, &body, &sid).await
}

/// Imports the approved templates of the WhatsApp Business Account `waba_id` from Meta.
#[server(prefix = "/rpc", endpoint = "import_templates")]
pub async fn import_templates(waba_id: String) -> Result<TemplateImport, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::meta_templates::import(&state, &caller, &waba_id).await
}

#[server(prefix = "/rpc", endpoint = "delete_template")]
pub async fn delete_template(id: TemplateId) -> Result<Vec<Template>, AppError> {
    let (state, caller) = super::caller().await?;
    crate::server::channels::templates::delete(&state, &caller, id).await
}
