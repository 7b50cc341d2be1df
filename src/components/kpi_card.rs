//! One KPI: its label, figure, an optional second line, and its definition on hover (title)
//! or tap (the (i) button shows it inline, for touch screens and keyboards).
use crate::model::kpi::DEFINITIONS;
use leptos::prelude::*;

#[component]
pub fn KpiCard(
    /// The key of its entry in `model::kpi::DEFINITIONS`.
    key: &'static str,
    #[prop(into)] value: String,
    #[prop(optional, into)] sub: Option<String>,
) -> impl IntoView {
    let def = DEFINITIONS.iter().find(|d| d.key == key);
    let label = def.map_or(key, |d| d.label);
    let definition = def.map_or("", |d| d.definition);
    let open = RwSignal::new(false);
    let def_id = format!("kpi-def-{key}");
    view! {
        <div class="kpi" title=definition data-testid=format!("kpi-{key}")>
            <div class="kpi-head">
                <span class="kpi-label">{label}</span>
                <button
                    type="button"
                    class="kpi-info"
                    aria-label=format!("What is {label}?")
                    aria-expanded=move || open.get().to_string()
                    aria-controls=def_id.clone()
                    on:click=move |_| open.update(|o| *o = !*o)
                >"i"</button>
            </div>
            <span class="kpi-value" data-testid=format!("kpi-{key}-value")>{value}</span>
            {sub.map(|s| view! { <span class="kpi-sub">{s}</span> })}
            <p class="kpi-def" id=def_id hidden=move || !open.get()>{definition}</p>
        </div>
    }
}
