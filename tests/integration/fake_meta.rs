//! A fake Meta Graph API on a free local port, speaking its wire format:
//! `POST /v21.0/{phone-number-id|ig-account-id}/messages` with a JSON body and a bearer access
//! token; WhatsApp's answer `{messaging_product, contacts: [{input, wa_id}], messages: [{id}]}`,
//! Instagram's `{recipient_id, message_id}`, and Meta's error object
//! (`{error: {message, type, code, error_subcode, fbtrace_id}}`) otherwise; and the WhatsApp
//! Business Account's templates (`GET /v21.0/{waba-id}/message_templates`, paged as Meta pages).
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

use crate::support::{Session, TestServer};

pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const WABA_ID: &str = "102290129340398";
/// Templates per page of the fake's answer (Meta's default is 25): small, so paging is tested.
const TEMPLATES_PER_PAGE: usize = 2;
pub const IG_ACCOUNT_ID: &str = "17841405822304914";
pub const ACCESS_TOKEN: &str = "EAAJB3mLqWfQBOZC0ZAtestaccesstoken0123456789";
pub const APP_SECRET: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/// How the fake answers a send.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    /// Meta's error object with this HTTP status, code and message.
    Error(u16, i64, &'static str),
    /// Never answers (whether Meta took the message is unknown).
    Stall,
}

/// A send the fake took, as it arrived.
#[derive(Debug)]
pub struct Request {
    pub account: String,
    pub authorized: bool,
    pub body: Value,
    /// The id the fake gave it (None: refused).
    pub id: Option<String>,
}

type Files = Arc<Mutex<std::collections::HashMap<String, (String, Vec<u8>)>>>;

#[derive(Clone)]
struct Shared {
    plan: Arc<Mutex<VecDeque<Answer>>>,
    seen: mpsc::UnboundedSender<Request>,
    /// WhatsApp media by id: looked up at `/v21.0/{id}`, downloaded from `/files/{id}`.
    media: Files,
    base: Arc<Mutex<String>>,
    /// The WhatsApp Business Account's templates, as Meta lists them.
    templates: Arc<Mutex<Vec<Value>>>,
}

pub struct FakeMeta {
    pub base: String,
    plan: Arc<Mutex<VecDeque<Answer>>>,
    seen: mpsc::UnboundedReceiver<Request>,
    media: Files,
    templates: Arc<Mutex<Vec<Value>>>,
}

impl FakeMeta {
    pub async fn start() -> FakeMeta {
        let (tx, rx) = mpsc::unbounded_channel();
        let plan = Arc::new(Mutex::new(VecDeque::new()));
        let media: Files = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let base = Arc::new(Mutex::new(String::new()));
        let templates = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            plan: plan.clone(),
            seen: tx,
            media: media.clone(),
            base: base.clone(),
            templates: templates.clone(),
        };
        let app = Router::new()
            .route("/v21.0/{account}/messages", post(messages))
            .route("/v21.0/{id}", axum::routing::get(media_lookup))
            .route(
                "/v21.0/{waba}/message_templates",
                axum::routing::get(message_templates),
            )
            .route("/files/{id}", axum::routing::get(media_file))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        *base.lock().unwrap() = format!("http://{addr}");
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeMeta {
            base: format!("http://{addr}"),
            plan,
            seen: rx,
            media,
            templates,
        }
    }

    /// The templates the WhatsApp Business Account has, as Meta lists them.
    pub fn set_templates(&self, list: Vec<Value>) {
        *self.templates.lock().unwrap() = list;
    }

    /// Serves `data` as a WhatsApp media id; the id, as Meta's webhook names it.
    pub fn serve_media(&self, content_type: &str, data: Vec<u8>) -> String {
        let id = format!("{}", 1_000_000_000u64 + rand_id());
        self.media
            .lock()
            .unwrap()
            .insert(id.clone(), (content_type.to_string(), data));
        id
    }

    /// The next sends are answered like this, in order (then: accepted).
    pub fn answer_next(&self, answers: &[Answer]) {
        self.plan.lock().unwrap().extend(answers.iter().cloned());
    }

    /// A send that reached the fake and was not taken by [`FakeMeta::next_request`] yet.
    pub fn unseen_request(&mut self) -> Option<Request> {
        self.seen.try_recv().ok()
    }

    pub async fn next_request(&mut self) -> Request {
        tokio::time::timeout(std::time::Duration::from_secs(20), self.seen.recv())
            .await
            .expect("no request reached the fake Graph API within 20 s")
            .expect("fake Graph API stopped")
    }
}

