//! A send whose outcome is unknown — Twilio's answer never came, or the server died waiting for
//! it — is in doubt: before trying again the worker asks Twilio for the messages it has for that
//! number, and records the one it finds instead of sending it a second time. Meta cannot be
//! asked, so a message in doubt there is not sent again but shown failed, with why.
use crate::channels::{connect, lead_with_phone, server_with, thread};
use crate::fake_meta::FakeMeta;
use crate::fake_twilio::{Answer, FakeTwilio, ACCOUNT_SID, AUTH_TOKEN};
use crate::support::on_test_db;
use crate::support::{message, ServerProcess};
use serde_json::{json, Value};

#[tokio::test]
async fn an_answer_that_never_came_is_found_at_twilio_and_the_lead_gets_the_message_once() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    connect(&server, &owner, "sms", "+14155550100").await;
    let mut ws = server.live_socket(&owner.cookie).await;
    // Twilio takes the message but its answer never comes; no status report either.
    twilio.answer_next(&[Answer::TakeAndStall]);
    let sent: Value = server
        .send(&owner.client, &lead, message("sms", "Hello?"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    let sid = twilio.next_request().await.sid.expect("taken");

    // The wait runs out (0.5 s); the next attempt asks Twilio first and finds it.
    let now_sent = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    assert_eq!(now_sent["delivered_via"], "twilio");
    assert!(twilio.lookups() >= 1, "Twilio was asked");
    let pool = server.db().await;
    let recorded: Option<String> = on_test_db!(&pool, |p, q| sqlx::query_scalar(q(
        "SELECT provider_message_id FROM deliveries"
    ))
    .fetch_one(p)
    .await
    .unwrap());
    assert_eq!(recorded.as_deref(), Some(sid.as_str()));
    // It was not sent again: the next send Twilio sees is the next message.
    server
        .send(&owner.client, &lead, message("sms", "Second"))
        .await;
    assert_eq!(twilio.next_request().await.field("Body"), Some("Second"));
}

#[tokio::test]
async fn a_send_twilio_never_took_is_sent_again_after_asking() {
    let mut twilio = FakeTwilio::start().await;
    let server = server_with(&twilio).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = lead_with_phone(&server, &owner, "Maya Patel", "+14155550101").await;
    connect(&server, &owner, "sms", "+14155550100").await;
    // An earlier message to the same number, already recorded: never mistaken for this one.
    server
        .send(&owner.client, &lead, message("sms", "Hello?"))
        .await;
    twilio.next_request().await;
    let mut ws = server.live_socket(&owner.cookie).await;
    // The request hangs and Twilio never takes the message.
    twilio.answer_next(&[Answer::Stall]);
    let sent: Value = server
        .send(&owner.client, &lead, message("sms", "Hello?"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    assert!(twilio.next_request().await.sid.is_none());

    let again = twilio.next_request().await;
    assert_eq!(again.field("Body"), Some("Hello?"));
    assert!(
        twilio.lookups() >= 1,
        "Twilio was asked before sending again"
    );
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    let messages = thread(&server, &owner.client, &lead).await;
    assert_eq!(
        messages.iter().filter(|m| m["status"] == "sent").count(),
        2,
        "{messages:?}"
    );
    assert!(twilio.unseen_request().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_twilio_holds_the_message_then_restart_sends_it_once() {
    let mut twilio = FakeTwilio::start().await;
    let dir = tempfile::tempdir().unwrap();
    let base = twilio.base.clone();
    let env = [
        ("LEADWIRE_TWILIO_API_BASE", base.as_str()),
        // The worker waits for Twilio's answer far longer than the test takes to kill it.
        ("LEADWIRE_CHANNEL_SEND_TIMEOUT_MS", "60000"),
    ];
    let server = ServerProcess::start(&dir, &env).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(server.url("/api/auth/signup"))
        .json(&json!({"name": "Owner", "email": "owner@example.com", "password": "correct horse", "workspace": "Acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let lead = server
        .create_lead(
            &client,
            json!({"name": "Maya Patel", "phone": "+14155550101"}),
        )
        .await;
    let res = client
        .post(server.url("/rpc/save_twilio"))
        .form(&[
            ("channel", "sms"),
            ("account_sid", ACCOUNT_SID),
            ("auth_token", AUTH_TOKEN),
            ("sender", "+14155550100"),
            ("enabled", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    twilio.answer_next(&[Answer::TakeAndStall]);
    let res = client
        .post(server.url(&format!("/api/messages/{lead}")))
        .json(&message("sms", "Hello?"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // Twilio has it; the worker is waiting for the answer when the server dies.
    let sid = twilio.next_request().await.sid.expect("taken");
    server.kill_9().await;

    // The lease would run out in five minutes: the test moves it to now.
    let pool = server.db().await;
    pool.expire_leases().await;
    let restarted = ServerProcess::start(&dir, &env).await;
    let settled = restarted.first_message_settled(&client, &lead).await;
    assert_eq!(settled["status"], "sent", "{settled}");
    let recorded: Option<String> = on_test_db!(&pool, |p, q| sqlx::query_scalar(q(
        "SELECT provider_message_id FROM deliveries"
    ))
    .fetch_one(p)
    .await
    .unwrap());
    assert_eq!(recorded.as_deref(), Some(sid.as_str()));
    assert!(twilio.lookups() >= 1, "Twilio was asked");
    assert!(twilio.unseen_request().is_none(), "sent once");
}

#[tokio::test]
async fn a_whatsapp_message_in_doubt_at_meta_is_not_sent_again_but_shown_failed_with_why() {
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
    crate::fake_meta::connect(&server, &owner, "whatsapp").await;
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Hi!")
        .await;
    let mut ws = server.live_socket(&owner.cookie).await;
    meta.answer_next(&[crate::fake_meta::Answer::Stall]);
    let sent: Value = server
        .send(&owner.client, &lead, message("whatsapp", "Thursday?"))
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    meta.next_request().await;

    let failed = ws
        .next_update(|m| m["id"] == id.as_str() && m["status"] == "failed")
        .await;
    let reason = failed["status_reason"].as_str().unwrap();
    assert!(reason.contains("may or may not have arrived"), "{reason}");
    assert!(meta.unseen_request().is_none(), "not sent again");

    // Retry is the sender's choice, and sends it.
    let res = owner
        .client
        .post(server.url(&format!("/api/messages/{lead}/{id}/retry")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(meta.next_request().await.id.is_some());
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
}
