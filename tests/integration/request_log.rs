//! What the server logs about requests: each runs in a span that says its method and kind, and
//! nothing a client sends — passwords, session cookies, what leads and reps write, webhook keys,
//! tracking tokens — reaches the log, even with request tracing at debug.
use crate::support::ServerProcess;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn requests_are_traced_by_kind_and_nothing_secret_or_written_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        ServerProcess::start_logged(&dir, &[("RUST_LOG", "leadwire=debug,tower_http=debug")]).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let password = "password-marker-5b1e";
    let res = client
        .post(server.url("/api/auth/signup"))
        .json(&json!({"name": "Owner", "email": "owner@example.com", "password": password, "workspace": "Acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()?
                .split_once('=')
                .map(|(_, v)| v.to_string())
        })
        .expect("a session cookie");
    let lead = server
        .create_lead(
            &client,
            json!({"name": "Maya Patel", "email": "maya@example.com"}),
        )
        .await;
    let lead = lead.as_str();
    let body = "body-marker-7c2d";
    let res = client
        .post(server.url(&format!("/api/messages/{lead}")))
        .json(&json!({"channel": "email", "subject": "subject-marker-91aa", "body": body, "client_id": uuid::Uuid::new_v4().to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = client
        .post(server.url(&format!("/api/drafts/{lead}")))
        .json(&json!({"channel": "sms", "content": "draft-marker-33fe"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    // The email reaches the outbox (no relay): the worker's span and its log line.
    server.first_message_settled(&client, lead).await;
    let key = "webhook-key-marker-0d9b";
    let res = client
        .post(server.url(&format!("/webhooks/twilio/{key}")))
        .form(&[("Body", "inbound-marker-6f0c")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let token = "0123456789abcdef0123456789abcdef";
    client
        .get(server.url(&format!("/t/o/{token}")))
        .send()
        .await
        .unwrap();

    // The log is written as requests finish: wait for the last API request's line.
    let log = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let log = server.log();
            if log.matches("finished processing request").count() >= 6 {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("request lines in the log:\n{}", server.log()));
    assert!(log.contains("request{method=POST kind=\"api\"}"), "{log}");
    assert!(
        log.contains("request{method=POST kind=\"webhook\"}"),
        "{log}"
    );
    assert!(
        log.contains("email{message_id="),
        "the email worker's span: {log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "no terminal colours in a log file: {log}"
    );
    for secret in [
        password,
        cookie.as_str(),
        body,
        "subject-marker-91aa",
        "draft-marker-33fe",
        key,
        "inbound-marker-6f0c",
        token,
    ] {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
}
