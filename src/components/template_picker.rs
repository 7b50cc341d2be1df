//! Outside WhatsApp's 24-hour window the composer offers the workspace's approved templates
//! instead of free text: choose one, fill its parameters, see what the lead will read.
use crate::model::template::{render, Template};
use leptos::prelude::*;

/// The template chosen in the composer and its parameters as typed.
#[derive(Clone, Copy)]
pub struct TemplatePick {
    pub chosen: RwSignal<Option<Template>>,
    pub params: RwSignal<Vec<String>>,
}

impl TemplatePick {
    pub fn new() -> Self {
        TemplatePick {
            chosen: RwSignal::new(None),
            params: RwSignal::new(Vec::new()),
        }
    }

    /// A template is chosen and every parameter has a value.
    pub fn ready(&self) -> bool {
        self.chosen.with(Option::is_some)
            && self.params.with(|p| p.iter().all(|v| !v.trim().is_empty()))
    }

    /// What the lead will read.
    pub fn preview(&self) -> Option<String> {
        self.chosen
            .with(|t| t.as_ref().map(|t| render(&t.body, &self.params.get())))
    }

    pub fn choose(&self, template: Option<Template>) {
        let n = template.as_ref().map(Template::params).unwrap_or(0);
        self.params.set(vec![String::new(); n]);
        self.chosen.set(template);
    }
}

impl Default for TemplatePick {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn TemplatePicker(templates: Vec<Template>, pick: TemplatePick) -> impl IntoView {
    if templates.is_empty() {
        return view! {
            <p class="hint" data-testid="no-templates">
                "This workspace has no WhatsApp templates yet: the owner adds the approved ones in "
                <a href="/settings">"Settings → Channels"</a>"."
            </p>
        }
        .into_any();
    }
    let options = templates.clone();
    let on_choose = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        pick.choose(templates.iter().find(|t| t.id.to_string() == id).cloned());
    };
    let indices = move || (0..pick.params.with(Vec::len)).collect::<Vec<usize>>();
    view! {
        <div class="template-picker" data-testid="template-picker">
            <label class="field">
                <span>"Template"</span>
                <select aria-label="Template" on:change=on_choose prop:value=move || pick.chosen.with(|t| t.as_ref().map(|t| t.id.to_string()).unwrap_or_default())>
                    <option value="">"Choose an approved template…"</option>
                    {options.into_iter().map(|t| view! {
                        <option value=t.id.to_string()>{format!("{} ({})", t.name, t.language)}</option>
                    }).collect_view()}
                </select>
            </label>
            <For
                each=indices
                key=|i| *i
                let:i
            >
                <label class="field">
                    <span>{format!("Parameter {{{{{}}}}}", i + 1)}</span>
                    <input
                        prop:value=move || pick.params.with(|p| p.get(i).cloned().unwrap_or_default())
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            pick.params.update(|p| if let Some(slot) = p.get_mut(i) { *slot = value; });
                        }
                    />
                </label>
            </For>
            <p class="template-preview" data-testid="template-preview" hidden=move || pick.chosen.with(Option::is_none)>
                {move || pick.preview().unwrap_or_default()}
            </p>
        </div>
    }
    .into_any()
}
