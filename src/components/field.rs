//! A labelled form input with its error shown right beneath it.
use leptos::prelude::*;

/// One form field. `name` is the form key the server function reads.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    /// The input type: text, email, password, tel …
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    /// Initial value.
    #[prop(optional, into)]
    value: Option<String>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autofocus: bool,
    /// The error to show for this field, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// The element id, when a page holds the same form more than once (one per channel).
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| field_id(name));
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                placeholder=placeholder
                autofocus=autofocus
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            />
            {hint.map(|h| view! { <p class="field-hint">{h}</p> })}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// An HTML id from a form key such as `input[name]`.
pub fn field_id(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("f-{}", cleaned.trim_matches('-'))
}

/// A form-level message (errors not tied to one field).
#[component]
pub fn FormError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="form-error" role="alert">{move || message.get()}</p>
        </Show>
    }
}
