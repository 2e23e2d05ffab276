//! Bills through the API: the three sources imported from fixtures written
//! from their documentation, re-imports restating rather than doubling,
//! clear 400s, mapping rules, and reconcile against calls ingested through
//! the real path, exact, on SQLite and Postgres.

use crate::helpers::{event, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

const OPENAI: &[u8] = include_bytes!("../../../domain/tests/fixtures/bills/openai_costs.json");
const ANTHROPIC: &[u8] = include_bytes!("../../../domain/tests/fixtures/bills/anthropic_cost_report.json");
const AWS: &[u8] = include_bytes!("../../../domain/tests/fixtures/bills/focus_aws_1_2.csv");

async fn import(app: &TestApp, source: &str, body: &[u8]) -> (StatusCode, Value) {
    let req = Request::post(format!("/api/v1/bills/import?source={source}"))
        .header("authorization", format!("Bearer {}", app.admin_key))
        .body(Body::from(body.to_vec()))
        .unwrap();
    let (status, _, body) = app.send(req).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn call(id: &str, at: &str, model: &str, provider: &str, input: i64, output: i64) -> Value {
    let mut e = event(id);
    let o = e.as_object_mut().unwrap();
    o.insert("timestamp".into(), json!(at));
    o.insert("model".into(), json!(model));
    o.insert("provider".into(), json!(provider));
    o.insert("input_tokens".into(), json!(input));
    o.insert("output_tokens".into(), json!(output));
    o.remove("cache_read_tokens");
    o.remove("cost");
    e
}

async fn bills_import_restate_and_reconcile(app: TestApp) {
    let (status, a) = import(&app, "openai", OPENAI).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!((a["rows"].as_u64(), a["days"].as_u64()), (Some(6), Some(3)));
    assert_eq!(a["totals"], json!([{"currency": "USD", "billed": "8.506845679"}]));
    assert_eq!(a["first_day"], "2026-11-01");
    let unmatched: Vec<&str> =
        a["unmatched"].as_array().unwrap().iter().map(|u| u["description"].as_str().unwrap()).collect();
    assert_eq!(unmatched, vec!["web search tool calls"], "kept, counted, and named");
    let (status, _) = import(&app, "openai", OPENAI).await;
    assert_eq!(status, StatusCode::OK);
    let (status, a) = import(&app, "anthropic", ANTHROPIC).await;
    assert_eq!((status, a["totals"][0]["billed"].as_str()), (StatusCode::OK, Some("7.6495")), "cents, divided by 100");
    let (status, a) = import(&app, "focus", AWS).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!((a["rows"].as_u64(), a["skipped_count"].as_u64()), (Some(3), Some(1)));
    assert_eq!(a["skipped"][0]["row"], 6);
    assert_eq!(a["providers"], json!(["bedrock"]));

    // Bad input: a clear 400 naming the field.
    let (status, e) = import(&app, "aws", AWS).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("source"), "{e}");
    let (status, e) = import(&app, "focus", b"not,a,focus\n1,2,3\n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("BilledCost"), "{e}");
    let (status, e) = import(&app, "anthropic", OPENAI).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an OpenAI file is not a cost report: {e}");

    // Calls on the 1st, through the ingest path, priced from the catalog.
    let calls = json!([
        call("b1", "2026-11-01T10:00:00Z", "gpt-4o-2024-08-06", "openai", 1_000_000, 100_000),
        call("b2", "2026-11-01T11:00:00Z", "claude-sonnet-4-5-20250929", "anthropic", 150_000, 20_000),
        call("b3", "2026-11-01T12:00:00Z", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock", 100_000, 100_000),
    ]);
    let (status, body) = app.post_events(calls).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, r) =
        app.get("/api/v1/reconcile?from=2026-11-01&to=2026-11-03&group_by=provider,model", Some(&app.read_key)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    // Billed: 8.506845679 + 7.6495 + Bedrock 0.33 + 1.5 + 0.75. Attributed: 3.50 + 0.75 + Bedrock us.* 0.33 + 1.65.
    let t = &r["totals"][0];
    assert_eq!((t["billed"].as_str(), t["attributed"].as_str()), (Some("18.736345679"), Some("6.23")));
    assert_eq!(t["gap"], "12.506345679");
    let group = |p: &str, m: &str| {
        r["groups"].as_array().unwrap().iter().find(|g| g["provider"] == p && g["model"] == m).cloned().unwrap()
    };
    let bedrock = group("bedrock", "claude-sonnet-4-5");
    assert_eq!((bedrock["billed"].as_str(), bedrock["attributed"].as_str()), (Some("1.83"), Some("1.98")));
    assert_eq!(bedrock["price_drift"], json!({"billed": "1.83", "at_list": "1.83", "drift": "0.00", "lines": 2}));
    let (status, spend) = app.get("/api/v1/spend?from=2026-11-01&to=2026-11-03", Some(&app.read_key)).await;
    assert_eq!(
        (status, spend["total"]["cost"].as_str()),
        (StatusCode::OK, Some("6.23")),
        "reconcile's attributed is the spend API's"
    );

    // A mapping rule reads the Titan line; it now names a model the catalog lacks.
    let rule = json!({"source": "focus", "pattern": "TitanEmbedTextV2", "model": "amazon.titan-embed-text-v2:0", "token_class": "input"});
    let (status, saved) = app.json("POST", "/api/v1/bills/rules", &app.admin_key, rule).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, r) = app.get("/api/v1/reconcile?from=2026-11-01&to=2026-11-03", Some(&app.read_key)).await;
    let titan = r["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["description"].as_str().unwrap().contains("Titan"))
        .cloned()
        .unwrap();
    assert_eq!(
        (titan["billed"].as_str(), titan["reason"].as_str()),
        (Some("0.75"), Some("the model is not in the catalog"))
    );
    let (status, e) = app.json("POST", "/api/v1/bills/rules", &app.admin_key, json!({"pattern": " "})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("pattern"), "{e}");
    let id = saved["id"].as_i64().unwrap();
    let (status, _) = app.json("DELETE", &format!("/api/v1/bills/rules/{id}"), &app.admin_key, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.json("DELETE", &format!("/api/v1/bills/rules/{id}"), &app.admin_key, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, runs) = app.get("/api/v1/bills/imports", Some(&app.admin_key)).await;
    assert_eq!((status, runs["imports"].as_array().unwrap().len()), (StatusCode::OK, 4));
    let (status, e) = app.get("/api/v1/reconcile?group_by=team", Some(&app.read_key)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("group_by"), "{e}");
    app.finish().await;
}

#[tokio::test]
async fn bills_import_restate_and_reconcile_on_sqlite() {
    bills_import_restate_and_reconcile(TestApp::new().await).await;
}

#[tokio::test]
async fn bills_import_restate_and_reconcile_on_postgres() {
    let Some(app) = TestApp::postgres("bills_api").await else { return };
    bills_import_restate_and_reconcile(app).await;
}

fn tagged(id: &str, at: &str, team: &str, input: i64) -> Value {
    let mut e = call(id, at, "gpt-4o-mini", "openai", input, 0);
    e["tags"] = json!({"team": team, "workflow": "w"});
    e
}

/// Day 1: platform $0.15, support $0.45; day 2: platform $0.15 (no bill).
/// OpenAI bills day 1 $0.60 for them and $1.00 for a batch job nobody
/// instrumented: a $1.00 gap, shown by the true-up chosen for the month.
async fn true_up_shows_the_gap_on_the_invoice_basis(app: TestApp) {
    let calls = json!([
        tagged("t1", "2026-11-01T09:00:00Z", "platform", 1_000_000),
        tagged("t2", "2026-11-01T10:00:00Z", "support", 3_000_000),
        tagged("t3", "2026-11-02T10:00:00Z", "platform", 1_000_000),
    ]);
    assert_eq!(app.post_events(calls).await.0, StatusCode::OK);
    let t = day_start(1);
    let page = json!({"object": "page", "has_more": false, "next_page": null, "data": [{"object": "bucket", "start_time": t, "end_time": t + 86_400,
        "results": [{"object": "organization.costs.result", "amount": {"value": 0.6, "currency": "usd"}, "line_item": "gpt-4o-mini, input", "project_id": null},
                    {"object": "organization.costs.result", "amount": {"value": 1.0, "currency": "usd"}, "line_item": "gpt-4.1-nano, input", "project_id": "proj_batch"}]}]});
    assert_eq!(import(&app, "openai", page.to_string().as_bytes()).await.0, StatusCode::OK);
    let spend = |q: &'static str| {
        let app = &app;
        async move {
            let (status, r) =
                app.get(&format!("/api/v1/spend?from=2026-11-01&to=2026-11-02&{q}"), Some(&app.read_key)).await;
            assert_eq!(status, StatusCode::OK, "{q}: {r}");
            r
        }
    };
    let costs = |r: &Value| -> Vec<(String, String)> {
        r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["values"][0].as_str().unwrap_or("-").to_string(), g["cost"].as_str().unwrap().to_string()))
            .collect()
    };
    assert_eq!(
        spend("group_by=team&basis=invoice").await["total"]["cost"],
        "0.75",
        "no true-up set: the recorded basis"
    );
    let set = |mode: Value| {
        let app = &app;
        async move {
            app.json(
                "PUT",
                "/api/v1/bills/true-ups",
                &app.admin_key,
                json!({"provider": "openai", "month": "2026-11", "mode": mode}),
            )
            .await
        }
    };
    assert_eq!(set(json!("allocated")).await.0, StatusCode::OK);
    let r = spend("group_by=team&basis=invoice").await;
    assert_eq!(r["total"]["cost"], "1.75", "recorded $0.75 + the $1.00 gap");
    assert_eq!(
        costs(&r),
        vec![("support".into(), "1.20".into()), ("platform".into(), "0.55".into())],
        "the gap shared 1:3 by day 1's spend"
    );
    let r = spend("group_by=team&basis=invoice&filter=team:platform").await;
    assert_eq!(r["total"]["cost"], "0.55", "a filtered view gets its share of the whole organisation's allocation");
    let r = spend("granularity=day&basis=invoice").await;
    let days: Vec<&str> = r["series"].as_array().unwrap().iter().map(|p| p["cost"].as_str().unwrap()).collect();
    assert_eq!(days, vec!["1.60", "0.15"], "day 1 sums to the bill");
    assert_eq!(spend("group_by=team").await["total"]["cost"], "0.75", "the recorded basis is untouched");
    // FOCUS on the invoice basis: the recorded rows as they were, plus Adjustment rows; BilledCost sums to the spend API's.
    let focus = |basis: &'static str| {
        let app = &app;
        async move {
            let req = axum::http::Request::get(format!(
                "/api/v1/export/focus.csv?from=2026-11-01&to=2026-11-02&basis={basis}"
            ))
            .header("authorization", format!("Bearer {}", app.read_key))
            .body(Body::empty())
            .unwrap();
            let (status, _, body) = app.send(req).await;
            assert_eq!(status, StatusCode::OK);
            let text = String::from_utf8(body).unwrap();
            let billed: rust_decimal::Decimal = text
                .lines()
                .skip(1)
                .map(|l| l.split(',').next().unwrap().parse::<rust_decimal::Decimal>().unwrap())
                .sum();
            (billed.normalize().to_string(), text.lines().filter(|l| l.contains(",Adjustment,")).count())
        }
    };
    assert_eq!(focus("invoice").await, ("1.75".to_string(), 2), "the gap shared between two tag sets");
    assert_eq!(focus("recorded").await, ("0.75".to_string(), 0));
    assert_eq!(set(json!("uninstrumented")).await.0, StatusCode::OK);
    let r = spend("group_by=team&basis=invoice").await;
    assert_eq!(
        costs(&r),
        vec![
            ("(uninstrumented)".into(), "1.00".into()),
            ("support".into(), "0.45".into()),
            ("platform".into(), "0.30".into())
        ]
    );
    let (status, e) = app
        .get("/api/v1/spend?from=2026-11-01&to=2026-11-02&granularity=hour&basis=invoice", Some(&app.read_key))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("granularity"), "{e}");
    let (status, e) = app.get("/api/v1/spend?basis=bill", Some(&app.read_key)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("basis"), "{e}");
    let (status, e) = set(json!("half")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("mode"), "{e}");
    let (status, _) = app
        .json(
            "PUT",
            "/api/v1/bills/true-ups",
            &app.read_key,
            json!({"provider": "openai", "month": "2026-11", "mode": null}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a read key cannot choose");
    let (status, body) = set(Value::Null).await;
    assert_eq!((status, body["true_ups"].as_array().unwrap().len()), (StatusCode::OK, 0));
    assert_eq!(spend("group_by=team&basis=invoice").await["total"]["cost"], "0.75");
    let (_, audit) = app.get("/api/v1/audit", Some(&app.admin_key)).await;
    assert_eq!(audit.to_string().matches("true_up.set").count(), 3, "every choice is audited");
    app.finish().await;
}

fn day_start(d: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
}

#[tokio::test]
async fn true_up_on_sqlite() {
    true_up_shows_the_gap_on_the_invoice_basis(TestApp::new().await).await;
}

#[tokio::test]
async fn true_up_on_postgres() {
    let Some(app) = TestApp::postgres("true_up").await else { return };
    true_up_shows_the_gap_on_the_invoice_basis(app).await;
}

/// Bill signal rules: OpenAI's calls explain $0.60 of each of the last two
/// days' $1.60 bills; "coverage below 90%" fires once (37.5%), "gap above
/// $1.50 over 7 days" fires on the second day, when the gap reaches $2.00.
async fn bill_rules_fire_once(app: TestApp) {
    let today = chrono::Utc::now().date_naive();
    let days = [today - chrono::Duration::days(2), today - chrono::Duration::days(1)];
    let mut calls = Vec::new();
    let mut buckets = Vec::new();
    for (i, d) in days.iter().enumerate() {
        calls.push(tagged(&format!("w{i}"), &format!("{d}T10:00:00Z"), "platform", 4_000_000));
        let t = d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
        buckets.push(json!({"object": "bucket", "start_time": t, "end_time": t + 86_400, "results": [
            {"object": "organization.costs.result", "amount": {"value": 0.6, "currency": "usd"}, "line_item": "gpt-4o-mini, input", "project_id": null},
            {"object": "organization.costs.result", "amount": {"value": 1.0, "currency": "usd"}, "line_item": "gpt-4.1-nano, input", "project_id": null}]}));
    }
    assert_eq!(app.post_events(json!(calls)).await.0, StatusCode::OK);
    let page = json!({"object": "page", "data": buckets, "has_more": false, "next_page": null});
    assert_eq!(import(&app, "openai", page.to_string().as_bytes()).await.0, StatusCode::OK);
    let rule = |name: &str, value: Value, condition: Value| json!({"name": name, "key": "provider", "value": value, "condition": condition});
    let post = |body: Value| {
        let app = &app;
        async move { app.json("POST", "/api/v1/signals/rules", &app.admin_key, body).await }
    };
    let (status, e) = post(
        json!({"name": "x", "key": "team", "condition": {"type": "coverage_below", "percent": "90", "window_days": 7}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.to_string().contains("key"), "{e}");
    let (status, body) = post(rule(
        "OpenAI coverage",
        json!("openai"),
        json!({"type": "coverage_below", "percent": "90", "window_days": 7}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) =
        post(rule("Any provider's gap", Value::Null, json!({"type": "gap_above", "amount": "1.50", "window_days": 7})))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(app.state.invoices.judge_rules(chrono::Utc::now()).await.unwrap(), 2);
    assert_eq!(app.state.invoices.judge_rules(chrono::Utc::now()).await.unwrap(), 0, "a lasting breach alerts once");
    let (_, alerts) = app.get("/api/v1/alerts?kind=signal&status=all", Some(&app.read_key)).await;
    let messages: Vec<&str> = alerts.as_array().unwrap().iter().map(|a| a["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.starts_with("openai: the calls explain 37.5% of the bill")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.starts_with("openai: the bill exceeds the recorded calls by $2.00")),
        "{messages:?}"
    );
    assert_eq!(
        app.state.signals.evaluate(chrono::Utc::now()).await.unwrap(),
        0,
        "the signals service leaves bill rules alone"
    );
    app.finish().await;
}

#[tokio::test]
async fn bill_rules_on_sqlite() {
    bill_rules_fire_once(TestApp::new().await).await;
}

#[tokio::test]
async fn bill_rules_on_postgres() {
    let Some(app) = TestApp::postgres("bill_rules").await else { return };
    bill_rules_fire_once(app).await;
}
