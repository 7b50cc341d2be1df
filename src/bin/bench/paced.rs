//! Paced delivery: sends at a fixed rate, whether or not the server keeps up (open loop, as the
//! shared kit's P2), to sockets split over one or several instances. Reports every receipt's
//! latency per instance the sockets are on, the full fan-out per send (the slowest socket),
//! and what had not arrived 10 s after the last send.

use super::{listeners, ms, percentile, send, setup, Fallible};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long after the last send a receipt still counts; later ones are "undelivered".
const GRACE: Duration = Duration::from_secs(10);

pub async fn paced(
    url: &str,
    listens: &[String],
    clients: usize,
    rate: u32,
    seconds: u32,
) -> Fallible<()> {
    if rate == 0 || seconds == 0 {
        return Err("--rate and --seconds must be at least 1".into());
    }
    let setup = Arc::new(setup(url).await?);
    let total = rate as usize * seconds as usize;
    let ids: Vec<String> = (0..total)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let index: Arc<HashMap<String, usize>> = Arc::new(
        ids.iter()
            .cloned()
            .enumerate()
            .map(|(i, id)| (id, i))
            .collect(),
    );

    // Sockets round-robin over the instances; each instance's receipts on their own channel.
    let mut groups = Vec::new();
    for (g, listen) in listens.iter().enumerate() {
        let count = clients / listens.len() + usize::from(g < clients % listens.len());
        let (tx, rx) = mpsc::unbounded_channel();
        listeners(listen, &setup.cookie, count, tx).await?;
        groups.push((listen.clone(), count, rx));
    }

    let run_started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate);
    let mut sends = Vec::with_capacity(total);
    for id in &ids {
        ticker.tick().await;
        let (setup, url, id) = (setup.clone(), url.to_string(), id.clone());
        // Each send answers when its POST started and whether it was stored.
        sends.push(tokio::spawn(async move {
            let start = Instant::now();
            (start, send(&setup, &url, &id).await.is_ok())
        }));
    }
    let sent_in = run_started.elapsed();
    let deadline = tokio::time::Instant::now() + GRACE;
    // Receipts wait in their channels meanwhile, stamped as they arrived.
    let mut started = Vec::with_capacity(total);
    let mut failures = 0;
    for send in sends {
        let (start, stored) = send.await?;
        started.push(start);
        failures += usize::from(!stored);
    }

    // Drain every instance's receipts until all arrived or the grace ran out.
    let mut slowest = vec![Duration::ZERO; total];
    let mut reached = vec![0usize; total];
    for (listen, count, mut rx) in groups {
        let mut latencies = Vec::with_capacity(count * total);
        while latencies.len() < count * total {
            let Ok(Some((cid, at))) = tokio::time::timeout_at(deadline, rx.recv()).await else {
                break;
            };
            let Some(&i) = index.get(&cid) else { continue };
            let latency = at.duration_since(started[i]);
            latencies.push(latency);
            slowest[i] = slowest[i].max(latency);
            reached[i] += 1;
        }
        println!(
            "paced      sockets={count:<5} on {listen}  every receipt: p50={} p99={}  undelivered={}",
            ms(percentile(&mut latencies, 50.0)),
            ms(percentile(&mut latencies, 99.0)),
            count * total - latencies.len(),
        );
    }
    let mut full: Vec<Duration> = slowest
        .into_iter()
        .zip(&reached)
        .filter(|(_, &n)| n == clients)
        .map(|(d, _)| d)
        .collect();
    println!(
        "paced      clients={clients:<5} rate={rate}/s sends={total} in {:.2}s ({} failed)  full fan-out: p50={} p99={}  sends reaching every socket: {}/{total}",
        sent_in.as_secs_f64(),
        failures,
        ms(percentile(&mut full, 50.0)),
        ms(percentile(&mut full, 99.0)),
        full.len(),
    );
    Ok(())
}
