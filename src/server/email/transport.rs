//! Putting a composed email on the wire: an SMTP relay through lettre, or the local outbox.
use crate::server::settings::{MailSettings, SmtpSecurity};
use crate::server::store::emails::EmailJob;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// Where mail goes.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No relay configured: the mail is kept for `/outbox`.
    Outbox,
}

/// Why an attempt failed, in words the sender can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryError {
    /// Retrying cannot help (a rejected address, a 5xx answer).
    pub permanent: bool,
    pub reason: String,
}

/// How a delivery went out.
pub struct Delivered {
    pub via: &'static str,
    /// The whole message, kept for the outbox.
    pub raw: Option<String>,
}

impl Transport {
    pub fn new(mail: &MailSettings) -> Result<Transport, String> {
        let Some(relay) = &mail.relay else {
            return Ok(Transport::Outbox);
        };
        let tls = |host: &str| {
            TlsParameters::new(host.to_string()).map_err(|e| format!("TLS setup for {host}: {e}"))
        };
        let tls = match relay.security {
            SmtpSecurity::Starttls => Tls::Required(tls(&relay.host)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls(&relay.host)?),
            SmtpSecurity::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
            .port(relay.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&relay.username, &relay.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    pub async fn send(
        &self,
        mail: &MailSettings,
        job: &EmailJob,
    ) -> Result<Delivered, DeliveryError> {
        self.send_message(build(mail, job)?).await
    }

    /// Puts any composed `message` on the wire (or in the outbox).
    pub async fn send_message(&self, message: lettre::Message) -> Result<Delivered, DeliveryError> {
        match self {
            Transport::Outbox => Ok(Delivered {
                via: "outbox",
                raw: Some(String::from_utf8_lossy(&message.formatted()).into_owned()),
            }),
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(Delivered {
                    via: "smtp",
                    raw: None,
                }),
                Err(e) => Err(DeliveryError {
                    permanent: e.is_permanent(),
                    reason: smtp_reason(&e),
                }),
            },
        }
    }
}

/// The RFC 5322 message: multipart text + HTML, threaded after the lead's earlier emails.
pub fn build(mail: &MailSettings, job: &EmailJob) -> Result<lettre::Message, DeliveryError> {
    let to_address = job.to_address.parse().map_err(|_| DeliveryError {
        permanent: true,
        reason: format!("Invalid recipient address: {}", job.to_address),
    })?;
    let to_name = Some(job.to_name.clone()).filter(|n| !n.trim().is_empty());
    let mut builder = lettre::Message::builder()
        .from(mail.from.clone())
        .to(Mailbox::new(to_name, to_address))
        .subject(job.subject.clone())
        .message_id(Some(format!("<{}>", job.message_id_header)))
        .date_now()
        .user_agent("Leadwire".into());
    if let Some(parent) = &job.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if let Some(references) = &job.references_header {
        builder = builder.references(references.clone());
    }
    // Answers go to the mailbox Leadwire watches, so they come back into the thread.
    if let Some(reply_to) = job.reply_to.as_deref().and_then(|a| a.parse().ok()) {
        builder = builder.reply_to(Mailbox::new(mail.from.name.clone(), reply_to));
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(job.text_body.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(job.html_body.clone()),
                ),
        )
        .map_err(|e| DeliveryError {
            permanent: true,
            reason: format!("Could not build the email: {e}"),
        })
}

/// An SMTP failure in a sentence: the server's answer when there is one, else what went wrong
/// with the connection. Never includes credentials (lettre's errors do not carry them).
fn smtp_reason(e: &lettre::transport::smtp::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if e.is_permanent() {
        format!("The mail server refused the message ({text})")
    } else if e.is_timeout() {
        format!("The mail server did not answer in time ({text})")
    } else if e.is_transient() {
        format!("The mail server deferred the message ({text})")
    } else {
        format!("Could not reach the mail server ({text})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::{MessageId, WorkspaceId};
    use crate::server::settings::Settings;

    fn job(to: &str) -> EmailJob {
        EmailJob {
            message_id: MessageId::new_random(),
            workspace_id: WorkspaceId::new_random(),
            to_address: to.into(),
            to_name: "Maya Patel".into(),
            subject: "Hello".into(),
            text_body: "Hi".into(),
            html_body: "<p>Hi</p>".into(),
            message_id_header: "abc@leadwire.localhost".into(),
            in_reply_to: Some("first@leadwire.localhost".into()),
            references_header: Some("<first@leadwire.localhost>".into()),
            attempts: 1,
            reply_to: None,
        }
    }

    #[test]
    fn an_invalid_recipient_is_a_permanent_failure_with_a_reason() {
        let mail = Settings::from_sources(None, &|_| None).unwrap().mail;
        let err = build(&mail, &job("not an address")).unwrap_err();
        assert!(err.permanent);
        assert_eq!(err.reason, "Invalid recipient address: not an address");
    }

    #[test]
    fn the_message_threads_and_carries_both_parts() {
        let mail = Settings::from_sources(None, &|_| None).unwrap().mail;
        let raw =
            String::from_utf8(build(&mail, &job("maya@example.com")).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("Message-ID: <abc@leadwire.localhost>"),
            "{raw}"
        );
        assert!(
            raw.contains("In-Reply-To: <first@leadwire.localhost>"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(!raw.contains("\r\nReply-To:"), "{raw}");
    }

    #[test]
    fn answers_go_to_the_watched_mailbox_when_there_is_one() {
        let mail = Settings::from_sources(None, &|_| None).unwrap().mail;
        let mut job = job("maya@example.com");
        job.reply_to = Some("sales@acme.example".into());
        let raw = String::from_utf8(build(&mail, &job).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("Reply-To:") && raw.contains("<sales@acme.example>"),
            "{raw}"
        );
    }
}
