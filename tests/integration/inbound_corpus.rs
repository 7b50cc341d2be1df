//! MIME corpus for the inbound email parser (`leadwire::server::email::inbound::parse`): real
//! shaped messages from `tests/fixtures/mime/*.eml` (CRLF, as mail arrives).
//!
//! - Bodies: plain, HTML only, multipart with attachments (PDF, zip, inline image),
//!   quoted-printable and base64, charsets ISO-8859-1, windows-1252, ISO-2022-JP, Shift_JIS
//!   and KOI8-R (body and encoded-word headers).
//! - Replies as Gmail, Outlook desktop, Outlook on the web / Outlook.com and Apple Mail (macOS
//!   and iPhone) write them: the lead's new text alone, the quoted history folded apart.
//! - Bad input: wrong or missing boundaries, garbage headers, invalid base64 and
//!   quoted-printable, an unknown charset, no Message-ID, a huge body, an empty body, and every
//!   fixture truncated and corrupted: always `Ok` or `Err`, never a panic, text bounded.
use leadwire::server::email::inbound::{parse, InboundEmail};

/// The parser keeps 20,000 characters plus a short note about the cut.
const MAX_TEXT_CHARS: usize = 20_100;

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../fixtures/mime/", $name, ".eml")).as_slice(),
        )
    };
}

/// Every fixture, for the no-panic sweep.
const ALL: &[(&str, &[u8])] = &[
    fixture!("plain_text"),
    fixture!("html_only"),
    fixture!("html_only_reply_owa"),
    fixture!("multipart_attachment_pdf"),
    fixture!("quoted_printable_utf8"),
    fixture!("base64_utf8"),
    fixture!("iso_8859_1"),
    fixture!("windows_1252_outlook_plain"),
    fixture!("iso_2022_jp"),
    fixture!("shift_jis"),
    fixture!("koi8_r"),
    fixture!("gmail_reply"),
    fixture!("outlook_desktop_reply"),
    fixture!("owa_reply"),
    fixture!("apple_mail_reply"),
    fixture!("apple_mail_ios_reply"),
    fixture!("apple_mail_inline_image"),
    fixture!("zip_attachment"),
    fixture!("malformed_wrong_boundary"),
    fixture!("malformed_missing_closing_boundary"),
    fixture!("malformed_garbage_headers"),
    fixture!("invalid_base64"),
    fixture!("invalid_quoted_printable"),
    fixture!("unknown_charset"),
    fixture!("no_message_id"),
    fixture!("very_large_body"),
    fixture!("empty_body"),
];

/// The raw bytes of one fixture.
fn raw(name: &str) -> &'static [u8] {
    ALL.iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1
}

/// Parses a fixture that must be accepted, with the checks every such message passes.
fn read(name: &str) -> InboundEmail {
    let email =
        parse(raw(name)).unwrap_or_else(|e| panic!("{name}: refused as {e:?}, expected Ok"));
    assert_clean(name, &email);
    email
}

/// What is wrong with anything `parse` accepted, however bad the input: the text must be
/// bounded, and there must be a sender and an id.
fn unsound(email: &InboundEmail) -> Option<String> {
    let chars = email.new_text.chars().count();
    let quoted = email.quoted.as_deref().map_or(0, |q| q.chars().count());
    if chars > MAX_TEXT_CHARS {
        Some(format!("new_text has {chars} chars"))
    } else if quoted > MAX_TEXT_CHARS {
        Some(format!("quoted has {quoted} chars"))
    } else if !email.from_address.contains('@') {
        Some(format!("from_address {:?}", email.from_address))
    } else if email.message_id.is_empty() {
        Some("empty message_id".to_string())
    } else {
        None
    }
}

fn assert_sound(name: &str, email: &InboundEmail) {
    if let Some(problem) = unsound(email) {
        panic!("{name}: {problem}");
    }
}

/// Holds for every well-formed fixture on top of [`assert_sound`].
fn assert_clean(name: &str, email: &InboundEmail) {
    assert_sound(name, email);
    assert_eq!(email.bounce, None, "{name}: not a bounce");
    assert!(
        !email.new_text.contains('\r'),
        "{name}: CR left in new_text"
    );
    assert_eq!(
        email.from_address,
        email.from_address.to_lowercase(),
        "{name}: from_address is lowercased"
    );
    assert!(
        !email.message_id.contains(['<', '>']) && !email.message_id.contains(char::is_whitespace),
        "{name}: message_id {:?}",
        email.message_id
    );
}

