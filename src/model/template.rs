//! WhatsApp message templates and the 24-hour customer-service window. WhatsApp delivers free
//! text only within 24 hours of the lead's last message on it; outside that window only a
//! template the provider approved (name, language, body with `{{1}}`… parameters) may be sent.
//! Instagram has the same window and no templates: outside it, nothing can be sent.
use super::channel::Channel;
use super::error::AppError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long after a lead's last message free text may be sent to them.
pub const WINDOW_HOURS: i64 = 24;
pub const MAX_TEMPLATE_BODY_CHARS: usize = 1_024;
pub const MAX_PARAM_CHARS: usize = 1_024;
pub const MAX_PARAMS: usize = 20;

/// Whether `channel` only carries free text within the window.
pub fn has_window(channel: Channel) -> bool {
    matches!(channel, Channel::Whatsapp | Channel::Instagram)
}

/// Whether `channel` can send an approved template outside the window.
pub fn has_templates(channel: Channel) -> bool {
    channel == Channel::Whatsapp
}

/// Until when free text may go to a lead whose last message on the channel was at `last`.
pub fn window_until(last: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    last.map(|at| at + Duration::hours(WINDOW_HOURS))
}

/// A template as the workspace declared it (as approved in WhatsApp Manager).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub id: super::ids::TemplateId,
    /// `order_update`: lowercase letters, digits and underscores, as Meta names templates.
    pub name: String,
    /// `en`, `en_US`, `pt_BR` …
    pub language: String,
    /// The text with `{{1}}`, `{{2}}` … where the parameters go.
    pub body: String,
    /// Its Content SID in Twilio (`HX` and 32 hex digits): how a Twilio connection sends it.
    #[serde(default)]
    pub twilio_content_sid: Option<String>,
}

impl Template {
    /// How many parameters the body takes.
    pub fn params(&self) -> usize {
        placeholders(&self.body).unwrap_or(0)
    }
}

/// What importing the workspace's templates from Meta came to: the templates saved, and the
/// ones left out with why (`order_update (en_US): waiting for approval`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateImport {
    pub imported: Vec<String>,
    pub skipped: Vec<String>,
}

/// A template chosen for a send, with its parameters in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUse {
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub params: Vec<String>,
    /// Filled from the stored template when a send is checked (Twilio sends by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_content_sid: Option<String>,
}

/// A Twilio Content SID as typed in Settings: empty is none; otherwise `HX` and 32 hex digits.
pub fn parse_content_sid(field: &str, raw: &str) -> Result<Option<String>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let ok =
        raw.len() == 34 && raw.starts_with("HX") && raw[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(Some(raw.to_string()))
    } else {
        Err(AppError::validation(
            field,
            "A Twilio Content SID is HX followed by 32 letters and digits, as Twilio's Content Template Builder shows it.",
        ))
    }
}

/// The highest `{{n}}` in `body`, when they run 1, 2, … without a gap (Meta refuses a gap).
pub fn placeholders(body: &str) -> Result<usize, String> {
    let mut seen = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            break;
        };
        let inner = after[..close].trim();
        match inner.parse::<usize>() {
            Ok(n) if (1..=MAX_PARAMS).contains(&n) => seen.push(n),
            _ => {
                return Err(format!(
                    "{{{{{inner}}}}} is not a parameter: use {{{{1}}}}, {{{{2}}}} … up to {{{{{MAX_PARAMS}}}}}."
                ))
            }
        }
        rest = &after[close + 2..];
    }
    seen.sort_unstable();
    seen.dedup();
    match seen.iter().enumerate().find(|(i, n)| **n != i + 1) {
        Some((i, _)) => Err(format!(
            "The parameters must run {{{{1}}}} to {{{{{}}}}} without a gap.",
            seen.len().max(i + 1)
        )),
        None => Ok(seen.len()),
    }
}

/// The body with its parameters filled in: what the lead reads.
pub fn render(body: &str, params: &[String]) -> String {
    let mut text = body.to_string();
    for (i, value) in params.iter().enumerate() {
        text = text.replace(&format!("{{{{{}}}}}", i + 1), value);
    }
    text
}

/// A template as typed in Settings, checked.
pub fn parse_template(
    name: &str,
    language: &str,
    body: &str,
) -> Result<(String, String, String), AppError> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > 512
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(AppError::validation(
            "name",
            "Use the template's name as approved: lowercase letters, digits and underscores.",
        ));
    }
    let language = language.trim();
    let ok_language = match language.split_once('_') {
        None => {
            (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase())
        }
        Some((lang, region)) => {
            (2..=3).contains(&lang.len())
                && lang.bytes().all(|b| b.is_ascii_lowercase())
                && region.len() == 2
                && region.bytes().all(|b| b.is_ascii_uppercase())
        }
    };
    if !ok_language {
        return Err(AppError::validation(
            "language",
            "Use the template's language code, like en, en_US or pt_BR.",
        ));
    }
    let body = body.trim();
    if body.is_empty() || body.chars().count() > MAX_TEMPLATE_BODY_CHARS {
        return Err(AppError::validation(
            "body",
            format!("The template text is 1 to {MAX_TEMPLATE_BODY_CHARS} characters."),
        ));
    }
    placeholders(body).map_err(|m| AppError::validation("body", m))?;
    Ok((name.to_string(), language.to_string(), body.to_string()))
}

