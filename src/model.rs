//! Shared types and pure logic (no I/O), compiled for the server and the WASM client alike.
pub mod activity;
pub mod analytics;
pub mod auth;
pub mod draft;
pub mod error;
pub mod event;
pub mod ids;
pub mod inbox;
pub mod kpi;
pub mod lead;
pub mod message;
pub mod notification;
pub mod outbox;
pub mod presence;
pub mod receipt;
pub mod text;
pub mod tracking;
