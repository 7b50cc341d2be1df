//! `use_draft`: a draft that is never lost. Every keystroke lands in `localStorage` at once; a
//! debounced timer (gloo-timers) saves it to the server after typing stops; pending text is
//! flushed when the page is hidden or the lead is left; while the server is unreachable the
//! text waits in the browser and is saved when the connection returns. Saves carry the version
//! they were based on; a stale save is reconciled instead of overwriting newer text. Over 400
//! lines because those steps share one draft's state (`Inner`) and are not useful apart.
use super::storage;
use crate::model::channel::Channel;
use crate::model::draft::{Draft, DraftInput, DraftSave};
use crate::model::error::AppError;
use crate::model::ids::{LeadId, UserId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the composer shows about the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftStatus {
    Idle,
    Saving,
    Saved,
    Offline,
    /// The session ended: the text stays in this browser until the person signs in again.
    SignedOut,
    Failed(String),
}

impl DraftStatus {
    pub fn label(&self) -> String {
        match self {
            DraftStatus::Idle => String::new(),
            DraftStatus::Saving => "Saving…".into(),
            DraftStatus::Saved => "Draft saved".into(),
            DraftStatus::Offline => "Offline — will save when back".into(),
            DraftStatus::SignedOut => "Signed out — your text is kept in this browser".into(),
            DraftStatus::Failed(why) => format!("Draft not saved: {why}"),
        }
    }
}

/// The browser's copy of unsaved text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LocalDraft {
    content: String,
    subject: String,
    channel: Channel,
    /// The server version this text was typed on top of.
    base_version: i64,
    edited_at_ms: f64,
}

/// Where the hook starts: the signed-in user (drafts are per user) and the stored draft.
pub struct DraftSeed {
    pub viewer: UserId,
    pub stored: Option<Draft>,
    pub default_channel: Channel,
    /// Subject for a new email draft (a reply keeps the thread's subject).
    pub default_subject: String,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Inner {
    lead_id: LeadId,
    key: String,
    version: i64,
    dirty: bool,
    saving: bool,
    auto_save: bool,
    delay_ms: u32,
    /// The subject an empty composer offers for email: "Re: <the thread's last subject>".
    follow_up_subject: String,
    #[cfg(feature = "hydrate")]
    timer: Option<gloo_timers::callback::Timeout>,
}

// The browser keeps a timer (not Send) inside; the server render must not use thread-local
// storage, since it may drop the value on another thread.
#[cfg(feature = "hydrate")]
type InnerStore = StoredValue<Inner, LocalStorage>;
#[cfg(not(feature = "hydrate"))]
type InnerStore = StoredValue<Inner>;

/// `localStorage` keys of unsaved drafts: `{DRAFT_PREFIX}{viewer}:{lead}`.
const DRAFT_PREFIX: &str = "leadwire:draft:";

/// A deleted lead's unsaved text on this device goes with it (every signed-in user's copy).
pub fn forget_local(lead_id: LeadId) {
    let suffix = format!(":{lead_id}");
    for key in storage::keys_with_prefix(DRAFT_PREFIX) {
        if key.ends_with(&suffix) {
            storage::remove(&key);
        }
    }
}

/// A draft bound to a composer.
#[derive(Clone, Copy)]
pub struct DraftHandle {
    pub content: RwSignal<String>,
    pub subject: RwSignal<String>,
    pub channel: RwSignal<Channel>,
    pub status: RwSignal<DraftStatus>,
    /// A draft is stored on the server (the composer then says "Continue draft…").
    pub exists: RwSignal<bool>,
    inner: InnerStore,
    /// The tab's connection state, told when a save finds the session ended.
    realtime: Option<crate::client::realtime::Realtime>,
}

/// Binds a draft for `lead_id`, saved `auto_save_delay` ms after the last edit when `auto_save`.
pub fn use_draft(
    lead_id: LeadId,
    auto_save: bool,
    auto_save_delay: u32,
    seed: DraftSeed,
) -> DraftHandle {
    let key = format!("{DRAFT_PREFIX}{}:{}", seed.viewer, lead_id);
    let stored = seed.stored;
    let local: Option<LocalDraft> = storage::get(&key).and_then(|s| serde_json::from_str(&s).ok());
    let stored_version = stored.as_ref().map_or(0, |d| d.version);
    // Unsaved local text wins when it is based on the stored version, or typed after it.
    let local = local.filter(|l| {
        l.base_version >= stored_version
            || stored
                .as_ref()
                .is_none_or(|d| l.edited_at_ms > d.updated_at.timestamp_millis() as f64)
    });
    let (content, subject, channel, dirty) = match (&local, &stored) {
        (Some(l), _) => (l.content.clone(), l.subject.clone(), l.channel, true),
        (None, Some(d)) => (
            d.content.clone(),
            d.subject.clone().unwrap_or_default(),
            d.channel,
            false,
        ),
        (None, None) => (
            String::new(),
            seed.default_subject.clone(),
            seed.default_channel,
            false,
        ),
    };
    if local.is_none() {
        storage::remove(&key);
    }
    let handle = DraftHandle {
        content: RwSignal::new(content),
        subject: RwSignal::new(subject),
        channel: RwSignal::new(channel),
        status: RwSignal::new(DraftStatus::Idle),
        exists: RwSignal::new(stored.is_some()),
        realtime: crate::client::realtime::use_realtime(),
        inner: new_inner(Inner {
            lead_id,
            key,
            version: stored_version,
            dirty,
            saving: false,
            auto_save,
            delay_ms: auto_save_delay,
            follow_up_subject: seed.default_subject,
            #[cfg(feature = "hydrate")]
            timer: None,
        }),
    };
    #[cfg(feature = "hydrate")]
    handle.install_browser_hooks(dirty);
    handle
}

impl DraftHandle {
    /// Call after every user edit of content, subject or channel.
    pub fn edited(&self) {
        self.inner.update_value(|i| i.dirty = true);
        self.write_local();
        self.status.set(DraftStatus::Idle);
        self.schedule_save();
    }

