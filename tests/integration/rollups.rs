//! The dashboard reads rollups that the store's writes keep beside the rows. These tests drive
//! a random workload through the store (the paths the send, delivery, tracking and lead code
//! take), then check every KPI and chart figure against the same figure computed from the rows
//! themselves, for every period, channel filter and a spread of time zones.
use crate::support::{on_test_db, store_database, test_backend_postgres, ScratchDatabase, TestDb};
use chrono::{DateTime, Duration, Utc};
use leadwire::model::analytics::{response_bucket, Analytics};
use leadwire::model::channel::Channel;
use leadwire::model::ids::{LeadId, MessageId, UserId, WorkspaceId};
use leadwire::model::kpi::{DashboardQuery, Kpis, Period, TzOffset};
use leadwire::model::lead::Stage;
use leadwire::model::lead_input::LeadFields;
use leadwire::model::message::{CollisionGuard, Direction, MessageFields};
use leadwire::model::response_time::{nearest_rank, precision, precision_sql};
use leadwire::model::tracking::{Classification, HitKind};
use leadwire::server::store::emails::EmailJob;
use leadwire::server::store::messages::NewMessage;
use leadwire::server::store::tracking::{Burst, StoredHit};
use leadwire::server::store::workspaces::NewUser;
use leadwire::server::store::Store;
use sqlx::SqlitePool;

/// A small deterministic generator: the same workload on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

struct World {
    store: Store,
    /// The store's database, on the backend of this run.
    pool: TestDb,
    _scratch: Option<ScratchDatabase>,
    workspaces: [WorkspaceId; 2],
    owners: [UserId; 2],
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let (url, scratch) = store_database(dir.path(), "rollups.db").await;
    let store = Store::open(&url).await.unwrap();
    let pool = TestDb::connect(&url).await;
    let mut workspaces = Vec::new();
    let mut owners = Vec::new();
    for name in ["A", "B"] {
        let (ws, owner) = store
            .create_workspace_with_owner(
                name,
                NewUser {
                    name: "Owner",
                    email: &format!("{name}@example.com"),
                    password_hash: "x",
                },
            )
            .await
            .unwrap();
        workspaces.push(ws);
        owners.push(owner);
    }
    World {
        store,
        pool,
        _scratch: scratch,
        workspaces: [workspaces[0], workspaces[1]],
        owners: [owners[0], owners[1]],
        _dir: dir,
    }
}

/// The delivery worker's view of message `id` (what it records a delivery or failure with).
fn job(ws: WorkspaceId, id: MessageId) -> EmailJob {
    EmailJob {
        message_id: id,
        workspace_id: ws,
        to_address: "lead@example.com".into(),
        to_name: "Lead".into(),
        subject: "Hello".into(),
        text_body: "hello".into(),
        html_body: "<p>hello</p>".into(),
        message_id_header: format!("<{}@example.com>", id.0),
        in_reply_to: None,
        references_header: None,
        attempts: 1,
        reply_to: None,
        in_doubt_since: None,
    }
}

/// A tracking hit on message `id`, as the recorder stores it.
fn hit(
    ws: WorkspaceId,
    id: MessageId,
    kind: HitKind,
    classification: Classification,
    at: DateTime<Utc>,
) -> StoredHit {
    StoredHit {
        message_id: id,
        workspace_id: ws,
        kind,
        link_id: None,
        classification,
        method: "GET",
        ip_prefix: None,
        user_agent: "Mozilla/5.0 (Macintosh)".into(),
        at,
    }
}

