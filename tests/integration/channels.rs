//! SMS and WhatsApp that really leave (src/server/channels/): through Twilio (a fake that speaks
//! its wire format), or to the sandbox, which is labelled as such and never passes for sent;
//! Twilio's signed webhooks for replies and status reports.
use crate::fake_twilio::{Answer, FakeTwilio, ACCOUNT_SID, AUTH_TOKEN};
use crate::support::on_test_db;
use crate::support::{error_body, message, Session, TestServer};
use leadwire::server::channels::twilio::{signature, SIGNATURE_HEADER};
use serde_json::{json, Value};

pub(crate) async fn server_with(twilio: &FakeTwilio) -> TestServer {
    let base = twilio.base.clone();
    TestServer::start_with(move |s| {
        s.channels.twilio_api_base = base;
        s.channels.retry_base_ms = 20;
        s.channels.max_attempts = 3;
        s.channels.send_timeout_ms = 500;
    })
    .await
}

pub(crate) async fn lead_with_phone(
    server: &TestServer,
    owner: &Session,
    name: &str,
    phone: &str,
) -> String {
    server
        .create_lead(
            &owner.client,
            json!({"name": name, "phone": phone, "whatsapp": phone}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Connects `channel` to the fake Twilio; returns its webhook URL.
pub(crate) async fn connect(
    server: &TestServer,
    owner: &Session,
    channel: &str,
    sender: &str,
) -> String {
    let res = server
        .rpc(
            &owner.client,
            "save_twilio",
            &[
                ("channel", channel),
                ("account_sid", ACCOUNT_SID),
                ("auth_token", AUTH_TOKEN),
                ("sender", sender),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let channels: Value = res.json().await.unwrap();
    let view = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == channel)
        .unwrap();
    assert_eq!(view["route"], "twilio");
    view["twilio"]["webhook_url"].as_str().unwrap().to_string()
}

/// Posts form `params` to `url` as Twilio would, signed with `token` for `signed_url`.
async fn post_signed(
    url: &str,
    signed_url: &str,
    token: &str,
    params: &[(&str, &str)],
) -> reqwest::Response {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    reqwest::Client::new()
        .post(url)
        .header(SIGNATURE_HEADER, signature(token, signed_url, &owned))
        .form(params)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn thread(
    server: &TestServer,
    client: &reqwest::Client,
    lead: &str,
) -> Vec<Value> {
    server
        .get_json(client, &format!("/api/messages/{lead}"))
        .await["messages"]
        .as_array()
        .unwrap()
        .clone()
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    server.db().await.count(sql).await
}

#[tokio::test]
async fn an_sms_through_twilio_is_sent_with_its_id_and_follows_the_status_reports() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+1 (415) 555-0101").await;
    let webhook = connect(&server, &owner, "sms", "+1 415 555 0100").await;
    let mut ws = server.live_socket(&owner.cookie).await;

    let res = server
        .send(
            &owner.client,
            &lead,
            message("sms", "Are you free Thursday?"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sent: Value = res.json().await.unwrap();
    // Stored first, never "sent" before Twilio took it.
    assert_eq!(sent["status"], "queued");
    let id = sent["id"].as_str().unwrap().to_string();

    let request = twilio.next_request().await;
    assert!(request.authorized, "Basic auth with the SID and token");
    assert_eq!(request.account, ACCOUNT_SID);
    assert_eq!(request.field("To"), Some("+14155550101"));
    assert_eq!(request.field("From"), Some("+14155550100"));
    assert_eq!(request.field("Body"), Some("Are you free Thursday?"));
    assert_eq!(
        request.field("StatusCallback"),
        Some(format!("{webhook}?message={id}").as_str())
    );
    let sid = request.sid.clone().unwrap();

    let now_sent = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    assert_eq!(now_sent["delivered_via"], "twilio");

    // Twilio reports delivery through the status callback, signed for its URL.
    let callback = format!("{webhook}?message={id}");
    let report = |status: &'static str| {
        [
            ("MessageSid", sid.clone()),
            ("MessageStatus", status.to_string()),
            ("AccountSid", ACCOUNT_SID.to_string()),
            ("To", "+14155550101".to_string()),
            ("From", "+14155550100".to_string()),
        ]
    };
    let delivered = report("delivered");
    let delivered: Vec<(&str, &str)> = delivered.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_signed(&callback, &callback, AUTH_TOKEN, &delivered).await;
    assert!(res.status().is_success(), "{}", res.status());
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "delivered")
        .await;

    // A late "sent" (reports arrive out of order) moves nothing back.
    let late = report("sent");
    let late: Vec<(&str, &str)> = late.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_signed(&callback, &callback, AUTH_TOKEN, &late).await;
    assert!(res.status().is_success());
    let messages = thread(&server, &owner.client, &lead).await;
    let stored = messages.iter().find(|m| m["id"] == id.as_str()).unwrap();
    assert_eq!(stored["status"], "delivered");
    assert_eq!(stored["delivered_via"], "twilio");
}

#[tokio::test]
async fn a_reply_by_sms_is_stored_once_and_only_when_twilio_signed_it() {
    let twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+1 415 555 0101").await;
    let webhook = connect(&server, &owner, "sms", "+14155550100").await;
    let mut ws = server.live_socket(&owner.cookie).await;
    let inbound = [
        ("MessageSid", "SM11111111111111111111111111111111"),
        ("AccountSid", ACCOUNT_SID),
        ("From", "+14155550101"),
        ("To", "+14155550100"),
        ("Body", "Thursday works!"),
        ("NumMedia", "0"),
    ];
    let stored = || {
        count(
            &server,
            "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'",
        )
    };

    // Refused before anything is stored: no signature, the wrong token, a changed body, a
    // signature made for another URL.
    let unsigned = reqwest::Client::new()
        .post(&webhook)
        .form(&inbound)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    let wrong = post_signed(
        &webhook,
        &webhook,
        "00000000000000000000000000000000",
        &inbound,
    )
    .await;
    assert_eq!(wrong.status(), 403);
    let owned: Vec<(String, String)> = inbound
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut tampered = inbound;
    tampered[4].1 = "Actually, never mind";
    let res = reqwest::Client::new()
        .post(&webhook)
        .header(SIGNATURE_HEADER, signature(AUTH_TOKEN, &webhook, &owned))
        .form(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let elsewhere = format!("{webhook}?replayed=1");
    let res = post_signed(&webhook, &elsewhere, AUTH_TOKEN, &inbound).await;
    assert_eq!(res.status(), 403);
    assert_eq!(stored().await, 0);
    // An unknown key is not found; a signed body without the fields Twilio always sends is 400.
    let unknown = format!("{}/webhooks/twilio/{}", server.base, "ab".repeat(16));
    assert_eq!(
        post_signed(&unknown, &unknown, AUTH_TOKEN, &inbound)
            .await
            .status(),
        404
    );
    let res = post_signed(&webhook, &webhook, AUTH_TOKEN, &[("Body", "hi")]).await;
    assert_eq!(res.status(), 400);
    assert_eq!(stored().await, 0);

    // Signed: joins the lead with that number, live; Twilio's retry is answered 200 and
    // stores nothing more.
    for _ in 0..2 {
        let res = post_signed(&webhook, &webhook, AUTH_TOKEN, &inbound).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/xml");
    }
    let frame = ws.next_of("messages_updated").await;
    assert_eq!(frame["action"], "INSERT");
    assert_eq!(frame["message"]["lead_id"], lead.as_str());
    assert_eq!(frame["message"]["channel"], "sms");
    assert_eq!(frame["message"]["body"], "Thursday works!");
    assert_eq!(stored().await, 1);

    // A number nobody knows makes a lead, named from the WhatsApp profile where there is one.
    let whatsapp = connect(&server, &owner, "whatsapp", "+14155550100").await;
    let res = post_signed(
        &whatsapp,
        &whatsapp,
        AUTH_TOKEN,
        &[
            ("MessageSid", "SM22222222222222222222222222222222"),
            ("AccountSid", ACCOUNT_SID),
            ("From", "whatsapp:+447700900123"),
            ("To", "whatsapp:+14155550100"),
            ("Body", "Hello from London"),
            ("ProfileName", "Olivia Brown"),
            ("NumMedia", "0"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let names = server.lead_names(&owner.client).await;
    assert!(names.contains(&"Olivia Brown".to_string()), "{names:?}");
    let olivia: Value = server.get_json(&owner.client, "/api/leads").await["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Olivia Brown")
        .unwrap()
        .clone();
    assert_eq!(olivia["whatsapp"], "+447700900123");
}

#[tokio::test]
async fn twilios_transient_errors_are_retried_and_its_refusals_fail_with_its_reason() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    connect(&server, &owner, "sms", "+14155550100").await;
    let mut ws = server.live_socket(&owner.cookie).await;

    // Rate-limited, then Twilio's own trouble, then taken: sent once, on the third attempt.
    twilio.answer_next(&[
        Answer::Error(429, 20429, "Too Many Requests"),
        Answer::Error(503, 20500, "Service unavailable"),
    ]);
    let sent: Value = server
        .send(&owner.client, &lead, message("sms", "First"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    for _ in 0..3 {
        twilio.next_request().await;
    }
    let done = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    assert_eq!(done["delivered_via"], "twilio");
    assert_eq!(
        count(&server, "SELECT attempts FROM outbound_queue").await,
        3,
        "three attempts for the one delivery"
    );

    // A number Twilio refuses: failed at once, with Twilio's code and words.
    twilio.answer_next(&[Answer::Error(
        400,
        21211,
        "The 'To' number +14155550101 is not a valid phone number.",
    )]);
    let sent: Value = server
        .send(&owner.client, &lead, message("sms", "Second"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    twilio.next_request().await;
    let failed = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "failed")
        .await;
    assert_eq!(
        failed["status_reason"],
        "Twilio error 21211: The 'To' number +14155550101 is not a valid phone number."
    );
    assert!(failed["delivered_via"].is_null(), "never sent: {failed}");
}

#[tokio::test]
async fn without_a_connection_the_sandbox_takes_the_message_and_says_so() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    // Maya wrote first: WhatsApp's 24-hour window is open for free text.
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Hi, any news?")
        .await;
    let mut ws = server.live_socket(&owner.cookie).await;

    let sent: Value = server
        .send(&owner.client, &lead, message("whatsapp", "Hi Maya"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sent["status"], "queued");
    let id = sent["id"].as_str().unwrap().to_string();
    let taken = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    assert_eq!(
        taken["delivered_via"], "sandbox",
        "never plain sent: {taken}"
    );

    // The sandbox lists it with the lead's WhatsApp address.
    let outbox: Value = server
        .rpc(&owner.client, "list_outbox", &[])
        .await
        .json()
        .await
        .unwrap();
    let held = &outbox["sandbox"][0];
    assert_eq!(held["message"]["id"], id.as_str());
    assert_eq!(held["to"], "whatsapp:+14155550101");

    // Its `status` is the channel's ("sent": taken); `delivered_via` says by whom.
    // The lead's phone reports it delivered, then read: the provider's signed callbacks.
    for status in ["delivered", "read"] {
        let res = server
            .rpc(
                &owner.client,
                "sandbox_report",
                &[("id", id.as_str()), ("status", status)],
            )
            .await;
        assert_eq!(res.status(), 200, "{status}");
        let update = ws
            .next_update(|m| m["id"] == id.as_str() && m["status"] == status)
            .await;
        if status == "read" {
            assert!(update["opened_at"].is_string(), "Read at …: {update}");
        }
    }

    // The lead answers from the sandbox: it arrives through the webhook like any reply.
    let res = server
        .rpc(
            &owner.client,
            "sandbox_reply",
            &[("id", id.as_str()), ("body", "Hi! Yes, let's talk.")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let frame = ws.next_of("messages_updated").await;
    assert_eq!(frame["action"], "INSERT");
    assert_eq!(frame["message"]["direction"], "inbound");
    assert_eq!(frame["message"]["channel"], "whatsapp");
    assert_eq!(frame["message"]["lead_id"], lead.as_str());

    // Switched off, the channel is not connected: a send is refused on `channel`, nothing stored.
    let res = server
        .rpc(
            &owner.client,
            "set_sandbox",
            &[("channel", "whatsapp"), ("on", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let before = thread(&server, &owner.client, &lead).await.len();
    let res = server
        .send(&owner.client, &lead, message("whatsapp", "Anyone there?"))
        .await;
    assert_eq!(res.status(), 422);
    let body = error_body(res).await;
    assert_eq!(body["field"], "channel");
    assert_eq!(
        body["message"],
        "WhatsApp isn't connected — connect it in Settings → Channels."
    );
    assert_eq!(thread(&server, &owner.client, &lead).await.len(), before);
}

#[tokio::test]
async fn twilio_settings_refuse_bad_input_and_never_show_the_token() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let teammate = server.teammate(&owner.client, "rep@example.com").await;
    let save = |sid: &'static str, token: &'static str, sender: &'static str| {
        [
            ("channel", "sms"),
            ("account_sid", sid),
            ("auth_token", token),
            ("sender", sender),
            ("enabled", "on"),
        ]
    };
    for (form, field) in [
        (save("AC123", AUTH_TOKEN, "+14155550100"), "account_sid"),
        (save(ACCOUNT_SID, "short", "+14155550100"), "auth_token"),
        (save(ACCOUNT_SID, AUTH_TOKEN, "555-0100"), "sender"),
        // A new connection needs its token.
        (save(ACCOUNT_SID, "", "+14155550100"), "auth_token"),
    ] {
        let res = server.rpc(&owner.client, "save_twilio", &form).await;
        assert_eq!(res.status(), 422, "{field}");
        assert_eq!(error_body(res).await["field"], field);
    }
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM channel_connections WHERE provider = 'twilio'"
        )
        .await,
        0
    );

    let res = server
        .rpc(
            &teammate.client,
            "save_twilio",
            &save(ACCOUNT_SID, AUTH_TOKEN, "+14155550100"),
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = server
        .rpc(
            &owner.client,
            "save_twilio",
            &save(ACCOUNT_SID, AUTH_TOKEN, "+14155550100"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let text = server
        .rpc(&owner.client, "get_channels", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !text.contains(AUTH_TOKEN),
        "the token is write-only: {text}"
    );
    assert!(!text.contains("v1:"), "nor sealed: {text}");
    let stored: String = {
        on_test_db!(&server.db().await, |p, q| sqlx::query_scalar(q(
            "SELECT secret_sealed FROM channel_connections WHERE provider = 'twilio'"
        ))
        .fetch_one(p)
        .await
        .unwrap())
    };
    assert!(!stored.contains(AUTH_TOKEN), "sealed at rest");
    // Saved again without a token: the stored one is kept, and sends use it.
    let res = server
        .rpc(
            &owner.client,
            "save_twilio",
            &save(ACCOUNT_SID, "", "+14155550199"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    let res = server
        .send(&owner.client, &lead, message("sms", "Hi"))
        .await;
    assert_eq!(res.status(), 201);
    let request = twilio.next_request().await;
    assert!(request.authorized, "the kept token authenticates");
    assert_eq!(request.field("From"), Some("+14155550199"));
    // Another account's connection needs that account's token.
    let res = server
        .rpc(
            &owner.client,
            "save_twilio",
            &save("ACffffffffffffffffffffffffffffffff", "", "+14155550199"),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "auth_token");
    let teammate_view: Value = server
        .rpc(&teammate.client, "get_channels", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(teammate_view.is_null(), "only the owner sees connections");
}

#[tokio::test]
async fn a_status_report_that_overtakes_twilios_answer_records_the_send() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    let webhook = connect(&server, &owner, "sms", "+14155550100").await;
    let mut ws = server.live_socket(&owner.cookie).await;
    // Twilio takes the message, but its answer never comes (lost, or the server died waiting).
    twilio.answer_next(&[Answer::TakeAndStall]);
    let sent: Value = server
        .send(&owner.client, &lead, message("sms", "Hello?"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    let request = twilio.next_request().await;
    let sid = request.sid.clone().unwrap();
    let callback = request.field("StatusCallback").unwrap().to_string();
    assert_eq!(callback, format!("{webhook}?message={id}"));

    // Its status callback names our message in the URL it signed: the send is recorded.
    let res = post_signed(
        &callback,
        &callback,
        AUTH_TOKEN,
        &[
            ("MessageSid", &sid),
            ("MessageStatus", "sent"),
            ("AccountSid", ACCOUNT_SID),
            ("To", "+14155550101"),
            ("From", "+14155550100"),
        ],
    )
    .await;
    assert!(res.status().is_success());
    let now_sent = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    assert_eq!(now_sent["delivered_via"], "twilio");
    // Recorded with Twilio's id, so the lease running out sends nothing again.
    let (provider_id, sent_at): (Option<String>, Option<chrono::DateTime<chrono::Utc>>) =
        on_test_db!(&server.db().await, |p, q| sqlx::query_as(q(
            "SELECT d.provider_message_id, q.sent_at FROM deliveries d \
             JOIN outbound_queue q ON q.message_id = d.message_id"
        ))
        .fetch_one(p)
        .await
        .unwrap());
    assert_eq!(provider_id.as_deref(), Some(sid.as_str()));
    assert!(sent_at.is_some());

    // The worker's wait for Twilio's answer runs out (0.5 s here): that attempt did not fail,
    // and the message is not tried again. The worker takes one delivery at a time, so the next
    // message reaching Twilio means the first attempt is over.
    let next: Value = server
        .send(&owner.client, &lead, message("sms", "Second"))
        .await
        .json()
        .await
        .unwrap();
    let request = twilio.next_request().await;
    assert_eq!(request.field("Body"), Some("Second"));
    ws.next_update(|m| m["id"] == next["id"] && m["status"] == "sent")
        .await;
    let messages = thread(&server, &owner.client, &lead).await;
    let first = messages.iter().find(|m| m["id"] == id.as_str()).unwrap();
    assert_eq!(first["status"], "sent", "{first}");
    assert!(first["status_reason"].is_null(), "{first}");
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM outbound_queue WHERE attempts > 1"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_connection_switched_off_sends_nothing_more() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    connect(&server, &owner, "sms", "+14155550100").await;
    let mut ws = server.live_socket(&owner.cookie).await;
    // The first attempt hangs (Twilio never took it); while it does, the owner switches the
    // connection off.
    twilio.answer_next(&[Answer::Stall]);
    let sent: Value = server
        .send(&owner.client, &lead, message("sms", "Hello?"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    twilio.next_request().await;
    let res = server
        .rpc(
            &owner.client,
            "save_twilio",
            &[
                ("channel", "sms"),
                ("account_sid", ACCOUNT_SID),
                ("auth_token", ""),
                ("sender", "+14155550100"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let failed = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "failed")
        .await;
    assert_eq!(
        failed["status_reason"],
        "The twilio connection was switched off before this message left. Send it again."
    );
    assert_eq!(
        count(&server, "SELECT MAX(attempts) FROM outbound_queue").await,
        2
    );
}

#[tokio::test]
async fn an_instagram_reply_from_the_sandbox_finds_the_lead_by_handle() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya Patel", "instagram": "@maya.patel"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    server
        .lead_wrote(&owner.client, &lead, "instagram", "Do you ship abroad?")
        .await;
    let mut ws = server.live_socket(&owner.cookie).await;
    let sent: Value = server
        .send(
            &owner.client,
            &lead,
            message("instagram", "Loved your post!"),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    let res = server
        .rpc(
            &owner.client,
            "sandbox_reply",
            &[("id", id.as_str()), ("body", "Thank you!")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let frame = ws.next_of("messages_updated").await;
    assert_eq!(frame["message"]["body"], "Thank you!");
    assert_eq!(
        frame["message"]["lead_id"],
        lead.as_str(),
        "the dot in the handle is kept"
    );
    assert_eq!(server.lead_names(&owner.client).await.len(), 1);
}

#[tokio::test]
async fn a_report_for_a_send_we_gave_up_on_corrects_the_failure() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    connect(&server, &owner, "sms", "+14155550100").await;
    let mut ws = server.live_socket(&owner.cookie).await;
    // Twilio never answers, and its message list does not show the message (yet): after
    // three attempts, we give up.
    twilio.answer_next(&[Answer::Stall, Answer::Stall, Answer::Stall]);
    let sent: Value = server
        .send(&owner.client, &lead, message("sms", "Anyone?"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    let first = twilio.next_request().await;
    let failed = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "failed")
        .await;
    assert!(
        failed["status_reason"]
            .as_str()
            .unwrap()
            .starts_with("Gave up after 3 attempts: Twilio did not answer"),
        "{failed}"
    );
    // Twilio did deliver it after all: its report (the callback URL names our message) puts
    // the thread right.
    let callback = first.field("StatusCallback").unwrap().to_string();
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let res = post_signed(
        &callback,
        &callback,
        AUTH_TOKEN,
        &[
            ("MessageSid", &sid),
            ("MessageStatus", "delivered"),
            ("AccountSid", ACCOUNT_SID),
        ],
    )
    .await;
    assert!(res.status().is_success());
    let delivered = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "delivered")
        .await;
    assert_eq!(delivered["delivered_via"], "twilio");
    assert!(delivered["status_reason"].is_null(), "{delivered}");
}

#[tokio::test]
async fn a_failed_sms_is_retried_on_the_channels_route_as_it_is_now() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    connect(&server, &owner, "sms", "+14155550100").await;
    let mut ws = server.live_socket(&owner.cookie).await;
    twilio.answer_next(&[Answer::Error(
        400,
        21610,
        "Attempt to send to unsubscribed recipient",
    )]);
    let sent: Value = server
        .send(&owner.client, &lead, message("sms", "Still interested?"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    twilio.next_request().await;
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "failed")
        .await;
    let retry = |server: &TestServer| {
        owner
            .client
            .post(server.url(&format!("/api/messages/{lead}/{id}/retry")))
            .send()
    };

    // Retried: Twilio takes it this time.
    let res = retry(&server).await.unwrap();
    assert_eq!(res.status(), 200);
    let queued: Value = res.json().await.unwrap();
    assert_eq!(queued["status"], "queued");
    let again = twilio.next_request().await;
    assert_eq!(again.field("Body"), Some("Still interested?"));
    let done = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    assert_eq!(done["delivered_via"], "twilio");
    // Only a failed message can be retried.
    assert_eq!(retry(&server).await.unwrap().status(), 409);

    // Failed again after the owner switched Twilio off: the retry goes where SMS goes now,
    // the sandbox.
    let report = [
        ("MessageSid", again.sid.clone().unwrap()),
        ("MessageStatus", "undelivered".to_string()),
        ("ErrorCode", "30003".to_string()),
        ("AccountSid", ACCOUNT_SID.to_string()),
    ];
    let report: Vec<(&str, &str)> = report.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let callback = again.field("StatusCallback").unwrap().to_string();
    assert!(post_signed(&callback, &callback, AUTH_TOKEN, &report)
        .await
        .status()
        .is_success());
    let failed = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "failed")
        .await;
    assert_eq!(
        failed["status_reason"],
        "Twilio reported undelivered (error 30003: the handset is unreachable)."
    );
    let res = server
        .rpc(
            &owner.client,
            "save_twilio",
            &[
                ("channel", "sms"),
                ("account_sid", ACCOUNT_SID),
                ("auth_token", ""),
                ("sender", "+14155550100"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(retry(&server).await.unwrap().status(), 200);
    let sandboxed = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    assert_eq!(sandboxed["delivered_via"], "sandbox");

    // With the sandbox off as well, SMS is not connected: the thread's composer is told.
    let res = server
        .rpc(
            &owner.client,
            "set_sandbox",
            &[("channel", "sms"), ("on", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let thread: Value = server
        .rpc(&owner.client, "get_thread", &[("lead_id", lead.as_str())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(thread["unconnected"], json!(["sms"]));
}

#[tokio::test]
async fn each_channel_refuses_what_it_cannot_carry_before_storing_it() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Hi")
        .await;
    for (channel, max) in [("whatsapp", 4_096), ("sms", 1_600)] {
        let res = server
            .send(&owner.client, &lead, message(channel, &"a".repeat(max + 1)))
            .await;
        assert_eq!(res.status(), 422, "{channel}");
        let body = error_body(res).await;
        assert_eq!(body["field"], "body");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains(&format!("at most {max} characters")),
            "{body}"
        );
        let res = server
            .send(&owner.client, &lead, message(channel, &"a".repeat(max)))
            .await;
        assert_eq!(res.status(), 201, "{channel} at its limit");
    }
    assert_eq!(thread(&server, &owner.client, &lead).await.len(), 3);
    // A lead's own long message (an integration recording it) is not the channel's send limit.
    let mut inbound = message("sms", &"b".repeat(2_000));
    inbound["direction"] = json!("inbound");
    assert_eq!(
        server.send(&owner.client, &lead, inbound).await.status(),
        201
    );
}

/// A WhatsApp template through Twilio goes by its Content SID, with the parameters as Twilio's
/// `ContentVariables`, not as free text (which Twilio refuses outside the 24-hour window). A
/// template without one is refused before anything is stored, saying where to add it.
#[tokio::test]
async fn a_whatsapp_template_through_twilio_goes_by_its_content_sid() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+1 415 555 0101").await;
    connect(&server, &owner, "whatsapp", "+1 415 555 0100").await;
    let template = |sid: &'static str| {
        vec![
            ("name", "follow_up"),
            ("language", "en_US"),
            ("body", "Hi {{1}}, about {{2}}: is now a good time?"),
            ("twilio_content_sid", sid),
        ]
    };
    let send = || {
        let mut m = message("whatsapp", "");
        m["template"] = json!("follow_up");
        m["template_language"] = json!("en_US");
        m["template_params"] = json!(["Maya", "the quote"]);
        m
    };
    let res = server
        .rpc(&owner.client, "save_template", &template(""))
        .await;
    assert_eq!(res.status(), 200);

    // Without its Content SID: refused, nothing stored, nothing sent.
    let res = server.send(&owner.client, &lead, send()).await;
    assert_eq!(res.status(), 422);
    let body = error_body(res).await;
    assert_eq!(body["field"], "template");
    assert!(
        body["message"].as_str().unwrap().contains("Content SID"),
        "{body}"
    );
    assert!(thread(&server, &owner.client, &lead).await.is_empty());

    // A SID that is not one is a field error; a real one is kept and shown.
    let res = server
        .rpc(&owner.client, "save_template", &template("HX12"))
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "twilio_content_sid");
    let sid = "HXb5b62575e6e4ff6129ad7c8efe1f983e";
    let res = server
        .rpc(&owner.client, "save_template", &template(sid))
        .await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved[0]["twilio_content_sid"], sid);

    let res = server.send(&owner.client, &lead, send()).await;
    assert_eq!(res.status(), 201);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(
        sent["body"],
        "Hi Maya, about the quote: is now a good time?"
    );
    let request = twilio.next_request().await;
    assert_eq!(request.field("To"), Some("whatsapp:+14155550101"));
    assert_eq!(request.field("ContentSid"), Some(sid));
    let variables: Value =
        serde_json::from_str(request.field("ContentVariables").unwrap()).unwrap();
    assert_eq!(variables, json!({"1": "Maya", "2": "the quote"}));
    assert_eq!(
        request.field("Body"),
        None,
        "no free text beside the template"
    );
}
