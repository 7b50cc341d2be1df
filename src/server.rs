//! Server-only code: settings, state, router, authentication, services and the store.
pub mod accounts;
pub mod api_tokens;
pub mod app_router;
pub mod auth;
pub mod crypto;
pub mod http_error;
pub mod leads;
pub mod origin;
pub mod page_guard;
pub mod rate_limit;
pub mod seed;
pub mod settings;
pub mod state;
pub mod store;
pub mod team;
