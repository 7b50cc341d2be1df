use crate::support::{message, TestServer};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;

async fn lead(server: &TestServer, client: &reqwest::Client) -> String {
    let lead = server
        .create_lead(
            client,
            json!({"name": "Maya", "email": "m@example.com", "phone": "+14155550100"}),
        )
        .await;
    lead["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_socket_receives_messages_sent_by_another_session() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let teammate = server.teammate(&owner.client, "sam@example.com").await;
    let lead = lead(&server, &owner.client).await;

    let mut ws = server.socket(&owner.cookie).await;
    ws.resume(0).await;
    assert_eq!(ws.next_logged().await["type"], "live");

    let res = server
        .send(&teammate.client, &lead, message("sms", "Hello from Sam"))
        .await;
    let sent: Value = res.json().await.unwrap();
    let event = ws.next_of("messages_updated").await;
    assert_eq!(event["action"], "INSERT");
    assert_eq!(event["message"], sent);
    assert!(event["seq"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn a_reconnecting_socket_gets_every_missed_event_once_in_order() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let lead = lead(&server, &owner.client).await;

    let mut ws = server.socket(&owner.cookie).await;
    ws.resume(0).await;
    let last_seq = ws.next_of("live").await["seq"].as_i64().unwrap();
    ws.close().await;

    // Website chat: stored as sent, one event per message (an SMS adds its delivery's update).
    for i in 0..50 {
        assert_eq!(
            server
                .send(
                    &owner.client,
                    &lead,
                    message("chat", &format!("missed {i}"))
                )
                .await
                .status(),
            201
        );
    }

    let mut ws = server.socket(&owner.cookie).await;
    ws.resume(last_seq).await;
    let mut bodies = Vec::new();
    let mut seqs = Vec::new();
    loop {
        let frame = ws.next_logged().await;
        match frame["type"].as_str().unwrap() {
            "live" => break,
            "messages_updated" => {
                seqs.push(frame["seq"].as_i64().unwrap());
                bodies.push(frame["message"]["body"].as_str().unwrap().to_string());
            }
            other => panic!("unexpected {other}: {frame}"),
        }
    }
    let expected: Vec<String> = (0..50).map(|i| format!("missed {i}")).collect();
    assert_eq!(bodies, expected);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seqs rise: {seqs:?}");
    assert!(seqs[0] > last_seq);

    // And it goes live afterwards.
    server
        .send(&owner.client, &lead, message("sms", "live one"))
        .await;
    let live = ws.next_of("messages_updated").await;
    assert_eq!(live["message"]["body"], "live one");
    assert!(live["seq"].as_i64().unwrap() > *seqs.last().unwrap());
}

#[tokio::test]
async fn resuming_from_before_the_retention_window_gets_reset() {
    let server = TestServer::start_with(|s| s.event_retention_secs = 1).await;
    let owner = server.session("ada@example.com", "A").await;
    let lead = lead(&server, &owner.client).await;
    let mut ws = server.socket(&owner.cookie).await;
    ws.resume(0).await;
    let start = ws.next_of("live").await["seq"].as_i64().unwrap();
    ws.close().await;
    for i in 0..3 {
        server
            .send(&owner.client, &lead, message("sms", &format!("old {i}")))
            .await;
    }
    // Wait for the condition itself: the pruner drops those events, then resume answers reset.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let mut ws = server.socket(&owner.cookie).await;
        ws.resume(start).await;
        let frame = ws.next_logged().await;
        if frame["type"] == "reset" {
            assert!(frame["seq"].as_i64().unwrap() >= start + 3);
            // After a reset the socket is live from the new position.
            assert_eq!(ws.next_logged().await["type"], "live");
            break;
        }
        assert_eq!(frame["type"], "messages_updated");
        assert!(
            std::time::Instant::now() < deadline,
            "events were never pruned"
        );
        ws.close().await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_resume_point_from_the_future_gets_reset() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let mut ws = server.socket(&owner.cookie).await;
    ws.resume(1_000_000).await;
    assert_eq!(ws.next_logged().await["type"], "reset");
}

#[tokio::test]
async fn another_workspace_receives_none_of_these_events() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let outsider = server.session("eve@example.com", "E").await;
    let lead = lead(&server, &owner.client).await;
    let their_lead = server
        .create_lead(
            &outsider.client,
            json!({"name": "Eve's lead", "phone": "+14155550199"}),
        )
        .await;
    let their_lead = their_lead["id"].as_str().unwrap();

    let mut ws = server.socket(&outsider.cookie).await;
    ws.resume(0).await;
    ws.next_of("live").await;
    for i in 0..5 {
        server
            .send(
                &owner.client,
                &lead,
                message("sms", &format!("private {i}")),
            )
            .await;
    }
    server
        .client()
        .post(server.url(&format!("/api/drafts/{lead}")))
        .json(&json!({"content": "draft", "channel": "sms", "version": 0}))
        .send()
        .await
        .unwrap();
    // The outsider's own event is published after those: if any of them leaked, it would come
    // first. (On website chat: one event, where an SMS adds its delivery's update.)
    server
        .send(&outsider.client, their_lead, message("chat", "own"))
        .await;
    let first = ws.next_logged().await;
    assert_eq!(first["type"], "messages_updated");
    assert_eq!(first["message"]["body"], "own");

    // Replay is scoped the same way.
    let mut replay = server.socket(&outsider.cookie).await;
    replay.resume(0).await;
    let frame = replay.next_logged().await;
    assert_eq!(frame["message"]["body"], "own");
    assert_eq!(replay.next_logged().await["type"], "live");
}

#[tokio::test]
async fn draft_events_reach_only_their_owner() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let second_device = server.login("ada@example.com").await;
    let teammate = server.teammate(&owner.client, "sam@example.com").await;
    let lead = lead(&server, &owner.client).await;

    let mut mine = server.socket(&second_device.cookie).await;
    mine.resume(0).await;
    mine.next_of("live").await;
    let mut theirs = server.socket(&teammate.cookie).await;
    theirs.resume(0).await;
    theirs.next_of("live").await;

    let res = owner
        .client
        .post(server.url(&format!("/api/drafts/{lead}")))
        .json(&json!({"content": "Hi Maya", "channel": "sms", "version": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let event = mine.next_logged().await;
    assert_eq!(event["type"], "drafts_updated");
    assert_eq!(event["draft"]["content"], "Hi Maya");
    assert_eq!(event["lead_id"], lead.as_str());

    // Sending clears the draft everywhere: the owner's devices hear it, then the message.
    server
        .send(&owner.client, &lead, message("sms", "Hi Maya"))
        .await;
    let cleared = mine.next_logged().await;
    assert_eq!(cleared["type"], "drafts_updated");
    assert_eq!(cleared["draft"], Value::Null);
    assert_eq!(mine.next_logged().await["type"], "messages_updated");

    // The teammate saw the message but neither draft event.
    let first = theirs.next_logged().await;
    assert_eq!(first["type"], "messages_updated", "{first}");
}

#[tokio::test]
async fn malformed_and_oversized_frames_close_only_that_socket() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;

    let mut ws = server.socket(&owner.cookie).await;
    ws.send_json(json!({"type": "teleport"})).await;
    let (code, reason) = ws.closed().await.expect("close frame");
    assert_eq!(code, 1008);
    assert!(reason.contains("malformed"), "{reason}");

    let mut ws = server.socket(&owner.cookie).await;
    let _ = ws
        .send_raw(WsMessage::Text("x".repeat(200 * 1024).into()))
        .await;
    assert!(ws.closed().await.is_none_or(|(code, _)| code == 1009));

    let mut ws = server.socket(&owner.cookie).await;
    let _ = ws.send_raw(WsMessage::Binary(vec![1, 2, 3].into())).await;
    assert_eq!(ws.closed().await.map(|(code, _)| code), Some(1003));

    // The server is unaffected.
    let mut ws = server.socket(&owner.cookie).await;
    ws.send_json(json!({"type": "ping"})).await;
    assert_eq!(ws.next_logged().await["type"], "pong");
    assert_eq!(
        server
            .client()
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn sockets_need_a_session_and_a_same_site_origin() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let url = format!("ws://{}/ws", server.base.trim_start_matches("http://"));

    let request = url.clone().into_client_request().unwrap();
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");

    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", owner.cookie.parse().unwrap());
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn a_socket_closes_once_its_session_ends() {
    let server = TestServer::start_with(|s| s.ws_heartbeat_secs = 1).await;
    let owner = server.session("ada@example.com", "A").await;
    let mut ws = server.socket(&owner.cookie).await;
    ws.resume(0).await;
    ws.next_of("live").await;
    let res = owner
        .client
        .post(server.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (code, reason) = ws.closed().await.expect("close frame");
    assert_eq!(code, 1008);
    assert_eq!(reason, "session ended");
}

/// A tab that stops reading (a frozen laptop, a client that never reads) while its workspace
/// keeps writing, and that keeps talking so it is never idle: once a write to it has waited three
/// heartbeats, the server drops the socket instead of holding its task, and what was queued for
/// it, for as long as the connection stays open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_whose_peer_stops_reading_is_dropped() {
    use crate::metrics::{sample, scrape, TOKEN};
    let server = TestServer::start_with(|s| {
        s.ws_heartbeat_secs = 1;
        s.metrics_token = Some(TOKEN.into());
    })
    .await;
    let owner = server.session("ada@example.com", "A").await;
    let lead = lead(&server, &owner.client).await;
    let mut stalled = server.live_socket(&owner.cookie).await;
    assert_eq!(sample(&scrape(&server).await, "leadwire_sockets_open"), 1.0);
    // Messages of the longest body: each update the socket is sent carries it (~20 KB), so a
    // few hundred fill what the kernel buffers between the server and a peer that never reads.
    let body = "x".repeat(leadwire::model::length::MAX_BODY_CHARS);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut sent = 0;
    loop {
        if sent < 600 {
            let res = server
                .send(&owner.client, &lead, message("chat", &body))
                .await;
            assert_eq!(res.status(), 201);
            sent += 1;
        } else {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // Still talking (never idle), never reading.
        if sent % 20 == 0 {
            stalled.send_json(json!({"type": "ping"})).await;
        }
        if sample(&scrape(&server).await, "leadwire_sockets_open") == 0.0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the socket of a peer that stopped reading is still open after {sent} sends"
        );
    }
}

#[tokio::test]
async fn a_flood_of_resume_requests_closes_the_socket() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let mut ws = server.socket(&owner.cookie).await;
    for _ in 0..25 {
        ws.resume(0).await;
    }
    let (code, reason) = ws.closed().await.expect("close frame");
    assert_eq!(code, 1008);
    assert_eq!(reason, "too many resume requests");
}

/// Workspace A floods (1,500 sends, three times what a workspace's channel buffers) with one of
/// its sockets stalled, so A's sockets fall behind and catch up from the log. Workspace B's
/// socket, reading all along, is not reset, gets no catch-up presence snapshot, and receives
/// B's own events in seq order, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_workspace_does_not_reset_another_workspaces_sockets() {
    use futures_util::StreamExt;
    let server = TestServer::start().await;
    let busy = server.session("busy@example.com", "Busy").await;
    let calm = server.session("calm@example.com", "Calm").await;
    let busy_lead = lead(&server, &busy.client).await;
    let calm_lead = lead(&server, &calm.client).await;
    let mut watching = server.dashboard_socket(&calm.cookie).await;
    // Its arrival (`online`) and its dashboard's update for the new lead come first.
    let calm_head = watching.next_of("analytics_updated").await["seq"]
        .as_i64()
        .unwrap();
    // A socket of the busy workspace that never reads: its server side falls behind.
    let mut stalled = server.socket(&busy.cookie).await;
    stalled.resume(0).await;
    let sends = futures_util::stream::iter(0..1500)
        .map(|i| {
            let server = &server;
            let client = &busy.client;
            let lead = &busy_lead;
            async move {
                let res = server
                    .send(client, lead, message("sms", &format!("flood {i}")))
                    .await;
                assert_eq!(res.status(), 201);
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>();
    sends.await;
    let res = server
        .send(&calm.client, &calm_lead, message("sms", "calm"))
        .await;
    assert_eq!(res.status(), 201);
    let mut snapshots = 0;
    let mut seqs = Vec::new();
    let own = loop {
        let frame = watching.next_json().await;
        if let Some(seq) = frame["seq"].as_i64() {
            seqs.push(seq);
        }
        match frame["type"].as_str().unwrap_or_default() {
            "reset" => panic!("the calm workspace's socket was reset: {frame}"),
            "online" | "presence" => snapshots += 1,
            "messages_updated" => break frame,
            _ => {}
        }
    };
    assert_eq!(own["message"]["body"], "calm");
    // Only the calm workspace's own events (its dashboard's, then the message), each once.
    let expected: Vec<i64> = (calm_head + 1..calm_head + 1 + seqs.len() as i64).collect();
    assert_eq!(
        seqs, expected,
        "the calm workspace's events in order, none twice"
    );
    // A socket that fell behind catches up with a fresh presence snapshot.
    assert_eq!(snapshots, 0, "presence snapshots: the socket fell behind");
    stalled.close_ref().await;
}
