use leptos::prelude::*;

/// The only interactive part: everything else on the page would be server-rendered HTML.
#[island]
pub fn Counter() -> impl IntoView {
    let count = RwSignal::new(0i32);
    view! {
        <button on:click=move |_| count.update(|n| *n += 1)>{move || count.get()}</button>
    }
}

/// Server-rendered shell (not an island: compiled to WASM only if referenced by an island).
#[component]
pub fn App() -> impl IntoView {
    view! { <main><h1>"Floor"</h1><Counter/></main> }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}
