//! How long a message may be on each channel, and what the composer says about it: SMS in
//! segments (what carriers bill), the other channels as a count once the limit is near.
use super::channel::Channel;

/// Longest message body we accept, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;

/// The longest outbound message a channel takes: Twilio's 1,600 characters for SMS (ten
/// segments), WhatsApp's 4,096, Instagram's 1,000; email and chat ours.
pub fn max_chars(channel: Channel) -> usize {
    match channel {
        Channel::Sms => 1_600,
        Channel::Whatsapp => 4_096,
        Channel::Instagram => 1_000,
        Channel::Email | Channel::Chat => MAX_BODY_CHARS,
    }
}

/// The GSM 03.38 basic set (and its extension, which costs two): text made only of these goes
/// as 160 characters per SMS, anything else (an emoji, "ł") as 70 in UCS-2.
fn gsm_cost(c: char) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// How many SMS segments `text` takes.
pub fn sms_segments(text: &str) -> usize {
    let gsm: Option<usize> = text.chars().map(gsm_cost).sum();
    let (units, single, multi) = match gsm {
        Some(septets) => (septets, 160, 153),
        // UCS-2 counts UTF-16 code units: an emoji is two.
        None => (text.encode_utf16().count(), 70, 67),
    };
    match units {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(multi),
    }
}

/// What the composer shows under the text: SMS segments always, elsewhere the count once past
/// 80 % of the limit. None: nothing to say.
pub fn counter(channel: Channel, text: &str) -> Option<String> {
    let chars = text.chars().count();
    let max = max_chars(channel);
    if channel == Channel::Sms && chars > 0 {
        let segments = sms_segments(text);
        let unit = if segments == 1 { "segment" } else { "segments" };
        return Some(format!("{chars} / {max} · {segments} SMS {unit}"));
    }
    (chars * 5 > max * 4).then(|| format!("{chars} / {max}"))
}

/// Why `text` cannot go out on `channel`, if it is too long.
pub fn too_long(channel: Channel, text: &str) -> Option<String> {
    let chars = text.chars().count();
    let max = max_chars(channel);
    (chars > max).then(|| {
        format!(
            "A {} message can be at most {max} characters; this one has {chars}.",
            channel.label()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_counts_segments_like_carriers() {
        assert_eq!(sms_segments(""), 0);
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
        // The extension set costs two septets: 80 euro signs fill one segment.
        assert_eq!(sms_segments(&"€".repeat(80)), 1);
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
        // One emoji makes the whole text UCS-2 (an emoji is two UTF-16 units).
        assert_eq!(sms_segments(&format!("{}😀", "a".repeat(68))), 1);
        assert_eq!(sms_segments(&format!("{}😀", "a".repeat(69))), 2);
    }

    #[test]
    fn the_counter_shows_segments_for_sms_and_the_count_near_other_limits() {
        assert_eq!(
            counter(Channel::Sms, &"a".repeat(161)).as_deref(),
            Some("161 / 1600 · 2 SMS segments")
        );
        assert_eq!(counter(Channel::Whatsapp, &"a".repeat(3_000)), None);
        assert_eq!(
            counter(Channel::Whatsapp, &"a".repeat(3_300)).as_deref(),
            Some("3300 / 4096")
        );
        assert_eq!(too_long(Channel::Whatsapp, &"a".repeat(4_096)), None);
        assert_eq!(
            too_long(Channel::Whatsapp, &"a".repeat(4_097)).as_deref(),
            Some("A WhatsApp message can be at most 4096 characters; this one has 4097.")
        );
    }
}
