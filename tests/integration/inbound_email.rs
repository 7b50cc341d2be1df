//! Replies come back: `POST /webhooks/email/{key}` with a signed raw message joins the lead's
//! thread live (src/server/email/inbound_webhook.rs, src/server/store/inbound_emails.rs).
use crate::support::on_test_db;
use crate::support::{error_body, message, TestServer};
use leadwire::server::email::inbound_webhook::{sign, SIGNATURE_HEADER};
use serde_json::{json, Value};

struct Endpoint {
    url: String,
    secret: String,
}

async fn endpoint(server: &TestServer, owner: &reqwest::Client) -> Endpoint {
    let res = server.rpc(owner, "get_inbound_email", &[]).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    Endpoint {
        url: body["url"].as_str().unwrap().to_string(),
        secret: body["secret"].as_str().unwrap().to_string(),
    }
}

async fn post(endpoint: &Endpoint, raw: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(&endpoint.url)
        .header(SIGNATURE_HEADER, sign(&endpoint.secret, raw.as_bytes()))
        .body(raw.to_string())
        .send()
        .await
        .unwrap()
}

fn email(from: &str, message_id: &str, in_reply_to: Option<&str>, body: &str) -> String {
    let mut raw = format!(
        "From: {from}\r\nTo: sales@leadwire.test\r\nSubject: Re: Pricing\r\nMessage-ID: <{message_id}>\r\n"
    );
    if let Some(parent) = in_reply_to {
        raw.push_str(&format!(
            "In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"
        ));
    }
    raw.push_str(&format!(
        "Content-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n"
    ));
    raw
}

/// The Message-ID header of the newest email sent in the test server's database.
async fn sent_message_id(server: &TestServer) -> String {
    let (id,): (String,) = on_test_db!(&server.db().await, |p, q| sqlx::query_as(q(
        "SELECT e.message_id_header FROM outbound_emails e \
         JOIN messages m ON m.id = e.message_id ORDER BY m.created_at DESC LIMIT 1"
    ))
    .fetch_one(p)
    .await
    .unwrap());
    id
}

async fn thread_bodies(server: &TestServer, client: &reqwest::Client, lead: &str) -> Vec<Value> {
    let page = server
        .get_json(client, &format!("/api/messages/{lead}"))
        .await;
    page["messages"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_reply_to_our_email_joins_the_thread_live_once() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya Patel", "email": "maya@example.com"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    let mut sent = message("email", "Does Thursday work?");
    sent["subject"] = json!("Pricing");
    assert_eq!(server.send(&owner.client, lead, sent).await.status(), 201);
    let ours = sent_message_id(&server).await;
    let endpoint = endpoint(&server, &owner.client).await;
    let mut ws = server.live_socket(&owner.cookie).await;

    // From another address than the lead's: only the thread headers can match it.
    let raw = email(
        "Maya P <maya.private@example.org>",
        "reply-1@mail.example.org",
        Some(&ours),
        "Yes, Thursday works.\r\n\r\nOn Tue, Dec 1, 2026 at 2:30 PM Sales wrote:\r\n> Does Thursday work?",
    );
    let res = post(&endpoint, &raw).await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["matched_by"], "thread");
    assert_eq!(stored["lead_id"], lead);
    assert_eq!(stored["message"]["direction"], "inbound");
    assert_eq!(stored["message"]["channel"], "email");
    assert_eq!(stored["message"]["subject"], "Re: Pricing");
    assert_eq!(stored["message"]["body"], "Yes, Thursday works.");
    let quoted = stored["message"]["quoted"].as_str().unwrap();
    assert!(quoted.starts_with("On Tue, Dec 1, 2026"), "{quoted}");
    assert!(quoted.contains("> Does Thursday work?"), "{quoted}");

    // Live in the open tab: the inserted inbound message (the send's own events come first).
    let live = loop {
        let frame = ws.next_of("messages_updated").await;
        if frame["action"] == "INSERT" && frame["message"]["direction"] == "inbound" {
            break frame;
        }
    };
    assert_eq!(live["message"]["body"], "Yes, Thursday works.");
    assert_eq!(live["message"]["quoted"], stored["message"]["quoted"]);

    // The mail server retries: recognised, nothing added.
    let again = post(&endpoint, &raw).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["duplicate"], true);
    let bodies: Vec<_> = thread_bodies(&server, &owner.client, lead)
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, ["Does Thursday work?", "Yes, Thursday works."]);
    let thread = thread_bodies(&server, &owner.client, lead).await;
    assert_eq!(
        thread[1]["quoted"], stored["message"]["quoted"],
        "kept with the message"
    );
    assert!(
        thread[0].get("quoted").is_none(),
        "our own email has no quote"
    );

    // It counts as a reply on the dashboard.
    let kpis = server
        .get_json(&owner.client, "/api/dashboard/kpis?period=today")
        .await;
    assert_eq!(kpis["kpis"]["replies_received"], 1, "{kpis}");
    assert_eq!(kpis["kpis"]["replied_turns"], 1, "{kpis}");
    assert_eq!(kpis["rates"]["reply_rate"], 1.0, "{kpis}");
}

