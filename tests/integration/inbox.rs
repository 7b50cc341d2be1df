//! The inbox: filters, full-text search (with hostile input), and workspace scoping.
use crate::support::{TestDb, TestServer};
use leadwire::model::error::AppError;
use serde_json::{json, Value};

async fn inbox(
    server: &TestServer,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut full = vec![
        ("channel", ""),
        ("unread", "false"),
        ("owner", ""),
        ("stage", ""),
        ("q", ""),
    ];
    for (k, v) in form {
        full.retain(|(key, _)| key != k);
        full.push((k, v));
    }
    server.rpc(client, "inbox", &full).await
}

async fn names(
    server: &TestServer,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> Vec<String> {
    let res = inbox(server, client, form).await;
    assert_eq!(res.status(), 200, "{form:?}");
    let page: Value = res.json().await.unwrap();
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lead_name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn filters_and_search_find_the_right_leads_and_nothing_else() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let bo = server.teammate(&ada.client, "bo@example.com").await;
    let maya = server
        .create_lead(
            &ada.client,
            json!({"name": "Maya Patel", "phone": "+14155550100"}),
        )
        .await;
    let maya = maya["id"].as_str().unwrap();
    let sam = server
        .create_lead(
            &bo.client,
            json!({"name": "Sam Stone", "email": "sam@example.com", "stage": "qualified"}),
        )
        .await;
    let sam = sam["id"].as_str().unwrap();
    server
        .create_lead(
            &ada.client,
            json!({"name": "Zed Quiet", "company": "Pricing Partners"}),
        )
        .await;
    server
        .send(&ada.client, maya, json!({"direction": "inbound", "channel": "sms", "body": "Can we talk pricing tomorrow?", "client_id": uuid::Uuid::new_v4().to_string()}))
        .await;
    server
        .send(&bo.client, sam, json!({"channel": "email", "subject": "Contract draft", "body": "Please sign the contract", "client_id": uuid::Uuid::new_v4().to_string()}))
        .await;
    // Another workspace talks about pricing too; it must never show up.
    let eve = server.signed_up("eve@example.com", "E").await;
    let theirs = server
        .create_lead(&eve, json!({"name": "Eve Lead", "phone": "+14155550199"}))
        .await;
    server
        .send(&eve, theirs["id"].as_str().unwrap(), json!({"direction": "inbound", "channel": "sms", "body": "pricing pricing", "client_id": uuid::Uuid::new_v4().to_string()}))
        .await;

    assert_eq!(
        names(&server, &ada.client, &[]).await,
        vec!["Sam Stone", "Maya Patel"]
    );
    assert_eq!(
        names(&server, &ada.client, &[("channel", "sms")]).await,
        vec!["Maya Patel"]
    );
    assert_eq!(
        names(&server, &ada.client, &[("owner", "me")]).await,
        vec!["Maya Patel"]
    );
    assert_eq!(
        names(&server, &bo.client, &[("owner", "me")]).await,
        vec!["Sam Stone"]
    );
    assert_eq!(
        names(&server, &ada.client, &[("stage", "qualified")]).await,
        vec!["Sam Stone"]
    );
    assert!(names(&server, &ada.client, &[("stage", "won")])
        .await
        .is_empty());
    assert_eq!(
        names(&server, &ada.client, &[("unread", "true")]).await,
        vec!["Maya Patel"]
    );

    // Prefix search over bodies, subjects, names and companies, highlighted.
    let res = inbox(&server, &ada.client, &[("q", "pric")]).await;
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["searched"], true);
    let rows = page["rows"].as_array().unwrap();
    let found: Vec<&str> = rows
        .iter()
        .map(|r| r["lead_name"].as_str().unwrap())
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.contains(&"Maya Patel") && found.contains(&"Zed Quiet"),
        "{found:?}"
    );
    let maya_row = rows
        .iter()
        .find(|r| r["lead_name"] == "Maya Patel")
        .unwrap();
    let marked: Vec<&str> = maya_row["matched"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p[1] == true)
        .map(|p| p[0].as_str().unwrap())
        .collect();
    assert_eq!(marked, vec!["pricing"]);
    assert_eq!(
        names(&server, &ada.client, &[("q", "contract")]).await,
        vec!["Sam Stone"]
    );
    assert_eq!(
        names(&server, &ada.client, &[("q", "stone")]).await,
        vec!["Sam Stone"]
    );
    assert!(names(&server, &ada.client, &[("q", "eve")])
        .await
        .is_empty());

    // Hostile search text is just words (or nothing): never an error, never a leak.
    for q in [
        "\"",
        "*",
        "AND (",
        "pricing\" OR body:*",
        "NEAR(a b)",
        "^x",
        "' OR 1=1 --",
    ] {
        let res = inbox(&server, &ada.client, &[("q", q)]).await;
        assert_eq!(res.status(), 200, "{q}");
        let page: Value = res.json().await.unwrap();
        for row in page["rows"].as_array().unwrap() {
            assert_ne!(row["lead_name"], "Eve Lead", "{q}");
        }
    }
}

#[tokio::test]
async fn bad_filters_and_overlong_searches_name_their_field() {
    let server = TestServer::start().await;
    let ada = server.signed_up("ada@example.com", "A").await;
    let long = "a".repeat(201);
    for (form, field) in [
        (vec![("channel", "fax")], "channel"),
        (vec![("owner", "boss")], "owner"),
        (vec![("stage", "dead")], "stage"),
        (vec![("q", long.as_str())], "q"),
    ] {
        let res = inbox(&server, &ada, &form).await;
        let err: AppError = res.json().await.unwrap();
        assert_eq!(err.field(), Some(field), "{form:?}");
    }
}

