//! Reusable view pieces.
pub mod activity_feed;
pub mod badges;
pub mod charts;
pub mod collision;
pub mod composer;
pub mod connection_status;
pub mod conversation_thread;
pub mod field;
pub mod kpi_card;
pub mod layout;
pub mod lead_actions;
pub mod lead_fields;
pub mod local_time;
pub mod message_list;
pub mod presence;
pub mod status;
pub mod toasts;
