//! Sign-in and sign-up limits: the guesser is slowed, not the account's owner; addresses come
//! from trusted proxies only; sign-ups are limited per address; password hashing has a fixed
//! memory budget however many requests arrive.
use crate::support::{error_body, ServerProcess, TestServer};
use serde_json::json;

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
    let server = ServerProcess::start(
        &dir,
        &[
            ("LEADWIRE_PASSWORD_HASH_SLOTS", "2"),
            ("LEADWIRE_PASSWORD_HASH_QUEUE", "32"),
            ("LEADWIRE_SIGNUPS_PER_IP_PER_HOUR", "100000"),
            ("LEADWIRE_PUBLIC_REQUESTS_PER_IP_PER_MINUTE", "100000"),
        ],
    )
    .await;
    let pid = server.pid();
    let client = reqwest::Client::new();
    let before = rss_kib(pid, "VmRSS:");
    let signups = (0..64).map(|n| {
        let client = client.clone();
        let url = server.url("/api/auth/signup");
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
}

#[tokio::test]
async fn signed_out_page_renders_are_limited_per_address() {
    let server = TestServer::start_with(|s| s.limits.public_requests_per_ip_per_minute = 3).await;
    // The sign-up takes one of the address's three.
    let ada = server.signed_up("ada@example.com", "A").await;
    // A signed-in user's pages do not count against the address.
    for _ in 0..5 {
        assert_eq!(
            ada.get(server.url("/leads")).send().await.unwrap().status(),
            200
        );
    }
    let visitor = server.client();
    for _ in 0..2 {
        assert_eq!(
            visitor
                .get(server.url("/login"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let res = visitor.get(server.url("/signup")).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

/// Once no request waits, the hashing threads give their 19 MiB buffers back: a server that
/// signed people in does not keep slots × 19 MiB for good (through the allocator it did).
#[tokio::test]
async fn an_idle_server_gives_the_password_hashing_memory_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &dir,
        &[
            ("LEADWIRE_PASSWORD_HASH_SLOTS", "2"),
            ("LEADWIRE_SIGNUPS_PER_IP_PER_HOUR", "100000"),
        ],
    )
    .await;
    let pid = server.pid();
    let client = reqwest::Client::new();
    let before = rss_kib(pid, "VmRSS:");
    // Two at once, so that both threads hash.
    let signups = (0..2).map(|n| {
        client
            .post(server.url("/api/auth/signup"))
            .json(&json!({"name": "Idle", "email": format!("i{n}@example.com"), "password": "correct horse", "workspace": "I"}))
            .send()
    });
    for answer in futures_util::future::join_all(signups).await {
        assert_eq!(answer.unwrap().status(), 201);
    }
    // Back within half a buffer of where it started (the threads release right after replying).
    let started = std::time::Instant::now();
    loop {
        let now = rss_kib(pid, "VmRSS:");
        if now < before + 10 * 1024 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "RSS {now} KiB, {before} KiB before the sign-ups: the hashing memory stayed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
