//! `/metrics` as Prometheus reads it: the text is parsed with a Prometheus
//! text-format parser, and the counters match what the requests did.

use crate::helpers::{event, event_with, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

async fn scrape(app: &TestApp) -> (prometheus_parse::Scrape, String) {
    let (status, headers, body) = app.send(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = String::from_utf8(body).unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    (prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text format"), text)
}

fn value(s: &prometheus_parse::Scrape, name: &str, label: Option<(&str, &str)>) -> f64 {
    let sample = s
        .samples
        .iter()
        .find(|x| x.metric == name && label.is_none_or(|(k, v)| x.labels.get(k) == Some(v)))
        .unwrap_or_else(|| panic!("no sample {name} {label:?}"));
    match sample.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => v,
        ref other => panic!("{name} is {other:?}"),
    }
}

#[tokio::test]
async fn metrics_count_what_happened_in_the_prometheus_format() {
    let app = TestApp::new().await;
    let (status, _) = app
        .post_events(json!([
            event("m1"),
            event("m2"),
            event_with("m3", "input_tokens", json!(-1)),
            event_with("m4", "model", json!("no-such-model"))
        ]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post_events(json!([event("m1")])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post_raw(Some(&app.ingest_key.clone()), "not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let key = app.ingest_key.clone();
    let (status, _) = app.json("POST", "/api/v1/check", &key, json!({"tags": {"team": "core"}})).await;
    assert_eq!(status, StatusCode::OK);

    let (s, text) = scrape(&app).await;
    let events = |r: &str| value(&s, "bursar_ingest_events_total", Some(("result", r)));
    assert_eq!(events("accepted"), 3.0);
    assert_eq!(events("duplicate"), 1.0);
    assert_eq!(events("rejected"), 1.0);
    assert_eq!(events("unpriced"), 1.0);
    assert_eq!(value(&s, "bursar_ingest_requests_total", None), 2.0);
    assert_eq!(value(&s, "bursar_ingest_requests_refused_total", None), 1.0);
    // Three answered ingest requests are in the histogram; one check.
    let count = |name: &str| {
        s.samples
            .iter()
            .find(|x| x.metric == name)
            .map(|x| match x.value {
                prometheus_parse::Value::Histogram(ref h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
                ref v => panic!("{name} is {v:?}"),
            })
            .unwrap()
    };
    assert_eq!(count("bursar_ingest_duration_seconds"), 3.0);
    assert_eq!(count("bursar_check_duration_seconds"), 1.0);
    // SQLite's writer pool holds its one connection, idle or busy.
    let writer: f64 = s
        .samples
        .iter()
        .filter(|x| x.metric == "bursar_db_pool_connections" && x.labels.get("pool") == Some("writer"))
        .map(|x| match x.value {
            prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
            ref v => panic!("pool connections is {v:?}"),
        })
        .sum();
    assert_eq!(writer, 1.0);
    assert_eq!(value(&s, "bursar_alert_deliveries_total", Some(("result", "failed"))), 0.0);
    // No tag value (unbounded cardinality) is ever a label.
    assert!(!text.contains("bug-triage") && !text.contains("core"), "{text}");
}
