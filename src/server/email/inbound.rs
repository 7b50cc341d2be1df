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
    /// Sent by a machine on the lead's behalf (an out-of-office, a vacation responder): shown
    /// in the thread, but not a reply (see [`is_auto_reply`]).
    pub auto_reply: bool,
    /// The HTML part as sent, when there is one (shown in a sandboxed frame, never inline).
    pub html: Option<String>,
    /// Files attached or embedded, as sent (never opened, unpacked or run here).
    pub attachments: Vec<Attachment>,
    /// What was left out, for the thread to say (too many attachments, an oversized HTML part).
    pub omitted: Vec<String>,
}

/// A file that came with an email.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// A plain file name (no folders, no control characters), or one made from the type.
    pub filename: String,
    /// The declared type, lowercased (`application/octet-stream` when there is none).
    pub content_type: String,
    /// The `Content-ID` an HTML part refers to it by (`cid:…`), for embedded images.
    pub content_id: Option<String>,
    pub data: Vec<u8>,
}

/// Attachments kept per email; the rest are named in [`InboundEmail::omitted`].
pub const MAX_ATTACHMENTS: usize = 20;
/// Largest HTML part kept (the text is always kept).
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

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
    let (new_text, quoted) = split_quoted(&normalise(&text_of(&message, raw)));
    let bounce = bounce_of(&message);
    let auto_reply = is_auto_reply(&message);
    let mut omitted = Vec::new();
    // Only a real text/html part: mail-parser offers plain text as HTML too.
    let html = message
        .html_part(0)
        .filter(|part| part.is_text_html())
        .and_then(|part| part.text_contents())
        .and_then(|html| {
            if html.len() > MAX_HTML_BYTES {
                omitted.push(format!(
                    "The HTML version ({} KB) was larger than Leadwire keeps; the text is shown.",
                    html.len() / 1024
                ));
                None
            } else {
                Some(html.to_string())
            }
        });
    let attachments = attachments_of(&message, &mut omitted);
    Ok(InboundEmail {
        message_id,
        from_address,
        from_name,
        subject,
        answers,
        new_text,
        quoted,
        bounce,
        auto_reply,
        html,
        attachments,
        omitted,
    })
}

/// The files of `message`, at most [`MAX_ATTACHMENTS`] (the rest named in `omitted`).
fn attachments_of(
    message: &mail_parser::Message<'_>,
    omitted: &mut Vec<String>,
) -> Vec<Attachment> {
    let mut kept = Vec::new();
    // Part 0 of a multipart message as an attachment is its unsplittable body (see `text_of`).
    let broken_multipart = is_multipart(message);
    let parts = message
        .attachments
        .iter()
        .filter(|&&i| !(i == 0 && broken_multipart))
        .filter_map(|&i| message.parts.get(i as usize));
    for (n, part) in parts.enumerate() {
        let content_type = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(sub) => format!("{}/{}", c.ctype(), sub),
                None => c.ctype().to_string(),
            })
            .map(|t| t.to_ascii_lowercase())
            .filter(|t| t.len() <= 100 && t.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or_else(|| "application/octet-stream".to_string());
        let filename = safe_filename(part.attachment_name(), &content_type, n + 1);
        if kept.len() == MAX_ATTACHMENTS {
            omitted.push(format!(
                "{filename}: not kept (more than {MAX_ATTACHMENTS} attachments)"
            ));
            continue;
        }
        kept.push(Attachment {
            filename,
            content_type,
            content_id: part
                .content_id()
                .map(|id| id.trim().trim_matches(['<', '>']).to_string())
                .filter(|id| !id.is_empty() && id.len() <= 250),
            data: part.contents().to_vec(),
        });
    }
    kept
}

/// A name to save a file under: the sender's without folders, control or quote characters,
/// at most 150 characters; `attachment-N.ext` when there is none.
fn safe_filename(given: Option<&str>, content_type: &str, n: usize) -> String {
    let base = given
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|'))
        .take(150)
        .collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if !clean.is_empty() {
        return clean;
    }
    let ext = match content_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "application/pdf" => "pdf",
        "message/rfc822" => "eml",
        "text/plain" => "txt",
        "text/calendar" => "ics",
        _ => "bin",
    };
    format!("attachment-{n}.{ext}")
}

