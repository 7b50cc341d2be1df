//! Owners remove teammates: the teammate is signed out everywhere at once and can no longer
//! sign in or use a token, what they wrote keeps their name, their leads become unassigned live,
//! and the address can be invited again. Members remove nobody; nobody removes themselves;
//! another workspace's people are out of reach.
use crate::support::{message, TestServer};
use serde_json::{json, Value};

async fn user_id(server: &TestServer, client: &reqwest::Client) -> String {
    let me = server.get_json(client, "/api/auth/me").await;
    me["user"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_owner_removes_a_teammate_who_is_signed_out_everywhere() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let sam = server.teammate(&ada.client, "sam@example.com").await;
    let sam_id = user_id(&server, &sam.client).await;
    // Sam owns a lead, wrote to it, has a token and an open tab on a second device.
    let lead = server
        .create_lead(
            &sam.client,
            json!({"name": "Maya", "phone": "+14155550100"}),
        )
        .await;
    let lead_id = lead["id"].as_str().unwrap().to_string();
    assert_eq!(lead["owner_id"], sam_id.as_str());
    assert_eq!(
        server
            .send(&sam.client, &lead_id, message("sms", "Hi Maya, Sam here"))
            .await
            .status(),
        201
    );
    let token = server
        .api_token(&sam.client, "sam's script", "read write")
        .await;
    let token = token["secret"].as_str().unwrap().to_string();
    let sam_phone = server.login("sam@example.com").await;
    let mut sam_tab = server.live_socket(&sam_phone.cookie).await;
    let mut token_socket = server
        .socket_with("authorization", &format!("Bearer {token}"))
        .await;
    let mut ada_tab = server.live_socket(&ada.cookie).await;

    let res = server
        .rpc(&ada.client, "remove_member", &[("user_id", &sam_id)])
        .await;
    assert_eq!(res.status(), 200);

    // Every way in is closed at once.
    let ended = Some((1008, "session ended".to_string()));
    assert_eq!(sam_tab.closed().await, ended);
    assert_eq!(token_socket.closed().await, ended);
    for res in [
        sam.client
            .get(server.url("/api/auth/me"))
            .send()
            .await
            .unwrap(),
        reqwest::Client::new()
            .get(server.url("/api/leads"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        server
            .client()
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": "sam@example.com", "password": "correct horse"}))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), 401, "{}", res.url());
    }
    // The lead is unassigned, live; the message keeps its author's name.
    let update = loop {
        let frame = ada_tab.next_of("leads_updated").await;
        if frame["lead"]["id"] == lead_id.as_str() {
            break frame;
        }
    };
    assert_eq!(update["lead"]["owner_id"], Value::Null, "{update}");
    let thread = server
        .get_json(&ada.client, &format!("/api/messages/{lead_id}"))
        .await;
    assert_eq!(thread["messages"][0]["author_name"], "Teammate", "{thread}");
    // Gone from the team; the address can be invited again and joins as a new account.
    let team: Value = server
        .rpc(&ada.client, "team_overview", &[])
        .await
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["ada@example.com"]);
    let again = server.teammate(&ada.client, "sam@example.com").await;
    assert_ne!(user_id(&server, &again.client).await, sam_id);
    // Removing the removed one again: not one of the workspace's people.
    let res = server
        .rpc(&ada.client, "remove_member", &[("user_id", &sam_id)])
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn only_owners_remove_and_never_themselves_or_other_workspaces_people() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let sam = server.teammate(&ada.client, "sam@example.com").await;
    let bob = server.signed_up("bob@example.com", "B").await;
    let ada_id = user_id(&server, &ada.client).await;
    let bob_id = user_id(&server, &bob).await;

    let res = server
        .rpc(&sam.client, "remove_member", &[("user_id", &ada_id)])
        .await;
    assert_eq!(res.status(), 403);
    let res = server
        .rpc(&ada.client, "remove_member", &[("user_id", &ada_id)])
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "user_id", "{body}");
    for other in [bob_id.as_str(), "not-a-user"] {
        let res = server
            .rpc(&ada.client, "remove_member", &[("user_id", other)])
            .await;
        assert_eq!(res.status(), 404, "{other}");
    }
    // Nothing changed: everyone is still signed in.
    for client in [&ada.client, &sam.client, &bob] {
        let res = client.get(server.url("/api/auth/me")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
}