#[tokio::test]
async fn without_thread_headers_the_sender_address_or_a_new_lead_is_used() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "email": "Maya@Example.com"}),
        )
        .await;
    let endpoint = endpoint(&server, &owner.client).await;

    let res = post(
        &endpoint,
        &email("MAYA@example.com", "a-1@x", None, "Hi again"),
    )
    .await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["matched_by"], "address");
    assert_eq!(stored["lead_id"], lead["id"]);

    let res = post(
        &endpoint,
        &email("Olu Ade <olu@newco.example>", "a-2@x", None, "Interested!"),
    )
    .await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["matched_by"], "new_lead");
    let created = server
        .get_json(
            &owner.client,
            &format!("/api/leads/{}", stored["lead_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(created["name"], "Olu Ade");
    assert_eq!(created["email"], "olu@newco.example");

    // A message without Message-ID is taken once too (its id is derived from its content).
    let raw = "From: anon@example.net\r\nSubject: hello\r\n\r\nno id here";
    assert_eq!(post(&endpoint, raw).await.status(), 201);
    assert_eq!(post(&endpoint, raw).await.status(), 200);
}

#[tokio::test]
async fn a_forged_in_reply_to_never_crosses_workspaces() {
    let server = TestServer::start().await;
    let alice = server.session("alice@example.com", "A").await;
    let bob = server.session("bob@example.com", "B").await;
    let a_lead = server
        .create_lead(
            &alice.client,
            json!({"name": "A's lead", "email": "lead@a.example"}),
        )
        .await;
    let a_lead = a_lead["id"].as_str().unwrap();
    let mut sent = message("email", "private to A");
    sent["subject"] = json!("A only");
    assert_eq!(server.send(&alice.client, a_lead, sent).await.status(), 201);
    let a_message_id = sent_message_id(&server).await;

    // Posted to B's endpoint, naming A's email: matched in B only (a new lead there).
    let b_endpoint = endpoint(&server, &bob.client).await;
    let res = post(
        &b_endpoint,
        &email(
            "lead@a.example",
            "forged@x",
            Some(&a_message_id),
            "let me in",
        ),
    )
    .await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["matched_by"], "new_lead");
    assert_ne!(stored["lead_id"], a_lead);
    assert_eq!(thread_bodies(&server, &alice.client, a_lead).await.len(), 1);
}

#[tokio::test]
async fn unsigned_oversized_or_unreadable_mail_is_refused_and_nothing_is_stored() {
    let server = TestServer::start_with(|s| s.mail.inbound_max_bytes = 4096).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let endpoint = endpoint(&server, &owner.client).await;
    let raw = email("x@example.com", "m-1@x", None, "hello");
    let client = reqwest::Client::new();

    let unsigned = client
        .post(&endpoint.url)
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let wrong = client
        .post(&endpoint.url)
        .header(SIGNATURE_HEADER, sign("not the secret", raw.as_bytes()))
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let unknown = client
        .post(server.url("/webhooks/email/0123456789abcdef0123456789abcdef"))
        .header(SIGNATURE_HEADER, sign(&endpoint.secret, raw.as_bytes()))
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let huge = email("x@example.com", "m-2@x", None, &"a".repeat(5000));
    let res = post(&endpoint, &huge).await;
    assert_eq!(res.status(), 413);
    assert_eq!(error_body(res).await["error"], "payload_too_large");
    let res = post(&endpoint, "this is not an email").await;
    assert_eq!(res.status(), 422);
    let res = post(&endpoint, "Subject: no sender\r\n\r\nbody").await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_body(res).await["field"], "message");
    assert!(
        server.lead_names(&owner.client).await.is_empty(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn only_the_owner_sees_the_endpoint_secret() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let mate = server.teammate(&owner.client, "mate@example.com").await;
    let res = server.rpc(&mate.client, "get_inbound_email", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), Value::Null);
    let first = endpoint(&server, &owner.client).await;
    let second = endpoint(&server, &owner.client).await;
    assert_eq!(first.secret, second.secret, "one key per workspace");
    assert_eq!(first.secret.len(), 64);
}

#[tokio::test]
async fn the_outbox_replies_as_the_lead_through_the_inbound_path() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya Patel", "email": "maya@example.com"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    let mut ws = server.live_socket(&owner.cookie).await;
    let mut sent = message("email", "Does Thursday work?");
    sent["subject"] = json!("Pricing");
    let res = server.send(&owner.client, lead, sent).await;
    let email_id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // In the outbox once the delivery worker has put it there.
    ws.next_update(|m| m["id"] == email_id.as_str() && m["status"] == "sent")
        .await;

    let empty = server
        .rpc(
            &owner.client,
            "reply_as_lead",
            &[("id", &email_id), ("body", "  ")],
        )
        .await;
    assert_eq!(empty.status(), 422);
    let res = server
        .rpc(
            &owner.client,
            "reply_as_lead",
            &[("id", &email_id), ("body", "Thursday is great.")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let reply: Value = res.json().await.unwrap();
    assert_eq!(reply["direction"], "inbound");
    assert_eq!(reply["subject"], "Re: Pricing");
    assert_eq!(
        reply["body"], "Thursday is great.",
        "the quoted original is folded off"
    );
    assert_eq!(reply["lead_id"], lead);
    let thread = thread_bodies(&server, &owner.client, lead).await;
    assert_eq!(thread.len(), 2);
    // It threads like a real reply: a second one from the lead answers ours again.
    let (from,): (String,) = on_test_db!(&server.db().await, |p, q| sqlx::query_as(q(
        "SELECT from_address FROM inbound_emails"
    ))
    .fetch_one(p)
    .await
    .unwrap());
    assert_eq!(from, "maya@example.com");
}

fn bounce_for(original: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example.com\r\nTo: sales@leadwire.test\r\n\
Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-{original}>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
Final-Recipient: rfc822; maya@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\
--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Sales <sales@leadwire.test>\r\n\
Message-ID: <{original}>\r\nSubject: Pricing\r\n--B--\r\n"
    )
}

#[tokio::test]
async fn a_bounce_marks_our_email_failed_with_the_reason_and_creates_nothing() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya", "email": "maya@example.com"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    let mut ws = server.live_socket(&owner.cookie).await;
    let mut sent = message("email", "Hello?");
    sent["subject"] = json!("Pricing");
    let res = server.send(&owner.client, lead, sent).await;
    let email_id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    ws.next_update(|m| m["id"] == email_id.as_str() && m["status"] == "sent")
        .await;
    let endpoint = endpoint(&server, &owner.client).await;

    let res = post(&endpoint, &bounce_for(&sent_message_id(&server).await)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["bounce"], true);
    assert_eq!(body["message"]["id"], email_id.as_str());
    let failed = ws
        .next_update(|m| m["id"] == email_id.as_str() && m["status"] == "failed")
        .await;
    assert_eq!(failed["status_reason"], "Bounced: 550 5.1.1 User unknown");

    // Delivered twice: still one failure in the feed; a bounce for mail we never sent is ignored.
    assert_eq!(
        post(&endpoint, &bounce_for(&sent_message_id(&server).await))
            .await
            .status(),
        200
    );
    let res = post(&endpoint, &bounce_for("someone-else@example.com")).await;
    assert_eq!(res.json::<Value>().await.unwrap()["message"], Value::Null);
    let feed = server.get_json(&owner.client, "/api/activity").await;
    let failures = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "message_failed")
        .count();
    assert_eq!(failures, 1, "{feed}");
    assert_eq!(
        thread_bodies(&server, &owner.client, lead).await.len(),
        1,
        "no message from the daemon"
    );
    assert_eq!(
        server.lead_names(&owner.client).await,
        ["Maya"],
        "no lead for MAILER-DAEMON"
    );

    // Retry sends the bounced email again: it leaves the queue like a new one (before the one
    // outbound queue, a bounced email kept its old hand-over time and waited forever).
    let res = owner
        .client
        .post(server.url(&format!("/api/messages/{lead}/{email_id}/retry")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    ws.next_update(|m| m["id"] == email_id.as_str() && m["status"] == "queued")
        .await;
    let again = ws
        .next_update(|m| m["id"] == email_id.as_str() && m["status"] == "sent")
        .await;
    assert!(again["status_reason"].is_null(), "{again}");
}

/// An out-of-office answer shows in the thread, labelled, but is no reply: the turn stays
/// unanswered, nothing counts as received, and the lead's real answer afterwards is the reply
/// (timed from itself, not from the auto-reply).
#[tokio::test]
async fn an_out_of_office_is_shown_but_not_counted_as_a_reply() {
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya Patel", "email": "maya@example.com"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap();
    assert_eq!(
        server
            .send(&owner.client, lead, message("email", "Does Thursday work?"))
            .await
            .status(),
        201
    );
    let ours = sent_message_id(&server).await;
    let endpoint = endpoint(&server, &owner.client).await;
    let away = email(
        "Maya Patel <maya@example.com>",
        "ooo-1@mail.example.com",
        Some(&ours),
        "I am out of the office until Monday.",
    )
    .replace(
        "Subject: Re: Pricing",
        "Subject: Automatic reply: Pricing\r\nAuto-Submitted: auto-replied",
    );
    let res = post(&endpoint, &away).await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["message"]["auto_reply"], true);
    assert_eq!(
        stored["message"]["body"],
        "I am out of the office until Monday."
    );
    let kpis = |server: &TestServer| {
        let client = owner.client.clone();
        let url = server.url("/api/dashboard/kpis?period=today");
        async move {
            let kpis: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            kpis
        }
    };
    let after_away = kpis(&server).await;
    assert_eq!(after_away["kpis"]["replies_received"], 0, "{after_away}");
    assert_eq!(after_away["kpis"]["replied_turns"], 0, "{after_away}");
    assert_eq!(after_away["kpis"]["outreach_turns"], 1, "{after_away}");
    // Our follow-up continues our turn (the auto-reply was no answer to respond to).
    assert_eq!(
        server
            .send(
                &owner.client,
                lead,
                message("email", "Ping when you are back")
            )
            .await
            .status(),
        201
    );
    let followed = kpis(&server).await;
    assert_eq!(followed["kpis"]["outreach_turns"], 1, "{followed}");
    assert_eq!(followed["kpis"]["responses"], 0, "{followed}");
    // The real answer is the reply.
    let answer = email(
        "Maya Patel <maya@example.com>",
        "reply-2@mail.example.com",
        Some(&ours),
        "Back now. Thursday works.",
    );
    assert_eq!(post(&endpoint, &answer).await.status(), 201);
    let replied = kpis(&server).await;
    assert_eq!(replied["kpis"]["replies_received"], 1, "{replied}");
    assert_eq!(replied["kpis"]["replied_turns"], 1, "{replied}");
    let thread = thread_bodies(&server, &owner.client, lead).await;
    let flags: Vec<bool> = thread
        .iter()
        .map(|m| m.get("auto_reply").is_some_and(|v| v == true))
        .collect();
    assert_eq!(flags, [false, true, false, false]);
}

