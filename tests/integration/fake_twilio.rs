//! A fake Twilio REST API on a free local port, speaking Twilio's wire format:
//! `POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, HTTP Basic auth with the
//! Account SID and Auth Token, a JSON answer with `sid` and `status` (201), and Twilio's error
//! object (`code`, `message`, `more_info`, `status`) otherwise. Each request is handed to the test,
//! which can make the next answers fail, rate-limit or refuse.
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "fedcba9876543210fedcba9876543210";

/// How the fake answers a send.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    /// Twilio's error object with this HTTP status, code and message.
    Error(u16, i64, &'static str),
    /// Takes the message (its SID is in the request the test sees) but never answers.
    TakeAndStall,
}

/// A send the fake took, as it arrived.
#[derive(Debug)]
pub struct Request {
    pub account: String,
    pub authorized: bool,
    pub form: Vec<(String, String)>,
    /// The SID the fake gave it (None: it was refused).
    pub sid: Option<String>,
}

impl Request {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Media files by SID: (content type, bytes).
type Files = Arc<Mutex<std::collections::HashMap<String, (String, Vec<u8>)>>>;

#[derive(Clone)]
struct Shared {
    plan: Arc<Mutex<VecDeque<Answer>>>,
    seen: mpsc::UnboundedSender<Request>,
    /// Files served at their media URL (behind the account's Basic auth), by media SID.
    media: Files,
}

pub struct FakeTwilio {
    pub base: String,
    plan: Arc<Mutex<VecDeque<Answer>>>,
    seen: mpsc::UnboundedReceiver<Request>,
    media: Files,
}

impl FakeTwilio {
    pub async fn start() -> FakeTwilio {
        let (tx, rx) = mpsc::unbounded_channel();
        let plan = Arc::new(Mutex::new(VecDeque::new()));
        let media: Files = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let shared = Shared {
            plan: plan.clone(),
            seen: tx,
            media: media.clone(),
        };
        let app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/Messages.json", post(messages))
            .route(
                "/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}",
                axum::routing::get(media_file),
            )
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeTwilio {
            base: format!("http://{addr}"),
            plan,
            seen: rx,
            media,
        }
    }

    /// Serves `data` as a message's media file; its URL, as Twilio's webhook names it.
    pub fn serve_media(&self, message: &str, content_type: &str, data: Vec<u8>) -> String {
        let sid = format!("ME{}", uuid::Uuid::new_v4().simple());
        self.media
            .lock()
            .unwrap()
            .insert(sid.clone(), (content_type.to_string(), data));
        format!(
            "{}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message}/Media/{sid}",
            self.base
        )
    }

    /// The next sends are answered like this, in order (then: accepted).
    pub fn answer_next(&self, answers: &[Answer]) {
        self.plan.lock().unwrap().extend(answers.iter().cloned());
    }

    /// The next send that reaches the fake.
    pub async fn next_request(&mut self) -> Request {
        tokio::time::timeout(std::time::Duration::from_secs(20), self.seen.recv())
            .await
            .expect("no request reached the fake Twilio within 20 s")
            .expect("fake Twilio stopped")
    }
}

async fn messages(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    let authorized = account == ACCOUNT_SID
        && headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str());
    let has = |name: &str| form.iter().any(|(k, v)| k == name && !v.is_empty());
    // Twilio needs something to send: text, media, or a Content Template.
    let empty = !has("Body") && !has("MediaUrl") && !has("ContentSid");
    let answer = if authorized && empty {
        Answer::Error(
            400,
            21619,
            "A text message body or media URL must be specified.",
        )
    } else if authorized {
        shared
            .plan
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Answer::Accept)
    } else {
        Answer::Error(401, 20003, "Authenticate")
    };
    if let Answer::TakeAndStall = answer {
        let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
        let _ = shared.seen.send(Request {
            account,
            authorized,
            form,
            sid: Some(sid),
        });
        return std::future::pending::<Response>().await;
    }
    let (response, sid) = match answer {
        Answer::TakeAndStall => unreachable!("answered above"),
        Answer::Accept => {
            let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
            let field = |name: &str| {
                form.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let body = json!({
                "account_sid": account,
                "api_version": "2010-04-01",
                "body": field("Body"),
                "direction": "outbound-api",
                "error_code": null,
                "error_message": null,
                "from": field("From"),
                "messaging_service_sid": null,
                "num_segments": "1",
                "sid": sid,
                "status": "queued",
                "to": field("To"),
                "uri": format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
            });
            ((StatusCode::CREATED, Json(body)).into_response(), Some(sid))
        }
        Answer::Error(status, code, message) => {
            let body = json!({
                "code": code,
                "message": message,
                "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
                "status": status,
            });
            (
                (StatusCode::from_u16(status).unwrap(), Json(body)).into_response(),
                None,
            )
        }
    };
    let _ = shared.seen.send(Request {
        account,
        authorized,
        form,
        sid,
    });
    response
}

/// `GET …/Media/{sid}`: the file, to the account's Basic auth only.
async fn media_file(
    State(shared): State<Shared>,
    Path((account, _message, sid)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    if account != ACCOUNT_SID
        || headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str())
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match shared.media.lock().unwrap().get(&sid) {
        Some((content_type, data)) => (
            [(axum::http::header::CONTENT_TYPE, content_type.clone())],
            data.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
