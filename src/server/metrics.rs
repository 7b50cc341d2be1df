//! `GET /metrics`: the server's vital signs in Prometheus' text format (version 0.0.4), for an
//! operator's scraper. Off unless `metrics_token` is set, and then only with
//! `Authorization: Bearer <metrics_token>`: queue depths and socket counts are nobody else's.
//!
//! Counted as they happen (atomics, no lock): HTTP requests by kind and their latency, open
//! sockets, events published, delivery lag per channel. Read at scrape time: outbound queue depth per channel, the
//! database pool, group commit.
use super::store::Store;
use crate::model::channel::Channel;
use chrono::{DateTime, Utc};
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Upper bounds of the request latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Upper bounds of the delivery lag buckets, in seconds: from a send to its relay or provider
/// taking it, which spans milliseconds (a healthy queue) to hours (retries with backoff).
const LAG_BUCKETS: [f64; 10] = [
    0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0,
];

/// What kind of request a path is, for the request metrics (paths themselves would be
/// unbounded: ids).
const KINDS: [&str; 7] = [
    "api", "rpc", "page", "webhook", "tracking", "static", "socket",
];

/// The kind of request `path` is ("api", "rpc", "page", "webhook", "tracking", "static",
/// "socket"): what logs and metrics say instead of the path, which may carry a token.
pub fn path_kind(path: &str) -> &'static str {
    KINDS[kind_of(path)]
}

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
struct Histogram {
    bounds: &'static [f64],
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    /// Microseconds.
    sum_us: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }

    fn observe(&self, secs: f64) {
        if let Some(i) = self.bounds.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    /// `labels`: `key="value"` pairs, comma-separated, or empty.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let (bucket_labels, braced) = if labels.is_empty() {
            (String::new(), String::new())
        } else {
            (format!("{labels},"), format!("{{{labels}}}"))
        };
        let mut cumulative = 0;
        for (bound, n) in self.bounds.iter().zip(self.buckets.iter()) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{bucket_labels}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{bucket_labels}le=\"+Inf\"}} {count}");
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{braced} {sum}");
        let _ = writeln!(out, "{name}_count{braced} {count}");
    }
}

/// The counters the server keeps while it runs.
pub struct Metrics {
    requests: [Histogram; KINDS.len()],
    server_errors: [AtomicU64; KINDS.len()],
    sockets_open: AtomicI64,
    /// By channel, in `Channel::ALL`'s order.
    delivery_lag: [Histogram; Channel::ALL.len()],
    /// From an event's commit to a socket writing it, once per socket.
    socket_lag: Histogram,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            requests: std::array::from_fn(|_| Histogram::new(&BUCKETS)),
            server_errors: Default::default(),
            sockets_open: AtomicI64::new(0),
            delivery_lag: std::array::from_fn(|_| Histogram::new(&LAG_BUCKETS)),
            socket_lag: Histogram::new(&BUCKETS),
        }
    }
}

impl Metrics {
    /// A socket wrote a logged event `since_commit` after its commit was published.
    pub fn event_sent(&self, since_commit: std::time::Duration) {
        self.socket_lag.observe(since_commit.as_secs_f64());
    }

    /// A message written at `queued_at` was taken by its relay or provider (or the outbox or
    /// sandbox) just now.
    pub fn delivered(&self, channel: Channel, queued_at: DateTime<Utc>) {
        let lag = (Utc::now() - queued_at)
            .num_microseconds()
            .unwrap_or(i64::MAX) as f64
            / 1e6;
        if let Some(i) = Channel::ALL.iter().position(|c| *c == channel) {
            self.delivery_lag[i].observe(lag.max(0.0));
        }
    }

    /// A socket opened; the guard counts it closed when dropped.
    pub fn socket_opened(self: &std::sync::Arc<Self>) -> SocketCount {
        self.sockets_open.fetch_add(1, Ordering::Relaxed);
        SocketCount(self.clone())
    }
}

/// The kind of a request's path, read before the request runs (see `path_kind`).
#[derive(Debug, Clone, Copy)]
pub struct RequestKind(usize);

impl RequestKind {
    pub fn of(path: &str) -> RequestKind {
        RequestKind(kind_of(path))
    }
}

impl Metrics {
    /// A request of `kind` was answered with `status` after `seconds`.
    pub fn answered(&self, kind: RequestKind, status: axum::http::StatusCode, seconds: f64) {
        let kind = kind.0;
        self.requests[kind].observe(seconds);
        if status.is_server_error() {
            self.server_errors[kind].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One open socket, counted until dropped.
pub struct SocketCount(std::sync::Arc<Metrics>);

impl Drop for SocketCount {
    fn drop(&mut self) {
        self.0.sockets_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The text `GET /metrics` answers: the counters of `m` and the figures read from `store`.
pub async fn render(m: &Metrics, store: &Store) -> Result<String, sqlx::Error> {
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
    let (writes, commits) = store.group_commit_counts();
    let events = store.events_published();
    out.push_str("# HELP leadwire_events_published_total Events committed to the log and published to sockets.\n");
    out.push_str("# TYPE leadwire_events_published_total counter\n");
    let _ = writeln!(out, "leadwire_events_published_total {events}");
    out.push_str("# HELP leadwire_writes_total Writes committed through group commit.\n");
    out.push_str("# TYPE leadwire_writes_total counter\n");
    let _ = writeln!(out, "leadwire_writes_total {writes}");
    out.push_str("# HELP leadwire_commits_total Group commits (one fsync each).\n");
    out.push_str("# TYPE leadwire_commits_total counter\n");
    let _ = writeln!(out, "leadwire_commits_total {commits}");
    out.push_str("# HELP leadwire_event_socket_lag_seconds From an event's commit to each socket writing it.\n");
    out.push_str("# TYPE leadwire_event_socket_lag_seconds histogram\n");
    m.socket_lag
        .render(&mut out, "leadwire_event_socket_lag_seconds", "");
    out.push_str("# HELP leadwire_delivery_lag_seconds From a message being sent to its relay or provider (or the outbox or sandbox) taking it, by channel.\n");
    out.push_str("# TYPE leadwire_delivery_lag_seconds histogram\n");
    for (channel, histogram) in Channel::ALL.iter().zip(&m.delivery_lag) {
        histogram.render(
            &mut out,
            "leadwire_delivery_lag_seconds",
            &format!("channel=\"{}\"", channel.as_str()),
        );
    }
    out.push_str("# HELP leadwire_outbound_queue_depth Messages waiting to be handed to their provider, by channel.\n");
    out.push_str("# TYPE leadwire_outbound_queue_depth gauge\n");
    for (channel, depth) in store.outbound_queue_depths().await? {
        let _ = writeln!(
            out,
            "leadwire_outbound_queue_depth{{channel=\"{channel}\"}} {depth}"
        );
    }
    let (size, idle) = store.pool_usage();
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
        let h = Histogram::new(&BUCKETS);
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

    #[test]
    fn a_histogram_without_labels_has_no_empty_braces() {
        let h = Histogram::new(&BUCKETS);
        h.observe(0.002);
        let mut out = String::new();
        h.render(&mut out, "x", "");
        assert!(out.contains("x_bucket{le=\"0.0025\"} 1\n"), "{out}");
        assert!(out.contains("x_count 1\n"), "{out}");
        assert!(out.contains("x_sum 0.002\n"), "{out}");
    }
}