    /// A save of this draft is on its way to the server (false once the composer is gone).
    pub fn saving(&self) -> bool {
        self.inner.try_with_value(|i| i.saving).unwrap_or(false)
    }

    /// An email went out on this thread (here or elsewhere): the next one follows up on it.
    pub fn set_follow_up_subject(&self, subject: String) {
        self.inner.update_value(|i| i.follow_up_subject = subject);
    }

    fn follow_up_subject(&self) -> String {
        self.inner
            .try_with_value(|i| i.follow_up_subject.clone())
            .unwrap_or_default()
    }

    /// After a send: the server deleted the draft in the same transaction. The subject goes
    /// back to the follow-up's.
    pub fn clear_after_send(&self) {
        self.content.set(String::new());
        self.subject.set(self.follow_up_subject());
        self.exists.set(false);
        self.status.set(DraftStatus::Idle);
        self.inner.update_value(|i| {
            i.version = 0;
            i.dirty = false;
            #[cfg(feature = "hydrate")]
            {
                i.timer = None;
            }
            storage::remove(&i.key);
        });
    }

    /// A `drafts_updated` event for this lead from another tab or device.
    pub fn apply_remote(&self, draft: Option<Draft>) {
        let Some((version, dirty)) = self.inner.try_with_value(|i| (i.version, i.dirty)) else {
            return;
        };
        let remote_version = draft.as_ref().map_or(0, |d| d.version);
        if draft.is_some() && remote_version <= version {
            return; // our own save, or older news
        }
        if dirty {
            // Never replace unsaved text typed here (this also ignores the echo of our own
            // save, which arrives before its reply); the next save reconciles by version.
            return;
        }
        self.adopt(draft);
    }

    fn adopt(&self, draft: Option<Draft>) {
        self.exists.set(draft.is_some());
        match &draft {
            Some(d) => {
                self.content.set(d.content.clone());
                self.subject.set(d.subject.clone().unwrap_or_default());
                self.channel.set(d.channel);
            }
            None => {
                self.content.set(String::new());
                self.subject.set(self.follow_up_subject());
            }
        }
        self.inner.update_value(|i| {
            i.version = draft.as_ref().map_or(0, |d| d.version);
            i.dirty = false;
            storage::remove(&i.key);
        });
        self.status.set(if draft.is_some() {
            DraftStatus::Saved
        } else {
            DraftStatus::Idle
        });
    }

    fn input(&self) -> Option<(LeadId, DraftInput)> {
        let (lead_id, version) = self.inner.try_with_value(|i| (i.lead_id, i.version))?;
        let channel = self.channel.try_get_untracked()?;
        Some((
            lead_id,
            DraftInput {
                content: self.content.try_get_untracked()?,
                // Only email has a subject; a subject kept from switching channels is not sent.
                subject: if channel == Channel::Email {
                    self.subject.try_get_untracked()?
                } else {
                    String::new()
                },
                channel: channel.as_str().to_string(),
                version,
            },
        ))
    }

    fn write_local(&self) {
        let Some((_, input)) = self.input() else {
            return;
        };
        let local = LocalDraft {
            content: input.content,
            subject: input.subject,
            channel: self.channel.get_untracked(),
            base_version: input.version,
            edited_at_ms: storage::now_ms(),
        };
        if let Ok(json) = serde_json::to_string(&local) {
            self.inner.with_value(|i| storage::set(&i.key, &json));
        }
    }

    fn schedule_save(&self) {
        #[cfg(feature = "hydrate")]
        {
            let (auto_save, delay) = self.inner.with_value(|i| (i.auto_save, i.delay_ms));
            if !auto_save {
                return;
            }
            let handle = *self;
            let timer = gloo_timers::callback::Timeout::new(delay, move || handle.save_now());
            // Replacing the timer cancels the previous one: that is the debounce.
            self.inner.update_value(|i| i.timer = Some(timer));
        }
    }

