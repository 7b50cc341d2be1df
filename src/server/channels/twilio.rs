//! Twilio's wire format, both ways: sending a message through its REST API
//! (`POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, Basic auth) and checking the
//! `X-Twilio-Signature` of what it posts to us (base64 HMAC-SHA1, keyed with the auth token,
//! over the full URL followed by every form parameter as name + value, sorted by name).
//! The sandbox speaks the same format, so one webhook path serves both.
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

pub use super::send_error::SendError;

/// What a send needs besides the message.
pub struct Account<'a> {
    pub api_base: &'a str,
    pub account_sid: &'a str,
    pub auth_token: &'a str,
    /// `+15550100200`, `whatsapp:+15550100200`, or a Messaging Service SID (`MG…`).
    pub sender: &'a str,
    /// How long to wait for Twilio's answer.
    pub timeout: Duration,
}

/// What a message carries: free text, or an approved WhatsApp template, which Twilio sends by
/// its Content SID with the parameters as `ContentVariables` (`{"1": "Maya", …}`).
pub enum Content<'a> {
    Text(&'a str),
    Template { sid: &'a str, params: &'a [String] },
}

/// Asks Twilio whether it already has a message an attempt in doubt (begun at `since`) may have
/// given it: among the newest messages to `to` (one page of 50, newest first; far more than
/// one lead gets in a lease's minutes), one created since then (less a minute, for clocks),
/// with our `body` (None: a template, whose text Twilio renders), and not one of `ours` (ids
/// already recorded for other messages). Its SID, if there is one.
pub async fn find_sent(
    http: &reqwest::Client,
    account: &Account<'_>,
    to: &str,
    body: Option<&str>,
    since: chrono::DateTime<chrono::Utc>,
    ours: &std::collections::HashSet<String>,
) -> Result<Option<String>, SendError> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        account.api_base, account.account_sid
    );
    let mut query = vec![("To", to), ("PageSize", "50")];
    if !account.sender.starts_with("MG") {
        query.push(("From", account.sender));
    }
    let failed = |reason: String| SendError {
        permanent: false,
        of_connection: true,
        reason: format!("Could not ask Twilio whether it already had this message: {reason}"),
        in_doubt: true,
    };
    let answer = http
        .get(&url)
        .basic_auth(account.account_sid, Some(account.auth_token))
        .query(&query)
        .timeout(account.timeout)
        .send()
        .await
        .map_err(|e| failed(e.without_url().to_string()))?;
    let status = answer.status();
    let json: serde_json::Value = answer
        .json()
        .await
        .map_err(|e| failed(e.without_url().to_string()))?;
    if !status.is_success() {
        let message = json["message"].as_str().unwrap_or("no explanation given");
        return Err(failed(format!("Twilio answered {status}: {message}")));
    }
    let earliest = since - chrono::Duration::minutes(1);
    let found = json["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            m["date_created"]
                .as_str()
                .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                .is_some_and(|d| d >= earliest)
        })
        .filter(|m| body.is_none_or(|body| m["body"].as_str() == Some(body)))
        .filter_map(|m| m["sid"].as_str())
        .find(|sid| !ours.contains(*sid));
    Ok(found.map(str::to_string))
}

