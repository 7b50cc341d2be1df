//! The live dashboard over HTTP and WebSocket: KPIs move with sends, a burst is coalesced into
//! a handful of `stats_updated`, the feed records every kind of event, lead actions validate
//! their input, and nothing crosses workspaces.
use crate::support::{error_body, message, TestServer};
use serde_json::{json, Value};

async fn lead(server: &TestServer, client: &reqwest::Client, name: &str) -> String {
    let lead = server
        .create_lead(
            client,
            json!({"name": name, "email": format!("{}@example.com", name.to_lowercase()), "phone": "+14155550100", "deal_value": "1000"}),
        )
        .await;
    lead["id"].as_str().unwrap().to_string()
}

fn inbound(body: &str) -> Value {
    json!({"direction": "inbound", "channel": "sms", "body": body, "client_id": uuid::Uuid::new_v4().to_string()})
}

#[tokio::test]
async fn kpis_follow_sends_replies_and_responses_through_the_api() {
    let server = TestServer::start().await;
    let client = server.signed_up("kpi@example.com", "Kpi").await;
    let id = lead(&server, &client, "Maya").await;
    for body in [
        message("sms", "Hi Maya"),
        inbound("Hi! Pricing?"),
        message("sms", "Here it is"),
    ] {
        assert_eq!(server.send(&client, &id, body).await.status(), 201);
    }
    let k = server
        .get_json(&client, "/api/dashboard/kpis?period=today&tz=0")
        .await;
    assert_eq!(k["kpis"]["sent_today"], 2);
    assert_eq!(k["kpis"]["replies_received"], 1);
    // Two turns (before and after the reply), the first one answered.
    assert_eq!(k["kpis"]["outreach_turns"], 2);
    assert_eq!(k["kpis"]["replied_turns"], 1);
    assert_eq!(k["rates"]["reply_rate"], 0.5);
    assert_eq!(k["kpis"]["responses"], 1);
    assert!(k["kpis"]["response_median_secs"].as_i64().unwrap() < 60);
    assert_eq!(k["kpis"]["active_conversations"], 1);
    assert_eq!(k["kpis"]["pipeline_value_cents"], 100_000);
    assert!(
        k["rates"]["open_rate_human"].is_null(),
        "no email delivered"
    );
}