/// An email with an HTML version, an embedded picture and files of every kind: kept as sent,
/// listed with the message (live and after reload), served only to the workspace, pictures
/// inline and everything else as a download that cannot run in our origin, the HTML with no
/// script and no remote content. A zip that would unpack to 100 MB is just a 100 KB download:
/// nothing here ever unpacks it.
#[tokio::test]
async fn attachments_and_the_html_version_are_kept_and_served_safely() {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let png = include_bytes!("../fixtures/pixel.png");
    let bomb = include_bytes!("../fixtures/bomb.zip");
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let stranger = server.session("other@example.com", "Other").await;
    let endpoint = endpoint(&server, &owner.client).await;
    let part = |kind: &str, disposition: &str, extra: &str, body: String| {
        format!(
            "--MIX\r\nContent-Type: {kind}\r\nContent-Transfer-Encoding: base64\r\n{extra}\
             Content-Disposition: {disposition}\r\n\r\n{body}\r\n"
        )
    };
    let raw = [
        "From: Maya Patel <maya@example.com>\r\nTo: sales@leadwire.test\r\nSubject: The quote\r\n\
         Message-ID: <files-1@mail.example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"MIX\"\r\n\r\n\
         --MIX\r\nContent-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n\
         --ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nQuote attached.\r\n\
         --ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Quote <b>attached</b>.</p><img src=\"cid:logo@example.com\">\
         <img src=\"https://tracker.example.net/open.gif\"><script>alert(1)</script>\r\n\
         --ALT--\r\n"
            .to_string(),
        part(
            "image/png",
            "inline; filename=\"logo.png\"",
            "Content-ID: <logo@example.com>\r\n",
            b64(png),
        ),
        part(
            "application/pdf",
            "attachment; filename=\"Angebot Größe.pdf\"",
            "",
            b64(b"%PDF-1.4 quote"),
        ),
        part(
            "image/svg+xml",
            "attachment; filename=\"chart.svg\"",
            "",
            b64(b"<svg onload=\"alert(1)\"/>"),
        ),
        part(
            "application/zip",
            "attachment; filename=\"bomb.zip\"",
            "",
            b64(bomb),
        ),
        "--MIX--\r\n".to_string(),
    ]
    .concat();
    let res = post(&endpoint, &raw).await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    let message = &stored["message"];
    assert_eq!(message["body"], "Quote attached.");
    assert_eq!(message["has_html"], true);
    let files: Vec<(String, String, i64)> = message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["filename"].as_str().unwrap().to_string(),
                a["content_type"].as_str().unwrap().to_string(),
                a["size"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("logo.png".into(), "image/png".into(), png.len() as i64),
            ("Angebot Größe.pdf".into(), "application/pdf".into(), 14),
            ("chart.svg".into(), "image/svg+xml".into(), 24),
            (
                "bomb.zip".into(),
                "application/zip".into(),
                bomb.len() as i64
            ),
        ]
    );
    let id = |n: usize| {
        message["attachments"][n]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // After a reload the thread lists them the same way.
    let lead = stored["lead_id"].as_str().unwrap();
    let thread = thread_bodies(&server, &owner.client, lead).await;
    assert_eq!(thread[0]["attachments"], message["attachments"]);

    let get = |client: &reqwest::Client, path: String| {
        let request = client.get(server.url(&path));
        async move { request.send().await.unwrap() }
    };
    // The picture: inline, its own type, and still unable to run anything.
    let res = get(&owner.client, format!("/attachments/{}", id(0))).await;
    assert_eq!(res.status(), 200);
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(header(&res, "content-type"), "image/png");
    assert!(header(&res, "content-disposition").starts_with("inline;"));
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert!(header(&res, "content-security-policy").contains("sandbox"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), png);
    // Everything else is a download, SVG included (it can carry script).
    for (n, name) in [
        (1, "Angebot%20Gr%C3%B6%C3%9Fe.pdf"),
        (2, "chart.svg"),
        (3, "bomb.zip"),
    ] {
        let res = get(&owner.client, format!("/attachments/{}", id(n))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "application/octet-stream");
        let disposition = header(&res, "content-disposition");
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(
            disposition.ends_with(&format!("UTF-8''{name}")),
            "{disposition}"
        );
    }
    let zip = get(&owner.client, format!("/attachments/{}", id(3))).await;
    assert_eq!(zip.bytes().await.unwrap().as_ref(), bomb);

    // The HTML version: no script, nothing fetched from anywhere.
    let res = get(
        &owner.client,
        format!("/inbound/{}/html", message["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(res.status(), 200);
    let csp = header(&res, "content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("img-src data:;"),
        "{csp}"
    );
    assert!(
        !csp.contains("script-src") && !csp.contains("img-src *"),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    // The embedded picture inline (the sandboxed frame fetches nothing, not even from us).
    let inline = format!("src=\"data:image/png;base64,{}\"", b64(png));
    assert!(html.contains(&inline), "{html}");
    assert!(!html.contains("cid:logo"), "{html}");

    // Nobody outside the workspace gets any of it; nobody signed out either.
    for path in [
        format!("/attachments/{}", id(0)),
        format!("/inbound/{}/html", message["id"].as_str().unwrap()),
    ] {
        assert_eq!(
            get(&stranger.client, path.clone()).await.status(),
            404,
            "{path}"
        );
        let anonymous = get(&reqwest::Client::new(), path.clone()).await.status();
        assert!(anonymous == 401 || anonymous == 403, "{path}: {anonymous}");
    }
    assert_eq!(
        get(&owner.client, "/attachments/not-a-uuid".into())
            .await
            .status(),
        404
    );
}
