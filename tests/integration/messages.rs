use crate::support::{error_body, message, TestServer};
use serde_json::{json, Value};

async fn lead(server: &TestServer, client: &reqwest::Client) -> String {
    let lead = server
        .create_lead(
            client,
            json!({"name": "Maya Patel", "email": "maya@example.com", "phone": "+14155550100"}),
        )
        .await;
    lead["id"].as_str().unwrap().to_string()
}

async fn thread(server: &TestServer, client: &reqwest::Client, lead: &str, query: &str) -> Value {
    let res = client
        .get(server.url(&format!("/api/messages/{lead}{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn sent_and_received_messages_form_one_timeline() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = lead(&server, &client).await;

    let mut email = message("email", "Hi Maya, following up.");
    email["subject"] = json!("Your demo");
    let res = server.send(&client, &lead, email).await;
    assert_eq!(res.status(), 201);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(sent["direction"], "outbound");
    assert_eq!(
        sent["status"], "queued",
        "email waits for the delivery worker"
    );
    assert_eq!(sent["subject"], "Your demo");
    assert_eq!(sent["author_name"], "Test User");
    assert_eq!(
        sent["opened_at"],
        Value::Null,
        "tracking fields are part of the shape"
    );

    let mut inbound = message("sms", "Thanks! Thursday works.");
    inbound["direction"] = json!("inbound");
    let res = server.send(&client, &lead, inbound).await;
    assert_eq!(res.status(), 201);
    let received: Value = res.json().await.unwrap();
    assert_eq!(received["status"], "received");
    assert_eq!(received["author_name"], Value::Null);

    let page = thread(&server, &client, &lead, "").await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        vec!["Hi Maya, following up.", "Thanks! Thursday works."]
    );
    assert_eq!(page["has_more"], false);
}

#[tokio::test]
async fn older_messages_load_page_by_page() {
    let server = TestServer::start_with(|s| s.thread_page_size = 3).await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = lead(&server, &client).await;
    for i in 0..7 {
        assert_eq!(
            server
                .send(&client, &lead, message("sms", &format!("m{i}")))
                .await
                .status(),
            201
        );
    }
    let bodies = |page: &Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_string())
            .collect()
    };
    let newest = thread(&server, &client, &lead, "").await;
    assert_eq!(bodies(&newest), vec!["m4", "m5", "m6"]);
    assert_eq!(newest["has_more"], true);
    let first_id = newest["messages"][0]["id"].as_str().unwrap();
    let older = thread(&server, &client, &lead, &format!("?before={first_id}")).await;
    assert_eq!(bodies(&older), vec!["m1", "m2", "m3"]);
    let first_id = older["messages"][0]["id"].as_str().unwrap();
    let oldest = thread(&server, &client, &lead, &format!("?before={first_id}")).await;
    assert_eq!(bodies(&oldest), vec!["m0"]);
    assert_eq!(oldest["has_more"], false);
    let limited = thread(&server, &client, &lead, "?limit=2").await;
    assert_eq!(bodies(&limited), vec!["m5", "m6"]);
}

#[tokio::test]
async fn the_same_send_id_ten_times_at_once_makes_one_message() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = lead(&server, &client).await;
    // Website chat: an SMS moves on to `sent` as the sandbox takes it, so a repeat answered
    // after that would show the newer status of the same message.
    let body = message("chat", "Exactly once");
    let sends = (0..10).map(|_| {
        let client = client.clone();
        let url = server.url(&format!("/api/messages/{lead}"));
        let body = body.clone();
        tokio::spawn(async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        })
    });
    let answers: Vec<(u16, String)> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "answers differ: {answers:?}"
    );
    assert_eq!(answers[0].0, 201);
    let page = thread(&server, &client, &lead, "").await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    // No chat widget shows it to a visitor yet: it says it was kept here, not sent.
    let answer: serde_json::Value = serde_json::from_str(&answers[0].1).unwrap();
    assert_eq!(answer["status"], "sent");
    assert_eq!(answer["delivered_via"], "held");
    assert_eq!(page["messages"][0]["delivered_via"], "held");
}

