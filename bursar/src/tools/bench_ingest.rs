//! The bench's ingest clients: request bodies sent as fast as the server
//! takes them, over one process or several.

use std::time::{Duration, Instant};

/// Sends all bodies with `clients` concurrent clients (client `i` to
/// `urls[i % urls.len()]`: several processes share the load); returns wall
/// time and per-request latencies. A 429 or 503 is retried after 200 ms.
pub async fn ingest(
    urls: &[String],
    key: &str,
    bodies: Vec<Vec<u8>>,
    clients: usize,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let client = reqwest::Client::new();
    let queue = std::sync::Arc::new(tokio::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (client, queue, url, key) = (client.clone(), queue.clone(), urls[i % urls.len()].clone(), key.to_string());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let Some(body) = queue.lock().await.pop() else {
                    break;
                };
                let t = Instant::now();
                loop {
                    let resp = client
                        .post(&url)
                        .bearer_auth(&key)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await?;
                    match resp.status().as_u16() {
                        200 => break,
                        429 | 503 => tokio::time::sleep(Duration::from_millis(200)).await,
                        s => anyhow::bail!("ingest answered {s}: {}", resp.text().await.unwrap_or_default()),
                    }
                }
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = started.elapsed();
    all.sort();
    Ok((wall, all))
}