/// Leads and messages over the last 40 days in both workspaces, then the changes the app
/// makes later: deliveries and failures, receipts (some moved, some withdrawn), stage
/// changes, the full turn recompute, and sends through the incremental path.
async fn workload(w: &World, now: DateTime<Utc>) {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let stages = [
        Stage::New,
        Stage::Contacted,
        Stage::Qualified,
        Stage::Won,
        Stage::Lost,
    ];
    let directions = [Direction::Outbound, Direction::Inbound];
    let mut leads: Vec<(WorkspaceId, LeadId)> = Vec::new();
    let mut lead_fields: Vec<LeadFields> = Vec::new();
    let mut messages: Vec<(WorkspaceId, MessageId, DateTime<Utc>, &str)> = Vec::new();
    for i in 0..40 {
        let ws = w.workspaces[usize::from(i % 5 == 4)];
        let fields = LeadFields {
            name: format!("Lead {i}"),
            email: Some(format!("lead{i}@example.com")),
            phone: None,
            whatsapp: None,
            instagram: None,
            company: None,
            stage: rng.pick(&stages),
            deal_value_cents: rng.chance(80).then(|| rng.below(1_000_000) as i64),
            owner_id: None,
        };
        let created = now - Duration::days(45);
        let lead = w.store.insert_lead_at(ws, &fields, created).await.unwrap();
        leads.push((ws, lead.id));
        lead_fields.push(fields);
    }
    for _ in 0..600 {
        let (ws, lead) = rng.pick(&leads);
        let direction = rng.pick(&directions);
        let when = now - Duration::seconds(rng.below(40 * 86_400) as i64 + 60);
        let status = match direction {
            Direction::Inbound => "received",
            Direction::Outbound => rng.pick(&["sent", "sent", "queued", "failed"]),
        };
        let id = w
            .store
            .insert_message(
                ws,
                &NewMessage {
                    lead_id: lead,
                    direction,
                    channel: rng.pick(&Channel::ALL),
                    subject: None,
                    body: "hello",
                    status,
                    author_id: None::<UserId>,
                    created_at: when,
                },
            )
            .await
            .unwrap();
        messages.push((ws, id, when, status));
    }
    w.store.recompute_turns(w.workspaces[0]).await.unwrap();
    w.store.recompute_turns(w.workspaces[1]).await.unwrap();
    for &(ws, id, when, status) in &messages {
        let after =
            |rng: &mut Rng| (when + Duration::seconds(rng.below(3 * 86_400) as i64)).min(now);
        if status == "queued" && rng.chance(20) {
            w.store
                .email_sent(&job(ws, id), "outbox", None)
                .await
                .unwrap();
        }
        for (kind, classification) in [
            (HitKind::Open, Classification::Human),
            (HitKind::Open, Classification::ProxyPrefetch),
            (HitKind::Click, Classification::Human),
        ] {
            if rng.chance(30) {
                let first = hit(ws, id, kind, classification, after(&mut rng));
                w.store.record_hits(&[first], &[]).await.unwrap();
                // Some receipts see later hits (the first stays), some clicks turn out to be
                // a scanner's burst (withdrawn, and the open they implied with them).
                if rng.chance(20) {
                    let later = hit(ws, id, kind, classification, after(&mut rng));
                    w.store.record_hits(&[later], &[]).await.unwrap();
                }
                if rng.chance(10) {
                    let burst = Burst {
                        message_id: id,
                        workspace_id: ws,
                        since: when,
                    };
                    w.store.record_hits(&[], &[burst]).await.unwrap();
                }
            }
        }
        if rng.chance(5) {
            w.store
                .email_attempt_failed(&job(ws, id), "550 no such user", None)
                .await
                .unwrap();
        }
    }
    for (&(ws, lead), fields) in leads.iter().zip(&lead_fields) {
        if rng.chance(40) {
            let when = now - Duration::seconds(rng.below(40 * 86_400) as i64);
            let moved = LeadFields {
                stage: rng.pick(&stages),
                deal_value_cents: Some(rng.below(500_000) as i64),
                ..fields.clone()
            };
            let owner = w.owners[usize::from(ws == w.workspaces[1])];
            w.store
                .update_lead_at(ws, owner, lead, &moved, None, when)
                .await
                .unwrap()
                .saved()
                .unwrap();
        }
    }
    // Sends and replies through the app's incremental path (stamped with the real clock).
    for _ in 0..30 {
        let (ws, lead) = rng.pick(&leads[..6]);
        let fields = MessageFields {
            direction: rng.pick(&directions),
            channel: rng.pick(&Channel::ALL),
            subject: None,
            body: "live".into(),
            client_id: uuid::Uuid::new_v4(),
            guard: CollisionGuard::Off,
            template: None,
            attachments: Vec::new(),
        };
        w.store
            .record_message(ws, lead, None, &fields, None)
            .await
            .unwrap();
    }
}

