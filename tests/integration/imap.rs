//! Replies through a real IMAP server: Debian's Dovecot in a temporary folder
//! (`tests/dovecot-test.conf`; `scripts/setup.sh --test` installs `dovecot-imapd`). Mail the
//! test appends arrives in the lead's thread once, IDLE brings it within a second, the health
//! shows in Settings, and killing the server mid-import then restarting imports nothing twice
//! and skips nothing.
use crate::support::on_test_db;
use crate::support::{ServerProcess, TestServer};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A throwaway Dovecot: any user, password "secret". Stopped when dropped.
struct Dovecot {
    _dir: tempfile::TempDir,
    conf: PathBuf,
    port: u16,
}

impl Dovecot {
    async fn start() -> Dovecot {
        let dir = tempfile::Builder::new()
            .prefix("leadwire-dovecot-")
            .tempdir_in("/tmp")
            .unwrap();
        let root = dir.path();
        for sub in ["run", "mail", "state"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        run("chmod", &["755", root.to_str().unwrap()]);
        run(
            "chown",
            &["-R", "dovecot:dovecot", root.join("mail").to_str().unwrap()],
        );
        let port = crate::support::free_port();
        let conf = root.join("dovecot.conf");
        std::fs::write(
            &conf,
            include_str!("../dovecot-test.conf")
                .replace("DIR", root.to_str().unwrap())
                .replace("PORT", &port.to_string()),
        )
        .unwrap();
        run("dovecot", &["-c", conf.to_str().unwrap()]);
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "dovecot did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Dovecot {
            _dir: dir,
            conf,
            port,
        }
    }

    /// Appends `raw` to `user`'s INBOX, as a mail server delivering it would.
    async fn append(&self, user: &str, raw: &str) {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().unwrap();
        let mut session = client.login(user, "secret").await.map_err(|e| e.0).unwrap();
        session.append("INBOX", None, None, raw).await.unwrap();
        session.logout().await.unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = std::process::Command::new("doveadm")
            .args(["-c", self.conf.to_str().unwrap(), "stop"])
            .status();
    }
}

fn run(program: &str, args: &[&str]) {
    let status = std::process::Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| {
            panic!("{program}: {e} (scripts/setup.sh --test installs dovecot-imapd)")
        });
    assert!(status.success(), "{program} {args:?}: {status}");
}

