//! Group commit: concurrent writes share one transaction and one fsync, and none is
//! acknowledged before that fsync (`src/server/store/writer.rs`).
use crate::support::{message, on_test_db, workspace_with_lead, ServerProcess, TestDb, ON_SQLITE};
use leadwire::model::channel::Channel;
use leadwire::model::ids::{LeadId, UserId, WorkspaceId};
use leadwire::model::message::{CollisionGuard, Direction, MessageFields};
use leadwire::server::store::messages::Recorded;
use leadwire::server::store::Store;
use serde_json::Value;
use std::collections::HashSet;

async fn store_with_lead(dir: &tempfile::TempDir) -> (Store, WorkspaceId, UserId, LeadId) {
    let url = format!("sqlite://{}/group.db", dir.path().display());
    let store = Store::open(&url).await.unwrap();
    let (workspace, owner, lead) = workspace_with_lead(&store).await;
    (store, workspace, owner, lead)
}

fn fields(body: String) -> MessageFields {
    MessageFields {
        channel: Channel::Sms,
        direction: Direction::Outbound,
        subject: None,
        body,
        client_id: uuid::Uuid::new_v4(),
        guard: CollisionGuard::Off,
        template: None,
        attachments: Vec::new(),
    }
}

/// A write that cannot begin its batch — another connection holds SQLite's write lock past the
/// busy timeout — fails alone: the write queued behind it is stored and acknowledged once the
/// lock is free, and the writer holds no lock after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_cannot_begin_its_batch_fails_alone() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let (store, workspace, owner, lead) = store_with_lead(&dir).await;
    let url = format!("sqlite://{}/group.db", dir.path().display());
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    // Two writes at once: one takes the writer and waits for the lock; the other queues.
    let send = |body: &'static str| {
        let store = store.clone();
        tokio::spawn(async move {
            let sent = store
                .record_message(workspace, lead, Some(owner), &fields(body.into()), None)
                .await;
            (body, sent.map(|_| ()))
        })
    };
    let (first, _, queued) = futures_util::future::select_all([send("one"), send("two")]).await;
    let (failed, result) = first.unwrap();
    assert!(result.is_err(), "{failed} was written past the lock");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let (stored_body, result) = queued.into_iter().next().unwrap().await.unwrap();
    if let Err(e) = result {
        panic!("the write queued behind the failed one failed too: {e}");
    }
    // Nothing is held: the other connection takes the lock again at once.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let (stored, _) = store
        .lead_messages(workspace, lead, None, 10)
        .await
        .unwrap();
    let bodies: Vec<&str> = stored.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, [stored_body]);
}

/// 200 sends at once: all acknowledged, in fewer commits than writes, each event published
/// once and in seq order with no gap; a send that fails (an unknown lead) spoils nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_commits_and_publish_in_seq_order() {
    let dir = tempfile::tempdir().unwrap();
    let (store, workspace, owner, lead) = store_with_lead(&dir).await;
    let mut live = store.subscribe_events();
    let (writes_before, commits_before) = store.group_commit_counts();
    let sends = (0..200).map(|n| {
        let store = store.clone();
        // Every tenth send names a lead that does not exist: its insert fails inside the batch.
        let target = if n % 10 == 9 {
            LeadId::new_random()
        } else {
            lead
        };
        tokio::spawn(async move {
            store
                .record_message(
                    workspace,
                    target,
                    Some(owner),
                    &fields(format!("m{n}")),
                    None,
                )
                .await
        })
    });
    let results = futures_util::future::join_all(sends).await;
    let mut stored = 0;
    for (n, result) in results.into_iter().enumerate() {
        match result.unwrap() {
            Ok(Recorded::Created(m)) => {
                assert_ne!(n % 10, 9, "a send to a missing lead was stored");
                assert_eq!(m.body, format!("m{n}"));
                stored += 1;
            }
            Ok(Recorded::Existing(_)) => panic!("send {n} was a duplicate"),
            Err(e) => assert_eq!(n % 10, 9, "send {n} failed: {e}"),
        }
    }
    assert_eq!(stored, 180);
    let (writes, commits) = store.group_commit_counts();
    let (writes, commits) = (writes - writes_before, commits - commits_before);
    assert_eq!(writes, 180, "each stored send released one write");
    assert!(
        commits < writes,
        "{writes} writes took {commits} commits: no batch formed"
    );
    // Each stored send logged two events (the message and its activity): 360, in order.
    let mut seqs = Vec::new();
    while seqs.len() < 360 {
        let event = live.recv().await.expect("published event");
        seqs.push(event.seq);
    }
    let first = seqs[0];
    assert_eq!(
        seqs,
        (first..first + 360).collect::<Vec<_>>(),
        "events published out of seq order or with gaps"
    );
    let (page, _) = store
        .lead_messages(workspace, lead, None, 500)
        .await
        .unwrap();
    assert_eq!(page.len(), 180, "what was acknowledged is what is stored");
}

