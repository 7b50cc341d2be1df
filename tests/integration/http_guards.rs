//! What every client gets from the HTTP and socket layers, whoever it is: real error statuses,
//! connections that survive a refusal, security headers, bounded socket frames, sequence numbers
//! that say nothing about other workspaces, and clear errors for hostile input.
use crate::support::TestServer;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn server_function_errors_keep_their_status() {
    let server = TestServer::start().await;
    let anonymous = server.client();
    let res = server
        .rpc(
            &anonymous,
            "dashboard_kpis",
            &[("period", "7d"), ("channel", ""), ("tz", "0")],
        )
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "unauthorized");
    let client = server.signed_up("ada@example.com", "A").await;
    let res = server
        .rpc(
            &client,
            "get_lead",
            &[("id", "00000000-0000-4000-8000-000000000000")],
        )
        .await;
    assert_eq!(res.status(), 404);
    // A malformed id is answered like an unknown one (typed ids read it as naming nothing).
    let res = server
        .rpc(
            &client,
            "send_message",
            &[
                ("lead_id", "not-a-lead"),
                ("input[channel]", "chat"),
                ("input[body]", "Hello"),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    let error: Value = res.json().await.unwrap();
    assert_eq!(error["error"], "not_found", "{error}");
    let res = server
        .rpc(&client, "create_lead", &[("input[name]", "")])
        .await;
    assert_eq!(res.status(), 422);
    let res = server
        .rpc(
            &anonymous,
            "login",
            &[("email", "not-an-email"), ("password", "x"), ("next", "/")],
        )
        .await;
    assert_eq!(res.status(), 422);
}

/// Sends raw HTTP/1.1 on one connection and reads one response (headers and body).
async fn exchange(stream: &mut tokio::net::TcpStream, request: &str) -> Option<(u16, String)> {
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            if body.len() >= length {
                let status = head.split_whitespace().nth(1)?.parse().ok()?;
                return Some((status, head.to_string()));
            }
        }
    }
}

