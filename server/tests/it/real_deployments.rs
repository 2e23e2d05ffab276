//! The real-deployment cases through the HTTP API, on SQLite and on Postgres,
//! with the exact values: a dated snapshot priced by its own history, cloud
//! model ids at the cloud's rates, an Azure deployment an admin maps on the
//! Prices page, and an OpenTelemetry span whose Anthropic input leaves out
//! the cache, stored whole with the choice noted on the call.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::{json, Value};

fn call(id: &str, at: &str, provider: Option<&str>, model: &str, input: i64, output: i64, team: &str) -> Value {
    let mut e = json!({"id": id, "timestamp": at, "model": model, "input_tokens": input,
        "output_tokens": output, "tags": {"team": team}});
    if let Some(p) = provider {
        e["provider"] = json!(p);
    }
    e
}

async fn team_spend(app: &TestApp, team: &str, from: &str, to: &str) -> Value {
    let (status, r) = app.spend(&format!("from={from}&to={to}&group_by=provider&filter=team:{team}")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r
}

fn kv(k: &str, v: any_value::Value) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(v) }) }
}

/// Two OTLP spans: an Anthropic call as OpenLIT writes it (the raw input,
/// the cache beside it), and gpt-5.1 with the current reasoning attribute.
fn spans() -> ExportTraceServiceRequest {
    let s = |k: &str, v: &str| kv(k, any_value::Value::StringValue(v.into()));
    let i = |k: &str, v: i64| kv(k, any_value::Value::IntValue(v));
    let end = (chrono::Utc::now() - chrono::Duration::hours(1)).timestamp_nanos_opt().unwrap() as u64;
    let span = Span {
        trace_id: vec![7; 16],
        span_id: vec![3; 8],
        name: "chat claude-opus-4-5-20251101".into(),
        start_time_unix_nano: end - 1_000_000,
        end_time_unix_nano: end,
        attributes: vec![
            s("telemetry.sdk.name", "openlit"),
            s("gen_ai.provider.name", "anthropic"),
            s("gen_ai.request.model", "claude-opus-4-5-20251101"),
            i("gen_ai.usage.input_tokens", 10),
            i("gen_ai.usage.cache_read.input_tokens", 66_360),
            i("gen_ai.usage.cache_creation.input_tokens", 32_435),
            i("gen_ai.usage.output_tokens", 5_120),
        ],
        ..Default::default()
    };
    let gpt = Span {
        span_id: vec![4; 8],
        name: "chat gpt-5.1".into(),
        attributes: vec![
            s("bursar.team", "otlp-openai"),
            s("gen_ai.provider.name", "openai"),
            s("gen_ai.response.model", "gpt-5.1"),
            i("gen_ai.usage.input_tokens", 22_118),
            i("gen_ai.usage.output_tokens", 1_970),
            i("gen_ai.usage.reasoning.output_tokens", 956),
        ],
        ..span.clone()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![s("bursar.team", "otlp-anthropic")], ..Default::default() }),
            scope_spans: vec![ScopeSpans { spans: vec![span, gpt], ..Default::default() }],
            ..Default::default()
        }],
    }
}