fn reply(n: usize, body: &str) -> String {
    format!(
        "From: Maya Patel <maya@example.com>\r\nTo: sales@leadwire.test\r\nSubject: Re: Pricing\r\n\
         Message-ID: <reply-{n}@mail.example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

fn mailbox_form(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("host", "127.0.0.1".into()),
        ("port", port.to_string()),
        ("security", "none".into()),
        ("username", "sales".into()),
        ("password", "secret".into()),
        ("folder", "INBOX".into()),
        ("address", "sales@leadwire.test".into()),
        ("enabled", "on".into()),
    ]
}

async fn inbound_bodies(server: &TestServer, client: &reqwest::Client, lead: &str) -> Vec<String> {
    let page = server
        .get_json(client, &format!("/api/messages/{lead}"))
        .await;
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn mail_in_the_watched_mailbox_arrives_in_the_thread_once_and_idle_brings_it_at_once() {
    let dovecot = Dovecot::start().await;
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    let lead = server
        .create_lead(
            &owner.client,
            json!({"name": "Maya Patel", "email": "maya@example.com"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap().to_string();
    let mut ws = server.live_socket(&owner.cookie).await;
    // Already in the mailbox before it is connected: imported on the first sync.
    dovecot
        .append("sales", &reply(1, "Thursday works for me."))
        .await;
    let form = mailbox_form(dovecot.port);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = server.rpc(&owner.client, "save_mailbox", &form).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let inserted =
        |frame: &Value, body: &str| frame["action"] == "INSERT" && frame["message"]["body"] == body;
    loop {
        let frame = ws.next_of("messages_updated").await;
        if inserted(&frame, "Thursday works for me.") {
            break;
        }
    }
    // The first sync completes (Settings shows when), then it waits in IDLE.
    let started = Instant::now();
    let health = loop {
        let view = server
            .rpc(&owner.client, "get_mailbox", &[])
            .await
            .json::<Value>()
            .await
            .unwrap();
        if view["last_sync_at"].is_string() {
            break view;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never synced: {view}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(health["last_error"].is_null(), "{health}");
    assert!(
        health.get("password").is_none(),
        "the password is never sent back"
    );
    // New mail comes in within a second of its delivery.
    let delivered = Instant::now();
    dovecot
        .append("sales", &reply(2, "And bring the contract."))
        .await;
    loop {
        let frame = ws.next_of("messages_updated").await;
        if inserted(&frame, "And bring the contract.") {
            break;
        }
    }
    let took = delivered.elapsed();
    assert!(took < Duration::from_secs(1), "IDLE took {took:?}");
    // Reconnecting (saving the settings again restarts the watcher) imports nothing twice.
    let res = server.rpc(&owner.client, "save_mailbox", &form).await;
    assert_eq!(res.status(), 200);
    dovecot.append("sales", &reply(3, "See you then.")).await;
    loop {
        let frame = ws.next_of("messages_updated").await;
        if inserted(&frame, "See you then.") {
            break;
        }
    }
    assert_eq!(
        inbound_bodies(&server, &owner.client, &lead).await,
        [
            "Thursday works for me.",
            "And bring the contract.",
            "See you then."
        ]
    );
    // Our email now asks for answers in the watched mailbox.
    let mut sent = crate::support::message("email", "Contract attached.");
    sent["subject"] = json!("Contract");
    assert_eq!(server.send(&owner.client, &lead, sent).await.status(), 201);
    loop {
        let frame = ws.next_of("messages_updated").await;
        if frame["action"] == "UPDATE" && frame["message"]["status"] == "sent" {
            break;
        }
    }
    let db = server.db().await;
    let (raw,): (String,) = on_test_db!(&db, |p, q| sqlx::query_as(q(
        "SELECT raw_message FROM outbound_emails"
    ))
    .fetch_one(p)
    .await
    .unwrap());
    assert!(
        raw.contains("\r\nReply-To: ") && raw.contains("<sales@leadwire.test>"),
        "{raw}"
    );
    // The password is sealed at rest.
    let (sealed,): (String,) = on_test_db!(&db, |p, q| sqlx::query_as(q(
        "SELECT password_sealed FROM imap_mailboxes"
    ))
    .fetch_one(p)
    .await
    .unwrap());
    assert!(
        sealed.starts_with("v1:") && !sealed.contains("secret"),
        "{sealed}"
    );
}

#[tokio::test]
async fn a_wrong_password_or_bad_settings_show_as_errors_and_nothing_is_saved() {
    let dovecot = Dovecot::start().await;
    let server = TestServer::start().await;
    let owner = server.session("owner@example.com", "Acme").await;
    for (field, bad) in [
        ("host", "imap example com"),
        ("port", "99999"),
        ("security", "ssl3"),
        ("address", "not-an-address"),
        ("username", ""),
    ] {
        let mut form = mailbox_form(dovecot.port);
        for (k, v) in form.iter_mut() {
            if *k == field {
                *v = bad.to_string();
            }
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = server.rpc(&owner.client, "save_mailbox", &form).await;
        assert_eq!(res.status(), 422, "{field}");
        let body = res.text().await.unwrap();
        assert!(body.contains(field), "{field}: {body}");
    }
    let none = server
        .rpc(&owner.client, "get_mailbox", &[])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(none["configured"], false, "{none}");
    // A wrong password: saved, but the health says why nothing comes in.
    let mut form = mailbox_form(dovecot.port);
    form[4].1 = "wrong".into();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        server
            .rpc(&owner.client, "save_mailbox", &form)
            .await
            .status(),
        200
    );
    let started = Instant::now();
    let error = loop {
        let view = server
            .rpc(&owner.client, "get_mailbox", &[])
            .await
            .json::<Value>()
            .await
            .unwrap();
        if let Some(error) = view["last_error"].as_str() {
            break error.to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no error shown: {view}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(error.contains("Sign-in as sales failed"), "{error}");
    assert!(
        !error.contains("wrong"),
        "the password is never shown: {error}"
    );
}

/// 150 replies wait in the mailbox; the server is killed (SIGKILL) part-way through importing
/// them and started again: each arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_import_and_restarted_imports_nothing_twice_and_skips_nothing() {
    const N: usize = 150;
    let dovecot = Dovecot::start().await;
    for n in 0..N {
        dovecot
            .append("sales", &reply(n, &format!("Reply number {n}")))
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&dir, &[]).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(server.url("/api/auth/signup"))
        .json(&json!({"name": "Owner", "email": "owner@example.com", "password": "correct horse", "workspace": "Acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let db = server.db().await;
    let imported = || async { db.count("SELECT COUNT(*) FROM inbound_emails").await as usize };
    let form = mailbox_form(dovecot.port);
    let res = client
        .post(server.url("/rpc/save_mailbox"))
        .header("origin", server.url(""))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let started = Instant::now();
    while imported().await < 10 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "import did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .unwrap();
    server.wait_dead().await;
    let at_kill = imported().await;
    assert!(
        at_kill < N,
        "the import finished before the kill: nothing was tested"
    );
    // Started again on the same database: it picks up where the import stood.
    let server = ServerProcess::start(&dir, &[]).await;
    let started = Instant::now();
    // The mailbox's position moves just after each message is stored: wait for both.
    let last_uid = || async { db.count("SELECT last_uid FROM imap_mailboxes").await };
    while imported().await < N || last_uid().await < N as i64 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "import did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let bodies: Vec<(String,)> = on_test_db!(&db, |p, q| sqlx::query_as(q(
        "SELECT body FROM messages WHERE direction = 'inbound' ORDER BY body"
    ))
    .fetch_all(p)
    .await
    .unwrap());
    let mut expected: Vec<String> = (0..N).map(|n| format!("Reply number {n}")).collect();
    expected.sort();
    assert_eq!(
        bodies.into_iter().map(|(b,)| b).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(last_uid().await, N as i64);
    drop(server);
}
