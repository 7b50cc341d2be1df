//! Inbox scenarios on a large generated workspace: `seed` writes 100,000 leads and 1,000,000
//! messages straight into a fresh database file (through the app's own migrations, then
//! recounting the dashboard rollups from the rows), `inbox` then measures server-side renders of `/inbox` and search latency.
use super::{ms, percentile, Fallible};
use leadwire::server::store::workspaces::NewUser;
use leadwire::server::store::Store;
use rand::seq::SliceRandom;
use rand::Rng;
use std::time::{Duration, Instant};

pub const EMAIL: &str = "bench-inbox@example.com";
pub const PASSWORD: &str = "benchmark-pass";

const WORDS: &[&str] = &[
    "pricing",
    "contract",
    "demo",
    "meeting",
    "invoice",
    "discount",
    "renewal",
    "onboarding",
    "integration",
    "security",
    "review",
    "proposal",
    "budget",
    "quarter",
    "timeline",
    "shipping",
    "support",
    "upgrade",
    "license",
    "seats",
    "trial",
    "feedback",
    "question",
    "schedule",
    "tomorrow",
    "monday",
    "friday",
    "call",
    "email",
    "team",
    "manager",
    "approval",
    "legal",
    "signature",
    "payment",
    "annual",
    "monthly",
    "feature",
    "roadmap",
    "launch",
    "migration",
    "training",
    "workshop",
    "partner",
    "reseller",
    "quote",
    "order",
    "delivery",
    "warehouse",
    "analytics",
    "dashboard",
    "report",
    "export",
    "import",
    "api",
    "webhook",
    "mobile",
    "desktop",
];
const FIRST: &[&str] = &[
    "Maya", "Sam", "Olive", "Nina", "Ravi", "Lena", "Omar", "Ines", "Theo", "Zoe", "Ken", "Ana",
];
const LAST: &[&str] = &[
    "Patel", "Stone", "Garcia", "Novak", "Okafor", "Berg", "Rossi", "Kim", "Silva", "Weber",
];
const CHANNELS: &[&str] = &["email", "sms", "whatsapp", "instagram", "chat"];
const STAGES: &[&str] = &["new", "contacted", "qualified", "won", "lost"];