/// A send runs to its end once called, whatever its caller does after (a client that hung up
/// mid-request): 200 sends given up by their callers after 0–2 ms — before the writer, while
/// holding it, waiting for the fsync — are each stored once and whole, with both their events
/// logged and published in seq order without a gap, and the writes after them are unharmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_whose_callers_go_away_are_stored_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (store, workspace, owner, lead) = store_with_lead(&dir).await;
    let mut live = store.subscribe_events();
    let sends = (0..200u64).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let message = fields(format!("gone{n}"));
            let send = store.record_message(workspace, lead, Some(owner), &message, None);
            // Whether it finished in time or not, the caller leaves.
            let _ = tokio::time::timeout(std::time::Duration::from_micros(n * 10), send).await;
        })
    });
    futures_util::future::join_all(sends).await;
    let last = store
        .record_message(workspace, lead, Some(owner), &fields("last".into()), None)
        .await
        .expect("a write after the abandoned ones");
    assert!(matches!(last, Recorded::Created(_)));
    // 201 sends, two events each, published in seq order with no gap.
    let mut seqs = Vec::new();
    while seqs.len() < 402 {
        let event = tokio::time::timeout(std::time::Duration::from_secs(20), live.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of 402 events were published", seqs.len()))
            .expect("published event");
        seqs.push(event.seq);
    }
    let first = seqs[0];
    assert_eq!(seqs, (first..first + 402).collect::<Vec<_>>());
    let logged = store
        .events_after(workspace, owner, first - 1, 1000)
        .await
        .unwrap();
    let logged: Vec<i64> = logged.iter().map(|e| e.seq).collect();
    assert_eq!(logged, seqs, "the log holds exactly what was published");
    let (page, _) = store
        .lead_messages(workspace, lead, None, 500)
        .await
        .unwrap();
    let bodies: HashSet<String> = page.iter().map(|m| m.body.clone()).collect();
    assert_eq!(page.len(), 201, "a send was stored twice or lost");
    assert!((0..200).all(|n| bodies.contains(&format!("gone{n}"))));
}

