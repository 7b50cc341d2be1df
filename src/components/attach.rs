//! Files to send with a message (SMS, WhatsApp, Instagram): the composer's "Attach file"
//! button, which uploads each file as soon as it is picked, and the list of what is attached,
//! each with Remove. The state is one `Copy` struct the thread owns and the composer shows.
//! What is attached is kept in this browser beside the draft (local storage, per lead), so a
//! reload or a lead switch does not lose it; the server keeps an upload for a day.
use crate::client::storage;
use crate::model::attachment::{Upload, UPLOAD_TYPES};
use crate::model::channel::Channel;
use crate::model::ids::LeadId;
use crate::model::text::size_label;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Attachments {
    pub files: RwSignal<Vec<Upload>>,
    /// Uploads still on their way (Send waits for them).
    pub uploading: RwSignal<u32>,
    pub error: RwSignal<Option<String>>,
}

/// Where this browser keeps a lead's attached files until they are sent.
fn storage_key(lead: LeadId) -> String {
    format!("leadwire.attachments:{lead}")
}

/// Forgets what was attached for `lead` (it was deleted).
pub fn forget_lead(lead: LeadId) {
    storage::remove(&storage_key(lead));
}

impl Attachments {
    pub fn new() -> Attachments {
        Attachments {
            files: RwSignal::new(Vec::new()),
            uploading: RwSignal::new(0),
            error: RwSignal::new(None),
        }
    }

    /// The files attached to a message to `lead`, kept in this browser across reloads: restored
    /// once the page is live (not during hydration, which must match the server's empty list)
    /// and written back on every change.
    pub fn kept_for(lead: LeadId) -> Attachments {
        let attach = Attachments::new();
        let key = storage_key(lead);
        Effect::new(move |restored: Option<bool>| {
            let files = attach.files.get();
            if restored.is_none() {
                let kept: Vec<Upload> = storage::get(&key)
                    .and_then(|raw| serde_json::from_str(&raw).ok())
                    .unwrap_or_default();
                if !kept.is_empty() {
                    attach.files.set(kept);
                }
                return true;
            }
            if files.is_empty() {
                storage::remove(&key);
            } else if let Ok(raw) = serde_json::to_string(&files) {
                storage::set(&key, &raw);
            }
            true
        });
        attach
    }

    /// The ids a send carries on `channel` (none where the channel takes no files).
    pub fn ids_for(&self, channel: Channel) -> Vec<String> {
        if !takes_files(channel) {
            return Vec::new();
        }
        self.files
            .with_untracked(|f| f.iter().map(|u| u.id.to_string()).collect())
    }

    /// After a send: the files went with it.
    pub fn clear(&self) {
        self.files.set(Vec::new());
        self.error.set(None);
    }

    pub fn has_files(&self) -> bool {
        self.files.with(|f| !f.is_empty())
    }

    pub fn busy(&self) -> bool {
        self.uploading.get() > 0
    }
}

impl Default for Attachments {
    fn default() -> Self {
        Attachments::new()
    }
}

/// The channels a file can go on from the composer.
pub fn takes_files(channel: Channel) -> bool {
    channel.carries_files()
}

/// "Attach file": a button (keyboard-reachable) that opens the file picker; each picked file is
/// uploaded at once.
#[component]
pub fn AttachButton(attach: Attachments, #[prop(into)] shown: Signal<bool>) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    #[cfg(not(feature = "hydrate"))]
    let _ = attach;
    let on_change = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = input.get_untracked() {
            let picked: Vec<web_sys::File> = el
                .files()
                .map(|list| (0..list.length()).filter_map(|i| list.item(i)).collect())
                .unwrap_or_default();
            // The same file can be picked again after a Remove.
            el.set_value("");
            attach.error.set(None);
            for file in picked {
                if file.size() > crate::model::attachment::MAX_BYTES as f64 {
                    attach
                        .error
                        .set(Some(format!("{} is larger than 5 MB.", file.name())));
                    continue;
                }
                attach.uploading.update(|n| *n += 1);
                leptos::task::spawn_local(async move {
                    match crate::client::upload::upload(file).await {
                        Ok(upload) => attach.files.update(|f| f.push(upload)),
                        Err(why) => attach.error.set(Some(why)),
                    }
                    attach.uploading.update(|n| *n = n.saturating_sub(1));
                });
            }
        }
    };
    view! {
        <span class="attach" hidden=move || !shown.get()>
            <input type="file" id="composer-file" hidden multiple node_ref=input
                accept=UPLOAD_TYPES.join(",") on:change=on_change/>
            <button type="button" class="btn subtle small" data-testid="attach-file"
                on:click=move |_| { if let Some(el) = input.get() { el.click(); } }>
                "Attach file"
            </button>
        </span>
    }
}

/// What is attached (and uploading), with Remove; an upload's error below.
#[component]
pub fn AttachedFiles(attach: Attachments, #[prop(into)] shown: Signal<bool>) -> impl IntoView {
    view! {
        <ul class="attached" aria-label="Attached files"
            hidden=move || !shown.get() || (attach.files.with(Vec::is_empty) && !attach.busy())>
            <For each=move || attach.files.get() key=|u| u.id let:file>
                <li class="attached-file" data-testid="attached-file">
                    <span class="name">{file.filename.clone()}</span>
                    <span class="size">{size_label(file.size)}</span>
                    <button type="button" class="btn subtle small"
                        aria-label=format!("Remove {}", file.filename)
                        on:click=move |_| attach.files.update(|f| f.retain(|x| x.id != file.id))>
                        "×"
                    </button>
                </li>
            </For>
            <li class="attached-file muted" hidden=move || !attach.busy()>"Uploading…"</li>
        </ul>
        <p class="form-error" role="alert" data-testid="attach-error"
            hidden=move || !shown.get() || attach.error.with(Option::is_none)>
            {move || attach.error.get().unwrap_or_default()}
        </p>
    }
}
