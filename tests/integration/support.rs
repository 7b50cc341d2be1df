//! A real server per test: fresh database in a temp dir, real HTTP client with a cookie jar.
use futures_util::{SinkExt, StreamExt};
use leadwire::server::{app_router, settings::Settings};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, Message as WsMessage};

pub struct TestServer {
    pub base: String,
    /// The server's database, for tests that check what was (not) stored.
    pub database_url: String,
    _dir: tempfile::TempDir,
    /// The PostgreSQL database of a run on that backend (see [`test_backend_postgres`]).
    _scratch: Option<ScratchDatabase>,
    /// The server runs on its own multi-threaded runtime, as the binary does, not on the
    /// test's single thread: what users run.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Dropping a runtime inside the test's async context would panic.
            runtime.shutdown_background();
        }
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server on a SQLite file in every run, for tests of what only SQLite has (its
    /// migration history, its group commit).
    pub async fn start_on_sqlite() -> Self {
        Self::launch(false, |_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::launch(test_backend_postgres(), tweak).await
    }

    async fn launch(on_postgres: bool, tweak: impl FnOnce(&mut Settings)) -> Self {
        // RUST_LOG=leadwire=debug shows the server's log next to a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::from_sources(None, &|_| None).expect("default settings");
        settings.database_url = format!("sqlite://{}", dir.path().join("leadwire.db").display());
        let scratch = if on_postgres {
            let scratch = ScratchDatabase::create().await;
            settings.database_url = scratch.url.clone();
            settings.secret_key = Some([7; 32]);
            Some(scratch)
        } else {
            None
        };
        settings.seed_demo = false;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local addr");
        settings.site_addr = addr;
        settings.public_url = format!("http://{addr}");
        tweak(&mut settings);
        let database_url = settings.database_url.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        let (ready, started) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let state = app_router::prepare(settings).await.expect("open store");
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = ready.send(());
            app_router::serve(listener, state).await
        });
        started.await.expect("the server started");
        TestServer {
            base: format!("http://{addr}"),
            database_url,
            _dir: dir,
            _scratch: scratch,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with its own cookie jar that does not follow redirects (tests look at them).
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // A request the server never answers fails the test, naming the URL, instead of
            // hanging the whole suite.
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client")
    }

    /// Signs up a new workspace and returns a client holding its session.
    pub async fn signed_up(&self, email: &str, workspace: &str) -> Client {
        self.session(email, workspace).await.client
    }

    /// Signs up a new workspace; the session's cookie is also kept for WebSockets.
    pub async fn session(&self, email: &str, workspace: &str) -> Session {
        let client = self.client();
        let res = client
            .post(self.url("/api/auth/signup"))
            .json(&json!({"name": "Test User", "email": email, "password": "correct horse", "workspace": workspace}))
            .send()
            .await
            .expect("signup");
        assert_eq!(res.status(), 201, "signup of {email} failed");
        let cookie = session_cookie(&res);
        Session { client, cookie }
    }

    /// Signs in again as an existing user: a second, independent session (another device).
    pub async fn login(&self, email: &str) -> Session {
        let client = self.client();
        let res = client
            .post(self.url("/api/auth/login"))
            .json(&json!({"email": email, "password": "correct horse"}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 200);
        let cookie = session_cookie(&res);
        Session { client, cookie }
    }

    /// Invites `email` into `owner`'s workspace and signs the teammate in.
    pub async fn teammate(&self, owner: &Client, email: &str) -> Session {
        let res = self
            .rpc(owner, "invite_teammate", &[("email", email)])
            .await;
        let created: Value = res.json().await.expect("invite json");
        let link = created["link"].as_str().expect("invite link");
        let token = link.rsplit('/').next().expect("token");
        let client = self.client();
        let res = self
            .rpc(
                &client,
                "accept_invite",
                &[
                    ("token", token),
                    ("name", "Teammate"),
                    ("password", "correct horse"),
                ],
            )
            .await;
        assert!(res.status().is_success(), "accept invite: {}", res.status());
        let cookie = session_cookie(&res);
        Session { client, cookie }
    }

    /// Creates an API token (through the settings page's server function) and returns the
    /// answer: `{info: {id, …}, secret}`.
    pub async fn api_token(&self, client: &Client, name: &str, scopes: &str) -> Value {
        let res = self
            .rpc(
                client,
                "create_api_token",
                &[("name", name), ("scopes", scopes)],
            )
            .await;
        assert_eq!(res.status(), 200, "create_api_token");
        res.json().await.expect("token JSON")
    }

    /// Opens `/ws` with a session cookie, as a tab of this site would.
    pub async fn socket(&self, cookie: &str) -> Ws {
        self.socket_with("cookie", cookie).await
    }

    /// Opens `/ws` authenticated by one header (`cookie`, or `authorization` for a token).
    pub async fn socket_with(&self, header: &'static str, value: &str) -> Ws {
        open_socket(&self.base, header, value).await
    }

    /// A socket that has resumed from the current head and is live.
    pub async fn live_socket(&self, cookie: &str) -> Ws {
        let mut ws = self.socket(cookie).await;
        ws.resume(0).await;
        ws.next_of("live").await;
        ws
    }

    /// [`Self::live_socket`] of a tab that shows the dashboard (it gets the dashboard's events).
    pub async fn dashboard_socket(&self, cookie: &str) -> Ws {
        let mut ws = self.socket(cookie).await;
        ws.send_json(json!({"type": "dashboard", "on": true})).await;
        ws.resume(0).await;
        ws.next_of("live").await;
        ws
    }

    pub async fn send(&self, client: &Client, lead: &str, body: Value) -> Response {
        client
            .post(self.url(&format!("/api/messages/{lead}")))
            .json(&body)
            .send()
            .await
            .expect("send message")
    }

    /// GETs `path` and returns the JSON body.
    pub async fn get_json(&self, client: &Client, path: &str) -> Value {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON body")
    }

    /// GETs `path` (a page, or any text) and returns the body.
    pub async fn get_text(&self, client: &Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("text body")
    }

    pub async fn create_lead(&self, client: &Client, body: Value) -> Value {
        let res = client
            .post(self.url("/api/leads"))
            .json(&body)
            .send()
            .await
            .expect("create lead");
        assert_eq!(res.status(), 201);
        res.json().await.expect("lead json")
    }

    pub async fn lead_names(&self, client: &Client) -> Vec<String> {
        let res = client
            .get(self.url("/api/leads"))
            .send()
            .await
            .expect("list leads");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        body["leads"]
            .as_array()
            .expect("leads array")
            .iter()
            .map(|l| l["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A server seeded with `make run`'s demo workspace, and a client signed in as its owner.
    pub async fn demo() -> (TestServer, Client) {
        use leadwire::server::seed::{DEMO_EMAIL, DEMO_PASSWORD};
        let server = TestServer::start_with(|s| s.seed_demo = true).await;
        let client = server.client();
        let res = client
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD}))
            .send()
            .await
            .expect("demo login");
        assert_eq!(res.status(), 200);
        (server, client)
    }

    /// Records a message the lead sent on `channel` (as an integration would): on WhatsApp and
    /// Instagram it opens the 24-hour window in which free text may be sent to them.
    pub async fn lead_wrote(&self, client: &Client, lead: &str, channel: &str, body: &str) {
        let mut inbound = message(channel, body);
        inbound["direction"] = json!("inbound");
        let res = self.send(client, lead, inbound).await;
        assert_eq!(res.status(), 201, "recording what the lead wrote");
    }

    /// Calls a server function the way the browser does (form-encoded, JSON answer).
    pub async fn rpc(&self, client: &Client, name: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/rpc/{name}")))
            .form(form)
            .send()
            .await
            .expect("server fn call")
    }
}

/// A signed-in client and its raw session cookie (`lw_session=…`).
pub struct Session {
    pub client: Client,
    pub cookie: String,
}

fn session_cookie(res: &Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lw_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string()
}

/// A message body with a fresh client id.
pub fn message(channel: &str, body: &str) -> Value {
    json!({"channel": channel, "body": body, "client_id": uuid::Uuid::new_v4().to_string()})
}

/// A test's WebSocket: reads JSON text frames with a deadline so a missing event fails fast.
/// A socket to the server at `base`, with `header` (a cookie or bearer token) and its origin,
/// past its `hello`.
pub async fn open_socket(base: &str, header: &'static str, value: &str) -> Ws {
    let url = format!("ws://{}/ws", base.trim_start_matches("http://"));
    let mut request = url.into_client_request().expect("ws request");
    request
        .headers_mut()
        .insert(header, value.parse().expect("credential header"));
    request
        .headers_mut()
        .insert("origin", base.parse().expect("origin header"));
    let (stream, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("ws connect");
    let mut ws = Ws {
        stream,
        hello_head: 0,
    };
    let hello = ws.next_json().await;
    assert_eq!(hello["type"], "hello", "{hello}");
    ws.hello_head = hello["head"].as_i64().expect("hello.head");
    ws
}

pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    hello_head: i64,
}

impl Ws {
    pub async fn send_json(&mut self, value: Value) {
        self.stream
            .send(WsMessage::Text(value.to_string().into()))
            .await
            .expect("ws send");
    }

    pub async fn send_raw(&mut self, message: WsMessage) -> Result<(), tungstenite::Error> {
        self.stream.send(message).await
    }

    pub async fn resume(&mut self, after: i64) {
        self.send_json(json!({"type": "resume", "after": after}))
            .await;
    }

    /// The next text frame as JSON (pings are skipped); panics after 10 s.
    pub async fn next_json(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("no frame within 10 s")
                .expect("socket ended")
                .expect("socket error");
            match frame {
                WsMessage::Text(text) => {
                    return serde_json::from_str(text.as_str()).expect("frame is JSON")
                }
                WsMessage::Ping(_) | WsMessage::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// The next frame about threads and drafts: team awareness (`online`, `presence`,
    /// `typing`, and the team's own changes, `team_changed` and `member_renamed`), lead details
    /// (`leads_updated`) and the dashboard's traffic (`activity_updated`, `stats_updated`,
    /// `analytics_updated`) interleave with those and are passed over.
    pub async fn next_logged(&mut self) -> Value {
        self.next_except(&[
            "online",
            "presence",
            "typing",
            "team_changed",
            "member_renamed",
            "activity_updated",
            "leads_updated",
            "stats_updated",
            "analytics_updated",
        ])
        .await
    }

    /// The next frame whose type is not one of `skip`.
    pub async fn next_except(&mut self, skip: &[&str]) -> Value {
        loop {
            let frame = self.next_json().await;
            if !skip.contains(&frame["type"].as_str().unwrap_or_default()) {
                return frame;
            }
        }
    }

    /// Reads frames until one of type `kind` arrives, returning it.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next_json().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// The close frame the server ends the socket with (code, reason).
    pub async fn closed(&mut self) -> Option<(u16, String)> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("socket not closed within 10 s");
            match frame {
                Some(Ok(WsMessage::Close(Some(close)))) => {
                    return Some((close.code.into(), close.reason.to_string()))
                }
                Some(Ok(WsMessage::Close(None))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The `head` of the `hello` this socket was greeted with (kept by `TestServer::socket`).
    pub fn next_json_head(&self) -> i64 {
        self.hello_head
    }

    /// Closes without consuming (for sockets a test keeps in a variable).
    pub async fn close_ref(&mut self) {
        let _ = self.stream.close(None).await;
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// The JSON error body every API failure carries.
pub async fn error_body(res: Response) -> Value {
    let body: Value = res.json().await.expect("error body is JSON");
    assert!(body["error"].is_string(), "error code missing in {body}");
    assert!(body["message"].is_string(), "message missing in {body}");
    body
}

impl Ws {
    /// Reads frames until a `messages_updated` UPDATE for which `pred` holds; returns its message.
    pub async fn next_update(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = self.next_of("messages_updated").await;
            if frame["action"] == "UPDATE" && pred(&frame["message"]) {
                return frame["message"].clone();
            }
        }
    }
}

/// A real SMTP server (Python's aiosmtpd, see `tests/smtp_sink.py`) on a free local port.
pub struct SmtpSink {
    pub port: u16,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    // Dropping the child closes its stdin, which stops the server.
    _child: tokio::process::Child,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        use tokio::io::AsyncBufReadExt;
        let port = free_port();
        let mut child = tokio::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py"))
            .arg(port.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP sink (python3 with aiosmtpd; `make test` installs it)");
        let stdout = child.stdout.take().expect("sink stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("SMTP sink did not start within 20 s")
            .expect("read sink output");
        assert_eq!(first.as_deref(), Some("ready"), "is aiosmtpd installed?");
        SmtpSink {
            port,
            lines,
            _child: child,
        }
    }

    /// The next message the server accepted; panics after 15 s.
    pub async fn next_mail(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(15), self.lines.next_line())
            .await
            .expect("no mail within 15 s")
            .expect("read sink output")
            .expect("sink ended");
        serde_json::from_str(&line).expect("sink line is JSON")
    }
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The server binary as a child process on its own SQLite file in `dir`, for tests that
/// measure or kill a whole process. Killed when dropped.
pub struct ServerProcess {
    child: tokio::sync::Mutex<tokio::process::Child>,
    pid: u32,
    base: String,
    pub database_url: String,
    /// Where its log goes, when a test reads it (`start_logged`).
    log: Option<std::path::PathBuf>,
}

impl ServerProcess {
    /// Starts it with `env` on top of test defaults and waits until it answers `/healthz`.
    pub async fn start(dir: &tempfile::TempDir, env: &[(&str, &str)]) -> ServerProcess {
        Self::launch(dir, env, None).await
    }

    /// A server on the PostgreSQL database at `url`, which other processes may share.
    pub async fn start_on(
        dir: &tempfile::TempDir,
        url: &str,
        env: &[(&str, &str)],
    ) -> ServerProcess {
        let mut with_url = vec![("LEADWIRE_DATABASE_URL", url)];
        with_url.extend_from_slice(env);
        Self::launch(dir, &with_url, None).await
    }

    /// A socket with the session `cookie`, past its `hello`.
    pub async fn socket(&self, cookie: &str) -> Ws {
        open_socket(&self.base, "cookie", cookie).await
    }

    /// A socket that resumed from the head its `hello` named, and is live.
    pub async fn live_socket(&self, cookie: &str) -> Ws {
        let mut ws = self.socket(cookie).await;
        ws.resume(ws.next_json_head()).await;
        ws.next_of("live").await;
        ws
    }

    /// Like `start`, with the server's log kept in `dir` for [`ServerProcess::log`].
    pub async fn start_logged(dir: &tempfile::TempDir, env: &[(&str, &str)]) -> ServerProcess {
        Self::launch(dir, env, Some(dir.path().join("server.log"))).await
    }

    /// Everything the server logged so far (`start_logged` only).
    pub fn log(&self) -> String {
        let path = self.log.as_ref().expect("started with start_logged");
        std::fs::read_to_string(path).expect("read the server's log")
    }

    async fn launch(
        dir: &tempfile::TempDir,
        env: &[(&str, &str)],
        log: Option<std::path::PathBuf>,
    ) -> ServerProcess {
        let port = free_port();
        let sqlite = env.iter().any(|(name, value)| (*name, *value) == ON_SQLITE);
        let given = env
            .iter()
            .find(|(name, _)| *name == "LEADWIRE_DATABASE_URL")
            .map(|(_, url)| url.to_string());
        let database_url = if let Some(url) = given {
            url
        } else if test_backend_postgres() && !sqlite {
            process_database(dir).await
        } else {
            format!("sqlite://{}/server.db", dir.path().display())
        };
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_leadwire"));
        command
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEADWIRE_DATABASE_URL", &database_url)
            .env("LEADWIRE_SEED_DEMO", "false")
            .env("RUST_LOG", "leadwire=warn")
            .kill_on_drop(true)
            .stdout(std::process::Stdio::null());
        if database_url.starts_with("postgres") {
            // PostgreSQL needs the key set (on SQLite it sits beside the file).
            command.env("LEADWIRE_SECRET_KEY", "07".repeat(32));
        }
        for (name, value) in env.iter().filter(|v| **v != ON_SQLITE) {
            command.env(name, value);
        }
        if let Some(path) = &log {
            // The log goes to stdout (tracing's fmt writer).
            command.stdout(std::fs::File::create(path).expect("create the log file"));
        }
        let child = command.spawn().expect("start the server binary");
        let pid = child.id().expect("pid");
        let base = format!("http://127.0.0.1:{port}");
        let client = Client::new();
        let started = std::time::Instant::now();
        while client.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ServerProcess {
            child: tokio::sync::Mutex::new(child),
            pid,
            base,
            database_url,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The server's database, to check what was (not) stored.
    pub async fn db(&self) -> TestDb {
        TestDb::connect(&self.database_url).await
    }

    /// Waits for the process to end (a test killed it, or it died) and returns how it ended.
    pub async fn wait_dead(&self) -> std::process::ExitStatus {
        tokio::time::timeout(Duration::from_secs(30), self.child.lock().await.wait())
            .await
            .expect("the server did not die within 30 s")
            .expect("wait for the server")
    }

    /// SIGKILL: the server gets no chance to finish anything. Returns once it is gone.
    pub async fn kill_9(&self) {
        std::process::Command::new("kill")
            .args(["-9", &self.pid().to_string()])
            .status()
            .expect("kill -9");
        self.wait_dead().await;
    }

    /// Creates a lead with `fields` through the JSON API as `client`; returns its id.
    pub async fn create_lead(&self, client: &Client, fields: Value) -> String {
        let lead: Value = client
            .post(self.url("/api/leads"))
            .json(&fields)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        lead["id"].as_str().expect("a lead id").to_string()
    }

    /// The first message of `lead`'s thread once it has left `queued` (polled through the API
    /// every 50 ms, for at most 20 s).
    pub async fn first_message_settled(&self, client: &Client, lead: &str) -> Value {
        let settled = async {
            loop {
                let thread: Value = client
                    .get(self.url(&format!("/api/messages/{lead}")))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let first = thread["messages"][0].clone();
                if first["status"] != "queued" {
                    return first;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), settled)
            .await
            .expect("the message left the queue within 20 s")
    }
}

/// The database a test server stores in, as a test reads it to check what was (not) stored.
pub enum TestDb {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl TestDb {
    pub async fn connect(url: &str) -> TestDb {
        if url.starts_with("postgres") {
            TestDb::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        } else {
            TestDb::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        }
    }

    /// The number of rows of `table` whose `column` is `id` (FTS5 tables exist on SQLite
    /// only: PostgreSQL keeps the search words in the row itself, so none there).
    pub async fn count_naming(&self, table: &str, column: &str, id: uuid::Uuid) -> i64 {
        if table.ends_with("_fts") && matches!(self, TestDb::Postgres(_)) {
            return 0;
        }
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?");
        on_test_db!(self, |p, q| sqlx::query_scalar(q(&sql))
            .bind(id)
            .fetch_one(p)
            .await
            .unwrap())
    }

    /// Sets `column` of the `table` row `id` to `value` behind the app's back (no event, no
    /// seq taken): for tests that show what the app does *not* see without its own writes.
    pub async fn set_text(&self, table: &str, column: &str, value: &str, id: uuid::Uuid) {
        let sql = format!("UPDATE {table} SET {column} = ? WHERE id = ?");
        let changed = on_test_db!(self, |p, q| sqlx::query(q(&sql))
            .bind(value)
            .bind(id)
            .execute(p)
            .await
            .unwrap()
            .rows_affected());
        assert_eq!(changed, 1, "{table} {id}");
    }

    /// The tables that have a column `column`, by name.
    pub async fn tables_with(&self, column: &str) -> Vec<String> {
        match self {
            TestDb::Sqlite(p) => sqlx::query_scalar(
                "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' \
                 AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = ?) \
                 ORDER BY m.name",
            )
            .bind(column)
            .fetch_all(p)
            .await
            .unwrap(),
            TestDb::Postgres(p) => sqlx::query_scalar(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = 'public' AND column_name = $1 ORDER BY table_name",
            )
            .bind(column)
            .fetch_all(p)
            .await
            .unwrap(),
        }
    }

    /// Moves every outbound lease to now, as if the leases of a killed server ran out.
    pub async fn expire_leases(&self) {
        on_test_db!(self, |p, q| sqlx::query(q(
            "UPDATE outbound_queue SET next_attempt_at = ?"
        ))
        .bind(chrono::Utc::now())
        .execute(p)
        .await
        .unwrap()
        .rows_affected());
    }

    /// The one integer `sql` selects (a count).
    pub async fn count(&self, sql: &str) -> i64 {
        on_test_db!(self, |p, q| sqlx::query_scalar(q(sql))
            .fetch_one(p)
            .await
            .unwrap())
    }
}

/// Runs `$body` with `$p` the test database's pool and `$q` the function that fits SQL
/// written with `?` parameters to its backend; the body is compiled once per backend.
macro_rules! on_test_db {
    ($db:expr, |$p:ident, $q:ident| $body:expr) => {
        match $db {
            $crate::support::TestDb::Sqlite($p) => {
                #[allow(unused_variables)]
                let $q = $crate::support::sql_as_written;
                $body
            }
            $crate::support::TestDb::Postgres($p) => {
                #[allow(unused_variables)]
                let $q = leadwire::server::store::postgres_sql;
                $body
            }
        }
    };
}
pub(crate) use on_test_db;

/// SQLite reads the tests' SQL as written.
pub fn sql_as_written(sql: &str) -> &str {
    sql
}

impl TestServer {
    /// The server's database, to check what was (not) stored.
    pub async fn db(&self) -> TestDb {
        TestDb::connect(&self.database_url).await
    }
}

/// Whether this run's servers store in PostgreSQL (`LEADWIRE_TEST_BACKEND=postgres`, as
/// `make test` runs the suite a second time) rather than a SQLite file.
pub fn test_backend_postgres() -> bool {
    std::env::var("LEADWIRE_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// Where a test that opens a `Store` itself keeps it: the file `name` in `dir`, or on a
/// PostgreSQL run a scratch database (keep it as long as the store).
pub async fn store_database(
    dir: &std::path::Path,
    name: &str,
) -> (String, Option<ScratchDatabase>) {
    if test_backend_postgres() {
        let scratch = ScratchDatabase::create().await;
        (scratch.url.clone(), Some(scratch))
    } else {
        (format!("sqlite://{}", dir.join(name).display()), None)
    }
}

/// In the `env` of [`ServerProcess::start`]: this server stores in a SQLite file in every run
/// (for tests of what only SQLite has, such as its group commit).
pub const ON_SQLITE: (&str, &str) = ("LEADWIRE_TEST_ON", "sqlite");

/// On PostgreSQL, the database of the server processes started with `dir`: the same one each
/// time (a restarted server finds what it stored), created by the first. Its name is `dir`'s,
/// so it lives as long as the test's files; `scripts/test-postgres.sh` drops what a run leaves.
async fn process_database(dir: &tempfile::TempDir) -> String {
    let name = format!(
        "leadwire_test_{}",
        dir.path()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("process")
            .to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let admin = sqlx::PgPool::connect(&postgres_server_url()).await.unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&admin)
            .await
            .unwrap();
    if !exists {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
    }
    admin.close().await;
    format!(
        "{}/{name}",
        postgres_server_url().rsplit_once('/').unwrap().0
    )
}

/// The machine's PostgreSQL server (`LEADWIRE_TEST_POSTGRES`, default the local one that
/// `scripts/setup.sh --test` makes sure runs).
fn postgres_server_url() -> String {
    std::env::var("LEADWIRE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres:leadwire@127.0.0.1:5432/postgres".into())
}

/// A fresh database on the server, dropped when the test is done with it — also when the test
/// fails, so a red run leaves nothing behind on the machine's server.
pub struct ScratchDatabase {
    name: String,
    /// Its URL, for code that connects by itself.
    pub url: String,
    pub pool: sqlx::PgPool,
}

impl ScratchDatabase {
    pub async fn create() -> ScratchDatabase {
        let admin = sqlx::PgPool::connect(&postgres_server_url())
            .await
            .expect("PostgreSQL runs (scripts/setup.sh --test starts it)");
        let name = format!("leadwire_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let url = format!(
            "{}/{name}",
            postgres_server_url().rsplit_once('/').unwrap().0
        );
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        ScratchDatabase { name, url, pool }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // Drop runs on the test's runtime (or while a failed test unwinds), where nothing can
        // be awaited: a thread of its own with a runtime of its own drops the database.
        let name = self.name.clone();
        let result = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let admin = sqlx::PgPool::connect(&postgres_server_url()).await?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin)
                        .await
                        .map(|_| ())
                })
        })
        .join();
        if !matches!(result, Ok(Ok(()))) && !std::thread::panicking() {
            panic!("could not drop the scratch database: {result:?}");
        }
    }
}

/// A new lead's fields for store-level tests: a name and an email, stage New, nothing else.
pub fn lead_fields(name: &str, email: &str) -> leadwire::model::lead_input::LeadFields {
    leadwire::model::lead_input::LeadFields {
        name: name.into(),
        email: Some(email.into()),
        phone: None,
        whatsapp: None,
        instagram: None,
        company: None,
        stage: leadwire::model::lead::Stage::New,
        deal_value_cents: None,
        owner_id: None,
    }
}

/// A workspace with its owner and one lead ([`lead_fields`] "Lead"), made through `store`.
pub async fn workspace_with_lead(
    store: &leadwire::server::store::Store,
) -> (
    leadwire::model::ids::WorkspaceId,
    leadwire::model::ids::UserId,
    leadwire::model::ids::LeadId,
) {
    let owner = leadwire::server::store::workspaces::NewUser {
        name: "Owner",
        email: "owner@example.com",
        password_hash: "x",
    };
    let (workspace, owner) = store.create_workspace_with_owner("W", owner).await.unwrap();
    let lead = store
        .insert_lead(workspace, owner, &lead_fields("Lead", "lead@example.com"))
        .await
        .unwrap();
    (workspace, owner, lead.id)
}
