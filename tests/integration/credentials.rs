//! API tokens and sessions: what a token may do, and how fast a revoked token, a signed-out or
//! an expired session loses its open sockets.
use crate::support::TestServer;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test]
async fn api_tokens_cannot_manage_accounts_and_scopes_hold() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let secret = |created: Value| created["secret"].as_str().unwrap().to_string();
    let full = secret(server.api_token(&client, "t", "read write").await);
    let read_only = secret(server.api_token(&client, "t", "read").await);
    let bearer = reqwest::Client::new();
    // No server function takes a token: not minting tokens, not inviting, not settings.
    for (name, form) in [
        (
            "create_api_token",
            vec![("name", "minted"), ("scopes", "read write")],
        ),
        ("invite_teammate", vec![("email", "eve@example.com")]),
        ("set_email_tracking", vec![("enabled", "false")]),
        ("list_api_tokens", vec![]),
    ] {
        let res = bearer
            .post(server.url(&format!("/rpc/{name}")))
            .bearer_auth(&full)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}");
    }
    let listed: Value = server
        .rpc(&client, "list_api_tokens", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "no token was minted: {listed}"
    );

    let res = bearer
        .post(server.url("/api/leads"))
        .bearer_auth(&read_only)
        .json(&json!({"name": "Nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = bearer
        .get(server.url("/api/leads"))
        .bearer_auth(&read_only)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(server.lead_names(&client).await.is_empty());
}

#[tokio::test]
async fn revoking_a_token_closes_its_sockets_at_once() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let created = server.api_token(&client, "t", "read").await;
    let secret = created["secret"].as_str().unwrap().to_string();
    let mut ws = server
        .socket_with("authorization", &format!("Bearer {secret}"))
        .await;
    ws.resume(0).await;
    ws.next_of("live").await;
    let id = created["info"]["id"].as_str().unwrap().to_string();
    let revoked_at = Instant::now();
    assert!(server
        .rpc(&client, "revoke_api_token", &[("id", &id)])
        .await
        .status()
        .is_success());
    let (code, reason) = ws.closed().await.expect("a close frame");
    assert_eq!((code, reason.as_str()), (1008, "session ended"));
    assert!(
        revoked_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        revoked_at.elapsed()
    );
}

#[tokio::test]
async fn signing_out_closes_that_sessions_sockets_at_once_and_no_other() {
    let server = TestServer::start().await;
    let first = server.session("ada@example.com", "A").await;
    let second = server.login("ada@example.com").await;
    let mut mine = server.live_socket(&first.cookie).await;
    let mut other_device = server.live_socket(&second.cookie).await;
    let signed_out_at = Instant::now();
    let res = first
        .client
        .post(server.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(mine.closed().await.expect("close frame").0, 1008);
    assert!(signed_out_at.elapsed() < Duration::from_secs(1));
    // The other device's socket is alive and answers.
    other_device.send_json(json!({"type": "ping"})).await;
    assert_eq!(other_device.next_of("pong").await["type"], "pong");
}

#[tokio::test]
async fn an_expiring_session_closes_its_socket_without_polling() {
    let server = TestServer::start_with(|s| {
        s.session_ttl_secs = 2;
        // Heartbeats far apart: only the expiry timer can close the socket in time.
        s.ws_heartbeat_secs = 600;
    })
    .await;
    let session = server.session("ada@example.com", "A").await;
    let mut ws = server.live_socket(&session.cookie).await;
    let opened = Instant::now();
    assert_eq!(ws.closed().await.expect("close frame").0, 1008);
    assert!(
        opened.elapsed() < Duration::from_secs(4),
        "{:?}",
        opened.elapsed()
    );
}

#[tokio::test]
async fn a_token_records_its_last_use_at_most_once_a_minute() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let secret = server.api_token(&client, "t", "read").await["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = reqwest::Client::new();
    let last_used = || async {
        let listed: Value = server
            .rpc(&client, "list_api_tokens", &[])
            .await
            .json()
            .await
            .unwrap();
        listed[0]["last_used_at"].clone()
    };
    bearer
        .get(server.url("/api/leads"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    let first = last_used().await;
    assert!(first.is_string());
    bearer
        .get(server.url("/api/leads"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(
        last_used().await,
        first,
        "a second use within the minute writes nothing"
    );
}
