//! Deleting a lead: an owner's `DELETE /api/leads/{id}` (or the lead page's button) removes the
//! lead with its conversation and everything recorded about it, including the real-time log's
//! copies; open tabs hear `lead_deleted`, the dashboard's figures follow, and nobody else can
//! delete (members 403, other workspaces 404, read-only tokens 403).
use crate::support::{lead_fields, message, store_database, workspace_with_lead, TestServer};
use crate::support::{on_test_db, TestDb};
use leadwire::model::channel::Channel;
use leadwire::model::message::{CollisionGuard, Direction, MessageFields};
use leadwire::server::store::Store;
use serde_json::{json, Value};

/// Rows that still name `lead` or one of its `messages` (their ids as stored, or the lead's id
/// as text in the event log), by table.
async fn rows_naming(db: &TestDb, lead: &str, messages: &[uuid::Uuid]) -> Vec<(String, i64)> {
    let id = uuid::Uuid::parse_str(lead).unwrap();
    let mut counts = Vec::new();
    for (table, column) in [
        ("leads", "id"),
        ("leads_fts", "lead_id"),
        ("messages", "lead_id"),
        ("message_drafts", "lead_id"),
        ("lead_reads", "lead_id"),
        ("activities", "lead_id"),
        ("lead_channels", "lead_id"),
        // The deletion's note of the log's purge, gone once the purge is done.
        ("log_purges", "lead_id"),
    ] {
        counts.push((table.to_string(), db.count_naming(table, column, id).await));
    }
    for table in [
        "outbound_emails",
        "tracked_links",
        "tracking_events",
        "deliveries",
        "outbound_queue",
        "messages_fts",
    ] {
        let mut n = 0;
        for message in messages {
            n += db.count_naming(table, "message_id", *message).await;
        }
        counts.push((table.to_string(), n));
    }
    let n: i64 = on_test_db!(db, |p, q| {
        sqlx::query_scalar(q(
        "SELECT COUNT(*) FROM events WHERE payload LIKE '%' || ? || '%' AND kind != 'lead_deleted'"
    ))
    .bind(lead)
    .fetch_one(p)
    .await
    .unwrap()
    });
    counts.push(("events".to_string(), n));
    counts
}

/// What a tab that resumes from `after` is sent before it goes live.
async fn replayed_after(server: &TestServer, cookie: &str, after: i64) -> Vec<Value> {
    let mut late = server.socket(cookie).await;
    late.resume(after).await;
    let mut replayed = Vec::new();
    loop {
        let frame = late.next_json().await;
        if frame["type"] == "live" {
            return replayed;
        }
        replayed.push(frame);
    }
}

fn all_zero(counts: &[(String, i64)]) -> bool {
    counts.iter().all(|(_, n)| *n == 0)
}