async fn cases(app: &TestApp) {
    let events = json!([
        // A dated snapshot: gpt-4o-2024-08-06 launched at $2.50/$10; the gpt-4o alias
        // still pointed to the $5/$15 snapshot on 2024-09-16.
        call("snap", "2024-09-16T12:00:00Z", Some("openai"), "gpt-4o-2024-08-06", 1_000_000, 100_000, "snapshot"),
        call("alias", "2024-09-16T12:00:00Z", Some("openai"), "gpt-4o", 1_000_000, 100_000, "alias"),
        // Bedrock ids, no provider sent: in-region us. is 10% above the plain id.
        call(
            "br-us",
            "2026-11-10T12:00:00Z",
            None,
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            100_000,
            10_000,
            "bedrock"
        ),
        call(
            "br",
            "2026-11-10T12:00:00Z",
            Some("aws.bedrock"),
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            100_000,
            10_000,
            "bedrock"
        ),
        call("nova", "2026-11-10T12:00:00Z", None, "amazon.nova-pro-v1:0", 100_000, 10_000, "nova"),
        // Vertex AI and the maker, told apart by provider.
        call("vx", "2026-11-10T12:00:00Z", None, "claude-sonnet-4-5@20250929", 100_000, 10_000, "claude"),
        call("an", "2026-11-10T12:00:00Z", Some("anthropic"), "claude-sonnet-4-5-20250929", 100_000, 10_000, "claude"),
        call(
            "or",
            "2026-11-10T12:00:00Z",
            Some("openrouter"),
            "anthropic/claude-sonnet-4.5",
            100_000,
            10_000,
            "claude"
        ),
        // An Azure deployment name, unpriced until an admin maps it.
        call("az", "2026-11-10T12:00:00Z", Some("azure.ai.openai"), "prod-gpt4o", 1_000_000, 100_000, "azure"),
    ]);
    let (status, body) = app.post_events(events).await;
    assert_eq!(
        (status, body["accepted"].as_i64(), body["unpriced"].as_i64()),
        (StatusCode::OK, Some(9), Some(1)),
        "{body}"
    );

    let cost = |r: &Value| r["total"]["cost"].as_str().unwrap().to_string();
    assert_eq!(cost(&team_spend(app, "snapshot", "2024-09-01", "2024-09-30").await), "3.50");
    assert_eq!(cost(&team_spend(app, "alias", "2024-09-01", "2024-09-30").await), "6.50");
    let br = team_spend(app, "bedrock", "2026-11-01", "2026-11-30").await;
    assert_eq!((cost(&br), br["groups"][0]["key"]["provider"].as_str()), ("0.945".into(), Some("bedrock")));
    assert_eq!(cost(&team_spend(app, "nova", "2026-11-01", "2026-11-30").await), "0.112");
    let claude = team_spend(app, "claude", "2026-11-01", "2026-11-30").await;
    let mut by: Vec<(String, String)> = claude["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"]["provider"].as_str().unwrap().to_string(), g["cost"].as_str().unwrap().to_string()))
        .collect();
    by.sort();
    let want = [("anthropic", "0.45"), ("openrouter", "0.45"), ("vertex_ai", "0.45")];
    assert_eq!(by, want.map(|(p, c)| (p.to_string(), c.to_string())));

    // The admin maps the deployment on the Prices page; repricing prices it at Azure's gpt-4o rates.
    let admin = app.sign_in_as("admin").await;
    let (status, body) =
        app.server_fn("/api/add_price_aliases", "model=azure%2Fgpt-4o&aliases=prod-gpt4o", Some(&admin)).await;
    assert!(status.is_success(), "{status} {body}");
    let key = app.admin_key.clone();
    let (status, job) = app.json("POST", "/api/v1/prices/reprice", &key, json!({"models": ["prod-gpt4o"]})).await;
    assert!(status.is_success(), "{job}");
    let mut done = false;
    for _ in 0..100 {
        let (_, j) = app.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()), Some(&key)).await;
        if j["state"] == "done" {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done, "the reprice job finished");
    let az = team_spend(app, "azure", "2026-11-01", "2026-11-30").await;
    assert_eq!((cost(&az), az["groups"][0]["key"]["provider"].as_str()), ("3.50".into(), Some("azure")));

    // An Anthropic span whose input leaves the cache out: stored whole, noted, priced.
    let req = Request::post("/api/otlp/v1/traces")
        .header("authorization", format!("Bearer {}", app.ingest_key))
        .header("content-type", "application/x-protobuf")
        .body(Body::from(spans().encode_to_vec()))
        .unwrap();
    let (status, _, _) = app.send(req).await;
    assert_eq!(status, StatusCode::OK);
    let now = chrono::Utc::now();
    let day = |d: chrono::DateTime<chrono::Utc>| d.format("%Y-%m-%d").to_string();
    let r = team_spend(app, "otlp-anthropic", &day(now - chrono::Duration::days(1)), &day(now)).await;
    assert_eq!((cost(&r), r["total"]["input_tokens"].as_i64()), ("0.36394875".into(), Some(98_805)));
    let q = domain::SpendQuery::from_params(
        &[("filter".into(), "team:otlp-anthropic".into()), ("from".into(), day(now - chrono::Duration::days(1)))],
        now,
    )
    .unwrap();
    let stored =
        app.store.list_events(&store::EventQuery { spend: q, task_id: None, limit: 10, offset: 0 }).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].usage_note.as_deref(), Some("openlit/input_excludes_cache"));
    let r = team_spend(app, "otlp-openai", &day(now - chrono::Duration::days(1)), &day(now)).await;
    let t = &r["total"];
    assert_eq!(
        (cost(&r), t["input_tokens"].as_i64(), t["output_tokens"].as_i64(), t["reasoning_tokens"].as_i64()),
        ("0.0473475".into(), Some(22_118), Some(1_970), Some(956))
    );

    // A call with a cost but no tokens, beside $0.23 of ordinary calls: FOCUS bills $0.48.
    let events = json!([
        {"id": "f0", "timestamp": "2025-03-01T10:00:00Z", "model": "gpt-4o", "input_tokens": 0, "output_tokens": 0, "cost": "0.25"},
        {"id": "f1", "timestamp": "2025-03-01T11:00:00Z", "model": "gpt-4o", "input_tokens": 50_000, "output_tokens": 500, "cost": "0.20"},
        {"id": "f2", "timestamp": "2025-03-01T12:00:00Z", "model": "gpt-4o-mini", "input_tokens": 9_000, "output_tokens": 100, "cost": "0.03"},
    ]);
    assert_eq!(app.post_events(events).await.0, StatusCode::OK);
    let (status, _, text) = app.focus_csv("2025-03-01", "2025-03-01").await;
    assert_eq!(status, StatusCode::OK);
    let billed: rust_decimal::Decimal =
        text.lines().skip(1).map(|l| l.split(',').next().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
    assert_eq!(billed, "0.48".parse::<rust_decimal::Decimal>().unwrap(), "{text}");
    let (_, spend) = app.spend("from=2025-03-01&to=2025-03-01").await;
    assert_eq!(spend["total"]["cost"], "0.48");
}

#[tokio::test]
async fn real_deployment_cases_on_sqlite() {
    cases(&TestApp::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_deployment_cases_on_postgres() {
    let Some(app) = TestApp::postgres("real_deployments").await else { return };
    cases(&app).await;
    app.finish().await;
}
