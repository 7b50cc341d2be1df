//! One KPI: its label, figure, an optional second line, and its definition on hover (title)
//! or tap (the (i) button shows it inline, for touch screens and keyboards).
use crate::model::kpi::DEFINITIONS;
use leptos::prelude::*;

/// The KPIs whose definitions are shown, kept by the page: the cards are drawn anew with every
/// live update of the figures, and a definition the user opened must stay open through them.
#[derive(Clone, Copy)]
pub struct KpiDefinitionsShown(RwSignal<Vec<&'static str>>);

impl KpiDefinitionsShown {
    /// For the cards drawn below the caller.
    pub fn provide() {
        provide_context(KpiDefinitionsShown(RwSignal::new(Vec::new())));
    }
}

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
    let shown = use_context::<KpiDefinitionsShown>()
        .unwrap_or_else(|| KpiDefinitionsShown(RwSignal::new(Vec::new())))
        .0;
    let open = Signal::derive(move || shown.with(|s| s.contains(&key)));
    let toggle = move |_| {
        shown.update(|s| match s.iter().position(|k| *k == key) {
            Some(i) => {
                s.remove(i);
            }
            None => s.push(key),
        })
    };
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
                    on:click=toggle
                >"i"</button>
            </div>
            <span class="kpi-value" data-testid=format!("kpi-{key}-value")>{value}</span>
            {sub.map(|s| view! { <span class="kpi-sub">{s}</span> })}
            <p class="kpi-def" id=def_id hidden=move || !open.get()>{definition}</p>
        </div>
    }
}
