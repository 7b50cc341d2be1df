use crate::support::{message, TestServer};
use serde_json::{json, Value};

async fn save(
    server: &TestServer,
    client: &reqwest::Client,
    lead: &str,
    body: Value,
) -> reqwest::Response {
    client
        .post(server.url(&format!("/api/drafts/{lead}")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn stored(server: &TestServer, client: &reqwest::Client, lead: &str) -> Value {
    let res = client
        .get(server.url(&format!("/api/drafts/{lead}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["draft"].clone()
}

#[tokio::test]
async fn drafts_save_with_rising_versions_and_stale_saves_are_rejected() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = server
        .create_lead(&client, json!({"name": "Maya", "email": "m@example.com"}))
        .await;
    let lead = lead["id"].as_str().unwrap();

    let res = save(
        &server,
        &client,
        lead,
        json!({"content": "Hi Ma", "channel": "email", "version": 0}),
    )
    .await;
    assert_eq!(res.status(), 200);
    // Versions are the seq of the save's event: they rise, from wherever the log stands.
    let first = res.json::<Value>().await.unwrap()["draft"]["version"]
        .as_i64()
        .unwrap();
    assert!(first > 0);
    let res = save(
        &server,
        &client,
        lead,
        json!({"content": "Hi Maya", "subject": "Demo", "channel": "email", "version": first}),
    )
    .await;
    let second = res.json::<Value>().await.unwrap()["draft"]["version"]
        .as_i64()
        .unwrap();
    assert!(second > first, "{second} after {first}");

    // A save based on the first version (another tab's older view) is refused and changes nothing.
    let res = save(
        &server,
        &client,
        lead,
        json!({"content": "Old text", "channel": "email", "version": first}),
    )
    .await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "conflict");
    assert_eq!(
        body["draft"]["content"], "Hi Maya",
        "the answer carries what is stored"
    );
    let draft = stored(&server, &client, lead).await;
    assert_eq!(draft["content"], "Hi Maya");
    assert_eq!(draft["subject"], "Demo");
    assert_eq!(draft["version"], second);
}

#[tokio::test]
async fn drafts_are_private_to_their_user() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let teammate = server.teammate(&owner.client, "sam@example.com").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "phone": "+14155550100"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    save(
        &server,
        &owner.client,
        lead,
        json!({"content": "Mine", "channel": "sms", "version": 0}),
    )
    .await;
    assert_eq!(stored(&server, &teammate.client, lead).await, Value::Null);
    // The teammate's own draft starts at version 0 and does not touch the owner's.
    let res = save(
        &server,
        &teammate.client,
        lead,
        json!({"content": "Theirs", "channel": "sms", "version": 0}),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        stored(&server, &owner.client, lead).await["content"],
        "Mine"
    );
}

#[tokio::test]
async fn sending_clears_the_draft() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = server
        .create_lead(&client, json!({"name": "Maya", "phone": "+14155550100"}))
        .await;
    let lead = lead["id"].as_str().unwrap();
    save(
        &server,
        &client,
        lead,
        json!({"content": "Almost done", "channel": "sms", "version": 0}),
    )
    .await;
    assert_eq!(
        server
            .send(&client, lead, message("sms", "Almost done"))
            .await
            .status(),
        201
    );
    assert_eq!(stored(&server, &client, lead).await, Value::Null);
}

#[tokio::test]
async fn bad_drafts_are_rejected_and_delete_works() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = server.create_lead(&client, json!({"name": "Maya"})).await;
    let lead = lead["id"].as_str().unwrap();
    let res = save(
        &server,
        &client,
        lead,
        json!({"content": "x", "channel": "pigeon", "version": 0}),
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = save(
        &server,
        &client,
        lead,
        json!({"content": "x".repeat(20_001), "channel": "sms", "version": 0}),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(stored(&server, &client, lead).await, Value::Null);

    save(
        &server,
        &client,
        lead,
        json!({"content": "keep?", "channel": "sms", "version": 0}),
    )
    .await;
    let res = client
        .delete(server.url(&format!("/api/drafts/{lead}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(stored(&server, &client, lead).await, Value::Null);
}

#[tokio::test]
async fn a_version_from_before_a_send_never_matches_a_later_draft() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = server
        .create_lead(&client, json!({"name": "Maya", "phone": "+14155550100"}))
        .await;
    let lead = lead["id"].as_str().unwrap();
    let res = save(
        &server,
        &client,
        lead,
        json!({"content": "first", "channel": "sms", "version": 0}),
    )
    .await;
    let old_version = res.json::<Value>().await.unwrap()["draft"]["version"]
        .as_i64()
        .unwrap();
    server.send(&client, lead, message("sms", "first")).await;
    // A new draft after the send…
    let res = save(
        &server,
        &client,
        lead,
        json!({"content": "second", "channel": "sms", "version": 0}),
    )
    .await;
    let new_version = res.json::<Value>().await.unwrap()["draft"]["version"]
        .as_i64()
        .unwrap();
    assert!(
        new_version > old_version,
        "versions only grow: {old_version} then {new_version}"
    );
    // …cannot be overwritten by a tab still holding the old version.
    let res = save(
        &server,
        &client,
        lead,
        json!({"content": "stale tab", "channel": "sms", "version": old_version}),
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(stored(&server, &client, lead).await["content"], "second");
}
