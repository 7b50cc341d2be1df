//! The workspace-isolation matrix: a user of workspace B calls every server function, every JSON
//! route and every socket frame with workspace A's ids. Nothing of A may show in any answer, and
//! A's data must be exactly as before. The lists come from the code itself — the registered
//! server functions and the routes in `src/api/rest/` — so a new one fails here until the matrix
//! says how to call it.
use crate::support::TestServer;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Text only workspace A has: none of it may appear in an answer to B.
const MARKERS: &[&str] = &[
    "Zed Secretname",
    "zed.secret@example.com",
    "Secret subject 7731",
    "secret body 7731",
    "secret draft 7731",
    "alice-iso@example.com",
    "Alice Isolated",
    "Workspace A 7731",
    "eve-invited@example.com",
];

struct WorkspaceA {
    lead: String,
    message: String,
    /// An SMS the sandbox took.
    sms: String,
    invite: String,
    token: String,
    /// A WhatsApp template of A's.
    template: String,
    /// A's owner (a user of another workspace, for B).
    owner: String,
}

async fn workspace_a(server: &TestServer) -> (crate::support::Session, WorkspaceA) {
    let alice = server
        .session("alice-iso@example.com", "Workspace A 7731")
        .await;
    let lead = server
        .create_lead(
            &alice.client,
            json!({"name": "Zed Secretname", "email": "zed.secret@example.com", "phone": "+14155550199"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sent: Value = server
        .send(
            &alice.client,
            &lead,
            json!({"channel": "email", "subject": "Secret subject 7731", "body": "secret body 7731", "client_id": uuid::Uuid::new_v4()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let message = sent["id"].as_str().unwrap().to_string();
    // The sandbox takes the SMS at once; wait for that, so A's snapshot holds still.
    let mut ws = server.live_socket(&alice.cookie).await;
    let sms: Value = server
        .send(
            &alice.client,
            &lead,
            json!({"channel": "sms", "body": "secret body 7731", "client_id": uuid::Uuid::new_v4()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let sms = sms["id"].as_str().unwrap().to_string();
    ws.next_update(|m| m["id"] == sms.as_str() && m["status"] == "sent")
        .await;
    let res = alice
        .client
        .post(server.url(&format!("/api/drafts/{lead}")))
        .json(&json!({"content": "secret draft 7731", "channel": "sms", "version": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let invite: Value = server
        .rpc(
            &alice.client,
            "invite_teammate",
            &[("email", "eve-invited@example.com"), ("send_email", "on")],
        )
        .await
        .json()
        .await
        .unwrap();
    let token = server.api_token(&alice.client, "A token", "read").await;
    let templates: Value = server
        .rpc(
            &alice.client,
            "save_template",
            &[
                ("name", "a_secret_7731"),
                ("language", "en"),
                ("body", "Hi {{1}}"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let a = WorkspaceA {
        lead,
        message,
        sms,
        invite: invite["invite"]["id"]
            .as_str()
            .expect("invite id")
            .to_string(),
        token: token["info"]["id"].as_str().unwrap().to_string(),
        template: templates[0]["id"].as_str().unwrap().to_string(),
        owner: server.get_json(&alice.client, "/api/auth/me").await["user"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    };
    (alice, a)
}

/// Everything of A that B could touch, as A sees it.
async fn snapshot(server: &TestServer, alice: &reqwest::Client, a: &WorkspaceA) -> Value {
    let get = |path: String| async move { server.get_json(alice, &path).await };
    json!({
        "lead": get(format!("/api/leads/{}", a.lead)).await,
        "messages": get(format!("/api/messages/{}", a.lead)).await,
        "draft": get(format!("/api/drafts/{}", a.lead)).await,
        "team": server.rpc(alice, "team_overview", &[]).await.json::<Value>().await.unwrap(),
        "tokens": server.rpc(alice, "list_api_tokens", &[]).await.json::<Value>().await.unwrap()
            .as_array().unwrap().iter().map(|t| t["id"].clone()).collect::<Vec<_>>(),
        "tracking": server.rpc(alice, "get_email_tracking", &[]).await.json::<Value>().await.unwrap(),
        "inbound": server.rpc(alice, "get_inbound_email", &[]).await.json::<Value>().await.unwrap(),
        "mailbox": server.rpc(alice, "get_mailbox", &[]).await.json::<Value>().await.unwrap(),
        "channels": server.rpc(alice, "get_channels", &[]).await.json::<Value>().await.unwrap(),
        "prefs": get("/api/notification-prefs".to_string()).await,
        "templates": server.rpc(alice, "get_templates", &[]).await.json::<Value>().await.unwrap(),
    })
}

/// How B calls each server function, with A's ids. `{lead}` `{message}` `{sms}` `{invite}` `{token}`
/// are replaced.
fn server_function_calls() -> BTreeMap<&'static str, Vec<(&'static str, &'static str)>> {
    let at = "2030-01-01T10:00:00Z";
    BTreeMap::from([
        ("current_user", vec![]),
        (
            "signup",
            vec![
                ("name", ""),
                ("email", "alice-iso@example.com"),
                ("password", "x"),
                ("workspace", ""),
            ],
        ),
        (
            "login",
            vec![
                ("email", "alice-iso@example.com"),
                ("password", "wrong password"),
                ("next", "/"),
            ],
        ),
        (
            "dashboard_kpis",
            vec![("period", "7d"), ("channel", ""), ("tz", "0")],
        ),
        (
            "dashboard_analytics",
            vec![("period", "7d"), ("channel", ""), ("tz", "0")],
        ),
        // The workspace's feed is the same call without a lead (the REST route covers it).
        ("activity", vec![("lead_id", "{lead}")]),
        ("set_lead_stage", vec![("id", "{lead}"), ("stage", "won")]),
        ("same_company_leads", vec![("lead_id", "{lead}")]),
        ("book_meeting", vec![("lead_id", "{lead}"), ("at", at)]),
        ("notification_prefs", vec![]),
        (
            "save_notification_prefs",
            vec![
                ("prefs[inbound_message]", "false"),
                ("prefs[email_opened]", "false"),
                ("prefs[link_clicked]", "false"),
                ("prefs[lead_converted]", "false"),
                ("prefs[meeting_booked]", "false"),
                ("prefs[sound]", "false"),
            ],
        ),
        (
            "save_draft",
            vec![
                ("lead_id", "{lead}"),
                ("input[content]", "hijack"),
                ("input[subject]", ""),
                ("input[channel]", "sms"),
                ("input[version]", "0"),
            ],
        ),
        ("list_leads", vec![("q", ""), ("stage", "")]),
        ("get_lead", vec![("id", "{lead}")]),
        ("create_lead", vec![("input[name]", "B's own lead")]),
        (
            "update_lead",
            vec![("id", "{lead}"), ("input[name]", "Hijacked")],
        ),
        ("delete_lead", vec![("id", "{lead}")]),
        ("remove_member", vec![("user_id", "{owner}")]),
        ("set_currency", vec![("currency", "JPY")]),
        ("lead_owners", vec![]),
        (
            "delete_workspace",
            vec![("confirm", "not the workspace's name")],
        ),
        ("conversations", vec![]),
        (
            "inbox",
            vec![
                ("channel", ""),
                ("unread", "false"),
                ("owner", ""),
                ("stage", ""),
                ("q", "Secretname"),
            ],
        ),
        ("get_thread", vec![("lead_id", "{lead}")]),
        (
            "older_messages",
            vec![("lead_id", "{lead}"), ("before", "{message}")],
        ),
        (
            "send_message",
            vec![
                ("lead_id", "{lead}"),
                ("input[direction]", ""),
                ("input[channel]", "sms"),
                ("input[subject]", ""),
                ("input[body]", "hijack"),
                ("input[client_id]", "7d0c0a8e-8a52-4c55-9a55-0e5b6f3f0a01"),
                ("input[after]", ""),
                ("input[confirmed]", "false"),
            ],
        ),
        (
            "retry_message",
            vec![("lead_id", "{lead}"), ("message_id", "{message}")],
        ),
        (
            "mark_read",
            vec![("lead_id", "{lead}"), ("through", "{message}")],
        ),
        ("mark_unread", vec![("lead_id", "{lead}")]),
        ("list_outbox", vec![]),
        ("get_outbox_mail", vec![("id", "{message}")]),
        (
            "reply_as_lead",
            vec![("id", "{message}"), ("text", "hijack")],
        ),
        ("team_overview", vec![]),
        ("invite_teammate", vec![("email", "someone-b@example.com")]),
        ("revoke_invite", vec![("id", "{invite}")]),
        ("invite_details", vec![("token", "not-a-real-invite-token")]),
        (
            "accept_invite",
            vec![
                ("token", "not-a-real-invite-token"),
                ("name", "B"),
                ("password", "correct horse"),
            ],
        ),
        ("list_api_tokens", vec![]),
        (
            "create_api_token",
            vec![("name", "B token"), ("scopes", "read")],
        ),
        ("revoke_api_token", vec![("id", "{token}")]),
        ("get_email_tracking", vec![]),
        ("get_inbound_email", vec![]),
        ("get_mailbox", vec![]),
        (
            "save_mailbox",
            vec![
                ("host", "127.0.0.1"),
                ("port", "1"),
                ("security", "none"),
                ("username", "b"),
                ("password", "b-secret"),
                ("folder", "INBOX"),
                ("address", "b@example.com"),
            ],
        ),
        ("remove_mailbox", vec![]),
        ("get_channels", vec![]),
        (
            "save_twilio",
            vec![
                ("channel", "sms"),
                ("account_sid", "AC0123456789abcdef0123456789abcdef"),
                ("auth_token", "0123456789abcdef0123456789abcdef"),
                ("sender", "+15550100200"),
                ("enabled", "on"),
            ],
        ),
        (
            "save_meta",
            vec![
                ("channel", "whatsapp"),
                ("account_id", "106540352242922"),
                ("access_token", "EAAJB3mLqWfQBOZC0ZAisolation"),
                ("app_secret", "0123456789abcdef0123456789abcdef"),
                ("enabled", "on"),
            ],
        ),
        (
            "send_test",
            vec![
                ("channel", "sms"),
                ("provider", "twilio"),
                ("to", "+15550100200"),
            ],
        ),
        ("get_templates", vec![]),
        (
            "save_template",
            vec![
                ("name", "b_template"),
                ("language", "en"),
                ("body", "Hi {{1}}"),
            ],
        ),
        ("delete_template", vec![("id", "{template}")]),
        ("set_sandbox", vec![("channel", "sms"), ("on", "false")]),
        // Bob's workspace has no Meta connection: refused before Meta is asked, A untouched.
        ("import_templates", vec![("waba_id", "102290129340398")]),
        ("sandbox_reply", vec![("id", "{sms}"), ("body", "hijack")]),
        (
            "sandbox_report",
            vec![("id", "{sms}"), ("status", "delivered")],
        ),
        ("set_email_tracking", vec![("enabled", "false")]),
        ("rename_me", vec![("name", "Bob Renamed")]),
        (
            "set_member_role",
            vec![("user_id", "{owner}"), ("role", "member")],
        ),
        (
            "change_password",
            vec![
                ("current_password", "correct horse"),
                ("new_password", "bob's new secret"),
            ],
        ),
        // Last: it ends B's session.
        ("logout", vec![]),
    ])
}

fn fill(template: &str, a: &WorkspaceA) -> String {
    template
        .replace("{lead}", &a.lead)
        .replace("{message}", &a.message)
        .replace("{sms}", &a.sms)
        .replace("{invite}", &a.invite)
        .replace("{token}", &a.token)
        .replace("{template}", &a.template)
        .replace("{owner}", &a.owner)
}

fn assert_no_leak(what: &str, status: u16, body: &str, a: &WorkspaceA) {
    assert!(status < 500, "{what}: server error {status}: {body}");
    for marker in MARKERS.iter().copied().chain([
        a.lead.as_str(),
        a.message.as_str(),
        a.sms.as_str(),
        a.invite.as_str(),
        a.token.as_str(),
    ]) {
        // A 404 may echo nothing; an id B sent itself may appear only in a refusal's message.
        assert!(
            !body.contains(marker),
            "{what} ({status}) shows A's {marker:?}: {body}"
        );
    }
}

#[tokio::test]
async fn no_server_function_reveals_or_changes_another_workspace() {
    let server = TestServer::start().await;
    let (alice, a) = workspace_a(&server).await;
    let before = snapshot(&server, &alice.client, &a).await;
    let bob = server.session("bob-iso@example.com", "Workspace B").await;

    let calls = server_function_calls();
    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .filter_map(|(path, _)| path.strip_prefix("/rpc/").map(str::to_string))
        .collect();
    assert!(
        registered.len() >= 30,
        "server functions found: {registered:?}"
    );
    for name in &registered {
        assert!(
            calls.contains_key(name.as_str()),
            "server function `{name}` is not in the isolation matrix: add how to call it"
        );
    }
    let mut names: Vec<&str> = calls.keys().copied().filter(|n| *n != "logout").collect();
    names.push("logout");
    for name in names {
        let form: Vec<(&str, String)> =
            calls[name].iter().map(|(k, v)| (*k, fill(v, &a))).collect();
        let res = bob
            .client
            .post(server.url(&format!("/rpc/{name}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_no_leak(&format!("/rpc/{name}"), status, &body, &a);
    }
    assert_eq!(
        snapshot(&server, &alice.client, &a).await,
        before,
        "workspace A changed"
    );
}

/// The JSON routes, read from `src/api/rest/`: (methods, path under /api).
fn rest_routes() -> Vec<(Vec<String>, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api/rest");
    let mut routes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines().map(str::trim) {
            let Some(rest) = line
                .strip_prefix(".route(\"")
                .or_else(|| line.split_once(".route(\"").map(|(_, r)| r))
            else {
                continue;
            };
            let Some((path, handlers)) = rest.split_once('"') else {
                continue;
            };
            let methods = ["get", "post", "patch", "put", "delete"]
                .into_iter()
                .filter(|m| handlers.contains(&format!("{m}(")))
                .map(str::to_uppercase)
                .collect();
            routes.push((methods, path.to_string()));
        }
    }
    routes
}

#[tokio::test]
async fn no_json_route_reveals_or_changes_another_workspace() {
    let server = TestServer::start().await;
    let (alice, a) = workspace_a(&server).await;
    let before = snapshot(&server, &alice.client, &a).await;
    let bob = server.session("bob-iso@example.com", "Workspace B").await;
    let routes = rest_routes();
    assert!(routes.len() >= 12, "routes found: {routes:?}");
    // A body with every member some route reads, aimed at A's objects.
    let body = json!({
        "name": "Hijacked", "stage": "won", "email": "nobody-b@example.com", "password": "wrong password",
        "workspace": "", "channel": "sms", "body": "hijack", "client_id": uuid::Uuid::new_v4(),
        "content": "hijack", "version": 0, "at": "2030-01-01T10:00:00Z",
        "inbound_message": false, "email_opened": false, "link_clicked": false,
        "lead_converted": false, "meeting_booked": false, "sound": false,
    });
    let mut calls: Vec<(String, String)> = Vec::new();
    for (methods, path) in &routes {
        let path = path
            .replace("{id}", &a.lead)
            .replace("{lead_id}", &a.lead)
            .replace("{message_id}", &a.message);
        for method in methods {
            calls.push((method.clone(), path.clone()));
        }
    }
    // Signing out ends B's own session: last.
    calls.sort_by_key(|(_, path)| path == "/auth/logout");
    for (method, path) in calls {
        let request = bob
            .client
            .request(method.parse().unwrap(), server.url(&format!("/api{path}")));
        let request = if method == "GET" {
            request
        } else {
            request.json(&body)
        };
        let res = request.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_no_leak(&format!("{method} /api{path}"), status, &text, &a);
    }
    assert_eq!(
        snapshot(&server, &alice.client, &a).await,
        before,
        "workspace A changed"
    );
}

#[tokio::test]
async fn socket_frames_about_another_workspaces_lead_reach_no_one() {
    let server = TestServer::start().await;
    let (alice, a) = workspace_a(&server).await;
    let bob = server.session("bob-iso@example.com", "Workspace B").await;
    let mut bob_ws = server.live_socket(&bob.cookie).await;
    for frame in [
        json!({"type": "view", "lead_id": a.lead}),
        json!({"type": "typing", "lead_id": a.lead}),
        json!({"type": "active"}),
        json!({"type": "resume", "after": 0}),
    ] {
        bob_ws.send_json(frame).await;
    }
    // A socket handles its frames in order: once the pong is back, all of them were processed.
    bob_ws.send_json(json!({"type": "ping"})).await;
    loop {
        let frame = bob_ws.next_json().await;
        let text = frame.to_string();
        for marker in MARKERS
            .iter()
            .copied()
            .chain([a.lead.as_str(), a.message.as_str()])
        {
            assert!(
                !text.contains(marker),
                "B's socket got A's {marker:?}: {text}"
            );
        }
        if frame["type"] == "pong" {
            break;
        }
    }
    // A's fresh snapshot shows nobody from B viewing or typing on A's lead.
    let mut alice_ws = server.socket(&alice.cookie).await;
    alice_ws.resume(0).await;
    alice_ws.send_json(json!({"type": "ping"})).await;
    loop {
        let frame = alice_ws.next_json().await;
        assert!(
            !frame.to_string().contains("bob-iso") && !frame.to_string().contains("Workspace B"),
            "{frame}"
        );
        if frame["type"] == "presence" {
            assert!(
                frame["viewers"].as_array().is_none_or(|v| v.is_empty()),
                "{frame}"
            );
        }
        if frame["type"] == "pong" {
            break;
        }
    }
}
