//! What Settings shows of the workspace's watched mailbox (IMAP): everything but the password,
//! which is write-only.
use serde::{Deserialize, Serialize};

/// What Settings shows of the mailbox.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailboxView {
    pub configured: bool,
    pub host: String,
    pub port: i64,
    pub security: String,
    pub username: String,
    pub folder: String,
    pub address: String,
    pub enabled: bool,
    /// None before the first completed sync.
    pub last_sync_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}
