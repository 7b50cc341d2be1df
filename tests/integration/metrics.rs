//! `GET /metrics`: off without `metrics_token`, bearer-guarded with it, and its figures follow
//! what the server does (requests, sockets, events, the email queue).
use crate::support::{free_port, TestServer};
use leadwire::server::settings::{SmtpRelay, SmtpSecurity};
use serde_json::json;

pub(crate) const TOKEN: &str = "scrape-me-0123456789";

/// The value of the sample `name` (with its labels, as written) in `text`.
pub(crate) fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
}

pub(crate) async fn scrape(server: &TestServer) -> String {
    let res = server
        .client()
        .get(server.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    res.text().await.unwrap()
}

#[tokio::test]
async fn without_a_token_setting_there_is_no_metrics_endpoint() {
    let server = TestServer::start().await;
    let res = server
        .client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn metrics_need_the_token_and_follow_requests_sockets_events_and_the_queue() {
    // Email goes to a relay that is down: it stays queued, retried later.
    let closed = free_port();
    let server = TestServer::start_with(|s| {
        s.metrics_token = Some(TOKEN.into());
        s.mail.relay = Some(SmtpRelay {
            host: "127.0.0.1".into(),
            port: closed,
            security: SmtpSecurity::None,
            username: None,
            password: None,
        });
        s.mail.retry_base_ms = 60_000;
    })
    .await;
    for auth in [None, Some("Bearer wrong-token-0123456789")] {
        let mut req = server.client().get(server.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        assert_eq!(req.send().await.unwrap().status(), 401);
    }
    let before = scrape(&server).await;
    assert_eq!(sample(&before, "leadwire_sockets_open"), 0.0);
    assert_eq!(
        sample(&before, "leadwire_outbound_queue_depth{channel=\"email\"}"),
        0.0
    );

    let owner = server.session("owner@example.com", "Acme").await;
    let ws = server.live_socket(&owner.cookie).await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "email": "maya@example.com"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = server
        .send(
            &owner.client,
            &lead,
            json!({"channel": "email", "subject": "Hi", "body": "Hello", "client_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let after = scrape(&server).await;
    assert_eq!(sample(&after, "leadwire_sockets_open"), 1.0);
    assert_eq!(
        sample(&after, "leadwire_outbound_queue_depth{channel=\"email\"}"),
        1.0
    );
    assert!(
        sample(&after, "leadwire_events_published_total")
            >= sample(&before, "leadwire_events_published_total") + 2.0
    );
    assert!(
        sample(
            &after,
            "leadwire_http_request_duration_seconds_count{kind=\"api\"}"
        ) >= sample(
            &before,
            "leadwire_http_request_duration_seconds_count{kind=\"api\"}"
        ) + 2.0
    );
    assert!(after.contains("# TYPE leadwire_http_request_duration_seconds histogram"));
    drop(ws);
    // The socket's task ends a moment after the client goes: wait for the gauge to follow.
    let closed = async {
        loop {
            if sample(&scrape(&server).await, "leadwire_sockets_open") == 0.0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), closed)
        .await
        .expect("the socket gauge went back to 0");
}

#[tokio::test]
async fn delivery_lag_is_counted_per_channel_when_a_message_is_taken() {
    // No relay and no SMS connection: email goes to the outbox and SMS to the sandbox, both
    // taken at once by their workers.
    let server = TestServer::start_with(|s| s.metrics_token = Some(TOKEN.into())).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let mut ws = server.live_socket(&owner.cookie).await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "email": "maya@example.com", "phone": "+14155550101"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = scrape(&server).await;
    assert_eq!(
        sample(
            &before,
            "leadwire_delivery_lag_seconds_count{channel=\"email\"}"
        ),
        0.0
    );
    for body in [
        json!({"channel": "email", "subject": "Hi", "body": "Hello", "client_id": uuid::Uuid::new_v4()}),
        json!({"channel": "sms", "body": "Hello", "client_id": uuid::Uuid::new_v4()}),
    ] {
        let sent: serde_json::Value = server
            .send(&owner.client, &lead, body)
            .await
            .json()
            .await
            .unwrap();
        ws.next_update(|m| m["id"] == sent["id"] && m["status"] == "sent")
            .await;
    }
    // A worker records the lag after its outcome is committed, so the socket can see "sent" a
    // moment before the figure moves: wait for both channels to be counted.
    let lag_count = |text: &str, channel: &str| {
        sample(
            text,
            &format!("leadwire_delivery_lag_seconds_count{{channel=\"{channel}\"}}"),
        )
    };
    let counted = async {
        loop {
            let text = scrape(&server).await;
            if lag_count(&text, "email") >= 1.0 && lag_count(&text, "sms") >= 1.0 {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let after = tokio::time::timeout(std::time::Duration::from_secs(10), counted)
        .await
        .expect("both deliveries' lag was counted");
    for channel in ["email", "sms"] {
        assert_eq!(lag_count(&after, channel), 1.0, "{channel}");
        assert_eq!(
            sample(
                &after,
                &format!(
                    "leadwire_delivery_lag_seconds_bucket{{channel=\"{channel}\",le=\"+Inf\"}}"
                )
            ),
            1.0
        );
    }
    assert_eq!(
        sample(
            &after,
            "leadwire_delivery_lag_seconds_count{channel=\"whatsapp\"}"
        ),
        0.0
    );
    assert!(after.contains("# TYPE leadwire_delivery_lag_seconds histogram"));
    // Every event the socket was sent counts once in the commit-to-socket lag.
    assert!(
        sample(&after, "leadwire_event_socket_lag_seconds_count")
            >= sample(&before, "leadwire_event_socket_lag_seconds_count") + 4.0,
        "two messages created and sent: at least four events reached the socket"
    );
}
