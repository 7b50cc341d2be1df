//! The one error type that crosses from the server to the browser (server functions and JSON API).
use serde::{Deserialize, Serialize};

/// Everything a caller can be told about a failed request. Database and I/O failures are logged on
/// the server with context and reach the caller only as `Internal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("Email or password is incorrect.")]
    InvalidCredentials,
    /// The request itself is malformed (not JSON, wrong types).
    #[error("{message}")]
    BadRequest { message: String },
    /// Missing, or belonging to another workspace: the two are indistinguishable on purpose.
    #[error("Not found.")]
    NotFound,
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{message}")]
    Conflict { message: String },
    /// The edit was based on an older version of the lead: nothing was stored; `lead` is the
    /// current one, to merge with.
    #[error("A teammate changed this lead while you were editing it.")]
    LeadChanged { lead: Box<super::lead::Lead> },
    /// A teammate messaged the lead after the sender started writing; resend with `confirmed`.
    #[error("{message}")]
    Collision { message: String },
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{message}")]
    PayloadTooLarge { message: String },
    /// The browser could not reach the server at all.
    #[error("Can't reach Leadwire right now. Check your connection and try again.")]
    Offline,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict {
            message: message.into(),
        }
    }

    /// Stable machine-readable code, the `error` member of JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::BadRequest { .. } => "bad_request",
            AppError::NotFound => "not_found",
            AppError::Validation { .. } => "validation",
            AppError::Conflict { .. } | AppError::LeadChanged { .. } => "conflict",
            AppError::Collision { .. } => "collision",
            AppError::Forbidden { .. } => "forbidden",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::Offline => "offline",
            AppError::Internal => "internal",
        }
    }

    /// The field a validation error belongs to, for showing it next to that field.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Validation { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Request(_) => AppError::Offline,
            E::Args(message) | E::MissingArg(message) => AppError::validation("request", message),
            // A request body that does not decode is the caller's mistake, not ours.
            E::Deserialization(message) | E::UnsupportedRequestMethod(message) => {
                AppError::BadRequest { message }
            }
            _ => AppError::Internal,
        }
    }

    /// Runs on the server when a server function fails: besides the JSON body, the response
    /// gets the error's real status (401, 404, 422, 429 …) instead of server_fn's blanket 500,
    /// so monitoring counts only real failures as 5xx.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        self.answer_server_fn_with_status();
        serde_json::to_vec(self)
            .map(leptos::server_fn::Bytes::from)
            .unwrap_or_else(|_| leptos::server_fn::Bytes::from_static(br#"{"error":"internal"}"#))
    }
}

/// The message to show beside `field`, if the result is a validation error for it.
pub fn field_error<T>(result: &Option<Result<T, AppError>>, field: &str) -> Option<String> {
    match result {
        Some(Err(AppError::Validation { field: f, message })) if f == field => {
            Some(message.clone())
        }
        _ => None,
    }
}

/// The message to show above a form: any error that is not tied to one field.
pub fn form_error<T>(result: &Option<Result<T, AppError>>) -> Option<String> {
    match result {
        Some(Err(AppError::Validation { .. })) | None | Some(Ok(_)) => None,
        Some(Err(e)) => Some(e.to_string()),
    }
}

impl AppError {
    /// The HTTP status that answers this error.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::NotFound => 404,
            AppError::Validation { .. } => 422,
            AppError::Conflict { .. }
            | AppError::Collision { .. }
            | AppError::LeadChanged { .. } => 409,
            AppError::Forbidden { .. } => 403,
            AppError::RateLimited { .. } => 429,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::BadRequest { .. } => 400,
            AppError::Offline | AppError::Internal => 500,
        }
    }

    /// How long a rate-limited caller should wait (`Retry-After`), in seconds.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// Gives a failing server function's response the error's status (and `Retry-After`)
    /// instead of server_fn's blanket 500, so monitoring counts only real failures as 5xx. A
    /// plain HTML form post (no JavaScript) is answered with a redirect back instead, so it is
    /// left alone.
    #[cfg(feature = "ssr")]
    fn answer_server_fn_with_status(&self) {
        use axum::http::{header, HeaderValue, StatusCode};
        use leptos::prelude::use_context;
        let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        let wants_html = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        });
        if wants_html {
            return;
        }
        response.set_status(
            StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        if let Some(wait) = self.retry_after_secs() {
            response.insert_header(header::RETRY_AFTER, HeaderValue::from(wait));
        }
    }
}
