//! A fake Twilio REST API on a free local port, speaking Twilio's wire format:
//! `POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, HTTP Basic auth with the
//! Account SID and Auth Token, a JSON answer with `sid` and `status` (201), and Twilio's error
//! object (`code`, `message`, `more_info`, `status`) otherwise. Each request is handed to the test,
//! which can make the next answers fail, rate-limit, refuse or never come. It also lists the
//! messages it took (`GET …/Messages.json?To=…&From=…&PageSize=…`, newest first, with Twilio's
//! RFC 2822 `date_created`), as Twilio does.
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
    /// Never answers, and does not take the message (the request the test sees has no SID).
    Stall,
}

/// A message the fake took, as its list shows it.
#[derive(Debug, Clone)]
struct Taken {
    sid: String,
    to: String,
    from: String,
    body: String,
    created: chrono::DateTime<chrono::Utc>,
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
    taken: Arc<Mutex<Vec<Taken>>>,
    lookups: Arc<std::sync::atomic::AtomicUsize>,
}

pub struct FakeTwilio {
    pub base: String,
    plan: Arc<Mutex<VecDeque<Answer>>>,
    seen: mpsc::UnboundedReceiver<Request>,
    media: Files,
    lookups: Arc<std::sync::atomic::AtomicUsize>,
}

impl FakeTwilio {
    pub async fn start() -> FakeTwilio {
        let (tx, rx) = mpsc::unbounded_channel();
        let plan = Arc::new(Mutex::new(VecDeque::new()));
        let media: Files = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let shared = Shared {
            plan: plan.clone(),
            seen: tx,
            media: media.clone(),
            taken: Arc::default(),
            lookups: lookups.clone(),
        };
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                post(messages).get(list_messages),
            )
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
            lookups,
        }
    }

    /// A send that reached the fake and was not taken by [`FakeTwilio::next_request`] yet.
    pub fn unseen_request(&mut self) -> Option<Request> {
        self.seen.try_recv().ok()
    }

    /// How many times the message list was asked for.
    pub fn lookups(&self) -> usize {
        self.lookups.load(std::sync::atomic::Ordering::SeqCst)
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
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let take = || {
        let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
        shared.taken.lock().unwrap().push(Taken {
            sid: sid.clone(),
            to: field("To"),
            from: field("From"),
            body: field("Body"),
            created: chrono::Utc::now(),
        });
        sid
    };
    if let Answer::TakeAndStall | Answer::Stall = answer {
        let sid = matches!(answer, Answer::TakeAndStall).then(take);
        let _ = shared.seen.send(Request {
            account,
            authorized,
            form,
            sid,
        });
        return std::future::pending::<Response>().await;
    }
    let (response, sid) = match answer {
        Answer::TakeAndStall | Answer::Stall => unreachable!("answered above"),
        Answer::Accept => {
            let sid = take();
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

/// `GET …/Messages.json`: the messages the fake took, newest first, filtered by `To` and
/// `From`, at most `PageSize` of them, to the account's Basic auth only.
async fn list_messages(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    shared
        .lookups
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    if account != ACCOUNT_SID
        || headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str())
    {
        let body = json!({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    let page_size: usize = query
        .get("PageSize")
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let wanted = |name: &str, value: &str| query.get(name).is_none_or(|v| v == value);
    let messages: Vec<_> = shared
        .taken
        .lock()
        .unwrap()
        .iter()
        .rev()
        .filter(|m| wanted("To", &m.to) && wanted("From", &m.from))
        .take(page_size)
        .map(|m| {
            json!({
                "account_sid": account,
                "api_version": "2010-04-01",
                "body": m.body,
                "date_created": m.created.format("%a, %d %b %Y %H:%M:%S %z").to_string(),
                "date_sent": null,
                "direction": "outbound-api",
                "from": m.from,
                "sid": m.sid,
                "status": "queued",
                "to": m.to,
                "uri": format!("/2010-04-01/Accounts/{account}/Messages/{}.json", m.sid),
            })
        })
        .collect();
    Json(json!({
        "messages": messages,
        "page": 0,
        "page_size": page_size,
        "next_page_uri": null,
        "uri": format!("/2010-04-01/Accounts/{account}/Messages.json"),
    }))
    .into_response()
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
