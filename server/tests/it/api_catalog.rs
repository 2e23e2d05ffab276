//! CatalogService over HTTP: each taxonomy policy at ingest, the taxonomy API
//! and its retroactive job, LiteLLM imports, repricing unpriced calls, the
//! audit log, and the pages' server functions writing to it.

use crate::helpers::{event_with, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

fn rule(key: &str, policy: &str, allowed: &[&str], aliases: Value) -> Value {
    json!({ "key": key, "policy": policy, "allowed": allowed, "aliases": aliases })
}

async fn put_taxonomy(app: &TestApp, keys: Value, apply: bool) -> (StatusCode, Value) {
    let admin = app.admin_key.clone();
    app.json("PUT", "/api/v1/taxonomy", &admin, json!({ "keys": keys, "apply_to_stored": apply })).await
}

fn wf(id: &str, workflow: &str) -> Value {
    event_with(id, "tags", json!({ "team": "core", "workflow": workflow }))
}

async fn workflows(app: &TestApp) -> Vec<(String, i64)> {
    let (status, body) = app.spend("from=2026-11-01&to=2026-11-10&group_by=workflow").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"]["workflow"].as_str().unwrap_or("(untagged)").to_string(), g["calls"].as_i64().unwrap()))
        .collect()
}

async fn wait_for_job(app: &TestApp, id: &str) -> Value {
    let read = app.read_key.clone();
    for _ in 0..200 {
        let (status, job) = app.get(&format!("/api/v1/jobs/{id}"), Some(&read)).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["state"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn accept_stores_and_flags_a_value_outside_the_list() {
    let app = TestApp::new().await;
    let (s, _) =
        put_taxonomy(&app, json!([rule("workflow", "accept", &["bug-triage", "support"], json!({}))]), false).await;
    assert_eq!(s, StatusCode::OK);
    let (status, body) = app.post_events(json!([wf("a", "chaos"), wf("b", "support")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["flagged_count"], 1);
    assert_eq!(body["flagged"][0]["id"], "a");
    assert_eq!(body["flagged"][0]["flags"][0], json!({"reason": "not_allowed", "key": "workflow", "value": "chaos"}));
    assert_eq!(workflows(&app).await, vec![("chaos".into(), 1), ("support".into(), 1)]);
}

#[tokio::test]
async fn normalize_applies_aliases_and_case_folding() {
    let app = TestApp::new().await;
    let keys =
        json!([rule("workflow", "normalize", &[], json!({ "bug_triage": "bug-triage", "triage": "bug-triage" }))]);
    assert_eq!(put_taxonomy(&app, keys, false).await.0, StatusCode::OK);
    let (status, body) =
        app.post_events(json!([wf("a", "Bug-Triage"), wf("b", "BUG_TRIAGE"), wf("c", " triage")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 3);
    assert_eq!(body["flagged_count"], 0);
    assert_eq!(workflows(&app).await, vec![("bug-triage".into(), 3)]);
}

#[tokio::test]
async fn reject_refuses_the_item_naming_the_key_and_allowed_values() {
    let app = TestApp::new().await;
    let mut team = rule("team", "reject", &[], json!({}));
    team["required"] = json!(true);
    let keys = json!([team, rule("workflow", "reject", &["bug-triage", "support"], json!({ "triage": "bug-triage" }))]);
    assert_eq!(put_taxonomy(&app, keys, false).await.0, StatusCode::OK);
    let untagged = event_with("d", "tags", json!({ "workflow": "support" }));
    let (status, body) =
        app.post_events(json!([wf("a", "chaos"), wf("b", "Triage"), wf("c", "support"), untagged])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 2, "{body}");
    let rejected = body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["index"], 0);
    assert_eq!(rejected[0]["error"], "tags.workflow: \"chaos\" is not allowed; allowed values: bug-triage, support");
    assert_eq!(rejected[1]["error"], "tags.team: required");
    assert_eq!(workflows(&app).await, vec![("bug-triage".into(), 1), ("support".into(), 1)]);
}

#[tokio::test]
async fn the_check_sees_tags_as_ingest_stores_them() {
    let app = TestApp::new().await;
    let keys = json!([rule("workflow", "reject", &["bug-triage"], json!({}))]);
    assert_eq!(put_taxonomy(&app, keys, false).await.0, StatusCode::OK);
    let ingest = app.ingest_key.clone();
    let (status, body) = app.json("POST", "/api/v1/check", &ingest, json!({ "tags": { "workflow": "chaos" } })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "tags.workflow");
}

#[tokio::test]
async fn a_bad_taxonomy_is_a_400_listing_every_field() {
    let app = TestApp::new().await;
    let keys = json!([
        rule("Workflow", "accept", &[], json!({})),
        rule("team", "normalize", &["core"], json!({ "Core": "core", "x": "nope" })),
    ]);
    let (status, body) = put_taxonomy(&app, keys, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: Vec<&str> =
        body["error"]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["keys[0].key", "keys[1].aliases.Core", "keys[1].aliases.x"]);
    let (status, body) = put_taxonomy(&app, json!([{ "key": "team", "policy": "shout" }]), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "keys[0]");
    let read = app.read_key.clone();
    let (status, _) = app.json("PUT", "/api/v1/taxonomy", &read, json!({ "keys": [] })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.get("/api/v1/taxonomy", Some(&read)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "keys": [] })));
}

#[tokio::test]
async fn applying_to_stored_calls_merges_spellings_in_a_job() {
    let app = TestApp::new().await;
    app.post_events(json!([wf("a", "Bug-Triage"), wf("b", "bug_triage"), wf("c", "bug-triage"), wf("d", "support")]))
        .await;
    assert_eq!(workflows(&app).await.len(), 4);
    let keys = json!([rule("workflow", "normalize", &[], json!({ "bug_triage": "bug-triage" }))]);
    let (status, body) = put_taxonomy(&app, keys, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let job = wait_for_job(&app, body["job"]["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(workflows(&app).await, vec![("bug-triage".into(), 3), ("support".into(), 1)]);
    let (status, _) = app.get("/api/v1/jobs/job_nope", Some(&app.read_key.clone())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

const LITELLM: &str = r#"{
    "sample_spec": { "mode": "one of: chat, embedding" },
    "gpt-4o": { "input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "cache_read_input_token_cost": 1e-06, "litellm_provider": "openai", "mode": "chat" },
    "acme/acme-chat": { "input_cost_per_token": 5e-07, "output_cost_per_token": 1.5e-06, "litellm_provider": "acme", "mode": "chat" },
    "text-embedding-3-small": { "input_cost_per_token": 2e-08, "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "embedding" }
}"#;

async fn import(app: &TestApp, query: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::post(format!("/api/v1/prices/import?{query}"))
        .header("authorization", format!("Bearer {}", app.admin_key))
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, _, body) = app.send(req).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_import_shows_its_diff_then_applies_and_reprices_unpriced_calls() {
    let app = TestApp::new().await;
    let unknown = |id: &str| {
        let mut e = event_with(id, "model", json!("acme-chat"));
        e["input_tokens"] = json!(10_000);
        e["output_tokens"] = json!(1_000);
        e
    };
    let (_, body) = app.post_events(json!([unknown("u1"), unknown("u2")])).await;
    assert_eq!(body["unpriced"], 2);
    let read = app.read_key.clone();
    let (_, unpriced) = app.get("/api/v1/prices/unpriced", Some(&read)).await;
    assert_eq!(unpriced["models"][0]["model"], "acme-chat");
    assert_eq!(unpriced["models"][0]["calls"], 2);
    let admin = app.admin_key.clone();
    let (status, body) = app.json("POST", "/api/v1/prices/reprice", &admin, json!({ "models": ["acme-chat"] })).await;
    assert_eq!((status, body["error"]["field"].clone()), (StatusCode::BAD_REQUEST, json!("models")));

    let (status, body) = import(&app, "from=2026-10-01", LITELLM).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["applied"], Value::Null, "a preview changes nothing");
    assert_eq!(body["diff"]["changed"][0]["model"], "gpt-4o");
    assert_eq!(body["diff"]["changed"][0]["next"]["input"], "2");
    assert_eq!(body["diff"]["new"][0]["model"], "acme-chat");
    assert_eq!(body["diff"]["skipped"], 1);
    let (_, prices) = app.get("/api/v1/prices", Some(&read)).await;
    let gpt = prices["models"].as_array().unwrap().iter().find(|m| m["model"] == "gpt-4o").unwrap().clone();
    assert!(gpt["prices"].as_array().unwrap().iter().all(|p| p["effective_from"] != "2026-10-01"));

    let (status, body) = import(&app, "from=2026-10-01&apply=true&add_new=true", LITELLM).await;
    assert_eq!((status, body["applied"].clone()), (StatusCode::OK, json!(2)), "{body}");
    let (status, job) = app.json("POST", "/api/v1/prices/reprice", &admin, json!({ "models": ["acme-chat"] })).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(wait_for_job(&app, job["id"].as_str().unwrap()).await["state"], "done");
    // 10,000 × $0.50 + 1,000 × $1.50 per 1M = $0.0065 a call.
    let (_, spend) = app.spend("from=2026-11-01&to=2026-11-10&group_by=model").await;
    let acme = spend["groups"].as_array().unwrap().iter().find(|g| g["key"]["model"] == "acme-chat").unwrap().clone();
    assert_eq!(acme["cost"], "0.013");
    assert_eq!(acme["unpriced_calls"], 0);
    let (_, unpriced) = app.get("/api/v1/prices/unpriced", Some(&read)).await;
    assert_eq!(unpriced["models"], json!([]));

    let (status, body) = import(&app, "from=yesterday", LITELLM).await;
    assert_eq!((status, body["error"]["field"].clone()), (StatusCode::BAD_REQUEST, json!("from")));
    let (status, body) = import(&app, "", "[1, 2]").await;
    assert_eq!((status, body["error"]["field"].clone()), (StatusCode::BAD_REQUEST, json!("file")));
}

#[tokio::test]
async fn the_audit_log_records_api_and_page_changes() {
    let app = TestApp::new().await;
    assert_eq!(put_taxonomy(&app, json!([rule("team", "accept", &[], json!({}))]), false).await.0, StatusCode::OK);
    let cookie = app.sign_in_as("admin").await;
    let form = "original=&key=workflow&description=The+agent&required=on&allowed=&aliases=bug_triage+%3D%3E+bug-triage&policy=normalize";
    let (status, body) = app.server_fn("/api/save_tag_rule", form, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .server_fn(
            "/api/save_tag_rule",
            "original=&key=Bad+Key&description=&allowed=&aliases=&policy=accept",
            Some(&cookie),
        )
        .await;
    assert!(status.is_server_error() || status.is_client_error(), "{status}");
    assert!(body.contains("key: must start with a lowercase letter"), "{body}");

    let admin = app.admin_key.clone();
    let (status, log) = app.get("/api/v1/audit?kind=taxonomy", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries[0]["actor"].as_str().unwrap().starts_with("admin-"), "{}", entries[0]);
    assert_eq!(entries[0]["target"], "workflow");
    assert_eq!(entries[0]["after"]["aliases"], json!({ "bug_triage": "bug-triage" }));
    assert_eq!(entries[1]["actor"], "key:admin");
    let (status, body) = app.get("/api/v1/audit?kind=robots", Some(&admin)).await;
    assert_eq!((status, body["error"]["field"].clone()), (StatusCode::BAD_REQUEST, json!("kind")));
    let read = app.read_key.clone();
    assert_eq!(app.get("/api/v1/audit", Some(&read)).await.0, StatusCode::FORBIDDEN);
    // The pages render the new rule and the log.
    for (page, want) in [
        ("/taxonomy", "bug_triage =&gt; bug-triage"),
        ("/audit?kind=taxonomy", "taxonomy.update"),
        ("/prices", "gpt-4o"),
    ] {
        let (status, _, body) =
            app.send(TestApp::browser("GET", page, Some(&cookie)).body(Body::empty()).unwrap()).await;
        let body = String::from_utf8_lossy(&body);
        assert!(status == StatusCode::OK && body.contains(want), "{page}: {status}, no {want:?}");
    }
}

#[tokio::test]
async fn budgets_follow_the_taxonomy_so_caps_keep_matching() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    let budget = |name: &str| {
        json!({ "name": name, "scope": { "team": "Support" }, "period": "month", "amount": "1",
                "thresholds": [50], "hard_cap": true, "webhook": "https://hooks.slack.com/services/T0/B0/secret" })
    };
    let (status, before) = app.json("POST", "/api/v1/budgets", &admin, budget("Before")).await;
    assert_eq!(status, StatusCode::CREATED, "{before}");
    assert_eq!(before["scope"]["team"], "Support");
    let (status, _) = put_taxonomy(&app, json!([rule("team", "normalize", &[], json!({}))]), false).await;
    assert_eq!(status, StatusCode::OK);
    // The existing budget now names the team as calls will carry it…
    let id = before["id"].as_str().unwrap();
    let (_, now) = app.get(&format!("/api/v1/budgets/{id}"), Some(&admin)).await;
    assert_eq!(now["scope"]["team"], "support", "{now}");
    // …and a new one is saved that way.
    let (_, after) = app.json("POST", "/api/v1/budgets", &admin, budget("After")).await;
    assert_eq!(after["scope"]["team"], "support", "{after}");
    // So the cap still stops calls sent as "Support".
    let call = |id: &str| {
        let mut e = event_with(id, "tags", json!({ "team": "Support" }));
        e["timestamp"] = json!(chrono::Utc::now().to_rfc3339());
        e["cost"] = json!("2.00");
        e
    };
    let (_, body) = app.post_events(json!([call("s1")])).await;
    assert_eq!(body["caps_reached"].as_array().unwrap().len(), 2, "{body}");
    let ingest = app.ingest_key.clone();
    let (_, answer) = app.json("POST", "/api/v1/check", &ingest, json!({ "tags": { "team": "SUPPORT" } })).await;
    assert_eq!(answer["allowed"], false, "{answer}");
    // The audit log has the realignment, with the webhook by host only.
    let (_, log) = app.get(&format!("/api/v1/audit?kind=budget&target={id}"), Some(&admin)).await;
    let entry = &log["entries"][0];
    assert_eq!((entry["action"].as_str(), entry["actor"].as_str()), (Some("budget.update"), Some("key:admin")));
    assert_eq!(entry["before"]["scope"]["team"], "Support");
    assert!(!log.to_string().contains("secret"), "{log}");
}

#[tokio::test]
async fn an_import_cannot_date_prices_before_the_history_it_extends() {
    let app = TestApp::new().await;
    let (status, body) = import(&app, "from=2024-06-01", LITELLM).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "from");
    assert!(body["error"]["message"].as_str().unwrap().contains("2024-10-02"), "{body}");
}
