//! OTLP/HTTP trace ingest: protobuf (plain and gzip) and JSON bodies from
//! GenAI spans with the new and the old attribute names, attributed and
//! priced to the cent; exporter retries counted once; other spans ignored;
//! and a clear OTLP error for each kind of bad input. Also `/healthz` and `/readyz`.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::{json, Value};
use server::http::api::otlp::Status;
use std::io::Write;

fn kv(k: &str, v: any_value::Value) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(v) }) }
}
fn s(k: &str, v: &str) -> KeyValue {
    kv(k, any_value::Value::StringValue(v.into()))
}
fn i(k: &str, v: i64) -> KeyValue {
    kv(k, any_value::Value::IntValue(v))
}

/// Nanoseconds since the epoch, two hours ago.
fn recent() -> u64 {
    (chrono::Utc::now() - chrono::Duration::hours(2)).timestamp_nanos_opt().unwrap() as u64
}

fn span(trace: u8, id: u8, attributes: Vec<KeyValue>) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![id; 8],
        name: "chat".into(),
        start_time_unix_nano: recent() - 1_000_000,
        end_time_unix_nano: recent(),
        attributes,
        ..Default::default()
    }
}

fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![s("service.name", "support-bot"), s("bursar.team", "support")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    }
}

/// A GenAI span with the new names: 1,000,000 input tokens on gpt-4o ($2.50 per 1M).
fn new_names(trace: u8) -> Span {
    span(
        trace,
        1,
        vec![
            s("gen_ai.provider.name", "openai"),
            s("gen_ai.request.model", "gpt-4o"),
            i("gen_ai.usage.input_tokens", 1_000_000),
            i("gen_ai.usage.output_tokens", 0),
            s("gen_ai.agent.name", "refund-agent"),
        ],
    )
}

/// A GenAI span with the old names: 100,000 prompt tokens ($3 per 1M) and 10,000
/// completion tokens ($15 per 1M) on claude-sonnet-4-5: $0.30 + $0.15.
fn old_names(trace: u8) -> Span {
    span(
        trace,
        2,
        vec![
            s("gen_ai.system", "anthropic"),
            s("gen_ai.request.model", "claude-sonnet-4-5"),
            i("gen_ai.usage.prompt_tokens", 100_000),
            i("gen_ai.usage.completion_tokens", 10_000),
            s("gen_ai.workflow.name", "ticket-summary"),
        ],
    )
}