/// Starts the debug server binary on `dir`, signs up and creates a lead; returns the client
/// and the lead's id.
async fn server_with_lead(server: &ServerProcess) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(server.url("/api/auth/signup"))
        .json(&serde_json::json!({"name": "Crash", "email": "crash@example.com", "password": "correct horse", "workspace": "C"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = client
        .post(server.url("/api/leads"))
        .json(&serde_json::json!({"name": "Lead", "email": "lead@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let lead: Value = res.json().await.unwrap();
    (client, lead["id"].as_str().unwrap().to_string())
}

/// Fires `n` sends at once; returns the client ids the server acknowledged (201) and calls
/// `crash` (once) after `crash_after` acknowledgements, if it gets that many.
async fn sends_until_crash(
    server: &ServerProcess,
    client: &reqwest::Client,
    lead: &str,
    n: usize,
    crash_after: usize,
    crash: impl FnOnce() + Send + 'static,
) -> Vec<String> {
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<Option<String>>();
    for i in 0..n {
        let client = client.clone();
        let url = server.url(&format!("/api/messages/{lead}"));
        let acked_tx = acked_tx.clone();
        tokio::spawn(async move {
            let body = message("chat", &format!("durable {i}"));
            let id = body["client_id"].as_str().unwrap().to_string();
            let res = client.post(url).json(&body).send().await;
            let ok = matches!(&res, Ok(r) if r.status() == 201);
            let _ = acked_tx.send(ok.then_some(id));
        });
    }
    drop(acked_tx);
    let mut crash = Some(crash);
    let mut acked = Vec::new();
    while let Some(outcome) = acked_rx.recv().await {
        if let Some(id) = outcome {
            acked.push(id);
        }
        if acked.len() >= crash_after {
            if let Some(crash) = crash.take() {
                crash();
            }
        }
    }
    acked
}

/// What survived on disk: the client ids of the lead's messages, and whether the event log's
/// seqs are gap-free.
async fn stored_after_restart(database_url: &str) -> (HashSet<String>, bool) {
    let store = Store::open(database_url).await.unwrap();
    let db = TestDb::connect(database_url).await;
    let ids: Vec<(uuid::Uuid,)> = on_test_db!(&db, |p, q| sqlx::query_as(q(
        "SELECT client_id FROM messages WHERE client_id IS NOT NULL"
    ))
    .fetch_all(p)
    .await
    .unwrap());
    let seqs: Vec<(i64,)> = on_test_db!(&db, |p, q| sqlx::query_as(q(
        "SELECT ws_seq FROM events ORDER BY ws_seq"
    ))
    .fetch_all(p)
    .await
    .unwrap());
    let gap_free = seqs.windows(2).all(|w| w[1].0 == w[0].0 + 1);
    drop(store);
    (
        ids.into_iter().map(|(id,)| id.to_string()).collect(),
        gap_free,
    )
}

/// kill -9 while 1,000 sends are in flight: every send the server acknowledged is on disk
/// after a restart, and the event log has no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_1000_concurrent_sends_loses_no_acknowledged_send() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&dir, &[]).await;
    let (client, lead) = server_with_lead(&server).await;
    let pid = server.pid();
    let acked = sends_until_crash(&server, &client, &lead, 1000, 300, move || {
        // SIGKILL: no destructor, no flush; only what was fsynced survives.
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .expect("kill -9");
    })
    .await;
    assert!(
        acked.len() >= 300,
        "only {} sends acknowledged",
        acked.len()
    );
    server.wait_dead().await;
    let (stored, gap_free) = stored_after_restart(&server.database_url).await;
    let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(gap_free, "the event log has a gap after the crash");
}

/// A server whose debug-build fault is armed by the file `variable` names: 100 sends
/// acknowledged, then the fault armed and 300 more sent at once. Asserts that none of those was
/// acknowledged, that the server died by SIGABRT and that the first 100 are on disk after a
/// restart; returns what is stored then and whether the event log is gap-free.
async fn fault_meets_300_sends(variable: &str) -> (HashSet<String>, bool) {
    let dir = tempfile::tempdir().unwrap();
    let trigger = dir.path().join("fault-now");
    // The fault points sit in SQLite's group commit.
    let server =
        ServerProcess::start(&dir, &[(variable, trigger.to_str().unwrap()), ON_SQLITE]).await;
    let (client, lead) = server_with_lead(&server).await;
    let before = sends_until_crash(&server, &client, &lead, 100, usize::MAX, || {}).await;
    assert_eq!(before.len(), 100, "sends before the fault was armed");
    std::fs::write(&trigger, b"").expect("arm the fault");
    let after = sends_until_crash(&server, &client, &lead, 300, usize::MAX, || {}).await;
    assert_eq!(after, Vec::<String>::new(), "acknowledged past the fault");
    let status = server.wait_dead().await;
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(6),
        "the server died at the fault (SIGABRT), not elsewhere"
    );
    let (stored, gap_free) = stored_after_restart(&server.database_url).await;
    let lost: Vec<_> = before.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    (stored, gap_free)
}

/// A crash after a batch was built but before its COMMIT: 100 sends acknowledged, then the
/// crash point is armed and 300 more sent at once. None of those is acknowledged or stored
/// (their batch never reached disk); all of the first 100 are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_batch_and_fsync_acknowledges_nothing_it_loses() {
    let (stored, gap_free) = fault_meets_300_sends("LEADWIRE_TEST_CRASH_BEFORE_COMMIT_IF").await;
    assert_eq!(
        stored.len(),
        100,
        "the batch that met the crash left nothing"
    );
    assert!(gap_free);
}

/// The log's fsync fails after 100 sends were acknowledged: the 300 sends of the batches it
/// meets are none of them acknowledged (a commit is acknowledged only once the fsync after it
/// succeeded), and the server stops rather than go on (SIGABRT); after a restart the first 100
/// are there and the event log has no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fsync_of_the_log_acknowledges_nothing_and_stops_the_server() {
    let (_, gap_free) = fault_meets_300_sends("LEADWIRE_TEST_FAIL_LOG_SYNC_IF").await;
    assert!(gap_free, "the event log has a gap after the stop");
}