/// A reply: exactly `new_text` was written now, and the quote starts with `marker`.
fn assert_reply(name: &str, email: &InboundEmail, new_text: &str, marker: &str, quoted: &str) {
    assert_eq!(email.new_text, new_text, "{name}: new_text");
    let history = email
        .quoted
        .as_deref()
        .unwrap_or_else(|| panic!("{name}: no quoted history"));
    assert!(
        history.starts_with(marker),
        "{name}: quoted should start with {marker:?}, got {history:?}"
    );
    assert!(
        history.contains(quoted),
        "{name}: quoted lacks {quoted:?}: {history:?}"
    );
}

/// The non-blank lines of a text, trimmed (for HTML, where blank lines are the converter's).
fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

// ---- Bodies, encodings and charsets --------------------------------------------------------

#[test]
fn plain_text_inquiry() {
    let email = read("plain_text");
    assert_eq!(email.from_address, "nora.lindqvist@fjord-analytics.example");
    assert_eq!(email.from_name.as_deref(), Some("Nora Lindqvist"));
    assert_eq!(email.subject.as_deref(), Some("Question about team plans"));
    assert_eq!(
        email.message_id,
        "20261130160241.GA1187@fjord-analytics.example"
    );
    assert!(email.answers.is_empty());
    assert_eq!(
        email.new_text,
        "Hi Sam,\n\nWe're a team of 14 in Malmö looking at Leadwire. Is there a discount\n\
         for annual billing, and can we import our leads from a CSV file?\n\nThanks,\nNora"
    );
    assert_eq!(email.quoted, None);
}

#[test]
fn html_only_message_reads_as_text() {
    let email = read("html_only");
    assert_eq!(email.from_name.as_deref(), Some("Camille Martin"));
    assert_eq!(email.subject.as_deref(), Some("Demo request"));
    assert_eq!(
        lines(&email.new_text),
        [
            "Hi Sam,",
            "We run three studios in Lyon & Paris and would like a demo of Leadwire for twelve \
             seats. Our café team would join too.",
            "Best regards,",
            "Camille Martin",
            "Studio Martin",
        ]
    );
    assert_eq!(email.quoted, None);
}

#[test]
fn html_only_owa_reply_folds_the_quote() {
    let email = read("html_only_reply_owa");
    assert_eq!(email.answers, ["lw-0100@leadwire.test"]);
    assert_eq!(
        lines(&email.new_text),
        ["Yes please, send the contract over.", "Priya"]
    );
    let quoted = email.quoted.expect("the quoted history is folded");
    assert!(
        quoted.starts_with("From: Sam Rivera <sam@leadwire.test>"),
        "{quoted:?}"
    );
    assert!(quoted.contains("Shall I send the contract for the Pro plan?"));
}

#[test]
fn multipart_with_pdf_attachment_reads_the_text_part() {
    let email = read("multipart_attachment_pdf");
    assert_eq!(email.from_name.as_deref(), Some("Daniel Okafor"));
    assert_eq!(
        email.new_text,
        "Hi Sam,\n\nAttached are our requirements for the pilot. The main points are SSO and\n\
         an export of all activity every night.\n\nDaniel"
    );
    assert_eq!(email.quoted, None);
}

#[test]
fn zip_attachment_is_left_out_of_the_text() {
    let email = read("zip_attachment");
    assert_eq!(email.subject.as_deref(), Some("Floor plans"));
    assert_eq!(
        email.new_text,
        "Hi Sam,\n\nThe floor plans for both offices are in the attached zip.\n\nTom"
    );
    assert_eq!(email.quoted, None);
}

#[test]
fn apple_mail_text_around_an_inline_image_is_kept() {
    let email = read("apple_mail_inline_image");
    for line in [
        "Here is the floor plan of the new office:",
        "We need seats for the 12 desks on the left side.",
        "Olivia",
    ] {
        assert!(
            email.new_text.contains(line),
            "{line:?} in {:?}",
            email.new_text
        );
    }
    assert!(
        !email.new_text.contains("iVBOR"),
        "no image bytes in the text"
    );
}

