//! Email tracking scenarios: the pixel endpoint under load, and how long a pixel hit takes to
//! reach the sender's socket as a read receipt.
use super::{live_socket, ms, next_text, percentile, setup, Fallible};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

/// Sends one tracked email and returns its message id and pixel token once it is delivered.
async fn tracked_email(setup: &super::Setup, url: &str) -> Fallible<(String, String)> {
    let res = setup
        .http
        .post(format!("{url}/api/messages/{}", setup.lead))
        .header("cookie", &setup.cookie)
        .json(&json!({"channel": "email", "subject": "Benchmark", "body": "Hello https://example.com/x", "client_id": uuid::Uuid::new_v4().to_string()}))
        .send()
        .await?;
    let message: Value = res.json().await?;
    let id = message["id"].as_str().ok_or("no message id")?.to_string();
    // The outbox serves the HTML once the worker has delivered it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = setup
            .http
            .get(format!("{url}/outbox/{id}/html"))
            .header("cookie", &setup.cookie)
            .send()
            .await?;
        if res.status() == 200 {
            let html = res.text().await?;
            let at = html.find("/t/o/").ok_or("no pixel in the email")? + 5;
            return Ok((id, html[at..at + 32].to_string()));
        }
        if Instant::now() > deadline {
            return Err("email not delivered within 10 s".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Pixel hit → `messages_updated` with `opened_at` on the sender's socket, `samples` times
/// (a fresh email each time, so every hit changes the receipt).
pub async fn receipt(url: &str, samples: usize) -> Fallible<()> {
    let setup = setup(url).await?;
    let mut socket = live_socket(url, &setup.cookie).await?;
    let http = reqwest::Client::new();
    let mut delays = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (id, token) = tracked_email(&setup, url).await?;
        let t0 = Instant::now();
        let res = http
            .get(format!("{url}/t/o/{token}"))
            .header("user-agent", BROWSER)
            .send()
            .await?;
        if res.status() != 200 {
            return Err(format!("pixel answered {}", res.status()).into());
        }
        loop {
            let frame = next_text(&mut socket).await?;
            if frame.contains(&id) && frame.contains("\"opened_at\":\"") {
                delays.push(t0.elapsed());
                break;
            }
        }
    }
    println!(
        "receipt    samples={samples:<4} pixel hit → sender's socket: p50={} p99={} max={}",
        ms(percentile(&mut delays, 50.0)),
        ms(percentile(&mut delays, 99.0)),
        ms(percentile(&mut delays, 100.0)),
    );
    Ok(())
}

/// `connections` keep-alive connections request the pixel back to back for `seconds`.
/// A minimal HTTP/1.1 client on raw sockets, so the load generator spends little of the CPU
/// it shares with the server.
pub async fn pixel(url: &str, connections: usize, seconds: u64) -> Fallible<()> {
    let setup = setup(url).await?;
    let (_, token) = tracked_email(&setup, url).await?;
    let host = url.trim_start_matches("http://").to_string();
    let request = format!(
        "GET /t/o/{token} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {BROWSER}\r\nAccept: image/*\r\n\r\n"
    );
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let host = host.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&host).await?;
            stream.set_nodelay(true)?;
            let mut latencies = Vec::new();
            let mut buf = vec![0u8; 4096];
            while Instant::now() < until {
                let t0 = Instant::now();
                stream.write_all(request.as_bytes()).await?;
                read_response(&mut stream, &mut buf).await?;
                latencies.push(t0.elapsed());
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let elapsed = started.elapsed();
    println!(
        "pixel      connections={connections:<3} requests={:<8} elapsed={:.1}s  hits/s={:.0}  p50={} p99={}",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&mut all, 50.0)),
        ms(percentile(&mut all, 99.0)),
    );
    Ok(())
}

/// Reads one response with a Content-Length body; errors on anything but 200.
async fn read_response(stream: &mut tokio::net::TcpStream, buf: &mut [u8]) -> Fallible<()> {
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Err("connection closed".into());
        }
        filled += n;
        let head = &buf[..filled];
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = std::str::from_utf8(&head[..end])?;
            if !text.starts_with("HTTP/1.1 200") {
                return Err(format!("unexpected response: {text}").into());
            }
            let length: usize = text
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .ok_or("no content-length")?;
            if filled >= end + 4 + length {
                return Ok(());
            }
        }
        if filled == buf.len() {
            return Err("response too large".into());
        }
    }
}
