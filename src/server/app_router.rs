//! Assembles the axum router: health check, JSON API, Leptos pages and server functions, static files.
use super::origin::check_origin;
use super::page_guard::require_session;
use super::read_body::read_body_first;
use super::security_headers::{security_headers, CspNonce};
use super::settings::Settings;
use super::state::AppState;
use super::store::Store;
use crate::app::{shell, App};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::OnceLock;

/// Opens the store (migrating it), seeds the demo data if asked, and returns the ready state.
pub async fn prepare(settings: Settings) -> Result<AppState, sqlx::Error> {
    let store = Store::open(&settings.database_url).await?;
    if settings.seed_demo && super::seed::seed_demo_if_empty(&store).await? {
        tracing::info!("seeded the demo workspace");
    }
    let secrets = super::secrets::SecretBox::load(&settings).map_err(sqlx::Error::Io)?;
    Ok(AppState::new(settings, store, secrets))
}

pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let leptos_options = state.leptos_options.clone();
    let context_state = state.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context_state.clone());
                provide_csp_nonce();
            },
            move || shell(leptos_options.clone()),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_session,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(super::metrics_http::scrape))
        .route("/ws", get(super::realtime::upgrade))
        .route("/outbox/{id}/html", get(super::outbox::html))
        .route("/inbound/{id}/html", get(super::email::received::html))
        .route("/attachments/{id}", get(super::email::received::attachment))
        .route("/media/{token}", get(super::uploads::media))
        .nest("/api", crate::api::rest::routes())
        .merge(super::static_files::pkg_routes(&state.settings.site_root))
        .merge(pages)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    provide_csp_nonce();
                }
            },
            shell,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), check_origin))
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        // Outside the guards above, so that none of them answers with a body left unread.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            read_body_first,
        ))
        // Merged after the layers: the tracking endpoints are GET-only, public and hot; the
        // inbound email endpoint is called by mail servers and the channel webhooks by providers
        // (no Origin, no session: the signature is the credential), with their own body limits.
        .merge(super::tracking::routes())
        .merge(super::email::inbound_webhook::routes())
        .merge(super::channels::webhook::routes())
        .merge(super::channels::meta_webhook::routes())
        // Files for messages: larger than the app's JSON bodies, so with a limit of their own.
        .merge(super::uploads::routes(&state))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        // Every request in a span of its method and kind, whatever answers it.
        .layer(super::request_trace::layer())
        // Outermost: every request is timed, whatever answers it.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::metrics_http::time_requests,
        ))
        .with_state(state)
}

/// The app's page routes, listed once per process. Listing renders the app once with every
/// resource held back by a switch leptos keeps for the whole process (`SuppressResourceLoad`), and
/// a page whose resource is first polled while it is on waits forever (leptos-rs/leptos#4773). A
/// binary lists them before it serves; a process that builds routers while another serves (the
/// test suite, an embedder) must not list them again.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Hands the request's CSP nonce (see `security_headers`) to Leptos, which puts it on every
/// inline script it renders; without it the policy would block hydration.
fn provide_csp_nonce() {
    use leptos::prelude::use_context;
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// How long `/healthz` waits for an empty write to be committed before calling writes stuck.
const HEALTH_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET /healthz`: "ok" while the database answers reads *and* writes go through group commit
/// (the writer, its COMMIT and the committer task that publishes events and acknowledges
/// writes); 503 with what is wrong otherwise. A writer wedged behind another process's lock, or
/// a committer that stopped, leaves reads answering while every send hangs: the empty write
/// catches that.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if let Err(e) = state.store.ping().await {
        tracing::error!(error = %e, "health check: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    if state.store.doorbell_listening() == Some(false) {
        // On PostgreSQL: this instance would not hear other instances' commits.
        tracing::error!("health check: the doorbell connection is not listening");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not hearing other instances' writes",
        );
    }
    match tokio::time::timeout(HEALTH_WRITE_TIMEOUT, state.store.write_probe()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok"),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check: writes fail");
            (StatusCode::SERVICE_UNAVAILABLE, "writes fail")
        }
        Err(_) => {
            tracing::error!("health check: an empty write was not committed within 2 s");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "writes are not being committed",
            )
        }
    }
}

/// Serves `router` on `listener` until the process is stopped, with peer addresses available
/// to handlers (the login rate limit counts per IP).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    tokio::spawn(super::realtime::prune::prune_forever(
        state.store.clone(),
        state.settings.event_retention_secs,
    ));
    tokio::spawn(super::email::worker::run(state.clone()));
    tokio::spawn(super::channels::worker::run(state.clone()));
    super::email::imap::start_all(&state).await;
    tokio::spawn(super::dashboard::live::run(
        state.store.clone(),
        std::time::Duration::from_millis(state.settings.stats_coalesce_ms),
    ));
    tokio::spawn(super::presence::run_relay(
        state.presence.clone(),
        state.store.clone(),
    ));
    let presence = state.presence.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            presence.sweep();
        }
    });
    let app = router(state);
    axum::serve(
        without_nagle(listener),
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

/// `listener`, whose connections send what is written at once. With Nagle's algorithm a
/// socket's next frame waits until the peer acknowledges the one before, and a peer that
/// delays its acknowledgements (40 ms on Linux, more elsewhere) held a live update that long:
/// the one-subscriber benchmark's slowest delivery was 41 ms in every run, 4–9 ms without.
fn without_nagle(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    fn no_delay(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY on a connection");
        }
    }
    axum::serve::ListenerExt::tap_io(listener, no_delay as fn(&mut tokio::net::TcpStream))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::without_nagle;
    use axum::serve::Listener;

    #[tokio::test]
    async fn accepted_connections_send_without_waiting_for_acknowledgements() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listener = without_nagle(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap());
    }
}