#[tokio::test]
async fn unknown_period_channel_or_zone_is_a_422_naming_the_field() {
    let server = TestServer::start().await;
    let client = server.signed_up("bad@example.com", "Bad").await;
    for (query, field) in [
        ("period=week", "period"),
        ("channel=fax", "channel"),
        ("tz=abc", "tz"),
        ("tz=100000", "tz"),
        // Not a whole quarter hour: no real zone is, and the rollups count 15-minute slots.
        ("tz=7", "tz"),
        ("tz=Mars/Olympus", "tz"),
    ] {
        for path in ["/api/dashboard/kpis", "/api/dashboard/analytics"] {
            let res = client
                .get(server.url(&format!("{path}?{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 422, "{path}?{query}");
            assert_eq!(error_body(res).await["field"], field);
        }
    }
    // Nepal (UTC+5:45) is a real zone, by offset or by name (what browsers send).
    for zone in ["345", "Asia/Kathmandu", "America/New_York"] {
        for path in ["/api/dashboard/kpis", "/api/dashboard/analytics"] {
            let res = client
                .get(server.url(&format!("{path}?period=30d&tz={zone}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path}?tz={zone}");
        }
    }
    let res = client
        .get(server.url("/api/activity?before=soon"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let anonymous = server.client();
    let res = anonymous
        .get(server.url("/api/dashboard/kpis"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_burst_of_sends_is_coalesced_into_a_few_stats_updates() {
    let server = TestServer::start().await;
    let owner = server.session("burst@example.com", "Burst").await;
    let other = server.session("quiet@example.com", "Quiet").await;
    let id = lead(&server, &owner.client, "Bursty").await;
    let mut ws = server.dashboard_socket(&owner.cookie).await;
    let mut outsider = server.live_socket(&other.cookie).await;
    let sends = (0..100).map(|i| {
        let (server, client, id) = (&server, &owner.client, &id);
        async move {
            let res = server
                .send(client, id, message("sms", &format!("Offer {i}")))
                .await;
            assert_eq!(res.status(), 201);
        }
    });
    futures_util::future::join_all(sends).await;
    // Read until the update that counts all 100 sends; count every stats update on the way.
    let mut updates = 0;
    loop {
        let frame = ws.next_of("stats_updated").await;
        updates += 1;
        assert!(frame["seq"].is_i64() && frame["timestamp"].is_string());
        if frame["stats"]["sent_7d"] == 100 {
            break;
        }
    }
    assert!(
        (1..=10).contains(&updates),
        "100 sends gave {updates} stats updates"
    );
    // The charts travel beside the stats, coalesced the same way.
    let charts = ws.next_of("analytics_updated").await;
    assert_eq!(charts["summary"]["messages"], 100);
    // The other workspace heard nothing of it: its next frame is the answer to our ping.
    outsider.send_json(json!({"type": "ping"})).await;
    let frame = outsider
        .next_except(&["online", "presence", "typing"])
        .await;
    assert_eq!(frame["type"], "pong", "{frame}");
}

#[tokio::test]
async fn the_feed_records_lead_and_message_events_newest_first_with_load_more() {
    let server = TestServer::start_with(|s| s.activity_page_size = 2).await;
    let owner = server.session("feed@example.com", "Feed").await;
    let mut ws = server.live_socket(&owner.cookie).await;
    let id = lead(&server, &owner.client, "Nora").await;
    assert_eq!(
        ws.next_of("activity_updated").await["event"],
        "lead_created"
    );
    server
        .send(&owner.client, &id, message("sms", "Hello Nora"))
        .await;
    server.send(&owner.client, &id, inbound("Hi there")).await;
    let res = owner
        .client
        .patch(server.url(&format!("/api/leads/{id}")))
        .json(&json!({"stage": "won"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Two days from now at 14:30 in UTC+1.
    let plus_one = chrono::FixedOffset::east_opt(3600).unwrap();
    let local = (chrono::Utc::now() + chrono::Duration::days(2))
        .with_timezone(&plus_one)
        .date_naive()
        .and_hms_opt(14, 30, 0)
        .unwrap()
        .and_local_timezone(plus_one)
        .unwrap();
    let res = owner
        .client
        .post(server.url(&format!("/api/leads/{id}/meetings")))
        .json(&json!({"at": local.to_rfc3339()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let booked: Value = res.json().await.unwrap();
    assert_eq!(booked["kind"], "meeting_booked");
    let expected = local
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT13:30:00Z")
        .to_string();
    assert_eq!(booked["meeting_at"], expected);
    // Live, in order, each with its seq.
    for kind in [
        "message_sent",
        "message_received",
        "lead_converted",
        "meeting_booked",
    ] {
        let frame = ws.next_of("activity_updated").await;
        assert_eq!(frame["event"], kind);
        assert_eq!(frame["data"]["lead_name"], "Nora");
        assert!(frame["seq"].is_i64());
    }
    // Stored: newest first, two per page.
    let page = server.get_json(&owner.client, "/api/activity").await;
    let kinds = |p: &Value| -> Vec<String> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(&page), ["meeting_booked", "lead_converted"]);
    assert_eq!(page["has_more"], true);
    let oldest = page["items"][1]["id"].as_i64().unwrap();
    let page = server
        .get_json(&owner.client, &format!("/api/activity?before={oldest}"))
        .await;
    assert_eq!(kinds(&page), ["message_received", "message_sent"]);
    let oldest = page["items"][1]["id"].as_i64().unwrap();
    let page = server
        .get_json(&owner.client, &format!("/api/activity?before={oldest}"))
        .await;
    assert_eq!(kinds(&page), ["lead_created"]);
    assert_eq!(page["has_more"], false);
    // Winning counts: the lead is converted in today's KPIs.
    let k = server
        .get_json(&owner.client, "/api/dashboard/kpis?period=today")
        .await;
    assert_eq!(k["kpis"]["leads_won"], 1);
    assert_eq!(k["rates"]["conversion_rate"], 1.0);
    // One lead's entries: another lead's stay out.
    let other = lead(&server, &owner.client, "Otto").await;
    server
        .send(&owner.client, &other, inbound("Otto here"))
        .await;
    let page = server
        .get_json(&owner.client, &format!("/api/activity?lead={id}"))
        .await;
    assert_eq!(kinds(&page), ["meeting_booked", "lead_converted"]);
    let oldest = page["items"][1]["id"].as_i64().unwrap();
    let page = server
        .get_json(
            &owner.client,
            &format!("/api/activity?lead={id}&before={oldest}"),
        )
        .await;
    assert_eq!(kinds(&page), ["message_received", "message_sent"]);
    let page = server
        .get_json(&owner.client, &format!("/api/activity?lead={other}"))
        .await;
    assert_eq!(kinds(&page), ["message_received", "lead_created"]);
    let rpc: Value = server
        .rpc(&owner.client, "activity", &[("lead_id", other.as_str())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kinds(&rpc), ["message_received", "lead_created"]);
}

#[tokio::test]
async fn bad_lead_actions_store_nothing_and_other_workspaces_see_nothing() {
    let server = TestServer::start().await;
    let owner = server.signed_up("act@example.com", "Act").await;
    let stranger = server.signed_up("stranger@example.com", "Elsewhere").await;
    let id = lead(&server, &owner, "Olga").await;
    for at in [
        "",
        "next tuesday",
        "2026-02-30T10:00:00Z",
        "2031-01-01T00:00:00Z",
    ] {
        let res = owner
            .post(server.url(&format!("/api/leads/{id}/meetings")))
            .json(&json!({"at": at}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{at:?}");
        assert_eq!(error_body(res).await["field"], "at");
    }
    let res = owner
        .patch(server.url(&format!("/api/leads/{id}")))
        .json(&json!({"stage": "champion"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = stranger
        .post(server.url(&format!("/api/leads/{id}/meetings")))
        .json(&json!({"at": "2026-12-03T14:30:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "another workspace's lead is not found");
    let res = stranger
        .post(server.url(&format!("/api/leads/{id}/meetings")))
        .json(&json!({"at": "garbage"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "not found comes before validation");
    // Only the lead's creation made it into the feed; the stranger's feed is empty.
    let page = server.get_json(&owner, "/api/activity").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "lead_created");
    let theirs = server.get_json(&stranger, "/api/activity").await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    let k = server.get_json(&stranger, "/api/dashboard/kpis").await;
    assert_eq!(k["kpis"]["pipeline_value_cents"], 0);
}

#[tokio::test]
async fn notification_preferences_are_per_user_and_validated() {
    let server = TestServer::start().await;
    let owner = server.signed_up("prefs@example.com", "Prefs").await;
    let teammate = server.teammate(&owner, "mate@example.com").await;
    let defaults = server.get_json(&owner, "/api/notification-prefs").await;
    assert_eq!(defaults["sound"], true);
    assert_eq!(defaults["inbound_message"], true);
    let quiet = json!({"inbound_message": true, "email_opened": false, "link_clicked": true,
        "lead_converted": true, "meeting_booked": false, "sound": false});
    let res = owner
        .put(server.url("/api/notification-prefs"))
        .json(&quiet)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        server.get_json(&owner, "/api/notification-prefs").await,
        quiet
    );
    let theirs = server
        .get_json(&teammate.client, "/api/notification-prefs")
        .await;
    assert_eq!(theirs["sound"], true, "a teammate keeps their own");
    let res = owner
        .put(server.url("/api/notification-prefs"))
        .json(&json!({"sound": "loud"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        server.get_json(&owner, "/api/notification-prefs").await,
        quiet
    );
}

/// Only a tab that shows the dashboard gets its events, live and in a replay; a tab that opens
/// the dashboard later is told when they start flowing. The skipped seqs are simply absent.
#[tokio::test]
async fn only_tabs_showing_the_dashboard_get_its_events() {
    let server = TestServer::start().await;
    let owner = server.session("dash@example.com", "Dash").await;
    let id = lead(&server, &owner.client, "Nora").await;
    let mut inbox = server.live_socket(&owner.cookie).await;
    let mut dashboard = server.dashboard_socket(&owner.cookie).await;
    let send = |body: &'static str| {
        let (server, client, id) = (&server, &owner.client, &id);
        async move {
            let res = server.send(client, id, message("sms", body)).await;
            assert_eq!(res.status(), 201);
        }
    };
    // Frames up to the message `body`: events arrive in seq order, so a dashboard event
    // logged before that message would be among them.
    async fn until_message(ws: &mut crate::support::Ws, body: &str) -> Vec<String> {
        let mut kinds = Vec::new();
        loop {
            let frame = ws.next_json().await;
            kinds.push(frame["type"].as_str().unwrap_or_default().to_string());
            if frame["type"] == "messages_updated" && frame["message"]["body"] == body {
                return kinds;
            }
        }
    }
    let is_dashboard = |k: &String| k == "stats_updated" || k == "analytics_updated";
    send("One").await;
    let first = dashboard.next_of("stats_updated").await["seq"]
        .as_i64()
        .unwrap();
    send("Two").await;
    let seen = until_message(&mut inbox, "Two").await;
    assert!(!seen.iter().any(is_dashboard), "{seen:?}");
    // A replay from the start skips them too, unless the tab shows the dashboard.
    let mut replay = server.socket(&owner.cookie).await;
    replay.resume(0).await;
    let mut replayed = Vec::new();
    loop {
        let frame = replay.next_json().await;
        if frame["type"] == "live" {
            break;
        }
        replayed.push(frame["type"].as_str().unwrap_or_default().to_string());
    }
    assert!(
        replayed.contains(&"messages_updated".to_string()),
        "{replayed:?}"
    );
    assert!(!replayed.iter().any(is_dashboard), "{replayed:?}");
    let mut replay = server.socket(&owner.cookie).await;
    replay
        .send_json(json!({"type": "dashboard", "on": true}))
        .await;
    replay.resume(0).await;
    let replayed = replay.next_of("stats_updated").await["seq"]
        .as_i64()
        .unwrap();
    assert!(replayed <= first);
    // The inbox tab opens the dashboard: told so, then it gets the next update.
    inbox
        .send_json(json!({"type": "dashboard", "on": true}))
        .await;
    assert_eq!(inbox.next_of("dashboard").await["on"], true);
    send("Three").await;
    let next = inbox.next_of("stats_updated").await;
    assert!(next["seq"].as_i64().unwrap() > first);
    // And leaves it: dashboard events pass it by again.
    inbox
        .send_json(json!({"type": "dashboard", "on": false}))
        .await;
    assert_eq!(inbox.next_of("dashboard").await["on"], false);
    send("Four").await;
    while dashboard.next_of("stats_updated").await["stats"]["sent_7d"] != 4 {}
    send("Five").await;
    let seen = until_message(&mut inbox, "Five").await;
    assert!(seen.contains(&"messages_updated".to_string()), "{seen:?}");
    assert!(!seen.iter().any(is_dashboard), "{seen:?}");
}

/// Preferences saved in one tab reach the user's other tabs and devices at once (a private
/// event: a teammate's sockets never see it).
#[tokio::test]
async fn saved_preferences_reach_the_users_other_tabs_live_and_no_one_else() {
    let server = TestServer::start().await;
    let owner = server.session("prefs-live@example.com", "Prefs").await;
    let other_device = server.login("prefs-live@example.com").await;
    let teammate = server
        .teammate(&owner.client, "mate-live@example.com")
        .await;
    let mut mine = server.live_socket(&other_device.cookie).await;
    let mut theirs = server.live_socket(&teammate.cookie).await;
    let quiet = json!({"inbound_message": false, "email_opened": true, "link_clicked": true,
        "lead_converted": true, "meeting_booked": true, "sound": false});
    let res = owner
        .client
        .put(server.url("/api/notification-prefs"))
        .json(&quiet)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let frame = mine.next_of("prefs_updated").await;
    assert_eq!(frame["prefs"], quiet);
    // Everything the teammate hears up to their own message: never the owner's settings.
    let lead = server
        .create_lead(&teammate.client, json!({"name": "Mate's lead"}))
        .await;
    let lead = lead["id"].as_str().unwrap();
    let res = server
        .send(
            &teammate.client,
            lead,
            crate::support::message("chat", "hi"),
        )
        .await;
    assert_eq!(res.status(), 201);
    loop {
        let frame = theirs.next_logged().await;
        assert_ne!(frame["type"], "prefs_updated", "{frame}");
        if frame["type"] == "messages_updated" {
            break;
        }
    }
}

/// The demo workspace `make run` starts with shows email opens, as its answered emails were
/// read: the opens chart is not flat and the thread says "Read".
#[tokio::test]
async fn the_demo_workspace_has_read_emails_on_its_opens_chart() {
    let (server, client) = TestServer::demo().await;
    let analytics = server
        .get_json(&client, "/api/dashboard/analytics?period=30d")
        .await;
    let opens: i64 = analytics["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["opens_human"].as_i64().unwrap())
        .sum();
    assert_eq!(opens, 4, "the four demo emails their leads answered");
    let leads = server.get_json(&client, "/api/leads").await;
    let maya = leads["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Maya Patel")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let thread = server
        .get_json(&client, &format!("/api/messages/{maya}"))
        .await;
    let ours = thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "outbound")
        .unwrap()
        .clone();
    assert!(ours["opened_at"].is_string(), "{ours}");
}

/// The opens chart draws no line for a series that has nothing in the period (the demo's
/// emails were opened but no link was clicked): a line along zero would read as data.
#[tokio::test]
async fn the_opens_chart_draws_no_line_for_a_series_with_nothing_in_it() {
    let (server, client) = TestServer::demo().await;
    let html = server.get_text(&client, "/dashboard?period=30d").await;
    assert!(
        html.contains(r#"class="line opens""#),
        "the opens are drawn"
    );
    assert!(
        !html.contains(r#"class="line clicks""#),
        "no clicks, no line"
    );
    assert!(html.contains("Clicked (none)"));
}

/// A lead's deal value edited with nothing else happening (no message, no stage change) still
/// reaches open dashboards: the pipeline card is live too.
#[tokio::test]
async fn a_deal_value_edit_alone_moves_the_live_pipeline() {
    let server = TestServer::start().await;
    let owner = server.session("pipe@example.com", "Pipe").await;
    let id = lead(&server, &owner.client, "Maya").await;
    let mut dashboard = server.dashboard_socket(&owner.cookie).await;
    // The update for the lead's creation first, so what follows is the edit's alone.
    loop {
        let frame = dashboard.next_of("stats_updated").await;
        if frame["stats"]["pipeline_value_cents"] == 100_000 {
            break;
        }
    }
    let res = owner
        .client
        .patch(server.url(&format!("/api/leads/{id}")))
        .json(&json!({"deal_value": "2500"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    loop {
        let frame = dashboard.next_of("stats_updated").await;
        if frame["stats"]["pipeline_value_cents"] == 250_000 {
            break;
        }
    }
}