/// Creates the workspace and its data in `database` (a fresh SQLite URL).
pub async fn seed(database: &str, leads: usize, messages: usize) -> Fallible<()> {
    let started = Instant::now();
    let store = Store::open(database).await?;
    let hash = leadwire::server::crypto::hash_password(PASSWORD).map_err(|e| e.to_string())?;
    let (workspace, owner) = store
        .create_workspace_with_owner(
            "Inbox Bench",
            NewUser {
                name: "Bench Owner",
                email: EMAIL,
                password_hash: &hash,
            },
        )
        .await?;
    drop(store);
    // Bulk rows go in with plain SQL through the same schema (and its triggers: FTS, latest).
    let mut rng = rand::thread_rng();
    let now = chrono::Utc::now();
    let mut lead_ids = Vec::with_capacity(leads);
    let mut lead_rows = Vec::with_capacity(leads);
    for index in 0..leads {
        let id = uuid::Uuid::new_v4();
        lead_ids.push(id);
        lead_rows.push((
            id,
            format!(
                "{} {} {index}",
                FIRST.choose(&mut rng).unwrap(),
                LAST.choose(&mut rng).unwrap()
            ),
            format!("lead{index}@example.com"),
            format!("+1415{index:07}"),
            format!("Company {}", index % 5000),
            *STAGES.choose(&mut rng).unwrap(),
            now - chrono::Duration::days(120),
        ));
    }
    let mut message_rows = Vec::with_capacity(messages);
    for index in 0..messages {
        let inbound = rng.gen_bool(0.5);
        let channel = *CHANNELS.choose(&mut rng).unwrap();
        let words: Vec<&str> = (0..rng.gen_range(8..20))
            .map(|_| *WORDS.choose(&mut rng).unwrap())
            .collect();
        // Spread over 90 days, oldest first, so each lead's newest message varies.
        let age = 90 * 24 * 3600 * (messages - index) as i64 / messages.max(1) as i64;
        let at = now - chrono::Duration::seconds(age);
        // Emails we sent get receipts like real ones: people open some (and click in a
        // few), mail privacy proxies fetch others, within two days and never in the future.
        let email_out = !inbound && channel == "email";
        let mut receipt = |percent: f64| {
            (email_out && rng.gen_bool(percent))
                .then(|| (at + chrono::Duration::seconds(rng.gen_range(30..2 * 86_400))).min(now))
        };
        let (opened, proxy, clicked) = (receipt(0.4), receipt(0.25), receipt(0.1));
        message_rows.push((
            lead_ids[rng.gen_range(0..lead_ids.len())],
            if inbound { "inbound" } else { "outbound" },
            channel,
            (channel == "email").then(|| format!("Re: {}", words[0])),
            words.join(" "),
            if inbound { "received" } else { "sent" },
            at,
            [opened, proxy, clicked],
        ));
    }
    // One text for both databases, `?`s renumbered for PostgreSQL.
    macro_rules! insert_all {
        ($tx:expr, $fit:expr) => {{
            for chunk in lead_rows.chunks(500) {
                let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
                let sql = $fit(format!(
                    "INSERT INTO leads (id, workspace_id, name, email, phone, company, stage, \
                     owner_id, created_at, updated_at) VALUES {rows}"
                ));
                let mut q = sqlx::query(&sql);
                for (id, name, email, phone, company, stage, at) in chunk {
                    q = q
                        .bind(id)
                        .bind(workspace)
                        .bind(name)
                        .bind(email)
                        .bind(phone)
                        .bind(company)
                        .bind(*stage)
                        .bind(owner)
                        .bind(at)
                        .bind(at);
                }
                q.execute(&mut *$tx).await?;
            }
            for chunk in message_rows.chunks(400) {
                let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
                let sql = $fit(format!(
                    "INSERT INTO messages (id, workspace_id, lead_id, direction, channel, subject, \
                     body, status, created_at, opened_at, proxy_opened_at, clicked_at) VALUES {rows}"
                ));
                let mut q = sqlx::query(&sql);
                for (lead, direction, channel, subject, body, status, at, receipts) in chunk {
                    q = q
                        .bind(uuid::Uuid::new_v4())
                        .bind(workspace)
                        .bind(lead)
                        .bind(*direction)
                        .bind(*channel)
                        .bind(subject)
                        .bind(body)
                        .bind(*status)
                        .bind(at)
                        .bind(receipts[0])
                        .bind(receipts[1])
                        .bind(receipts[2]);
                }
                q.execute(&mut *$tx).await?;
            }
            sqlx::query("UPDATE leads SET won_at = closed_at WHERE stage = 'won'")
        }};
    }
    // Closed leads closed at some point in the last 90 days.
    if database.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(database).await?;
        let mut tx = pool.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        let won = insert_all!(tx, |sql: String| {
            leadwire::server::store::postgres_sql(&sql).to_string()
        });
        sqlx::query(
            "UPDATE leads SET closed_at = now() - make_interval(days => floor(random() * 90)::int) \
             WHERE stage IN ('won', 'lost')",
        )
        .execute(&mut *tx)
        .await?;
        won.execute(&mut *tx).await?;
        tx.commit().await?;
        // Planner statistics for the bulk rows now, as autovacuum would give them later.
        sqlx::query("ANALYZE").execute(&pool).await?;
    } else {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect(database)
            .await?;
        sqlx::query("PRAGMA synchronous = OFF")
            .execute(&pool)
            .await?;
        let mut tx = pool.begin().await?;
        let won = insert_all!(tx, |sql: String| sql);
        sqlx::query(
            "UPDATE leads SET closed_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', \
             '-' || (abs(random()) % 90) || ' days') WHERE stage IN ('won', 'lost')",
        )
        .execute(&mut *tx)
        .await?;
        won.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    // The rows went in directly: derive the conversation facts (turns, replies, response
    // times) and recount the dashboard rollups, as the app does for every message it records.
    let store = Store::open(database).await?;
    store.recompute_turns(workspace).await?;
    println!(
        "seed       leads={leads} messages={messages} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Server-side renders of `/inbox` by `concurrency` clients for `seconds`, then `searches`
/// searches one after another. With `sends_per_second`, a lead writes in that often meanwhile
/// (inbound website chat, on the first lead `/api/leads` lists): every write moves the workspace's head, so renders after it read the
/// rows afresh instead of reusing the viewer's cached ones (`server::inbox_cache`).
pub async fn inbox(
    url: &str,
    concurrency: usize,
    seconds: u64,
    searches: usize,
    sends_per_second: u32,
) -> Fallible<()> {
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{url}/api/auth/login"))
        .json(&serde_json::json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await?;
    let cookie =
        super::session_cookie(&res).ok_or("login failed: run `leadwire-bench seed` first")?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let writer = if sends_per_second > 0 {
        let leads: serde_json::Value = http
            .get(format!("{url}/api/leads"))
            .header("cookie", &cookie)
            .send()
            .await?
            .json()
            .await?;
        let lead = leads["leads"][0]["id"]
            .as_str()
            .ok_or("the workspace has no lead")?
            .to_string();
        let (http, cookie, url) = (http.clone(), cookie.clone(), url.to_string());
        Some(tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(sends_per_second)));
            let mut sent = 0u64;
            while Instant::now() < until {
                tick.tick().await;
                let res = http
                    .post(format!("{url}/api/messages/{lead}"))
                    .header("cookie", &cookie)
                    .json(&serde_json::json!({
                        "channel": "chat",
                        "direction": "inbound",
                        "body": "a new message while the inbox renders",
                        "client_id": uuid::Uuid::new_v4().to_string(),
                    }))
                    .send()
                    .await?;
                if res.status() != 201 {
                    return Err(format!("send answered {}", res.status()).into());
                }
                sent += 1;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(sent)
        }))
    } else {
        None
    };
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, cookie, url) = (http.clone(), cookie.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut bytes = 0usize;
            while Instant::now() < until {
                let t0 = Instant::now();
                let res = http
                    .get(format!("{url}/inbox"))
                    .header("cookie", &cookie)
                    .send()
                    .await?;
                if res.status() != 200 {
                    return Err(format!("inbox answered {}", res.status()).into());
                }
                let body = res.text().await?;
                if body.matches("data-testid=\"inbox-row\"").count() != 50 {
                    return Err("the inbox did not render 50 rows".into());
                }
                bytes += body.len();
                latencies.push(t0.elapsed());
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((latencies, bytes))
        }));
    }
    let mut all = Vec::new();
    let mut bytes = 0;
    for task in tasks {
        let (l, b) = task.await??;
        all.extend(l);
        bytes += b;
    }
    let elapsed = started.elapsed();
    let sent = match writer {
        Some(writer) => writer.await??,
        None => 0,
    };
    println!(
        "inbox      concurrency={concurrency} renders={} elapsed={:.1}s  renders/s={:.0}  p50={} p99={}  page={} KB  sends meanwhile={sent}",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&mut all, 50.0)),
        ms(percentile(&mut all, 99.0)),
        bytes / all.len().max(1) / 1024,
    );
    let mut rng = rand::thread_rng();
    let mut latencies = Vec::with_capacity(searches);
    for i in 0..searches {
        // Whole words, prefixes and two-word searches.
        let word = *WORDS.choose(&mut rng).unwrap();
        let q = match i % 3 {
            0 => word.to_string(),
            1 => word[..3.min(word.len())].to_string(),
            _ => format!("{word} {}", WORDS.choose(&mut rng).unwrap()),
        };
        let t0 = Instant::now();
        let res = http
            .post(format!("{url}/rpc/inbox"))
            .header("cookie", &cookie)
            .form(&[
                ("channel", ""),
                ("unread", "false"),
                ("owner", ""),
                ("stage", ""),
                ("q", q.as_str()),
            ])
            .send()
            .await?;
        if res.status() != 200 {
            return Err(format!("search answered {}", res.status()).into());
        }
        res.bytes().await?;
        latencies.push(t0.elapsed());
    }
    println!(
        "search     queries={searches} over the seeded messages: p50={} p99={}",
        ms(percentile(&mut latencies, 50.0)),
        ms(percentile(&mut latencies, 99.0)),
    );
    Ok(())
}
