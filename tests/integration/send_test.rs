//! "Send test" in Settings → Channels: one message straight through a saved connection, shown
//! as the provider answered it, stored in no thread; owner only.
use crate::fake_meta::{self, FakeMeta};
use crate::fake_twilio::{self, FakeTwilio};
use crate::support::{error_body, TestServer};
use serde_json::Value;

#[tokio::test]
async fn a_test_message_goes_straight_to_the_provider_and_says_what_it_answered() {
    let mut twilio = FakeTwilio::start().await;
    let mut meta = FakeMeta::start().await;
    let (twilio_base, meta_base) = (twilio.base.clone(), meta.base.clone());
    let server = TestServer::start_with(move |s| {
        s.channels.twilio_api_base = twilio_base;
        s.channels.meta_graph_base = meta_base;
    })
    .await;
    let owner = server.session("owner@example.com", "Acme").await;
    let test = |channel: &'static str, provider: &'static str, to: &'static str| {
        let client = owner.client.clone();
        let url = server.url("/rpc/send_test");
        async move {
            client
                .post(url)
                .form(&[("channel", channel), ("provider", provider), ("to", to)])
                .send()
                .await
                .unwrap()
        }
    };
    // Nothing saved yet: nothing to test.
    assert_eq!(test("sms", "twilio", "+14155550101").await.status(), 404);

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
    assert_eq!(res.status(), 200);
    let res = test("sms", "twilio", "not a number").await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "to");

    let res = test("sms", "twilio", "+1 415 555 0101").await;
    assert_eq!(res.status(), 200);
    let outcome: Value = res.json().await.unwrap();
    let request = twilio.next_request().await;
    assert_eq!(request.field("To"), Some("+14155550101"));
    assert!(request
        .field("Body")
        .unwrap()
        .starts_with("Test message from Leadwire"));
    assert_eq!(outcome["sent"], true);
    let sid = request.sid.unwrap();
    assert_eq!(outcome["detail"], format!("Sent: Twilio took it as {sid}."));

    // WhatsApp through Meta: Meta's own hello_world template (free text needs a conversation).
    fake_meta::connect(&server, &owner, "whatsapp").await;
    let outcome: Value = test("whatsapp", "meta", "+44 7700 900123")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outcome["sent"], true);
    let request = meta.next_request().await;
    assert_eq!(request.body["to"], "447700900123");
    assert_eq!(request.body["type"], "template");
    assert_eq!(request.body["template"]["name"], "hello_world");

    // A refusal is shown in the provider's words and, being about the connection, as its health.
    meta.answer_next(&[fake_meta::Answer::Error(
        401,
        190,
        "Error validating access token: Session has expired.",
    )]);
    let outcome: Value = test("whatsapp", "meta", "+447700900123")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outcome["sent"], false);
    assert_eq!(
        outcome["detail"],
        "Meta error 190: Error validating access token: Session has expired."
    );
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
    assert_eq!(whatsapp["meta"]["last_error"], outcome["detail"]);

    // No thread holds a test message.
    let stored = server
        .db()
        .await
        .count("SELECT COUNT(*) FROM messages")
        .await;
    assert_eq!(stored, 0);

    // Teammates cannot send tests.
    let mate = server.teammate(&owner.client, "rep@example.com").await;
    let res = server
        .rpc(
            &mate.client,
            "send_test",
            &[
                ("channel", "sms"),
                ("provider", "twilio"),
                ("to", "+14155550101"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}