/// The KPI cards, computed from the rows (the definitions, one scan per figure).
async fn kpis_from_rows(
    pool: &TestDb,
    ws: WorkspaceId,
    q: &DashboardQuery,
    now: DateTime<Utc>,
) -> Kpis {
    let start = q.period.start(now, q.tz);
    let channel = q.channel.map(Channel::as_str);
    let count = |sql: &'static str, since: DateTime<Utc>| async move {
        let (n,): (i64,) = on_test_db!(pool, |p, q| sqlx::query_as(q(sql))
            .bind(ws)
            .bind(since)
            .bind(channel)
            .fetch_one(p)
            .await
            .unwrap());
        n
    };
    let sent = "SELECT COUNT(*) FROM messages WHERE workspace_id = ?1 AND direction = 'outbound' \
                AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3)";
    let email = |column: &'static str| {
        format!(
            "SELECT COUNT(*) FROM messages WHERE workspace_id = ?1 AND direction = 'outbound' \
             AND channel = 'email' AND status = 'sent' AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3) AND {column}"
        )
    };
    let email_count = |column: &'static str| {
        let sql = email(column);
        async move {
            let (n,): (i64,) = on_test_db!(pool, |p, q| sqlx::query_as(q(&sql))
                .bind(ws)
                .bind(start)
                .bind(channel)
                .fetch_one(p)
                .await
                .unwrap());
            n
        }
    };
    let mut responses: Vec<i64> = on_test_db!(pool, |p, q| {
        sqlx::query_as::<_, (i64,)>(q(
        "SELECT response_secs FROM messages WHERE workspace_id = ?1 AND response_secs IS NOT NULL \
         AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3)"
    ))
    .bind(ws)
    .bind(start)
    .bind(channel)
    .fetch_all(p)
    .await
    .unwrap()
    })
    .into_iter()
    .map(|(s,)| precision(s))
    .collect();
    responses.sort();
    let (won, in_play, pipeline, won_value): (i64, i64, i64, i64) = on_test_db!(pool, |p, q| {
        sqlx::query_as(q(
        "SELECT CAST(COUNT(CASE WHEN won_at >= ?2 THEN 1 END) AS BIGINT), \
         CAST(COUNT(CASE WHEN closed_at IS NULL OR closed_at >= ?2 THEN 1 END) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN stage NOT IN ('won', 'lost') THEN deal_value_cents END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN won_at >= ?2 THEN deal_value_cents END), 0) AS BIGINT) FROM leads WHERE workspace_id = ?1"
    ))
    .bind(ws)
    .bind(start)
    .fetch_one(p)
    .await
    .unwrap()
    });
    let active = match channel {
        None => count("SELECT COUNT(*) FROM leads WHERE workspace_id = ?1 AND last_message_at >= ?2 AND ?3 IS NULL", start).await,
        Some(_) => count("SELECT COUNT(DISTINCT lead_id) FROM messages WHERE workspace_id = ?1 AND created_at >= ?2 AND channel = ?3", start).await,
    };
    let (sent_today, sent_7d, sent_30d) = (
        count(sent, Period::Today.start(now, q.tz)).await,
        count(sent, Period::Days7.start(now, q.tz)).await,
        count(sent, Period::Days30.start(now, q.tz)).await,
    );
    Kpis {
        sent_today,
        sent_7d,
        sent_30d,
        sent: count(sent, start).await,
        replies_received: count("SELECT COUNT(*) FROM messages WHERE workspace_id = ?1 AND direction = 'inbound' AND auto_reply = FALSE AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3)", start).await,
        outreach_turns: count("SELECT COUNT(*) FROM messages WHERE workspace_id = ?1 AND opens_turn = TRUE AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3)", start).await,
        replied_turns: count("SELECT COUNT(*) FROM messages WHERE workspace_id = ?1 AND opens_turn = TRUE AND replied_at IS NOT NULL AND created_at >= ?2 AND (?3 IS NULL OR channel = ?3)", start).await,
        response_median_secs: nearest_rank(&responses, 0.5),
        response_p90_secs: nearest_rank(&responses, 0.9),
        responses: responses.len() as i64,
        emails_delivered: email_count("TRUE").await,
        emails_opened_human: email_count("opened_at IS NOT NULL").await,
        emails_opened_any: email_count("(opened_at IS NOT NULL OR proxy_opened_at IS NOT NULL)").await,
        emails_clicked: email_count("clicked_at IS NOT NULL").await,
        leads_won: won,
        leads_in_play: in_play,
        pipeline_value_cents: pipeline,
        won_value_cents: won_value,
        active_conversations: active,
    }
}

