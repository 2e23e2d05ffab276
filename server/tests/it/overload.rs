//! Overload: more ingest than the server will take at once is refused with
//! 503 and `Retry-After` (the request is not read, so memory stays bounded
//! by the ingest slots), nothing acknowledged is lost, and once the load
//! passes the server answers at once again, without a restart.

use crate::helpers::{event_with, post_ingest, TestApp};
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const CLIENTS: usize = 16;
const BATCHES: usize = 6;
const BATCH: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_refused_with_retry_after_and_nothing_acknowledged_is_lost() {
    let app = TestApp::with_config(|c| {
        c.ingest_concurrency = 1;
        c.ingest_queue_wait = std::time::Duration::from_millis(10);
    })
    .await;
    let refused = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (router, key, refused) = (app.router.clone(), app.ingest_key.clone(), refused.clone());
        clients.push(tokio::spawn(async move {
            let mut accepted = 0u64;
            for b in 0..BATCHES {
                let events: Vec<Value> =
                    (0..BATCH).map(|i| event_with(&format!("o-{c}-{b}-{i}"), "cost", json!("0.01"))).collect();
                let body = json!({ "events": events }).to_string();
                loop {
                    let (status, headers, bytes) = post_ingest(&router, &key, &body).await;
                    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
                        let after = headers.get("retry-after").map(|v| v.to_str().unwrap().to_string());
                        let secs: u64 = after
                            .as_deref()
                            .and_then(|v| v.parse().ok())
                            .unwrap_or_else(|| panic!("{status} without a Retry-After in seconds: {after:?}"));
                        assert!((1..=60).contains(&secs), "Retry-After {secs}");
                        let v: Value = serde_json::from_slice(&bytes).unwrap();
                        assert_eq!(v["error"]["code"], "overloaded", "{v}");
                        refused.fetch_add(1, Ordering::Relaxed);
                        // Real clients wait Retry-After; the test waits less to stay short.
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        continue;
                    }
                    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
                    let v: Value = serde_json::from_slice(&bytes).unwrap();
                    accepted += v["accepted"].as_u64().unwrap();
                    break;
                }
            }
            accepted
        }));
    }
    let mut accepted = 0;
    for c in clients {
        accepted += c.await.unwrap();
    }
    let total = (CLIENTS * BATCHES * BATCH) as u64;
    assert!(refused.load(Ordering::Relaxed) > 0, "16 clients on one ingest slot should have been refused some");
    assert_eq!(accepted, total, "every batch was acknowledged in the end");
    assert_eq!(app.store.count_events().await.unwrap(), total as i64, "and everything acknowledged is stored");
    let (status, r) = app.spend("from=2026-11-01&to=2026-11-05").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["total"]["calls"], total);

    // The load has passed: the next request is served at once, with no 503.
    let started = std::time::Instant::now();
    let (status, r) = app.post_events(json!([event_with("after", "cost", json!("0.01"))])).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(app.state.ingest_slots.available_permits(), 1, "no slot was leaked by the refused requests");
}
