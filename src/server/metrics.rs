//! `GET /metrics`: the server's vital signs in Prometheus' text format (version 0.0.4), for an
//! operator's scraper. Off unless `metrics_token` is set, and then only with
//! `Authorization: Bearer <metrics_token>`: queue depths and socket counts are nobody else's.
//!
//! Counted as they happen (atomics, no lock): HTTP requests by kind and their latency, open
//! sockets, events published. Read at scrape time: outbound queue depth per channel, the
//! database pool, group commit.
use super::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// What kind of request a path is, for the request metrics (paths themselves would be
/// unbounded: ids).
const KINDS: [&str; 7] = [
    "api", "rpc", "page", "webhook", "tracking", "static", "socket",
];

fn kind_of(path: &str) -> usize {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "api" => 0,
        "rpc" => 1,
        "webhooks" => 3,
        "t" => 4,
        "pkg" | "media" | "attachments" | "favicon.ico" => 5,
        "ws" => 6,
        _ => 2,
    }
}

/// A latency histogram: cumulative as Prometheus wants it at render time.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Microseconds.
    sum_us: AtomicU64,
}

impl Histogram {
    fn observe(&self, secs: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// The counters the server keeps while it runs.
#[derive(Default)]
pub struct Metrics {
    requests: [Histogram; KINDS.len()],
    server_errors: [AtomicU64; KINDS.len()],
    sockets_open: AtomicI64,
}

impl Metrics {
    /// A socket opened; the guard counts it closed when dropped.
    pub fn socket_opened(self: &std::sync::Arc<Self>) -> SocketCount {
        self.sockets_open.fetch_add(1, Ordering::Relaxed);
        SocketCount(self.clone())
    }
}

/// One open socket, counted until dropped.
pub struct SocketCount(std::sync::Arc<Metrics>);

impl Drop for SocketCount {
    fn drop(&mut self) {
        self.0.sockets_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Middleware: times every request by kind.
pub async fn time_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Outermost, so before routing: the raw path (its first segment is all `kind_of` reads).
    let kind = kind_of(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics.requests[kind].observe(started.elapsed().as_secs_f64());
    if response.status().is_server_error() {
        metrics.server_errors[kind].fetch_add(1, Ordering::Relaxed);
    }
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
    match render(&state).await {
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

async fn render(state: &AppState) -> Result<String, sqlx::Error> {
    let m = &state.metrics;
    let mut out = String::new();
    out.push_str("# HELP leadwire_http_request_duration_seconds Time to answer a request, by kind of path.\n");
    out.push_str("# TYPE leadwire_http_request_duration_seconds histogram\n");
    for (kind, histogram) in KINDS.iter().zip(&m.requests) {
        histogram.render(
            &mut out,
            "leadwire_http_request_duration_seconds",
            &format!("kind=\"{kind}\""),
        );
    }
    out.push_str(
        "# HELP leadwire_http_server_errors_total Requests answered with a 5xx, by kind of path.\n",
    );
    out.push_str("# TYPE leadwire_http_server_errors_total counter\n");
    for (kind, n) in KINDS.iter().zip(&m.server_errors) {
        let _ = writeln!(
            out,
            "leadwire_http_server_errors_total{{kind=\"{kind}\"}} {}",
            n.load(Ordering::Relaxed)
        );
    }
    out.push_str("# HELP leadwire_sockets_open WebSocket connections open now.\n");
    out.push_str("# TYPE leadwire_sockets_open gauge\n");
    let _ = writeln!(
        out,
        "leadwire_sockets_open {}",
        m.sockets_open.load(Ordering::Relaxed)
    );
    let (writes, commits) = state.store.group_commit_counts();
    let events = state.store.events_published();
    out.push_str("# HELP leadwire_events_published_total Events committed to the log and published to sockets.\n");
    out.push_str("# TYPE leadwire_events_published_total counter\n");
    let _ = writeln!(out, "leadwire_events_published_total {events}");
    out.push_str("# HELP leadwire_writes_total Writes committed through group commit.\n");
    out.push_str("# TYPE leadwire_writes_total counter\n");
    let _ = writeln!(out, "leadwire_writes_total {writes}");
    out.push_str("# HELP leadwire_commits_total Group commits (one fsync each).\n");
    out.push_str("# TYPE leadwire_commits_total counter\n");
    let _ = writeln!(out, "leadwire_commits_total {commits}");
    out.push_str("# HELP leadwire_outbound_queue_depth Messages waiting to be handed to their provider, by channel.\n");
    out.push_str("# TYPE leadwire_outbound_queue_depth gauge\n");
    for (channel, depth) in state.store.outbound_queue_depths().await? {
        let _ = writeln!(
            out,
            "leadwire_outbound_queue_depth{{channel=\"{channel}\"}} {depth}"
        );
    }
    let (size, idle) = state.store.pool_usage();
    out.push_str("# HELP leadwire_db_pool_connections Reader pool connections, by state.\n");
    out.push_str("# TYPE leadwire_db_pool_connections gauge\n");
    let _ = writeln!(
        out,
        "leadwire_db_pool_connections{{state=\"in_use\"}} {}",
        size.saturating_sub(idle)
    );
    let _ = writeln!(out, "leadwire_db_pool_connections{{state=\"idle\"}} {idle}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_into_a_few_kinds() {
        assert_eq!(KINDS[kind_of("/api/leads/abc")], "api");
        assert_eq!(KINDS[kind_of("/rpc/get_lead")], "rpc");
        assert_eq!(KINDS[kind_of("/webhooks/twilio/abc")], "webhook");
        assert_eq!(KINDS[kind_of("/t/o/abc")], "tracking");
        assert_eq!(KINDS[kind_of("/pkg/leadwire.css")], "static");
        assert_eq!(KINDS[kind_of("/leads/abc")], "page");
        assert_eq!(KINDS[kind_of("/")], "page");
    }

    #[test]
    fn a_histogram_renders_cumulative_buckets() {
        let h = Histogram::default();
        h.observe(0.0005);
        h.observe(0.02);
        h.observe(9.0);
        let mut out = String::new();
        h.render(&mut out, "x", "kind=\"api\"");
        assert!(
            out.contains("x_bucket{kind=\"api\",le=\"0.001\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{kind=\"api\",le=\"0.025\"} 2\n"),
            "{out}"
        );
        assert!(out.contains("x_bucket{kind=\"api\",le=\"5\"} 2\n"), "{out}");
        assert!(
            out.contains("x_bucket{kind=\"api\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("x_count{kind=\"api\"} 3\n"), "{out}");
    }
}
