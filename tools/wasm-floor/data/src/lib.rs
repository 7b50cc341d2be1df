use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path,
};
use serde::{Deserialize, Serialize};

// ---- three data types, ~8 fields each -------------------------------------------------------

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Contact {
    pub id: String, // uuid-like
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub created_at: i64,
    pub archived: bool,
    pub tags: Vec<String>,
    pub owner_id: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub body: String,
    pub subject: Option<String>,
    pub sent_at: i64,
    pub outbound: bool,
    pub attachments: Vec<String>,
    pub author: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Deal {
    pub id: String,
    pub title: String,
    pub amount_cents: i64,
    pub stage: String,
    pub closed: bool,
    pub notes: Option<String>,
    pub watchers: Vec<String>,
    pub updated_at: i64,
}

/// Pushed by the server over the WebSocket.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Push {
    NewMessage(Message),
    ContactUpdated(Contact),
    DealMoved { id: String, stage: String },
    Typing { conversation_id: String, user: String },
    Ping,
}

// ---- server functions (only the client stubs are compiled here) ------------------------------

#[server]
pub async fn list_contacts() -> Result<Vec<Contact>, ServerFnError> {
    Ok(Vec::new())
}

#[server]
pub async fn list_messages(conversation_id: String) -> Result<Vec<Message>, ServerFnError> {
    let _ = conversation_id;
    Ok(Vec::new())
}

#[server]
pub async fn list_deals() -> Result<Vec<Deal>, ServerFnError> {
    Ok(Vec::new())
}

#[server]
pub async fn save_note(deal_id: String, note: String) -> Result<(), ServerFnError> {
    let _ = (deal_id, note);
    Ok(())
}

// ---- components ----------------------------------------------------------------------------

#[component]
fn Counter() -> impl IntoView {
    let count = RwSignal::new(0i32);
    view! {
        <button on:click=move |_| count.update(|n| *n += 1)>{move || count.get()}</button>
    }
}

#[component]
fn Home() -> impl IntoView {
    let contacts = Resource::new(|| (), |_| list_contacts());
    let messages = Resource::new(|| "c1".to_string(), list_messages);
    let last_push = RwSignal::new(None::<Push>);

    // Live updates: decode the server's JSON pushes.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::{closure::Closure, JsCast};
        let Ok(ws) = web_sys::WebSocket::new("/ws") else { return };
        let onmessage = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(text) = ev.data().as_string() {
                if let Ok(push) = serde_json::from_str::<Push>(&text) {
                    last_push.set(Some(push));
                }
            }
        });
        ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        onmessage.forget();
    });

    view! {
        <Counter/>
        <p>{move || last_push.with(|p| match p {
            Some(Push::NewMessage(m)) => m.body.clone(),
            Some(Push::ContactUpdated(c)) => c.name.clone(),
            Some(Push::DealMoved { id, stage }) => format!("{id} → {stage}"),
            Some(Push::Typing { conversation_id, user }) => format!("{user} typing in {conversation_id}"),
            Some(Push::Ping) | None => String::new(),
        })}</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ul>
                {move || Suspend::new(async move {
                    contacts.await.map(|list| list.into_iter().map(|c| view! {
                        <li title=c.id>{c.name}" "{c.email.unwrap_or_default()}" "{c.tags.join(", ")}
                            {c.archived.then_some(" (archived)")}" "{c.created_at}</li>
                    }).collect_view())
                })}
            </ul>
            <ol>
                {move || Suspend::new(async move {
                    messages.await.map(|list| list.into_iter().map(|m| view! {
                        <li>{m.subject.unwrap_or_default()}": "{m.body}" "{m.sent_at}
                            {m.outbound.then_some(" →")}" "{m.attachments.len()}</li>
                    }).collect_view())
                })}
            </ol>
        </Suspense>
    }
}

#[component]
fn Deals() -> impl IntoView {
    let deals = Resource::new(|| (), |_| list_deals());
    let save = ServerAction::<SaveNote>::new();
    let saved = save.value();
    view! {
        <Suspense fallback=|| "Loading…">
            <table>
                {move || Suspend::new(async move {
                    deals.await.map(|list| list.into_iter().map(|d| view! {
                        <tr><td>{d.title}</td><td>{d.stage}</td><td>{d.amount_cents}</td>
                            <td>{d.closed.then_some("closed")}</td><td>{d.notes.unwrap_or_default()}</td>
                            <td>{d.watchers.len()}</td></tr>
                    }).collect_view())
                })}
            </table>
        </Suspense>
        <ActionForm action=save>
            <input type="hidden" name="deal_id" value="d1"/>
            <textarea name="note"></textarea>
            <button type="submit">"Save"</button>
        </ActionForm>
        <p>{move || match saved.get() {
            Some(Ok(())) => "Saved.".to_string(),
            Some(Err(e)) => e.to_string(),
            None => String::new(),
        }}</p>
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
            <nav><A href="/">"Home"</A><A href="/deals">"Deals"</A><A href="/settings">"Settings"</A></nav>
            <main>
                <Routes fallback=|| "Not found.">
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/deals") view=Deals/>
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
