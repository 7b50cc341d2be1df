//! Leadwire's load generator: drives a running (release) server over real HTTP and WebSockets
//! and prints latency percentiles and throughput. `make bench` starts the server and runs it.
//!
//!   leadwire-bench delivery   --url http://127.0.0.1:3300 --clients 1,1000 --sends 200
//!                             [--listen http://127.0.0.1:3302]  (sockets on another instance)
//!   leadwire-bench delivery   --url http://127.0.0.1:3300 --clients 1000 --rate 100 --seconds 10
//!                             [--listen http://127.0.0.1:3301,http://127.0.0.1:3302]
//!                             (paced: sockets split over the instances listed)
//!   leadwire-bench throughput --url http://127.0.0.1:3300 --senders 16 --messages 4000
//!   leadwire-bench receipt    --url http://127.0.0.1:3300 --samples 200
//!   leadwire-bench pixel      --url http://127.0.0.1:3300 --connections 64 --seconds 10
//!   leadwire-bench seed       --database sqlite:///tmp/inbox.db --leads 100000 --messages 1000000
//!   leadwire-bench inbox      --url http://127.0.0.1:3301 --concurrency 8 --seconds 10 --searches 300 [--sends-per-second N]
//!   leadwire-bench kpis       --url http://127.0.0.1:3301 --samples 50
//!   leadwire-bench webhook    --url http://127.0.0.1:3300 --concurrency 16 --messages 4000
#[path = "bench/inbox.rs"]
mod inbox;
#[path = "bench/kpis.rs"]
mod kpis;
#[path = "bench/paced.rs"]
mod paced;
#[path = "bench/pixel.rs"]
mod pixel;
#[path = "bench/webhook.rs"]
mod webhook;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message as WsMessage};

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("");
    let flag = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let url = flag("--url", "http://127.0.0.1:3300");
    println!("machine: {}", machine());
    println!("server:  {url} (release build)");
    match command {
        "delivery" => {
            let sends: usize = flag("--sends", "200").parse()?;
            let listen = flag("--listen", &url);
            let rate = flag("--rate", "");
            for clients in flag("--clients", "1,1000").split(',') {
                let clients = clients.trim().parse()?;
                if rate.is_empty() {
                    delivery(&url, &listen, clients, sends).await?;
                } else {
                    let listens: Vec<String> = listen.split(',').map(str::to_string).collect();
                    let seconds = flag("--seconds", "10").parse()?;
                    paced::paced(&url, &listens, clients, rate.parse()?, seconds).await?;
                }
            }
        }
        "throughput" => {
            throughput(
                &url,
                flag("--senders", "16").parse()?,
                flag("--messages", "4000").parse()?,
            )
            .await?
        }
        "seed" => {
            inbox::seed(
                &flag("--database", "sqlite://data/bench-inbox.db"),
                flag("--leads", "100000").parse()?,
                flag("--messages", "1000000").parse()?,
            )
            .await?
        }
        "inbox" => {
            inbox::inbox(
                &url,
                flag("--concurrency", "8").parse()?,
                flag("--seconds", "10").parse()?,
                flag("--searches", "300").parse()?,
                flag("--sends-per-second", "0").parse()?,
            )
            .await?
        }
        "kpis" => kpis::kpis(&url, flag("--samples", "50").parse()?).await?,
        "webhook" => {
            webhook::webhook(
                &url,
                flag("--concurrency", "16").parse()?,
                flag("--messages", "4000").parse()?,
            )
            .await?
        }
        "receipt" => pixel::receipt(&url, flag("--samples", "200").parse()?).await?,
        "pixel" => {
            pixel::pixel(
                &url,
                flag("--connections", "64").parse()?,
                flag("--seconds", "10").parse()?,
            )
            .await?
        }
        _ => {
            eprintln!("usage: leadwire-bench delivery|throughput|receipt|pixel|seed|inbox|kpis|webhook [--url U] [--clients 1,1000] [--sends N] [--rate N] [--listen U,U] [--senders N] [--messages N] [--samples N] [--connections N] [--seconds N] [--concurrency N]");
            std::process::exit(2);
        }
    }
    Ok(())
}

/// A fresh workspace with one lead to message, and the session cookie.
struct Setup {
    http: reqwest::Client,
    cookie: String,
    lead: String,
    /// What sends go out on: `chat` (stored and fanned out, as the shared load generator sends)
    /// or `sms` (also delivered, to the sandbox: a delivery claimed and accepted per message).
    channel: String,
}

async fn setup(url: &str) -> Fallible<Setup> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = http
        .post(format!("{url}/api/auth/signup"))
        .json(&json!({"name": "Bench", "email": email, "password": "benchmark-pass", "workspace": "Bench"}))
        .send()
        .await?;
    if res.status() != 201 {
        return Err(format!("sign-up failed: {}", res.status()).into());
    }
    let cookie = session_cookie(&res).ok_or("no session cookie")?;
    let lead: Value = http
        .post(format!("{url}/api/leads"))
        .header("cookie", &cookie)
        .json(&json!({"name": "Bench Lead", "phone": "+14155550100", "email": "bench-lead@example.com"}))
        .send()
        .await?
        .json()
        .await?;
    let lead = lead["id"].as_str().ok_or("no lead id")?.to_string();
    let channel = std::env::var("BENCH_CHANNEL").unwrap_or_else(|_| "chat".into());
    Ok(Setup {
        http,
        cookie,
        lead,
        channel,
    })
}

/// The `lw_session=…` pair a sign-up or sign-in answer sets.
fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lw_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

