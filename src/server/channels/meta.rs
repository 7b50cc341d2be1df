//! Meta's wire format, both ways: sending through the Graph API — WhatsApp Business Cloud
//! (`POST /{version}/{phone-number-id}/messages`, `messaging_product: whatsapp`) and Instagram's
//! Messenger Platform (`POST /{version}/{ig-account-id}/messages`, `recipient.id`) — with a
//! bearer access token; and reading what Meta posts to us: `X-Hub-Signature-256` (`sha256=` and
//! the hex HMAC-SHA256 of the raw body, keyed with the app secret), the `hub.challenge`
//! handshake, and the JSON of messages and statuses.
use super::send_error::SendError;
use crate::server::store::deliveries::Report;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The Graph API version the requests name.
pub const GRAPH_VERSION: &str = "v21.0";

/// What a send needs besides the message.
pub struct Account<'a> {
    pub graph_base: &'a str,
    /// The WhatsApp phone number id, or the Instagram account id.
    pub account_id: &'a str,
    pub access_token: &'a str,
    pub timeout: Duration,
}

/// The request body of a text message to `to` (a WhatsApp number, digits only, or an
/// Instagram-scoped user id).
pub fn message_body(whatsapp: bool, to: &str, text: &str) -> Value {
    if whatsapp {
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": false, "body": text},
        })
    } else {
        json!({"recipient": {"id": to}, "message": {"text": text}})
    }
}

/// A file sent with a message, by the URL Meta fetches it from (`/media/{token}`).
pub struct OutgoingFile<'a> {
    pub url: &'a str,
    /// `image`, `audio`, `video` or `document` (`model::attachment::kind`).
    pub kind: &'static str,
    pub filename: &'a str,
}

/// The request body of a message carrying `file`: on WhatsApp a media message by link (the
/// text, if any, as its caption; a document keeps its file name), on Instagram an attachment
/// (which carries no text: the composer refuses text beside it).
pub fn media_body(whatsapp: bool, to: &str, text: &str, file: &OutgoingFile) -> Value {
    if whatsapp {
        let mut media = json!({"link": file.url});
        if !text.is_empty() && file.kind != "audio" {
            media["caption"] = json!(text);
        }
        if file.kind == "document" {
            media["filename"] = json!(file.filename);
        }
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": file.kind,
            file.kind: media,
        })
    } else {
        let kind = if file.kind == "document" {
            "file"
        } else {
            file.kind
        };
        json!({"recipient": {"id": to}, "message": {"attachment": {"type": kind, "payload": {"url": file.url}}}})
    }
}

/// The request body of an approved WhatsApp template to `to`, its body parameters in order.
pub fn template_body(to: &str, template: &crate::model::template::TemplateUse) -> Value {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {"name": template.name, "language": {"code": template.language}},
    });
    if !template.params.is_empty() {
        let parameters: Vec<Value> = template
            .params
            .iter()
            .map(|p| json!({"type": "text", "text": p}))
            .collect();
        body["template"]["components"] = json!([{"type": "body", "parameters": parameters}]);
    }
    body
}

