//! WhatsApp (Business Cloud API) and Instagram (Messenger Platform) through Meta: a fake Graph
//! API that speaks Meta's wire format for sends, and Meta's webhooks — the `hub.challenge`
//! handshake, `X-Hub-Signature-256` over the raw body, messages and statuses — posted signed
//! with the app secret.
use crate::fake_meta::{
    connect, Answer, FakeMeta, ACCESS_TOKEN, APP_SECRET, IG_ACCOUNT_ID, PHONE_NUMBER_ID,
};
use crate::support::{error_body, message, TestServer};
use leadwire::server::channels::meta::{signature, SIGNATURE_HEADER};
use serde_json::{json, Value};

pub(crate) async fn server_with(meta: &FakeMeta) -> TestServer {
    let base = meta.base.clone();
    TestServer::start_with(move |s| {
        s.channels.meta_graph_base = base;
        s.channels.retry_base_ms = 20;
        s.channels.max_attempts = 3;
        s.channels.send_timeout_ms = 500;
    })
    .await
}

/// Posts `body` to `url` as Meta does, signed with `secret`.
async fn post_signed(url: &str, secret: &str, body: &Value) -> reqwest::Response {
    let raw = serde_json::to_vec(body).unwrap();
    reqwest::Client::new()
        .post(url)
        .header(SIGNATURE_HEADER, signature(secret, &raw))
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap()
}

fn whatsapp_change(value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": value["contacts"], "messages": value["messages"], "statuses": value["statuses"],
        },
    }]}]})
}

fn status(id: &str, status: &str) -> Value {
    whatsapp_change(json!({"statuses": [{
        "id": id, "status": status, "timestamp": "1750263773", "recipient_id": "14155550101",
    }]}))
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    server.db().await.count(sql).await
}

#[tokio::test]
async fn the_handshake_answers_metas_challenge_only_with_our_verify_token() {
    let meta = FakeMeta::start().await;
    let server = server_with(&meta).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let view = connect(&server, &owner, "whatsapp").await;
    let url = view["webhook_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/webhooks/meta/", server.base)),
        "{url}"
    );
    let token = view["verify_token"].as_str().unwrap();
    assert_eq!(token.len(), 32, "128 random bits");
    let http = reqwest::Client::new();
    let verify = |mode: &str, token: &str| {
        http.get(url)
            .query(&[
                ("hub.mode", mode),
                ("hub.verify_token", token),
                ("hub.challenge", "1158201444"),
            ])
            .send()
    };
    let res = verify("subscribe", token).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "1158201444");
    assert_eq!(verify("subscribe", "guess").await.unwrap().status(), 403);
    assert_eq!(verify("unsubscribe", token).await.unwrap().status(), 403);
    let unknown = format!("{}/webhooks/meta/{}", server.base, "ab".repeat(16));
    let res = http
        .get(&unknown)
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", token),
            ("hub.challenge", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_whatsapp_message_through_meta_is_sent_and_follows_its_statuses() {
    let mut meta = FakeMeta::start().await;
    let server = server_with(&meta).await;
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
    let view = connect(&server, &owner, "whatsapp").await;
    let webhook = view["webhook_url"].as_str().unwrap().to_string();
    // Maya wrote first: WhatsApp's 24-hour window is open for free text.
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Hi!")
        .await;
    let mut ws = server.live_socket(&owner.cookie).await;

    let res = server
        .send(
            &owner.client,
            &lead,
            message("whatsapp", "Are you free Thursday?"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(sent["status"], "queued");
    let id = sent["id"].as_str().unwrap().to_string();

    let request = meta.next_request().await;
    assert!(request.authorized, "bearer access token");
    assert_eq!(request.account, PHONE_NUMBER_ID);
    assert_eq!(
        request.body,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "14155550101",
               "type": "text", "text": {"preview_url": false, "body": "Are you free Thursday?"}})
    );
    let wamid = request.id.unwrap();
    let now_sent = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    assert_eq!(now_sent["delivered_via"], "meta");

    let res = post_signed(&webhook, APP_SECRET, &status(&wamid, "delivered")).await;
    assert_eq!(res.status(), 200);
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "delivered")
        .await;
    let res = post_signed(&webhook, APP_SECRET, &status(&wamid, "read")).await;
    assert_eq!(res.status(), 200);
    let read = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "read")
        .await;
    assert!(
        read["opened_at"].is_string(),
        "WhatsApp's read receipt: {read}"
    );
}

