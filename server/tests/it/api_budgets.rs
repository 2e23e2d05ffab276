//! Budgets, alerts and the pre-call check over HTTP: the REST surface, bad
//! input, alerts firing once, webhook delivery with retries, and history
//! that outlives its budget.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

fn platform_budget(webhook: Option<&str>) -> Value {
    json!({
        "name": "Platform monthly",
        "scope": {"team": "platform"},
        "period": "month",
        "amount": "100",
        "thresholds": [50, 80, 100],
        "hard_cap": true,
        "webhook": webhook,
        "description": "All of platform's LLM spend"
    })
}

/// A call by team platform costing `usd`, now.
fn call(id: &str, usd: &str, extra: Value) -> Value {
    let mut tags = json!({"team": "platform"});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            tags[k] = v;
        }
    }
    json!({"id": id, "timestamp": Utc::now().to_rfc3339(), "model": "gpt-4o", "input_tokens": 10, "output_tokens": 1, "cost": usd, "tags": tags})
}

async fn alerts(app: &TestApp, query: &str) -> Vec<Value> {
    let key = app.read_key.clone();
    let (status, body) = app.get(&format!("/api/v1/alerts?{query}"), Some(&key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

#[tokio::test]
async fn bad_budgets_are_refused_naming_every_field() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    let mut bad = platform_budget(None);
    bad["amount"] = json!("0");
    bad["thresholds"] = json!([80, 50]);
    bad["split_by"] = json!("customer");
    let (status, body) = app.json("POST", "/api/v1/budgets", &admin, bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: Vec<&str> =
        body["error"]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["split_by", "amount", "thresholds"]);
    assert_eq!(body["error"]["field"], "split_by");
    let (status, body) =
        app.json("POST", "/api/v1/budgets", &admin, json!({"amount": -5, "name": "x", "period": "day"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["errors"][0], json!({"field": "amount", "reason": "must be more than zero"}));
    let (status, body) = app.json("POST", "/api/v1/budgets", &admin, json!({"amount": true})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("amount")));
    let read = app.read_key.clone();
    let (status, _) = app.json("POST", "/api/v1/budgets", &read, platform_budget(None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a read key may not create budgets");
    let (status, _) = app.get("/api/v1/budgets/bgt_nope", Some(&read)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn spend_crossing_thresholds_fires_each_alert_once_and_the_cap_refuses_calls() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    let (status, created) = app.json("POST", "/api/v1/budgets", &admin, platform_budget(None)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!((created["amount"].as_str(), created["spent"].as_str()), (Some("100.00"), Some("0.00")));

    let batch = json!([call("a", "45", json!({})), call("b", "40", json!({}))]);
    let (status, body) = app.post_events(batch.clone()).await;
    assert_eq!((status, body["accepted"].as_i64()), (StatusCode::OK, Some(2)));
    assert_eq!(body["caps_reached"], json!([]));
    // A replayed batch and a small call below the next threshold fire nothing more.
    app.post_events(batch).await;
    app.post_events(json!([call("c", "5", json!({}))])).await;
    let fired = alerts(&app, &format!("budget={id}")).await;
    let kinds: Vec<(String, i64)> =
        fired.iter().map(|a| (a["kind"].as_str().unwrap().into(), a["threshold"].as_i64().unwrap())).collect();
    assert_eq!(kinds, vec![("threshold".into(), 80), ("threshold".into(), 50)]);
    assert_eq!((fired[0]["spent"].as_str(), fired[0]["limit"].as_str()), (Some("85.00"), Some("100.00")));

    // Before the cap: allowed, unless the estimate would pass it.
    let ingest = app.ingest_key.clone();
    let ask = |cost: &str| json!({"tags": {"team": "platform"}, "model": "gpt-4o", "estimated_cost": cost});
    let (status, answer) = app.json("POST", "/api/v1/check", &ingest, ask("1")).await;
    assert_eq!((status, answer["allowed"].as_bool()), (StatusCode::OK, Some(true)), "{answer}");
    let (_, answer) = app.json("POST", "/api/v1/check", &ingest, ask("20")).await;
    assert_eq!(answer["allowed"], false);

    let (_, body) = app.post_events(json!([call("d", "12", json!({}))])).await;
    assert_eq!(body["caps_reached"][0]["budget_id"], id.as_str());
    assert_eq!(body["caps_reached"][0]["spent"], "102.00");
    let (_, answer) =
        app.json("POST", "/api/v1/check", &ingest, json!({"tags": {"team": "platform", "user": "ana"}})).await;
    assert_eq!(answer["allowed"], false);
    let blocked = &answer["blocked_by"][0];
    assert_eq!((blocked["name"].as_str(), blocked["limit"].as_str()), (Some("Platform monthly"), Some("100.00")));
    assert!(blocked["period_end"].as_str().is_some());
    let (_, other) = app.json("POST", "/api/v1/check", &ingest, json!({"tags": {"team": "search"}})).await;
    assert_eq!(other, json!({"allowed": true, "blocked_by": [], "reservation": null}));
    let (status, body) = app.json("POST", "/api/v1/check", &ingest, json!({"tags": {"team": 5}})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("tags.team")));
    assert_eq!(alerts(&app, "kind=cap").await.len(), 1);

    // The budget's standing.
    let read = app.read_key.clone();
    let (_, view) = app.get(&format!("/api/v1/budgets/{id}"), Some(&read)).await;
    assert_eq!((view["spent"].as_str(), view["nearest"]["blocked"].as_bool()), (Some("102.00"), Some(true)));
    assert!(!view["burn"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_reserving_check_holds_its_estimate_until_the_call_is_ingested() {
    let app = TestApp::new().await;
    let (_, created) = app.json("POST", "/api/v1/budgets", &app.admin_key.clone(), platform_budget(None)).await;
    let id = created["id"].as_str().unwrap().to_string();
    let ingest = app.ingest_key.clone();
    let reserve = |call: &str, cost: &str| json!({"tags": {"team": "platform"}, "estimated_cost": cost, "reserve": true, "id": call});
    let (status, held) = app.json("POST", "/api/v1/check", &ingest, reserve("c1", "60")).await;
    assert_eq!((status, held["allowed"].as_bool()), (StatusCode::OK, Some(true)), "{held}");
    assert_eq!(
        (held["reservation"]["id"].as_str(), held["reservation"]["amount"].as_str()),
        (Some("c1"), Some("60.00"))
    );
    assert_eq!(
        (held["reservation"]["caps"].as_u64(), held["reservation"]["already_held"].as_bool()),
        (Some(1), Some(false))
    );
    // Asking again under the same id holds nothing more.
    let (_, again) = app.json("POST", "/api/v1/check", &ingest, reserve("c1", "60")).await;
    assert_eq!(again["reservation"]["already_held"], true);
    // $60 is held: another $50 would pass the $100 cap, with or without a reservation.
    let (_, refused) = app.json("POST", "/api/v1/check", &ingest, reserve("c2", "50")).await;
    assert_eq!((refused["allowed"].as_bool(), refused["reservation"].is_null()), (Some(false), true), "{refused}");
    let blocked = &refused["blocked_by"][0];
    assert_eq!((blocked["spent"].as_str(), blocked["reserved"].as_str()), (Some("0.00"), Some("60.00")));
    let (_, plain) =
        app.json("POST", "/api/v1/check", &ingest, json!({"tags": {"team": "platform"}, "estimated_cost": "50"})).await;
    assert_eq!(plain["allowed"], false, "a check without a reservation counts the holds too");
    let read = app.read_key.clone();
    let (_, view) = app.get(&format!("/api/v1/budgets/{id}"), Some(&read)).await;
    assert_eq!(view["reservations"], json!({"live": 1, "reserved": "60.00", "expired": 0}));

    // The call arrives costing $55.10: it is counted and its hold released, together.
    app.post_events(json!([call("c1", "55.10", json!({}))])).await;
    let (_, view) = app.get(&format!("/api/v1/budgets/{id}"), Some(&read)).await;
    assert_eq!((view["spent"].as_str(), view["reservations"]["live"].as_i64()), (Some("55.10"), Some(0)));
    let (_, fits) = app.json("POST", "/api/v1/check", &ingest, reserve("c3", "44.90")).await;
    assert_eq!(fits["allowed"], true, "$55.10 spent and $44.90 held reach the cap exactly: {fits}");
    let (_, over) = app.json("POST", "/api/v1/check", &ingest, reserve("c4", "0.01")).await;
    assert_eq!(over["allowed"], false);

    // Bad reservations name the field.
    for (body, field) in [
        (json!({"reserve": true, "estimated_cost": "1"}), "id"),
        (json!({"reserve": true, "id": "x"}), "estimated_cost"),
        (json!({"reserve": "yes", "id": "x", "estimated_cost": "1"}), "reserve"),
    ] {
        let (status, e) = app.json("POST", "/api/v1/check", &ingest, body).await;
        assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{e}");
    }
}

#[tokio::test]
async fn acknowledging_and_deleting_keep_the_history() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    let (_, created) = app.json("POST", "/api/v1/budgets", &admin, platform_budget(None)).await;
    let id = created["id"].as_str().unwrap().to_string();
    app.post_events(json!([call("a", "60", json!({}))])).await;
    let alert = alerts(&app, "status=open").await[0].clone();
    let path = format!("/api/v1/alerts/{}/ack", alert["id"]);
    let read = app.read_key.clone();
    let (status, _) = app.json("POST", &path, &read, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, acked) = app.json("POST", &path, &admin, json!({})).await;
    assert_eq!((status, acked["acked_by"].as_str()), (StatusCode::OK, Some("key:admin")));
    assert!(alerts(&app, "status=open").await.is_empty());
    assert_eq!(alerts(&app, "status=acked").await.len(), 1);
    let (status, body) = app.get("/api/v1/alerts?status=closed", Some(&read)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("status")));

    let (status, _) = app.json("DELETE", &format!("/api/v1/budgets/{id}"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&format!("/api/v1/budgets/{id}"), Some(&read)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let kept = alerts(&app, &format!("budget={id}")).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["budget_name"], "Platform monthly");
}

/// A webhook receiver that answers 500 to its first request and 200 after.
async fn flaky_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = got.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                let mut v = seen.lock().unwrap();
                v.push(body);
                if v.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/hook"), got)
}

#[tokio::test]
async fn alerts_are_delivered_to_the_webhook_with_retries_recorded() {
    let app = TestApp::local().await;
    let (url, got) = flaky_receiver().await;
    let admin = app.admin_key.clone();
    let (status, _) = app.json("POST", "/api/v1/budgets", &admin, platform_budget(Some(&url))).await;
    assert_eq!(status, StatusCode::CREATED);
    app.post_events(json!([call("a", "55", json!({}))])).await;
    let now = Utc::now() + Duration::seconds(1);
    assert_eq!(server::jobs::alerts::deliver_due(&app.state, now).await.unwrap(), 1);
    assert_eq!(server::jobs::alerts::deliver_due(&app.state, now).await.unwrap(), 0, "the retry waits");
    let later = now + Duration::seconds(11);
    assert_eq!(server::jobs::alerts::deliver_due(&app.state, later).await.unwrap(), 1);
    assert_eq!(server::jobs::alerts::deliver_due(&app.state, later + Duration::hours(1)).await.unwrap(), 0);

    // Readers see where alerts go, not the webhook's secret path; admins see it whole.
    let read = app.read_key.clone();
    let (_, listed) = app.get("/api/v1/budgets", Some(&read)).await;
    assert_eq!(listed[0]["webhook"], format!("{}/…", url.trim_end_matches("/hook")));
    let (_, listed) = app.get("/api/v1/budgets", Some(&admin)).await;
    assert_eq!(listed[0]["webhook"], url.as_str());

    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2, "one failed attempt, one delivery");
    assert_eq!(bodies[1]["text"], "Bursar: Platform monthly crossed 50%: $55.00 of $100.00");
    assert_eq!(bodies[1]["blocks"][0]["type"], "section");
    assert_eq!(bodies[1]["alert"]["threshold"], 50);
    let alert = &alerts(&app, "").await[0];
    assert_eq!((alert["delivery"].as_str(), alert["attempts"].as_i64()), (Some("delivered"), Some(2)));
    let (_, detail) = app.get(&format!("/api/v1/alerts/{}", alert["id"]), Some(&read)).await;
    let attempts = detail["delivery_attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!((attempts[0]["status"].as_i64(), attempts[1]["status"].as_i64()), (Some(500), Some(200)));
    assert!(attempts[0]["error"].as_str().unwrap().starts_with("HTTP 500"));
}

#[tokio::test]
async fn an_alert_with_nowhere_to_go_is_marked_so() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    app.json("POST", "/api/v1/budgets", &admin, platform_budget(None)).await;
    app.post_events(json!([call("a", "55", json!({}))])).await;
    server::jobs::alerts::deliver_due(&app.state, Utc::now() + Duration::seconds(1)).await.unwrap();
    assert_eq!(alerts(&app, "").await[0]["delivery"], "none");
}

#[tokio::test]
async fn a_webhook_that_is_down_never_blocks_ingest() {
    let app = TestApp::local().await;
    let admin = app.admin_key.clone();
    // Nothing listens on port 9 (discard) here; delivery fails, ingest does not care.
    app.json("POST", "/api/v1/budgets", &admin, platform_budget(Some("http://127.0.0.1:9/hook"))).await;
    let (status, body) = app.post_events(json!([call("a", "55", json!({})), call("b", "40", json!({}))])).await;
    assert_eq!((status, body["accepted"].as_i64()), (StatusCode::OK, Some(2)));
    server::jobs::alerts::deliver_due(&app.state, Utc::now() + Duration::seconds(1)).await.unwrap();
    let fired = alerts(&app, "").await;
    assert!(fired.iter().all(|a| a["delivery"] == "pending" && a["attempts"] == 1), "{fired:?}");
}

/// Posts the budget form as the browser does.
async fn post_form(app: &TestApp, cookie: &str, scope: &str) -> (StatusCode, String) {
    let form = format!(
        "id=&name=Mine&scope={}&split_by=&period=month&amount=100&thresholds=50&hard_cap=true&webhook=&owner=&description=&time_zone=",
        scope.replace('=', "%3D")
    );
    app.server_fn("/api/save_budget", &form, Some(cookie)).await
}

#[tokio::test]
async fn the_server_keeps_a_lead_to_their_own_teams() {
    let app = TestApp::new().await;
    let lead = app.sign_in_as("lead").await; // leads team "platform"
    let (status, body) = post_form(&app, &lead, "team=search").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("you lead platform"), "{body}");
    let (_, body) = post_form(&app, &lead, "").await;
    assert!(body.contains("must be scoped to one of their teams"), "{body}");
    assert!(app.store.list_budgets().await.unwrap().is_empty());
    let (status, body) = post_form(&app, &lead, "team=platform").await;
    assert!(status.is_success() || status.is_redirection(), "{status} {body}");
    assert_eq!(app.store.list_budgets().await.unwrap().len(), 1);
    let viewer = app.sign_in_as("viewer").await;
    let (status, _) = post_form(&app, &viewer, "team=platform").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.list_budgets().await.unwrap().len(), 1);
}