/// A WhatsApp number as the Cloud API writes it: digits only (`whatsapp:+1555…` → `1555…`).
pub fn wa_number(address: &str) -> String {
    address
        .trim_start_matches("whatsapp:")
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Hands one message to Meta; the message id it was given (`wamid.…` or an Instagram `mid`).
pub async fn send(
    http: &reqwest::Client,
    account: &Account<'_>,
    whatsapp: bool,
    to: &str,
    text: &str,
    template: Option<&crate::model::template::TemplateUse>,
    file: Option<&OutgoingFile<'_>>,
) -> Result<String, SendError> {
    let url = format!(
        "{}/{GRAPH_VERSION}/{}/messages",
        account.graph_base.trim_end_matches('/'),
        account.account_id
    );
    let to = if whatsapp {
        wa_number(to)
    } else {
        to.to_string()
    };
    let answer = http
        .post(&url)
        .bearer_auth(account.access_token)
        .json(&match (template, file) {
            (Some(template), _) if whatsapp => template_body(&to, template),
            (_, Some(file)) => media_body(whatsapp, &to, text, file),
            _ => message_body(whatsapp, &to, text),
        })
        .timeout(account.timeout)
        .send()
        .await
        .map_err(|e| SendError::unreachable("Meta", e, account.timeout))?;
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    let json: Value = serde_json::from_str(&text).unwrap_or_default();
    if status.is_success() {
        // WhatsApp: {"messages": [{"id": "wamid…"}]}; Instagram: {"message_id": "…"}.
        return json["messages"][0]["id"]
            .as_str()
            .or_else(|| json["message_id"].as_str())
            .map(str::to_string)
            .ok_or_else(|| SendError {
                permanent: false,
                of_connection: true,
                reason: "Meta's answer named no message id.".into(),
                in_doubt: true,
            });
    }
    Err(graph_error(status.as_u16(), &json))
}

/// Meta's error object — `{"error": {"message", "type", "code", "error_subcode",
/// "error_data": {"details"}, "fbtrace_id"}}` — as a send error.
pub fn graph_error(status: u16, json: &Value) -> SendError {
    let error = &json["error"];
    let code = error["code"].as_i64();
    let message = error["error_data"]["details"]
        .as_str()
        .or_else(|| error["message"].as_str())
        .unwrap_or("no explanation given");
    let reason = match code {
        Some(code) => format!("Meta error {code}: {message}"),
        None => format!("Meta answered {status}: {message}"),
    };
    // Throttling (4, 80007, 130429, 131056) and Meta's own trouble (1, 2, 131000, 5xx) pass;
    // an expired or wrong token (190, 401) is the connection's; the rest is about the message.
    let throttled = matches!(code, Some(4 | 80007 | 130429 | 131056));
    let meta_trouble = status >= 500 || matches!(code, Some(1 | 2 | 131000));
    let token = status == 401 || matches!(code, Some(190 | 10 | 200));
    SendError {
        permanent: !(throttled || meta_trouble),
        of_connection: throttled || meta_trouble || token,
        reason,
        in_doubt: false,
    }
}

/// `sha256=<hex>` of `body` under `app_secret`: what Meta puts in `X-Hub-Signature-256`.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac = mac(app_secret);
    mac.update(body);
    format!(
        "sha256={}",
        crate::server::crypto::hex(&mac.finalize().into_bytes())
    )
}

/// Whether `given` is the signature of `body`, compared in constant time.
pub fn signature_matches(app_secret: &str, body: &[u8], given: &str) -> bool {
    let Some(hex) = given.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(given) = crate::server::crypto::from_hex(hex) else {
        return false;
    };
    let mut mac = mac(app_secret);
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

fn mac(app_secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes a key of any length")
}

/// A file a message carries: WhatsApp names it by a media id (looked up on the Graph API),
/// Instagram by a CDN URL.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaSpec {
    pub id: Option<String>,
    pub url: Option<String>,
    pub mime_type: Option<String>,
    /// `image`, `audio`, `video`, `document`, `sticker`, or Instagram's `file` …
    pub kind: String,
    pub filename: Option<String>,
}

/// Where a WhatsApp media id's file is: `GET /{version}/{media-id}` answers `{url, mime_type,
/// file_size, id}`; the file itself is fetched from that URL with the same token.
pub async fn media_url(
    http: &reqwest::Client,
    graph_base: &str,
    access_token: &str,
    media_id: &str,
) -> Result<(String, Option<String>), String> {
    let url = format!(
        "{}/{GRAPH_VERSION}/{}",
        graph_base.trim_end_matches('/'),
        media_id
    );
    let answer = http
        .get(&url)
        .bearer_auth(access_token)
        .timeout(super::media::FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("a file could not be looked up: {}", e.without_url()))?;
    let json: Value = answer
        .json()
        .await
        .map_err(|_| "a file could not be looked up: Meta's answer was not JSON".to_string())?;
    match json["url"].as_str() {
        Some(url) => Ok((
            url.to_string(),
            json["mime_type"].as_str().map(str::to_string),
        )),
        None => Err(format!(
            "a file could not be looked up: {}",
            json["error"]["message"]
                .as_str()
                .unwrap_or("Meta named no URL")
        )),
    }
}

/// One thing a webhook call carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Message {
        /// `wamid.…` or the Instagram `mid`.
        id: String,
        /// `+<digits>` for WhatsApp, the Instagram-scoped id for Instagram.
        from: String,
        profile_name: Option<String>,
        text: String,
        /// Attachments (images, audio, documents …) beside or instead of the text.
        media: Vec<MediaSpec>,
    },
    Status {
        /// The id Meta gave the message we sent.
        id: String,
        report: Report,
    },
}

