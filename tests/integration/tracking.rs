//! Tracking: the pixel and tracked links, how hits are classified, and how receipts reach the
//! sender's socket. Mail goes to the outbox (no relay); the tokens are read from its HTML.
use crate::support::{Session, TestServer, Ws};
use leadwire::model::error::AppError;
use serde_json::{json, Value};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                       Chrome/126.0 Safari/537.36";
const APPLE_PROXY: &str = "Mozilla/5.0";

/// A sent, tracked email: the sender's session and socket, and the tokens in its HTML.
struct Tracked {
    server: TestServer,
    session: Session,
    ws: Ws,
    lead_id: String,
    message_id: String,
    pixel: String,
    links: Vec<String>,
}

/// Sends an email with `body` and waits until it is delivered to the outbox.
/// `machine_window_secs`: 0 trusts a browser hit at once; the default (10) doubts early hits.
async fn tracked_email(body: &str, machine_window_secs: i64) -> Tracked {
    tracked_email_with(body, |s| {
        s.mail.tracking_machine_window_secs = machine_window_secs
    })
    .await
}

async fn tracked_email_with(
    body: &str,
    tweak: impl FnOnce(&mut leadwire::server::settings::Settings),
) -> Tracked {
    let server = TestServer::start_with(tweak).await;
    let session = server.session("ada@example.com", "Acme").await;
    let mut ws = server.live_socket(&session.cookie).await;
    let lead = server
        .create_lead(
            &session.client,
            json!({"name": "Maya", "email": "maya@example.com"}),
        )
        .await;
    let sent: Value = server
        .send(
            &session.client,
            lead["id"].as_str().unwrap(),
            json!({"channel": "email", "subject": "Hi", "body": body, "client_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let message_id = sent["id"].as_str().unwrap().to_string();
    ws.next_update(|m| m["id"] == message_id.as_str() && m["status"] == "sent")
        .await;
    let html = server
        .get_text(&session.client, &format!("/outbox/{message_id}/html"))
        .await;
    let tokens = |marker: &str| -> Vec<String> {
        html.match_indices(marker)
            .map(|(i, _)| html[i + marker.len()..i + marker.len() + 32].to_string())
            .collect()
    };
    let pixel = tokens("/t/o/").pop().expect("pixel in the HTML");
    let links = tokens("/t/c/");
    Tracked {
        server,
        session,
        ws,
        lead_id: lead["id"].as_str().unwrap().to_string(),
        message_id,
        pixel,
        links,
    }
}

impl Tracked {
    async fn hit(&self, path: &str, agent: &str) -> reqwest::Response {
        self.server
            .client()
            .get(self.server.url(path))
            .header("user-agent", agent)
            .send()
            .await
            .unwrap()
    }

    /// The next UPDATE of this message.
    async fn update(&mut self) -> Value {
        let id = self.message_id.clone();
        self.ws.next_update(move |m| m["id"] == id.as_str()).await
    }
}

#[tokio::test]
async fn a_pixel_hit_reaches_the_senders_socket_as_opened_at() {
    let mut t = tracked_email("Hello Maya", 0).await;
    let res = t.hit(&format!("/t/o/{}", t.pixel), BROWSER).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/gif");
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-store"));
    assert_eq!(res.bytes().await.unwrap().len(), 43);
    let update = t.update().await;
    assert!(update["opened_at"].is_string(), "{update}");
    assert!(update["proxy_opened_at"].is_null());
    assert!(update["clicked_at"].is_null());

    let page: Value = t
        .server
        .get_json(
            &t.session.client,
            &format!("/api/messages/{}", update["lead_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        page["messages"][0]["opened_at"], update["opened_at"],
        "stored, not just sent"
    );
}

#[tokio::test]
async fn a_privacy_proxy_fetch_is_delivered_not_read() {
    let mut t = tracked_email("Hello Maya", 0).await;
    t.hit(&format!("/t/o/{}", t.pixel), APPLE_PROXY).await;
    let update = t.update().await;
    assert!(update["proxy_opened_at"].is_string(), "{update}");
    assert!(
        update["opened_at"].is_null(),
        "a proxy open is not a read: {update}"
    );
}

#[tokio::test]
async fn head_requests_do_not_count() {
    let mut t = tracked_email("Hello Maya", 0).await;
    let res = t
        .server
        .client()
        .head(t.server.url(&format!("/t/o/{}", t.pixel)))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Hits are recorded in order: once the proxy fetch after it shows, the HEAD was seen too.
    t.hit(&format!("/t/o/{}", t.pixel), APPLE_PROXY).await;
    let update = t.update().await;
    assert!(update["proxy_opened_at"].is_string(), "{update}");
    assert!(
        update["opened_at"].is_null(),
        "HEAD set opened_at: {update}"
    );
}

#[tokio::test]
async fn a_click_redirects_to_the_stored_destination_and_sets_clicked_at() {
    let mut t = tracked_email("Pricing: https://example.com/pricing?plan=team", 0).await;
    assert_eq!(t.links.len(), 1);
    let res = t.hit(&format!("/t/c/{}", t.links[0]), BROWSER).await;
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()["location"],
        "https://example.com/pricing?plan=team"
    );
    let update = t.update().await;
    assert!(update["clicked_at"].is_string(), "{update}");
    assert_eq!(
        update["opened_at"], update["clicked_at"],
        "a click means it was read"
    );
}

#[tokio::test]
async fn a_click_right_after_delivery_is_a_scanner() {
    let mut t = tracked_email("See https://example.com/a", 10).await;
    let res = t.hit(&format!("/t/c/{}", t.links[0]), BROWSER).await;
    assert_eq!(res.status(), 302, "scanners still get where they asked");
    t.hit(&format!("/t/o/{}", t.pixel), APPLE_PROXY).await;
    let update = t.update().await;
    assert!(update["proxy_opened_at"].is_string(), "{update}");
    assert!(
        update["clicked_at"].is_null(),
        "scanner click counted: {update}"
    );
}

#[tokio::test]
async fn clicking_every_link_at_once_is_a_scanner() {
    let mut t = tracked_email("One https://example.com/1 two https://example.com/2", 0).await;
    assert_eq!(t.links.len(), 2);
    t.hit(&format!("/t/c/{}", t.links[0]), BROWSER).await;
    t.hit(&format!("/t/c/{}", t.links[1]), BROWSER).await;
    t.hit(&format!("/t/o/{}", t.pixel), APPLE_PROXY).await;
    // Whatever the first click did, the state after all three hits has no human click.
    loop {
        let update = t.update().await;
        if update["proxy_opened_at"].is_string() {
            assert!(update["clicked_at"].is_null(), "{update}");
            assert!(update["opened_at"].is_null(), "{update}");
            break;
        }
    }
}

#[tokio::test]
async fn unknown_forged_and_garbage_requests_are_answered_without_harm() {
    let t = tracked_email("See https://example.com/a", 0).await;
    let known = t
        .hit(&format!("/t/o/{}", t.pixel), BROWSER)
        .await
        .bytes()
        .await
        .unwrap();
    let forged = format!(
        "{:032x}",
        u128::from_be_bytes(*uuid::Uuid::new_v4().as_bytes())
    );
    for path in [
        format!("/t/o/{forged}"),
        "/t/o/not-a-token".to_string(),
        format!("/t/o/{}", "a".repeat(4000)),
        format!("/t/o/{}?{}", t.pixel, "q=1&".repeat(2000)),
        "/t/o/%FF%FE".to_string(),
    ] {
        let res = t.hit(&path, BROWSER).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.bytes().await.unwrap(),
            known,
            "an unknown token looks like a known one"
        );
    }
    for path in [
        format!("/t/c/{forged}"),
        "/t/c/not-a-token".to_string(),
        format!("/t/c/{}", t.pixel),
        "/t/c/%FF".to_string(),
    ] {
        let res = t.hit(&path, BROWSER).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers().get("location").is_none());
    }
    assert_eq!(t.hit("/t/o/a/b/c", BROWSER).await.status(), 404);
    // A range request and a user agent that is not UTF-8 still get the whole pixel.
    let res = t
        .server
        .client()
        .get(t.server.url(&format!("/t/o/{}", t.pixel)))
        .header("range", "bytes=0-3")
        .header(
            "user-agent",
            reqwest::header::HeaderValue::from_bytes(b"Mail\xff\xfeClient").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().len(), 43);
    // A POST is not a pixel load.
    let res = t
        .server
        .client()
        .post(t.server.url(&format!("/t/o/{}", t.pixel)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn with_tracking_off_emails_carry_no_pixel_and_plain_links() {
    let server = TestServer::start().await;
    let session = server.session("ada@example.com", "Acme").await;
    let res = server
        .rpc(
            &session.client,
            "set_email_tracking",
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let on: Value = server
        .rpc(&session.client, "get_email_tracking", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(on, json!(false));
    let mut ws = server.live_socket(&session.cookie).await;
    let lead = server
        .create_lead(
            &session.client,
            json!({"name": "Maya", "email": "maya@example.com"}),
        )
        .await;
    let sent: Value = server
        .send(
            &session.client,
            lead["id"].as_str().unwrap(),
            json!({"channel": "email", "body": "See https://example.com/a", "client_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap();
    ws.next_update(|m| m["id"] == id && m["status"] == "sent")
        .await;
    let html = session
        .client
        .get(server.url(&format!("/outbox/{id}/html")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("/t/o/") && !html.contains("/t/c/"), "{html}");
    assert!(html.contains("href=\"https://example.com/a\""));

    // Only the owner switches it.
    let teammate = server.teammate(&session.client, "bo@example.com").await;
    let res = server
        .rpc(
            &teammate.client,
            "set_email_tracking",
            &[("enabled", "true")],
        )
        .await;
    let err: AppError = res.json().await.unwrap();
    assert!(matches!(err, AppError::Forbidden { .. }), "{err:?}");
    let still: Value = server
        .rpc(&session.client, "get_email_tracking", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still, json!(false));
}

#[tokio::test]
async fn a_flood_on_one_token_is_answered_but_stores_a_bounded_number_of_hits() {
    let mut t = tracked_email_with("Hi https://example.com/a", |s| {
        s.mail.tracking_machine_window_secs = 0;
        s.limits.tracking_hits_per_token_per_minute = 5;
    })
    .await;
    // The first open is a person's: its receipt arrives.
    assert_eq!(
        t.hit(&format!("/t/o/{}", t.pixel), BROWSER).await.status(),
        200
    );
    assert!(t.update().await["opened_at"].is_string());
    for _ in 0..300 {
        let res = t.hit(&format!("/t/o/{}", t.pixel), BROWSER).await;
        // Every request gets the same pixel, over the limit too.
        assert_eq!(res.status(), 200);
        assert_eq!(res.bytes().await.unwrap().len(), 43);
    }
    let link = t.links[0].clone();
    for _ in 0..50 {
        let res = t.hit(&format!("/t/c/{link}"), BROWSER).await;
        assert_eq!(res.status(), 302, "a link always redirects");
    }
    // Per token a burst of 2 × 5 (pixel and link each), plus a refill's worth while the test ran.
    let store = leadwire::server::store::Store::open(&t.server.database_url)
        .await
        .unwrap();
    let id = leadwire::model::ids::MessageId::parse(&t.message_id).unwrap();
    // The recorder writes in the background: wait until the first hits are visible.
    let mut stored = 0;
    for _ in 0..100 {
        stored = store.tracking_hit_count(id).await.unwrap();
        if stored >= 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        (20..=24).contains(&stored),
        "{stored} hits stored for 351 requests"
    );
}

#[tokio::test]
async fn old_hits_are_counted_not_kept_and_receipts_keep_their_first_times() {
    let mut t = tracked_email_with("Hi", |s| {
        s.mail.tracking_machine_window_secs = 0;
        s.limits.tracking_hits_per_token_per_minute = 100_000;
        s.limits.tracking_hits_per_ip_per_minute = 100_000;
    })
    .await;
    t.hit(&format!("/t/o/{}", t.pixel), APPLE_PROXY).await;
    let first_proxy = t.update().await["proxy_opened_at"].clone();
    t.hit(&format!("/t/o/{}", t.pixel), BROWSER).await;
    let first_open = t.update().await["opened_at"].clone();
    assert!(first_open.is_string() && first_proxy.is_string());
    for _ in 0..400 {
        t.hit(&format!("/t/o/{}", t.pixel), BROWSER).await;
    }
    let store = leadwire::server::store::Store::open(&t.server.database_url)
        .await
        .unwrap();
    let id = leadwire::model::ids::MessageId::parse(&t.message_id).unwrap();
    // Every hit is accounted for once the recorder has written the last batch.
    let total = || async {
        store
            .tracking_counts(id)
            .await
            .unwrap()
            .iter()
            .map(|(_, _, n)| n)
            .sum::<i64>()
    };
    let mut seen = 0;
    for _ in 0..200 {
        seen = total().await;
        if seen == 402 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, 402, "every hit is counted");
    let counts = store.tracking_counts(id).await.unwrap();
    assert!(
        counts.contains(&("open".into(), "human".into(), 401)),
        "{counts:?}"
    );
    assert!(
        counts.contains(&("open".into(), "proxy_prefetch".into(), 1)),
        "{counts:?}"
    );
    let rows = store.tracking_hit_count(id).await.unwrap();
    assert!(rows <= 100 + 6 * 5, "{rows} rows kept for 402 hits");
    // The receipts still show the first times.
    let thread = t
        .server
        .get_json(&t.session.client, &format!("/api/messages/{}", t.lead_id))
        .await;
    let message = thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == t.message_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(message["opened_at"], first_open);
    assert_eq!(message["proxy_opened_at"], first_proxy);
}

/// A flood that arrives as one batch (the recorder takes everything waiting at once): every
/// hit is counted, the rows stay within the bound, and the rows kept are the ones the receipts
/// are recomputed from (the earliest of each kind and classification) and the newest.
#[tokio::test]
async fn a_flood_in_one_batch_is_counted_whole_and_keeps_bounded_rows() {
    use leadwire::model::tracking::{Classification, HitKind};
    use leadwire::server::store::tracking::StoredHit;
    let t = tracked_email_with("Hi https://example.com/a", |_| {}).await;
    let store = leadwire::server::store::Store::open(&t.server.database_url)
        .await
        .unwrap();
    let target = store.pixel_targets(&[t.pixel.as_str()]).await.unwrap()[&t.pixel].clone();
    // Whole milliseconds: PostgreSQL keeps microseconds.
    let start = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
    let hit = |kind, classification, secs: i64| StoredHit {
        message_id: target.message_id,
        workspace_id: target.workspace_id,
        kind,
        link_id: None,
        classification,
        method: "GET",
        ip_prefix: None,
        user_agent: "test".into(),
        at: start + chrono::Duration::milliseconds(secs),
    };
    // 400 human opens, then 10 proxy opens that happened before them, then 5 clicks.
    let mut batch: Vec<StoredHit> = (100..500)
        .map(|i| hit(HitKind::Open, Classification::Human, i))
        .collect();
    batch.extend((0..10).map(|i| hit(HitKind::Open, Classification::ProxyPrefetch, i)));
    batch.extend((0..5).map(|i| hit(HitKind::Click, Classification::Human, 600 + i)));
    store.record_hits(&batch, &[]).await.unwrap();

    let counts = store.tracking_counts(target.message_id).await.unwrap();
    assert_eq!(
        counts,
        vec![
            ("click".into(), "human".into(), 5),
            ("open".into(), "human".into(), 400),
            ("open".into(), "proxy_prefetch".into(), 10),
        ]
    );
    let rows = store.tracking_hit_count(target.message_id).await.unwrap();
    assert!(rows <= 100 + 6 * 5, "{rows} rows kept for 415 hits");
    // The receipts are the earliest of the batch: they come from the rows that were kept.
    // (This store is not the server's: read them back rather than wait for the socket.)
    let page = t
        .server
        .get_json(&t.session.client, &format!("/api/messages/{}", t.lead_id))
        .await;
    let update = page["messages"][0].clone();
    let at = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(update[field].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let ms = |n| start + chrono::Duration::milliseconds(n);
    assert_eq!(at("opened_at"), ms(100));
    assert_eq!(at("proxy_opened_at"), ms(0));
    assert_eq!(at("clicked_at"), ms(600));
    // A later batch still folds what the table holds: the bound holds and nothing is lost.
    store
        .record_hits(&[hit(HitKind::Open, Classification::Human, 700)], &[])
        .await
        .unwrap();
    let human_opens = store.tracking_counts(target.message_id).await.unwrap()[1].2;
    assert_eq!(human_opens, 401);
    assert!(store.tracking_hit_count(target.message_id).await.unwrap() <= 130);
}
