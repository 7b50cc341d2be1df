//! Writing HTML as text: the few places that build markup as a string (an email's HTML part, an
//! inbox row) escape every piece of user text through here.

/// Appends `text` to `html`, escaped for use as element content or inside a quoted attribute.
pub fn push_escaped(html: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        html.push_str(&rest[..at]);
        html.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[at + 1..];
    }
    html.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::push_escaped;

    #[test]
    fn markup_characters_are_escaped_and_the_rest_kept() {
        let mut html = String::from("<b>");
        push_escaped(&mut html, r#"Tom & "Jerry" <script>'x'</script> — héllo"#);
        assert_eq!(
            html,
            "<b>Tom &amp; &quot;Jerry&quot; &lt;script&gt;&#39;x&#39;&lt;/script&gt; — héllo"
        );
    }
}