/// The charts, bucketed in Rust from the rows' own times.
async fn analytics_from_rows(
    pool: &TestDb,
    ws: WorkspaceId,
    q: &DashboardQuery,
    now: DateTime<Utc>,
) -> Analytics {
    let mut a = Analytics::empty(q, now);
    let start = q.period.start(now, q.tz);
    let bucket = |t: DateTime<Utc>| ((t - start).num_seconds().div_euclid(a.bucket_secs)) as usize;
    type Row = (
        DateTime<Utc>,
        String,
        String,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<i64>,
    );
    let rows: Vec<Row> = on_test_db!(pool, |p, q| {
        sqlx::query_as(q(
        "SELECT created_at, channel, direction, opened_at, proxy_opened_at, clicked_at, response_secs \
         FROM messages WHERE workspace_id = ? AND auto_reply = FALSE"
    ))
    .bind(ws)
    .fetch_all(p)
    .await
    .unwrap()
    });
    let mut by_channel = vec![[0i64; 5]; a.buckets.len()];
    let mut receipts = vec![[0i64; 3]; a.buckets.len()];
    let mut responses = [0i64; 6];
    for (created, channel, direction, opened, proxy, clicked, response) in rows {
        let channel = Channel::parse(&channel).unwrap();
        if q.channel.is_some_and(|c| c != channel) {
            continue;
        }
        if created >= start {
            by_channel[bucket(created)]
                [Channel::ALL.iter().position(|c| *c == channel).unwrap()] += 1;
            if let Some(s) = response {
                responses[response_bucket(s)] += 1;
            }
        }
        if channel == Channel::Email && direction == "outbound" {
            for (i, t) in [opened, proxy, clicked].into_iter().enumerate() {
                if let Some(slot) = t
                    .filter(|t| *t >= start)
                    .and_then(|t| receipts.get_mut(bucket(t)))
                {
                    slot[i] += 1;
                }
            }
        }
    }
    for (i, b) in a.buckets.iter_mut().enumerate() {
        b.by_channel = by_channel[i];
        [b.opens_human, b.opens_proxy, b.clicks] = receipts[i];
    }
    a.responses = responses;
    a
}

fn queries() -> Vec<DashboardQuery> {
    let mut all = Vec::new();
    // UTC, whole hours either way, and the half and three-quarter hour zones (India, Nepal,
    // Marquesas), at both ends of the range.
    for tz in [0, 60, -600, 330, 345, -570, 840, -720] {
        for period in Period::ALL {
            for channel in std::iter::once(None).chain(Channel::ALL.into_iter().map(Some)) {
                all.push(DashboardQuery {
                    period,
                    channel,
                    tz: TzOffset(tz).into(),
                });
            }
        }
    }
    all
}

