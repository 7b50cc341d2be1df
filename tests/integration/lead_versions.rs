//! Lead edits never silently overwrite each other: an edit names the version it was based on
//! and a stale one is refused with the current lead; a partial update changes only what it
//! names even when writes race; every change reaches open tabs as `leads_updated`.
use crate::support::{error_body, TestServer};
use serde_json::{json, Value};

#[tokio::test]
async fn a_stale_edit_is_refused_with_the_current_lead_and_stores_nothing() {
    let server = TestServer::start().await;
    let ada = server.signed_up("ada@example.com", "A").await;
    let lead = server
        .create_lead(&ada, json!({"name": "Maya Patel", "stage": "qualified"}))
        .await;
    assert_eq!(lead["version"], 1);
    let id = lead["id"].as_str().unwrap();
    let url = server.url(&format!("/api/leads/{id}"));

    // A teammate saves a phone number on version 1.
    let res = ada
        .patch(&url)
        .json(&json!({"version": 1, "phone": "+1 415 555 0100"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["version"], 2);

    // Another edit, still based on version 1, would drop the phone and reopen the deal.
    let res = ada
        .patch(&url)
        .json(&json!({"version": 1, "phone": null, "stage": "new"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let body = error_body(res).await;
    assert_eq!(body["error"], "conflict");
    assert_eq!(body["lead"]["version"], 2);
    assert_eq!(body["lead"]["phone"], "+14155550100");
    let now: Value = server.get_json(&ada, &format!("/api/leads/{id}")).await;
    assert_eq!(now["phone"], "+14155550100", "nothing stored");
    assert_eq!(now["stage"], "qualified");
    assert_eq!(now["version"], 2);

    // The lead page's form sends the version too, and gets the same answer.
    let form = |version: &'static str| {
        vec![
            ("id", id.to_string()),
            ("input[name]", "Maya Patel".to_string()),
            ("input[stage]", "lost".to_string()),
            ("input[version]", version.to_string()),
        ]
    };
    let stale: Vec<(&str, String)> = form("1");
    let stale: Vec<(&str, &str)> = stale.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = server.rpc(&ada, "update_lead", &stale).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "lead_changed", "{body}");
    assert_eq!(body["lead"]["version"], 2, "{body}");
    let current: Vec<(&str, String)> = form("2");
    let current: Vec<(&str, &str)> = current.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = server.rpc(&ada, "update_lead", &current).await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["stage"], "lost");
    assert_eq!(saved["version"], 3);
}

#[tokio::test]
async fn a_version_that_is_not_a_number_is_a_field_error() {
    let server = TestServer::start().await;
    let ada = server.signed_up("ada@example.com", "A").await;
    let lead = server.create_lead(&ada, json!({"name": "Maya"})).await;
    let id = lead["id"].as_str().unwrap();
    for bad in [json!("two"), json!(-1), json!(1.5)] {
        let res = ada
            .patch(server.url(&format!("/api/leads/{id}")))
            .json(&json!({"version": bad, "name": "Changed"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{bad}");
        assert_eq!(error_body(res).await["field"], "version");
    }
    let now: Value = server.get_json(&ada, &format!("/api/leads/{id}")).await;
    assert_eq!(now["name"], "Maya");
    assert_eq!(now["version"], 1);
}

/// Eight partial updates at once, each naming one field, from two teammates: every one of
/// them is kept (a read-then-write without the version check would revert some).
#[tokio::test]
async fn racing_partial_updates_each_keep_their_field() {
    let server = TestServer::start().await;
    let ada = server.signed_up("ada@example.com", "A").await;
    let bob = server.teammate(&ada, "bob@example.com").await.client;
    let lead = server.create_lead(&ada, json!({"name": "Maya"})).await;
    let id = lead["id"].as_str().unwrap().to_string();
    let changes = [
        json!({"company": "Brightline"}),
        json!({"email": "maya@brightline.io"}),
        json!({"phone": "+14155550100"}),
        json!({"whatsapp": "+14155550101"}),
        json!({"instagram": "maya"}),
        json!({"deal_value": "12500"}),
        json!({"name": "Maya Patel"}),
    ];
    let mut calls = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let client = if i % 2 == 0 { ada.clone() } else { bob.clone() };
        let url = server.url(&format!("/api/leads/{id}"));
        let change = change.clone();
        calls.push(tokio::spawn(async move {
            client
                .patch(url)
                .json(&change)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    // The lead page's stage action races them too.
    let stage = {
        let bob = bob.clone();
        let url = server.url("/rpc/set_lead_stage");
        let id = id.clone();
        tokio::spawn(async move {
            bob.post(url)
                .form(&[("id", id.as_str()), ("stage", "won")])
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    for call in calls {
        assert_eq!(call.await.unwrap(), 200);
    }
    assert_eq!(stage.await.unwrap(), 200);
    let now: Value = server.get_json(&ada, &format!("/api/leads/{id}")).await;
    assert_eq!(now["company"], "Brightline");
    assert_eq!(now["email"], "maya@brightline.io");
    assert_eq!(now["phone"], "+14155550100");
    assert_eq!(now["whatsapp"], "+14155550101");
    assert_eq!(now["instagram"], "maya");
    assert_eq!(now["deal_value_cents"], 1_250_000);
    assert_eq!(now["name"], "Maya Patel");
    assert_eq!(now["stage"], "won");
    assert_eq!(now["version"], 9, "one version per change");
}

#[tokio::test]
async fn every_lead_change_reaches_open_tabs() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let bob = server.teammate(&ada.client, "bob@example.com").await;
    let eve = server.session("eve@example.com", "E").await;
    let mut bob_tab = server.live_socket(&bob.cookie).await;
    let mut eve_tab = server.live_socket(&eve.cookie).await;

    let lead = server
        .create_lead(&ada.client, json!({"name": "Maya", "stage": "qualified"}))
        .await;
    let id = lead["id"].as_str().unwrap();
    let created = bob_tab.next_of("leads_updated").await;
    assert_eq!(created["action"], "INSERT");
    assert_eq!(created["lead"]["id"], id);
    assert_eq!(created["lead"]["name"], "Maya");

    let res = server
        .rpc(
            &ada.client,
            "set_lead_stage",
            &[("id", id), ("stage", "won")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let moved = bob_tab.next_of("leads_updated").await;
    assert_eq!(moved["action"], "UPDATE");
    assert_eq!(moved["lead"]["stage"], "won");
    assert_eq!(moved["lead"]["version"], 2);
    assert!(moved["seq"].as_i64().unwrap() > created["seq"].as_i64().unwrap());

    // A refused edit changes nothing, so it tells nobody: the next event is the next change.
    let url = server.url(&format!("/api/leads/{id}"));
    let res = ada
        .client
        .patch(&url)
        .json(&json!({"version": 1, "stage": "lost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = ada
        .client
        .patch(&url)
        .json(&json!({"phone": "+14155550100"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let phoned = bob_tab.next_of("leads_updated").await;
    assert_eq!(phoned["lead"]["phone"], "+14155550100");
    assert_eq!(phoned["lead"]["stage"], "won");
    assert_eq!(phoned["lead"]["version"], 3);

    // Another workspace hears nothing of it: its next event is its own.
    server
        .create_lead(&eve.client, json!({"name": "Eve's lead"}))
        .await;
    let own = eve_tab.next_of("leads_updated").await;
    assert_eq!(own["lead"]["name"], "Eve's lead");
}
