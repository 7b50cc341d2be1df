//! Read status: unread counts per user in the inbox, marking read and unread, and the
//! private `reads_updated` event that keeps the user's other tabs in step.
use crate::support::TestServer;
use serde_json::{json, Value};

async fn unread(server: &TestServer, client: &reqwest::Client, lead: &str) -> i64 {
    let rows: Value = server
        .rpc(client, "conversations", &[])
        .await
        .json()
        .await
        .unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["lead_id"] == lead)
        .map(|r| r["unread"].as_i64().unwrap())
        .expect("lead in the inbox")
}

async fn inbound(server: &TestServer, client: &reqwest::Client, lead: &str, body: &str) -> Value {
    server
        .send(
            client,
            lead,
            json!({"direction": "inbound", "channel": "sms", "body": body, "client_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn unread_counts_are_per_user_and_follow_marks() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let mate = server.teammate(&owner.client, "bo@example.com").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "phone": "+14155550100"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    let mut ada_tab = server.live_socket(&owner.cookie).await;
    let mut bo_tab = server.live_socket(&mate.cookie).await;

    inbound(&server, &owner.client, lead, "One").await;
    inbound(&server, &owner.client, lead, "Two").await;
    let last = inbound(&server, &owner.client, lead, "Three").await;
    // Our own replies never count as unread.
    server
        .send(
            &owner.client,
            lead,
            json!({"channel": "sms", "body": "Hi!", "client_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(unread(&server, &owner.client, lead).await, 3);
    assert_eq!(unread(&server, &mate.client, lead).await, 3);

    let res = server
        .rpc(
            &owner.client,
            "mark_read",
            &[("lead_id", lead), ("through", last["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(res.json::<i64>().await.unwrap(), 0);
    assert_eq!(unread(&server, &owner.client, lead).await, 0);
    assert_eq!(
        unread(&server, &mate.client, lead).await,
        3,
        "Bo has not read it"
    );

    // Ada's other tabs hear it; Bo's socket gets no read event of hers.
    let event = ada_tab.next_of("reads_updated").await;
    assert_eq!(event["lead_id"], lead);
    assert_eq!(event["unread"], 0);
    inbound(&server, &owner.client, lead, "Four").await;
    loop {
        let frame = bo_tab.next_logged().await;
        assert_ne!(frame["type"], "reads_updated", "{frame}");
        if frame["type"] == "messages_updated" && frame["message"]["body"] == "Four" {
            break;
        }
    }
    assert_eq!(unread(&server, &owner.client, lead).await, 1);

    let res = server
        .rpc(&owner.client, "mark_unread", &[("lead_id", lead)])
        .await;
    assert_eq!(res.json::<i64>().await.unwrap(), 1);
    let res = server
        .rpc(
            &owner.client,
            "mark_read",
            &[("lead_id", lead), ("through", last["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(
        res.json::<i64>().await.unwrap(),
        1,
        "marking an older message never unreads newer ones, nor reads them"
    );
}

#[tokio::test]
async fn marks_are_scoped_to_the_lead_and_workspace() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let eve = server.session("eve@example.com", "E").await;
    let ours = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "phone": "+14155550100"}),
        )
        .await;
    let ours = ours["id"].as_str().unwrap();
    let other = server
        .create_lead(
            &owner.client,
            json!({"name": "Sam", "phone": "+14155550101"}),
        )
        .await;
    let other = other["id"].as_str().unwrap();
    let message = inbound(&server, &owner.client, ours, "Hello").await;
    let id = message["id"].as_str().unwrap();

    // A message of another lead, or another workspace's lead: not found, nothing marked.
    let res = server
        .rpc(
            &owner.client,
            "mark_read",
            &[("lead_id", other), ("through", id)],
        )
        .await;
    assert!(!res.status().is_success());
    let res = server
        .rpc(
            &eve.client,
            "mark_read",
            &[("lead_id", ours), ("through", id)],
        )
        .await;
    assert!(!res.status().is_success());
    assert_eq!(unread(&server, &owner.client, ours).await, 1);
}
