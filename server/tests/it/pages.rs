//! Server-rendered pages: the Overview shows real totals from the store.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::json;

#[tokio::test]
async fn overview_renders_totals_from_the_store() {
    let app = TestApp::new().await;
    let now = Utc::now().to_rfc3339();
    let events = json!([
        {"id": "p1", "timestamp": now, "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1,
         "cost": "1234.50", "tags": {"team": "platform", "workflow": "bug-triage"}},
        {"id": "p2", "timestamp": now, "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1,
         "cost": "100.00", "tags": {"team": "support", "workflow": "support-chat"}},
    ]);
    app.post_events(events).await;
    let cookie = app.sign_in_as("viewer").await;
    let req = TestApp::browser("GET", "/?period=7d", Some(&cookie)).body(Body::empty()).unwrap();
    let (status, _, body) = app.send(req).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("$1,334.50"), "total missing from the page");
    assert!(html.contains("bug-triage") && html.contains("support-chat"), "workflows missing");
    assert!(html.contains("id=\"spend-chart\""), "chart container missing");
    assert!(html.contains("/echarts.min.js"), "local ECharts script missing");
}

#[tokio::test]
async fn an_empty_store_says_how_to_get_data() {
    let app = TestApp::new().await;
    let cookie = app.sign_in_as("admin").await;
    let (status, _, body) = app.send(TestApp::browser("GET", "/", Some(&cookie)).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("No spend in this period"));
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let app = TestApp::new().await;
    let cookie = app.sign_in_as("viewer").await;
    let req = TestApp::browser("GET", "/no/such/page", Some(&cookie)).body(Body::empty()).unwrap();
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8(body).unwrap().contains("Page not found"));
}

#[tokio::test]
async fn a_custom_period_shows_exactly_its_days() {
    let app = TestApp::new().await;
    let events = json!([
        {"id": "d1", "timestamp": "2026-10-01T10:00:00Z", "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1,
         "cost": "10.00", "tags": {"team": "platform"}},
        {"id": "d2", "timestamp": "2026-10-03T23:59:59Z", "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1,
         "cost": "5.00", "tags": {"team": "platform"}},
        {"id": "d3", "timestamp": "2026-10-04T00:00:00Z", "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1,
         "cost": "7.00", "tags": {"team": "platform"}},
    ]);
    app.post_events(events).await;
    let cookie = app.sign_in_as("viewer").await;
    let path = "/?period=custom&from=2026-10-01&to=2026-10-03";
    let (status, _, body) = app.send(TestApp::browser("GET", path, Some(&cookie)).body(Body::empty()).unwrap()).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Oct 01, 2026 – Oct 03, 2026"), "the range is named");
    assert!(html.contains("$15.00"), "both ends included, the next day not");
    let explore = "/explore?period=custom&from=2026-10-04&to=2026-10-04&by=team";
    let (_, _, body) = app.send(TestApp::browser("GET", explore, Some(&cookie)).body(Body::empty()).unwrap()).await;
    assert!(String::from_utf8(body).unwrap().contains("$7.00"));
}
