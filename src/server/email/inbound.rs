//! A received email, read from its raw RFC 5322 bytes: who sent it, what it answers, and its new
//! text apart from the quoted history. Pure functions; storing and matching are the store's.
use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};

/// What Leadwire keeps of a received email.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundEmail {
    /// The sender's `Message-ID` (without angle brackets); one derived from the content when
    /// the message has none, so the same message imported twice is still recognised.
    pub message_id: String,
    pub from_address: String,
    pub from_name: Option<String>,
    pub subject: Option<String>,
    /// `In-Reply-To` then `References`, newest first: the messages this one answers.
    pub answers: Vec<String>,
    /// What the sender wrote this time.
    pub new_text: String,
    /// The quoted history below it, if any (shown folded).
    pub quoted: Option<String>,
    /// A delivery status notification that one of our emails failed: not a message from a
    /// lead, but news about that email.
    pub bounce: Option<Bounce>,
}

/// What a bounce (RFC 3464 `multipart/report; report-type=delivery-status`) says.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounce {
    /// The failed email's Message-ID (without angle brackets).
    pub original: String,
    /// The receiving server's words, e.g. "550 5.1.1 <x@y>: Recipient address rejected".
    pub reason: String,
}

/// Why a message cannot be taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Unreadable {
    /// Not a parseable message at all.
    NotAnEmail,
    /// No usable sender address.
    NoSender,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unreadable::NotAnEmail => "The body is not an RFC 5322 email message.",
            Unreadable::NoSender => "The message has no From address.",
        })
    }
}

/// Longest text kept from one email (the rest of a huge body is cut, with a note).
const MAX_TEXT_CHARS: usize = 20_000;

pub fn parse(raw: &[u8]) -> Result<InboundEmail, Unreadable> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(Unreadable::NotAnEmail)?;
    if message.headers().is_empty() {
        return Err(Unreadable::NotAnEmail);
    }
    let from = message
        .from()
        .and_then(|from| from.first())
        .ok_or(Unreadable::NoSender)?;
    let from_address = from
        .address()
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@') && a.len() <= 254)
        .ok_or(Unreadable::NoSender)?;
    let from_name = from
        .name()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let message_id = message
        .message_id()
        .map(|id| id.trim().trim_matches(['<', '>']).to_string())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| derived_message_id(raw));
    let mut answers = ids(message.in_reply_to());
    for id in ids(message.references()).into_iter().rev() {
        if !answers.contains(&id) {
            answers.push(id);
        }
    }
    let subject = message
        .subject()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    // Plain text when there is some; otherwise the HTML part as text (mail-parser strips tags).
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let (new_text, quoted) = split_quoted(&normalise(&text));
    let bounce = bounce_of(&message);
    Ok(InboundEmail {
        message_id,
        from_address,
        from_name,
        subject,
        answers,
        new_text,
        quoted,
        bounce,
    })
}

/// The failure a delivery status notification reports, if `message` is one that says an email
/// failed (`Action: failed`) and names it (the returned message or its headers).
fn bounce_of(message: &mail_parser::Message<'_>) -> Option<Bounce> {
    let report = message.content_type()?;
    if !report.ctype().eq_ignore_ascii_case("multipart")
        || !report
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        || !report
            .attribute("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    {
        return None;
    }
    let mut status = None;
    let mut original = None;
    for part in &message.parts {
        let kind = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()).to_lowercase())
            .unwrap_or_default();
        match (&part.body, kind.as_str()) {
            (PartType::Message(returned), _) => {
                original = original.or_else(|| returned.message_id().map(str::to_string));
            }
            (_, "message/delivery-status") => {
                status = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            (_, "text/rfc822-headers") => {
                let headers = MessageParser::default().parse(part.contents());
                original =
                    original.or_else(|| headers.and_then(|h| h.message_id().map(str::to_string)));
            }
            _ => {}
        }
    }
    let status = status?;
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    if !field("Action").is_some_and(|a| a.eq_ignore_ascii_case("failed")) {
        return None;
    }
    let reason = field("Diagnostic-Code")
        .map(|d| {
            d.split_once(';')
                .map_or(d.clone(), |(_, text)| text.trim().to_string())
        })
        .or_else(|| field("Status").map(|s| format!("status {s}")))
        .unwrap_or_else(|| "The receiving server refused it.".to_string());
    Some(Bounce {
        original: original?.trim().trim_matches(['<', '>']).to_string(),
        reason: reason.chars().take(500).collect(),
    })
}

