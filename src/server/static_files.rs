//! The release bundle under `/pkg`: brotli or gzip copies when the browser takes them (written by
//! `scripts/build-release.sh`), cached for a year when the name carries its content hash
//! (`leadwire.<hash>.wasm`: a new build is a new name), revalidated on every use otherwise.
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::path::Path;
use tower_http::services::ServeDir;

/// `/pkg/…` from `site_root/pkg`.
pub fn pkg_routes<S: Clone + Send + Sync + 'static>(site_root: &str) -> Router<S> {
    let files = ServeDir::new(Path::new(site_root).join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", files)
        .layer(middleware::from_fn(cache_policy))
}

async fn cache_policy(request: Request, next: Next) -> Response {
    let immutable = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status().as_u16() == 304 {
        let policy = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// `…/name.<16 hex digits>.ext`: the names `build-release.sh` gives the JS and WASM.
fn is_content_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let mut parts = file.rsplit('.');
    let (_ext, hash) = (parts.next(), parts.next().unwrap_or_default());
    parts.next().is_some() && hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_content_hashed;

    #[test]
    fn only_hashed_names_are_immutable() {
        assert!(is_content_hashed("/pkg/leadwire.0123456789abcdef.wasm"));
        assert!(is_content_hashed("/pkg/leadwire.0123456789abcdef.js"));
        assert!(!is_content_hashed("/pkg/leadwire.wasm"));
        assert!(!is_content_hashed("/pkg/leadwire.css"));
        assert!(!is_content_hashed("/pkg/0123456789abcdef.js"));
        assert!(!is_content_hashed("/pkg/leadwire.0123456789abcdeg.js"));
        assert!(!is_content_hashed("/pkg/hash.txt"));
    }
}