/// Hands one message to Twilio, with the files at `media` (URLs Twilio fetches, sent as MMS);
/// the message SID it was given on success.
pub async fn send(
    http: &reqwest::Client,
    account: &Account<'_>,
    to: &str,
    content: Content<'_>,
    media: &[String],
    status_callback: &str,
) -> Result<String, SendError> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        account.api_base, account.account_sid
    );
    let sender_field = if account.sender.starts_with("MG") {
        "MessagingServiceSid"
    } else {
        "From"
    };
    let mut form = vec![
        ("To", to.to_string()),
        (sender_field, account.sender.to_string()),
    ];
    match content {
        // A picture may go without text.
        Content::Text(body) if body.is_empty() && !media.is_empty() => {}
        Content::Text(body) => form.push(("Body", body.to_string())),
        Content::Template { sid, params } => {
            let variables: serde_json::Map<String, serde_json::Value> = params
                .iter()
                .enumerate()
                .map(|(i, p)| ((i + 1).to_string(), serde_json::Value::from(p.as_str())))
                .collect();
            form.push(("ContentSid", sid.to_string()));
            form.push((
                "ContentVariables",
                serde_json::Value::Object(variables).to_string(),
            ));
        }
    }
    form.extend(media.iter().map(|url| ("MediaUrl", url.clone())));
    form.push(("StatusCallback", status_callback.to_string()));
    let answer = http
        .post(&url)
        .basic_auth(account.account_sid, Some(account.auth_token))
        .form(&form)
        .timeout(account.timeout)
        .send()
        .await
        .map_err(|e| SendError::unreachable("Twilio", e, account.timeout))?;
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if status.is_success() {
        return json
            .get("sid")
            .and_then(|s| s.as_str())
            .map(str::to_string)
            .ok_or_else(|| SendError {
                permanent: false,
                of_connection: true,
                reason: "Twilio's answer named no message SID.".into(),
                in_doubt: true,
            });
    }
    // Twilio's error object: {"code": 21211, "message": "…", "more_info": "…", "status": 400}.
    let code = json.get("code").and_then(|c| c.as_i64());
    let message = json
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or("no explanation given");
    let reason = match code {
        Some(code) => format!("Twilio error {code}: {message}"),
        None => format!("Twilio answered {status}: {message}"),
    };
    let passing = status.as_u16() == 429 || status.is_server_error();
    Err(SendError {
        // Too many requests and Twilio's own trouble pass; anything else is about the request.
        permanent: !passing,
        of_connection: passing || matches!(status.as_u16(), 401 | 403),
        reason,
        in_doubt: false,
    })
}

/// The signature Twilio gives a request to `url` with form parameters `params`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `given` is the signature of this request, compared in constant time.
pub fn signature_matches(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    given: &str,
) -> bool {
    match base64::engine::general_purpose::STANDARD.decode(given.trim()) {
        Ok(given) => mac(auth_token, url, params).verify_slice(&given).is_ok(),
        Err(_) => false,
    }
}

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// What Twilio's `MessageStatus` says, in our words; None for the steps we do not show
/// (`accepted`, `queued`, `sending`, `scheduled`).
pub fn report(
    status: &str,
    error_code: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<crate::server::store::deliveries::Report> {
    use crate::server::store::deliveries::Report;
    Some(match status {
        "sent" => Report::Sent,
        "delivered" => Report::Delivered,
        "read" => Report::Read { at },
        "failed" | "undelivered" => Report::Failed {
            reason: match error_code.filter(|c| !c.is_empty()) {
                Some(code) => format!(
                    "Twilio reported {status} (error {code}: {}).",
                    explain(code)
                ),
                None => format!("Twilio reported {status}."),
            },
        },
        _ => return None,
    })
}

/// The common delivery error codes in words (Twilio's error dictionary).
fn explain(code: &str) -> &'static str {
    match code {
        "30003" => "the handset is unreachable",
        "30004" => "the message was blocked",
        "30005" => "unknown destination handset",
        "30006" => "landline or unreachable carrier",
        "30007" => "filtered as spam by the carrier",
        "30008" => "unknown error",
        "63016" => "outside WhatsApp's 24-hour window; use a template",
        _ => "see Twilio's error dictionary",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The example of Twilio's webhook security documentation.
    #[test]
    fn signs_like_twilios_documented_example() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let p = params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(signature("12345", url, &p), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
        assert!(signature_matches(
            "12345",
            url,
            &p,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        // Another token, another URL, a changed parameter, a garbled header: all refused.
        assert!(!signature_matches(
            "54321",
            url,
            &p,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!signature_matches(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &p,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        let mut changed = p.clone();
        changed[2].1 = "1235".into();
        assert!(!signature_matches(
            "12345",
            url,
            &changed,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!signature_matches("12345", url, &p, "not base64!"));
    }

    #[test]
    fn statuses_map_to_reports() {
        use crate::server::store::deliveries::Report;
        let at = chrono::Utc::now();
        assert_eq!(report("delivered", None, at), Some(Report::Delivered));
        assert_eq!(report("sending", None, at), None);
        assert_eq!(
            report("undelivered", Some("30003"), at),
            Some(Report::Failed {
                reason: "Twilio reported undelivered (error 30003: the handset is unreachable)."
                    .into()
            })
        );
    }
}
