//! `leadwire-bench webhook`: Twilio's inbound webhook under load — signed form posts of new
//! SMS from 100 numbers, `--concurrency` at a time, each stored (new lead or existing thread,
//! event, feed entry, rollups) before it is answered.
use super::{ms, percentile, setup, Fallible};
use leadwire::server::channels::twilio::{signature, SIGNATURE_HEADER};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// A token of our own making: the bench connects SMS to "Twilio" with it, then signs as Twilio.
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

pub async fn webhook(url: &str, concurrency: usize, messages: usize) -> Fallible<()> {
    let s = setup(url).await?;
    let res = s
        .http
        .post(format!("{url}/rpc/save_twilio"))
        .header("cookie", &s.cookie)
        .header("origin", url)
        .form(&[
            ("channel", "sms"),
            ("account_sid", "AC0123456789abcdef0123456789abcdef"),
            ("auth_token", TOKEN),
            ("sender", "+14155550100"),
            ("enabled", "on"),
        ])
        .send()
        .await?;
    if !res.status().is_success() {
        return Err(format!("connecting SMS failed: {}", res.status()).into());
    }
    let channels: Value = res.json().await?;
    let hook = channels
        .as_array()
        .and_then(|all| all.iter().find(|c| c["channel"] == "sms"))
        .and_then(|c| c["twilio"]["webhook_url"].as_str())
        .ok_or("no webhook URL")?
        .to_string();
    let http = Arc::new(s.http.clone());
    let per_task = messages / concurrency.max(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let (http, hook) = (http.clone(), hook.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            for n in 0..per_task {
                let params: Vec<(String, String)> = [
                    ("MessageSid", format!("SM{}", uuid::Uuid::new_v4().simple())),
                    ("AccountSid", "AC0123456789abcdef0123456789abcdef".into()),
                    (
                        "From",
                        format!("+1415555{:04}", (task * per_task + n) % 100),
                    ),
                    ("To", "+14155550100".into()),
                    ("Body", format!("Reply {n} from task {task}")),
                    ("NumMedia", "0".into()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                let signed = signature(TOKEN, &hook, &params);
                let t0 = Instant::now();
                let res = http
                    .post(&hook)
                    .header(SIGNATURE_HEADER, signed)
                    .form(&params)
                    .send()
                    .await?;
                if res.status() != 200 {
                    return Err(format!("webhook answered {}", res.status()).into());
                }
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
        "webhook concurrency={concurrency:<3} messages={:<6} elapsed={:.2}s  stored/s={:.0}  answer p50={} p99={}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&mut latencies, 50.0)),
        ms(percentile(&mut latencies, 99.0)),
    );
    Ok(())
}