/// The page's event-log head, as `<meta name="leadwire-seq">` carries it.
async fn page_head(server: &TestServer, client: &reqwest::Client) -> i64 {
    let html = server.get_text(client, "/inbox").await;
    let (_, rest) = html
        .split_once(r#"<meta name="leadwire-seq" content=""#)
        .expect("the page names its event head");
    rest[..rest.find('"').unwrap()].parse().unwrap()
}

/// A page is rendered at its workspace's event head — read with the session, in the same
/// statement — so its socket resumes right after what the page shows; another workspace's
/// events do not move it.
#[tokio::test]
async fn a_page_carries_its_workspaces_event_head() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let zed = server.session("zed@example.com", "Z").await;
    let lead = server
        .create_lead(
            &ada.client,
            json!({"name": "Maya", "phone": "+14155550100"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    server.lead_wrote(&ada.client, lead, "sms", "Hello").await;
    let ws = server.socket(&ada.cookie).await;
    let head = ws.next_json_head();
    assert!(head > 0, "Ada's workspace has events");
    assert_eq!(page_head(&server, &ada.client).await, head);

    // Busy elsewhere: Zed's workspace gains events, Ada's head stays.
    let other = server
        .create_lead(
            &zed.client,
            json!({"name": "Otto", "phone": "+14155550101"}),
        )
        .await;
    for body in ["one", "two", "three"] {
        server
            .lead_wrote(&zed.client, other["id"].as_str().unwrap(), "sms", body)
            .await;
    }
    assert_eq!(page_head(&server, &ada.client).await, head);
    assert!(page_head(&server, &zed.client).await > 0);

    // Ada's next event moves her next page's head past it.
    server.lead_wrote(&ada.client, lead, "sms", "Again").await;
    assert!(page_head(&server, &ada.client).await > head);
}

/// The server-rendered inbox reuses a viewer's rows while the workspace's head stands still
/// (`server::inbox_cache`); every kind of write that changes a row moves the head, so a reload
/// shows it at once: a new message, a read mark (for its reader only), a lead's edit and a
/// teammate's new name.
#[tokio::test]
async fn a_rendered_inbox_shows_every_change_at_the_next_load() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let bo = server.teammate(&ada.client, "bo@example.com").await;
    let lead = server
        .create_lead(
            &bo.client,
            json!({"name": "Maya Patel", "phone": "+14155550100"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    server
        .lead_wrote(&ada.client, lead, "sms", "First hello")
        .await;
    let owner = |name: &str| format!("<span class=\"muted\">{name}</span></span>");

    let page = server.get_text(&ada.client, "/inbox").await;
    assert!(page.contains("class=\"preview\">First hello"), "{page}");
    assert!(page.contains("aria-label=\"1 unread\""));
    assert!(page.contains(&owner("Teammate")));

    // Nothing written since, so Ada's next load reuses her rows: a change made behind the app's
    // back (no seq taken, which no write of the app does) is not read. Bo's rows are his own.
    let db = TestDb::connect(&server.database_url).await;
    db.set_text("leads", "company", "Quiet Co", lead.parse().unwrap())
        .await;
    let page = server.get_text(&ada.client, "/inbox").await;
    assert!(page.contains("class=\"preview\">First hello"), "{page}");
    assert!(!page.contains("Quiet Co"), "Ada's rows came from the cache");
    assert!(server
        .get_text(&bo.client, "/inbox")
        .await
        .contains("Quiet Co"));

    // What the lead writes next moves the head: everything is read afresh.
    server
        .lead_wrote(&ada.client, lead, "sms", "Second hello")
        .await;
    let page = server.get_text(&ada.client, "/inbox").await;
    assert!(page.contains("class=\"preview\">Second hello"), "{page}");
    assert!(page.contains("aria-label=\"2 unread\""));
    assert!(page.contains("Quiet Co"));

    // Ada reads it: her rows change, Bo's do not.
    let bos = server.get_text(&bo.client, "/inbox").await;
    assert!(bos.contains("aria-label=\"2 unread\""));
    let messages = server
        .get_json(&ada.client, &format!("/api/messages/{lead}"))
        .await;
    let last = messages["messages"].as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = server
        .rpc(
            &ada.client,
            "mark_read",
            &[("lead_id", lead), ("through", last.as_str())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = server.get_text(&ada.client, "/inbox").await;
    assert!(!page.contains("data-testid=\"unread\""), "{page}");
    let bos = server.get_text(&bo.client, "/inbox").await;
    assert!(bos.contains("aria-label=\"2 unread\""), "{bos}");

    // The lead is won.
    let res = ada
        .client
        .patch(server.url(&format!("/api/leads/{lead}")))
        .json(&json!({"stage": "won"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = server.get_text(&ada.client, "/inbox").await;
    assert!(page.contains("<span class=\"badge stage-won\">"), "{page}");

    // Bo, the lead's owner, takes another name (a `member_renamed` event, which moves the head).
    let res = server
        .rpc(&bo.client, "rename_me", &[("name", "Bo Lindqvist")])
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let page = server.get_text(&ada.client, "/inbox").await;
    assert!(page.contains(&owner("Bo Lindqvist")), "{page}");
    assert!(!page.contains(&owner("Teammate")));
}
