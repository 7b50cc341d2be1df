//! Deleting a workspace: its owner types its name to confirm, and everything in it goes — every
//! row that belongs to it, in every table — while other workspaces keep every row; teammates'
//! open sockets close as signed out.
use crate::support::{message, TestServer};
use crate::support::{on_test_db, TestDb};
use serde_json::{json, Value};

/// Rows per table that belong to `workspace` (tables with a `workspace_id` column, the
/// workspace itself, and its people's sessions and tokens).
async fn rows_of(db: &TestDb, workspace: &str, people: &[uuid::Uuid]) -> Vec<(String, i64)> {
    let id = uuid::Uuid::parse_str(workspace).unwrap();
    let mut per_user = Vec::new();
    for table in ["sessions", "api_tokens"] {
        let mut n = 0;
        for user in people {
            n += db.count_naming(table, "user_id", *user).await;
        }
        per_user.push((table.to_string(), n));
    }
    let mut counts = Vec::new();
    for table in db.tables_with("workspace_id").await {
        let n = db.count_naming(&table, "workspace_id", id).await;
        counts.push((table, n));
    }
    counts.push((
        "workspaces".into(),
        db.count_naming("workspaces", "id", id).await,
    ));
    counts.extend(per_user);
    counts
}

fn without_events(counts: Vec<(String, i64)>) -> Vec<(String, i64)> {
    counts.into_iter().filter(|(t, _)| t != "events").collect()
}

fn events(counts: &[(String, i64)]) -> i64 {
    counts
        .iter()
        .find(|(t, _)| t == "events")
        .map_or(0, |(_, n)| *n)
}

async fn people(db: &TestDb, workspace: &str) -> Vec<uuid::Uuid> {
    let rows: Vec<(uuid::Uuid,)> = on_test_db!(db, |p, q| sqlx::query_as(q(
        "SELECT id FROM users WHERE workspace_id = ?"
    ))
    .bind(uuid::Uuid::parse_str(workspace).unwrap())
    .fetch_all(p)
    .await
    .unwrap());
    rows.into_iter().map(|(u,)| u).collect()
}

async fn workspace_id(server: &TestServer, client: &reqwest::Client) -> String {
    let me = server.get_json(client, "/api/auth/me").await;
    me["user"]["workspace_id"]
        .as_str()
        .expect("workspace id")
        .to_string()
}

