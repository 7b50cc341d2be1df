//! The lead page's quick actions: move the lead to another stage (won is a conversion) and
//! log a booked meeting. Both reach the activity feed and the KPIs at once.
use crate::api::dashboard::{book_meeting, SetLeadStage};
use crate::model::lead::{Lead, Stage};
use leptos::prelude::*;

/// A `datetime-local` value ("2026-12-03T14:30", the viewer's zone) as RFC 3339 UTC; the
/// input itself when it does not parse, so the server names the field.
fn local_input_to_rfc3339(value: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value));
        if !date.get_time().is_nan() {
            return String::from(date.to_iso_string());
        }
    }
    value.to_string()
}

#[component]
pub fn LeadActions(
    current: RwSignal<Lead>,
    set_stage: ServerAction<SetLeadStage>,
) -> impl IntoView {
    let id = current.get_untracked().id;
    let stage_error = Signal::derive(move || {
        set_stage
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    let meeting_at = RwSignal::new(String::new());
    let meeting_state = RwSignal::new(None::<Result<String, String>>);
    let booking = RwSignal::new(false);
    let book = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let at = local_input_to_rfc3339(&meeting_at.get_untracked());
        booking.set(true);
        leptos::task::spawn_local(async move {
            let result = book_meeting(id, at).await;
            meeting_state.set(Some(match result {
                Ok(_) => {
                    meeting_at.set(String::new());
                    Ok("Meeting logged.".to_string())
                }
                Err(e) => Err(e.to_string()),
            }));
            booking.set(false);
        });
    };
    view! {
        <section class="card lead-actions" aria-labelledby="actions-title">
            <h2 id="actions-title">"Actions"</h2>
            <label class="field">
                <span>"Stage"</span>
                <select
                    aria-label="Stage"
                    data-testid="stage-select"
                    disabled=move || set_stage.pending().get()
                    // Follows the lead as it is now (saved here or by a teammate).
                    prop:value=move || current.read().stage.as_str()
                    on:change=move |ev| {
                        set_stage.dispatch(SetLeadStage { id, stage: event_target_value(&ev) });
                    }
                >
                    {Stage::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || s == current.read().stage>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            {move || stage_error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            <form class="meeting-form" on:submit=book>
                <label class="field">
                    <span>"Meeting booked for"</span>
                    <input
                        type="datetime-local"
                        required
                        aria-label="Meeting time"
                        prop:value=move || meeting_at.get()
                        on:input=move |ev| meeting_at.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit" class="btn" disabled=move || booking.get()>"Log meeting booked"</button>
                {move || match meeting_state.get() {
                    Some(Ok(m)) => view! { <p class="muted" role="status">{m}</p> }.into_any(),
                    Some(Err(m)) => view! { <p class="field-error" role="alert">{m}</p> }.into_any(),
                    None => ().into_any(),
                }}
            </form>
        </section>
    }
}
