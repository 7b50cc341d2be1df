//! The email part of the settings: the SMTP relay (or none: the local outbox), the sender,
//! delivery retries and the tracking rules' time window.
use super::{Raw, SettingsError};
use lettre::message::Mailbox;

pub(super) const KEYS: &[&str] = &[
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "smtp_password",
    "smtp_timeout_ms",
    "mail_from",
    "mail_max_attempts",
    "mail_retry_base_ms",
    "tracking_machine_window_secs",
    "inbound_email_max_bytes",
];

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Where email goes; None keeps it in the built-in outbox at `/outbox`.
    pub relay: Option<SmtpRelay>,
    /// The `From:` of every email.
    pub from: Mailbox,
    /// Delivery attempts before a message is marked failed.
    pub max_attempts: u32,
    /// The first retry waits this long; each further one twice as long (with jitter).
    pub retry_base_ms: u64,
    /// Hits this soon after delivery are treated as machine-made (see `model::tracking`).
    pub tracking_machine_window_secs: i64,
    /// Largest raw message `POST /webhooks/email/{key}` takes (413 above).
    pub inbound_max_bytes: usize,
    /// How long the relay may take over each step of a delivery (connecting, each command, the
    /// answer to the message's data) before the attempt gives up.
    pub smtp_timeout_ms: u64,
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required, never downgraded). Port 587.
    Starttls,
    /// TLS from the first byte (SMTPS). Port 465.
    Tls,
    /// No encryption: only for a relay on the same host or a test server.
    None,
}

#[derive(Clone)]
pub struct SmtpRelay {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
}

// The password must never reach a log line, so Debug leaves it out.
impl std::fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

pub(super) fn parse(raw: &Raw) -> Result<MailSettings, SettingsError> {
    let security = match raw.string("smtp_security", "starttls").trim() {
        "starttls" => SmtpSecurity::Starttls,
        "tls" => SmtpSecurity::Tls,
        "none" => SmtpSecurity::None,
        _ => return Err(raw.error("smtp_security", "must be starttls, tls or none")),
    };
    let default_port = match security {
        SmtpSecurity::Starttls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    };
    let port: u16 = raw.get("smtp_port", 0, "a port number")?;
    let host = raw.string("smtp_host", "").trim().to_string();
    let optional = |key: &str| Some(raw.string(key, "")).filter(|v| !v.is_empty());
    let relay = (!host.is_empty()).then(|| SmtpRelay {
        host,
        port: if port == 0 { default_port } else { port },
        security,
        username: optional("smtp_username"),
        password: optional("smtp_password"),
    });
    if relay
        .as_ref()
        .is_some_and(|r| r.username.is_some() != r.password.is_some())
    {
        return Err(raw.error(
            "smtp_username",
            "set both smtp_username and smtp_password, or neither",
        ));
    }
    let from: Mailbox = raw
        .string("mail_from", "Leadwire <no-reply@leadwire.localhost>")
        .parse()
        .map_err(|_| {
            raw.error(
                "mail_from",
                "must be an address like Name <you@example.com>",
            )
        })?;
    let max_attempts = match raw.get("mail_max_attempts", 8, "a whole number")? {
        n @ 1..=50 => n,
        _ => return Err(raw.error("mail_max_attempts", "must be between 1 and 50")),
    };
    let retry_base_ms = match raw.get(
        "mail_retry_base_ms",
        30_000,
        "a whole number of milliseconds",
    )? {
        n @ 1..=86_400_000 => n,
        _ => return Err(raw.error("mail_retry_base_ms", "must be between 1 ms and a day")),
    };
    let tracking_machine_window_secs = match raw.get(
        "tracking_machine_window_secs",
        10,
        "a whole number of seconds",
    )? {
        n @ 0..=3600 => n,
        _ => return Err(raw.error("tracking_machine_window_secs", "must be between 0 and 3600")),
    };
    let inbound_max_bytes = match raw.get(
        "inbound_email_max_bytes",
        10 * 1024 * 1024,
        "a number of bytes",
    )? {
        n @ 1024..=104_857_600 => n,
        _ => {
            return Err(raw.error(
                "inbound_email_max_bytes",
                "must be between 1 KiB and 100 MiB",
            ))
        }
    };
    let smtp_timeout_ms =
        match raw.get("smtp_timeout_ms", 30_000, "a whole number of milliseconds")? {
            n @ 100..=600_000 => n,
            _ => return Err(raw.error("smtp_timeout_ms", "must be between 100 ms and 10 minutes")),
        };
    Ok(MailSettings {
        relay,
        from,
        max_attempts,
        retry_base_ms,
        tracking_machine_window_secs,
        inbound_max_bytes,
        smtp_timeout_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;

    fn with(pairs: &'static [(&'static str, &'static str)]) -> Result<Settings, String> {
        let env = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        Settings::from_sources(None, &env).map_err(|e| e.to_string())
    }

    #[test]
    fn without_a_host_mail_goes_to_the_outbox() {
        assert!(with(&[]).unwrap().mail.relay.is_none());
    }

    #[test]
    fn the_port_follows_the_security_mode() {
        let s = with(&[
            ("LEADWIRE_SMTP_HOST", "smtp.example.com"),
            ("LEADWIRE_SMTP_SECURITY", "tls"),
        ])
        .unwrap();
        assert_eq!(s.mail.relay.unwrap().port, 465);
    }

    #[test]
    fn bad_mail_settings_name_themselves() {
        let err = with(&[("LEADWIRE_SMTP_SECURITY", "ssl3")]).unwrap_err();
        assert!(err.contains("smtp_security"), "{err}");
        let err = with(&[("LEADWIRE_MAIL_FROM", "not an address")]).unwrap_err();
        assert!(err.contains("mail_from"), "{err}");
        let err = with(&[
            ("LEADWIRE_SMTP_HOST", "smtp.example.com"),
            ("LEADWIRE_SMTP_USERNAME", "me"),
        ])
        .unwrap_err();
        assert!(err.contains("smtp_username"), "{err}");
        let err = with(&[("LEADWIRE_SMTP_TIMEOUT_MS", "5")]).unwrap_err();
        assert!(err.contains("smtp_timeout_ms"), "{err}");
    }

    #[test]
    fn the_relay_gets_thirty_seconds_per_step_unless_told_otherwise() {
        assert_eq!(with(&[]).unwrap().mail.smtp_timeout_ms, 30_000);
        let s = with(&[("LEADWIRE_SMTP_TIMEOUT_MS", "2500")]).unwrap();
        assert_eq!(s.mail.smtp_timeout_ms, 2500);
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let s = with(&[
            ("LEADWIRE_SMTP_HOST", "smtp.example.com"),
            ("LEADWIRE_SMTP_USERNAME", "me"),
            ("LEADWIRE_SMTP_PASSWORD", "hunter2-secret"),
        ])
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2-secret"));
    }
}