#[tokio::test]
async fn a_refused_body_leaves_the_keep_alive_connection_usable() {
    let server = TestServer::start().await;
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let body = "x".repeat(20_000);
    // A body with no Content-Type, to an endpoint that refuses it before looking at the body.
    let refused = format!(
        "POST /api/leads HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, _) = exchange(&mut stream, &refused).await.expect("first answer");
    assert_eq!(status, 401);
    let follow_up = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let (status, _) = exchange(&mut stream, &follow_up)
        .await
        .expect("the connection survives the refusal");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::start_with(|s| s.public_url = "https://crm.example.com".into()).await;
    let client = server.client();
    for path in [
        "/login",
        "/api/leads",
        "/t/o/0123456789abcdef0123456789abcdef",
        "/healthz",
        "/nowhere",
    ] {
        let res = client.get(server.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("'unsafe-inline' 'nonce") && csp.contains("script-src 'self' 'nonce-"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(
            h["strict-transport-security"]
                .to_str()
                .unwrap()
                .contains("max-age="),
            "{path}"
        );
    }
    // The page's inline scripts carry this response's nonce, so the policy lets them run.
    let res = client.get(server.url("/login")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "hydration script lacks the nonce"
    );
}

#[tokio::test]
async fn a_socket_that_floods_frames_is_closed_and_others_carry_on() {
    let server = TestServer::start_with(|s| s.limits.ws_frames_per_second = 5).await;
    let flooder = server.session("ada@example.com", "A").await;
    let mut ws = server.live_socket(&flooder.cookie).await;
    for _ in 0..200 {
        ws.send_json(json!({"type": "active"})).await;
    }
    let (code, reason) = ws.closed().await.expect("close frame");
    assert_eq!((code, reason.as_str()), (1008, "too many frames"));
    let other = server.session("bob@example.com", "B").await;
    let mut calm = server.live_socket(&other.cookie).await;
    calm.send_json(json!({"type": "ping"})).await;
    calm.next_of("pong").await;
}

#[tokio::test]
async fn sequence_numbers_reveal_nothing_about_other_workspaces() {
    let server = TestServer::start().await;
    let quiet = server.session("ada@example.com", "Quiet").await;
    let busy = server.session("bob@example.com", "Busy").await;
    let mut settle = server.dashboard_socket(&quiet.cookie).await;
    let quiet_lead = server
        .create_lead(&quiet.client, json!({"name": "Q", "phone": "+14155550100"}))
        .await;
    // The lead's own dashboard update comes a moment later: let it land first.
    settle.next_of("analytics_updated").await;
    let mut before = server.socket(&quiet.cookie).await;
    let head_before = before.next_json_head();
    let feed_before: Value = server.get_json(&quiet.client, "/api/activity").await;
    // The busy workspace makes 30 leads and sends 30 messages.
    for n in 0..30 {
        let lead = server
            .create_lead(
                &busy.client,
                json!({"name": format!("B{n}"), "phone": "+14155550101"}),
            )
            .await;
        let res = server
            .send(
                &busy.client,
                lead["id"].as_str().unwrap(),
                crate::support::message("sms", "hi"),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let after = server.socket(&quiet.cookie).await;
    assert_eq!(
        after.next_json_head(),
        head_before,
        "another workspace's events moved our head"
    );
    // Our own next event continues our own count.
    let mut live = server.live_socket(&quiet.cookie).await;
    let res = server
        .send(
            &quiet.client,
            quiet_lead["id"].as_str().unwrap(),
            crate::support::message("sms", "mine"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let frame = live.next_of("messages_updated").await;
    let seq = frame["seq"].as_i64().unwrap();
    assert!(
        (head_before + 1..=head_before + 3).contains(&seq),
        "{head_before} then {frame}"
    );
    // Feed entry ids count per workspace too.
    let feed: Value = server.get_json(&quiet.client, "/api/activity").await;
    let newest = feed["items"][0]["id"].as_i64().unwrap();
    let previous = feed_before["items"][0]["id"].as_i64().unwrap();
    assert!(
        newest - previous <= 2,
        "feed ids jumped from {previous} to {newest}"
    );
    before.close_ref().await;
}

/// A deterministic stream of hostile inputs (xorshift), so a failure can be replayed.
struct Junk(u64);

impl Junk {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// A body that no endpoint can accept: broken JSON, wrong types, deep nesting, huge text.
    fn body(&mut self) -> (Option<&'static str>, Vec<u8>) {
        let wrong_type = self.pick(&[
            "123",
            "[1,2]",
            "{\"a\":{}}",
            "true",
            "-1e999",
            "\"\\ud800\"",
        ]);
        match self.next() % 8 {
            0 => (Some("application/json"), b"{\"name\":".to_vec()),
            1 => (
                Some("application/json"),
                format!("{{\"name\":{wrong_type},\"body\":{wrong_type},\"channel\":{wrong_type},\"content\":{wrong_type},\"email\":{wrong_type}}}").into_bytes(),
            ),
            2 => (Some("application/json"), format!("{}{}", "[".repeat(50_000), "]".repeat(50_000)).into_bytes()),
            3 => (Some("application/json"), format!("{{\"name\":\"{}\"}}", "x".repeat(2_000_000)).into_bytes()),
            4 => (None, (0..self.next() % 4096).map(|_| self.next() as u8).collect()),
            5 => (Some("text/plain"), b"name=x&body=y".to_vec()),
            6 => (Some("application/x-www-form-urlencoded"), b"input[name]=&input[deal_value]=NaN&lead_id=../../etc".to_vec()),
            _ => (Some("application/json"), b"\xff\xfe\x00{".to_vec()),
        }
    }
}

#[tokio::test]
async fn hostile_requests_get_clear_errors_and_store_nothing() {
    let server = TestServer::start().await;
    let session = server.session("ada@example.com", "A").await;
    let lead = server
        .create_lead(&session.client, json!({"name": "Only Lead"}))
        .await;
    let lead = lead["id"].as_str().unwrap().to_string();
    let mut junk = Junk(0x9E37_79B9_7F4A_7C15);
    let paths = [
        "/api/leads".to_string(),
        format!("/api/leads/{lead}"),
        format!("/api/messages/{lead}"),
        format!("/api/drafts/{lead}"),
        format!("/api/leads/{lead}/meetings"),
        "/api/notification-prefs".to_string(),
        "/api/auth/login".to_string(),
        "/api/auth/signup".to_string(),
        "/rpc/create_lead".to_string(),
        "/rpc/send_message".to_string(),
        "/rpc/save_draft".to_string(),
        "/rpc/update_lead".to_string(),
        "/rpc/inbox".to_string(),
    ];
    let searches = [
        "NEAR(a b)",
        "\"unbalanced",
        "a OR b NOT c",
        "*",
        "col:val",
        "^x",
        "a AND (",
        "😀*\"'",
        "",
    ];
    for round in 0..150 {
        let path = &paths[round % paths.len()];
        let method = junk.pick(&["POST", "PATCH", "PUT"]);
        let (content_type, body) = junk.body();
        let mut request = session
            .client
            .request(method.parse().unwrap(), server.url(path))
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        if round % 5 == 0 {
            request = request.header("authorization", format!("Bearer lw_{}", junk.next()));
        }
        let res = request.send().await.unwrap();
        let status = res.status().as_u16();
        assert!((400..500).contains(&status), "{method} {path}: {status}");
        let q = junk.pick(&searches);
        let res = session
            .client
            .get(server.url("/api/leads"))
            .query(&[
                ("q", q),
                ("stage", junk.pick(&["", "won", "nope", "'; DROP"])),
            ])
            .send()
            .await
            .unwrap();
        assert!(
            res.status().as_u16() < 500,
            "search {q:?}: {}",
            res.status()
        );
        let res = server
            .rpc(
                &session.client,
                "inbox",
                &[
                    ("channel", ""),
                    ("unread", "false"),
                    ("owner", ""),
                    ("stage", ""),
                    ("q", q),
                ],
            )
            .await;
        assert!(
            res.status().as_u16() < 500,
            "inbox search {q:?}: {}",
            res.status()
        );
    }
    // Nothing was stored: still one lead, no messages, no draft.
    assert_eq!(server.lead_names(&session.client).await, vec!["Only Lead"]);
    let thread = server
        .get_json(&session.client, &format!("/api/messages/{lead}"))
        .await;
    assert_eq!(thread["messages"].as_array().unwrap().len(), 0);
    let draft = server
        .get_json(&session.client, &format!("/api/drafts/{lead}"))
        .await;
    assert!(draft["draft"].is_null(), "{draft}");
    // And the server is still well.
    let res = session
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
