//! Outbound email: composing (tracked links and pixel), the durable delivery queue's worker,
//! and the transports (an SMTP relay, or the built-in outbox when none is configured).
pub mod compose;
pub mod transport;
pub mod worker;

use super::settings::MailSettings;

/// A fresh `Message-ID` (without angle brackets) in the sender's domain.
pub fn new_message_id(mail: &MailSettings) -> String {
    format!(
        "{}@{}",
        uuid::Uuid::new_v4().simple(),
        mail.from.email.domain()
    )
}
