//! Pictures and files leads send on SMS (MMS) and WhatsApp: fetched from the provider with the
//! connection's credentials when the webhook arrives, kept with the message, served to the
//! workspace only; what is not kept (too large, not at the provider's address) is said.
use crate::fake_meta::{self, FakeMeta};
use crate::fake_twilio::{self, FakeTwilio};
use crate::support::TestServer;
use leadwire::server::channels::{meta, twilio};
use serde_json::{json, Value};

async fn messages_of(server: &TestServer, client: &reqwest::Client) -> Vec<Value> {
    let leads: Value = server.get_json(client, "/api/leads").await;
    let lead = leads["leads"][0]["id"].as_str().unwrap().to_string();
    server
        .get_json(client, &format!("/api/messages/{lead}"))
        .await["messages"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_mms_picture_is_kept_with_the_message_and_served_to_the_workspace_only() {
    let twilio = FakeTwilio::start().await;
    let base = twilio.base.clone();
    let server = TestServer::start_with(move |s| s.channels.twilio_api_base = base).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let res = server
        .rpc(
            &owner.client,
            "save_twilio",
            &[
                ("channel", "sms"),
                ("account_sid", fake_twilio::ACCOUNT_SID),
                ("auth_token", fake_twilio::AUTH_TOKEN),
                ("sender", "+14155550100"),
                ("enabled", "on"),
            ],
        )
        .await;
    let channels: Value = res.json().await.unwrap();
    let webhook = channels[0]["twilio"]["webhook_url"]
        .as_str()
        .unwrap()
        .to_string();
    let picture: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let photo_url = twilio.serve_media("MM1", "image/jpeg", picture.clone());
    let huge_url = twilio.serve_media("MM1", "video/mp4", vec![0u8; 6 * 1024 * 1024]);
    let params = [
        ("MessageSid", "MM11111111111111111111111111111111"),
        ("AccountSid", fake_twilio::ACCOUNT_SID),
        ("From", "+14155550101"),
        ("To", "+14155550100"),
        ("Body", "Here's the storefront"),
        ("NumMedia", "3"),
        ("MediaUrl0", photo_url.as_str()),
        ("MediaContentType0", "image/jpeg"),
        ("MediaUrl1", huge_url.as_str()),
        ("MediaContentType1", "video/mp4"),
        ("MediaUrl2", "http://169.254.169.254/latest/meta-data"),
        ("MediaContentType2", "image/png"),
    ];
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let res = reqwest::Client::new()
        .post(&webhook)
        .header(
            twilio::SIGNATURE_HEADER,
            twilio::signature(fake_twilio::AUTH_TOKEN, &webhook, &owned),
        )
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let messages = messages_of(&server, &owner.client).await;
    let message = &messages[0];
    let body = message["body"].as_str().unwrap();
    assert!(body.starts_with("Here's the storefront"), "{body}");
    assert!(
        body.contains("attachment-2 not kept: larger than 5 MB"),
        "{body}"
    );
    assert!(
        body.contains("attachment-3 not kept: not at Twilio's address"),
        "{body}"
    );
    let files = message["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["content_type"], "image/jpeg");
    assert_eq!(files[0]["filename"], "attachment-1.jpg");
    assert_eq!(files[0]["size"], 3000);
    let url = server.url(&format!(
        "/attachments/{}",
        files[0]["id"].as_str().unwrap()
    ));
    let res = owner.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap().to_vec(), picture);
    // Another workspace cannot reach it by its id.
    let other = server.signed_up("eve@example.com", "Eve").await;
    assert_eq!(other.get(&url).send().await.unwrap().status(), 404);
    // A file the lead sent is not ours to send on: a message cannot carry it.
    let leads: Value = server.get_json(&owner.client, "/api/leads").await;
    let lead = leads["leads"][0]["id"].as_str().unwrap();
    let mut forward = crate::support::message("sms", "Forwarding your photo");
    forward["attachments"] = json!([files[0]["id"]]);
    let res = server.send(&owner.client, lead, forward).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        crate::support::error_body(res).await["field"],
        "attachments"
    );
}

#[tokio::test]
async fn a_whatsapp_document_from_meta_is_fetched_through_the_graph_api() {
    let meta = FakeMeta::start().await;
    let base = meta.base.clone();
    let server = TestServer::start_with(move |s| s.channels.meta_graph_base = base).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let view = fake_meta::connect(&server, &owner, "whatsapp").await;
    let webhook = view["webhook_url"].as_str().unwrap().to_string();
    let pdf = b"%PDF-1.4 a signed quote".to_vec();
    let id = meta.serve_media("application/pdf", pdf.clone());
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": fake_meta::PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Maya Patel"}, "wa_id": "14155550101"}],
            "messages": [{"from": "14155550101", "id": "wamid.DOC1", "timestamp": "1749416383",
                "type": "document",
                "document": {"id": id, "mime_type": "application/pdf", "filename": "signed-quote.pdf", "caption": "Signed!"}}],
        },
    }]}]});
    let raw = serde_json::to_vec(&body).unwrap();
    let res = reqwest::Client::new()
        .post(&webhook)
        .header(
            meta::SIGNATURE_HEADER,
            meta::signature(fake_meta::APP_SECRET, &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let messages = messages_of(&server, &owner.client).await;
    assert_eq!(messages[0]["body"], "Signed!");
    let files = messages[0]["attachments"].as_array().unwrap();
    assert_eq!(files[0]["filename"], "signed-quote.pdf");
    let res = owner
        .client
        .get(server.url(&format!(
            "/attachments/{}",
            files[0]["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Not a picture: a download, never rendered by the browser.
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
}
