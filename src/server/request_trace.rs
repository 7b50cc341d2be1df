//! Request tracing (tower-http's `TraceLayer`): each request runs in a `request` span with its
//! method and the kind of path it is (api, rpc, page, webhook, socket), so whatever a handler
//! logs says which request it came from. The span never holds the path itself, the query,
//! headers or body: paths carry tracking tokens, webhook keys and media tokens, queries carry
//! sign-in redirects, and bodies carry what leads wrote. Responses are logged at debug
//! (`RUST_LOG=tower_http=debug`); a 5xx is logged at error with its latency. The tracking
//! pixel and static files, the hottest and least eventful paths, get no span.
use super::metrics::path_kind;
use axum::http::Request;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, TraceLayer};
use tracing::Span;

/// Makes each request's span.
#[derive(Clone, Copy, Debug)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        match path_kind(request.uri().path()) {
            "tracking" | "static" => Span::none(),
            kind => tracing::info_span!("request", method = %request.method(), kind),
        }
    }
}

/// The layer, outermost but one (inside the request timer).
pub fn layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan> {
    TraceLayer::new_for_http().make_span_with(RequestSpan)
}
