//! One component per route.
pub mod dashboard;
pub mod inbox;
pub mod invite;
pub mod lead;
pub mod lead_new;
pub mod leads;
pub mod login;
pub mod not_found;
pub mod outbox;
pub mod settings;
pub mod settings_channels;
pub mod settings_mailbox;
pub mod settings_notifications;
pub mod settings_team;
pub mod settings_templates;
pub mod settings_workspace;
pub mod signup;