#[test]
fn quoted_printable_utf8_with_soft_breaks_inside_characters() {
    let email = read("quoted_printable_utf8");
    assert_eq!(email.from_name.as_deref(), Some("Anna Schröder"));
    assert_eq!(
        email.subject.as_deref(),
        Some("Terminvorschlag für die Produktdemo")
    );
    assert_eq!(
        email.new_text,
        "Sehr geehrter Herr Rivera,\n\nwir würden gerne einen Termin für eine Produktdemo \
         vereinbaren. Passt Ihnen Donnerstag, der 3. Dezember, um 10:00 Uhr? Unser \
         Geschäftsführer Herr Weiß wäre ebenfalls dabei.\n\nMit freundlichen Grüßen\nAnna Schröder"
    );
}

#[test]
fn base64_utf8_body() {
    let email = read("base64_utf8");
    assert_eq!(email.from_name.as_deref(), Some("Lucía Fernández"));
    assert_eq!(email.subject.as_deref(), Some("Re: Reunión"));
    assert_eq!(email.answers, ["lw-0200@leadwire.test"]);
    assert_eq!(
        email.new_text,
        "Hola Sam,\n\n¡Gracias! El jueves a las 10:00 nos viene bien. ¿Nos envías la \
         invitación?\n\nUn saludo,\nLucía"
    );
}

#[test]
fn iso_8859_1_body_and_headers() {
    let email = read("iso_8859_1");
    assert_eq!(email.from_name.as_deref(), Some("Jürgen Müller"));
    assert_eq!(email.subject.as_deref(), Some("Angebot für München"));
    assert_eq!(
        email.new_text,
        "Hallo Herr Rivera,\n\nvielen Dank für das Angebot. Können wir nächste Woche über die \
         Preise sprechen?\n\nViele Grüße\nJürgen Müller"
    );
}

#[test]
fn windows_1252_outlook_plain_text_reply() {
    let name = "windows_1252_outlook_plain";
    let email = read(name);
    assert_eq!(email.from_address, "elodie.durand@example.fr");
    assert_eq!(email.from_name.as_deref(), Some("Élodie Durand"));
    assert_eq!(
        email.subject.as_deref(),
        Some("RE: Pricing for the Pro plan")
    );
    assert_eq!(email.answers, ["lw-0300@leadwire.test"]);
    assert_reply(
        name,
        &email,
        "Bonjour Sam,\n\nMerci pour votre réponse. Le tarif de 1 200 € par an nous convient – \
         pouvez-vous m’envoyer le contrat ?\n\nCordialement,\nÉlodie Durand",
        "-----Original Message-----\nFrom: Sam Rivera <sam@leadwire.test>\nSent:",
        "The Pro plan is €1,200 per year.",
    );
}

#[test]
fn iso_2022_jp_body_and_headers() {
    let email = read("iso_2022_jp");
    assert_eq!(email.from_name.as_deref(), Some("山田 太郎"));
    assert_eq!(email.subject.as_deref(), Some("お見積もりのお願い"));
    assert_eq!(
        email.new_text,
        "リベラ様\n\nこんにちは。山田です。\nProプランの見積もりをお願いできますか。\n\n\
         よろしくお願いいたします。\n山田 太郎"
    );
}

#[test]
fn shift_jis_base64_body_and_headers() {
    let email = read("shift_jis");
    assert_eq!(email.from_name.as_deref(), Some("佐藤 花子"));
    assert_eq!(email.subject.as_deref(), Some("打ち合わせの件"));
    assert_eq!(
        email.new_text,
        "こんにちは、リベラ様。\n来週の打ち合わせの件、木曜日の午後でお願いします。\n\n佐藤 花子"
    );
}

#[test]
fn koi8_r_body_and_headers() {
    let email = read("koi8_r");
    assert_eq!(email.from_name.as_deref(), Some("Иван Петров"));
    assert_eq!(email.subject.as_deref(), Some("Вопрос о цене"));
    assert_eq!(
        email.new_text,
        "Привет, Сэм!\n\nНас интересует тариф Pro на 10 пользователей. Какая будет цена за \
         год?\n\nС уважением,\nИван Петров"
    );
}

// ---- Replies from common clients ------------------------------------------------------------

