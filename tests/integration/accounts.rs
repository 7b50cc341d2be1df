use crate::support::{error_body, TestServer};
use serde_json::{json, Value};

#[tokio::test]
async fn sign_up_log_out_and_log_in_again() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "Analytical").await;

    let me: Value = server.get_json(&client, "/api/auth/me").await;
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert_eq!(me["user"]["workspace_name"], "Analytical");
    assert_eq!(me["user"]["role"], "owner");

    let res = client
        .post(server.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = client.get(server.url("/api/auth/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);

    let res = client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "ADA@example.com ", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client.get(server.url("/api/auth/me")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax() {
    let server = TestServer::start().await;
    let res = server
        .client()
        .post(server.url("/api/auth/signup"))
        .json(&json!({"name": "Ada", "email": "ada@example.com", "password": "correct horse", "workspace": "A"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("lw_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not get Secure: {cookie}"
    );
}

#[tokio::test]
async fn https_public_url_marks_the_cookie_secure() {
    let server = TestServer::start_with(|s| s.public_url = "https://crm.example.com".into()).await;
    let res = server
        .client()
        .post(server.url("/api/auth/signup"))
        .json(&json!({"name": "Ada", "email": "ada@example.com", "password": "correct horse", "workspace": "A"}))
        .send()
        .await
        .unwrap();
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("; Secure"));
}

#[tokio::test]
async fn logout_invalidates_the_session_on_the_server() {
    let server = TestServer::start().await;
    let res = server
        .client()
        .post(server.url("/api/auth/signup"))
        .json(&json!({"name": "Ada", "email": "ada@example.com", "password": "correct horse", "workspace": "A"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let raw = reqwest::Client::new();
    let me = |c: String| {
        raw.get(server.url("/api/auth/me"))
            .header("cookie", c)
            .send()
    };
    assert_eq!(me(cookie.clone()).await.unwrap().status(), 200);
    let res = raw
        .post(server.url("/api/auth/logout"))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // The copied cookie value is worthless once logged out.
    assert_eq!(me(cookie).await.unwrap().status(), 401);
}

#[tokio::test]
async fn sessions_expire() {
    let server = TestServer::start_with(|s| s.session_ttl_secs = 1).await;
    let client = server.signed_up("ada@example.com", "A").await;
    // Wait for the condition itself (the session lapsing), with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = client
            .get(server.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            std::time::Instant::now() < deadline,
            "session never expired"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn wrong_password_is_401_with_a_clear_message() {
    let server = TestServer::start().await;
    server.signed_up("ada@example.com", "A").await;
    let res = server
        .client()
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "ada@example.com", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body = error_body(res).await;
    assert_eq!(body["error"], "invalid_credentials");
    assert_eq!(body["message"], "Email or password is incorrect.");
}

#[tokio::test]
async fn invalid_sign_ups_are_rejected_per_field_and_store_nothing() {
    let server = TestServer::start().await;
    let cases = [
        (
            json!({"name": "Ada", "email": "not-an-email", "password": "correct horse", "workspace": "A"}),
            "email",
        ),
        (
            json!({"name": "  ", "email": "ada@example.com", "password": "correct horse", "workspace": "A"}),
            "name",
        ),
        (
            json!({"name": "x".repeat(101), "email": "ada@example.com", "password": "correct horse", "workspace": "A"}),
            "name",
        ),
        (
            json!({"name": "Ada", "email": "ada@example.com", "password": "short", "workspace": "A"}),
            "password",
        ),
        (
            json!({"name": "Ada", "email": "ada@example.com", "password": "correct horse", "workspace": ""}),
            "workspace",
        ),
    ];
    for (body, field) in cases {
        let res = server
            .client()
            .post(server.url("/api/auth/signup"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{body}");
        let err = error_body(res).await;
        assert_eq!(err["error"], "validation");
        assert_eq!(err["field"], field, "{body}");
    }
    // None of those created an account.
    let res = server
        .client()
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "ada@example.com", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn duplicate_sign_up_email_is_rejected() {
    let server = TestServer::start().await;
    server.signed_up("ada@example.com", "A").await;
    let res = server
        .client()
        .post(server.url("/api/auth/signup"))
        .json(&json!({"name": "Other", "email": "Ada@Example.com", "password": "another pass", "workspace": "B"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "email");
    // The original password still works: nothing was overwritten.
    let res = server
        .client()
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "ada@example.com", "password": "another pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_client_that_keeps_failing_is_slowed_down() {
    let server = TestServer::start().await;
    server.signed_up("ada@example.com", "A").await;
    let attempt = |password: &'static str| {
        server
            .client()
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": "ada@example.com", "password": password}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong password").await.unwrap().status(), 401);
    }
    let res = attempt("wrong password").await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(error_body(res).await["error"], "rate_limited");
    // The failing client (this address, no device cookie) gains nothing by guessing right now;
    // the owner elsewhere is not affected (see `sign_in_limits::lockout_*`).
    assert_eq!(attempt("correct horse").await.unwrap().status(), 429);
}

#[tokio::test]
async fn login_rate_limit_engages_per_ip_across_accounts() {
    let server = TestServer::start_with(|s| s.login_max_failures_per_ip = 3).await;
    for i in 0..3 {
        let res = server
            .client()
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": format!("nobody{i}@example.com"), "password": "whatever1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = server
        .client()
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "someone-else@example.com", "password": "whatever1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn ui_login_continues_to_a_local_next_path_only() {
    let server = TestServer::start().await;
    server.signed_up("ada@example.com", "A").await;
    let client = server.client();
    let res = server
        .rpc(
            &client,
            "login",
            &[
                ("email", "ada@example.com"),
                ("password", "correct horse"),
                ("next", "/leads?stage=won"),
            ],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/leads?stage=won");

    let client = server.client();
    let res = server
        .rpc(
            &client,
            "login",
            &[
                ("email", "ada@example.com"),
                ("password", "correct horse"),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/", "no open redirect");
}

#[tokio::test]
async fn parallel_wrong_passwords_cannot_outrun_the_limit() {
    let server = TestServer::start().await;
    server.signed_up("ada@example.com", "A").await;
    let attempts = (0..12).map(|_| {
        let client = server.client();
        let url = server.url("/api/auth/login");
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"email": "ada@example.com", "password": "wrong password"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        checked <= 5,
        "at most 5 guesses are checked, got {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 12 - checked);
}
