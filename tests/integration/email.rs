//! Email delivery against a real SMTP server: both parts, threading headers, tracked links and
//! the pixel; retries with backoff when the relay is down; the local outbox without a relay.
use crate::support::{free_port, SmtpSink, TestServer};
use leadwire::model::error::AppError;
use leadwire::server::settings::{SmtpRelay, SmtpSecurity};
use serde_json::{json, Value};

pub(crate) fn relay(port: u16) -> SmtpRelay {
    SmtpRelay {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
    }
}

pub(crate) fn email(subject: &str, body: &str) -> Value {
    json!({"channel": "email", "subject": subject, "body": body, "client_id": uuid::Uuid::new_v4().to_string()})
}

pub(crate) async fn lead_with_email(
    server: &TestServer,
    client: &reqwest::Client,
    address: &str,
) -> String {
    let lead = server
        .create_lead(client, json!({"name": "Maya Patel", "email": address}))
        .await;
    lead["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn email_arrives_over_smtp_with_both_parts_tracking_and_threading() {
    let mut sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(|s| s.mail.relay = Some(relay(port))).await;
    let session = server.session("ada@example.com", "Acme").await;
    let lead = lead_with_email(&server, &session.client, "maya@example.com").await;
    let mut ws = server.live_socket(&session.cookie).await;

    let res = server
        .send(
            &session.client,
            &lead,
            email(
                "Pricing",
                "Hi Maya,\n\nOur plans: https://example.com/pricing?plan=team.",
            ),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(
        sent["status"], "queued",
        "email is stored first, then delivered"
    );

    let mail = sink.next_mail().await;
    assert_eq!(mail["rcpt_tos"], json!(["maya@example.com"]));
    assert_eq!(mail["content_type"], "multipart/alternative");
    let headers = &mail["headers"];
    assert_eq!(headers["subject"], "Pricing");
    assert_eq!(headers["from"], "Leadwire <no-reply@leadwire.localhost>");
    assert_eq!(headers["to"], "Maya Patel <maya@example.com>");
    let first_id = headers["message-id"].as_str().unwrap().to_string();
    assert!(
        first_id.starts_with('<') && first_id.ends_with("@leadwire.localhost>"),
        "{first_id}"
    );
    assert!(
        headers.get("in-reply-to").is_none(),
        "the first email starts the thread"
    );
    assert!(mail["text"]
        .as_str()
        .unwrap()
        .contains("https://example.com/pricing?plan=team"));
    let html = mail["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("{}/t/c/", server.base)),
        "links are rewritten: {html}"
    );
    assert!(
        !html.contains("href=\"https://example.com/pricing"),
        "{html}"
    );
    assert!(
        html.contains(&format!("{}/t/o/", server.base)),
        "the pixel is there: {html}"
    );

    let delivered = ws
        .next_update(|m| m["id"] == sent["id"] && m["status"] == "sent")
        .await;
    assert!(delivered["status_reason"].is_null());

    // The second email to the same lead continues the thread in their mail client.
    server
        .send(
            &session.client,
            &lead,
            email("Re: Pricing", "Any questions?"),
        )
        .await;
    let reply = sink.next_mail().await;
    assert_eq!(reply["headers"]["in-reply-to"], first_id.as_str());
    assert!(reply["headers"]["references"]
        .as_str()
        .unwrap()
        .contains(&first_id));
}

#[tokio::test]
async fn a_relay_that_is_down_is_retried_then_the_email_fails_with_the_reason() {
    let closed = free_port();
    let server = TestServer::start_with(|s| {
        s.mail.relay = Some(relay(closed));
        s.mail.max_attempts = 3;
        s.mail.retry_base_ms = 20;
    })
    .await;
    let session = server.session("ada@example.com", "Acme").await;
    let lead = lead_with_email(&server, &session.client, "maya@example.com").await;
    let mut ws = server.live_socket(&session.cookie).await;
    let sent: Value = server
        .send(&session.client, &lead, email("Hello", "Hi"))
        .await
        .json()
        .await
        .unwrap();

    let retrying = ws
        .next_update(|m| m["id"] == sent["id"] && m["status"] == "queued")
        .await;
    assert!(
        retrying["status_reason"]
            .as_str()
            .unwrap()
            .starts_with("Attempt 1 of 3 failed, retrying"),
        "{retrying}"
    );
    let failed = ws
        .next_update(|m| m["id"] == sent["id"] && m["status"] == "failed")
        .await;
    let reason = failed["status_reason"].as_str().unwrap();
    assert!(reason.starts_with("Gave up after 3 attempts"), "{reason}");
    assert!(
        reason.contains("Could not reach the mail server"),
        "{reason}"
    );

    // Retrying from the thread queues it again (and it fails again: the relay is still down).
    let retry = session
        .client
        .post(server.url(&format!(
            "/api/messages/{lead}/{}/retry",
            sent["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 200);
    let queued: Value = retry.json().await.unwrap();
    assert_eq!(queued["status"], "queued");
    assert!(queued["status_reason"].is_null());
    ws.next_update(|m| m["id"] == sent["id"] && m["status"] == "failed")
        .await;
}

#[tokio::test]
async fn a_rejected_recipient_fails_at_once_without_retries() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(|s| s.mail.relay = Some(relay(port))).await;
    let session = server.session("ada@example.com", "Acme").await;
    let lead = lead_with_email(&server, &session.client, "reject-me@example.com").await;
    let mut ws = server.live_socket(&session.cookie).await;
    let sent: Value = server
        .send(&session.client, &lead, email("Hello", "Hi"))
        .await
        .json()
        .await
        .unwrap();
    let failed = ws.next_update(|m| m["id"] == sent["id"]).await;
    assert_eq!(failed["status"], "failed", "a 5xx is final: {failed}");
    let reason = failed["status_reason"].as_str().unwrap();
    assert!(reason.contains("550"), "{reason}");
    assert!(reason.contains("refused"), "{reason}");
}

#[tokio::test]
async fn only_failed_emails_can_be_retried() {
    let server = TestServer::start().await;
    let session = server.session("ada@example.com", "Acme").await;
    let lead = lead_with_email(&server, &session.client, "maya@example.com").await;
    let sms_lead = server
        .create_lead(
            &session.client,
            json!({"name": "Sam", "phone": "+14155550100"}),
        )
        .await;
    let sms_lead = sms_lead["id"].as_str().unwrap();
    let sms: Value = server
        .send(
            &session.client,
            sms_lead,
            json!({"channel": "sms", "body": "Hi", "client_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let url = |lead: &str, id: &str| server.url(&format!("/api/messages/{lead}/{id}/retry"));
    let res = session
        .client
        .post(url(sms_lead, sms["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    // An SMS has a delivery too (issue 14): one that did not fail is not retried.
    assert_eq!(res.status(), 409, "only a failed SMS is retried");
    let chat: Value = server
        .send(
            &session.client,
            sms_lead,
            json!({"channel": "chat", "body": "Hi", "client_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let res = session
        .client
        .post(url(sms_lead, chat["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "website chat has no delivery to retry");
    let mut ws = server.live_socket(&session.cookie).await;
    let sent: Value = server
        .send(&session.client, &lead, email("Hello", "Hi"))
        .await
        .json()
        .await
        .unwrap();
    ws.next_update(|m| m["id"] == sent["id"] && m["status"] == "sent")
        .await;
    let res = session
        .client
        .post(url(&lead, sent["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = session
        .client
        .post(url(&lead, "not-a-uuid"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn without_a_relay_mail_lands_in_the_outbox_of_its_workspace_only() {
    let server = TestServer::start().await;
    let session = server.session("ada@example.com", "Acme").await;
    let lead = lead_with_email(&server, &session.client, "maya@example.com").await;
    let mut ws = server.live_socket(&session.cookie).await;
    let sent: Value = server
        .send(
            &session.client,
            &lead,
            email(
                "Welcome",
                "Hello <b>Maya</b>, see https://example.com/start",
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap();
    ws.next_update(|m| m["id"] == sent["id"] && m["status"] == "sent")
        .await;

    let res = server.rpc(&session.client, "list_outbox", &[]).await;
    assert_eq!(res.status(), 200);
    let outbox: Value = res.json().await.unwrap();
    assert!(outbox["relay"].is_null());
    assert_eq!(outbox["entries"][0]["message_id"], id);
    assert_eq!(outbox["entries"][0]["to"], "maya@example.com");

    let res = server
        .rpc(&session.client, "get_outbox_mail", &[("id", id)])
        .await;
    let mail: Value = res.json().await.unwrap();
    let headers: Vec<String> = mail["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap().to_string())
        .collect();
    assert!(headers.contains(&"Message-ID".to_string()), "{headers:?}");
    assert!(mail["raw"]
        .as_str()
        .unwrap()
        .contains("multipart/alternative"));

    let res = session
        .client
        .get(server.url(&format!("/outbox/{id}/html")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Hello &lt;b&gt;Maya&lt;/b&gt;"),
        "the body is escaped: {html}"
    );
    assert!(html.contains("/t/o/"));

    // Another workspace sees none of it.
    let other = server.signed_up("eve@example.com", "Other").await;
    let res = other
        .get(server.url(&format!("/outbox/{id}/html")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let theirs: Value = server
        .rpc(&other, "list_outbox", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["entries"], json!([]));
    let res = server.rpc(&other, "get_outbox_mail", &[("id", id)]).await;
    let err: AppError = res.json().await.unwrap();
    assert_eq!(err, AppError::NotFound);
}
