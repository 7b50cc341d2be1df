use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path,
};

#[component]
fn Counter() -> impl IntoView {
    let count = RwSignal::new(0i32);
    view! {
        <button on:click=move |_| count.update(|n| *n += 1)>{move || count.get()}</button>
    }
}

#[component]
fn Home() -> impl IntoView {
    let name = RwSignal::new(String::from("home"));
    view! {
        <h1>{move || name.get()}</h1>
        <Counter/>
    }
}

#[component]
fn About() -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <p on:click=move |_| open.update(|o| *o = !*o)>{move || if open.get() { "open" } else { "closed" }}</p>
    }
}

#[component]
fn Settings() -> impl IntoView {
    let text = RwSignal::new(String::new());
    view! {
        <input prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
        <span>{move || text.get().len()}</span>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Floor"/>
        <Router>
            <nav><A href="/">"Home"</A><A href="/about">"About"</A><A href="/settings">"Settings"</A></nav>
            <main>
                <Routes fallback=|| "Not found.">
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/about") view=About/>
                    <Route path=path!("/settings") view=Settings/>
                </Routes>
            </main>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(App);
}
