//! `GET /api/v1/spend`: grouping, untagged buckets, series and parameter errors.

use crate::helpers::{event_with, TestApp};
use axum::http::StatusCode;
use serde_json::{json, Value};

async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    let events = json!([
        event_with("a", "cost", json!("1.00")),
        event_with("b", "cost", json!("2.00")),
        {"id": "c", "timestamp": "2026-11-03T12:30:00Z", "model": "gpt-4o-mini", "provider": "openai",
         "input_tokens": 10, "output_tokens": 1, "cost": "4.00", "tags": {"team": "growth"}},
        {"id": "d", "timestamp": "2026-11-04T08:00:00+02:00", "model": "gpt-4o-mini",
         "input_tokens": 10, "output_tokens": 1, "cost": "8.00"},
    ]);
    let (status, body) = app.post_events(events).await;
    assert_eq!(body["accepted"], 4, "{body}");
    assert_eq!(status, StatusCode::OK);
    app
}

#[tokio::test]
async fn groups_by_tag_with_untagged_as_null() {
    let app = seeded().await;
    let (status, r) = app.spend("from=2026-11-01&to=2026-11-30&group_by=team").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["total"]["cost"], "15.00");
    let groups = r["groups"].as_array().unwrap();
    assert_eq!(groups[0]["key"], json!({"team": null}));
    assert_eq!(groups[0]["cost"], "8.00");
    assert_eq!(groups[0]["share"], "0.5333");
    assert_eq!(groups[1]["key"], json!({"team": "growth"}));
    assert_eq!(groups[2]["key"], json!({"team": "core"}));
    assert_eq!(groups[2]["calls"], 2);
}

#[tokio::test]
async fn daily_series_and_two_dimensions() {
    let app = seeded().await;
    let (_, r) = app.spend("from=2026-11-02&to=2026-11-04&group_by=team,model&granularity=day").await;
    let series = r["series"].as_array().unwrap();
    assert_eq!(series.len(), 3);
    assert_eq!(series[0]["start"], "2026-11-02T00:00:00Z");
    assert_eq!(series[0]["cost"], "3.00");
    assert_eq!(series[1]["cost"], "4.00");
    // 08:00+02:00 on Nov 4 is 06:00 UTC on Nov 4.
    assert_eq!(series[2]["cost"], "8.00");
    let first = &r["groups"][0];
    assert_eq!(first["key"], json!({"team": null, "model": "gpt-4o-mini"}));
}

#[tokio::test]
async fn filters_narrow_the_totals() {
    let app = seeded().await;
    let (_, r) = app.spend("from=2026-11-01&to=2026-11-30&filter=team:core").await;
    assert_eq!(r["total"]["cost"], "3.00");
    let (_, r) = app.spend("from=2026-11-01&to=2026-11-30&filter=team:").await;
    assert_eq!(r["total"]["cost"], "8.00");
    let (_, r) = app.spend("from=2026-11-01&to=2026-11-30&filter=model:gpt-4o-mini&filter=team:growth").await;
    assert_eq!(r["total"]["cost"], "4.00");
}

#[tokio::test]
async fn bad_parameters_are_400s_naming_the_field() {
    let app = seeded().await;
    let cases = [
        (
            "from=last-week",
            "from",
            "from: must be an RFC 3339 time with a zone or a date YYYY-MM-DD (got \"last-week\")",
        ),
        ("granularity=year", "granularity", "granularity: must be one of hour, day, week, month (got \"year\")"),
        ("filter=team", "filter", "filter: must be key:value (got \"team\")"),
        ("from=2026-11-10&to=2026-11-01", "from", "from: must be before to"),
    ];
    for (q, field, message) in cases {
        let (status, body) = app.spend(q).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(body["error"]["field"], field, "{q}");
        assert_eq!(body["error"]["message"], message, "{q}");
    }
}

#[tokio::test]
async fn spend_needs_the_read_scope() {
    let app = seeded().await;
    let (status, _) = app.get("/api/v1/spend", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let key = app.ingest_key.clone();
    let (status, body) = app.get("/api/v1/spend", Some(&key)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
}

#[tokio::test]
async fn unknown_api_routes_answer_json_404() {
    let app = TestApp::new().await;
    let (status, body) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body): (StatusCode, Value) = app.get("/api/v1/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_and_spend_agree_on_postgres() {
    let Some(app) = TestApp::postgres("ingest_and_spend").await else { return };
    let events = json!([
        event_with("pa", "cost", json!("1.10")),
        event_with("pb", "cost", json!("2.20")),
        event_with("pa", "cost", json!("1.10")),
    ]);
    let (status, body) = app.post_events(events).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["duplicates"], 1);
    let (_, r) = app.spend("from=2026-11-01&to=2026-11-30&group_by=team,workflow&granularity=day").await;
    assert_eq!(r["total"]["cost"], "3.30");
    assert_eq!(r["groups"][0]["key"], json!({"team": "core", "workflow": "bug-triage"}));
    app.finish().await;
}