/// Message ids of an `In-Reply-To` or `References` header, in header order.
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.as_ref()).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .map(|id| id.trim().trim_matches(['<', '>']).to_string())
        .filter(|id| !id.is_empty() && id.len() <= 998)
        .collect()
}

/// A stable id for a message without `Message-ID`: its content's hash.
fn derived_message_id(raw: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(raw);
    format!(
        "{}@no-message-id.leadwire",
        crate::server::crypto::hex(&digest[..16])
    )
}

/// Unix line ends, no trailing spaces, at most [`MAX_TEXT_CHARS`].
fn normalise(text: &str) -> String {
    let mut out: String = text
        .replace("\r\n", "\n")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    if out.chars().count() > MAX_TEXT_CHARS {
        out = out.chars().take(MAX_TEXT_CHARS).collect();
        out.push_str("\n[…] (cut: the message was longer than Leadwire keeps)");
    }
    out
}

/// Splits a reply into what was written now and the quoted history, recognising the markers
/// of common clients: Gmail and Apple Mail ("On … wrote:", possibly wrapped over two lines),
/// Outlook ("-----Original Message-----", a rule of underscores, or a "From:" block followed by
/// "Sent:"/"Date:"), and a trailing block of "> " lines. When everything would be quoted, all
/// of it counts as new (a forward, or a client that quotes oddly).
pub fn split_quoted(text: &str) -> (String, Option<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let start = (0..lines.len()).find(|&i| starts_quote(&lines, i));
    let Some(start) = start else {
        return (text.trim().to_string(), None);
    };
    let new_text = lines[..start].join("\n").trim().to_string();
    let quoted = lines[start..].join("\n").trim().to_string();
    if new_text.is_empty() {
        return (text.trim().to_string(), None);
    }
    (new_text, Some(quoted).filter(|q| !q.is_empty()))
}