#[tokio::test]
async fn a_whatsapp_message_from_meta_is_stored_once_and_only_when_signed() {
    let meta = FakeMeta::start().await;
    let server = server_with(&meta).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya Patel", "whatsapp": "+14155550101"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let view = connect(&server, &owner, "whatsapp").await;
    let webhook = view["webhook_url"].as_str().unwrap().to_string();
    let mut ws = server.live_socket(&owner.cookie).await;
    let inbound = whatsapp_change(json!({
        "contacts": [{"profile": {"name": "Maya P."}, "wa_id": "14155550101"}],
        "messages": [{"from": "14155550101", "id": "wamid.IN1", "timestamp": "1749416383",
                      "type": "text", "text": {"body": "Thursday works!"}}],
    }));
    let stored = || {
        count(
            &server,
            "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'",
        )
    };

    // Unsigned, signed with another secret, or signed over another body: 403, nothing stored.
    let raw = serde_json::to_vec(&inbound).unwrap();
    let unsigned = reqwest::Client::new()
        .post(&webhook)
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    let wrong = post_signed(&webhook, "ffffffffffffffffffffffffffffffff", &inbound).await;
    assert_eq!(wrong.status(), 403);
    let res = reqwest::Client::new()
        .post(&webhook)
        .header(SIGNATURE_HEADER, signature(APP_SECRET, b"{}"))
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(stored().await, 0);
    // Signed but not a webhook body: 400.
    let res = reqwest::Client::new()
        .post(&webhook)
        .header(SIGNATURE_HEADER, signature(APP_SECRET, b"not json"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(stored().await, 0);

    // Signed: joins Maya's timeline live; Meta's redelivery stores nothing more.
    for _ in 0..2 {
        assert_eq!(
            post_signed(&webhook, APP_SECRET, &inbound).await.status(),
            200
        );
    }
    let frame = ws.next_of("messages_updated").await;
    assert_eq!(frame["message"]["lead_id"], lead.as_str());
    assert_eq!(frame["message"]["channel"], "whatsapp");
    assert_eq!(frame["message"]["body"], "Thursday works!");
    assert_eq!(stored().await, 1);

    // A number nobody knows makes a lead named from the WhatsApp profile.
    let photo = meta.serve_media("image/jpeg", vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
    let stranger = whatsapp_change(json!({
        "contacts": [{"profile": {"name": "Olivia Brown"}, "wa_id": "447700900123"}],
        "messages": [{"from": "447700900123", "id": "wamid.IN2", "timestamp": "1749416384",
                      "type": "image", "image": {"id": photo, "mime_type": "image/jpeg", "caption": "Our storefront"}}],
    }));
    assert_eq!(
        post_signed(&webhook, APP_SECRET, &stranger).await.status(),
        200
    );
    let leads: Value = server.get_json(&owner.client, "/api/leads").await;
    let olivia = leads["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Olivia Brown")
        .expect("a lead from the profile name")
        .clone();
    assert_eq!(olivia["whatsapp"], "+447700900123");
    let thread: Value = server
        .get_json(
            &owner.client,
            &format!("/api/messages/{}", olivia["id"].as_str().unwrap()),
        )
        .await;
    // The picture is kept with its caption, shown inline like an email's.
    assert_eq!(thread["messages"][0]["body"], "Our storefront");
    let files = thread["messages"][0]["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{thread}");
    assert_eq!(files[0]["content_type"], "image/jpeg");
    assert_eq!(files[0]["size"], 7);
    // The connection shows when it last heard from Meta.
    let channels: Value = server
        .rpc(&owner.client, "get_channels", &[])
        .await
        .json()
        .await
        .unwrap();
    let whatsapp = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "whatsapp")
        .unwrap();
    assert!(whatsapp["meta"]["last_inbound_at"].is_string());
}

#[tokio::test]
async fn metas_throttling_is_retried_and_its_refusals_fail_with_its_reason() {
    let mut meta = FakeMeta::start().await;
    let server = server_with(&meta).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "whatsapp": "+14155550101"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    connect(&server, &owner, "whatsapp").await;
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Hi!")
        .await;
    let mut ws = server.live_socket(&owner.cookie).await;

    meta.answer_next(&[
        Answer::Error(400, 130429, "Rate limit hit"),
        Answer::Error(500, 131000, "Something went wrong"),
    ]);
    let sent: Value = server
        .send(&owner.client, &lead, message("whatsapp", "First"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    for _ in 0..3 {
        meta.next_request().await;
    }
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;

    // Outside WhatsApp's 24-hour window Meta refuses free text: failed, with Meta's words.
    meta.answer_next(&[Answer::Error(400, 131047, "Re-engagement message")]);
    let sent: Value = server
        .send(&owner.client, &lead, message("whatsapp", "Second"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    meta.next_request().await;
    let failed = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "failed")
        .await;
    assert_eq!(
        failed["status_reason"],
        "Meta error 131047: Re-engagement message"
    );
}

#[tokio::test]
async fn instagram_direct_through_meta_both_ways() {
    let mut meta = FakeMeta::start().await;
    let server = server_with(&meta).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let view = connect(&server, &owner, "instagram").await;
    let webhook = view["webhook_url"].as_str().unwrap().to_string();
    let igsid = "1254477777772919";
    let inbound = json!({"object": "instagram", "entry": [{"id": IG_ACCOUNT_ID, "time": 1569262486134u64, "messaging": [{
        "sender": {"id": igsid}, "recipient": {"id": IG_ACCOUNT_ID}, "timestamp": 1569262485349u64,
        "message": {"mid": "aWdfZAG1faXRlbToxOklH", "text": "Hi! Is this still available?"},
    }]}]});
    assert_eq!(
        post_signed(&webhook, APP_SECRET, &inbound).await.status(),
        200
    );
    let leads: Value = server.get_json(&owner.client, "/api/leads").await;
    let lead = leads["leads"][0].clone();
    assert_eq!(
        lead["instagram"], igsid,
        "the sender's Instagram-scoped id is the address"
    );
    let lead = lead["id"].as_str().unwrap().to_string();
    let mut ws = server.live_socket(&owner.cookie).await;

    let sent: Value = server
        .send(&owner.client, &lead, message("instagram", "Yes, it is!"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    let request = meta.next_request().await;
    assert!(request.authorized);
    assert_eq!(request.account, IG_ACCOUNT_ID);
    assert_eq!(
        request.body,
        json!({"recipient": {"id": igsid}, "message": {"text": "Yes, it is!"}})
    );
    let mid = request.id.unwrap();
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    let seen = json!({"object": "instagram", "entry": [{"id": IG_ACCOUNT_ID, "time": 1569262486134u64, "messaging": [{
        "sender": {"id": igsid}, "recipient": {"id": IG_ACCOUNT_ID}, "timestamp": 1569262485349u64,
        "read": {"mid": mid},
    }]}]});
    assert_eq!(post_signed(&webhook, APP_SECRET, &seen).await.status(), 200);
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "read")
        .await;
}

#[tokio::test]
async fn meta_settings_are_checked_owner_only_and_keep_their_secrets() {
    let mut meta = FakeMeta::start().await;
    let server = server_with(&meta).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let save = |fields: Vec<(&'static str, &'static str)>| {
        let client = owner.client.clone();
        let url = server.url("/rpc/save_meta");
        async move { client.post(url).form(&fields).send().await.unwrap() }
    };
    let base = |account: &'static str, token: &'static str, secret: &'static str| {
        vec![
            ("channel", "whatsapp"),
            ("account_id", account),
            ("access_token", token),
            ("app_secret", secret),
            ("enabled", "on"),
        ]
    };
    for (fields, field) in [
        (base("not-a-number", ACCESS_TOKEN, APP_SECRET), "account_id"),
        (
            base(PHONE_NUMBER_ID, "has spaces in it", APP_SECRET),
            "access_token",
        ),
        (base(PHONE_NUMBER_ID, ACCESS_TOKEN, "short"), "app_secret"),
        (base(PHONE_NUMBER_ID, "", APP_SECRET), "access_token"),
        (base(PHONE_NUMBER_ID, ACCESS_TOKEN, ""), "app_secret"),
    ] {
        let res = save(fields).await;
        assert_eq!(res.status(), 422, "{field}");
        assert_eq!(error_body(res).await["field"], field);
    }
    let res = save(vec![
        ("channel", "sms"),
        ("account_id", PHONE_NUMBER_ID),
        ("access_token", ACCESS_TOKEN),
        ("app_secret", APP_SECRET),
    ])
    .await;
    assert_eq!(res.status(), 422, "Meta does not carry SMS");
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM channel_connections WHERE provider = 'meta'"
        )
        .await,
        0
    );

    let first = connect(&server, &owner, "whatsapp").await;
    // Saved again with the secrets left blank: kept, and the verify token stays the same.
    let res = save(base(PHONE_NUMBER_ID, "", "")).await;
    assert_eq!(res.status(), 200);
    let channels: Value = res.json().await.unwrap();
    let again = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "whatsapp")
        .unwrap();
    assert_eq!(again["meta"]["verify_token"], first["verify_token"]);
    assert_eq!(again["meta"]["webhook_url"], first["webhook_url"]);
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "whatsapp": "+14155550101"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Hello?")
        .await;
    server
        .send(&owner.client, &lead, message("whatsapp", "Hi"))
        .await;
    assert!(
        meta.next_request().await.authorized,
        "the kept token still sends"
    );

    // Teammates cannot change channels.
    let mate = server.teammate(&owner.client, "mate@example.com").await;
    let res = server
        .rpc(
            &mate.client,
            "save_meta",
            &[
                ("channel", "whatsapp"),
                ("account_id", PHONE_NUMBER_ID),
                ("access_token", ACCESS_TOKEN),
                ("app_secret", APP_SECRET),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}
