//! Media a lead sends on a provider channel, fetched when the webhook arrives: Twilio names
//! each file by URL (fetched with the account's credentials), Meta's WhatsApp by a media id
//! (looked up on the Graph API, then fetched with the access token), Instagram by a CDN URL.
//! Only the provider's own addresses are fetched (the webhook is signed, but a URL in it is
//! still not a reason to reach anywhere else), at most [`MAX_FILES`] files of at most
//! [`MAX_BYTES`] each, within [`FETCH_TIMEOUT`]; what is left out is said in the message.
use std::time::Duration;

/// Per file: WhatsApp's own limit for pictures and Twilio's for MMS.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_FILES: usize = 10;
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A file as fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFile {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// How to ask for a file.
pub enum Auth<'a> {
    Basic(&'a str, &'a str),
    Bearer(&'a str),
    None,
}

/// What fetching a message's media came to: the files, and a note for each one left out.
#[derive(Debug, Default)]
pub struct Fetched {
    pub files: Vec<MediaFile>,
    pub left_out: Vec<String>,
}

impl Fetched {
    /// The message's text as the thread shows it, with these files (see `inbound_text`).
    pub fn shown_with(&self, channel: crate::model::channel::Channel, text: &str) -> String {
        let kept: Vec<String> = self.files.iter().map(|f| f.filename.clone()).collect();
        super::inbound_text::shown_text(channel, text, &kept, &self.left_out)
    }

    pub fn keep(&mut self, file: Result<MediaFile, String>) {
        match file {
            Ok(file) if self.files.len() < MAX_FILES => self.files.push(file),
            Ok(file) => self.left_out.push(format!(
                "{} not kept: at most {MAX_FILES} files per message",
                file.filename
            )),
            Err(why) => self.left_out.push(why),
        }
    }
}

/// Whether `url` is at `base` (the provider API the settings name) or, for a CDN the provider
/// hands out, on https.
pub fn allowed(url: &str, base: &str, any_https: bool) -> bool {
    let base = base.trim_end_matches('/');
    url.starts_with(&format!("{base}/")) || (any_https && url.starts_with("https://"))
}

/// Fetches one file, refusing more than [`MAX_BYTES`] (by its header, or as it streams).
pub async fn fetch(
    http: &reqwest::Client,
    url: &str,
    auth: Auth<'_>,
    named: &str,
    content_type: Option<&str>,
) -> Result<MediaFile, String> {
    let request = match auth {
        Auth::Basic(user, password) => http.get(url).basic_auth(user, Some(password)),
        Auth::Bearer(token) => http.get(url).bearer_auth(token),
        Auth::None => http.get(url),
    };
    let mut response = request
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("{named} could not be fetched: {}", e.without_url()))?;
    if !response.status().is_success() {
        return Err(format!(
            "{named} could not be fetched (the provider answered {})",
            response.status()
        ));
    }
    let too_big = || {
        format!(
            "{named} not kept: larger than {} MB",
            MAX_BYTES / (1024 * 1024)
        )
    };
    if response
        .content_length()
        .is_some_and(|n| n as usize > MAX_BYTES)
    {
        return Err(too_big());
    }
    let content_type = content_type
        .map(str::to_string)
        .or_else(|| {
            response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
        })
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut data = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("{named} could not be fetched: {}", e.without_url()))?
    {
        if data.len() + chunk.len() > MAX_BYTES {
            return Err(too_big());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(MediaFile {
        filename: file_name(named, &content_type),
        content_type,
        data,
    })
}

/// A download name: the one the provider gave, else a kind and an extension from the type.
fn file_name(named: &str, content_type: &str) -> String {
    if named.contains('.') {
        return named
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
            .take(200)
            .collect();
    }
    let ext = match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "video/mp4" => "mp4",
        "application/pdf" => "pdf",
        _ => "bin",
    };
    format!("{named}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_providers_addresses_are_fetched() {
        let base = "https://api.twilio.com";
        assert!(allowed(
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            base,
            false
        ));
        assert!(!allowed(
            "https://api.twilio.com.evil.example/x",
            base,
            false
        ));
        assert!(!allowed(
            "http://169.254.169.254/latest/meta-data",
            base,
            false
        ));
        assert!(allowed(
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
            "https://graph.facebook.com",
            true
        ));
        assert!(!allowed(
            "http://127.0.0.1:8080/x",
            "https://graph.facebook.com",
            true
        ));
    }

    #[test]
    fn files_get_a_name_and_an_extension() {
        assert_eq!(file_name("photo", "image/jpeg"), "photo.jpg");
        assert_eq!(file_name("quote.pdf", "application/pdf"), "quote.pdf");
        assert_eq!(
            file_name("../../etc/passwd.txt", "text/plain"),
            "....etcpasswd.txt"
        );
        assert_eq!(file_name("voice", "audio/ogg"), "voice.ogg");
    }

    #[test]
    fn at_most_ten_files_are_kept_and_the_rest_is_said() {
        let mut fetched = Fetched::default();
        for i in 0..12 {
            fetched.keep(Ok(MediaFile {
                filename: format!("p{i}.jpg"),
                content_type: "image/jpeg".into(),
                data: vec![1],
            }));
        }
        fetched.keep(Err("big.mp4 not kept: larger than 5 MB".into()));
        assert_eq!(fetched.files.len(), MAX_FILES);
        assert_eq!(fetched.left_out.len(), 3);
    }
}
