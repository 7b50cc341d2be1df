//! Files sent to leads: uploaded first (`POST /api/uploads`), sent with a message, kept beside it
//! like received media, and fetched by the provider from `/media/{token}` — Twilio as MMS
//! (`MediaUrl`), Meta's WhatsApp as a media message by `link`. What a channel cannot carry is
//! refused at `attachments` before anything is stored.
use crate::channels::{connect, lead_with_phone, server_with, thread};
use crate::fake_meta::{self, FakeMeta};
use crate::fake_twilio::FakeTwilio;
use crate::support::{error_body, message, TestServer};
use serde_json::{json, Value};

const PNG: &[u8] = include_bytes!("../fixtures/pixel.png");

async fn upload(
    server: &TestServer,
    client: &reqwest::Client,
    filename: &str,
    content_type: &str,
    data: Vec<u8>,
) -> reqwest::Response {
    client
        .post(server.url("/api/uploads"))
        .query(&[("filename", filename)])
        .header("content-type", content_type)
        .body(data)
        .send()
        .await
        .unwrap()
}

async fn uploaded(
    server: &TestServer,
    client: &reqwest::Client,
    name: &str,
    ct: &str,
    data: &[u8],
) -> String {
    let res = upload(server, client, name, ct, data.to_vec()).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["filename"], name);
    assert_eq!(body["content_type"], ct);
    assert_eq!(body["size"], data.len());
    body["id"].as_str().unwrap().to_string()
}