#[tokio::test]
async fn bad_messages_are_rejected_and_store_nothing() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let no_phone = server
        .create_lead(
            &client,
            json!({"name": "Email Only", "email": "e@example.com"}),
        )
        .await;
    let no_phone = no_phone["id"].as_str().unwrap();
    let cases = [
        (message("sms", "   "), "body"),
        (message("sms", &"x".repeat(20_001)), "body"),
        (message("fax", "Hello"), "channel"),
        (message("sms", "Hello"), "channel"), // the lead has no phone number
        (message("whatsapp", "Hello"), "channel"),
        (
            json!({"channel": "email", "body": "Hi", "client_id": "not-a-uuid"}),
            "client_id",
        ),
        (
            json!({"channel": "sms", "body": "Hi", "subject": "Subjects are for email", "client_id": uuid::Uuid::new_v4()}),
            "subject",
        ),
        (
            json!({"channel": "email", "body": "Hi", "direction": "sideways", "client_id": uuid::Uuid::new_v4()}),
            "direction",
        ),
    ];
    for (body, field) in cases {
        let res = server.send(&client, no_phone, body.clone()).await;
        assert_eq!(res.status(), 422, "{body}");
        assert_eq!(error_body(res).await["field"], field, "{body}");
    }
    let res = client
        .post(server.url(&format!("/api/messages/{no_phone}")))
        .header("content-type", "application/json")
        .body(r#"{"channel": "email", "body": 42}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = thread(&server, &client, no_phone, "").await;
    assert_eq!(page["messages"], json!([]));
}

#[tokio::test]
async fn another_workspaces_thread_is_404() {
    let server = TestServer::start().await;
    let owner = server.signed_up("ada@example.com", "A").await;
    let other = server.signed_up("eve@example.com", "E").await;
    let lead = lead(&server, &owner).await;
    server.send(&owner, &lead, message("sms", "private")).await;
    let res = other
        .get(server.url(&format!("/api/messages/{lead}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = server
        .send(&other, &lead, message("sms", "intrusion"))
        .await;
    assert_eq!(res.status(), 404);
    let res = other
        .get(server.url(&format!("/api/drafts/{lead}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let page = thread(&server, &owner, &lead, "").await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_send_after_a_teammates_reply_is_flagged_unless_confirmed() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let mate = server.teammate(&owner.client, "bo@example.com").await;
    let lead = lead(&server, &owner.client).await;

    let mut first = message("sms", "Hi Maya");
    first["after"] = json!("start");
    let first: Value = server
        .send(&owner.client, &lead, first)
        .await
        .json()
        .await
        .unwrap();
    let first_id = first["id"].as_str().unwrap();

    // Ada starts writing after her own message; Bo replies meanwhile.
    let mut reply = message("sms", "Maya, Bo here");
    reply["after"] = json!(first_id);
    assert_eq!(server.send(&mate.client, &lead, reply).await.status(), 201);

    let mut stale = message("sms", "Following up!");
    stale["after"] = json!(first_id);
    let res = server.send(&owner.client, &lead, stale.clone()).await;
    assert_eq!(res.status(), 409);
    let body = error_body(res).await;
    assert_eq!(body["error"], "collision");
    let text = body["message"].as_str().unwrap();
    assert!(
        text.starts_with("Teammate replied") && text.contains(" s ago"),
        "{text}"
    );
    let page = thread(&server, &owner.client, &lead, "").await;
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        2,
        "nothing stored"
    );

    stale["confirmed"] = json!(true);
    assert_eq!(
        server
            .send(&owner.client, &lead, stale.clone())
            .await
            .status(),
        201
    );
    // Retrying that send (same client id) is not a collision: it answers the original.
    stale["confirmed"] = json!(false);
    let again = server.send(&owner.client, &lead, stale).await;
    assert_eq!(again.status(), 201);

    // Integrations that do not opt in are never flagged; a bad `after` names the field.
    assert_eq!(
        server
            .send(&owner.client, &lead, message("sms", "No guard"))
            .await
            .status(),
        201
    );
    let mut bad = message("sms", "x");
    bad["after"] = json!("yesterday");
    let res = server.send(&owner.client, &lead, bad).await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "after");
}

/// The README's promise for a retried send: the same message (same id, body and time), in its
/// current state, and nothing new stored. An email delivered between the two answers reads
/// `queued` in the first and `sent` in the retry's.
#[tokio::test]
async fn a_retried_send_answers_with_the_same_message_as_it_is_now() {
    let server = TestServer::start().await;
    let session = server.session("ada@example.com", "A").await;
    let mut ws = server.live_socket(&session.cookie).await;
    let client = session.client.clone();
    let lead = server
        .create_lead(
            &client,
            json!({"name": "Maya", "email": "maya@example.com"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"channel": "email", "subject": "Hi", "body": "Once", "client_id": uuid::Uuid::new_v4()});
    let first: Value = server
        .send(&client, &lead, body.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["status"], "queued");
    let id = first["id"].as_str().unwrap().to_string();
    ws.next_update(|m| m["id"] == id.as_str() && m["status"] == "sent")
        .await;
    let res = server.send(&client, &lead, body).await;
    assert_eq!(res.status(), 201);
    let retry: Value = res.json().await.unwrap();
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["created_at"], first["created_at"]);
    assert_eq!(retry["body"], first["body"]);
    assert_eq!(
        retry["status"], "sent",
        "the retry shows the message as it is now"
    );
    let page = thread(&server, &client, &lead, "").await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
}
