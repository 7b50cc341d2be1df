//! Turns a message typed in the composer into the two parts of an email: the text as typed, and
//! HTML with every link rewritten to a tracked redirect and the open-tracking pixel.
use crate::model::html::push_escaped;

/// A link of a tracked email: the redirect token and the real destination (kept server-side).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedLink {
    pub token: String,
    pub url: String,
    pub position: i64,
}

/// The email parts of one message.
#[derive(Debug, Clone)]
pub struct Composed {
    pub text: String,
    pub html: String,
    /// The pixel's token; None when tracking is off for the workspace.
    pub tracking_token: Option<String>,
    pub links: Vec<TrackedLink>,
}

/// 128 bits from the OS CSPRNG as 32 lowercase hex digits.
pub fn tracking_token() -> String {
    crate::server::crypto::random_hex(16)
}

/// Composes `body`; with `tracking_base` (the public URL) links are tracked and a pixel added.
pub fn compose(body: &str, tracking_base: Option<&str>) -> Composed {
    let mut links = Vec::new();
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2328\">",
    );
    for paragraph in body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        html.push_str("<p>");
        for (i, line) in paragraph.trim_matches('\n').split('\n').enumerate() {
            if i > 0 {
                html.push_str("<br>");
            }
            push_line(&mut html, line, tracking_base, &mut links);
        }
        html.push_str("</p>");
    }
    let tracking_token = tracking_base.map(|base| {
        let token = tracking_token();
        html.push_str(&format!(
            "<img src=\"{base}/t/o/{token}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0;width:1px;height:1px\">"
        ));
        token
    });
    html.push_str("</body></html>");
    Composed {
        text: body.to_string(),
        html,
        tracking_token,
        links,
    }
}

/// One line of text as HTML: escaped, with its URLs as links.
fn push_line(html: &mut String, line: &str, base: Option<&str>, links: &mut Vec<TrackedLink>) {
    let mut rest = line;
    while let Some((start, end)) = find_url(rest) {
        push_escaped(html, &rest[..start]);
        let url = &rest[start..end];
        let href = match base {
            Some(base) => {
                let token = tracking_token();
                let href = format!("{base}/t/c/{token}");
                links.push(TrackedLink {
                    token,
                    url: url.to_string(),
                    position: links.len() as i64,
                });
                href
            }
            None => url.to_string(),
        };
        html.push_str("<a href=\"");
        push_escaped(html, &href);
        html.push_str("\" target=\"_blank\" rel=\"noopener\">");
        push_escaped(html, url);
        html.push_str("</a>");
        rest = &rest[end..];
    }
    push_escaped(html, rest);
}

/// The byte range of the first `http://` or `https://` URL in `text`: ASCII, no spaces or
/// quotes, without trailing punctuation that belongs to the sentence.
pub fn find_url(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let start = [
            lower[from..].find("https://"),
            lower[from..].find("http://"),
        ]
        .into_iter()
        .flatten()
        .min()?
            + from;
        let len = text[start..]
            .find(|c: char| {
                !c.is_ascii()
                    || c.is_ascii_whitespace()
                    || c.is_ascii_control()
                    || "<>\"'`".contains(c)
            })
            .unwrap_or(text.len() - start);
        let mut url = &text[start..start + len];
        url = url.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']);
        let scheme = if lower[start..].starts_with("https://") {
            8
        } else {
            7
        };
        if url.len() > scheme {
            return Some((start, start + url.len()));
        }
        from = start + scheme;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_found_without_sentence_punctuation() {
        let text = "See https://example.com/pricing?a=1&b=2. Thanks";
        let (s, e) = find_url(text).unwrap();
        assert_eq!(&text[s..e], "https://example.com/pricing?a=1&b=2");
        assert_eq!(find_url("no links, just http:// here"), None);
        let (s, e) = find_url("(http://a.io)").unwrap();
        assert_eq!(&"(http://a.io)"[s..e], "http://a.io");
    }

    #[test]
    fn tracked_html_rewrites_links_and_adds_the_pixel() {
        let c = compose(
            "Hi <Ann>,\nsee https://example.com/a and http://example.org/b\n\nBye",
            Some("https://crm.example.com"),
        );
        assert_eq!(c.links.len(), 2);
        assert_eq!(c.links[0].url, "https://example.com/a");
        assert_eq!(c.links[1].position, 1);
        assert!(c
            .html
            .contains("Hi &lt;Ann&gt;,<br>see <a href=\"https://crm.example.com/t/c/"));
        assert!(!c.html.contains("href=\"https://example.com/a\""));
        let token = c.tracking_token.as_deref().unwrap();
        assert!(crate::model::tracking::is_token(token));
        assert!(c
            .html
            .contains(&format!("https://crm.example.com/t/o/{token}")));
        assert_eq!(c.html.matches("<p>").count(), 2);
        assert!(c.text.contains("https://example.com/a"));
    }

    #[test]
    fn untracked_html_keeps_links_and_has_no_pixel() {
        let c = compose("Read https://example.com", None);
        assert!(c.tracking_token.is_none() && c.links.is_empty());
        assert!(c.html.contains("href=\"https://example.com\""));
        assert!(!c.html.contains("/t/o/"));
    }

    #[test]
    fn tokens_are_128_random_bits() {
        let a = tracking_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, tracking_token());
    }
}
