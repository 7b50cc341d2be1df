//! Putting a composed email on the wire: an SMTP relay through lettre, or the local outbox.
//!
//! The SMTP exchange is driven step by step (connect, STARTTLS, AUTH, MAIL, RCPT, DATA, the
//! message) rather than through lettre's one-call transport, for two reasons: every step has a
//! deadline (lettre's async transport bounds only the connect, so a relay that went silent
//! held the worker, and every email behind it, forever), and the caller learns when the
//! message's data is about to leave. Until then a failure means the relay has nothing; after
//! it, a failure without the relay's answer means the relay may or may not have taken the
//! mail — an attempt *in doubt*, which must not be repeated blindly.
use crate::server::settings::{MailSettings, SmtpSecurity};
use crate::server::store::emails::EmailJob;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use std::future::Future;
use std::time::Duration;

/// Where mail goes.
pub enum Transport {
    Smtp(Relay),
    /// No relay configured: the mail is kept for `/outbox`.
    Outbox,
}

/// How to reach the SMTP relay.
pub struct Relay {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    /// Each step's deadline (`smtp_timeout_ms`).
    timeout: Duration,
    hello: ClientId,
}

/// Why an attempt failed, in words the sender can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryError {
    /// Retrying cannot help (a rejected address, a 5xx answer).
    pub permanent: bool,
    pub reason: String,
    /// The message's data had left and the relay's answer never came: it may have taken it.
    pub in_doubt: bool,
}

impl DeliveryError {
    fn from_smtp(e: &lettre::transport::smtp::Error) -> DeliveryError {
        DeliveryError {
            permanent: e.is_permanent(),
            reason: smtp_reason(e),
            in_doubt: false,
        }
    }
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
        let credentials = match (&relay.username, &relay.password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.clone())),
            _ => None,
        };
        Ok(Transport::Smtp(Relay {
            host: relay.host.clone(),
            port: relay.port,
            tls,
            credentials,
            timeout: Duration::from_millis(mail.smtp_timeout_ms),
            hello: ClientId::default(),
        }))
    }

    /// Delivers a queued email. `data_leaving` runs once the relay is ready for the message's
    /// data, just before it is sent: from then on the attempt is in doubt until the relay
    /// answers, and if it fails the data is not sent.
    pub async fn send<F>(
        &self,
        mail: &MailSettings,
        job: &EmailJob,
        data_leaving: impl FnOnce() -> F,
    ) -> Result<Delivered, DeliveryError>
    where
        F: Future<Output = Result<(), DeliveryError>>,
    {
        self.send_message(build(mail, job)?, data_leaving).await
    }

    /// Puts any composed `message` on the wire (or in the outbox); `data_leaving` as in
    /// [`Transport::send`].
    pub async fn send_message<F>(
        &self,
        message: lettre::Message,
        data_leaving: impl FnOnce() -> F,
    ) -> Result<Delivered, DeliveryError>
    where
        F: Future<Output = Result<(), DeliveryError>>,
    {
        match self {
            Transport::Outbox => Ok(Delivered {
                via: "outbox",
                raw: Some(String::from_utf8_lossy(&message.formatted()).into_owned()),
            }),
            Transport::Smtp(relay) => {
                relay.deliver(&message, data_leaving).await?;
                Ok(Delivered {
                    via: "smtp",
                    raw: None,
                })
            }
        }
    }
}

impl Relay {
    async fn deliver<F>(
        &self,
        message: &lettre::Message,
        data_leaving: impl FnOnce() -> F,
    ) -> Result<(), DeliveryError>
    where
        F: Future<Output = Result<(), DeliveryError>>,
    {
        let mut conn = self.connect().await?;
        let outcome = self.transaction(&mut conn, message, data_leaving).await;
        // Ending the session politely is not part of the delivery: its failure changes nothing.
        match outcome {
            Ok(()) => {
                let _ = tokio::time::timeout(self.timeout, conn.quit()).await;
            }
            Err(_) => {
                let _ = tokio::time::timeout(self.timeout, conn.abort()).await;
            }
        }
        outcome
    }

