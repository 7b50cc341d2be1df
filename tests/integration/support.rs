//! A real server per test: fresh database in a temp dir, real HTTP client with a cookie jar.
use leadwire::server::{app_router, settings::Settings};
use reqwest::{Client, Response};
use serde_json::{json, Value};

pub struct TestServer {
    pub base: String,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::from_sources(None, &|_| None).expect("default settings");
        settings.database_url = format!("sqlite://{}", dir.path().join("leadwire.db").display());
        settings.seed_demo = false;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        settings.site_addr = addr;
        settings.public_url = format!("http://{addr}");
        tweak(&mut settings);
        let state = app_router::prepare(settings).await.expect("open store");
        tokio::spawn(app_router::serve(listener, state));
        TestServer {
            base: format!("http://{addr}"),
            _dir: dir,
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
            .build()
            .expect("client")
    }

    /// Signs up a new workspace and returns a client holding its session.
    pub async fn signed_up(&self, email: &str, workspace: &str) -> Client {
        let client = self.client();
        let res = client
            .post(self.url("/api/auth/signup"))
            .json(&json!({"name": "Test User", "email": email, "password": "correct horse", "workspace": workspace}))
            .send()
            .await
            .expect("signup");
        assert_eq!(
            res.status(),
            201,
            "signup of {email} failed: {}",
            res.text().await.unwrap_or_default()
        );
        client
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

/// The JSON error body every API failure carries.
pub async fn error_body(res: Response) -> Value {
    let body: Value = res.json().await.expect("error body is JSON");
    assert!(body["error"].is_string(), "error code missing in {body}");
    assert!(body["message"].is_string(), "message missing in {body}");
    body
}