async fn post(
    app: &TestApp,
    ctype: &str,
    encoding: Option<&str>,
    body: Vec<u8>,
    key: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::builder().method("POST").uri("/api/otlp/v1/traces").header("content-type", ctype);
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let (status, _, bytes) = app.send(req.body(Body::from(body)).unwrap()).await;
    (status, bytes)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

async fn spend_by(app: &TestApp, dim: &str) -> Value {
    let from = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let to = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let (status, body) = app.spend(&format!("from={from}&to={to}&group_by={dim}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn genai_spans_in_protobuf_are_attributed_to_the_cent_and_retries_count_once() {
    let app = TestApp::new().await;
    let key = app.ingest_key.clone();
    let mut spans = vec![new_names(7), old_names(8)];
    spans.push(span(9, 3, vec![s("http.method", "GET")]));
    let body = request(spans).encode_to_vec();
    let (status, bytes) = post(&app, "application/x-protobuf", None, body.clone(), Some(&key)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    let resp = ExportTraceServiceResponse::decode(bytes.as_slice()).unwrap();
    assert!(resp.partial_success.is_none(), "nothing rejected: {resp:?}");
    // The exporter retries the same request (gzip this time): nothing is counted twice.
    let (status, _) = post(&app, "application/x-protobuf", Some("gzip"), gzip(&body), Some(&key)).await;
    assert_eq!(status, StatusCode::OK);
    let r = spend_by(&app, "workflow").await;
    assert_eq!(r["total"]["cost"], "2.95", "{r}");
    assert_eq!(r["total"]["calls"], 2);
    let groups: Vec<(String, String)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"]["workflow"].as_str().unwrap().to_string(), g["cost"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(groups, vec![("refund-agent".into(), "2.50".into()), ("ticket-summary".into(), "0.45".into())]);
    let r = spend_by(&app, "team,product").await;
    assert_eq!(r["groups"][0]["key"], json!({"team": "support", "product": "support-bot"}));
    // The task is the trace; the id is trace + span.
    let stored = app
        .store
        .list_events(&store::EventQuery {
            spend: domain::SpendQuery::new(chrono::Utc::now() - chrono::Duration::days(1), chrono::Utc::now()),
            task_id: Some("07070707070707070707070707070707".into()),
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, "otlp-07070707070707070707070707070707-0101010101010101");
}

#[tokio::test]
async fn a_json_export_is_accepted_and_answered_in_json() {
    let app = TestApp::new().await;
    let key = app.ingest_key.clone();
    let end = recent().to_string();
    let body = json!({"resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "search"}}]},
    "scopeSpans": [{"spans": [{
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "chat",
        "kind": 3, "startTimeUnixNano": end, "endTimeUnixNano": end,
        "attributes": [
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "400000"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "0"}},
            {"key": "bursar.workflow", "value": {"stringValue": "query-rewrite"}}
        ]}]}]}]});
    let (status, bytes) = post(&app, "application/json", None, serde_json::to_vec(&body).unwrap(), Some(&key)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(v.get("partialSuccess").is_none_or(|p| p.is_null()), "{v}");
    let r = spend_by(&app, "workflow").await;
    // 400,000 tokens × $2.50 per 1M.
    assert_eq!(r["groups"][0]["key"]["workflow"], "query-rewrite");
    assert_eq!(r["total"]["cost"], "1.00", "{r}");
}

#[tokio::test]
async fn bad_exports_get_a_clear_otlp_error() {
    let app = TestApp::new().await;
    let key = app.ingest_key.clone();
    let body = request(vec![new_names(1)]).encode_to_vec();
    let status_of = |bytes: &[u8]| Status::decode(bytes).unwrap();

    // A truncated protobuf.
    let (st, bytes) = post(&app, "application/x-protobuf", None, body[..body.len() - 7].to_vec(), Some(&key)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let err = status_of(&bytes);
    assert_eq!(err.code, 3);
    assert!(err.message.starts_with("body: not a valid OTLP protobuf"), "{}", err.message);

    // The wrong content type.
    let (st, bytes) = post(&app, "text/plain", None, body.clone(), Some(&key)).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(v["message"].as_str().unwrap().contains("content-type"), "{v}");

    // A gzip bomb: 64 MiB of zeros in a few kilobytes.
    let bomb = gzip(&vec![0u8; 64 * 1024 * 1024]);
    assert!(bomb.len() < 200_000);
    let (st, bytes) = post(&app, "application/x-protobuf", Some("gzip"), bomb, Some(&key)).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(status_of(&bytes).message.contains("once decompressed"));
    let (st, _) = post(&app, "application/x-protobuf", Some("gzip"), b"not gzip".to_vec(), Some(&key)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = post(&app, "application/x-protobuf", Some("br"), body.clone(), Some(&key)).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Without a key, or with a read-only one.
    let (st, bytes) = post(&app, "application/x-protobuf", None, body.clone(), None).await;
    assert_eq!((st, status_of(&bytes).code), (StatusCode::UNAUTHORIZED, 16));
    let read = app.read_key.clone();
    let (st, _) = post(&app, "application/x-protobuf", None, body.clone(), Some(&read)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Negative and absurd token counts: the span is rejected (partial success), the good one kept.
    let bad = span(2, 1, vec![s("gen_ai.request.model", "gpt-4o"), i("gen_ai.usage.input_tokens", -5)]);
    let absurd = span(3, 1, vec![s("gen_ai.request.model", "gpt-4o"), i("gen_ai.usage.output_tokens", i64::MAX)]);
    let body = request(vec![bad, absurd, new_names(4)]).encode_to_vec();
    let (st, bytes) = post(&app, "application/x-protobuf", None, body, Some(&key)).await;
    assert_eq!(st, StatusCode::OK);
    let p = ExportTraceServiceResponse::decode(bytes.as_slice()).unwrap().partial_success.unwrap();
    assert_eq!(p.rejected_spans, 2);
    assert!(
        p.error_message.contains("input_tokens") && p.error_message.contains("output_tokens"),
        "{}",
        p.error_message
    );
    assert_eq!(app.store.count_events().await.unwrap(), 1);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let (st, v) = app.get("/healthz", None).await;
    assert_eq!((st, v["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (st, v) = app.get("/readyz", None).await;
    assert_eq!((st, v["status"].as_str()), (StatusCode::OK, Some("ready")), "{v}");
}

#[tokio::test]
async fn the_mapping_admins_save_tags_spans_and_names_tasks() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    let (st, b) = app
        .json("PUT", "/api/v1/otlp/mapping", &admin, json!({"tags": [{"attribute": "app.feature", "tag": "bad key"}]}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(b.to_string().contains("tags[0]"), "{b}");
    let mapping =
        json!({"tags": [{"attribute": "app.feature", "tag": "workflow"}], "task_attribute": "gen_ai.conversation.id"});
    let (st, b) = app.json("PUT", "/api/v1/otlp/mapping", &admin, mapping.clone()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b, mapping);
    let read = app.read_key.clone();
    let (_, got) = app.get("/api/v1/otlp/mapping", Some(&read)).await;
    assert_eq!(got, mapping);
    let sp = span(
        5,
        1,
        vec![
            s("gen_ai.request.model", "gpt-4o"),
            i("gen_ai.usage.input_tokens", 10),
            s("app.feature", "triage"),
            s("gen_ai.conversation.id", "conv-42"),
        ],
    );
    let key = app.ingest_key.clone();
    let (st, _) = post(&app, "application/x-protobuf", None, request(vec![sp]).encode_to_vec(), Some(&key)).await;
    assert_eq!(st, StatusCode::OK);
    let r = spend_by(&app, "workflow").await;
    assert_eq!(r["groups"][0]["key"]["workflow"], "triage", "{r}");
    let calls = app
        .store
        .list_events(&store::EventQuery {
            spend: domain::SpendQuery::new(chrono::Utc::now() - chrono::Duration::days(1), chrono::Utc::now()),
            task_id: Some("conv-42".into()),
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(calls.len(), 1);
    let (_, audit) = app.get("/api/v1/audit?kind=taxonomy", Some(&admin)).await;
    assert_eq!(audit["entries"][0]["action"], "taxonomy.otlp", "{audit}");
}
