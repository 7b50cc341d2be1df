//! What one inbox row shows — channel, name, unread count, company, time, preview, stage and
//! owner — written as HTML text rather than as views. The inbox draws fifty rows on every
//! render: as views each was ~25 boxed nodes and attribute lists built, walked and dropped on the
//! server, and walked again by hydration; as text it is one string per row. Every piece of user
//! text goes through [`push_escaped`]. The rows hold no handlers (the inbox's keys and the
//! router's link clicks are handled above them), so nothing inside needs to hydrate.
use super::badges::{push_channel_icon, push_stage_badge};
use super::local_time::push_time;
use crate::model::html::push_escaped;
use crate::model::message::{ConversationSummary, Direction};

/// The inner HTML of the row's link for `c`, times in `tz`.
pub fn row_markup<Tz: chrono::TimeZone>(c: &ConversationSummary, tz: &Tz) -> String {
    let mut html = String::with_capacity(1200);
    let label = c.channel.label();
    html.push_str("<span class=\"channel-icon channel-");
    html.push_str(c.channel.as_str());
    html.push_str("\" title=\"");
    html.push_str(label);
    html.push_str("\" aria-label=\"");
    html.push_str(label);
    html.push_str("\">");
    push_channel_icon(&mut html, c.channel);
    html.push_str("</span><span class=\"inbox-main\"><span class=\"inbox-top\"><strong>");
    push_escaped(&mut html, &c.lead_name);
    html.push_str("</strong>");
    if c.unread > 0 {
        let n = c.unread.to_string();
        html.push_str("<span class=\"unread-count\" data-testid=\"unread\" aria-label=\"");
        html.push_str(&n);
        html.push_str(" unread\">");
        html.push_str(&n);
        html.push_str("</span>");
    }
    html.push_str("<span class=\"muted hide-narrow\">");
    push_escaped(&mut html, c.company.as_deref().unwrap_or_default());
    html.push_str("</span>");
    push_time(&mut html, c.at, tz);
    html.push_str("</span><span class=\"preview\">");
    push_preview(&mut html, c);
    html.push_str("</span></span><span class=\"inbox-side hide-narrow\">");
    push_stage_badge(&mut html, c.stage);
    html.push_str("<span class=\"muted\">");
    push_escaped(&mut html, c.owner_name.as_deref().unwrap_or("Unassigned"));
    html.push_str("</span></span>");
    html
}

/// A search result shows where it matched, highlighted; any other row the newest message.
fn push_preview(html: &mut String, c: &ConversationSummary) {
    if let Some(parts) = &c.matched {
        for (text, marked) in parts {
            if *marked {
                html.push_str("<mark>");
                push_escaped(html, text);
                html.push_str("</mark>");
            } else {
                push_escaped(html, text);
            }
        }
        return;
    }
    if c.direction == Direction::Outbound {
        html.push_str("You: ");
    }
    if let Some(subject) = &c.subject {
        html.push_str("<em>");
        push_escaped(html, subject);
        html.push_str(" — </em>");
    }
    if c.preview.is_empty() {
        html.push_str("No messages yet");
    } else {
        push_escaped(html, &c.preview);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::channel::Channel;
    use crate::model::ids::LeadId;
    use crate::model::lead::Stage;
    use chrono::{TimeZone, Utc};

    fn summary() -> ConversationSummary {
        ConversationSummary {
            lead_id: LeadId::new_random(),
            lead_name: "Ana <b>Bold</b>".into(),
            company: Some("Smith & \"Sons\"".into()),
            stage: Stage::Qualified,
            owner_name: None,
            direction: Direction::Outbound,
            channel: Channel::Email,
            subject: Some("<script>alert(1)</script>".into()),
            preview: "a < b".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 16, 14, 30, 0).unwrap(),
            unread: 3,
            matched: None,
        }
    }

    #[test]
    fn user_text_is_escaped_everywhere_it_appears() {
        let html = row_markup(&summary(), &Utc);
        assert!(
            html.contains("<strong>Ana &lt;b&gt;Bold&lt;/b&gt;</strong>"),
            "{html}"
        );
        assert!(html.contains("Smith &amp; &quot;Sons&quot;"), "{html}");
        assert!(
            html.contains("<em>&lt;script&gt;alert(1)&lt;/script&gt; — </em>"),
            "{html}"
        );
        assert!(html.contains("You: <em>"), "{html}");
        assert!(html.contains("a &lt; b</span>"), "{html}");
        assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    }

    #[test]
    fn a_row_shows_unread_stage_owner_and_time() {
        let html = row_markup(&summary(), &Utc);
        assert!(
            html.contains(r#"data-testid="unread" aria-label="3 unread">3</span>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="badge stage-qualified">Qualified</span>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="muted">Unassigned</span>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"title="Email" aria-label="Email""#),
            "{html}"
        );
        assert!(
            html.contains(r#"title="16 Nov 2026, 2:30 PM UTC""#),
            "{html}"
        );
        let read = ConversationSummary {
            unread: 0,
            ..summary()
        };
        assert!(!row_markup(&read, &Utc).contains("unread"));
    }

    #[test]
    fn search_matches_are_marked_and_escaped() {
        let found = ConversationSummary {
            matched: Some(vec![("about ".into(), false), ("<pricing>".into(), true)]),
            ..summary()
        };
        let html = row_markup(&found, &Utc);
        assert!(
            html.contains("about <mark>&lt;pricing&gt;</mark></span>"),
            "{html}"
        );
        assert!(!html.contains("You: "), "{html}");
    }
}