fn starts_quote(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
    // Gmail, Apple Mail: "On Tue, Dec 1, 2026 at 2:30 PM Sam <sam@x.com> wrote:", maybe wrapped.
    if line.starts_with("On ")
        && (line.ends_with("wrote:") || (!next.is_empty() && next.ends_with("wrote:")))
    {
        return true;
    }
    // Outlook.
    if line.starts_with("-----Original Message-----")
        || line.starts_with("-------- Original Message --------")
    {
        return true;
    }
    if line.len() >= 20 && line.chars().all(|c| c == '_') {
        return true;
    }
    if line.starts_with("From:") && (next.starts_with("Sent:") || next.starts_with("Date:")) {
        return true;
    }
    // A block of quoted lines that runs to the end (blank lines allowed inside).
    line.starts_with('>')
        && lines[i..]
            .iter()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GMAIL_REPLY: &str = "From: Maya Patel <Maya@Example.com>\r\n\
To: Sam <sam@leadwire.test>\r\n\
Subject: Re: Pricing\r\n\
Message-ID: <CAF=reply-1@mail.gmail.com>\r\n\
In-Reply-To: <lw-1@leadwire.test>\r\n\
References: <lw-0@leadwire.test> <lw-1@leadwire.test>\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\
\r\n\
Yes, Thursday works.\r\n\
\r\n\
On Tue, Dec 1, 2026 at 2:30 PM Sam <sam@leadwire.test>\r\n\
wrote:\r\n\
> Does Thursday work for a call?\r\n";

    #[test]
    fn a_gmail_reply_splits_into_new_text_and_the_quote() {
        let email = parse(GMAIL_REPLY.as_bytes()).unwrap();
        assert_eq!(email.from_address, "maya@example.com");
        assert_eq!(email.from_name.as_deref(), Some("Maya Patel"));
        assert_eq!(email.message_id, "CAF=reply-1@mail.gmail.com");
        assert_eq!(email.subject.as_deref(), Some("Re: Pricing"));
        assert_eq!(email.answers, ["lw-1@leadwire.test", "lw-0@leadwire.test"]);
        assert_eq!(email.new_text, "Yes, Thursday works.");
        assert!(email.quoted.unwrap().contains("Does Thursday work"));
    }

    #[test]
    fn outlook_and_apple_quoting_styles_fold() {
        let outlook = "Sounds good.\n\n-----Original Message-----\nFrom: Sam\nSent: Monday\nHi";
        assert_eq!(split_quoted(outlook).0, "Sounds good.");
        let outlook_new =
            "Sounds good.\n\n________________________________\nFrom: Sam\nSent: Monday";
        assert_eq!(split_quoted(outlook_new).0, "Sounds good.");
        let header_block = "Ok!\n\nFrom: Sam <sam@x.com>\nDate: Monday\nSubject: Hi";
        assert_eq!(split_quoted(header_block).0, "Ok!");
        let apple = "Great\n\nOn 1 Dec 2026, at 14:30, Sam <sam@x.com> wrote:\n\n> Hi";
        assert_eq!(split_quoted(apple).0, "Great");
        // Answers between quotes stay; only the quote that runs to the end folds.
        let inline = "See below\n> quoted\nmy answer in between\n> more";
        assert_eq!(
            split_quoted(inline),
            (
                "See below\n> quoted\nmy answer in between".to_string(),
                Some("> more".to_string())
            )
        );
        let all_quoted = "> only a quote";
        assert_eq!(split_quoted(all_quoted), (all_quoted.to_string(), None));
    }

    #[test]
    fn encodings_and_charsets_are_decoded() {
        let qp = "From: a@example.com\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me\r\n";
        assert_eq!(parse(qp.as_bytes()).unwrap().new_text, "Café crème");
        let b64 = "From: a@example.com\r\nContent-Type: text/plain; charset=UTF-8\r\n\
Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8g8J+Riw==\r\n";
        assert_eq!(parse(b64.as_bytes()).unwrap().new_text, "Hello 👋");
        let html_only =
            "From: a@example.com\r\nContent-Type: text/html\r\n\r\n<p>Hi <b>there</b></p>";
        assert_eq!(parse(html_only.as_bytes()).unwrap().new_text, "Hi there");
    }

    #[test]
    fn a_delivery_status_notification_names_the_failed_email_and_why() {
        let dsn = "From: MAILER-DAEMON@mx.example.com\r\n\
To: sales@leadwire.test\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <dsn-1@mx.example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\
\r\n\
--B\r\n\
Content-Type: text/plain\r\n\
\r\n\
Your message could not be delivered.\r\n\
--B\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.com\r\n\
\r\n\
Final-Recipient: rfc822; nobody@example.com\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>: Recipient address rejected\r\n\
--B\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
From: Sales <sales@leadwire.test>\r\n\
Message-ID: <lw-sent-1@leadwire.test>\r\n\
Subject: Pricing\r\n\
--B--\r\n";
        let email = parse(dsn.as_bytes()).unwrap();
        assert_eq!(
            email.bounce,
            Some(Bounce {
                original: "lw-sent-1@leadwire.test".into(),
                reason: "550 5.1.1 <nobody@example.com>: Recipient address rejected".into(),
            })
        );
        // A delay notice is not a failure.
        let delayed = dsn.replace("Action: failed", "Action: delayed");
        assert_eq!(parse(delayed.as_bytes()).unwrap().bounce, None);
        // Nor is an ordinary reply.
        assert_eq!(parse(GMAIL_REPLY.as_bytes()).unwrap().bounce, None);
    }

    #[test]
    fn a_message_without_message_id_gets_a_stable_one() {
        let raw = b"From: a@example.com\r\n\r\nhello";
        let first = parse(raw).unwrap().message_id;
        assert_eq!(first, parse(raw).unwrap().message_id);
        assert!(first.ends_with("@no-message-id.leadwire"));
    }

    #[test]
    fn garbage_and_senderless_messages_are_refused() {
        assert_eq!(parse(b"").unwrap_err(), Unreadable::NotAnEmail);
        assert_eq!(
            parse(b"Subject: hi\r\n\r\nbody").unwrap_err(),
            Unreadable::NoSender
        );
        assert_eq!(
            parse(b"From: not an address\r\n\r\nbody").unwrap_err(),
            Unreadable::NoSender
        );
    }
}
