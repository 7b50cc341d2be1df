use crate::support::{error_body, TestServer};
use serde_json::json;

#[tokio::test]
async fn pages_and_api_require_a_session() {
    let server = TestServer::start().await;
    let client = server.client();
    for page in [
        "/",
        "/leads",
        "/leads/new",
        "/dashboard",
        "/settings",
        "/inbox",
    ] {
        let res = client.get(server.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{page}");
        let location = res.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login"), "{page} → {location}");
    }
    let res = client
        .get(server.url("/leads?stage=won"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "/login?next=/leads%3Fstage%3Dwon"
    );
    for page in ["/login", "/signup", "/invite/whatever"] {
        let res = client.get(server.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{page} is public");
    }
    for api in ["/api/leads", "/api/auth/me"] {
        let res = client.get(server.url(api)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{api}");
        assert_eq!(error_body(res).await["error"], "unauthorized");
    }
    let res = client
        .post(server.url("/api/leads"))
        .json(&json!({"name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = server
        .rpc(&client, "list_leads", &[("q", ""), ("stage", "")])
        .await;
    assert!(res.text().await.unwrap().contains("unauthorized"));
}

#[tokio::test]
async fn cross_site_writes_are_refused_and_store_nothing() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let res = client
        .post(server.url("/api/leads"))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "Forged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(error_body(res).await["error"], "forbidden");
    let res = client
        .post(server.url("/rpc/create_lead"))
        .header("origin", "https://evil.example")
        .form(&[("input[name]", "Forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Same-origin requests, as the app itself makes them, pass.
    let res = client
        .post(server.url("/api/leads"))
        .header("origin", server.base.clone())
        .json(&json!({"name": "Real"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(server.lead_names(&client).await, vec!["Real"]);
}

#[tokio::test]
async fn api_tokens_authenticate_and_can_be_revoked() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let created = server
        .api_token(&client, "Website form", "read write")
        .await;
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("lw_") && secret.len() > 40);

    let bearer = reqwest::Client::new();
    let res = bearer
        .post(server.url("/api/leads"))
        .bearer_auth(&secret)
        .json(&json!({"name": "From the website"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(server.lead_names(&client).await, vec!["From the website"]);

    let listed: serde_json::Value = server
        .rpc(&client, "list_api_tokens", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed[0]["last_used_at"].is_string(),
        "use is recorded: {listed}"
    );
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is never listed again"
    );

    let id = created["info"]["id"].as_str().unwrap();
    assert!(server
        .rpc(&client, "revoke_api_token", &[("id", id)])
        .await
        .status()
        .is_success());
    let res = bearer
        .get(server.url("/api/leads"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = bearer
        .get(server.url("/api/leads"))
        .bearer_auth("lw_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_json_errors() {
    let server = TestServer::start_with(|s| s.max_body_bytes = 4096).await;
    let client = server.signed_up("ada@example.com", "A").await;
    let res = client
        .post(server.url("/api/leads"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_body(res).await["error"], "bad_request");
    let res = client
        .post(server.url("/api/leads"))
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = client
        .post(server.url("/api/leads"))
        .json(&json!({"name": "x".repeat(10_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(server.lead_names(&client).await.is_empty());
}

#[tokio::test]
async fn health_check_answers() {
    let server = TestServer::start().await;
    let res = server
        .client()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

/// Another process holding SQLite's write lock (a long `sqlite3` session, a backup) leaves
/// reads answering while every write hangs: the health check says so, and is well again once
/// the lock is gone — and writes go through again.
#[tokio::test]
async fn health_check_says_when_writes_stop_being_committed() {
    use sqlx::Connection;
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let health = || async {
        let res = server
            .client()
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    assert_eq!(health().await, (200, "ok".to_string()));

    // Another process holds what every write needs: SQLite's write lock, or on PostgreSQL
    // the writers' advisory lock.
    let outsider = if server.database_url.starts_with("postgres") {
        Err(hold_postgres_write_lock(&server.database_url).await)
    } else {
        let mut sqlite = sqlx::SqliteConnection::connect(&server.database_url)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut sqlite)
            .await
            .unwrap();
        Ok(sqlite)
    };
    assert_eq!(
        health().await,
        (503, "writes are not being committed".to_string())
    );

    match outsider {
        Ok(mut sqlite) => {
            sqlx::query("ROLLBACK").execute(&mut sqlite).await.unwrap();
        }
        Err(mut pg) => release_postgres_write_lock(&mut pg).await,
    }
    assert_eq!(health().await, (200, "ok".to_string()));
    let lead = server
        .create_lead(&client, serde_json::json!({"name": "After"}))
        .await;
    assert_eq!(lead["name"], "After");
}

/// Sign-in, sign-out, sign-up and API tokens append no events, so on PostgreSQL they do not queue
/// for the lock that every instance's event-appending writes hold one at a time: with another
/// process holding that lock, they still answer (sends wait, as the health check above shows).
/// On SQLite they go through the writer like every write (`store.rs`'s
/// `writes_wait_for_the_writer_however_long_it_is_held`).
#[tokio::test]
async fn writes_without_events_do_not_wait_for_the_write_lock_on_postgres() {
    let server = TestServer::start().await;
    if !server.database_url.starts_with("postgres") {
        return;
    }
    server.signed_up("ada@example.com", "A").await;
    let mut outsider = hold_postgres_write_lock(&server.database_url).await;
    let unlocked = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let again = server.login("ada@example.com").await;
        let token = server
            .api_token(&again.client, "while locked", "read")
            .await;
        let signed_out = again
            .client
            .post(server.url("/api/auth/logout"))
            .send()
            .await
            .unwrap();
        server.signed_up("grace@example.com", "G").await;
        (token, signed_out.status().as_u16())
    })
    .await;
    release_postgres_write_lock(&mut outsider).await;
    let (token, signed_out) = unlocked.expect("they waited for the write lock");
    assert!(token["secret"].is_string(), "{token}");
    assert_eq!(signed_out, 204);
}

/// Another process taking the advisory lock every event-appending write holds on PostgreSQL.
async fn hold_postgres_write_lock(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let mut pg = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(leadwire::server::store::POSTGRES_WRITE_LOCK)
        .execute(&mut pg)
        .await
        .unwrap();
    pg
}

async fn release_postgres_write_lock(pg: &mut sqlx::PgConnection) {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(leadwire::server::store::POSTGRES_WRITE_LOCK)
        .execute(pg)
        .await
        .unwrap();
}
