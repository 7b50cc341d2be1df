//! Email. Outbound: composing (tracked links and pixel), the durable delivery queue's worker,
//! and the transports (an SMTP relay, or the built-in outbox when none is configured).
//! Inbound: reading a raw message (`inbound`) and the signed endpoint that takes them.
pub mod compose;
pub mod imap;
pub mod inbound;
pub mod inbound_webhook;
pub mod invite_mail;
pub mod received;
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
