//! Files a teammate sends to a lead on SMS (MMS), WhatsApp or Instagram: what each channel
//! takes, by its provider's documented limits, checked before anything is queued so a send is
//! refused at the form rather than failed by the provider later.
use super::channel::Channel;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Per file: Twilio's MMS limit and WhatsApp's for pictures (documents may be larger there,
/// but one limit for every channel keeps the rule simple to state).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Files per message: Twilio takes up to 10 `MediaUrl`s; WhatsApp and Instagram one per message.
pub const MAX_FILES_SMS: usize = 10;

/// The types anyone may upload; each channel takes a subset (see [`check_for`]).
pub const UPLOAD_TYPES: [&str; 7] = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "application/pdf",
    "audio/mpeg",
    "audio/ogg",
    "video/mp4",
];

/// An uploaded file, not yet sent (`POST /api/uploads` answers this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    pub id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

/// The content type as the browser or client named it, lower-cased and without parameters;
/// an error naming what is accepted when it is not one of [`UPLOAD_TYPES`].
pub fn upload_type(raw: &str) -> Result<String, String> {
    let content_type = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if UPLOAD_TYPES.contains(&content_type.as_str()) {
        Ok(content_type)
    } else {
        Err(
            "Attach a JPEG, PNG or GIF picture, a PDF, an MP3 or OGG recording, or an MP4 video."
                .into(),
        )
    }
}

/// A file name safe to store and show: the last path part, no control characters, at most
/// 120 characters; "file" when nothing is left.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(120)
        .collect();
    match clean.trim() {
        "" | "." | ".." => "file".to_string(),
        name => name.to_string(),
    }
}

/// What the provider calls the kind of file (WhatsApp's and Instagram's message types).
pub fn kind(content_type: &str) -> &'static str {
    match content_type.split('/').next() {
        Some("image") => "image",
        Some("audio") => "audio",
        Some("video") => "video",
        _ => "document",
    }
}

/// Whether `channel` can carry `files` (content types) beside a text of `body_chars`
/// characters; the reason, to show at the composer's attachments, when it cannot.
pub fn check_for(channel: Channel, files: &[&str], body_chars: usize) -> Result<(), String> {
    if files.is_empty() {
        return Ok(());
    }
    let label = channel.label();
    let takes = |accepted: &[&str], names: &str| -> Result<(), String> {
        match files.iter().find(|t| !accepted.contains(t)) {
            None => Ok(()),
            Some(_) => Err(format!("{label} takes {names} here.")),
        }
    };
    match channel {
        Channel::Sms => {
            if files.len() > MAX_FILES_SMS {
                return Err(format!(
                    "An SMS carries at most {MAX_FILES_SMS} files (as MMS)."
                ));
            }
            // Carriers show pictures; other MMS types arrive as links, or not at all.
            takes(
                &["image/jpeg", "image/png", "image/gif"],
                "JPEG, PNG and GIF pictures",
            )
        }
        Channel::Whatsapp => {
            if files.len() > 1 {
                return Err("WhatsApp sends one file per message.".into());
            }
            takes(
                &[
                    "image/jpeg",
                    "image/png",
                    "application/pdf",
                    "audio/mpeg",
                    "audio/ogg",
                    "video/mp4",
                ],
                "JPEG and PNG pictures, PDFs, MP3 or OGG recordings and MP4 videos",
            )?;
            if kind(files[0]) == "audio" && body_chars > 0 {
                return Err(
                    "WhatsApp sends a recording without text: send the text as its own message."
                        .into(),
                );
            }
            Ok(())
        }
        Channel::Instagram => {
            if files.len() > 1 {
                return Err("Instagram sends one file per message.".into());
            }
            takes(
                &[
                    "image/jpeg",
                    "image/png",
                    "image/gif",
                    "audio/mpeg",
                    "video/mp4",
                ],
                "pictures, MP3 recordings and MP4 videos",
            )?;
            if body_chars > 0 {
                return Err(
                    "Instagram sends a file without text: send the text as its own message.".into(),
                );
            }
            Ok(())
        }
        Channel::Email | Channel::Chat => Err(format!(
            "Files go on SMS, WhatsApp and Instagram; {label} does not carry them from here yet."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_types_are_a_known_few() {
        assert_eq!(upload_type("image/PNG; charset=x").unwrap(), "image/png");
        assert!(
            upload_type("image/svg+xml").is_err(),
            "SVG can carry script"
        );
        assert!(upload_type("text/html").is_err());
        assert!(upload_type("").is_err());
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_filename("C:\\Users\\me\\price list.pdf"),
            "price list.pdf"
        );
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\u{0}b\"c.png"), "abc.png");
        assert_eq!(clean_filename(".."), "file");
        assert_eq!(clean_filename(""), "file");
        assert_eq!(clean_filename(&"x".repeat(500)).chars().count(), 120);
    }

    #[test]
    fn each_channel_takes_what_its_provider_takes() {
        assert!(check_for(Channel::Sms, &["image/png", "image/gif"], 10).is_ok());
        assert!(check_for(Channel::Sms, &["application/pdf"], 0).is_err());
        assert!(check_for(Channel::Sms, &["image/png"; 11], 0).is_err());
        assert!(check_for(Channel::Whatsapp, &["application/pdf"], 20).is_ok());
        assert!(check_for(Channel::Whatsapp, &["image/gif"], 0).is_err());
        assert!(check_for(Channel::Whatsapp, &["image/png", "image/png"], 0).is_err());
        assert!(check_for(Channel::Whatsapp, &["audio/ogg"], 0).is_ok());
        assert!(check_for(Channel::Whatsapp, &["audio/ogg"], 5).is_err());
        assert!(check_for(Channel::Instagram, &["image/jpeg"], 0).is_ok());
        assert!(check_for(Channel::Instagram, &["image/jpeg"], 3).is_err());
        assert!(check_for(Channel::Email, &["image/png"], 0).is_err());
        assert!(check_for(Channel::Chat, &[], 3).is_ok());
    }
}