#[tokio::test]
async fn an_owner_deletes_a_lead_with_everything_recorded_about_it() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let keep = server
        .create_lead(
            &ada.client,
            json!({"name": "Kept Lead", "phone": "+14155550101"}),
        )
        .await;
    // Where a tab that goes offline now would resume from.
    let resume_from = server.socket(&ada.cookie).await.next_json_head();
    let maya = server
        .create_lead(
            &ada.client,
            json!({"name": "Maya Patel", "email": "maya@example.com", "phone": "+14155550100",
                   "deal_value": "1200"}),
        )
        .await;
    let id = maya["id"].as_str().unwrap().to_string();
    let kept = keep["id"].as_str().unwrap().to_string();
    let mut email = message("email", "Our zanzibarian pricing, as promised");
    email["subject"] = json!("Pricing");
    assert_eq!(server.send(&ada.client, &id, email).await.status(), 201);
    assert_eq!(
        server
            .send(&ada.client, &id, message("sms", "Zanzibarian follow-up"))
            .await
            .status(),
        201
    );
    server
        .lead_wrote(&ada.client, &id, "sms", "Zanzibarian thanks!")
        .await;
    server.lead_wrote(&ada.client, &kept, "sms", "I stay").await;
    let draft = ada
        .client
        .post(server.url(&format!("/api/drafts/{id}")))
        .json(&json!({"content": "unsent words", "channel": "sms", "version": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(draft.status(), 200);
    let pool = server.db().await;
    let messages: Vec<(uuid::Uuid,)> = on_test_db!(&pool, |p, q| sqlx::query_as(q(
        "SELECT id FROM messages WHERE lead_id = ?"
    ))
    .bind(uuid::Uuid::parse_str(&id).unwrap())
    .fetch_all(p)
    .await
    .unwrap());
    let messages: Vec<uuid::Uuid> = messages.into_iter().map(|(m,)| m).collect();
    let before = rows_naming(&pool, &id, &messages).await;
    for (table, n) in &before {
        // Read marks and tracking hits need a reader and a click, a purge a deletion; the rest
        // is there.
        let optional = [
            "log_purges",
            "lead_reads",
            "tracking_events",
            "deliveries",
            "tracked_links",
        ];
        // PostgreSQL keeps the search words in the rows (no FTS tables to empty).
        if table.ends_with("_fts") && crate::support::test_backend_postgres() {
            continue;
        }
        assert!(
            *n > 0 || optional.contains(&table.as_str()),
            "{table} first: {before:?}"
        );
    }
    let kpis = |client: &reqwest::Client| {
        let client = client.clone();
        let url = server.url("/api/dashboard/kpis?period=7d");
        async move {
            let v: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            v["kpis"].clone()
        }
    };
    let figures = kpis(&ada.client).await;
    assert_eq!(figures["sent"], 2, "{figures}");
    assert_eq!(figures["replies_received"], 2, "{figures}");
    assert_eq!(figures["pipeline_value_cents"], 120_000, "{figures}");

    // A second tab of Ada's, live, and one that shows the dashboard.
    let mut tab = server.live_socket(&ada.cookie).await;
    let mut dashboard = server.dashboard_socket(&ada.cookie).await;

    let res = ada
        .client
        .delete(server.url(&format!("/api/leads/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let gone = tab.next_of("lead_deleted").await;
    assert_eq!(gone["lead_id"], id.as_str(), "{gone}");
    let stats = loop {
        let frame = dashboard.next_of("stats_updated").await;
        if frame["stats"]["sent"] == 0 {
            break frame;
        }
    };
    assert_eq!(stats["stats"]["replies_received"], 1, "{stats}");

    let after = rows_naming(&pool, &id, &messages).await;
    assert!(all_zero(&after), "{after:?}");
    for path in [format!("/api/leads/{id}"), format!("/api/messages/{id}")] {
        let res = ada.client.get(server.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    assert_eq!(server.lead_names(&ada.client).await, vec!["Kept Lead"]);
    let figures = kpis(&ada.client).await;
    assert_eq!(figures["sent"], 0, "{figures}");
    assert_eq!(figures["replies_received"], 1, "{figures}");
    assert_eq!(figures["pipeline_value_cents"], 0, "{figures}");
    // Search finds nothing of it.
    let found: Value = server
        .rpc(
            &ada.client,
            "inbox",
            &[
                ("channel", ""),
                ("unread", "false"),
                ("owner", ""),
                ("stage", ""),
                ("q", "zanzibarian"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["rows"], json!([]), "{found}");
    // A tab that was offline throughout replays none of it: only the deletion names the lead.
    let replayed = replayed_after(&server, &ada.cookie, resume_from).await;
    let naming: Vec<&Value> = replayed
        .iter()
        .filter(|f| f.to_string().contains(&id))
        .collect();
    assert_eq!(naming.len(), 1, "{naming:?}");
    assert_eq!(naming[0]["type"], "lead_deleted");
    assert!(
        replayed.iter().any(|f| f["type"] == "messages_updated"),
        "a replay, not a reset: {replayed:?}"
    );
    // The other lead keeps its conversation.
    let thread: Value = server
        .get_json(&ada.client, &format!("/api/messages/{kept}"))
        .await;
    assert_eq!(
        thread["messages"].as_array().map(Vec::len),
        Some(1),
        "{thread}"
    );
    // Deleting it again: there is nothing to delete.
    let again = ada
        .client
        .delete(server.url(&format!("/api/leads/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn only_an_owner_of_the_workspace_deletes() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let lead = server
        .create_lead(&ada.client, json!({"name": "Maya Patel"}))
        .await;
    let id = lead["id"].as_str().unwrap();
    let url = server.url(&format!("/api/leads/{id}"));
    let member = server.teammate(&ada.client, "max@example.com").await;
    let bob = server.signed_up("bob@example.com", "B").await;
    let read_only = server.api_token(&ada.client, "ro", "read").await;
    let read_only = read_only["secret"].as_str().unwrap();

    let res = member.client.delete(&url).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["message"], "Only the workspace owner can delete leads.",
        "{body}"
    );
    let res = server
        .rpc(&member.client, "delete_lead", &[("id", id)])
        .await;
    assert_eq!(res.status(), 403);
    let res = bob.delete(&url).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = reqwest::Client::new()
        .delete(&url)
        .bearer_auth(read_only)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = ada
        .client
        .delete(server.url("/api/leads/not-a-lead"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(server.lead_names(&ada.client).await, vec!["Maya Patel"]);

    // The owner's own call through the page's server function.
    let res = server.rpc(&ada.client, "delete_lead", &[("id", id)]).await;
    assert_eq!(res.status(), 200);
    assert!(server.lead_names(&ada.client).await.is_empty());
}

#[tokio::test]
async fn a_delete_that_skips_the_store_is_still_refused() {
    let server = TestServer::start().await;
    let ada = server.signed_up("ada@example.com", "A").await;
    let lead = server.create_lead(&ada, json!({"name": "Maya"})).await;
    let id = uuid::Uuid::parse_str(lead["id"].as_str().unwrap()).unwrap();
    let err = on_test_db!(&server.db().await, |p, q| sqlx::query(q(
        "DELETE FROM leads WHERE id = ?"
    ))
    .bind(id)
    .execute(p)
    .await
    .unwrap_err());
    assert!(err.to_string().contains("dashboard rollups"), "{err}");
}

#[tokio::test]
async fn a_tab_that_missed_a_deleted_leads_first_events_replays_instead_of_resetting() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let resume_from = server.socket(&ada.cookie).await.next_json_head();
    // The workspace's oldest events are those of the lead that will be deleted.
    let gone = server
        .create_lead(&ada.client, json!({"name": "Gone Soon"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = server
        .send(&ada.client, &gone, message("chat", "First words"))
        .await;
    assert_eq!(res.status(), 201);
    let kept = server
        .create_lead(&ada.client, json!({"name": "Kept Later"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = server
        .send(&ada.client, &kept, message("chat", "Still here"))
        .await;
    assert_eq!(res.status(), 201);
    let res = ada
        .client
        .delete(server.url(&format!("/api/leads/{gone}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    // A tab offline since before both: nothing it could be shown was pruned, so it replays.
    let replayed = replayed_after(&server, &ada.cookie, resume_from).await;
    let kinds: Vec<&str> = replayed
        .iter()
        .map(|f| f["type"].as_str().unwrap_or(""))
        .collect();
    assert!(!kinds.contains(&"reset"), "a reset: {kinds:?}");
    assert!(
        replayed
            .iter()
            .any(|f| f["type"] == "messages_updated" && f["message"]["body"] == "Still here"),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"lead_deleted"), "{kinds:?}");
    assert!(
        !replayed
            .iter()
            .any(|f| f.to_string().contains("First words")),
        "the deleted lead's own events are gone"
    );
}

/// Events of the log that name `lead` (its id as text), and the purges still noted.
async fn log_naming(db: &TestDb, lead: leadwire::model::ids::LeadId) -> (i64, i64) {
    on_test_db!(db, |p, q| {
        let events: i64 = sqlx::query_scalar(q(
            "SELECT COUNT(*) FROM events WHERE payload LIKE '%' || ? || '%'",
        ))
        .bind(lead.to_string())
        .fetch_one(p)
        .await
        .unwrap();
        let noted: i64 = sqlx::query_scalar(q("SELECT COUNT(*) FROM log_purges"))
            .fetch_one(p)
            .await
            .unwrap();
        (events, noted)
    })
}

/// A purge of a deleted lead's events that a restart cut short (its note left in
/// `log_purges`) is finished later, as the pruner does: the events naming that lead go, every
/// other event stays, and the note goes.
#[tokio::test]
async fn a_purge_of_the_log_cut_short_is_finished_later() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _scratch) = store_database(dir.path(), "purge.db").await;
    let store = Store::open(&url).await.unwrap();
    let db = TestDb::connect(&url).await;
    let (workspace, owner, lead) = workspace_with_lead(&store).await;
    let other = store
        .insert_lead(workspace, owner, &lead_fields("Other", "other@example.com"))
        .await
        .unwrap()
        .id;
    for (n, target) in [lead, other, lead, other, lead].into_iter().enumerate() {
        let fields = MessageFields {
            channel: Channel::Sms,
            direction: Direction::Outbound,
            subject: None,
            body: format!("message {n}"),
            client_id: uuid::Uuid::new_v4(),
            guard: CollisionGuard::Off,
            template: None,
            attachments: Vec::new(),
        };
        store
            .record_message(workspace, target, Some(owner), &fields, None)
            .await
            .unwrap();
    }
    // What the deletion's write notes; then the restart came before the purge.
    on_test_db!(&db, |p, q| sqlx::query(q(
        "INSERT INTO log_purges (lead_id, workspace_id, purge_through) \
         SELECT ?, workspace_id, head FROM workspace_event_heads WHERE workspace_id = ?"
    ))
    .bind(lead)
    .bind(workspace)
    .execute(p)
    .await
    .unwrap()
    .rows_affected());
    let (before, noted) = log_naming(&db, lead).await;
    assert!(
        before >= 3,
        "each message to the lead logged events naming it"
    );
    assert_eq!(noted, 1);
    let others_before = log_naming(&db, other).await.0;

    assert_eq!(store.finish_log_purges().await.unwrap(), 1);
    assert_eq!(log_naming(&db, lead).await, (0, 0), "the purge finished");
    assert_eq!(
        log_naming(&db, other).await.0,
        others_before,
        "no other event went"
    );
    assert_eq!(store.finish_log_purges().await.unwrap(), 0, "nothing left");
}
