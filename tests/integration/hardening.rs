//! What anyone without an account (or with a leaked token) must not be able to do: exhaust
//! memory, lock users out, outlive a revocation, wedge a connection, flood a socket.
use crate::support::{error_body, TestServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A login through a trusted proxy that says the client is `ip`.
async fn login_from(
    server: &TestServer,
    ip: &str,
    device: Option<&str>,
    password: &str,
) -> reqwest::Response {
    let mut request = server
        .client()
        .post(server.url("/api/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": "ada@example.com", "password": password}));
    if let Some(device) = device {
        request = request.header("cookie", format!("lw_device={device}"));
    }
    request.send().await.unwrap()
}

fn device_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("lw_device="))
        .and_then(|v| v.split(';').next())
        .expect("a device cookie after sign-in")
        .to_string()
}

#[tokio::test]
async fn lockout_slows_the_guesser_not_the_owner_elsewhere_or_on_a_known_device() {
    let server = TestServer::start_with(|s| {
        s.limits.trusted_proxies = leadwire::server::client_ip::parse_trusted_proxies("127.0.0.1")
            .expect("valid proxy list");
    })
    .await;
    server.signed_up("ada@example.com", "A").await;
    let office = "203.0.113.10";
    // Ada signed in from the office before: her browser has a device cookie.
    let res = login_from(&server, office, None, "correct horse").await;
    assert_eq!(res.status(), 200);
    let device = device_cookie(&res);

    // Someone else in the office guesses her password, far past every limit.
    for _ in 0..40 {
        let status = login_from(&server, office, None, "wrong guess")
            .await
            .status();
        assert!(status == 401 || status == 429, "{status}");
    }
    let res = login_from(&server, office, None, "correct horse").await;
    assert_eq!(res.status(), 429, "the guessing client stays slowed down");

    // Ada from home has not been failing: she signs in.
    assert_eq!(
        login_from(&server, "198.51.100.7", None, "correct horse")
            .await
            .status(),
        200
    );
    // Ada at the office, in her own browser, signs in too.
    assert_eq!(
        login_from(&server, office, Some(&device), "correct horse")
            .await
            .status(),
        200
    );
    // A forged device cookie is no cookie.
    let forged = format!("{}.{}", device.split('.').next().unwrap(), "ab".repeat(32));
    assert_eq!(
        login_from(&server, office, Some(&forged), "correct horse")
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    // No trusted proxies: a client cannot escape its limit by writing another address.
    let server = TestServer::start().await;
    server.signed_up("ada@example.com", "A").await;
    for n in 0..5 {
        let ip = format!("198.51.100.{n}");
        assert_eq!(
            login_from(&server, &ip, None, "wrong guess").await.status(),
            401
        );
    }
    assert_eq!(
        login_from(&server, "192.0.2.99", None, "wrong guess")
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn sign_ups_are_limited_per_address_and_a_refused_one_stores_nothing() {
    let server = TestServer::start_with(|s| s.limits.signups_per_ip_per_hour = 2).await;
    server.signed_up("one@example.com", "One").await;
    server.signed_up("two@example.com", "Two").await;
    let res = server
        .client()
        .post(server.url("/api/auth/signup"))
        .json(&json!({"name": "Three", "email": "three@example.com", "password": "correct horse", "workspace": "Three"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 60, "an hourly allowance refills slowly: {wait}");
    assert_eq!(error_body(res).await["error"], "rate_limited");
    let login = server
        .client()
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "three@example.com", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        401,
        "the refused sign-up created no account"
    );
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("memory figure")
}

/// The bound the README states: the hashing threads' buffers (slots × 19 MiB) on top of what the
/// server uses anyway. Before the bound, 64 concurrent sign-ups took a server to 3.9 GB.
#[tokio::test]
async fn concurrent_sign_ups_stay_within_the_documented_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::support::free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_leadwire"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "LEADWIRE_DATABASE_URL",
            format!("sqlite://{}/m.db", dir.path().display()),
        )
        .env("LEADWIRE_SEED_DEMO", "false")
        .env("LEADWIRE_PASSWORD_HASH_SLOTS", "2")
        .env("LEADWIRE_PASSWORD_HASH_QUEUE", "32")
        .env("LEADWIRE_SIGNUPS_PER_IP_PER_HOUR", "100000")
        .env("LEADWIRE_PUBLIC_POSTS_PER_IP_PER_MINUTE", "100000")
        .env("RUST_LOG", "leadwire=warn")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the server binary");
    let pid = child.id().expect("pid");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let ready = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = rss_kib(pid, "VmRSS:");
    let signups = (0..64).map(|n| {
        let client = client.clone();
        let url = format!("{base}/api/auth/signup");
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"name": "Many", "email": format!("m{n}@example.com"), "password": "correct horse", "workspace": "M"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    });
    let statuses: Vec<u16> = futures_util::future::join_all(signups)
        .await
        .into_iter()
        .map(|r| r.unwrap().expect("answered"))
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 429),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201));
    let peak = rss_kib(pid, "VmHWM:");
    let slots_kib = 2 * 19 * 1024;
    // Allocator slack, SQLite page cache and 64 connections' buffers: 64 MiB of headroom.
    let allowed = before + slots_kib + 64 * 1024;
    assert!(
        peak <= allowed,
        "peak RSS {peak} KiB exceeds {allowed} KiB (start {before} KiB + 2 × 19 MiB + 64 MiB)"
    );
    child.kill().await.ok();
}

#[tokio::test]
async fn api_tokens_cannot_manage_accounts_and_scopes_hold() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let token = |scopes: &'static str| {
        let server = &server;
        let client = &client;
        async move {
            let res = server
                .rpc(
                    client,
                    "create_api_token",
                    &[("name", "t"), ("scopes", scopes)],
                )
                .await;
            assert_eq!(res.status(), 200);
            let created: Value = res.json().await.unwrap();
            created["secret"].as_str().unwrap().to_string()
        }
    };
    let full = token("read write").await;
    let read_only = token("read").await;
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
    let res = server
        .rpc(
            &client,
            "create_api_token",
            &[("name", "t"), ("scopes", "read")],
        )
        .await;
    let created: Value = res.json().await.unwrap();
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
async fn a_token_records_its_last_use_at_most_once_a_minute() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let res = server
        .rpc(
            &client,
            "create_api_token",
            &[("name", "t"), ("scopes", "read")],
        )
        .await;
    let secret = res.json::<Value>().await.unwrap()["secret"]
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

#[tokio::test]
async fn sequence_numbers_reveal_nothing_about_other_workspaces() {
    let server = TestServer::start().await;
    let quiet = server.session("ada@example.com", "Quiet").await;
    let busy = server.session("bob@example.com", "Busy").await;
    let mut settle = server.live_socket(&quiet.cookie).await;
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
