//! `POST /api/v1/events`: acceptance, pricing, and every kind of bad input.

use crate::helpers::{event, event_with, TestApp};
use axum::http::StatusCode;
use serde_json::{json, Value};

async fn rejected_one(field: &str, value: Value) -> (StatusCode, Value) {
    let app = TestApp::new().await;
    app.post_events(json!([event_with("bad", field, value), event("good")])).await
}

fn first_error(body: &Value) -> &str {
    body["rejected"][0]["error"].as_str().unwrap_or("")
}

#[tokio::test]
async fn accepts_and_prices_events() {
    let app = TestApp::new().await;
    let with_cost = event_with("a", "cost", json!("0.0125"));
    let (status, body) = app.post_events(json!([with_cost, event("b")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"accepted": 2, "duplicates": 0, "rejected": [], "unpriced": 0, "caps_reached": [], "flagged": [], "flagged_count": 0})
    );
    // gpt-4o at $2.50/$10 per 1M: 1000 in + 200 out = $0.0025 + $0.002 = $0.0045; plus the sent $0.0125.
    let (_, spend) = app.spend("from=2026-11-01&to=2026-11-30").await;
    assert_eq!(spend["total"]["cost"], "0.017");
    assert_eq!(spend["total"]["calls"], 2);
}

#[tokio::test]
async fn negative_tokens_are_rejected_by_field() {
    let (status, body) = rejected_one("input_tokens", json!(-5)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["rejected"][0]["index"], 0);
    assert_eq!(body["rejected"][0]["id"], "bad");
    assert_eq!(first_error(&body), "input_tokens: must be a non-negative integer (got -5)");
}

#[tokio::test]
async fn cache_reads_beyond_input_are_rejected() {
    let (status, body) = rejected_one("cache_read_tokens", json!(5000)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first_error(&body), "cache_read_tokens: must be ≤ input_tokens (input_tokens includes cached tokens)");
}

#[tokio::test]
async fn a_non_decimal_cost_is_rejected() {
    let (status, body) = rejected_one("cost", json!("twelve cents")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first_error(&body), r#"cost: must be a decimal string in USD, e.g. "0.0125" (got "twelve cents")"#);
    let (_, body) = rejected_one("cost", json!(0.12)).await;
    assert_eq!(first_error(&body), r#"cost: must be a decimal string in USD, e.g. "0.0125" (got a number)"#);
}

#[tokio::test]
async fn a_timestamp_without_a_zone_is_rejected() {
    let (status, body) = rejected_one("timestamp", json!("2026-11-02T10:00:00")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        first_error(&body),
        r#"timestamp: must be RFC 3339 with a time zone, e.g. 2026-11-28T09:30:00Z (got "2026-11-02T10:00:00")"#
    );
}

#[tokio::test]
async fn a_200_character_id_is_rejected() {
    let app = TestApp::new().await;
    let long = "x".repeat(200);
    let (status, body) = app.post_events(json!([event(&long)])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["accepted"], 0);
    assert_eq!(first_error(&body), "id: must be 1-128 characters (got 200)");
}

#[tokio::test]
async fn a_numeric_tag_value_is_rejected() {
    let (status, body) = rejected_one("tags", json!({"team": "core", "user": 42})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first_error(&body), "tags.user: must be a string (got a number)");
}

#[tokio::test]
async fn an_empty_events_array_is_a_400() {
    let app = TestApp::new().await;
    let (status, body) = app.post_events(json!([])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "events");
    assert_eq!(body["error"]["message"], "events: must hold at least one event");
}

#[tokio::test]
async fn malformed_json_names_the_position() {
    let app = TestApp::new().await;
    let key = app.ingest_key.clone();
    let (status, body) = app.post_raw(Some(&key), r#"{"events": [{"id": "a",}]}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "malformed_json");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("malformed JSON at line 1, column 24"), "{msg}");
}

#[tokio::test]
async fn a_50_mb_body_is_a_413() {
    let app = TestApp::new().await;
    let key = app.ingest_key.clone();
    let big = format!(r#"{{"events":[{{"id":"a","pad":"{}"}}]}}"#, "x".repeat(50 * 1024 * 1024));
    let req = axum::http::Request::post("/api/v1/events")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .header("content-length", big.len().to_string())
        .body(axum::body::Body::from(big))
        .unwrap();
    let (status, _, body) = app.send(req).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["message"], "request body is larger than the limit of 10485760 bytes");
    // The same without a Content-Length header (a chunked upload) is refused too.
    let chunk = axum::body::Bytes::from(vec![b' '; 1024 * 1024]);
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = (0..51).map(|_| Ok(chunk.clone())).collect();
    let (status, body) =
        app.post_raw(Some(&key), axum::body::Body::from_stream(futures_util::stream::iter(chunks))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "body_too_large");
}

#[tokio::test]
async fn more_than_5000_events_is_a_413() {
    let app = TestApp::new().await;
    let many: Vec<Value> = (0..5001).map(|i| event(&format!("e{i}"))).collect();
    let (status, body) = app.post_events(json!(many)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["message"], "events: at most 5000 events per request (got 5001)");
}

#[tokio::test]
async fn duplicates_are_counted_once_within_and_across_batches() {
    let app = TestApp::new().await;
    let (status, body) = app.post_events(json!([event("a"), event("a"), event("b")])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"accepted": 2, "duplicates": 1, "rejected": [], "unpriced": 0, "caps_reached": [], "flagged": [], "flagged_count": 0})
    );
    let (_, body) = app.post_events(json!([event("a"), event("b"), event("c")])).await;
    assert_eq!(
        body,
        json!({"accepted": 1, "duplicates": 2, "rejected": [], "unpriced": 0, "caps_reached": [], "flagged": [], "flagged_count": 0})
    );
    let (_, spend) = app.spend("from=2026-11-01&to=2026-11-30").await;
    assert_eq!(spend["total"]["calls"], 3);
}

#[tokio::test]
async fn unpriced_models_are_kept_and_flagged() {
    let app = TestApp::new().await;
    let (status, body) = app.post_events(json!([event_with("ft", "model", json!("ft:acme-classifier-v2"))])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"accepted": 1, "duplicates": 0, "rejected": [], "unpriced": 1, "caps_reached": [], "flagged": [], "flagged_count": 0})
    );
    let (_, spend) = app.spend("from=2026-11-01&to=2026-11-30&group_by=model").await;
    assert_eq!(spend["total"]["calls"], 1);
    assert_eq!(spend["total"]["unpriced_calls"], 1);
    assert_eq!(spend["groups"][0]["key"]["model"], "ft:acme-classifier-v2");
}

#[tokio::test]
async fn keys_are_required_and_scoped() {
    let app = TestApp::new().await;
    let body = json!({"events": [event("a")]}).to_string();
    let (status, resp) = app.post_raw(None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(resp["error"]["message"].as_str().unwrap().starts_with("missing Authorization header"));
    let (status, resp) = app.post_raw(Some("bsr_000000000000_nope"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(resp["error"]["message"], "unknown or revoked API key");
    let read = app.read_key.clone();
    let (status, resp) = app.post_raw(Some(&read), body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(resp["error"]["message"], "this key has scopes [read]; this call needs ingest");
}