/// Checks the parameters a send gives `template`: one per placeholder, none empty or too long.
pub fn check_params(template: &Template, params: &[String]) -> Result<Vec<String>, AppError> {
    let wanted = template.params();
    if params.len() != wanted {
        return Err(AppError::validation(
            "template",
            format!(
                "The template {} takes {wanted} parameter{}; {} given.",
                template.name,
                if wanted == 1 { "" } else { "s" },
                params.len()
            ),
        ));
    }
    params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let p = p.trim();
            if p.is_empty() || p.chars().count() > MAX_PARAM_CHARS || p.contains('\n') {
                Err(AppError::validation(
                    "template",
                    format!(
                        "Parameter {{{{{}}}}} is 1 to {MAX_PARAM_CHARS} characters on one line.",
                        i + 1
                    ),
                ))
            } else {
                Ok(p.to_string())
            }
        })
        .collect()
}

/// Why free text cannot go to `lead_name` on `channel` now, in words for the composer.
pub fn window_closed(channel: Channel, lead_name: &str) -> String {
    if has_templates(channel) {
        format!(
            "It's been more than {WINDOW_HOURS} hours since {lead_name} last wrote on {}: WhatsApp only delivers an approved template until they write again.",
            channel.label()
        )
    } else {
        format!(
            "It's been more than {WINDOW_HOURS} hours since {lead_name} last wrote on {}: {} only delivers replies within {WINDOW_HOURS} hours of their last message.",
            channel.label(),
            channel.label()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_run_from_one_without_gaps() {
        assert_eq!(
            placeholders("Hi {{1}}, your order {{2}} ships {{ 3 }}."),
            Ok(3)
        );
        assert_eq!(placeholders("No parameters"), Ok(0));
        assert_eq!(placeholders("{{1}} and {{1}} again"), Ok(1));
        assert!(placeholders("Hi {{2}}").is_err());
        assert!(placeholders("Hi {{name}}").is_err());
        assert!(placeholders("Hi {{0}}").is_err());
    }

    #[test]
    fn a_template_renders_what_the_lead_reads() {
        let params = vec!["Maya".to_string(), "#1042".to_string()];
        assert_eq!(
            render("Hi {{1}}, order {{2}} is ready. Thanks, {{1}}!", &params),
            "Hi Maya, order #1042 is ready. Thanks, Maya!"
        );
    }

    #[test]
    fn templates_are_named_and_coded_as_meta_names_them() {
        assert!(parse_template("order_update", "en_US", "Hi {{1}}").is_ok());
        assert_eq!(
            parse_template("Order Update", "en", "Hi")
                .unwrap_err()
                .field(),
            Some("name")
        );
        assert_eq!(
            parse_template("a", "english", "Hi").unwrap_err().field(),
            Some("language")
        );
        assert_eq!(
            parse_template("a", "en", "Hi {{3}}").unwrap_err().field(),
            Some("body")
        );
        assert_eq!(
            parse_template("a", "en", " ").unwrap_err().field(),
            Some("body")
        );
    }

    #[test]
    fn a_send_gives_one_parameter_per_placeholder() {
        let t = Template {
            id: crate::model::ids::TemplateId(uuid::Uuid::nil()),
            name: "follow_up".into(),
            language: "en".into(),
            body: "Hi {{1}}, still interested in {{2}}?".into(),
            twilio_content_sid: None,
        };
        assert_eq!(
            check_params(&t, &[" Maya ".into(), "the quote".into()]).unwrap(),
            vec!["Maya", "the quote"]
        );
        assert!(check_params(&t, &["Maya".into()]).is_err());
        assert!(check_params(&t, &["Maya".into(), "".into()]).is_err());
        assert!(check_params(&t, &["Maya".into(), "two\nlines".into()]).is_err());
    }

    #[test]
    fn the_window_is_a_day_after_the_last_message() {
        let at = Utc::now();
        assert_eq!(window_until(Some(at)), Some(at + Duration::hours(24)));
        assert_eq!(window_until(None), None);
    }

    #[test]
    fn content_sids_are_hx_and_32_hex_digits() {
        let sid = "HXb5b62575e6e4ff6129ad7c8efe1f983e";
        assert_eq!(parse_content_sid("sid", sid).unwrap().as_deref(), Some(sid));
        assert_eq!(parse_content_sid("sid", "  ").unwrap(), None);
        for bad in [
            "HX123",
            "MGb5b62575e6e4ff6129ad7c8efe1f983e",
            "HXb5b62575e6e4ff6129ad7c8efe1f983z",
        ] {
            assert!(parse_content_sid("sid", bad).is_err(), "{bad}");
        }
    }
}
