//! Settings → WhatsApp templates (owner adds and removes; teammates see the list): the
//! templates approved in WhatsApp Manager, which the composer offers outside the 24-hour
//! window. Name and language must match Meta's exactly; the text shows where `{{1}}`… go. A
//! WhatsApp number connected through Twilio sends a template by its Twilio Content SID.
use crate::api::templates::{get_templates, DeleteTemplate, ImportTemplates, SaveTemplate};
use crate::components::field::{Field, FormError};
use crate::components::status::{ErrorNotice, Loading};
use crate::model::error::{field_error, form_error};
use leptos::prelude::*;

#[component]
pub fn TemplatesSection() -> impl IntoView {
    let save = ServerAction::<SaveTemplate>::new();
    let delete = ServerAction::<DeleteTemplate>::new();
    let import = ServerAction::<ImportTemplates>::new();
    let imported = import.value();
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = imported.get() {
            saved.update(|n| *n += 1);
        }
    });
    let form = NodeRef::<leptos::html::Form>::new();
    let result = save.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            saved.update(|n| *n += 1);
        }
    });
    let list = Resource::new(
        move || (saved.get(), delete.version().get()),
        |_| get_templates(),
    );
    let err = move |field: &'static str| Signal::derive(move || field_error(&result.get(), field));
    let delete_error = Signal::derive(move || form_error(&delete.value().get()));
    view! {
        <section class="card" aria-labelledby="templates-title">
            <h2 id="templates-title">"WhatsApp templates"</h2>
            <p class="muted">
                "WhatsApp delivers free text only within 24 hours of the lead's last message. After that, the composer offers these templates instead. "
                "Add each exactly as approved in WhatsApp Manager: its name, language code and text, with {{1}}, {{2}} … where the parameters go."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(templates) if templates.is_empty() => view! {
                            <p class="muted" data-testid="templates-empty">"No templates yet."</p>
                        }.into_any(),
                        Ok(templates) => view! {
                            <ul class="template-list" data-testid="templates">
                                {templates.into_iter().map(|t| view! {
                                    <li data-testid="template">
                                        <div>
                                            <strong>{t.name.clone()}</strong>" "<span class="muted">{t.language.clone()}</span>
                                            {t.twilio_content_sid.clone().map(|sid| view! {
                                                " "<span class="muted" data-testid="template-content-sid">"Twilio " {sid}</span>
                                            })}
                                            <p class="template-body">{t.body.clone()}</p>
                                        </div>
                                        <ActionForm action=delete>
                                            <input type="hidden" name="id" value=t.id.to_string()/>
                                            <button type="submit" class="btn subtle small"
                                                aria-label=format!("Remove {} ({})", t.name, t.language)>"Remove"</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
            <FormError message=delete_error/>
            <h3>"Import from Meta"</h3>
            <p class="muted">"With WhatsApp connected through Meta, bring in every approved template of your WhatsApp Business Account at once (a template already here gets Meta's text and keeps its Twilio Content SID)."</p>
            <ActionForm action=import attr:class="inline-form" attr:data-testid="template-import">
                <Field label="WhatsApp Business Account ID" name="waba_id" id="template-waba" autocomplete="off"
                    placeholder="102290129340398"
                    error=Signal::derive(move || field_error(&imported.get(), "waba_id"))/>
                <button type="submit" class="btn" disabled=move || import.pending().get()>
                    {move || if import.pending().get() { "Importing…" } else { "Import approved templates" }}
                </button>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&imported.get()))/>
            {move || imported.get().and_then(Result::ok).map(|outcome| view! {
                <div class="notice success" role="status" data-testid="template-import-result">
                    <p>{match outcome.imported.len() {
                        0 => "No approved template to import.".to_string(),
                        1 => "Imported 1 template.".to_string(),
                        n => format!("Imported {n} templates."),
                    }}</p>
                    {(!outcome.skipped.is_empty()).then(|| view! {
                        <p>"Left out:"</p>
                        <ul>{outcome.skipped.into_iter().map(|why| view! { <li>{why}</li> }).collect_view()}</ul>
                    })}
                </div>
            })}
            <h3>"Add one by hand"</h3>
            <ActionForm action=save node_ref=form attr:class="stacked-form" attr:data-testid="template-form">
                <Field label="Template name" name="name" id="template-name" autocomplete="off" placeholder="follow_up" error=err("name")/>
                <Field label="Language" name="language" autocomplete="off" placeholder="en_US" error=err("language")/>
                <div class="field" class:invalid=move || err("body").get().is_some()>
                    <label for="template-body">"Text"</label>
                    <textarea id="template-body" name="body" rows="3"
                        placeholder="Hi {{1}}, following up on {{2}} — is now a good time to talk?"></textarea>
                    <p class="field-error">{move || err("body").get()}</p>
                </div>
                <Field label="Twilio Content SID (optional)" name="twilio_content_sid" autocomplete="off"
                    placeholder="HXb5b62575e6e4ff6129ad7c8efe1f983e"
                    hint="Needed when WhatsApp is connected through Twilio: the SID of this template in Twilio's Content Template Builder."
                    error=err("twilio_content_sid")/>
                <button type="submit" class="btn primary" disabled=move || save.pending().get()>"Add template"</button>
            </ActionForm>
            <FormError message=Signal::derive(move || form_error(&result.get()))/>
        </section>
    }
}
