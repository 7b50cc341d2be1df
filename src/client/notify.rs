//! Browser-side notification services: which of the open tabs speaks (plays the sound, shows
//! the browser notification), the chime (Web Audio, no audio file), and the Notification API.
//!
//! Tabs elect a speaker over a `BroadcastChannel`: each tab has a random id and announces it
//! every 2 s; peers not heard for 5 s are dropped, and a closing tab says goodbye. The tab with
//! the lowest id among the living speaks. Every tab knows the same set, so exactly one speaks.
//! Everything here is a no-op on the server.

/// The browser's answer about notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Granted,
    Denied,
    /// Not asked yet.
    Default,
    /// This browser has no Notification API.
    Unsupported,
}

impl Permission {
    pub fn label(self) -> &'static str {
        match self {
            Permission::Granted => "Browser notifications are on for this browser.",
            Permission::Denied => {
                "This browser blocks notifications from Leadwire. Allow them in the site settings."
            }
            Permission::Default => "Browser notifications are off for this browser.",
            Permission::Unsupported => "This browser cannot show notifications.",
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::Permission;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};

    const CHANNEL: &str = "leadwire-tabs";
    const ANNOUNCE_MS: u32 = 2_000;
    const PEER_TIMEOUT_MS: f64 = 5_000.0;

    struct Election {
        me: u64,
        /// Other tabs' ids and when we last heard them.
        peers: HashMap<u64, f64>,
        channel: Option<web_sys::BroadcastChannel>,
    }

    thread_local! {
        static ELECTION: RefCell<Option<Election>> = const { RefCell::new(None) };
        static AUDIO: RefCell<Option<web_sys::AudioContext>> = const { RefCell::new(None) };
    }

    fn now() -> f64 {
        js_sys::Date::now()
    }

