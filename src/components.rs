//! Reusable view pieces.
pub mod badges;
pub mod field;
pub mod layout;
pub mod lead_fields;
pub mod local_time;
pub mod message_list;
pub mod status;
