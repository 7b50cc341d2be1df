//! CSRF defence for every state-changing request: a browser's `Origin` must be our own.
use super::state::AppState;
use crate::model::error::AppError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses POST/PUT/PATCH/DELETE (and WebSocket upgrades) whose `Origin` is another site.
/// Requests without `Origin` come from non-browser clients (curl, integrations), which cannot
/// ride on a victim's cookies, so they pass; SameSite=Lax cookies are the second line.
pub async fn check_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let is_upgrade = request.headers().contains_key(header::UPGRADE);
    if (changes_state || is_upgrade)
        && !origin_allowed(&state.settings.public_url, request.headers())
    {
        return AppError::Forbidden {
            message: "Cross-site request refused.".into(),
        }
        .into_response();
    }
    next.run(request).await
}

/// True when the request carries no foreign origin.
pub fn origin_allowed(public_url: &str, headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin.eq_ignore_ascii_case(public_url) {
        return true;
    }
    // Same host as the request was addressed to (e.g. 127.0.0.1 vs localhost both work
    // locally), over the scheme people reach us by: `https://host` is another origin than
    // `http://host`, and a page on one must not act on the other.
    let our_scheme = public_url.split_once("://").map_or("http", |(s, _)| s);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (host, origin.split_once("://")) {
        (Some(host), Some((scheme, rest))) => {
            scheme.eq_ignore_ascii_case(our_scheme) && rest.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_and_originless_requests_pass() {
        let public = "http://127.0.0.1:3000";
        assert!(origin_allowed(public, &headers(&[])));
        assert!(origin_allowed(
            public,
            &headers(&[("origin", "http://127.0.0.1:3000")])
        ));
        assert!(origin_allowed(
            public,
            &headers(&[
                ("origin", "http://localhost:3000"),
                ("host", "localhost:3000")
            ])
        ));
    }

    #[test]
    fn foreign_origins_are_refused() {
        let public = "http://127.0.0.1:3000";
        assert!(!origin_allowed(
            public,
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:3000")
            ])
        ));
        assert!(!origin_allowed(
            public,
            &headers(&[("origin", "null"), ("host", "127.0.0.1:3000")])
        ));
        assert!(!origin_allowed(
            public,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
    }

    #[test]
    fn the_same_host_over_another_scheme_is_another_origin() {
        let over_http = "http://127.0.0.1:3000";
        let h = headers(&[
            ("origin", "https://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(!origin_allowed(over_http, &h));
        let over_https = "https://crm.example.com";
        assert!(!origin_allowed(
            over_https,
            &headers(&[
                ("origin", "http://crm.example.com"),
                ("host", "crm.example.com")
            ])
        ));
        assert!(origin_allowed(
            over_https,
            &headers(&[
                ("origin", "https://crm.example.com"),
                ("host", "crm.example.com")
            ])
        ));
    }
}
