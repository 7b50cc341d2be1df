use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let count = RwSignal::new(0i32);
    view! {
        <button on:click=move |_| count.update(|n| *n += 1)>{move || count.get()}</button>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(App);
}
