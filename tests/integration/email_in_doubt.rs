//! An email whose outcome is unknown — the relay took its data and then went silent, or the
//! server died waiting for the relay's answer — is in doubt. An SMTP relay cannot be asked
//! whether it took a message, so such an email is not sent again but shown failed, with why;
//! failures before the data left (and refusals the relay answered) are retried as before.
use crate::email::{email, lead_with_email, relay};
use crate::support::{ServerProcess, SmtpSink, TestServer};
use serde_json::{json, Value};

/// A lead with an email address, created through the API of a server process.
#[tokio::test]
async fn a_relay_that_goes_silent_after_the_data_is_not_sent_to_again() {
    let mut sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(|s| {
        s.mail.relay = Some(relay(port));
        s.mail.smtp_timeout_ms = 500;
        s.mail.retry_base_ms = 20;
    })
    .await;
    let session = server.session("ada@example.com", "Acme").await;
    let lead = lead_with_email(&server, &session.client, "stall@example.com").await;
    let mut ws = server.live_socket(&session.cookie).await;
    let sent: Value = server
        .send(&session.client, &lead, email("Hello", "Hi Maya"))
        .await
        .json()
        .await
        .unwrap();
    // The relay has the whole message and never answers; the wait runs out (0.5 s).
    let taken = sink.next_mail().await;
    assert_eq!(taken["stalled"], true);
    let failed = ws.next_update(|m| m["id"] == sent["id"]).await;
    assert_eq!(failed["status"], "failed", "not retried: {failed}");
    let reason = failed["status_reason"].as_str().unwrap();
    assert!(reason.contains("may or may not have arrived"), "{reason}");
    assert!(reason.contains("Retry"), "{reason}");

    // Nothing went out again: the next mail the relay sees is the next email.
    let other = lead_with_email(&server, &session.client, "nina@example.com").await;
    server
        .send(&session.client, &other, email("Second", "Hi Nina"))
        .await;
    let next = sink.next_mail().await;
    assert_eq!(next["headers"]["subject"], "Second");
    assert!(next.get("stalled").is_none());
}

#[tokio::test]
async fn a_relay_that_answers_451_after_the_data_is_retried() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(|s| {
        s.mail.relay = Some(relay(port));
        s.mail.max_attempts = 2;
        s.mail.retry_base_ms = 20;
    })
    .await;
    let session = server.session("ada@example.com", "Acme").await;
    let lead = lead_with_email(&server, &session.client, "defer@example.com").await;
    let mut ws = server.live_socket(&session.cookie).await;
    let sent: Value = server
        .send(&session.client, &lead, email("Hello", "Hi"))
        .await
        .json()
        .await
        .unwrap();
    // The relay answered: it did not take the message, so trying again is safe.
    let retrying = ws
        .next_update(|m| m["id"] == sent["id"] && m["status"] == "queued")
        .await;
    let reason = retrying["status_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("Attempt 1 of 2 failed, retrying"),
        "{reason}"
    );
    assert!(reason.contains("451"), "{reason}");
    let failed = ws
        .next_update(|m| m["id"] == sent["id"] && m["status"] == "failed")
        .await;
    let reason = failed["status_reason"].as_str().unwrap();
    assert!(reason.starts_with("Gave up after 2 attempts"), "{reason}");
}

#[tokio::test]
async fn kill_9_while_the_relay_holds_the_email_then_restart_does_not_send_it_twice() {
    let mut sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = sink.port.to_string();
    let env = [
        ("LEADWIRE_SMTP_HOST", "127.0.0.1"),
        ("LEADWIRE_SMTP_PORT", port.as_str()),
        ("LEADWIRE_SMTP_SECURITY", "none"),
        // The worker waits for the relay's answer far longer than the test takes to kill it.
        ("LEADWIRE_SMTP_TIMEOUT_MS", "60000"),
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
            json!({"name": "Maya Patel", "email": "stall@example.com"}),
        )
        .await;
    let res = client
        .post(server.url(&format!("/api/messages/{lead}")))
        .json(&json!({"channel": "email", "subject": "Hello", "body": "Hello?", "client_id": uuid::Uuid::new_v4().to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // The relay has the data; the worker is waiting for its answer when the server dies.
    assert_eq!(sink.next_mail().await["stalled"], true);
    server.kill_9().await;

    // The lease would run out in ten minutes: the test moves it to now.
    let pool = server.db().await;
    pool.expire_leases().await;
    let restarted = ServerProcess::start(&dir, &env).await;
    let settled = restarted.first_message_settled(&client, &lead).await;
    assert_eq!(settled["status"], "failed", "{settled}");
    let reason = settled["status_reason"].as_str().unwrap();
    assert!(reason.contains("may or may not have arrived"), "{reason}");

    // It was not sent again: the next mail the relay sees is the next email.
    let other = restarted
        .create_lead(
            &client,
            json!({"name": "Maya Patel", "email": "nina@example.com"}),
        )
        .await;
    let res = client
        .post(restarted.url(&format!("/api/messages/{other}")))
        .json(&json!({"channel": "email", "subject": "Second", "body": "Hi", "client_id": uuid::Uuid::new_v4().to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let next = sink.next_mail().await;
    assert_eq!(next["headers"]["subject"], "Second");
}