/// Checks every KPI and chart of both workspaces, for every query, against the same figure
/// computed from the rows; returns how many views were compared.
async fn every_figure_matches_the_rows(w: &World, now: DateTime<Utc>) -> usize {
    let mut checked = 0;
    for ws in w.workspaces {
        for q in queries() {
            let rolled = w.store.kpis(ws, &q, now).await.unwrap();
            assert_eq!(rolled, kpis_from_rows(&w.pool, ws, &q, now).await, "{q:?}");
            let charts = w.store.analytics(ws, &q, now).await.unwrap();
            assert_eq!(
                charts,
                analytics_from_rows(&w.pool, ws, &q, now).await,
                "{q:?}"
            );
            checked += 1;
        }
    }
    checked
}

#[tokio::test]
async fn rollups_give_the_figures_the_rows_give() {
    let w = world().await;
    let now = Utc::now();
    workload(&w, now).await;
    // The incremental sends are stamped with the real clock, just after `now`.
    let now = Utc::now() + Duration::seconds(1);
    let checked = every_figure_matches_the_rows(&w, now).await;
    assert_eq!(checked, 2 * 8 * 3 * 6);
    // Not a vacuous comparison: the workload reaches every kind of figure.
    let month = DashboardQuery {
        period: Period::Days30,
        channel: None,
        tz: TzOffset(0).into(),
    };
    let k = w.store.kpis(w.workspaces[0], &month, now).await.unwrap();
    assert!(
        k.sent_30d > 50 && k.replies_received > 50 && k.replied_turns > 10,
        "{k:?}"
    );
    assert!(
        k.responses > 10 && k.response_median_secs.is_some(),
        "{k:?}"
    );
    assert!(
        k.emails_delivered > 5 && k.emails_opened_human > 0 && k.emails_clicked > 0,
        "{k:?}"
    );
    assert!(
        k.leads_won > 0 && k.leads_in_play > 0 && k.pipeline_value_cents > 0,
        "{k:?}"
    );
    let charts = w
        .store
        .analytics(w.workspaces[0], &month, now)
        .await
        .unwrap();
    let s = charts.summary();
    assert!(
        s.opens_human > 0 && s.clicks > 0 && s.responses > 10,
        "{s:?}"
    );
}

