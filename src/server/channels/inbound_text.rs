//! What the thread shows of a message a lead sent on a provider channel: its text, cut to a
//! sane length, the names of its files when it has no text, a note for each file that was not
//! kept, and a placeholder for a message with neither (a location, a reaction, a button), so
//! nothing a lead sends is silently dropped. Shared by every provider's webhook.
use crate::model::channel::Channel;

/// A message body longer than this is cut (WhatsApp's own limit is 4,096 characters).
pub const MAX_TEXT: usize = 20_000;

pub fn shown_text(channel: Channel, text: &str, kept: &[String], left_out: &[String]) -> String {
    let mut body: String = text.chars().take(MAX_TEXT).collect();
    if body.trim().is_empty() && !kept.is_empty() {
        // A picture without a caption: the thread shows the file; the preview names it.
        body = format!("Attachment: {}", kept.join(", "));
    }
    for note in left_out {
        body = if body.trim().is_empty() {
            format!("({note})")
        } else {
            format!("{body}\n\n({note})")
        };
    }
    if body.trim().is_empty() {
        // A location, a reaction, a button: answered (a refusal would only make the provider
        // retry), and shown for what it is.
        body = format!(
            "(a {} message without text, which Leadwire cannot show yet)",
            channel.label()
        );
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_and_empty_messages_are_shown_for_what_they_are() {
        assert_eq!(shown_text(Channel::Sms, "Hi", &[], &[]), "Hi");
        let photo = vec!["photo.jpg".to_string()];
        assert_eq!(
            shown_text(Channel::Whatsapp, "", &photo, &[]),
            "Attachment: photo.jpg"
        );
        let left_out = vec!["clip.mp4 not kept: larger than 5 MB".to_string()];
        assert_eq!(
            shown_text(Channel::Whatsapp, "Look", &photo, &left_out),
            "Look\n\n(clip.mp4 not kept: larger than 5 MB)"
        );
        assert!(shown_text(Channel::Instagram, " ", &[], &[]).contains("without text"));
        assert_eq!(
            shown_text(Channel::Sms, &"x".repeat(30_000), &[], &[]).len(),
            MAX_TEXT
        );
    }
}