/// An automatic answer rather than a person's: RFC 3834's `Auto-Submitted` (anything but
/// `no`), the `X-Autoreply`/`X-Autorespond` headers of common responders, `Precedence:
/// auto_reply`, or the subject prefixes Outlook, Exchange and Gmail's vacation responder put
/// on theirs.
fn is_auto_reply(message: &mail_parser::Message<'_>) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header("Auto-Submitted").is_some_and(|v| !v.is_empty() && !v.starts_with("no")) {
        return true;
    }
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return true;
    }
    if header("Precedence").is_some_and(|v| v == "auto_reply") {
        return true;
    }
    let subject = message.subject().unwrap_or_default().trim().to_lowercase();
    [
        "automatic reply:",
        "auto reply:",
        "autoreply:",
        "out of office:",
        "out of office reply",
        "abwesenheitsnotiz:",
        "réponse automatique",
    ]
    .iter()
    .any(|prefix| subject.starts_with(prefix))
}

/// What the sender wrote, as text: every plain-text part in order (Apple Mail puts the text
/// around an inline picture in several); without any, the HTML part as text with its blocks on
/// lines of their own (so a quoted header block is still recognised); a multipart body whose
/// boundary never appears, its raw text rather than nothing.
fn text_of(message: &mail_parser::Message<'_>, raw: &[u8]) -> String {
    let texts: Vec<&str> = message
        .text_body
        .iter()
        .filter_map(|&i| message.parts.get(i as usize))
        .filter(|part| !part.is_text_html())
        .filter_map(|part| part.text_contents())
        .collect();
    if texts.iter().any(|t| !t.trim().is_empty()) {
        return texts.join("\n\n");
    }
    if let Some(html) = message
        .html_part(0)
        .filter(|part| part.is_text_html())
        .and_then(|part| part.text_contents())
    {
        let text = mail_parser::decoders::html::html_to_text(&blocks_on_lines(html));
        if !text.trim().is_empty() {
            return text;
        }
    }
    // A multipart body whose boundary never appears is one part, which mail-parser lists as
    // an attachment: its text is what the sender wrote.
    if is_multipart(message) && message.attachments.iter().all(|&i| i == 0) {
        let body = raw
            .get(message.root_part().raw_body_offset() as usize..)
            .unwrap_or_default();
        return String::from_utf8_lossy(body).into_owned();
    }
    texts.join("\n\n")
}

fn is_multipart(message: &mail_parser::Message<'_>) -> bool {
    message
        .content_type()
        .is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart"))
}

