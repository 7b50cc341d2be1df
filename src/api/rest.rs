//! The JSON API for integrations, under `/api`. Errors are `{error, message, field?}`.
mod auth;
mod body;
mod dashboard;
mod drafts;
mod leads;
mod messages;

use crate::server::state::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(leads::routes())
        .merge(messages::routes())
        .merge(drafts::routes())
        .merge(dashboard::routes())
}