    /// Saves pending text now (no-op when nothing changed or a save is in flight).
    pub fn save_now(&self) {
        let Some((dirty, saving)) = self.inner.try_with_value(|i| (i.dirty, i.saving)) else {
            return;
        };
        if !dirty || saving {
            return;
        }
        let Some((lead_id, input)) = self.input() else {
            return;
        };
        self.inner.update_value(|i| i.saving = true);
        self.status.set(DraftStatus::Saving);
        let handle = *self;
        leptos::task::spawn_local(async move {
            let result = crate::api::drafts::save_draft(lead_id, input.clone()).await;
            handle.saved(input, result);
        });
    }

    fn saved(&self, sent: DraftInput, result: Result<DraftSave, AppError>) {
        if self.inner.try_update_value(|i| i.saving = false).is_none() {
            return; // the composer is gone; the browser copy stays for next time
        }
        let unchanged = self.input().is_some_and(|(_, now)| {
            now.content == sent.content
                && now.subject == sent.subject
                && now.channel == sent.channel
        });
        match result {
            Ok(DraftSave::Saved { draft }) => {
                self.exists.set(draft.is_some());
                self.inner.update_value(|i| {
                    i.version = draft.as_ref().map_or(0, |d| d.version);
                    if unchanged {
                        i.dirty = false;
                        storage::remove(&i.key);
                    }
                });
                if unchanged {
                    self.status.set(DraftStatus::Saved);
                } else {
                    // Typed more while saving: save again (with the new version).
                    self.write_local();
                    self.save_now();
                }
            }
            Ok(DraftSave::Stale { current }) => {
                // Another tab or device saved meanwhile. What was typed here is the newest thing
                // this person wrote on this device: keep it, on top of the newer version.
                self.inner
                    .update_value(|i| i.version = current.as_ref().map_or(0, |d| d.version));
                self.write_local();
                self.save_now();
            }
            Err(AppError::Offline) | Err(AppError::Internal) => {
                self.status.set(DraftStatus::Offline);
                self.retry_later();
            }
            Err(AppError::Unauthorized) => {
                self.status.set(DraftStatus::SignedOut);
                // The top bar offers sign-in (and stops reconnecting) as for a closed socket.
                if let Some(realtime) = self.realtime {
                    realtime
                        .status
                        .set(crate::client::realtime::ConnStatus::SignedOut);
                }
            }
            Err(e) => self.status.set(DraftStatus::Failed(e.to_string())),
        }
    }

    fn retry_later(&self) {
        #[cfg(feature = "hydrate")]
        {
            let handle = *self;
            let timer = gloo_timers::callback::Timeout::new(3_000, move || handle.save_now());
            self.inner.update_value(|i| i.timer = Some(timer));
        }
    }

    #[cfg(feature = "hydrate")]
    fn install_browser_hooks(&self, dirty_at_start: bool) {
        let handle = *self;
        // Unsaved text from last time (reload, closed browser, crash): save it now.
        if dirty_at_start {
            Effect::new(move |_| untrack(|| handle.save_now()));
        }
        let online = window_event_listener(leptos::ev::online, move |_| handle.save_now());
        let hidden = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if document().visibility_state() == web_sys::VisibilityState::Hidden {
                handle.flush_keepalive();
            }
        });
        let pagehide =
            window_event_listener(leptos::ev::pagehide, move |_| handle.flush_keepalive());
        on_cleanup(move || {
            online.remove();
            hidden.remove();
            pagehide.remove();
            // Leaving the lead (switching to another): save what is pending right away —
            // unless a save is already on its way. The page stays open, so that request
            // completes; a second one on the same version would only be refused as stale.
            // Text typed after it started stays in the browser and is saved on the next visit.
            let saving = handle.inner.try_with_value(|i| i.saving).unwrap_or(false);
            if !saving {
                handle.flush_keepalive();
            }
        });
    }

    /// Sends pending text with `fetch(…, {keepalive: true})`, which outlives the page.
    #[cfg(feature = "hydrate")]
    fn flush_keepalive(&self) {
        let Some(dirty) = self.inner.try_with_value(|i| i.dirty) else {
            return;
        };
        if !dirty {
            return;
        }
        let Some((lead_id, input)) = self.input() else {
            return;
        };
        let Ok(body) = serde_json::to_string(&input) else {
            return;
        };
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        // web-sys has no setter for `keepalive` yet.
        let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &true.into());
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        if let Ok(headers) = web_sys::Headers::new() {
            let _ = headers.set("content-type", "application/json");
            init.set_headers(&headers);
        }
        init.set_body(&wasm_bindgen::JsValue::from_str(&body));
        let _ = window().fetch_with_str_and_init(&format!("/api/drafts/{lead_id}"), &init);
        // The browser copy stays until a save is confirmed; a version clash is settled on load.
    }
}

fn new_inner(inner: Inner) -> InnerStore {
    #[cfg(feature = "hydrate")]
    {
        StoredValue::new_local(inner)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        StoredValue::new(inner)
    }
}