/// The messages and statuses in a webhook body (`object` `whatsapp_business_account` or
/// `instagram`); Err for a body that is not such JSON. Echoes of our own Instagram messages,
/// reactions and other events are left out.
pub fn items(body: &[u8], at: chrono::DateTime<chrono::Utc>) -> Result<Vec<Item>, String> {
    let json: Value =
        serde_json::from_slice(body).map_err(|e| format!("The body is not JSON: {e}"))?;
    let entries = json["entry"]
        .as_array()
        .ok_or("The body has no `entry` list.")?;
    let mut items = Vec::new();
    match json["object"].as_str() {
        Some("whatsapp_business_account") => {
            for change in entries.iter().flat_map(|e| list(&e["changes"])) {
                whatsapp_items(&change["value"], at, &mut items);
            }
        }
        Some("instagram") | Some("page") => {
            for event in entries.iter().flat_map(|e| list(&e["messaging"])) {
                instagram_item(event, at, &mut items);
            }
        }
        other => return Err(format!("Unknown webhook object {other:?}.")),
    }
    Ok(items)
}

fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn whatsapp_items(value: &Value, at: chrono::DateTime<chrono::Utc>, items: &mut Vec<Item>) {
    let name_of = |wa_id: &str| {
        list(&value["contacts"])
            .find(|c| c["wa_id"].as_str() == Some(wa_id))
            .and_then(|c| c["profile"]["name"].as_str())
            .map(str::to_string)
    };
    for m in list(&value["messages"]) {
        let (Some(id), Some(from)) = (m["id"].as_str(), m["from"].as_str()) else {
            continue;
        };
        let kind = m["type"].as_str().unwrap_or_default();
        let media: Vec<MediaSpec> =
            matches!(kind, "image" | "audio" | "video" | "document" | "sticker")
                .then(|| MediaSpec {
                    id: m[kind]["id"].as_str().map(str::to_string),
                    url: None,
                    mime_type: m[kind]["mime_type"].as_str().map(str::to_string),
                    kind: kind.to_string(),
                    filename: m[kind]["filename"].as_str().map(str::to_string),
                })
                .into_iter()
                .collect();
        let text = m["text"]["body"]
            .as_str()
            .or_else(|| m[kind]["caption"].as_str())
            .or_else(|| m["button"]["text"].as_str())
            .unwrap_or_default();
        items.push(Item::Message {
            id: id.to_string(),
            from: format!("+{}", wa_number(from)),
            profile_name: name_of(from),
            text: text.to_string(),
            media,
        });
    }
    for s in list(&value["statuses"]) {
        let (Some(id), Some(status)) = (s["id"].as_str(), s["status"].as_str()) else {
            continue;
        };
        let report = match status {
            "sent" => Report::Sent,
            "delivered" => Report::Delivered,
            "read" => Report::Read { at },
            "failed" => {
                let error = &s["errors"][0];
                Report::Failed {
                    reason: match error["code"].as_i64() {
                        Some(code) => format!(
                            "Meta reported failed (error {code}: {}).",
                            error["error_data"]["details"]
                                .as_str()
                                .or_else(|| error["title"].as_str())
                                .unwrap_or("see Meta's error codes")
                        ),
                        None => "Meta reported failed.".into(),
                    },
                }
            }
            _ => continue,
        };
        items.push(Item::Status {
            id: id.to_string(),
            report,
        });
    }
}

