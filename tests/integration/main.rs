//! Integration tests: the real router on 127.0.0.1:0 with a fresh SQLite file per test,
//! driven over HTTP like a browser or an integration would.
#![cfg(feature = "ssr")]

mod accounts;
mod channel_media;
mod channels;
mod credentials;
mod currency;
mod dashboard;
mod drafts;
mod email;
mod fake_meta;
mod fake_twilio;
mod fuzz;
mod group_commit;
mod http_guards;
mod imap;
mod inbound_corpus;
mod inbound_email;
mod inbox;
mod invite_email;
mod isolation;
mod kpis;
mod lead_deletion;
mod lead_versions;
mod leads;
mod messages;
mod meta_channels;
mod meta_templates;
mod migrations;
mod outbound_media;
mod presence;
mod profile;
mod reads;
mod realtime;
mod rollups;
mod security;
mod send_in_doubt;
mod send_test;
mod sign_in_limits;
mod static_files;
mod support;
mod team;
mod team_removal;
mod tracking;
mod whatsapp_window;
mod workspace_deletion;