/// Fetches `url` as the provider does: no session, no cookie.
async fn fetch_as_provider(url: &str) -> (u16, String, Vec<u8>) {
    let res = reqwest::get(url).await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_picture_goes_to_twilio_as_mms_and_only_its_link_opens_it() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+1 415 555 0101").await;
    connect(&server, &owner, "sms", "+14155550100").await;
    let file = uploaded(&server, &owner.client, "floor plan.png", "image/png", PNG).await;

    let mut send = message("sms", "Here's the floor plan");
    send["attachments"] = json!([file]);
    let res = server.send(&owner.client, &lead, send).await;
    assert_eq!(res.status(), 201);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(sent["attachments"][0]["filename"], "floor plan.png");
    assert_eq!(sent["attachments"][0]["content_type"], "image/png");

    let request = twilio.next_request().await;
    assert_eq!(request.field("Body"), Some("Here's the floor plan"));
    let media_url = request.field("MediaUrl").unwrap().to_string();
    assert!(media_url.starts_with(&server.url("/media/")), "{media_url}");
    let token = media_url.rsplit('/').next().unwrap();
    assert_eq!(token.len(), 32, "128 random bits");
    let (status, ct, bytes) = fetch_as_provider(&media_url).await;
    assert_eq!((status, ct.as_str()), (200, "image/png"));
    assert_eq!(bytes, PNG);
    // Any other token, or a received file's id, opens nothing.
    let wrong = format!(
        "{}{}",
        &media_url[..media_url.len() - 1],
        if token.ends_with('0') { "1" } else { "0" }
    );
    assert_eq!(fetch_as_provider(&wrong).await.0, 404);
    assert_eq!(
        fetch_as_provider(&server.url("/media/not-a-token")).await.0,
        404
    );

    // The thread keeps the picture with the message, for the workspace only.
    let messages = thread(&server, &owner.client, &lead).await;
    let stored = messages.iter().find(|m| m["id"] == sent["id"]).unwrap();
    let id = stored["attachments"][0]["id"].as_str().unwrap();
    let res = owner
        .client
        .get(server.url(&format!("/attachments/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), PNG);

    // A file already sent goes again with another message ("Send as … instead" takes a failed
    // message's files along), under a token of its own.
    let mut again = message("sms", "The plan once more");
    again["attachments"] = json!([id]);
    assert_eq!(server.send(&owner.client, &lead, again).await.status(), 201);
    let request = twilio.next_request().await;
    let second_url = request.field("MediaUrl").unwrap().to_string();
    assert_ne!(second_url, media_url);
    assert_eq!(fetch_as_provider(&second_url).await.2, PNG);

    let stranger = server.signed_up("stranger@example.com", "Other").await;
    let res = stranger
        .get(server.url(&format!("/attachments/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_whatsapp_document_goes_to_meta_by_link_with_its_caption_and_name() {
    let mut meta = FakeMeta::start().await;
    let server = crate::meta_channels::server_with(&meta).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya Patel", "whatsapp": "+1 415 555 0101"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    fake_meta::connect(&server, &owner, "whatsapp").await;
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Can you send the quote?")
        .await;
    let pdf = b"%PDF-1.4\n% a quote\n".to_vec();
    let file = uploaded(&server, &owner.client, "quote.pdf", "application/pdf", &pdf).await;
    let mut send = message("whatsapp", "Your quote, as promised");
    send["attachments"] = json!([file]);
    assert_eq!(server.send(&owner.client, &lead, send).await.status(), 201);

    let request = meta.next_request().await;
    assert!(request.authorized);
    assert_eq!(request.body["type"], "document");
    let document = &request.body["document"];
    assert_eq!(document["caption"], "Your quote, as promised");
    assert_eq!(document["filename"], "quote.pdf");
    let (status, ct, bytes) = fetch_as_provider(document["link"].as_str().unwrap()).await;
    assert_eq!((status, ct.as_str(), bytes), (200, "application/pdf", pdf));
}

#[tokio::test]
async fn files_a_channel_cannot_carry_are_refused_at_their_field_and_nothing_is_stored() {
    let twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+1 415 555 0101").await;
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Hello")
        .await;
    let before = thread(&server, &owner.client, &lead).await.len();

    // Uploads: a type no channel takes (SVG can carry script), an empty file, one too large.
    for (ct, data, status, field) in [
        ("image/svg+xml", b"<svg/>".to_vec(), 422, Some("file")),
        ("text/html", b"<p>hi</p>".to_vec(), 422, Some("file")),
        ("image/png", Vec::new(), 422, Some("file")),
        ("image/png", vec![0u8; 5 * 1024 * 1024 + 1], 413, None),
    ] {
        let res = upload(&server, &owner.client, "x", ct, data).await;
        assert_eq!(res.status(), status, "{ct}");
        if let Some(field) = field {
            assert_eq!(error_body(res).await["field"], field, "{ct}");
        }
    }
    // A page of another site cannot upload with the user's cookie.
    let res = owner
        .client
        .post(server.url("/api/uploads"))
        .header("origin", "https://evil.example")
        .header("content-type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let anonymous = server.client();
    assert_eq!(
        upload(&server, &anonymous, "x.png", "image/png", PNG.to_vec())
            .await
            .status(),
        401
    );

    let gif = uploaded(
        &server,
        &owner.client,
        "wave.gif",
        "image/gif",
        b"GIF89a....",
    )
    .await;
    let png = uploaded(&server, &owner.client, "plan.png", "image/png", PNG).await;
    let theirs = {
        let other = server.signed_up("other@example.com", "Other").await;
        let res = upload(&server, &other, "theirs.png", "image/png", PNG.to_vec()).await;
        res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (channel, body, files) in [
        ("chat", "See attached", json!([png])),
        ("whatsapp", "", json!([gif])),
        ("whatsapp", "Two files", json!([png, png])),
        ("sms", "Not mine", json!([theirs])),
        ("sms", "Not an id", json!(["nope"])),
        ("sms", "Gone", json!([uuid::Uuid::new_v4().to_string()])),
    ] {
        let mut send = message(channel, body);
        send["attachments"] = files;
        let res = server.send(&owner.client, &lead, send).await;
        assert_eq!(res.status(), 422, "{channel} {body}");
        assert_eq!(
            error_body(res).await["field"],
            "attachments",
            "{channel} {body}"
        );
    }
    // A lead's message carries no files from an integration.
    let mut inbound = message("sms", "Here");
    inbound["direction"] = json!("inbound");
    inbound["attachments"] = json!([png]);
    let res = server.send(&owner.client, &lead, inbound).await;
    assert_eq!(res.status(), 422);
    assert_eq!(thread(&server, &owner.client, &lead).await.len(), before);

    // A file of the full 5 MB is taken; one person's unsent uploads are bounded (50 MB): the
    // tenth such file is refused.
    let big = vec![7u8; 5 * 1024 * 1024];
    let mut refused = None;
    for i in 0..11 {
        let res = upload(
            &server,
            &owner.client,
            &format!("big{i}.png"),
            "image/png",
            big.clone(),
        )
        .await;
        if res.status() != 201 {
            refused = Some((i, res.status().as_u16(), error_body(res).await));
            break;
        }
    }
    let (at, status, body) = refused.expect("the quota refuses at last");
    assert_eq!((at, status), (9, 422), "{body}");
    assert_eq!(body["field"], "file");

    // A picture alone, without text, is a message of its own.
    let mut picture_only = message("sms", "");
    picture_only["attachments"] = json!([png]);
    assert_eq!(
        server
            .send(&owner.client, &lead, picture_only)
            .await
            .status(),
        201
    );
}
