//! WhatsApp's and Instagram's 24-hour window: free text only within 24 hours of the lead's last
//! message on the channel; outside it WhatsApp takes an approved template (the workspace's, with
//! its parameters), which goes to Meta as a template, and Instagram nothing. Refused sends are
//! 422 on `template` and store nothing.
use crate::fake_meta::FakeMeta;
use crate::support::{error_body, message, Session, TestServer};
use serde_json::{json, Value};

async fn server_with(meta: &FakeMeta) -> TestServer {
    let base = meta.base.clone();
    TestServer::start_with(move |s| {
        s.channels.meta_graph_base = base;
        s.channels.retry_base_ms = 20;
    })
    .await
}

async fn add_template(server: &TestServer, owner: &Session, name: &str, body: &str) -> Value {
    let res = server
        .rpc(
            &owner.client,
            "save_template",
            &[("name", name), ("language", "en_US"), ("body", body)],
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    server.db().await.count(sql).await
}

fn template_send(name: &str, params: &[&str]) -> Value {
    let mut m = message("whatsapp", "");
    m["template"] = json!(name);
    m["template_language"] = json!("en_US");
    m["template_params"] = json!(params);
    m
}

#[tokio::test]
async fn outside_the_window_free_text_is_refused_and_an_approved_template_goes_to_meta() {
    let mut meta = FakeMeta::start().await;
    let server = server_with(&meta).await;
    let owner = server.session("owner@example.com", "Acme").await;
    crate::fake_meta::connect(&server, &owner, "whatsapp").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya Patel", "whatsapp": "+14155550101", "instagram": "maya"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = || count(&server, "SELECT COUNT(*) FROM messages");

    // Maya never wrote on WhatsApp: free text is refused before anything is stored.
    let res = server
        .send(&owner.client, &lead, message("whatsapp", "Hi Maya!"))
        .await;
    assert_eq!(res.status(), 422);
    let body = error_body(res).await;
    assert_eq!(body["field"], "template");
    let why = body["message"].as_str().unwrap();
    assert!(
        why.contains("24 hours") && why.contains("Maya Patel"),
        "{why}"
    );
    assert_eq!(stored().await, 0);

    // A template the workspace does not have, or with the wrong parameters: refused too.
    let res = server
        .send(&owner.client, &lead, template_send("follow_up", &["Maya"]))
        .await;
    assert_eq!(res.status(), 422);
    assert!(error_body(res).await["message"]
        .as_str()
        .unwrap()
        .contains("Settings → Channels"));
    add_template(
        &server,
        &owner,
        "follow_up",
        "Hi {{1}}, are you still interested in {{2}}?",
    )
    .await;
    let res = server
        .send(&owner.client, &lead, template_send("follow_up", &["Maya"]))
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "template");
    assert_eq!(stored().await, 0);

    // The approved template goes: the thread shows what Maya reads, Meta gets a template.
    let res = server
        .send(
            &owner.client,
            &lead,
            template_send("follow_up", &["Maya", "the spring quote"]),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(
        sent["body"],
        "Hi Maya, are you still interested in the spring quote?"
    );
    let request = meta.next_request().await;
    assert!(request.authorized);
    assert_eq!(
        request.body,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "14155550101",
            "type": "template",
            "template": {"name": "follow_up", "language": {"code": "en_US"}, "components": [
                {"type": "body", "parameters": [
                    {"type": "text", "text": "Maya"}, {"type": "text", "text": "the spring quote"},
                ]},
            ]},
        })
    );

    // Instagram has the window and no templates.
    let res = server
        .send(&owner.client, &lead, message("instagram", "Hi!"))
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "template");
    let mut on_instagram = template_send("follow_up", &["Maya", "x"]);
    on_instagram["channel"] = json!("instagram");
    let res = server.send(&owner.client, &lead, on_instagram).await;
    assert_eq!(res.status(), 422);

    // Once Maya writes, free text goes again, as text.
    server
        .lead_wrote(&owner.client, &lead, "whatsapp", "Yes! Call me.")
        .await;
    let res = server
        .send(
            &owner.client,
            &lead,
            message("whatsapp", "Calling you at 3."),
        )
        .await;
    assert_eq!(res.status(), 201);
    let request = meta.next_request().await;
    assert_eq!(request.body["type"], "text");
    assert_eq!(request.body["text"]["body"], "Calling you at 3.");
}

