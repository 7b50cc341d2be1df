//! The built-in outbox: email that went nowhere because no SMTP relay is configured, kept so
//! it can be read as the recipient would see it (and tracking tried out locally).
use super::ids::{LeadId, MessageId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What `/outbox` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxOverview {
    /// The SMTP relay's host when one is configured (then mail leaves and the outbox stays empty).
    pub relay: Option<String>,
    pub entries: Vec<OutboxEntry>,
    /// SMS, WhatsApp and Instagram messages the sandbox took instead of a provider.
    #[serde(default)]
    pub sandbox: Vec<SandboxEntry>,
    /// Mail to people rather than leads (teammates' invites), newest first.
    #[serde(default)]
    pub team_mail: Vec<TeamMail>,
}

/// An email to a person rather than a lead (a teammate's invite), as its recipient reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamMail {
    pub to: String,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    /// The text, decoded.
    pub text: String,
}

/// A message the sandbox holds: what the lead's phone would show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxEntry {
    pub message: super::message::Message,
    pub lead_name: String,
    /// The address it would have gone to (`+15550100200`, `whatsapp:+…`, a handle).
    pub to: String,
}

/// A row of `/outbox`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub message_id: MessageId,
    pub lead_id: LeadId,
    pub lead_name: String,
    pub to: String,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
}

/// One outbox email: its headers as sent; the HTML part is served at `/outbox/{id}/html`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub message_id: MessageId,
    pub lead_id: LeadId,
    pub lead_name: String,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    /// From, To, Date, Message-ID, In-Reply-To, References, as on the wire.
    pub headers: Vec<(String, String)>,
    /// The whole message source.
    pub raw: String,
}

/// The headers worth showing, unfolded, from a message's source.
pub fn display_headers(raw: &str) -> Vec<(String, String)> {
    const SHOWN: &[&str] = &[
        "From",
        "To",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
    ];
    let head = raw.split("\r\n\r\n").next().unwrap_or("");
    let mut unfolded: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        match unfolded.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => unfolded.push(line.to_string()),
        }
    }
    unfolded
        .into_iter()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let shown = SHOWN.iter().find(|s| s.eq_ignore_ascii_case(name.trim()))?;
            Some((shown.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// The text of a single-part message's source: its body, with quoted-printable undone.
pub fn text_body(raw: &str) -> String {
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return raw.to_string();
    };
    let quoted = head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable");
    if !quoted {
        return body.replace("\r\n", "\n");
    }
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::{display_headers, text_body};

    #[test]
    fn quoted_printable_text_is_decoded() {
        let raw = "Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                   Jos=C3=A9 invited you: https://crm.example.com/invite/a=\r\nbc\r\nBye";
        assert_eq!(
            text_body(raw),
            "José invited you: https://crm.example.com/invite/abc\nBye"
        );
        let plain = "Subject: x\r\nContent-Transfer-Encoding: 7bit\r\n\r\nA=B\r\nC";
        assert_eq!(text_body(plain), "A=B\nC");
    }

    #[test]
    fn headers_are_unfolded_and_filtered() {
        let raw =
            "From: A <a@x.io>\r\nReferences: <1@x.io>\r\n <2@x.io>\r\nX-Other: y\r\n\r\nBody: no";
        assert_eq!(
            display_headers(raw),
            vec![
                ("From".to_string(), "A <a@x.io>".to_string()),
                ("References".to_string(), "<1@x.io> <2@x.io>".to_string()),
            ]
        );
    }
}
