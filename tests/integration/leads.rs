use crate::support::{error_body, TestServer};
use leadwire::server::{app_router, settings::Settings};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn create_list_show_and_patch_a_lead() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = server
        .create_lead(
            &client,
            json!({"name": "Maya Patel", "email": "Maya@Brightline.io", "phone": "+1 (415) 555-0100",
                   "company": "Brightline", "stage": "qualified", "deal_value": 12500.5, "instagram": "@maya"}),
        )
        .await;
    assert_eq!(lead["email"], "maya@brightline.io");
    assert_eq!(lead["phone"], "+14155550100");
    assert_eq!(lead["instagram"], "maya");
    assert_eq!(lead["stage"], "qualified");
    assert_eq!(lead["deal_value_cents"], 1_250_050);
    assert_eq!(
        lead["owner_name"], "Test User",
        "API-created leads default to the caller"
    );

    let id = lead["id"].as_str().unwrap();
    let shown: Value = server.get_json(&client, &format!("/api/leads/{id}")).await;
    assert_eq!(shown["name"], "Maya Patel");

    let res = client
        .patch(server.url(&format!("/api/leads/{id}")))
        .json(&json!({"stage": "won", "company": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["stage"], "won");
    assert_eq!(patched["company"], Value::Null);
    assert_eq!(
        patched["email"], "maya@brightline.io",
        "absent members are unchanged"
    );

    assert_eq!(server.lead_names(&client).await, vec!["Maya Patel"]);
}

#[tokio::test]
async fn leads_filter_by_search_and_stage() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    server
        .create_lead(
            &client,
            json!({"name": "Maya Patel", "company": "Brightline", "stage": "won"}),
        )
        .await;
    server
        .create_lead(
            &client,
            json!({"name": "Tom Lind", "company": "Nordvik 100%"}),
        )
        .await;
    let names = |query: &'static str| {
        let client = client.clone();
        let url = server.url(&format!("/api/leads?{query}"));
        async move {
            let body: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            body["leads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("q=bright").await, vec!["Maya Patel"]);
    assert_eq!(names("stage=new").await, vec!["Tom Lind"]);
    // LIKE wildcards in the search are literal.
    assert_eq!(names("q=100%25").await, vec!["Tom Lind"]);
    assert_eq!(names("q=%25").await, vec!["Tom Lind"]);
    let res = client
        .get(server.url("/api/leads?stage=closed"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn invalid_leads_are_rejected_per_field_and_store_nothing() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": "Ada", "email": "nope"}), "email"),
        (json!({"name": "Ada", "stage": "closed"}), "stage"),
        (json!({"name": "Ada", "phone": "call me"}), "phone"),
        (json!({"name": "Ada", "deal_value": "lots"}), "deal_value"),
        (
            json!({"name": "Ada", "owner_id": "00000000-0000-0000-0000-000000000000"}),
            "owner_id",
        ),
        (json!({"name": "Ada", "colour": "blue"}), "colour"),
        (json!({"name": ["Ada"]}), "name"),
    ];
    for (body, field) in cases {
        let res = client
            .post(server.url("/api/leads"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{body}");
        assert_eq!(error_body(res).await["field"], field, "{body}");
    }
    assert!(server.lead_names(&client).await.is_empty());
}

#[tokio::test]
async fn an_invalid_patch_leaves_the_lead_unchanged() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = server
        .create_lead(
            &client,
            json!({"name": "Maya", "email": "maya@example.com"}),
        )
        .await;
    let id = lead["id"].as_str().unwrap();
    let res = client
        .patch(server.url(&format!("/api/leads/{id}")))
        .json(&json!({"name": "Maya P", "email": "broken"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let shown: Value = server.get_json(&client, &format!("/api/leads/{id}")).await;
    assert_eq!(shown["name"], "Maya");
    assert_eq!(shown["email"], "maya@example.com");
}

#[tokio::test]
async fn another_workspaces_lead_is_404_on_every_route() {
    let server = TestServer::start().await;
    let owner = server.signed_up("ada@example.com", "A").await;
    let other = server.signed_up("eve@example.com", "E").await;
    let lead = server
        .create_lead(&owner, json!({"name": "Secret Lead"}))
        .await;
    let id = lead["id"].as_str().unwrap();
    let missing = "5b0d7c2e-0000-4000-8000-000000000000";

    for target in [id, missing, "not-a-uuid"] {
        let res = other
            .get(server.url(&format!("/api/leads/{target}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "GET {target}");
        assert_eq!(
            error_body(res).await,
            json!({"error": "not_found", "message": "Not found."})
        );
        let res = other
            .patch(server.url(&format!("/api/leads/{target}")))
            .json(&json!({"name": "Hijacked"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "PATCH {target}");
        // The server functions the UI uses answer the same.
        let res = server.rpc(&other, "get_lead", &[("id", target)]).await;
        assert!(res.text().await.unwrap().contains("not_found"));
        let res = server
            .rpc(&other, "get_thread", &[("lead_id", target)])
            .await;
        assert!(res.text().await.unwrap().contains("not_found"));
        // The lead page itself answers 404.
        let res = other
            .get(server.url(&format!("/leads/{target}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "page {target}");
        assert!(!res.text().await.unwrap().contains("Secret Lead"));
    }
    assert!(server.lead_names(&other).await.is_empty());
    let res = server
        .rpc(
            &other,
            "update_lead",
            &[("id", id), ("input[name]", "Hijacked")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("not_found"));
    assert_eq!(server.lead_names(&owner).await, vec!["Secret Lead"]);
}

#[tokio::test]
async fn a_lead_owner_must_be_a_teammate() {
    let server = TestServer::start().await;
    let owner = server.signed_up("ada@example.com", "A").await;
    let other = server.signed_up("eve@example.com", "E").await;
    let me: Value = server.get_json(&other, "/api/auth/me").await;
    let foreign_user = me["user"]["id"].as_str().unwrap();
    let res = owner
        .post(server.url("/api/leads"))
        .json(&json!({"name": "Maya", "owner_id": foreign_user}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "owner_id");
}

#[tokio::test]
async fn the_leads_page_renders_on_the_server() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    server
        .create_lead(&client, json!({"name": "Server Rendered Lead"}))
        .await;
    let res = client.get(server.url("/leads")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Server Rendered Lead"),
        "SSR must include the data"
    );
}

/// Building a router lists the app's pages by rendering it once with every resource held back by
/// a switch that leptos keeps for the whole process; a page that a running server rendered at
/// that moment used to wait forever (leptos-rs/leptos#4773: the suite starts servers while
/// others serve pages, and CI hung on `/leads`). Pages keep rendering while routers are built.
#[tokio::test]
async fn pages_render_while_another_router_is_built() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    server
        .create_lead(&client, json!({"name": "Server Rendered Lead"}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::from_sources(None, &|_| None).unwrap();
    settings.database_url = format!("sqlite://{}", dir.path().join("other.db").display());
    settings.seed_demo = false;
    let state = app_router::prepare(settings).await.unwrap();
    let building = tokio::task::spawn_blocking(move || {
        for _ in 0..60 {
            drop(app_router::router(state.clone()));
        }
    });
    let pages = (0..60).map(|_| async {
        let res = client
            .get(server.url("/leads"))
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .expect("the page is answered");
        res.text().await.expect("the page is rendered to the end")
    });
    for html in futures_util::future::join_all(pages).await {
        assert!(html.contains("Server Rendered Lead"));
    }
    building.await.unwrap();
}

/// Right-to-left text reads right to left in the thread (each message decides its own
/// direction), and the main navigation marks the inbox current on `/`, which is the inbox.
#[tokio::test]
async fn messages_set_their_own_direction_and_the_inbox_is_current_on_the_home_page() {
    let server = TestServer::start().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = server
        .create_lead(&client, json!({"name": "Layla", "phone": "+14155550100"}))
        .await;
    let lead = lead["id"].as_str().unwrap();
    let res = server
        .send(
            &client,
            lead,
            crate::support::message("sms", "مرحبا، هل أنت متاح غدا؟"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let html = server.get_text(&client, &format!("/leads/{lead}")).await;
    let body = html
        .split("<p ")
        .find(|p| p.contains(r#"class="body""#) && p.contains("مرحبا"))
        .expect("the message body");
    assert!(body.contains(r#"dir="auto""#), "{body}");
    for (path, current) in [("/", true), ("/inbox", true), ("/leads", false)] {
        let html = client
            .get(server.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let inbox_link = html
            .split("<a ")
            .find(|a| a.contains(r#"href="/inbox""#) && a.contains(">Inbox<"))
            .unwrap_or_else(|| panic!("{path}: no Inbox link"));
        assert_eq!(
            inbox_link.contains(r#"aria-current="page""#),
            current,
            "{path}: {inbox_link}"
        );
    }
}

#[tokio::test]
async fn a_leads_sidebar_lists_the_other_leads_at_its_company_and_no_one_elses() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let other = server.session("olga@example.com", "Other").await;
    let create = |client: &reqwest::Client, name: &str, company: Option<&str>| {
        let body = json!({"name": name, "company": company});
        let client = client.clone();
        let server = &server;
        async move {
            server.create_lead(&client, body).await["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let maya = create(&owner.client, "Maya Patel", Some("Brightline")).await;
    create(&owner.client, "Ben Carter", Some("brightline")).await;
    create(&owner.client, "Zoe Chen", Some("Northwind")).await;
    create(&other.client, "Olga Other", Some("Brightline")).await;
    let alone = create(&owner.client, "Lone Wolf", None).await;
    let names = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_string())
            .collect()
    };
    let same = |lead: String| {
        let client = owner.client.clone();
        let server = &server;
        async move {
            server
                .rpc(&client, "same_company_leads", &[("lead_id", lead.as_str())])
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(names(same(maya.clone()).await), ["Ben Carter"]);
    assert_eq!(names(same(alone).await), Vec::<String>::new());
    // Another workspace's lead is not found.
    let res = server
        .rpc(
            &other.client,
            "same_company_leads",
            &[("lead_id", maya.as_str())],
        )
        .await;
    assert_eq!(res.status(), 404);
}
