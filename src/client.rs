//! Browser services: the real-time socket, draft autosave, local storage. They compile on the
//! server too (as inert stand-ins), so components can use them unconditionally.
pub mod draft;
pub mod notify;
pub mod outbox;
pub mod presence;
pub mod realtime;
pub mod storage;
pub mod upload;
