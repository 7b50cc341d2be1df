//! Settings → Notifications: which events notify, sound on or off (stored per user), and the
//! button that asks the browser for permission to show system notifications.
use crate::api::dashboard::{get_notification_prefs, save_notification_prefs};
use crate::client::notify::{self, Permission};
use crate::components::status::{ErrorNotice, Loading};
use crate::components::toasts::use_notification_settings;
use crate::model::notification::{NotificationPrefs, Trigger};
use leptos::prelude::*;

#[component]
pub fn NotificationsSection() -> impl IntoView {
    let stored = Resource::new(|| (), |_| get_notification_prefs());
    let status = RwSignal::new(None::<Result<&'static str, String>>);
    let permission = RwSignal::new(Permission::Unsupported);
    Effect::new(move |_| permission.set(notify::permission()));
    let settings = use_notification_settings();
    let save = move |prefs: NotificationPrefs| {
        status.set(None);
        leptos::task::spawn_local(async move {
            match save_notification_prefs(prefs).await {
                Ok(saved) => {
                    if let Some(s) = settings {
                        s.prefs.set(saved);
                    }
                    status.set(Some(Ok("Saved.")));
                }
                Err(e) => status.set(Some(Err(e.to_string()))),
            }
        });
    };
    let ask = move |_| {
        leptos::task::spawn_local(async move {
            permission.set(notify::request_permission().await);
        });
    };
    view! {
        <section class="card" aria-labelledby="notifications-title">
            <h2 id="notifications-title">"Notifications"</h2>
            <p class="muted">
                "Leadwire shows a toast in every open tab; one of your tabs also plays a short sound and, while it is hidden, shows a browser notification."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match stored.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(initial) => {
                            let prefs = RwSignal::new(initial);
                            view! {
                                <fieldset class="prefs">
                                    <legend>"Notify me when"</legend>
                                    {Trigger::ALL.into_iter().map(|t| view! {
                                        <label class="check">
                                            <input
                                                type="checkbox"
                                                prop:checked=move || t.enabled(&prefs.get())
                                                on:change=move |ev| {
                                                    prefs.update(|p| t.set(p, event_target_checked(&ev)));
                                                    save(prefs.get_untracked());
                                                }
                                            />
                                            {t.label()}
                                        </label>
                                    }).collect_view()}
                                    <label class="check">
                                        <input
                                            type="checkbox"
                                            prop:checked=move || prefs.get().sound
                                            on:change=move |ev| {
                                                prefs.update(|p| p.sound = event_target_checked(&ev));
                                                save(prefs.get_untracked());
                                            }
                                        />
                                        "Play a sound"
                                    </label>
                                </fieldset>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <p role="status" class="muted" data-testid="prefs-status">
                {move || match status.get() {
                    Some(Ok(m)) => m.to_string(),
                    Some(Err(e)) => e,
                    None => String::new(),
                }}
            </p>
            <p>
                <span data-testid="permission-state">{move || permission.get().label()}</span>
                " "
                <Show when=move || permission.get() == Permission::Default>
                    <button type="button" class="btn" on:click=ask>"Enable browser notifications"</button>
                </Show>
                <button type="button" class="btn subtle" on:click=move |_| notify::chime()>"Play test sound"</button>
            </p>
        </section>
    }
}
