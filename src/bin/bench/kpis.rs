//! Dashboard queries on the generated workspace of `seed` (100,000 leads, 1,000,000 messages
//! over 90 days): each KPI and chart endpoint, per period and with a channel filter, called
//! one after another; p50/p99 per query.
use super::{ms, percentile, Fallible};
use std::time::Instant;

pub async fn kpis(url: &str, samples: usize) -> Fallible<()> {
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{url}/api/auth/login"))
        .json(
            &serde_json::json!({"email": super::inbox::EMAIL, "password": super::inbox::PASSWORD}),
        )
        .send()
        .await?;
    let cookie =
        super::session_cookie(&res).ok_or("login failed: run `leadwire-bench seed` first")?;
    let mut queries: Vec<(String, String)> = Vec::new();
    for period in ["today", "7d", "30d"] {
        for channel in ["", "email"] {
            for endpoint in ["kpis", "analytics"] {
                let label = format!(
                    "{endpoint} {period}{}",
                    if channel.is_empty() {
                        String::new()
                    } else {
                        format!(" {channel}")
                    }
                );
                let path =
                    format!("/api/dashboard/{endpoint}?period={period}&channel={channel}&tz=60");
                queries.push((label, path));
            }
        }
    }
    queries.push(("activity feed".into(), "/api/activity".into()));
    for (label, path) in queries {
        let mut latencies = Vec::with_capacity(samples);
        for _ in 0..samples {
            let t0 = Instant::now();
            let res = http
                .get(format!("{url}{path}"))
                .header("cookie", &cookie)
                .send()
                .await?;
            if res.status() != 200 {
                return Err(format!("{path} answered {}", res.status()).into());
            }
            res.bytes().await?;
            latencies.push(t0.elapsed());
        }
        println!(
            "dashboard  {label:<24} samples={samples} p50={} p99={}",
            ms(percentile(&mut latencies, 50.0)),
            ms(percentile(&mut latencies, 99.0)),
        );
    }
    Ok(())
}