    /// A connection ready for a mail transaction: greeted, encrypted as configured (STARTTLS is
    /// required, never skipped), and signed in when there are credentials.
    async fn connect(&self) -> Result<AsyncSmtpConnection, DeliveryError> {
        let wrapper = match &self.tls {
            Tls::Wrapper(parameters) => Some(parameters.clone()),
            _ => None,
        };
        let mut conn = self
            .step(AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                wrapper,
                None,
            ))
            .await?;
        if let Tls::Required(parameters) = &self.tls {
            self.step(conn.starttls(parameters.clone(), &self.hello))
                .await?;
        }
        if let Some(credentials) = &self.credentials {
            self.step(conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials))
                .await?;
        }
        Ok(conn)
    }

    async fn transaction<F>(
        &self,
        conn: &mut AsyncSmtpConnection,
        message: &lettre::Message,
        data_leaving: impl FnOnce() -> F,
    ) -> Result<(), DeliveryError>
    where
        F: Future<Output = Result<(), DeliveryError>>,
    {
        let envelope = message.envelope();
        let data = message.formatted();
        // What lettre's transport would ask for: SMTPUTF8 for non-ASCII addresses, 8BITMIME for
        // non-ASCII content, and a clear refusal where the relay supports neither.
        let mut options = Vec::new();
        let info = conn.server_info();
        let non_ascii_address = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii_address {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(DeliveryError {
                    permanent: true,
                    reason: "The mail server cannot take addresses with non-ASCII characters \
                             (no SMTPUTF8)"
                        .into(),
                    in_doubt: false,
                });
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !data.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(DeliveryError {
                    permanent: true,
                    reason: "The mail server cannot take 8-bit content (no 8BITMIME)".into(),
                    in_doubt: false,
                });
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        self.step(conn.command(Mail::new(envelope.from().cloned(), options)))
            .await?;
        for to in envelope.to() {
            self.step(conn.command(Rcpt::new(to.clone(), vec![])))
                .await?;
        }
        self.step(conn.command(Data)).await?;
        data_leaving().await?;
        match tokio::time::timeout(self.timeout, conn.message(&data)).await {
            Ok(Ok(_)) => Ok(()),
            // The relay answered with a code: it did not take the message.
            Ok(Err(e)) if e.is_transient() || e.is_permanent() => Err(DeliveryError::from_smtp(&e)),
            Ok(Err(e)) => Err(in_doubt(&smtp_reason(&e))),
            Err(_) => Err(in_doubt(&format!(
                "The mail server did not confirm it within {} s",
                self.timeout.as_secs_f64()
            ))),
        }
    }

    /// One step of the exchange, bounded by the timeout.
    async fn step<T>(
        &self,
        step: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<T, DeliveryError> {
        match tokio::time::timeout(self.timeout, step).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(DeliveryError::from_smtp(&e)),
            Err(_) => Err(DeliveryError {
                permanent: false,
                reason: format!(
                    "The mail server did not answer in time ({} s)",
                    self.timeout.as_secs_f64()
                ),
                in_doubt: false,
            }),
        }
    }
}

/// The thread's words for an email whose data left but whose answer never came.
fn in_doubt(what: &str) -> DeliveryError {
    DeliveryError {
        permanent: true,
        reason: format!(
            "{what} after taking the email's content, so it was not sent again: it may or may not \
             have arrived. Check with the lead, or Retry to send it once more."
        ),
        in_doubt: true,
    }
}

/// The thread's words for an email whose attempt was cut short by the server stopping after
/// its data had left (found when the email is claimed again).
pub const STOPPED_IN_DOUBT: &str = "Leadwire stopped while handing this email to the mail server, \
     and a mail server cannot be asked whether it took it, so it was not sent again: it may or \
     may not have arrived. Check with the lead, or Retry to send it once more.";

/// The RFC 5322 message: multipart text + HTML, threaded after the lead's earlier emails.
pub fn build(mail: &MailSettings, job: &EmailJob) -> Result<lettre::Message, DeliveryError> {
    let to_address = job.to_address.parse().map_err(|_| DeliveryError {
        permanent: true,
        reason: format!("Invalid recipient address: {}", job.to_address),
        in_doubt: false,
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
            in_doubt: false,
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
            in_doubt_since: None,
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
