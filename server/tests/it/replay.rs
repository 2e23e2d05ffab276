//! Replay: the same 10,000-event batch (two requests of 5,000, the most one
//! request may carry) sent 20 times at once is stored once, and spend counts
//! it once. Clients retry a 503 (ingest saturated), as real ones do.

use crate::helpers::{event_with, post_ingest, TestApp};
use axum::http::StatusCode;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_sent_twenty_times_at_once_is_counted_once() {
    let app = TestApp::new().await;
    let events: Vec<Value> = (0..10_000)
        .map(|i| {
            let mut e = event_with(&format!("replay-{i:05}"), "cost", json!("0.001"));
            e["tags"] = json!({"team": "core", "workflow": format!("wf-{}", i % 7)});
            e
        })
        .collect();
    let halves: Vec<String> = events.chunks(5_000).map(|c| json!({ "events": c }).to_string()).collect();
    let key = app.ingest_key.clone();
    let mut clients = Vec::new();
    for _ in 0..20 {
        let (router, halves, key) = (app.router.clone(), halves.clone(), key.clone());
        clients.push(tokio::spawn(async move {
            let mut accepted = 0u64;
            for body in halves {
                loop {
                    let (status, _, bytes) = post_ingest(&router, &key, &body).await;
                    if status == StatusCode::SERVICE_UNAVAILABLE {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
                    let v: Value = serde_json::from_slice(&bytes).unwrap();
                    accepted += v["accepted"].as_u64().unwrap();
                    assert_eq!(v["accepted"].as_u64().unwrap() + v["duplicates"].as_u64().unwrap(), 5_000);
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
    assert_eq!(accepted, 10_000, "across all clients, each event is accepted exactly once");
    assert_eq!(app.store.count_events().await.unwrap(), 10_000);
    let (status, r) = app.spend("from=2026-11-01&to=2026-11-05&group_by=workflow").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["total"]["cost"], "10.00");
    assert_eq!(r["total"]["calls"], 10_000);
    // Rollups agree with a recomputation from the raw events.
    let q = domain::SpendQuery::from_params(
        &[("from".to_string(), "2026-11-01".to_string()), ("to".to_string(), "2026-11-05".to_string())],
        chrono::Utc::now(),
    )
    .unwrap();
    let (rolled, raw) = (app.store.spend(&q).await.unwrap(), app.store.spend_from_events(&q).await.unwrap());
    assert_eq!(rolled.total, raw.total);
}
