//! Two server processes sharing one PostgreSQL database, as behind a load balancer: a commit
//! on either reaches sockets on both (PostgreSQL NOTIFY rings each instance's doorbell, which
//! reads the log), in seq order with nothing missed, a tab resumes on the other instance when
//! its own dies, and queued email leaves once. These run on PostgreSQL in both runs of the
//! suite: several instances need it.
use crate::support::{message, ScratchDatabase, ServerProcess, SmtpSink, Ws};
use serde_json::{json, Value};
use std::collections::HashSet;

struct Pair {
    a: ServerProcess,
    b: ServerProcess,
    client: reqwest::Client,
    cookie: String,
    lead: String,
    _db: ScratchDatabase,
    _dirs: [tempfile::TempDir; 2],
}

/// Instances A and B on one fresh database; an owner signed up on A (the session works on
/// both: it lives in the database) with one lead.
async fn pair(env: &[(&str, &str)]) -> Pair {
    let db = ScratchDatabase::create().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = ServerProcess::start_on(&dirs[0], &db.url, env).await;
    let b = ServerProcess::start_on(&dirs[1], &db.url, env).await;
    // Cookies are kept per host, not per port: the one session serves both instances.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(a.url("/api/auth/signup"))
        .json(&json!({"name": "Owner", "email": "owner@example.com",
                      "password": "correct horse", "workspace": "Acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    let lead = a
        .create_lead(
            &client,
            json!({"name": "Maya Patel", "email": "maya@example.com"}),
        )
        .await;
    Pair {
        a,
        b,
        client,
        cookie,
        lead,
        _db: db,
        _dirs: dirs,
    }
}

/// Sends a chat message through `server` and returns its client id.
async fn send(server: &ServerProcess, client: &reqwest::Client, lead: &str, body: &str) -> String {
    let mut m = message("chat", body);
    let id = m["client_id"].as_str().unwrap().to_string();
    m["direction"] = json!("outbound");
    let res = client
        .post(server.url(&format!("/api/messages/{lead}")))
        .json(&m)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    id
}

/// The next frame that carries a seq (logged events), skipping ephemeral ones.
async fn next_logged(ws: &mut Ws) -> Value {
    loop {
        let frame = ws.next_json().await;
        if frame.get("seq").is_some_and(Value::is_i64) && frame["type"] != "live" {
            return frame;
        }
    }
}

fn inserted_client_id(frame: &Value) -> Option<String> {
    (frame["type"] == "messages_updated" && frame["action"] == "INSERT")
        .then(|| frame["message"]["client_id"].as_str().map(str::to_string))
        .flatten()
}

/// What a socket opened now on `server` replays after `after`, up to its `live`.
async fn replay(server: &ServerProcess, cookie: &str, after: i64) -> Vec<Value> {
    let mut ws = server.socket(cookie).await;
    ws.resume(after).await;
    let mut frames = Vec::new();
    loop {
        let frame = ws.next_json().await;
        if frame["type"] == "live" {
            return frames;
        }
        if frame.get("seq").is_some_and(Value::is_i64) {
            frames.push(frame);
        }
    }
}

#[tokio::test]
async fn sixteen_writers_on_two_instances_reach_a_socket_on_one_in_order_with_nothing_missed() {
    let p = pair(&[]).await;
    let mut on_b = p.b.socket(&p.cookie).await;
    let start = on_b.next_json_head();
    on_b.resume(start).await;
    on_b.next_of("live").await;

    // 16 concurrent writers, half through A and half through B.
    let mut writers = Vec::new();
    for w in 0..16 {
        let server = if w % 2 == 0 { p.a.url("") } else { p.b.url("") };
        let (client, lead) = (p.client.clone(), p.lead.clone());
        writers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..10 {
                let mut m = message("chat", &format!("writer {w} message {n}"));
                ids.push(m["client_id"].as_str().unwrap().to_string());
                m["direction"] = json!("outbound");
                let res = client
                    .post(format!("{server}/api/messages/{lead}"))
                    .json(&m)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
            ids
        }));
    }
    let mut sent = HashSet::new();
    for writer in writers {
        sent.extend(writer.await.unwrap());
    }

    // Everything the log holds now, as a tab on A would replay it.
    let expected = replay(&p.a, &p.cookie, start).await;
    let last = expected.last().unwrap()["seq"].as_i64().unwrap();
    let mut live = Vec::new();
    while live
        .last()
        .is_none_or(|f: &Value| f["seq"].as_i64().unwrap() < last)
    {
        live.push(next_logged(&mut on_b).await);
    }
    let seqs = |frames: &[Value]| -> Vec<i64> {
        frames.iter().map(|f| f["seq"].as_i64().unwrap()).collect()
    };
    assert!(
        seqs(&live).windows(2).all(|w| w[0] < w[1]),
        "in seq order: {:?}",
        seqs(&live)
    );
    assert_eq!(
        seqs(&live),
        seqs(&expected),
        "B's socket saw what the log holds"
    );
    let arrived: HashSet<String> = live.iter().filter_map(inserted_client_id).collect();
    assert_eq!(arrived, sent, "every message, each once");
    assert_eq!(
        live.iter().filter_map(inserted_client_id).count(),
        sent.len()
    );
}

#[tokio::test]
async fn a_tab_whose_instance_dies_resumes_on_the_other_with_nothing_missed_or_repeated() {
    let p = pair(&[]).await;
    let mut on_a = p.a.socket(&p.cookie).await;
    let start = on_a.next_json_head();
    on_a.resume(start).await;
    on_a.next_of("live").await;
    let mut before = HashSet::new();
    for n in 0..5 {
        before.insert(send(&p.b, &p.client, &p.lead, &format!("before {n}")).await);
    }
    // The tab on A sees B's sends live; it remembers the last seq it applied.
    let mut seen = HashSet::new();
    let mut last = start;
    while seen != before {
        let frame = next_logged(&mut on_a).await;
        last = frame["seq"].as_i64().unwrap();
        seen.extend(inserted_client_id(&frame));
    }
    p.a.kill_9().await;
    let mut after = HashSet::new();
    for n in 0..5 {
        after.insert(send(&p.b, &p.client, &p.lead, &format!("after {n}")).await);
    }
    // The tab reconnects, lands on B, and resumes from its last seq.
    let missed = replay(&p.b, &p.cookie, last).await;
    let seqs: Vec<i64> = missed.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.first().is_some_and(|s| *s > last),
        "{seqs:?} after {last}"
    );
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let inserted: Vec<String> = missed.iter().filter_map(inserted_client_id).collect();
    assert_eq!(inserted.len(), 5, "{inserted:?}");
    assert_eq!(inserted.into_iter().collect::<HashSet<_>>(), after);
}

