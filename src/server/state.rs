//! What every request handler can reach: settings, the store and in-memory limiters.
use super::rate_limit::FailureLimiter;
use super::settings::Settings;
use super::store::Store;
use super::tracking::recorder::Tracker;
use crate::model::tracking::Rules;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub store: Store,
    pub login_failures: Arc<FailureLimiter>,
    /// Takes tracking hits off the request path (see `tracking::recorder`).
    pub tracker: Arc<Tracker>,
    /// Who is online, viewing and typing (memory only).
    pub presence: Arc<super::presence::PresenceHub>,
    /// Rung when an email is queued, so the delivery worker wakes at once.
    pub mail_wake: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// Needs a Tokio runtime: it starts the tracking recorder.
    pub fn new(settings: Settings, store: Store) -> Self {
        let leptos_options = LeptosOptions::builder()
            .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "leadwire".into()))
            .site_root(settings.site_root.clone())
            .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
            .site_addr(settings.site_addr)
            .reload_port(
                std::env::var("LEPTOS_RELOAD_PORT")
                    .ok()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(3001),
            )
            // Only `cargo leptos watch` sets LEPTOS_ENV=DEV; the live-reload script is dev-only.
            .env(match std::env::var("LEPTOS_ENV").as_deref() {
                Ok("DEV") | Ok("dev") | Ok("development") => leptos::config::Env::DEV,
                _ => leptos::config::Env::PROD,
            })
            .build();
        let login_failures = Arc::new(FailureLimiter::new(std::time::Duration::from_secs(
            settings.login_window_secs,
        )));
        let tracker = Arc::new(Tracker::start(
            store.clone(),
            Rules {
                machine_window_secs: settings.mail.tracking_machine_window_secs,
            },
        ));
        let presence_away_secs = settings.presence_away_secs;
        AppState {
            leptos_options,
            settings: Arc::new(settings),
            store,
            login_failures,
            tracker,
            presence: Arc::new(super::presence::PresenceHub::new(
                std::time::Duration::from_secs(presence_away_secs),
            )),
            mail_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
