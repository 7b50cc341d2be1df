//! What every request handler can reach: settings, the store and in-memory limiters.
use super::address_limits::AddressLimit;
use super::password_pool::PasswordPool;
use super::settings::Settings;
use super::sign_in_guard::SignInGuard;
use super::store::Store;
use super::throttle::Throttle;
use super::tracking::recorder::Tracker;
use crate::model::tracking::Rules;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// What every handler shares. One `Arc`: axum hands each request its own clone of the state,
/// and cloning (then dropping) the ~20 shared parts one by one was a quarter of the CPU time
/// of a tracking-pixel hit (`perf`, `wrk -c64`: each part an atomic count that both cores
/// fight over). Fields read through `Deref`, as before.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub store: Store,
    /// Sign-in failure limits per client (see `sign_in_guard`).
    pub sign_in_guard: Arc<SignInGuard>,
    /// argon2id on a fixed number of threads and buffers: the memory bound.
    pub passwords: PasswordPool,
    /// New workspaces per client address (shared by the instances on PostgreSQL).
    pub signups: Arc<AddressLimit>,
    /// Sign-up, sign-in and invite-acceptance requests and signed-out pages per client address
    /// (shared by the instances on PostgreSQL).
    pub public_requests: Arc<AddressLimit>,
    /// Takes tracking hits off the request path (see `tracking::recorder`).
    pub tracker: Arc<Tracker>,
    /// Who is online, viewing and typing (memory only).
    pub presence: Arc<super::presence::PresenceHub>,
    /// Tracking hits stored per pixel/link token (as its 128-bit value) and per client address.
    pub tracking_per_token: Arc<Throttle<u128>>,
    pub tracking_per_ip: Arc<Throttle<IpAddr>>,
    /// Client frames per user across all their sockets (see `realtime`).
    pub socket_frames: Arc<Throttle<crate::model::ids::UserId>>,
    /// Committed events and presence frames, per workspace, encoded once (see `realtime`).
    pub fanout: Arc<super::realtime::fanout::Fanout>,
    /// Sign-outs and revoked tokens, for the sockets that must close.
    pub revocations: Arc<super::revocations::Revocations>,
    /// Rung when an email is queued, so the delivery worker wakes at once.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// Rung when an SMS, WhatsApp or Instagram message is queued (see `channels::worker`).
    pub delivery_wake: Arc<tokio::sync::Notify>,
    /// Seals and opens secrets at rest (mailbox passwords).
    pub secrets: Arc<super::secrets::SecretBox>,
    /// The workspaces' mailbox watchers (IMAP), restarted when their settings change.
    pub mailboxes: Arc<super::workspace_tasks::WorkspaceTasks>,
    /// The one HTTP client for the providers' APIs (sends, media downloads, test messages): one
    /// connection pool, TLS set up once, not per webhook.
    pub providers: reqwest::Client,
    /// What `/metrics` reports.
    pub metrics: Arc<super::metrics::Metrics>,
    /// Inbox rows per viewer and filter while the workspace's head stands still.
    pub inbox_cache: super::inbox_cache::InboxCache,
}

impl AppState {
    /// Needs a Tokio runtime: it starts the tracking recorder.
    pub fn new(settings: Settings, store: Store, secrets: super::secrets::SecretBox) -> Self {
        // The release build names the JS and WASM by content hash and lists the hashes here
        // (scripts/build-release.sh); Leptos looks for the file relative to the executable, so
        // give it an absolute path. Without the file (tests, `cargo leptos watch`): plain names.
        let hash_file = std::path::absolute(Path::new(&settings.site_root).join("pkg/hash.txt"))
            .unwrap_or_default();
        let leptos_options = LeptosOptions::builder()
            .hash_files(hash_file.is_file())
            .hash_file(std::sync::Arc::from(hash_file.to_string_lossy().as_ref()))
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
        let mut sign_in_guard = SignInGuard::new(
            std::time::Duration::from_secs(settings.login_window_secs),
            settings.login_max_failures_per_account,
            settings.login_max_failures_per_ip,
        );
        if store.backend() == super::store::db::Backend::Postgres {
            if let Some(secret) = &settings.secret_key {
                sign_in_guard = sign_in_guard.shared(store.clone(), secret);
            }
        }
        let sign_in_guard = Arc::new(sign_in_guard);
        let limits = &settings.limits;
        let passwords = PasswordPool::start(limits.password_hash_slots, limits.password_hash_queue);
        let mut signups = AddressLimit::per_hour(
            "signup",
            limits.signups_per_ip_per_hour,
            "Too many new workspaces from your network. Please try again later.",
        );
        let mut public_requests = AddressLimit::per_minute(
            "public",
            limits.public_requests_per_ip_per_minute,
            "Too many attempts from your network. Please wait a moment.",
        );
        if store.backend() == super::store::db::Backend::Postgres {
            signups = signups.shared(store.clone());
            public_requests = public_requests.shared(store.clone());
        }
        let (signups, public_requests) = (Arc::new(signups), Arc::new(public_requests));
        let tracking_per_token = Arc::new(Throttle::per_minute(
            limits.tracking_hits_per_token_per_minute.saturating_mul(2),
            limits.tracking_hits_per_token_per_minute,
        ));
        let tracking_per_ip = Arc::new(Throttle::per_minute(
            limits.tracking_hits_per_ip_per_minute,
            limits.tracking_hits_per_ip_per_minute,
        ));
        let socket_frames = Arc::new(Throttle::per_minute(
            limits.ws_frames_per_second.saturating_mul(8),
            limits.ws_frames_per_second.saturating_mul(4 * 60),
        ));
        let tracker = Arc::new(Tracker::start(
            store.clone(),
            Rules {
                machine_window_secs: settings.mail.tracking_machine_window_secs,
            },
        ));
        let presence_away_secs = settings.presence_away_secs;
        let presence = Arc::new(super::presence::PresenceHub::new(
            std::time::Duration::from_secs(presence_away_secs),
        ));
        let revocations = Arc::new(super::revocations::Revocations::start(&store));
        let metrics: Arc<super::metrics::Metrics> = Arc::default();
        let fanout = super::realtime::fanout::Fanout::start(&store, &presence, metrics.clone());
        // Only fails when no TLS backend can start, where every client would fail alike.
        let providers = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        AppState(Arc::new(Shared {
            providers,
            metrics,
            leptos_options,
            settings: Arc::new(settings),
            store,
            sign_in_guard,
            passwords,
            signups,
            public_requests,
            tracker,
            presence,
            fanout,
            tracking_per_token,
            tracking_per_ip,
            socket_frames,
            revocations,
            mail_wake: Arc::new(tokio::sync::Notify::new()),
            delivery_wake: Arc::new(tokio::sync::Notify::new()),
            secrets: Arc::new(secrets),
            mailboxes: Arc::default(),
            inbox_cache: Default::default(),
        }))
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
