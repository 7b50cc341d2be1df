//! Invites sent by email: through the relay like every other email (a real SMTP exchange), or
//! kept sealed in the outbox without one; a refused address still leaves the link to copy.
use crate::email::relay;
use crate::support::on_test_db;
use crate::support::{SmtpSink, TestServer};
use serde_json::{json, Value};

async fn invite(server: &TestServer, client: &reqwest::Client, email: &str, send: bool) -> Value {
    let mut form = vec![("email", email)];
    if send {
        form.push(("send_email", "on"));
    }
    let res = server.rpc(client, "invite_teammate", &form).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn accept(server: &TestServer, link: &str) -> reqwest::StatusCode {
    let token = link.rsplit('/').next().unwrap();
    server
        .rpc(
            &server.client(),
            "accept_invite",
            &[
                ("token", token),
                ("name", "Tess Teammate"),
                ("password", "teammate password"),
            ],
        )
        .await
        .status()
}

#[tokio::test]
async fn an_invite_emailed_through_the_relay_carries_the_link_that_joins() {
    let mut sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(|s| s.mail.relay = Some(relay(port))).await;
    let owner = server.session("ida@example.com", "Acme").await;
    let created = invite(&server, &owner.client, "tess@example.com", true).await;
    assert_eq!(created["emailed"], "smtp");
    assert!(created["email_error"].is_null());
    let link = created["link"].as_str().unwrap();

    let mail = sink.next_mail().await;
    assert_eq!(mail["rcpt_tos"], json!(["tess@example.com"]));
    assert_eq!(
        mail["headers"]["subject"],
        "Test User invited you to Acme on Leadwire"
    );
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains(link), "{text}");
    // What went through the relay is not kept.
    let outbox: Value = server
        .rpc(&owner.client, "list_outbox", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outbox["team_mail"], json!([]));
    assert_eq!(accept(&server, link).await, 200);
}

#[tokio::test]
async fn a_refused_address_says_why_and_the_link_still_works() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(|s| s.mail.relay = Some(relay(port))).await;
    let owner = server.session("ida@example.com", "Acme").await;
    let created = invite(&server, &owner.client, "reject-tess@example.com", true).await;
    assert!(created["emailed"].is_null());
    let why = created["email_error"].as_str().unwrap();
    assert!(why.contains("550"), "{why}");
    assert_eq!(
        accept(&server, created["link"].as_str().unwrap()).await,
        200
    );
}

#[tokio::test]
async fn without_a_relay_the_invite_waits_sealed_in_its_workspaces_outbox() {
    let server = TestServer::start().await;
    let owner = server.session("ida@example.com", "Acme").await;
    let other = server.session("olga@example.com", "Other").await;
    // Not ticked: nothing is emailed.
    let plain = invite(&server, &owner.client, "quiet@example.com", false).await;
    assert!(plain["emailed"].is_null() && plain["email_error"].is_null());
    let created = invite(&server, &owner.client, "tess@example.com", true).await;
    assert_eq!(created["emailed"], "outbox");
    let link = created["link"].as_str().unwrap();

    let outbox: Value = server
        .rpc(&owner.client, "list_outbox", &[])
        .await
        .json()
        .await
        .unwrap();
    let mails = outbox["team_mail"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{outbox}");
    assert_eq!(mails[0]["to"], "tess@example.com");
    assert!(
        mails[0]["text"].as_str().unwrap().contains(link),
        "{}",
        mails[0]
    );
    // Stored sealed: the link's token is not in the database.
    let token = link.rsplit('/').next().unwrap();
    let stored: Vec<String> = on_test_db!(&server.db().await, |p, q| sqlx::query_scalar(q(
        "SELECT raw_sealed FROM account_emails"
    ))
    .fetch_all(p)
    .await
    .unwrap());
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(token));
    // Another workspace's outbox does not show it.
    let theirs: Value = server
        .rpc(&other.client, "list_outbox", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["team_mail"], json!([]));
    assert_eq!(accept(&server, link).await, 200);
}