#[test]
fn gmail_reply_uses_the_text_part_and_folds_the_wrapped_attribution() {
    let name = "gmail_reply";
    let email = read(name);
    assert_eq!(email.from_address, "maya.patel@gmail.com");
    assert_eq!(email.from_name.as_deref(), Some("Maya Patel"));
    assert_eq!(
        email.subject.as_deref(),
        Some("Re: Pricing for the Pro plan")
    );
    assert_eq!(
        email.message_id,
        "CAKx8nQ3vN0pQ+7Jd=Zb1sW5o2a4YgT6hR9uE@mail.gmail.com"
    );
    assert_eq!(
        email.answers,
        ["lw-0002@leadwire.test", "lw-0001@leadwire.test"]
    );
    assert_reply(
        name,
        &email,
        "Hi Sam,\n\nThursday at 10 works for us. Could you send the invite to my colleague\n\
         Daniel as well?\n\nThanks,\nMaya",
        "On Tue, Dec 1, 2026 at 2:30\u{202f}PM Sam Rivera <sam@leadwire.test>\nwrote:",
        "> Does Thursday work for a call?",
    );
}

#[test]
fn outlook_desktop_reply_folds_the_from_sent_block() {
    let name = "outlook_desktop_reply";
    let email = read(name);
    assert_eq!(email.from_name.as_deref(), Some("Tom Baker"));
    assert_eq!(
        email.subject.as_deref(),
        Some("RE: Pricing for the Pro plan")
    );
    assert_eq!(
        email.answers,
        [
            "lw-0003@leadwire.test",
            "CAKx8nQ3vN0pQ+7Jd=Zb1sW5o2a4YgT6hR9uE@mail.gmail.com",
            "lw-0001@leadwire.test",
        ]
    );
    assert_reply(
        name,
        &email,
        "Hi Sam,\n\nThat works for us. We’d need 25 seats to start, rising to 40 in Q2.\n\n\
         Kind regards,\nTom\n\nTom Baker | Head of Operations | Contoso Ltd\n+44 20 7946 0000",
        "From: Sam Rivera <sam@leadwire.test>\nSent: Tuesday, December 1, 2026 2:30 PM",
        "The Pro plan is £49 per seat per month.",
    );
}

#[test]
fn outlook_on_the_web_reply_folds_at_the_rule() {
    let name = "owa_reply";
    let email = read(name);
    assert_eq!(email.from_address, "priya.shah@outlook.com");
    assert_eq!(email.subject.as_deref(), Some("Re: Contract"));
    assert_eq!(email.answers, ["lw-0100@leadwire.test"]);
    assert_reply(
        name,
        &email,
        "Hi Sam,\n\nYes please, send the contract over. Our legal contact is Ravi Menon.\n\n\
         Priya\n\nGet Outlook for iOS<https://aka.ms/o0ukef>",
        "________________________________\nFrom: Sam Rivera <sam@leadwire.test>\nSent:",
        "Shall I send the contract for the Pro plan?",
    );
}

#[test]
fn apple_mail_reply_with_quoted_attribution() {
    let name = "apple_mail_reply";
    let email = read(name);
    assert_eq!(
        email.message_id,
        "8F3A2C1B-4D5E-4F60-9A7B-1C2D3E4F5A6B@brown-design.example"
    );
    assert_eq!(email.answers, ["lw-0400@leadwire.test"]);
    assert_reply(
        name,
        &email,
        "Perfect, Thursday it is. I’ll bring our designer along.\n\nOlivia",
        "> On 1 Dec 2026, at 14:30, Sam Rivera <sam@leadwire.test> wrote:",
        "> Does Thursday work for a call?",
    );
}

#[test]
fn iphone_mail_reply_with_plain_attribution() {
    let name = "apple_mail_ios_reply";
    let email = read(name);
    assert_eq!(email.from_name.as_deref(), Some("Jordan Lee"));
    assert_eq!(email.subject.as_deref(), Some("Re: Proposal"));
    assert_reply(
        name,
        &email,
        "Sounds great, thanks! We’ll sign this week.\n\nSent from my iPhone",
        "On Dec 1, 2026, at 2:30 PM, Sam Rivera <sam@leadwire.test> wrote:",
        "> Here is the proposal we discussed.",
    );
}

// ---- Bad input: a clear outcome, never a panic ----------------------------------------------

#[test]
fn a_boundary_that_never_appears_keeps_the_text() {
    let email = read("malformed_wrong_boundary");
    assert_eq!(email.from_address, "ken@adams-plumbing.example");
    assert!(
        email
            .new_text
            .contains("Please call me tomorrow at 9, my number is +44 20 7946 0123."),
        "{:?}",
        email.new_text
    );
}

