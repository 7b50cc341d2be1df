//! `leadwire migrate`: the demo workspace copied from its SQLite file into an empty PostgreSQL
//! database arrives whole — every table's rows, the same ids, times, flags and event seqs,
//! per-workspace totals equal on both sides — and a database that already holds data is
//! refused untouched.
use crate::support::ScratchDatabase;
use leadwire::model::channel::Channel;
use leadwire::model::draft::DraftFields;
use leadwire::model::ids::{LeadId, UserId, WorkspaceId};
use leadwire::server::store::copy_to_postgres::CopyError;
use leadwire::server::store::Store;

#[tokio::test]
async fn a_seeded_store_arrives_in_postgres_whole() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let store = Store::open(&url).await.unwrap();
    assert!(leadwire::server::seed::seed_demo_if_empty(&store)
        .await
        .unwrap());
    // Drafts on three leads: the event log has entries to carry over.
    let sqlite = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (workspace, user): (WorkspaceId, UserId) =
        sqlx::query_as("SELECT workspace_id, id FROM users ORDER BY email LIMIT 1")
            .fetch_one(&sqlite)
            .await
            .unwrap();
    let leads: Vec<LeadId> = sqlx::query_scalar("SELECT id FROM leads ORDER BY name LIMIT 3")
        .fetch_all(&sqlite)
        .await
        .unwrap();
    for lead in leads {
        let draft = DraftFields {
            channel: Channel::Sms,
            subject: None,
            content: "Following up tomorrow".into(),
            base_version: 0,
        };
        store
            .save_draft(workspace, user, lead, &draft)
            .await
            .unwrap();
    }
    let db = ScratchDatabase::create().await;

    let mut finished = Vec::new();
    let report = store
        .copy_to_postgres(&db.url, |p| {
            if p.done == p.total {
                finished.push(p.table.to_string());
            }
        })
        .await
        .unwrap();
    assert!(report.verified(), "{report:#?}");
    assert!(report.rows["messages"].0 > 20, "{report:#?}");
    assert_eq!(report.rows["events"].0, 3, "{report:#?}");
    assert_eq!(report.rows["message_drafts"].0, 3, "{report:#?}");
    assert_eq!(
        finished.len(),
        report.rows.len(),
        "progress reaches the end of every table"
    );

    // Values, not just counts: the same leads with the same ids, times and stages, the same
    // event log, the same flags.
    type LeadRow = (
        uuid::Uuid,
        String,
        String,
        chrono::DateTime<chrono::Utc>,
        Option<uuid::Uuid>,
    );
    const LEADS: &str =
        "SELECT id, name, stage, created_at, last_message_id FROM leads ORDER BY name, id";
    let here: Vec<LeadRow> = sqlx::query_as(LEADS).fetch_all(&sqlite).await.unwrap();
    let there: Vec<LeadRow> = sqlx::query_as(LEADS).fetch_all(&db.pool).await.unwrap();
    assert_eq!(here.len(), 20);
    assert_eq!(here, there);
    type EventRow = (i64, i64, String, String);
    const EVENTS: &str = "SELECT seq, ws_seq, kind, payload FROM events ORDER BY seq";
    let here: Vec<EventRow> = sqlx::query_as(EVENTS).fetch_all(&sqlite).await.unwrap();
    let there: Vec<EventRow> = sqlx::query_as(EVENTS).fetch_all(&db.pool).await.unwrap();
    assert_eq!(here, there);
    let tracking: Vec<bool> = sqlx::query_scalar("SELECT email_tracking FROM workspaces")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(tracking, [true]);

    // PostgreSQL numbers new rows after the copied ones.
    let (workspace,): (uuid::Uuid,) = sqlx::query_as("SELECT id FROM workspaces")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO events (workspace_id, kind, payload, created_at, ws_seq) \
         VALUES ($1, 'other', '{}', now(), NULL) RETURNING seq",
    )
    .bind(workspace)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let copied_max = here.last().unwrap().0;
    assert_eq!(next, copied_max + 1);

    // A second copy into the same database is refused, and changes nothing.
    let again = store.copy_to_postgres(&db.url, |_| {}).await;
    assert!(matches!(again, Err(CopyError::NotEmpty(_))), "{again:?}");
    let leads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leads")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(leads, 20);
}