fn instagram_item(event: &Value, at: chrono::DateTime<chrono::Utc>, items: &mut Vec<Item>) {
    let message = &event["message"];
    if message.is_object() {
        // Our own messages come back as echoes: they are in the thread already.
        if message["is_echo"].as_bool() == Some(true)
            || message["is_deleted"].as_bool() == Some(true)
        {
            return;
        }
        let (Some(id), Some(from)) = (message["mid"].as_str(), event["sender"]["id"].as_str())
        else {
            return;
        };
        items.push(Item::Message {
            id: id.to_string(),
            from: from.to_string(),
            profile_name: None,
            text: message["text"].as_str().unwrap_or_default().to_string(),
            media: list(&message["attachments"])
                .map(|a| MediaSpec {
                    id: None,
                    url: a["payload"]["url"].as_str().map(str::to_string),
                    mime_type: None,
                    kind: a["type"].as_str().unwrap_or("file").to_string(),
                    filename: None,
                })
                .collect(),
        });
    } else if let Some(mid) = event["read"]["mid"].as_str() {
        items.push(Item::Status {
            id: mid.to_string(),
            report: Report::Read { at },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_goes_by_link_as_each_api_wants_it() {
        let picture = OutgoingFile {
            url: "https://lw.example/media/ab",
            kind: "image",
            filename: "plan.png",
        };
        assert_eq!(
            media_body(true, "15551230000", "Our floor plan", &picture),
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "15551230000",
                "type": "image",
                "image": {"link": "https://lw.example/media/ab", "caption": "Our floor plan"},
            })
        );
        let pdf = OutgoingFile {
            kind: "document",
            filename: "quote.pdf",
            ..picture
        };
        assert_eq!(
            media_body(true, "1555", "", &pdf)["document"],
            json!({"link": "https://lw.example/media/ab", "filename": "quote.pdf"})
        );
        assert_eq!(
            media_body(false, "17841400000", "", &pdf),
            json!({"recipient": {"id": "17841400000"}, "message": {"attachment": {"type": "file", "payload": {"url": "https://lw.example/media/ab"}}}})
        );
    }

    /// `X-Hub-Signature-256` is the scheme GitHub documents for its webhooks, with this
    /// published example (secret, payload, header); Meta signs the same way with the app
    /// secret.
    #[test]
    fn the_documented_signature_example_matches() {
        let secret = "It's a Secret to Everybody";
        let body = b"Hello, World!";
        let documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(signature(secret, body), documented);
        assert!(signature_matches(secret, body, documented));
        assert!(!signature_matches(secret, b"Hello, World?", documented));
        assert!(!signature_matches("another secret", body, documented));
        assert!(!signature_matches(secret, body, &documented[7..]));
        assert!(!signature_matches(secret, body, "sha256=zz"));
    }

    #[test]
    fn a_whatsapp_message_and_statuses_are_read() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}],"statuses":[{"id":"wamid.OUT1","status":"read","timestamp":"1750263773","recipient_id":"16505551234"},{"id":"wamid.OUT2","status":"failed","timestamp":"1750263773","recipient_id":"16505551234","errors":[{"code":131047,"title":"Re-engagement message","error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]}]}}]}]}"#;
        let at = chrono::Utc::now();
        let items = items(body, at).unwrap();
        assert_eq!(
            items[0],
            Item::Message {
                id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=".into(),
                from: "+16505551234".into(),
                profile_name: Some("Sheena Nelson".into()),
                text: "Does it come in another color?".into(),
                media: vec![],
            }
        );
        assert_eq!(
            items[1],
            Item::Status {
                id: "wamid.OUT1".into(),
                report: Report::Read { at }
            }
        );
        let Item::Status {
            report: Report::Failed { reason },
            ..
        } = &items[2]
        else {
            panic!("{:?}", items[2]);
        };
        assert!(reason.contains("131047"), "{reason}");
        assert!(reason.contains("24 hours"), "{reason}");
    }

    #[test]
    fn instagram_messages_skip_echoes_and_read_marks_are_statuses() {
        let body = br#"{"object":"instagram","entry":[{"id":"17841405822304914","time":1569262486134,"messaging":[{"sender":{"id":"1254477777772919"},"recipient":{"id":"17841405822304914"},"timestamp":1569262485349,"message":{"mid":"aWdfZAG1faXRlbToxOklH","text":"Hi! Is this still available?"}},{"sender":{"id":"17841405822304914"},"recipient":{"id":"1254477777772919"},"timestamp":1569262485349,"message":{"mid":"echo1","text":"ours","is_echo":true}},{"sender":{"id":"1254477777772919"},"recipient":{"id":"17841405822304914"},"timestamp":1569262485349,"read":{"mid":"aWdfOUR"}}]}]}"#;
        let at = chrono::Utc::now();
        let items = items(body, at).unwrap();
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(matches!(&items[0], Item::Message { from, text, .. }
            if from == "1254477777772919" && text == "Hi! Is this still available?"));
        assert_eq!(
            items[1],
            Item::Status {
                id: "aWdfOUR".into(),
                report: Report::Read { at }
            }
        );
    }

    #[test]
    fn bodies_that_are_not_meta_webhooks_are_refused() {
        let at = chrono::Utc::now();
        assert!(items(b"not json", at).is_err());
        assert!(items(br#"{"object":"whatsapp_business_account"}"#, at).is_err());
        assert!(items(br#"{"object":"user","entry":[]}"#, at).is_err());
    }

    #[test]
    fn meta_errors_say_whether_a_retry_can_help() {
        let window = graph_error(
            400,
            &json!({"error": {"message": "(#131047) Re-engagement message", "code": 131047}}),
        );
        assert!(window.permanent && !window.of_connection);
        assert!(window.reason.starts_with("Meta error 131047"));
        let throttled = graph_error(400, &json!({"error": {"message": "rate", "code": 130429}}));
        assert!(!throttled.permanent);
        let expired = graph_error(
            401,
            &json!({"error": {"message": "Error validating access token", "code": 190}}),
        );
        assert!(expired.permanent && expired.of_connection);
        let down = graph_error(503, &json!({}));
        assert!(!down.permanent && down.of_connection);
    }

    #[test]
    fn whatsapp_numbers_are_digits() {
        assert_eq!(wa_number("whatsapp:+15550100200"), "15550100200");
        assert_eq!(wa_number("+44 20 7946 0000"), "442079460000");
    }
}