/// `html` with a line break before every block element, which the tag stripper would
/// otherwise run together with the text before it.
fn blocks_on_lines(html: &str) -> String {
    const BLOCKS: [&str; 13] = [
        "div",
        "p",
        "hr",
        "tr",
        "li",
        "table",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    ];
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let name: String = rest[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if BLOCKS.contains(&name.as_str()) {
            out.push_str("<br>");
        }
        out.push('<');
        rest = &rest[1..];
        // `<b>From:</b> Sam`: the stripper drops a space that follows a closing tag.
        if name.is_empty() && rest.starts_with('/') {
            if let Some(end) = rest.find('>') {
                out.push_str(&rest[..=end]);
                rest = &rest[end + 1..];
                if rest.starts_with([' ', '\t']) {
                    out.push_str("&#32;");
                    rest = &rest[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
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
    fn out_of_office_answers_are_told_from_people() {
        let mail = |headers: &str| {
            let raw = format!(
                "From: Maya <maya@example.com>\r\n{headers}Message-ID: <a@x>\r\n\r\nAway until Monday."
            );
            parse(raw.as_bytes()).unwrap().auto_reply
        };
        assert!(mail(
            "Subject: Re: Pricing\r\nAuto-Submitted: auto-replied\r\n"
        ));
        assert!(mail(
            "Subject: Re: Pricing\r\nAuto-Submitted: auto-generated\r\n"
        ));
        assert!(mail("Subject: Re: Pricing\r\nX-Autoreply: yes\r\n"));
        assert!(mail("Subject: Re: Pricing\r\nPrecedence: auto_reply\r\n"));
        assert!(mail("Subject: Automatic reply: Pricing\r\n"));
        assert!(mail("Subject: Out of Office: Pricing\r\n"));
        // A person's answer, including one that says no to auto-submission explicitly.
        assert!(!mail("Subject: Re: Pricing\r\n"));
        assert!(!mail("Subject: Re: Pricing\r\nAuto-Submitted: no\r\n"));
        assert!(!mail(
            "Subject: Re: Out of office plans\r\nPrecedence: bulk\r\n"
        ));
    }

    /// A multipart/mixed email: text and HTML alternatives (the HTML embeds `cid:logo`), then
    /// `files` as (name, type, base64 body, content id).
    pub(crate) fn with_files(files: &[(&str, &str, &str, Option<&str>)]) -> String {
        let mut raw = String::from(
            "From: Maya <maya@example.com>\r\nMessage-ID: <files@x>\r\nSubject: Files\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"MIX\"\r\n\r\n\
             --MIX\r\nContent-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n\
             --ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n\
             --ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
             <p>See <b>attached</b>.</p><img src=\"cid:logo\"><script>alert(1)</script>\r\n\
             --ALT--\r\n",
        );
        for (name, kind, body, cid) in files {
            raw.push_str(&format!(
                "--MIX\r\nContent-Type: {kind}\r\nContent-Transfer-Encoding: base64\r\n"
            ));
            match cid {
                Some(cid) => raw.push_str(&format!(
                    "Content-ID: <{cid}>\r\nContent-Disposition: inline; filename=\"{name}\"\r\n\r\n"
                )),
                None => raw.push_str(&format!(
                    "Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n"
                )),
            }
            raw.push_str(body);
            raw.push_str("\r\n");
        }
        raw.push_str("--MIX--\r\n");
        raw
    }

    #[test]
    fn attachments_and_the_html_part_are_kept_as_sent() {
        let raw = with_files(&[
            ("logo.png", "image/png", "iVBORw0KGgo=", Some("logo")),
            (
                "../../etc/Quote.pdf",
                "application/pdf",
                "JVBERi0xLjQ=",
                None,
            ),
            ("", "application/zip", "UEsDBA==", None),
        ]);
        let email = parse(raw.as_bytes()).unwrap();
        assert_eq!(email.new_text, "See attached.");
        let html = email.html.unwrap();
        assert!(
            html.contains("<b>attached</b>") && html.contains("cid:logo"),
            "{html}"
        );
        let files: Vec<_> = email
            .attachments
            .iter()
            .map(|a| {
                (
                    a.filename.as_str(),
                    a.content_type.as_str(),
                    a.content_id.as_deref(),
                    a.data.len(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                ("logo.png", "image/png", Some("logo"), 8),
                ("Quote.pdf", "application/pdf", None, 8),
                ("attachment-3.bin", "application/zip", None, 4),
            ]
        );
        assert_eq!(email.attachments[1].data, b"%PDF-1.4");
        assert!(email.omitted.is_empty());
        // A plain-text email has no HTML part (mail-parser would offer the text as HTML).
        assert_eq!(parse(GMAIL_REPLY.as_bytes()).unwrap().html, None);
    }

    #[test]
    fn past_the_attachment_limit_files_are_named_not_kept() {
        let names: Vec<String> = (0..MAX_ATTACHMENTS + 3)
            .map(|i| format!("f{i}.txt"))
            .collect();
        let files: Vec<_> = names
            .iter()
            .map(|n| (n.as_str(), "text/plain", "aGk=", None))
            .collect();
        let email = parse(with_files(&files).as_bytes()).unwrap();
        assert_eq!(email.attachments.len(), MAX_ATTACHMENTS);
        assert_eq!(email.omitted.len(), 3);
        assert!(
            email.omitted[0].starts_with("f20.txt: not kept"),
            "{:?}",
            email.omitted
        );
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