/// A mistyped source or a missing option is said, and nothing is created or copied: no empty
/// SQLite file where the path pointed, no schema in the PostgreSQL database.
#[tokio::test]
async fn a_missing_source_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let db = ScratchDatabase::create().await;
    let run = |args: Vec<String>| {
        std::process::Command::new(env!("CARGO_BIN_EXE_leadwire"))
            .arg("migrate")
            .args(args)
            .env("RUST_LOG", "off")
            .output()
            .unwrap()
    };
    let out = run(vec![
        "--from".into(),
        format!("sqlite://{}", missing.display()),
        "--to".into(),
        db.url.clone(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no SQLite database at"), "{said}");
    assert!(!missing.exists(), "no file made where the path pointed");
    let out = run(vec![
        "--from".into(),
        format!("sqlite://{}", missing.display()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: leadwire migrate"));
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(tables, 0, "the PostgreSQL database was not touched");
}

/// The demo workspace copied to PostgreSQL and served from there answers the API as the SQLite
/// file it came from does: leads, every thread, the dashboard for each period, the inbox and
/// its full-text search.
#[tokio::test]
async fn a_moved_workspace_answers_the_api_as_it_did_on_sqlite() {
    use crate::support::TestServer;
    use leadwire::server::seed::{DEMO_EMAIL, DEMO_PASSWORD};
    use serde_json::{json, Value};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let store = Store::open(&url).await.unwrap();
    assert!(leadwire::server::seed::seed_demo_if_empty(&store)
        .await
        .unwrap());
    let db = ScratchDatabase::create().await;
    let report = store.copy_to_postgres(&db.url, |_| {}).await.unwrap();
    assert!(report.verified(), "{report:#?}");
    drop(store);

    let on = |database: String| {
        TestServer::start_with(move |s| {
            s.database_url = database;
            s.seed_demo = false;
            s.secret_key = Some([9; 32]);
        })
    };
    let before = on(url).await;
    let after = on(db.url.clone()).await;
    let signed_in = |server: &TestServer| {
        let client = server.client();
        let login = client
            .post(server.url("/api/auth/login"))
            .header("origin", server.url(""))
            .json(&json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD}));
        async move {
            assert_eq!(login.send().await.unwrap().status(), 200);
            client
        }
    };
    let (a, b) = (signed_in(&before).await, signed_in(&after).await);

    let leads = before.get_json(&a, "/api/leads").await;
    assert_eq!(leads, after.get_json(&b, "/api/leads").await);
    let leads = leads["leads"].as_array().unwrap();
    assert_eq!(leads.len(), 20);
    for lead in leads {
        let thread = format!("/api/messages/{}?limit=200", lead["id"].as_str().unwrap());
        let here = before.get_json(&a, &thread).await;
        assert_eq!(here, after.get_json(&b, &thread).await, "{thread}");
    }
    // The demo's times are relative to when it was seeded: ask both about one moment.
    for period in ["today", "7d", "30d"] {
        for path in ["/api/dashboard/kpis", "/api/dashboard/analytics"] {
            let path = format!("{path}?period={period}&tz=Europe/Berlin");
            assert_eq!(
                before.get_json(&a, &path).await,
                after.get_json(&b, &path).await,
                "{path}"
            );
        }
    }
    async fn inbox(server: &TestServer, client: &reqwest::Client, q: &str) -> Value {
        let form = [
            ("channel", ""),
            ("unread", "false"),
            ("owner", ""),
            ("stage", ""),
            ("q", q),
        ];
        let res = server.rpc(client, "inbox", &form).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
    // Search finds the same leads in the same order with the same words marked; the words
    // around them are each database's own snippet (FTS5's `snippet`, PostgreSQL's
    // `ts_headline`), which cut a long message differently.
    fn marked_only(mut page: Value) -> Value {
        for row in page["rows"].as_array_mut().unwrap() {
            let Some(parts) = row["matched"].as_array() else {
                continue;
            };
            let marked: Vec<Value> = parts
                .iter()
                .filter(|part| part[1] == true)
                .map(|part| part[0].clone())
                .collect();
            row["matched"] = Value::Array(marked);
        }
        page
    }
    for q in ["", "pric", "demo", "thanks call", "zzzz"] {
        let here = marked_only(inbox(&before, &a, q).await);
        assert_eq!(
            here,
            marked_only(inbox(&after, &b, q).await),
            "search {q:?}"
        );
        if q == "pric" {
            assert!(!here["rows"].as_array().unwrap().is_empty());
        }
    }
}