#[tokio::test]
async fn email_queued_while_both_instances_run_is_sent_once() {
    let mut sink = SmtpSink::start().await;
    let port = sink.port.to_string();
    let p = pair(&[
        ("LEADWIRE_SMTP_HOST", "127.0.0.1"),
        ("LEADWIRE_SMTP_PORT", port.as_str()),
        ("LEADWIRE_SMTP_SECURITY", "none"),
    ])
    .await;
    let mut subjects = HashSet::new();
    for n in 0..10 {
        let server = if n % 2 == 0 { &p.a } else { &p.b };
        let subject = format!("Email {n}");
        let res = p
            .client
            .post(server.url(&format!("/api/messages/{}", p.lead)))
            .json(
                &json!({"channel": "email", "subject": subject, "body": "Hello",
                          "client_id": uuid::Uuid::new_v4().to_string()}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        subjects.insert(subject);
    }
    let mut received = HashSet::new();
    for _ in 0..10 {
        let mail = sink.next_mail().await;
        let subject = mail["headers"]["subject"].as_str().unwrap().to_string();
        assert!(received.insert(subject.clone()), "{subject} arrived twice");
    }
    assert_eq!(received, subjects);
    // Nothing else was on its way: the next mail the relay sees is the next one sent.
    let res = p
        .client
        .post(p.b.url(&format!("/api/messages/{}", p.lead)))
        .json(
            &json!({"channel": "email", "subject": "Last", "body": "Bye",
                      "client_id": uuid::Uuid::new_v4().to_string()}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(sink.next_mail().await["headers"]["subject"], "Last");
}

#[tokio::test]
async fn a_burst_seen_by_both_instances_gets_one_dashboard_update_not_one_each() {
    let p = pair(&[]).await;
    let db = crate::support::TestDb::connect(&p._db.url).await;
    let mut dashboard = p.b.socket(&p.cookie).await;
    dashboard
        .send_json(json!({"type": "dashboard", "on": true}))
        .await;
    dashboard.resume(0).await;
    dashboard.next_of("live").await;
    // Three bursts, each waited out: both instances' coalescers see each one.
    for burst in 0..3 {
        let server = if burst % 2 == 0 { &p.a } else { &p.b };
        for n in 0..3 {
            send(
                server,
                &p.client,
                &p.lead,
                &format!("burst {burst} message {n}"),
            )
            .await;
        }
        // This burst's own update (counting its messages), not a late one of the last burst.
        while dashboard.next_of("stats_updated").await["stats"]["sent_today"] != 3 * (burst + 1) {}
    }
    // The first two bursts' updates have long been logged by whichever instance did it:
    // exactly one each (the third's loser may still be deciding).
    let updates = db
        .count(
            "SELECT COUNT(*) FROM events e WHERE e.kind = 'stats_updated' AND e.seq < \
             (SELECT MIN(m.seq) FROM events m WHERE m.kind = 'messages_updated' \
              AND m.payload LIKE '%burst 2 message 0%')",
        )
        .await;
    assert_eq!(updates, 2);
}

#[tokio::test]
async fn a_viewer_on_one_instance_shows_on_the_other_and_leaves_when_that_instance_dies() {
    let p = pair(&[]).await;
    let mut on_b = p.b.live_socket(&p.cookie).await;
    let mut on_a = p.a.live_socket(&p.cookie).await;
    on_a.send_json(json!({"type": "view", "lead_id": p.lead}))
        .await;
    // B's tab views nothing: the viewer it is told about is A's tab.
    let seen = loop {
        let frame = on_b.next_of("presence").await;
        if frame["lead_id"] == p.lead.as_str() && frame["viewers"][0]["name"] == "Owner" {
            break frame;
        }
    };
    assert_eq!(seen["viewers"].as_array().unwrap().len(), 1);
    // A dies without a word; B's tab hears the viewer leave once A's word runs out.
    p.a.kill_9().await;
    let started = std::time::Instant::now();
    loop {
        let frame = on_b.next_of("presence").await;
        if frame["lead_id"] == p.lead.as_str() && frame["viewers"].as_array().unwrap().is_empty() {
            break;
        }
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// A rename taken by one instance reaches the user's tabs on the other: the lead they view
/// there is shown with the new name (every instance renames its tabs from the logged event).
#[tokio::test]
async fn a_rename_on_one_instance_renames_the_users_tabs_on_the_other() {
    let p = pair(&[]).await;
    let mut on_b = p.b.live_socket(&p.cookie).await;
    on_b.send_json(json!({"type": "view", "lead_id": p.lead}))
        .await;
    loop {
        let frame = on_b.next_of("presence").await;
        if frame["lead_id"] == p.lead.as_str() && frame["viewers"][0]["name"] == "Owner" {
            break;
        }
    }
    let res = p
        .client
        .post(p.a.url("/rpc/rename_me"))
        .header("origin", p.a.url(""))
        .form(&[("name", "Ada Renamed")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    // Without the rename on B, B's tab would keep its old name: no such frame, and after
    // 10 s without frames `next_of` fails the test.
    loop {
        let frame = on_b.next_of("presence").await;
        if frame["lead_id"] == p.lead.as_str() && frame["viewers"][0]["name"] == "Ada Renamed" {
            break;
        }
    }
}

#[tokio::test]
async fn sign_in_failures_count_across_instances() {
    let p = pair(&[("LEADWIRE_LOGIN_MAX_FAILURES_PER_ACCOUNT", "4")]).await;
    let guess = |server: &ServerProcess| {
        let client = reqwest::Client::new();
        let request = client
            .post(server.url("/api/auth/login"))
            .header("origin", server.url(""))
            .json(&json!({"email": "owner@example.com", "password": "wrong guess"}));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Four wrong guesses, alternating: each instance has seen two.
    for n in 0..4 {
        let server = if n % 2 == 0 { &p.a } else { &p.b };
        assert_eq!(guess(server).await, 401);
    }
    // The limit is the deployment's, not each instance's.
    assert_eq!(guess(&p.a).await, 429);
    assert_eq!(guess(&p.b).await, 429);
}

#[tokio::test]
async fn address_limits_count_across_instances() {
    // Six requests a minute without an account (one back every 10 s), three new workspaces an
    // hour, per address: this test's requests all come from 127.0.0.1.
    let p = pair(&[
        ("LEADWIRE_PUBLIC_REQUESTS_PER_IP_PER_MINUTE", "6"),
        ("LEADWIRE_SIGNUPS_PER_IP_PER_HOUR", "3"),
    ])
    .await;
    let signup = |server: &ServerProcess, n: u32| {
        let request = reqwest::Client::new()
            .post(server.url("/api/auth/signup"))
            .header("origin", server.url(""))
            .json(
                &json!({"name": "Someone", "email": format!("someone{n}@example.com"),
                          "password": "correct horse", "workspace": "Another"}),
            );
        async move { request.send().await.unwrap() }
    };
    // The pair's owner signed up on A: one workspace, one request. Two more, one on each.
    assert_eq!(signup(&p.b, 1).await.status(), 201);
    assert_eq!(signup(&p.a, 2).await.status(), 201);
    // Three from this address, split over A and B: the fourth is refused on either.
    let refused = signup(&p.b, 3).await;
    assert_eq!(refused.status(), 429);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Too many new workspaces"));
    // Four requests counted so far; two more signed-out pages, one on each, then none.
    let page = |server: &ServerProcess| {
        let request = reqwest::Client::new().get(server.url("/login"));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(page(&p.a).await, 200);
    assert_eq!(page(&p.b).await, 200);
    assert_eq!(page(&p.a).await, 429);
    assert_eq!(page(&p.b).await, 429);
}

/// Signing out on one instance closes the session's sockets on the other at once, as it does
/// on its own: the ended session rings every instance (a PostgreSQL notification), not only
/// the one that took the sign-out. Without it, B's socket stayed open, streaming the
/// workspace's events, until the session's expiry.
#[tokio::test]
async fn signing_out_on_one_instance_closes_the_sessions_sockets_on_the_other() {
    let p = pair(&[]).await;
    let mut on_b = p.b.live_socket(&p.cookie).await;
    let res = p
        .client
        .post(p.a.url("/api/auth/logout"))
        .header("origin", p.a.url(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        on_b.closed().await,
        Some((1008, "session ended".to_string()))
    );
}
