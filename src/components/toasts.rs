//! Notifications in the signed-in app: a stack of toasts (every tab), and — in the one tab the
//! others elected — a chime and, while the tab is hidden, a browser notification. What
//! notifies follows the user's preferences (Settings → Notifications).
use crate::api::dashboard::get_notification_prefs;
use crate::client::notify;
use crate::client::realtime::Realtime;
use crate::model::event::ServerFrame;
use crate::model::ids::UserId;
use crate::model::notice::{notice_for, Notice};
use crate::model::notification::NotificationPrefs;
use leptos::prelude::*;
use leptos_router::components::A;

/// Toasts shown at once; older ones make room.
const MAX_TOASTS: usize = 5;
/// A toast leaves by itself after this long.
const TOAST_MS: u64 = 8_000;

/// The preferences the toasts follow; the settings page updates them after a save.
#[derive(Clone, Copy)]
pub struct NotificationSettings {
    pub prefs: RwSignal<NotificationPrefs>,
}

pub fn use_notification_settings() -> Option<NotificationSettings> {
    use_context::<NotificationSettings>()
}

/// Mounted once by the app layout: listens to the tab's socket for triggers.
#[component]
pub fn Toasts(realtime: Realtime, me: Signal<Option<UserId>>) -> impl IntoView {
    let settings = NotificationSettings {
        prefs: RwSignal::new(NotificationPrefs::default()),
    };
    provide_context(settings);
    // Browser-only: nothing on the server render waits for it.
    let stored = LocalResource::new(get_notification_prefs);
    Effect::new(move |_| {
        if let Some(Ok(p)) = stored.get() {
            settings.prefs.set(p);
        }
    });
    let toasts = RwSignal::new(Vec::<Notice>::new());
    Effect::new(move |_| {
        notify::start();
        notify::unlock_audio();
    });
    realtime.on_event(move |frame| {
        // Saved in another tab or on another device: follow at once.
        if let ServerFrame::PrefsUpdated { prefs, .. } = frame {
            settings.prefs.set(*prefs);
            return;
        }
        let Some(me) = me.get_untracked() else {
            return;
        };
        let prefs = settings.prefs.get_untracked();
        let Some(notice) = notice_for(frame, &prefs, me) else {
            return;
        };
        if notify::is_speaker() {
            if prefs.sound {
                notify::chime();
            }
            notify::show(
                &notice.title,
                &notice.body,
                &notice.seq.to_string(),
                format!("/leads/{}", notice.lead_id),
            );
        }
        let seq = notice.seq;
        toasts.update(|t| {
            if t.iter().any(|n| n.seq == seq) {
                return;
            }
            t.push(notice);
            let overflow = t.len().saturating_sub(MAX_TOASTS);
            t.drain(..overflow);
        });
        set_timeout(
            move || toasts.update(|t| t.retain(|n| n.seq != seq)),
            std::time::Duration::from_millis(TOAST_MS),
        );
    });
    view! {
        <div class="toasts" role="region" aria-label="Notifications" aria-live="polite">
            <For each=move || toasts.get() key=|n| n.seq let:notice>
                <div class="toast" data-testid="toast" role="status">
                    <div class="toast-text">
                        <strong>{notice.title.clone()}</strong>
                        <span>{notice.body.clone()}</span>
                    </div>
                    <A href=format!("/leads/{}", notice.lead_id) attr:class="btn subtle">"Open"</A>
                    <button
                        type="button"
                        class="toast-close"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.update(|t| t.retain(|n| n.seq != notice.seq))
                    >"×"</button>
                </div>
            </For>
        </div>
    }
}