async fn messages(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorized = [PHONE_NUMBER_ID, IG_ACCOUNT_ID].contains(&account.as_str())
        && headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(format!("Bearer {ACCESS_TOKEN}").as_str());
    let answer = if authorized {
        shared
            .plan
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Answer::Accept)
    } else {
        Answer::Error(
            401,
            190,
            "Error validating access token: Session has expired.",
        )
    };
    if let Answer::Stall = answer {
        let _ = shared.seen.send(Request {
            account,
            authorized,
            body,
            id: None,
        });
        return std::future::pending::<Response>().await;
    }
    let (response, id) = match answer {
        Answer::Stall => unreachable!("answered above"),
        Answer::Accept if account == PHONE_NUMBER_ID => {
            let id = format!("wamid.{}", uuid::Uuid::new_v4().simple());
            let to = body["to"].as_str().unwrap_or_default().to_string();
            let answer = json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": id}],
            });
            ((StatusCode::OK, Json(answer)).into_response(), Some(id))
        }
        Answer::Accept => {
            let id = format!("aWdf{}", uuid::Uuid::new_v4().simple());
            let answer = json!({"recipient_id": body["recipient"]["id"], "message_id": id});
            ((StatusCode::OK, Json(answer)).into_response(), Some(id))
        }
        Answer::Error(status, code, message) => {
            let answer = json!({"error": {
                "message": format!("(#{code}) {message}"),
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message},
                "fbtrace_id": "AazMMmv3Mp0XAb5UUhCrXvq",
            }});
            (
                (StatusCode::from_u16(status).unwrap(), Json(answer)).into_response(),
                None,
            )
        }
    };
    let _ = shared.seen.send(Request {
        account,
        authorized,
        body,
        id,
    });
    response
}

fn rand_id() -> u64 {
    (uuid::Uuid::new_v4().as_u128() % 1_000_000_000) as u64
}

fn bearer_ok(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {ACCESS_TOKEN}").as_str())
}

/// `GET /v21.0/{media-id}`: where the file is, as Meta answers it.
async fn media_lookup(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !bearer_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"message": "Invalid OAuth access token.", "code": 190}})),
        )
            .into_response();
    }
    let media = shared.media.lock().unwrap();
    let Some((content_type, data)) = media.get(&id) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": "Unsupported get request.", "code": 100}})),
        )
            .into_response();
    };
    let base = shared.base.lock().unwrap().clone();
    Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{base}/files/{id}"),
        "mime_type": content_type,
        "sha256": "not-checked-here",
        "file_size": data.len(),
        "id": id,
    }))
    .into_response()
}

/// `GET /v21.0/{waba-id}/message_templates`: a page of the account's templates, with
/// `paging.next` while more follow (`?after=` an index here; Meta's cursors are opaque).
async fn message_templates(
    State(shared): State<Shared>,
    Path(waba): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !bearer_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}})),
        )
            .into_response();
    }
    if waba != WABA_ID {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": format!("Unsupported get request. Object with ID '{waba}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."), "type": "GraphMethodException", "code": 100, "error_subcode": 33}})),
        )
            .into_response();
    }
    let all = shared.templates.lock().unwrap().clone();
    let from: usize = query.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let to = (from + TEMPLATES_PER_PAGE).min(all.len());
    let mut paging = json!({"cursors": {"before": from.to_string(), "after": to.to_string()}});
    if to < all.len() {
        let base = shared.base.lock().unwrap().clone();
        paging["next"] = json!(format!(
            "{base}/v21.0/{waba}/message_templates?fields=name,language,status&limit={TEMPLATES_PER_PAGE}&after={to}"
        ));
    }
    Json(json!({"data": all[from.min(to)..to], "paging": paging})).into_response()
}

/// The file itself, to the same bearer token only.
async fn media_file(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !bearer_ok(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match shared.media.lock().unwrap().get(&id) {
        Some((content_type, data)) => (
            [(axum::http::header::CONTENT_TYPE, content_type.clone())],
            data.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Connects `channel` to the fake Meta; returns its settings view (webhook URL, verify token).
pub async fn connect(server: &TestServer, owner: &Session, channel: &str) -> Value {
    let account = if channel == "instagram" {
        IG_ACCOUNT_ID
    } else {
        PHONE_NUMBER_ID
    };
    let res = server
        .rpc(
            &owner.client,
            "save_meta",
            &[
                ("channel", channel),
                ("account_id", account),
                ("access_token", ACCESS_TOKEN),
                ("app_secret", APP_SECRET),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains(ACCESS_TOKEN) && !text.contains(APP_SECRET),
        "secrets are write-only"
    );
    let channels: Value = serde_json::from_str(&text).unwrap();
    let view = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == channel)
        .unwrap()
        .clone();
    assert_eq!(view["route"], "meta");
    view["meta"].clone()
}