/// A workspace with a bit of everything: a teammate, leads with conversations, a draft, a
/// pending invite, an API token, a template.
async fn busy_workspace(server: &TestServer, email: &str, name: &str) -> crate::support::Session {
    let owner = server.session(email, name).await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "phone": "+14155550100", "email": "maya@example.com"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    let mut email_msg = message("email", "Pricing attached");
    email_msg["subject"] = json!("Pricing");
    assert_eq!(
        server.send(&owner.client, lead, email_msg).await.status(),
        201
    );
    server
        .lead_wrote(&owner.client, lead, "sms", "Thanks!")
        .await;
    let res = owner
        .client
        .post(server.url(&format!("/api/drafts/{lead}")))
        .json(&json!({"content": "Draft", "channel": "sms", "version": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let local = email.split('@').next().unwrap();
    server
        .teammate(&owner.client, &format!("{local}-mate@example.com"))
        .await;
    let res = server
        .rpc(
            &owner.client,
            "invite_teammate",
            &[("email", &format!("{local}-later@example.com"))],
        )
        .await;
    assert_eq!(res.status(), 200);
    server
        .api_token(&owner.client, "integration", "read write")
        .await;
    let res = server
        .rpc(
            &owner.client,
            "save_template",
            &[("name", "hello"), ("language", "en"), ("body", "Hi {{1}}")],
        )
        .await;
    assert_eq!(res.status(), 200);
    owner
}

#[tokio::test]
async fn an_owner_deletes_the_workspace_and_nothing_of_it_is_left() {
    let server = TestServer::start().await;
    let ada = busy_workspace(&server, "ada@example.com", "Acme").await;
    let bob = busy_workspace(&server, "bob@example.com", "Bobco").await;
    let pool = server.db().await;
    let acme = workspace_id(&server, &ada.client).await;
    let bobco = workspace_id(&server, &bob.client).await;
    let acme_people = people(&pool, &acme).await;
    let bobco_people = people(&pool, &bobco).await;
    let before = rows_of(&pool, &acme, &acme_people).await;
    let filled: Vec<&str> = before
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, _)| t.as_str())
        .collect();
    for table in [
        "users",
        "leads",
        "messages",
        "message_drafts",
        "invites",
        "api_tokens",
        "events",
        "message_rollups",
        "sessions",
        "api_tokens",
    ] {
        assert!(
            filled.contains(&table),
            "{table} has rows first: {before:?}"
        );
    }
    let bob_before = rows_of(&pool, &bobco, &bobco_people).await;
    let bob_kpis = server.get_json(&bob.client, "/api/dashboard/kpis").await;

    // The teammate has a tab open.
    let mate = server.login("ada-mate@example.com").await;
    let mut mate_tab = server.live_socket(&mate.cookie).await;

    // A wrong name deletes nothing and says what to type. (The event log may still grow: the
    // dashboard's coalesced updates land when they are due.)
    let before = without_events(rows_of(&pool, &acme, &acme_people).await);
    let res = server
        .rpc(&ada.client, "delete_workspace", &[("confirm", "acme inc")])
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "confirm", "{body}");
    assert_eq!(
        body["message"],
        "Type the workspace's name, Acme, to confirm."
    );
    assert_eq!(
        without_events(rows_of(&pool, &acme, &acme_people).await),
        before
    );

    let res = server
        .rpc(&ada.client, "delete_workspace", &[("confirm", " Acme ")])
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let cleared = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("lw_session=;"));
    assert!(cleared, "the session cookie is cleared");

    let left: Vec<(String, i64)> = rows_of(&pool, &acme, &acme_people)
        .await
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // (The FTS tables are SQLite's; PostgreSQL keeps search words in the rows.)
    let fts_orphans = if crate::support::test_backend_postgres() {
        "0"
    } else {
        "(SELECT COUNT(*) FROM messages_fts WHERE message_id NOT IN (SELECT id FROM messages)) \
         + (SELECT COUNT(*) FROM leads_fts WHERE lead_id NOT IN (SELECT id FROM leads))"
    };
    let orphans = pool
        .count(&format!(
            "SELECT {fts_orphans} \
             + (SELECT COUNT(*) FROM lead_channels WHERE lead_id NOT IN (SELECT id FROM leads)) \
             + (SELECT COUNT(*) FROM leads_being_deleted)"
        ))
        .await;
    assert_eq!(orphans, 0);
    // The other workspace keeps every row and every figure.
    let bob_after = rows_of(&pool, &bobco, &bobco_people).await;
    assert_eq!(
        without_events(bob_after.clone()),
        without_events(bob_before.clone())
    );
    assert!(events(&bob_after) >= events(&bob_before), "{bob_after:?}");
    assert_eq!(
        server.get_json(&bob.client, "/api/dashboard/kpis").await,
        bob_kpis
    );

    // Everyone of it is signed out: the open tab closes, the sessions are worthless.
    assert_eq!(
        mate_tab.closed().await,
        Some((1008, "session ended".to_string()))
    );
    for client in [&ada.client, &mate.client] {
        let res = client.get(server.url("/api/auth/me")).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
    // The address is free again.
    server.session("ada@example.com", "Acme again").await;
}

#[tokio::test]
async fn only_the_owner_signed_in_deletes_a_workspace() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "Acme").await;
    let mate = server.teammate(&ada.client, "max@example.com").await;
    let token = server.api_token(&ada.client, "t", "read write").await;
    let token = token["secret"].as_str().unwrap();
    let res = server
        .rpc(&mate.client, "delete_workspace", &[("confirm", "Acme")])
        .await;
    assert_eq!(res.status(), 403);
    let res = reqwest::Client::new()
        .post(server.url("/rpc/delete_workspace"))
        .bearer_auth(token)
        .form(&[("confirm", "Acme")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let me = server.get_json(&ada.client, "/api/auth/me").await;
    assert_eq!(me["user"]["workspace_name"], "Acme");
}
