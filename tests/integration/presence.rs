//! Team awareness over `/ws`: viewers of a lead, typing, online status; a closed or silent tab
//! drops out; nothing crosses workspaces.
use crate::support::TestServer;
use serde_json::{json, Value};

async fn lead_of(server: &TestServer, client: &reqwest::Client, name: &str) -> String {
    let lead = server.create_lead(client, json!({"name": name})).await;
    lead["id"].as_str().unwrap().to_string()
}

fn names(frame: &Value) -> Vec<String> {
    frame["viewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn teammates_see_who_views_a_lead_and_who_types() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "Acme").await;
    let mate = server.teammate(&owner.client, "bo@example.com").await;
    let lead = lead_of(&server, &owner.client, "Maya").await;
    let mut ada = server.live_socket(&owner.cookie).await;
    let mut bo = server.live_socket(&mate.cookie).await;

    bo.send_json(json!({"type": "view", "lead_id": lead})).await;
    let seen = ada.next_of("presence").await;
    assert_eq!(seen["lead_id"], lead.as_str());
    assert_eq!(names(&seen), vec!["Teammate"]);

    bo.send_json(json!({"type": "typing", "lead_id": lead}))
        .await;
    let typing = ada.next_of("typing").await;
    assert_eq!(typing["name"], "Teammate");
    assert_eq!(typing["lead_id"], lead.as_str());
    assert!(
        typing["expires_in_ms"].as_u64().unwrap() > 0,
        "it expires by itself"
    );

    // Closing the tab takes the avatar away at once.
    bo.close().await;
    let left = ada.next_of("presence").await;
    assert_eq!(left["lead_id"], lead.as_str());
    assert!(names(&left).is_empty(), "{left}");
}

#[tokio::test]
async fn a_late_joiner_gets_the_current_state() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "Acme").await;
    let mate = server.teammate(&owner.client, "bo@example.com").await;
    let lead = lead_of(&server, &owner.client, "Maya").await;
    let mut bo = server.live_socket(&mate.cookie).await;
    bo.send_json(json!({"type": "view", "lead_id": lead})).await;
    // Bo's own socket reflects the view: it is recorded.
    bo.next_of("presence").await;

    let mut ada = server.socket(&owner.cookie).await;
    ada.resume(0).await;
    ada.next_of("live").await;
    let online = ada.next_of("online").await;
    let users: Vec<&str> = online["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(
        users.contains(&"Teammate") && users.contains(&"Test User"),
        "{online}"
    );
    let presence = ada.next_of("presence").await;
    assert_eq!(names(&presence), vec!["Teammate"]);
}

#[tokio::test]
async fn a_silent_tab_drops_out_after_the_heartbeat_timeout() {
    let server = TestServer::start_with(|s| s.ws_heartbeat_secs = 1).await;
    let owner = server.session("ada@example.com", "Acme").await;
    let mate = server.teammate(&owner.client, "bo@example.com").await;
    let lead = lead_of(&server, &owner.client, "Maya").await;
    let mut ada = server.live_socket(&owner.cookie).await;
    let mut bo = server.live_socket(&mate.cookie).await;
    bo.send_json(json!({"type": "view", "lead_id": lead})).await;
    assert_eq!(names(&ada.next_of("presence").await), vec!["Teammate"]);
    // Bo's tab "crashes": never read again, so the server's pings go unanswered.
    let gone = ada.next_of("presence").await;
    assert!(names(&gone).is_empty(), "{gone}");
    drop(bo);
}

#[tokio::test]
async fn presence_never_crosses_workspaces() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "Acme").await;
    let eve = server.session("eve@example.com", "Other").await;
    let ours = lead_of(&server, &owner.client, "Maya").await;
    let theirs = lead_of(&server, &eve.client, "Zed").await;
    let mut ada = server.live_socket(&owner.cookie).await;
    let mut eve_ws = server.live_socket(&eve.cookie).await;

    // Eve claims to view and type on our lead: ignored, and nothing reaches us.
    eve_ws
        .send_json(json!({"type": "view", "lead_id": ours}))
        .await;
    eve_ws
        .send_json(json!({"type": "typing", "lead_id": ours}))
        .await;
    eve_ws
        .send_json(json!({"type": "view", "lead_id": theirs}))
        .await;
    let hers = eve_ws.next_of("presence").await;
    assert_eq!(
        hers["lead_id"],
        theirs.as_str(),
        "the first view was not recorded"
    );

    // Our next presence frame is our own view, not anything of Eve's.
    ada.send_json(json!({"type": "view", "lead_id": ours}))
        .await;
    loop {
        let frame = ada.next_json().await;
        assert_ne!(frame["type"], "typing", "{frame}");
        if frame["type"] == "online" {
            // Only Ada is online in her workspace; Eve is in another one.
            assert_eq!(frame["users"].as_array().unwrap().len(), 1, "{frame}");
        }
        if frame["type"] == "presence" {
            assert_eq!(frame["lead_id"], ours.as_str());
            assert_eq!(names(&frame), vec!["Test User"]);
            break;
        }
    }
}