    fn post(channel: &web_sys::BroadcastChannel, kind: &str, id: u64) {
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"kind".into(), &kind.into());
        // As a string: ids exceed what a JS number holds exactly.
        let _ = js_sys::Reflect::set(&message, &"id".into(), &id.to_string().into());
        let _ = channel.post_message(&message);
    }

    /// Joins the election (once per tab).
    pub fn start() {
        if ELECTION.with(|e| e.borrow().is_some()) {
            return;
        }
        let me = (js_sys::Math::random() * 9.0e15) as u64;
        let channel = web_sys::BroadcastChannel::new(CHANNEL).ok();
        ELECTION.with(|e| {
            *e.borrow_mut() = Some(Election {
                me,
                peers: HashMap::new(),
                channel: channel.clone(),
            })
        });
        let Some(channel) = channel else {
            return; // No BroadcastChannel: this tab is alone as far as it can tell.
        };
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let data = ev.data();
                let kind = js_sys::Reflect::get(&data, &"kind".into())
                    .ok()
                    .and_then(|k| k.as_string());
                let id = js_sys::Reflect::get(&data, &"id".into())
                    .ok()
                    .and_then(|i| i.as_string())
                    .and_then(|i| i.parse::<u64>().ok());
                let (Some(kind), Some(id)) = (kind, id) else {
                    return;
                };
                ELECTION.with(|e| {
                    if let Some(e) = e.borrow_mut().as_mut() {
                        match kind.as_str() {
                            "bye" => {
                                e.peers.remove(&id);
                            }
                            _ => {
                                e.peers.insert(id, now());
                            }
                        }
                        // A newcomer learns about us at once instead of at our next announcement.
                        if kind == "hello" {
                            if let Some(c) = &e.channel {
                                post(c, "here", e.me);
                            }
                        }
                    }
                });
            });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        post(&channel, "hello", me);
        let announce = channel.clone();
        gloo_timers::callback::Interval::new(ANNOUNCE_MS, move || post(&announce, "here", me))
            .forget();
        let goodbye = Closure::<dyn Fn()>::new(move || post(&channel, "bye", me));
        if let Some(window) = web_sys::window() {
            let _ = window
                .add_event_listener_with_callback("pagehide", goodbye.as_ref().unchecked_ref());
        }
        goodbye.forget();
    }

    /// Whether this tab is the one that plays sounds and shows browser notifications.
    pub fn is_speaker() -> bool {
        ELECTION.with(|e| {
            let mut e = e.borrow_mut();
            let Some(e) = e.as_mut() else {
                return true;
            };
            let cutoff = now() - PEER_TIMEOUT_MS;
            e.peers.retain(|_, seen| *seen >= cutoff);
            e.peers.keys().all(|peer| *peer > e.me)
        })
    }

    /// Lets the chime play later: browsers allow audio only after a gesture on the page, so
    /// the first click or key press creates (or resumes) the audio context.
    pub fn unlock_audio() {
        let unlock = Closure::<dyn Fn()>::new(|| {
            AUDIO.with(|a| {
                let mut a = a.borrow_mut();
                if a.is_none() {
                    *a = web_sys::AudioContext::new().ok();
                }
                if let Some(ctx) = a.as_ref() {
                    let _ = ctx.resume();
                }
            });
        });
        if let Some(window) = web_sys::window() {
            for event in ["pointerdown", "keydown"] {
                let _ =
                    window.add_event_listener_with_callback(event, unlock.as_ref().unchecked_ref());
            }
        }
        unlock.forget();
    }

    /// Two short rising tones (about a third of a second).
    pub fn chime() {
        AUDIO.with(|a| {
            let a = a.borrow();
            let Some(ctx) = a.as_ref() else {
                return; // No gesture yet: the browser would refuse to play.
            };
            let start = ctx.current_time();
            for (i, freq) in [660.0_f32, 880.0].into_iter().enumerate() {
                let _ = tone(ctx, freq, start + i as f64 * 0.14);
            }
        });
    }

    fn tone(ctx: &web_sys::AudioContext, freq: f32, at: f64) -> Result<(), JsValue> {
        let osc = ctx.create_oscillator()?;
        let gain = ctx.create_gain()?;
        osc.set_type(web_sys::OscillatorType::Sine);
        osc.frequency().set_value_at_time(freq, at)?;
        gain.gain().set_value_at_time(0.0001, at)?;
        gain.gain()
            .exponential_ramp_to_value_at_time(0.2, at + 0.02)?;
        gain.gain()
            .exponential_ramp_to_value_at_time(0.0001, at + 0.18)?;
        osc.connect_with_audio_node(&gain)?;
        gain.connect_with_audio_node(&ctx.destination())?;
        osc.start_with_when(at)?;
        osc.stop_with_when(at + 0.2)?;
        Ok(())
    }

    fn supported() -> bool {
        web_sys::window()
            .is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false))
    }

    pub fn permission() -> Permission {
        if !supported() {
            return Permission::Unsupported;
        }
        match web_sys::Notification::permission() {
            web_sys::NotificationPermission::Granted => Permission::Granted,
            web_sys::NotificationPermission::Denied => Permission::Denied,
            _ => Permission::Default,
        }
    }

    /// Asks the browser (call from a click: prompts without a gesture are ignored).
    pub async fn request_permission() -> Permission {
        if !supported() {
            return Permission::Unsupported;
        }
        if let Ok(promise) = web_sys::Notification::request_permission() {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        }
        permission()
    }

    /// Shows a system notification when the tab is hidden and permission was granted; a click
    /// brings the tab forward and opens `href`.
    pub fn show(title: &str, body: &str, tag: &str, href: String) {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if !hidden || permission() != Permission::Granted {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        options.set_tag(tag);
        if let Ok(n) = web_sys::Notification::new_with_options(title, &options) {
            let onclick = Closure::<dyn Fn()>::new(move || {
                if let Some(w) = web_sys::window() {
                    let _ = w.focus();
                    let _ = w.location().set_href(&href);
                }
            });
            n.set_onclick(Some(onclick.as_ref().unchecked_ref()));
            onclick.forget();
        }
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{chime, is_speaker, permission, request_permission, show, start, unlock_audio};

#[cfg(not(feature = "hydrate"))]
mod server_side {
    use super::Permission;
    pub fn start() {}
    pub fn unlock_audio() {}
    pub fn is_speaker() -> bool {
        false
    }
    pub fn chime() {}
    pub fn permission() -> Permission {
        Permission::Unsupported
    }
    pub async fn request_permission() -> Permission {
        Permission::Unsupported
    }
    pub fn show(_title: &str, _body: &str, _tag: &str, _href: String) {}
}

#[cfg(not(feature = "hydrate"))]
pub use server_side::{
    chime, is_speaker, permission, request_permission, show, start, unlock_audio,
};