/// Every rollup row of the database, without rows whose counts are all zero (a write that
/// takes a count back leaves its row at zero; a recount never writes one).
async fn rollup_rows(pool: &TestDb) -> Vec<String> {
    let hex = |column: &str| match pool {
        TestDb::Sqlite(_) => format!("hex({column})"),
        TestDb::Postgres(_) => format!("CAST({column} AS TEXT)"),
    };
    let mut rows = Vec::new();
    for (table, key, counts) in [
        (
            "message_rollups",
            "channel, slot",
            "sent, received, turns, replied_turns, \
          emails_delivered, emails_opened_human, emails_opened_any, emails_clicked, opens_human, \
          opens_proxy, clicks",
        ),
        ("response_rollups", "channel, day, secs", "responses"),
        ("touch_rollups", "channel, slot", "leads"),
        ("lead_totals", "stage", "unclosed, value_cents"),
        ("lead_channels", "LEAD, channel", "last_message_at"),
    ] {
        // (A time is never a zero count.)
        let all_zero = if counts == "last_message_at" {
            "FALSE".to_string()
        } else {
            counts
                .split(", ")
                .map(|c| format!("{c} IS NOT DISTINCT FROM 0"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let key = key.replace("LEAD", &hex("lead_id"));
        let ws = hex("workspace_id");
        let sql = format!(
            "SELECT '{table}: ' || concat_ws(' ', {ws}, {key}, {counts}) FROM {table} \
             WHERE NOT ({all_zero}) ORDER BY {ws}, {key}"
        );
        let table_rows: Vec<(String,)> = on_test_db!(pool, |p, q| sqlx::query_as(q(&sql))
            .fetch_all(p)
            .await
            .unwrap());
        rows.extend(table_rows.into_iter().map(|(r,)| r));
    }
    rows
}

#[tokio::test]
async fn a_recount_from_the_rows_equals_what_the_writes_kept() {
    let w = world().await;
    workload(&w, Utc::now()).await;
    let kept = rollup_rows(&w.pool).await;
    assert!(kept.len() > 500, "{}", kept.len());
    for ws in w.workspaces {
        w.store.rebuild_rollups(ws).await.unwrap();
    }
    assert_eq!(kept, rollup_rows(&w.pool).await);
}

#[tokio::test]
async fn the_database_rounds_response_times_as_the_dashboard_does() {
    let w = world().await;
    let values: Vec<i64> = (0..200_000)
        .step_by(7)
        .chain((200_000..8_000_000).step_by(4_999))
        .collect();
    for chunk in values.chunks(500) {
        let rounded: Vec<(i64,)> = match &w.pool {
            TestDb::Sqlite(p) => sqlx::query_as(&format!(
                "SELECT {} FROM (SELECT value AS x FROM json_each(?))",
                precision_sql("x")
            ))
            .bind(serde_json::to_string(chunk).unwrap())
            .fetch_all(p)
            .await
            .unwrap(),
            TestDb::Postgres(p) => sqlx::query_as(&format!(
                "SELECT {} FROM unnest($1::BIGINT[]) WITH ORDINALITY AS t(x, n) ORDER BY n",
                precision_sql("x")
            ))
            .bind(chunk)
            .fetch_all(p)
            .await
            .unwrap(),
        };
        for (x, (sql,)) in chunk.iter().zip(rounded) {
            assert_eq!(sql, precision(*x), "{x}");
        }
    }
}

#[tokio::test]
async fn what_the_rollups_count_by_cannot_be_rewritten() {
    let w = world().await;
    let ws = w.workspaces[0];
    let fields = crate::support::lead_fields("Kim", "kim@example.com");
    let lead = w
        .store
        .insert_lead_at(ws, &fields, Utc::now())
        .await
        .unwrap();
    let id = w
        .store
        .insert_message(
            ws,
            &NewMessage {
                lead_id: lead.id,
                direction: Direction::Outbound,
                channel: Channel::Sms,
                subject: None,
                body: "hi",
                status: "sent",
                author_id: None::<UserId>,
                created_at: Utc::now(),
            },
        )
        .await
        .unwrap();
    for sql in [
        "UPDATE messages SET created_at = '2020-01-01T00:00:00+00:00' WHERE id = ?",
        "UPDATE messages SET channel = 'email' WHERE id = ?",
        "DELETE FROM messages WHERE id = ?",
    ] {
        let err = on_test_db!(&w.pool, |p, q| sqlx::query(q(sql))
            .bind(id.0)
            .execute(p)
            .await
            .unwrap_err());
        assert!(
            err.to_string().contains("dashboard rollups"),
            "{sql}: {err}"
        );
    }
    let err = on_test_db!(&w.pool, |p, q| sqlx::query(q(
        "DELETE FROM leads WHERE id = ?"
    ))
    .bind(lead.id.0)
    .execute(p)
    .await
    .unwrap_err());
    assert!(err.to_string().contains("dashboard rollups"), "{err}");
}

/// A database written before the rollups existed: the migration fills them from its rows.
#[tokio::test]
async fn the_migration_fills_the_rollups_from_existing_rows() {
    use sqlx::sqlite::SqliteConnectOptions;
    use std::str::FromStr;
    let dir = tempfile::tempdir().unwrap();
    // Every migration before the rollups, from their own files.
    let earlier = dir.path().join("earlier");
    std::fs::create_dir(&earlier).unwrap();
    for entry in std::fs::read_dir("migrations").unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "20261202000007" {
            std::fs::copy(&path, earlier.join(&name)).unwrap();
        }
    }
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let ws = WorkspaceId(uuid::Uuid::new_v4());
    let now = Utc::now();
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES (?, 'Old', ?)")
        .bind(ws)
        .bind(now)
        .execute(&pool)
        .await
        .unwrap();
    let mut rng = Rng(0xbac_f111);
    let mut leads = Vec::new();
    for i in 0..12 {
        let id = uuid::Uuid::new_v4();
        let stage = rng.pick(&["new", "qualified", "won", "lost"]);
        let closed = matches!(stage, "won" | "lost")
            .then(|| now - Duration::seconds(rng.below(40 * 86_400) as i64));
        sqlx::query(
            "INSERT INTO leads (id, workspace_id, name, stage, deal_value_cents, created_at, updated_at, \
             closed_at, won_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, CASE WHEN ?4 = 'won' THEN ?7 END)",
        )
        .bind(id)
        .bind(ws)
        .bind(format!("Old lead {i}"))
        .bind(stage)
        .bind(rng.below(100_000) as i64)
        .bind(now - Duration::days(60))
        .bind(closed)
        .execute(&pool)
        .await
        .unwrap();
        leads.push(id);
    }
    for _ in 0..300 {
        let when = now - Duration::seconds(rng.below(40 * 86_400) as i64 + 60);
        let outbound = rng.chance(50);
        let channel = rng.pick(&Channel::ALL).as_str();
        let mut receipt = |percent| {
            (outbound && rng.chance(percent))
                .then(|| (when + Duration::seconds(rng.below(86_400) as i64)).min(now))
        };
        let (opened, proxy, clicked) = (receipt(40), receipt(30), receipt(20));
        let turn = rng.chance(50);
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, lead_id, direction, channel, body, status, created_at, \
             opened_at, proxy_opened_at, clicked_at, opens_turn, replied_at, response_secs) \
             VALUES (?, ?, ?, ?, ?, 'old', ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(uuid::Uuid::new_v4())
        .bind(ws)
        .bind(rng.pick(&leads))
        .bind(if outbound { "outbound" } else { "inbound" })
        .bind(channel)
        .bind(if outbound { rng.pick(&["sent", "failed"]) } else { "received" })
        .bind(when)
        .bind(opened)
        .bind(proxy)
        .bind(clicked)
        .bind(i64::from(outbound && turn))
        .bind((outbound && turn && rng.chance(50)).then_some(now))
        .bind((outbound && turn && rng.chance(70)).then(|| rng.below(20 * 86_400) as i64))
        .execute(&pool)
        .await
        .unwrap();
    }
    // Opening the store applies the rollups migration.
    let store = Store::open(&url).await.unwrap();
    let now = now + Duration::seconds(1);
    let pool = TestDb::Sqlite(pool);
    for q in queries() {
        assert_eq!(
            store.kpis(ws, &q, now).await.unwrap(),
            kpis_from_rows(&pool, ws, &q, now).await,
            "{q:?}"
        );
        assert_eq!(
            store.analytics(ws, &q, now).await.unwrap(),
            analytics_from_rows(&pool, ws, &q, now).await,
            "{q:?}"
        );
    }
    let month = DashboardQuery {
        period: Period::Days30,
        channel: None,
        tz: TzOffset(0).into(),
    };
    let k = store.kpis(ws, &month, now).await.unwrap();
    assert!(
        k.sent_30d > 20 && k.responses > 5 && k.emails_opened_any > 0 && k.leads_won > 0,
        "{k:?}"
    );
}

/// Sends that land in one group commit (many at once, several to the same lead on the same
/// channel) have their rollups applied together before the batch's COMMIT: the figures equal a
/// recount from the rows, "newest message" slots included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_batched_into_one_commit_count_like_a_recount() {
    let w = world().await;
    let ws = w.workspaces[0];
    let mut leads = Vec::new();
    for i in 0..3 {
        let fields = LeadFields {
            name: format!("Batch {i}"),
            email: Some(format!("batch{i}@example.com")),
            phone: None,
            whatsapp: None,
            instagram: None,
            company: None,
            stage: Stage::New,
            deal_value_cents: Some(1_000),
            owner_id: None,
        };
        leads.push(
            w.store
                .insert_lead_at(ws, &fields, Utc::now())
                .await
                .unwrap()
                .id,
        );
    }
    let (writes_before, commits_before) = w.store.group_commit_counts();
    let sends = (0..90).map(|i| {
        let store = w.store.clone();
        let lead = leads[i % 3];
        async move {
            let fields = MessageFields {
                direction: if i % 4 == 0 {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                },
                channel: [Channel::Sms, Channel::Email][i % 2],
                subject: None,
                body: format!("batched {i}"),
                client_id: uuid::Uuid::new_v4(),
                guard: CollisionGuard::Off,
                template: None,
                attachments: Vec::new(),
            };
            store
                .record_message(ws, lead, None, &fields, None)
                .await
                .unwrap();
        }
    });
    futures_util::future::join_all(sends).await;
    let (writes, commits) = w.store.group_commit_counts();
    // Group commit is SQLite's; on PostgreSQL every write is a transaction of its own.
    if !test_backend_postgres() {
        assert!(
            commits - commits_before < writes - writes_before,
            "the sends shared commits ({} commits for {} writes)",
            commits - commits_before,
            writes - writes_before
        );
    }
    let kept = rollup_rows(&w.pool).await;
    w.store.rebuild_rollups(ws).await.unwrap();
    assert_eq!(kept, rollup_rows(&w.pool).await);
    let now = Utc::now() + Duration::seconds(1);
    for q in queries() {
        assert_eq!(
            w.store.kpis(ws, &q, now).await.unwrap(),
            kpis_from_rows(&w.pool, ws, &q, now).await,
            "{q:?}"
        );
    }
}

/// Deleting leads takes out exactly what they counted: every KPI and chart figure equals one
/// computed from the rows that are left, and the kept rollups equal a recount of those rows.
#[tokio::test]
async fn deleting_leads_takes_out_exactly_what_they_counted() {
    let w = world().await;
    let now = Utc::now();
    workload(&w, now).await;
    let now = Utc::now() + Duration::seconds(1);
    let month = DashboardQuery {
        period: Period::Days30,
        channel: None,
        tz: TzOffset(0).into(),
    };
    let before = w.store.kpis(w.workspaces[0], &month, now).await.unwrap();
    let leads: Vec<(LeadId, WorkspaceId)> = on_test_db!(&w.pool, |p, q| sqlx::query_as(q(
        "SELECT id, workspace_id FROM leads ORDER BY name"
    ))
    .fetch_all(p)
    .await
    .unwrap());
    let mut deleted = 0;
    for (lead, ws) in leads.iter().step_by(3) {
        assert!(w.store.delete_lead(*ws, *lead).await.unwrap());
        deleted += 1;
    }
    assert!(deleted >= 10, "{deleted}");
    // A lead of another workspace is not found there, and nothing changes.
    let (lead, ws) = leads[1];
    let other = w.workspaces.into_iter().find(|w| *w != ws).unwrap();
    assert!(!w.store.delete_lead(other, lead).await.unwrap());
    assert_eq!(every_figure_matches_the_rows(&w, now).await, 2 * 8 * 3 * 6);
    let after = w.store.kpis(w.workspaces[0], &month, now).await.unwrap();
    assert!(
        after.sent_30d < before.sent_30d && after.replies_received < before.replies_received,
        "{before:?} → {after:?}"
    );
    let kept = rollup_rows(&w.pool).await;
    for ws in w.workspaces {
        w.store.rebuild_rollups(ws).await.unwrap();
    }
    assert_eq!(kept, rollup_rows(&w.pool).await);
}
