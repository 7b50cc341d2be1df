//! The workspace's currency: owners choose it, every amount of the workspace is written in it
//! (server-rendered pages included), members and tokens cannot change it, and a code that is not
//! offered is a field error.
use crate::support::TestServer;
use serde_json::{json, Value};

#[tokio::test]
async fn an_owner_sets_the_currency_and_every_amount_follows() {
    let server = TestServer::start().await;
    let ada = server.session("ada@example.com", "A").await;
    let mate = server.teammate(&ada.client, "sam@example.com").await;
    let lead = server
        .create_lead(&ada.client, json!({"name": "Maya", "deal_value": "1200"}))
        .await;
    let page = |client: reqwest::Client, path: String| {
        let url = server.url(&path);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let lead_page = format!("/leads/{}", lead["id"].as_str().unwrap());
    let me = server.get_json(&ada.client, "/api/auth/me").await;
    assert_eq!(me["user"]["currency"], "USD", "the default");
    assert!(page(ada.client.clone(), lead_page.clone())
        .await
        .contains("$1,200"));

    // Refused: a member, a token, a code that is not offered; nothing changes.
    let res = server
        .rpc(&mate.client, "set_currency", &[("currency", "EUR")])
        .await;
    assert_eq!(res.status(), 403);
    let token = server.api_token(&ada.client, "t", "read write").await;
    let res = reqwest::Client::new()
        .post(server.url("/rpc/set_currency"))
        .bearer_auth(token["secret"].as_str().unwrap())
        .form(&[("currency", "EUR")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    for bad in ["", "EURO", "XXX"] {
        let res = server
            .rpc(&ada.client, "set_currency", &[("currency", bad)])
            .await;
        assert_eq!(res.status(), 422, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["field"], "currency", "{body}");
    }
    assert_eq!(
        server.get_json(&ada.client, "/api/auth/me").await["user"]["currency"],
        "USD"
    );

    // A teammate's open tab hears of it at once.
    let mut ws = server.live_socket(&mate.cookie).await;
    let res = server
        .rpc(&ada.client, "set_currency", &[("currency", "eur")])
        .await;
    assert_eq!(res.status(), 200);
    let frame = ws.next_of("workspace_updated").await;
    assert_eq!(frame["currency"], "EUR");
    for client in [&ada.client, &mate.client] {
        let me = server.get_json(client, "/api/auth/me").await;
        assert_eq!(me["user"]["currency"], "EUR");
    }
    let html = page(mate.client.clone(), lead_page).await;
    assert!(
        html.contains("€1,200") && !html.contains("$1,200"),
        "lead page"
    );
    let html = page(mate.client.clone(), "/leads".into()).await;
    assert!(html.contains("€1,200"), "leads table");
    let html = page(ada.client.clone(), "/dashboard".into()).await;
    assert!(html.contains("€1,200"), "pipeline card");
    // Another workspace keeps its own.
    let bob = server.signed_up("bob@example.com", "B").await;
    assert_eq!(
        server.get_json(&bob, "/api/auth/me").await["user"]["currency"],
        "USD"
    );
}
