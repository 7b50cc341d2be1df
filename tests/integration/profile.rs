//! A user's own name and password (Settings → Your profile).
use crate::support::{error_body, TestServer};
use serde_json::{json, Value};

#[tokio::test]
async fn a_user_renames_themselves_and_teammates_see_the_new_name() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let res = server.rpc(&client, "rename_me", &[("name", "  ")]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "name");
    let me: Value = server.get_json(&client, "/api/auth/me").await;
    assert_eq!(
        me["user"]["name"], "Test User",
        "a refused name changes nothing"
    );

    let res = server
        .rpc(&client, "rename_me", &[("name", "Ada Lovelace")])
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let me: Value = server.get_json(&client, "/api/auth/me").await;
    assert_eq!(me["user"]["name"], "Ada Lovelace");
    let lead = server
        .create_lead(
            &client,
            json!({"name": "Maya", "owner_id": me["user"]["id"]}),
        )
        .await;
    let read: Value = server
        .get_json(
            &client,
            &format!("/api/leads/{}", lead["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read["owner_name"], "Ada Lovelace");
}

/// A rename is a logged event of the workspace: teammates' open tabs get it live, a tab that
/// was away gets it in its replay, and another workspace hears nothing.
#[tokio::test]
async fn a_rename_reaches_teammates_open_tabs_as_an_event() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let mate = server.teammate(&ada.client, "sam@example.com").await;
    let stranger = server.session("eve@example.com", "E").await;
    let ada_id = server.get_json(&ada.client, "/api/auth/me").await["user"]["id"].clone();
    // Ada has a tab open too: teammates see her online.
    let _ada_tab = server.live_socket(&ada.cookie).await;
    let mut live = server.live_socket(&mate.cookie).await;
    let mut other = server.live_socket(&stranger.cookie).await;
    let before = live.next_json_head();

    let res = server
        .rpc(&ada.client, "rename_me", &[("name", "Ada Lovelace")])
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    // The event, and her open tab renamed in the online list (two streams: either may come
    // first).
    let (mut event, mut renamed_online) = (None, false);
    while event.is_none() || !renamed_online {
        let frame = live.next_json().await;
        match frame["type"].as_str() {
            Some("member_renamed") => event = Some(frame),
            Some("online") => {
                renamed_online = frame["users"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|u| u["user_id"] == ada_id && u["name"] == "Ada Lovelace")
            }
            _ => {}
        }
    }
    let frame = event.unwrap();
    assert_eq!(frame["user_id"], ada_id);
    assert_eq!(frame["name"], "Ada Lovelace");
    assert!(frame["seq"].as_i64().unwrap() > before, "{frame}");

    // Replayed to a tab that resumes from before it.
    let mut away = server.socket(&mate.cookie).await;
    away.resume(before).await;
    let replayed = away.next_of("member_renamed").await;
    assert_eq!(replayed, frame);

    // Another workspace: nothing. Past its own presence, its next frame answers its ping.
    other.send_json(json!({"type": "ping"})).await;
    assert_eq!(
        other.next_except(&["online", "presence"]).await["type"],
        "pong"
    );
}

/// Calls `change_password` as `client`.
async fn change_password(
    server: &TestServer,
    client: &reqwest::Client,
    current: &str,
    new: &str,
) -> reqwest::Response {
    let form = [("current_password", current), ("new_password", new)];
    server.rpc(client, "change_password", &form).await
}

/// The status of `/api/auth/me` for `client`: 200 signed in, 401 not.
async fn me_status(server: &TestServer, client: &reqwest::Client) -> u16 {
    let res = client.get(server.url("/api/auth/me")).send().await.unwrap();
    res.status().as_u16()
}

#[tokio::test]
async fn a_password_change_checks_the_current_one_and_signs_out_other_devices() {
    let server = TestServer::start().await;
    let here = server.session("ada@example.com", "A").await;
    let elsewhere = server.login("ada@example.com").await;
    let mut other_tab = server.live_socket(&elsewhere.cookie).await;

    let wrong = change_password(&server, &here.client, "not it", "a new secret").await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(error_body(wrong).await["field"], "current_password");
    let short = change_password(&server, &here.client, "correct horse", "short").await;
    assert_eq!(short.status(), 422);
    assert_eq!(error_body(short).await["field"], "new_password");
    // Nothing changed so far: the other device is still signed in.
    assert_eq!(me_status(&server, &elsewhere.client).await, 200);

    let res = change_password(&server, &here.client, "correct horse", "battery staple").await;
    assert!(res.status().is_success(), "{}", res.status());
    // The other device's session ended, its socket at once; this one stays signed in.
    let (code, reason) = other_tab.closed().await.expect("a close frame");
    assert_eq!((code, reason.as_str()), (1008, "session ended"));
    assert_eq!(me_status(&server, &elsewhere.client).await, 401);
    assert_eq!(me_status(&server, &here.client).await, 200);
    // Only the new password signs in.
    for (password, status) in [("correct horse", 401), ("battery staple", 200)] {
        let res = server
            .client()
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": "ada@example.com", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{password}");
    }
}

#[tokio::test]
async fn api_tokens_cannot_change_a_name_or_password() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let created = server.api_token(&client, "t", "read write").await;
    let secret = created["secret"].as_str().unwrap();
    let bearer = reqwest::Client::new();
    for (name, form) in [
        ("rename_me", vec![("name", "Mallory")]),
        (
            "change_password",
            vec![
                ("current_password", "correct horse"),
                ("new_password", "owned it now"),
            ],
        ),
    ] {
        let res = bearer
            .post(server.url(&format!("/rpc/{name}")))
            .bearer_auth(secret)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}");
    }
    let me: Value = server.get_json(&client, "/api/auth/me").await;
    assert_eq!(me["user"]["name"], "Test User");
}
