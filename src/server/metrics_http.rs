//! The HTTP side of the metrics (`metrics` holds the figures): the middleware that times every
//! request, and `GET /metrics`, off unless `metrics_token` is set and then only with
//! `Authorization: Bearer <metrics_token>`.
use super::metrics::RequestKind;
use super::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// Middleware: times every request by kind.
pub async fn time_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Outermost, so before routing: the raw path (its first segment is all that is read).
    let kind = RequestKind::of(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .answered(kind, response.status(), started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.settings.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compared as hashes: how long the comparison takes says nothing about the token.
    if super::crypto::token_hash(given) != super::crypto::token_hash(token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    match super::metrics::render(&state.metrics, &state.store).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics: database unreadable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
