use crate::support::TestServer;
use serde_json::{json, Value};

async fn invite_link(server: &TestServer, owner: &reqwest::Client, email: &str) -> String {
    let res = server
        .rpc(owner, "invite_teammate", &[("email", email)])
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let created: Value = res.json().await.unwrap();
    created["link"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_teammate_joins_through_an_invite_and_sees_the_same_leads() {
    let server = TestServer::start().await;
    let owner = server.signed_up("ada@example.com", "Analytical").await;
    server
        .create_lead(&owner, json!({"name": "Shared Lead"}))
        .await;
    let link = invite_link(&server, &owner, "sam@example.com").await;
    assert!(
        link.starts_with(&format!("{}/invite/", server.base)),
        "{link}"
    );
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(token.len() >= 43, "at least 256 bits of randomness");

    let teammate = server.client();
    let details: Value = server
        .rpc(&teammate, "invite_details", &[("token", &token)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(details["email"], "sam@example.com");
    assert_eq!(details["workspace_name"], "Analytical");

    let res = server
        .rpc(
            &teammate,
            "accept_invite",
            &[
                ("token", &token),
                ("name", "Sam"),
                ("password", "teammate pass"),
            ],
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(server.lead_names(&teammate).await, vec!["Shared Lead"]);
    let me: Value = server.get_json(&teammate, "/api/auth/me").await;
    assert_eq!(me["user"]["role"], "member");

    // An invite makes one account only.
    let again = server.client();
    let res = server
        .rpc(
            &again,
            "accept_invite",
            &[
                ("token", &token),
                ("name", "Mallory"),
                ("password", "another pass"),
            ],
        )
        .await;
    assert!(res.text().await.unwrap().contains("not_found"));
}

#[tokio::test]
async fn invalid_invites_store_nothing() {
    let server = TestServer::start().await;
    let owner = server.signed_up("ada@example.com", "A").await;
    let res = server
        .rpc(&owner, "invite_teammate", &[("email", "not an email")])
        .await;
    assert!(res.text().await.unwrap().contains("validation"));
    let res = server
        .rpc(&owner, "invite_teammate", &[("email", "ada@example.com")])
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("already has a Leadwire account"));
    let overview: Value = server
        .rpc(&owner, "team_overview", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["invites"], json!([]));

    let link = invite_link(&server, &owner, "sam@example.com").await;
    let token = link.rsplit('/').next().unwrap().to_string();
    let res = server
        .rpc(
            &server.client(),
            "accept_invite",
            &[("token", &token), ("name", "Sam"), ("password", "short")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("password"));
    // The failed attempt did not use up the invite.
    let res = server
        .rpc(
            &server.client(),
            "accept_invite",
            &[
                ("token", &token),
                ("name", "Sam"),
                ("password", "long enough"),
            ],
        )
        .await;
    assert!(res.status().is_success());
}

#[tokio::test]
async fn a_revoked_invite_no_longer_works() {
    let server = TestServer::start().await;
    let owner = server.signed_up("ada@example.com", "A").await;
    let link = invite_link(&server, &owner, "sam@example.com").await;
    let token = link.rsplit('/').next().unwrap().to_string();
    let overview: Value = server
        .rpc(&owner, "team_overview", &[])
        .await
        .json()
        .await
        .unwrap();
    let id = overview["invites"][0]["id"].as_str().unwrap().to_string();
    // Another workspace cannot revoke it.
    let other = server.signed_up("eve@example.com", "E").await;
    let res = server.rpc(&other, "revoke_invite", &[("id", &id)]).await;
    assert!(res.text().await.unwrap().contains("not_found"));
    assert!(server
        .rpc(&owner, "revoke_invite", &[("id", &id)])
        .await
        .status()
        .is_success());
    let res = server
        .rpc(&server.client(), "invite_details", &[("token", &token)])
        .await;
    assert!(res.text().await.unwrap().contains("not_found"));
}

/// Calls `set_member_role` as `client`.
async fn set_role(
    server: &TestServer,
    client: &reqwest::Client,
    user: &str,
    role: &str,
) -> reqwest::Response {
    server
        .rpc(
            client,
            "set_member_role",
            &[("user_id", user), ("role", role)],
        )
        .await
}

/// Owners make teammates owners or members; members cannot; a workspace always keeps an owner;
/// another workspace's people are out of reach.
#[tokio::test]
async fn owners_change_roles_and_a_workspace_keeps_an_owner() {
    let server = TestServer::start().await;
    let owner = server.session("ada@example.com", "A").await;
    let mate = server.teammate(&owner.client, "sam@example.com").await;
    let me = |client: reqwest::Client| {
        let url = server.url("/api/auth/me");
        async move {
            let me: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            me["user"].clone()
        }
    };
    let (ada, sam) = (
        me(owner.client.clone()).await,
        me(mate.client.clone()).await,
    );
    let (ada_id, sam_id) = (ada["id"].as_str().unwrap(), sam["id"].as_str().unwrap());
    assert_eq!(sam["role"], "member");

    // A member cannot promote themselves or demote the owner.
    for (user, role) in [(sam_id, "owner"), (ada_id, "member")] {
        let res = set_role(&server, &mate.client, user, role).await;
        assert_eq!(res.status(), 403, "{user} → {role}");
    }
    // The only owner cannot step down, and there are only two roles.
    let res = set_role(&server, &owner.client, ada_id, "member").await;
    assert_eq!(res.status(), 422);
    assert_eq!(crate::support::error_body(res).await["field"], "role");
    let res = set_role(&server, &owner.client, sam_id, "admin").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        me(mate.client.clone()).await["role"],
        "member",
        "nothing changed"
    );

    let res = set_role(&server, &owner.client, sam_id, "owner").await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(me(mate.client.clone()).await["role"], "owner");
    // With a second owner, the first may step down, and then manages no roles.
    let res = set_role(&server, &owner.client, ada_id, "member").await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(me(owner.client.clone()).await["role"], "member");
    let res = set_role(&server, &owner.client, ada_id, "owner").await;
    assert_eq!(res.status(), 403, "a member again");

    // Someone of another workspace is not found, and keeps their role.
    let other = server.session("eve@example.com", "E").await;
    let eve = me(other.client.clone()).await;
    let res = set_role(&server, &mate.client, eve["id"].as_str().unwrap(), "member").await;
    assert_eq!(res.status(), 404);
    assert_eq!(me(other.client.clone()).await["role"], "owner");
}

/// Two owners stepping down at the same moment: one of them stays owner.
#[tokio::test]
async fn two_owners_stepping_down_at_once_leave_one_owner() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let sam = server.teammate(&ada.client, "sam@example.com").await;
    let id = |me: Value| me["user"]["id"].as_str().unwrap().to_string();
    let ada_id = id(server.get_json(&ada.client, "/api/auth/me").await);
    let sam_id = id(server.get_json(&sam.client, "/api/auth/me").await);
    let res = set_role(&server, &ada.client, &sam_id, "owner").await;
    assert!(res.status().is_success(), "{}", res.status());

    let (a, b) = tokio::join!(
        set_role(&server, &ada.client, &ada_id, "member"),
        set_role(&server, &sam.client, &sam_id, "member"),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 422],
        "one step-down goes through, the other is refused"
    );
    let team: Value = server
        .rpc(&ada.client, "team_overview", &[])
        .await
        .json()
        .await
        .unwrap();
    let owners = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "owner")
        .count();
    assert_eq!(owners, 1, "{team}");
}

/// Joining, a role change and a removal are `team_changed` events: a teammate's open tab hears
/// each live, a tab that was away gets them in its replay, a refused change logs nothing, and
/// another workspace hears nothing.
#[tokio::test]
async fn the_team_changing_reaches_open_tabs_as_events() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let stranger = server.session("eve@example.com", "E").await;
    let ada_id = server.get_json(&ada.client, "/api/auth/me").await["user"]["id"].clone();
    let mut live = server.live_socket(&ada.cookie).await;
    let mut other = server.live_socket(&stranger.cookie).await;
    let before = live.next_json_head();

    let sam = server.teammate(&ada.client, "sam@example.com").await;
    let sam_id = server.get_json(&sam.client, "/api/auth/me").await["user"]["id"].clone();
    let joined = live.next_of("team_changed").await;
    assert_eq!(
        (&joined["user_id"], &joined["role"]),
        (&sam_id, &json!("member"))
    );
    assert!(joined["seq"].as_i64().unwrap() > before, "{joined}");

    // Refused (the only owner stepping down): nothing is logged, so the next event is Sam's.
    let res = set_role(&server, &ada.client, ada_id.as_str().unwrap(), "member").await;
    assert_eq!(res.status(), 422);
    let res = set_role(&server, &ada.client, sam_id.as_str().unwrap(), "owner").await;
    assert!(res.status().is_success(), "{}", res.status());
    let promoted = live.next_of("team_changed").await;
    assert_eq!(
        (&promoted["user_id"], &promoted["role"]),
        (&sam_id, &json!("owner"))
    );

    let res = server
        .rpc(
            &ada.client,
            "remove_member",
            &[("user_id", sam_id.as_str().unwrap())],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let removed = live.next_of("team_changed").await;
    assert_eq!(
        (&removed["user_id"], &removed["role"]),
        (&sam_id, &Value::Null)
    );

    // Replayed, in order, to a tab that resumes from before them.
    let mut away = server.socket(&ada.cookie).await;
    away.resume(before).await;
    for expected in [joined, promoted, removed] {
        assert_eq!(away.next_of("team_changed").await, expected);
    }

    // Another workspace: nothing. Past its own presence, its next frame answers its ping.
    other.send_json(json!({"type": "ping"})).await;
    assert_eq!(
        other.next_except(&["online", "presence"]).await["type"],
        "pong"
    );
}