#[tokio::test]
async fn the_window_closes_24_hours_after_the_leads_last_message() {
    use leadwire::model::channel::Channel;
    use leadwire::model::ids::{LeadId, UserId, WorkspaceId};
    use leadwire::model::message::Direction;
    use leadwire::server::store::messages::NewMessage;
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    // The same database through a second store: what the lead wrote, backdated.
    let store = leadwire::server::store::Store::open(&server.database_url)
        .await
        .unwrap();
    let mut leads = Vec::new();
    for (name, hours_ago) in [("Recent", 23), ("Stale", 25)] {
        let lead = server
            .create_lead(
                &owner.client,
                json!({"name": name, "whatsapp": "+14155550101"}),
            )
            .await;
        let id = LeadId::parse(lead["id"].as_str().unwrap()).unwrap();
        let me: Value = server.get_json(&owner.client, "/api/auth/me").await;
        let workspace: WorkspaceId =
            serde_json::from_value(me["user"]["workspace_id"].clone()).unwrap();
        store
            .insert_message(
                workspace,
                &NewMessage {
                    lead_id: id,
                    direction: Direction::Inbound,
                    channel: Channel::Whatsapp,
                    subject: None,
                    body: "Hello",
                    status: "received",
                    author_id: None::<UserId>,
                    created_at: chrono::Utc::now() - chrono::Duration::hours(hours_ago),
                },
            )
            .await
            .unwrap();
        leads.push(id.to_string());
    }
    let res = server
        .send(
            &owner.client,
            &leads[0],
            message("whatsapp", "Within the day"),
        )
        .await;
    assert_eq!(res.status(), 201, "23 hours after their message");
    let res = server
        .send(
            &owner.client,
            &leads[1],
            message("whatsapp", "A day too late"),
        )
        .await;
    assert_eq!(res.status(), 422, "25 hours after their message");
    // The thread tells the composer when each window closes.
    for (lead, open) in [(&leads[0], true), (&leads[1], false)] {
        let thread: Value = server
            .rpc(&owner.client, "get_thread", &[("lead_id", lead.as_str())])
            .await
            .json()
            .await
            .unwrap();
        let window = thread["windows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["channel"] == "whatsapp")
            .unwrap();
        let until: chrono::DateTime<chrono::Utc> =
            window["open_until"].as_str().unwrap().parse().unwrap();
        assert_eq!(until > chrono::Utc::now(), open, "{window}");
    }
}

#[tokio::test]
async fn templates_are_checked_owner_only_and_scoped_to_the_workspace() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    for (name, language, body, field) in [
        ("Follow Up", "en", "Hi", "name"),
        ("follow_up", "English", "Hi", "language"),
        ("follow_up", "en", "Hi {{2}}", "body"),
        ("follow_up", "en", "", "body"),
    ] {
        let res = server
            .rpc(
                &owner.client,
                "save_template",
                &[("name", name), ("language", language), ("body", body)],
            )
            .await;
        assert_eq!(res.status(), 422, "{name} {language} {body}");
        assert_eq!(error_body(res).await["field"], field);
    }
    let list = add_template(&server, &owner, "follow_up", "Hi {{1}}!").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Saved again with the same name and language: its text is replaced, not doubled.
    let list = add_template(&server, &owner, "follow_up", "Hello {{1}}!").await;
    assert_eq!(list[0]["body"], "Hello {{1}}!");
    let id = list[0]["id"].as_str().unwrap().to_string();

    // Teammates read them (the composer offers them) but cannot change them.
    let mate = server.teammate(&owner.client, "rep@example.com").await;
    let seen: Value = server
        .rpc(&mate.client, "get_templates", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen[0]["name"], "follow_up");
    let res = server
        .rpc(
            &mate.client,
            "save_template",
            &[("name", "x"), ("language", "en"), ("body", "x")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = server
        .rpc(&mate.client, "delete_template", &[("id", id.as_str())])
        .await;
    assert_eq!(res.status(), 403);

    // Another workspace sees none and removes none.
    let other = server.session("eve@example.com", "Eve").await;
    let theirs: Value = server
        .rpc(&other.client, "get_templates", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, json!([]));
    let res = server
        .rpc(&other.client, "delete_template", &[("id", id.as_str())])
        .await;
    assert_eq!(res.status(), 404);

    let res = server
        .rpc(&owner.client, "delete_template", &[("id", id.as_str())])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!([]));
}

/// `make run`'s demo: its WhatsApp lead wrote days ago, so the composer offers the demo's
/// template there, and sending it works through the sandbox.
#[tokio::test]
async fn the_demo_workspace_can_follow_up_on_whatsapp_with_its_template() {
    let (server, client) = TestServer::demo().await;
    let leads = server.get_json(&client, "/api/leads").await;
    let lucas = leads["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Lucas Moreau")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let thread: Value = server
        .rpc(&client, "get_thread", &[("lead_id", lucas.as_str())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(thread["templates"][0]["name"], "follow_up");
    let res = server
        .send(
            &client,
            &lucas,
            message("whatsapp", "Free text, days later"),
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = server
        .send(
            &client,
            &lucas,
            template_send("follow_up", &["Lucas", "the atelier fit-out"]),
        )
        .await;
    assert_eq!(res.status(), 201);
}