async fn send(setup: &Setup, url: &str, client_id: &str) -> Fallible<()> {
    let res = setup
        .http
        .post(format!("{url}/api/messages/{}", setup.lead))
        .header("cookie", &setup.cookie)
        .json(
            &json!({"channel": setup.channel, "body": "benchmark message", "client_id": client_id}),
        )
        .send()
        .await?;
    if res.status() != 201 {
        return Err(format!("send failed: {}", res.status()).into());
    }
    Ok(())
}

/// Opens `count` sockets, each resumed and live; every message frame's client_id and arrival
/// time go to `arrivals`.
async fn listeners(
    url: &str,
    cookie: &str,
    count: usize,
    arrivals: mpsc::UnboundedSender<(String, Instant)>,
) -> Fallible<()> {
    let mut ready = Vec::new();
    for _ in 0..count {
        let mut socket = live_socket(url, cookie).await?;
        let arrivals = arrivals.clone();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        ready.push(done_rx);
        tokio::spawn(async move {
            let _ = done_tx.send(());
            while let Some(Ok(frame)) = socket.next().await {
                if let WsMessage::Text(text) = frame {
                    let now = Instant::now();
                    // A substring scan, not a JSON parse: the load generator shares the CPU with
                    // the server, and 1,000 parses per send would be measured as latency.
                    if let Some(id) = client_id_of(text.as_str()) {
                        let _ = arrivals.send((id.to_string(), now));
                    }
                }
            }
        });
    }
    for r in ready {
        let _ = r.await;
    }
    Ok(())
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket resumed from the current head and live.
async fn live_socket(url: &str, cookie: &str) -> Fallible<Socket> {
    let mut request =
        format!("ws://{}/ws", url.trim_start_matches("http://")).into_client_request()?;
    request.headers_mut().insert("cookie", cookie.parse()?);
    // A small read buffer: tungstenite zero-fills its whole read buffer (128 KiB by default)
    // before every read, which made this load generator spend more CPU than the server it
    // measures, on the same two cores. Frames here are a few hundred bytes.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), false).await?;
    let hello = next_text(&mut socket).await?;
    let head = serde_json::from_str::<Value>(&hello)?["head"]
        .as_i64()
        .unwrap_or(0);
    socket
        .send(WsMessage::Text(
            json!({"type": "resume", "after": head}).to_string().into(),
        ))
        .await?;
    loop {
        if serde_json::from_str::<Value>(&next_text(&mut socket).await?)?["type"] == "live" {
            return Ok(socket);
        }
    }
}

/// The `client_id` of a `messages_updated` frame.
fn client_id_of(frame: &str) -> Option<&str> {
    let start = frame.find("\"client_id\":\"")? + "\"client_id\":\"".len();
    let len = frame[start..].find('"')?;
    Some(&frame[start..start + len])
}

async fn next_text<S>(socket: &mut S) -> Fallible<String>
where
    S: StreamExt<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await? {
            Some(Ok(WsMessage::Text(t))) => return Ok(t.to_string()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err("socket closed".into()),
        }
    }
}

/// Send → receive latency: one sender, `clients` listening sockets, `sends` messages one after
/// another. Latency runs from just before the POST to the frame's arrival at each socket. The
/// sockets connect to `listen` (another instance on the same database, or `url` itself).
async fn delivery(url: &str, listen: &str, clients: usize, sends: usize) -> Fallible<()> {
    let setup = setup(url).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let connect_started = Instant::now();
    listeners(listen, &setup.cookie, clients, tx).await?;
    let connect_time = connect_started.elapsed();
    let mut started: HashMap<String, Instant> = HashMap::new();
    let mut all = Vec::with_capacity(clients * sends);
    let mut slowest = Vec::with_capacity(sends);
    for _ in 0..sends {
        let id = uuid::Uuid::new_v4().to_string();
        let t0 = Instant::now();
        started.insert(id.clone(), t0);
        send(&setup, url, &id).await?;
        // Wait until every socket has it before the next send, so sends do not queue up.
        let mut got = 0;
        let mut last = Duration::ZERO;
        while got < clients {
            let (cid, at) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await?
                .ok_or("listeners ended")?;
            if let Some(start) = started.get(&cid) {
                let latency = at.duration_since(*start);
                all.push(latency);
                if cid == id {
                    got += 1;
                    last = last.max(latency);
                }
            }
        }
        slowest.push(last);
    }
    println!(
        "delivery   clients={clients:<5} sends={sends:<5} connect={:.1}s  every receipt: p50={} p99={}  last socket per send: p50={} p99={}",
        connect_time.as_secs_f64(),
        ms(percentile(&mut all, 50.0)),
        ms(percentile(&mut all, 99.0)),
        ms(percentile(&mut slowest, 50.0)),
        ms(percentile(&mut slowest, 99.0)),
    );
    Ok(())
}

/// Sustained sends: `senders` concurrent HTTP clients post `messages` in total.
async fn throughput(url: &str, senders: usize, messages: usize) -> Fallible<()> {
    let setup = Arc::new(setup(url).await?);
    let per_sender = messages / senders.max(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let setup = setup.clone();
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_sender);
            for _ in 0..per_sender {
                let t0 = Instant::now();
                send(&setup, &url, &uuid::Uuid::new_v4().to_string()).await?;
                latencies.push(t0.elapsed());
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    println!(
        "throughput senders={senders:<3} messages={:<6} elapsed={:.2}s  sends/s={:.0}  request p50={} p99={}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&mut latencies, 50.0)),
        ms(percentile(&mut latencies, 99.0)),
    );
    Ok(())
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1000.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "{cpu}, {cores} cores, {} (load generator and server share the machine)",
        std::env::consts::OS
    )
}
