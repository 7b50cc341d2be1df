//! Reusable view pieces.
pub mod badges;
pub mod collision;
pub mod composer;
pub mod connection_status;
pub mod conversation_thread;
pub mod field;
pub mod layout;
pub mod lead_fields;
pub mod local_time;
pub mod message_list;
pub mod presence;
pub mod status;