#[test]
fn a_missing_closing_boundary_still_reads_the_text_part() {
    let email = read("malformed_missing_closing_boundary");
    assert_eq!(email.answers, ["lw-0600@leadwire.test"]);
    assert_eq!(email.new_text, "The quote looks fine. Go ahead.");
}

#[test]
fn garbage_headers_do_not_hide_the_sender_or_the_text() {
    let email = read("malformed_garbage_headers");
    assert_eq!(email.from_address, "nadia@haddad.example");
    assert_eq!(email.from_name.as_deref(), Some("Nadia Haddad"));
    assert_eq!(email.message_id, "garbage-1@haddad.example");
    assert!(
        email
            .new_text
            .contains("Hi Sam, following up on my last email about the Pro plan."),
        "{:?}",
        email.new_text
    );
}

#[test]
fn broken_transfer_encodings_and_charsets_are_accepted() {
    let email = read("invalid_base64");
    assert_eq!(email.subject.as_deref(), Some("Broken base64"));

    let email = read("invalid_quoted_printable");
    assert_eq!(email.subject.as_deref(), Some("Broken QP"));
    assert!(email.new_text.contains("Price is"), "{:?}", email.new_text);
    assert!(email.new_text.contains("broken"), "{:?}", email.new_text);

    let email = read("unknown_charset");
    assert!(email.subject.is_some());
    assert!(
        email
            .new_text
            .starts_with("Hello Sam, the meeting is confirmed."),
        "{:?}",
        email.new_text
    );
}

#[test]
fn a_message_without_message_id_gets_a_stable_derived_one() {
    let original = raw("no_message_id");
    let first = read("no_message_id");
    assert_eq!(
        first.new_text,
        "My mail server forgot the Message-ID. Still interested though."
    );
    assert_eq!(parse(original).unwrap().message_id, first.message_id);

    let mut other = original.to_vec();
    let at = other.len() - 3;
    other[at] = b'?';
    let second = parse(&other).unwrap();
    assert_sound("no_message_id (edited)", &second);
    assert_ne!(second.message_id, first.message_id);
}

#[test]
fn a_very_large_body_is_cut_with_a_note() {
    let email = read("very_large_body");
    let chars = email.new_text.chars().count();
    assert!((20_000..=MAX_TEXT_CHARS).contains(&chars), "{chars} chars");
    assert!(email
        .new_text
        .starts_with("Line 00000: we would like to list every desk"));
    assert!(email.new_text.contains("Line 00100:"));
    assert!(!email.new_text.contains("Line 00799:"), "the end is cut");
    let note = email.new_text.lines().last().unwrap();
    assert!(note.contains("cut"), "the last line says so: {note:?}");
    assert_eq!(email.quoted, None);
}

#[test]
fn an_empty_body_is_an_empty_message() {
    let email = read("empty_body");
    assert_eq!(email.subject.as_deref(), Some("(no subject)"));
    assert_eq!(email.new_text, "");
    assert_eq!(email.quoted, None);
}

#[test]
fn binary_garbage_is_refused() {
    // A fixed pseudo-random byte stream (no header block, no From).
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    assert!(parse(&garbage).is_err());
    assert!(parse(b"\r\n\r\n").is_err());
}

/// Every fixture cut at many points and with bytes overwritten by MIME-significant junk:
/// `parse` answers `Ok` (sound) or `Err`, and never panics.
#[test]
fn truncated_and_corrupted_fixtures_never_panic() {
    let junk: &[u8] = b"\x00\xff=-\n\r:<>;\"\\\x1b";
    let mut failures = Vec::new();
    for &(name, raw) in ALL {
        let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
        let step = (raw.len() / 40).max(1);
        for cut in (0..raw.len()).step_by(step) {
            inputs.push((format!("cut at {cut}"), raw[..cut].to_vec()));
        }
        for (i, at) in (0..raw.len()).step_by(step).enumerate() {
            let mut bytes = raw.to_vec();
            for (k, b) in bytes[at..].iter_mut().take(3).enumerate() {
                *b = junk[(i + k) % junk.len()];
            }
            inputs.push((format!("junk at {at}"), bytes));
        }
        for (how, bytes) in inputs {
            match std::panic::catch_unwind(|| parse(&bytes)) {
                Err(_) => failures.push(format!("{name}, {how}: panicked")),
                Ok(Ok(email)) => {
                    if let Some(problem) = unsound(&email) {
                        failures.push(format!("{name}, {how}: {problem}"));
                    }
                }
                Ok(Err(_)) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
