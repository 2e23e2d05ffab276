//! Signals and the cost model over HTTP: each signal definition on a small
//! hand-made data set with known answers, signal rules firing once into the
//! alert history, the stateless estimate, scenarios and model-vs-actual, and
//! clear 4xx answers for bad input.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Five calls of workflow "wf" yesterday, in three tasks (see each line).
async fn seed(app: &TestApp) {
    let at = (Utc::now() - Duration::days(1)).date_naive().and_hms_opt(10, 0, 0).unwrap().and_utc();
    let call = |id: &str, task: &str, model: &str, input: i64, cached: i64, cost: &str, i: i64| {
        json!({
            "id": id, "timestamp": (at + Duration::seconds(i)).to_rfc3339(), "model": model,
            "input_tokens": input, "output_tokens": 100, "cache_read_tokens": cached, "cost": cost,
            "task_id": task, "tags": {"workflow": "wf", "team": "core"}
        })
    };
    let events = json!([
        // t1: one routine call.
        call("c1", "t1", "gpt-4o-mini", 1_000, 0, "0.10", 0),
        // t2: three routine calls, context growing 1,000 a turn, 500 cached each.
        call("c2", "t2", "gpt-4o-mini", 1_000, 500, "0.20", 1),
        call("c3", "t2", "gpt-4o-mini", 2_000, 500, "0.30", 2),
        call("c4", "t2", "gpt-4o-mini", 3_000, 500, "0.40", 3),
        // t3: one call escalated to a premium model ($15 per 1M input: premium by default).
        call("c5", "t3", "claude-opus-4-1", 4_000, 0, "1.00", 4),
    ]);
    let (status, body) = app.post_events(events).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 5);
}

fn this_week(scope: &Value, signal: &str) -> Decimal {
    let s = scope["series"].as_array().unwrap().iter().find(|s| s["signal"] == signal).unwrap();
    dec(&s["this_week"])
}

#[tokio::test]
async fn each_signal_matches_its_hand_computed_value() {
    let app = TestApp::new().await;
    seed(&app).await;
    let read = app.read_key.clone();
    let (status, r) = app.get("/api/v1/signals?key=workflow&days=30", Some(&read)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["days"].as_array().unwrap().len(), 30);
    let scope = &r["scopes"][0];
    assert_eq!(scope["value"], "wf");
    assert_eq!((scope["calls"].as_i64(), scope["tasks"].as_i64()), (Some(5), Some(3)));
    assert_eq!(dec(&scope["spend"]), d("2.00"));
    // 1 of 5 calls on the premium model.
    assert_eq!(this_week(scope, "escalation_calls"), d("20"));
    // 1,500 of 11,000 input tokens read from cache: 13.6%.
    assert_eq!(this_week(scope, "cache_hit"), d("13.6"));
    // Loops 1, 3, 1: mean 1.67, p95 3, longest 3.
    assert_eq!(this_week(scope, "loops_mean"), d("1.67"));
    assert_eq!(this_week(scope, "loops_p95"), d("3"));
    assert_eq!(this_week(scope, "loops_max"), d("3"));
    // 11,000 input tokens over 5 calls.
    assert_eq!(this_week(scope, "context_depth"), d("2200"));
    // Tasks cost $0.10, $0.90 and $1.00: mean $0.666666667.
    assert_eq!(this_week(scope, "cost_per_task"), d("0.666666667"));
    assert_eq!(this_week(scope, "spend"), d("2.00"));
    assert_eq!(scope["longest_task"]["task_id"], "t2");
    assert_eq!(r["premium_models"].as_array().unwrap().iter().filter(|m| *m == "claude-opus-4-1").count(), 1);
    // The day's point carries the same values; the other days have none.
    let esc = scope["series"].as_array().unwrap().iter().find(|s| s["signal"] == "escalation_calls").unwrap();
    let points = esc["points"].as_array().unwrap();
    assert_eq!(dec(&points[28]), d("20"));
    assert!(points[27].is_null() && points[29].is_null());

    // Marking gpt-4o-mini premium moves the escalation rate to 100%.
    let admin = app.admin_key.clone();
    let (s, b) = app.json("PUT", "/api/v1/model/tiers/gpt-4o-mini", &admin, json!({"tier": "premium"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["tier"]["tier"], "premium");
    let (_, r) = app.get("/api/v1/signals?key=workflow&days=30", Some(&read)).await;
    assert_eq!(this_week(&r["scopes"][0], "escalation_calls"), d("100"));
    let (s, b) = app.json("PUT", "/api/v1/model/tiers/gpt-4o-mini", &admin, json!({"tier": "gold"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"].to_string().contains("tier"), "{b}");

    // By team, the same calls are one scope.
    let (_, r) = app.get("/api/v1/signals?key=team&days=30", Some(&read)).await;
    assert_eq!(r["scopes"][0]["value"], "core");
    let (s, b) = app.get("/api/v1/signals?key=bad%20key", Some(&read)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, _) = app.get("/api/v1/signals?days=0", Some(&read)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_signal_rule_fires_once_into_the_alert_history() {
    let app = TestApp::new().await;
    seed(&app).await;
    let admin = app.admin_key.clone();
    let read = app.read_key.clone();
    // Bad rules are refused, naming the field.
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/signals/rules",
            &admin,
            json!({"name": "", "key": "workflow", "condition": {"type": "rise", "signal": "loops_p95", "percent": "0", "window_days": 7}}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let text = b.to_string();
    assert!(text.contains("name") && text.contains("condition.percent"), "{text}");
    let (s, _) = app
        .json("POST", "/api/v1/signals/rules", &read, json!({"name": "x", "key": "workflow", "condition": {"type": "anomaly", "sensitivity": "4", "min_amount": "1"}}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "read keys do not write rules");

    let rule = json!({"name": "Long tasks", "key": "workflow",
                      "condition": {"type": "above", "signal": "loops_max", "threshold": "2", "window_days": 1}, "min_calls": 1});
    let (s, created) = app.json("POST", "/api/v1/signals/rules", &admin, rule).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["describe"], "every workflow: calls in the longest task above 2 over 1 day");
    let first = app.state.signals.evaluate(Utc::now()).await.unwrap();
    assert_eq!(first, 1);
    assert_eq!(app.state.signals.evaluate(Utc::now()).await.unwrap(), 0, "judging again fires nothing new");
    let (s, alerts) = app.get("/api/v1/alerts?kind=signal", Some(&read)).await;
    assert_eq!(s, StatusCode::OK, "{alerts}");
    let list = alerts.as_array().unwrap();
    assert_eq!(list.len(), 1);
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    assert_eq!(list[0]["split_value"], "wf");
    assert_eq!(list[0]["message"], format!("wf: calls in the longest task was 3 on {yesterday}, above 2"));
    let id = created["id"].as_str().unwrap().to_string();
    let (s, listed) = app.get("/api/v1/signals/rules", Some(&read)).await;
    assert_eq!((s, listed["rules"].as_array().unwrap().len()), (StatusCode::OK, 1));
    let (s, _) = app.json("DELETE", &format!("/api/v1/signals/rules/{id}"), &admin, json!(null)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, alerts) = app.get("/api/v1/alerts?kind=signal", Some(&read)).await;
    assert_eq!(alerts.as_array().unwrap().len(), 1, "a deleted rule's alerts stay");
}

fn scenario() -> Value {
    // One call of 1,000,000 input tokens on gpt-4o ($2.50 per 1M), no output: $2.50 a task.
    json!({"tasks_per_day": 10, "loops": {"mean": 1, "p95": 1}, "system_tokens": 0, "turn_tokens": 1_000_000,
           "carry_tokens": 0, "output_tokens": 0, "routine_model": "gpt-4o"})
}

#[tokio::test]
async fn the_estimate_is_stateless_and_names_bad_fields() {
    let app = TestApp::new().await;
    let read = app.read_key.clone();
    let (s, b) = app.json("POST", "/api/v1/model/estimate", &read, scenario()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(dec(&b["estimate"]["cost_per_task_mean"]), d("2.50"));
    // 10 tasks × 30 days × $2.50.
    assert_eq!(dec(&b["estimate"]["cost_per_month"]), d("750"));
    let mut bad = scenario();
    bad["loops"]["p95"] = json!(0);
    bad["routine_model"] = json!("no-such-model");
    let (s, b) = app.json("POST", "/api/v1/model/estimate", &read, bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let text = b.to_string();
    assert!(text.contains("loops.p95") && text.contains("routine_model"), "{text}");
    let (s, b) = app.json("POST", "/api/v1/model/estimate", &read, json!({"tasks_per_day": "many"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(app.store.list_scenarios().await.unwrap().len(), 0, "estimating stores nothing");
}

#[tokio::test]
async fn a_linked_scenario_is_set_beside_what_happened() {
    let app = TestApp::new().await;
    seed(&app).await;
    let admin = app.admin_key.clone();
    let read = app.read_key.clone();
    let (s, b) = app
        .json("POST", "/api/v1/scenarios", &admin, json!({"name": "Plan", "workflow": "wf", "scenario": scenario()}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let (s, list) = app.get("/api/v1/scenarios", Some(&read)).await;
    assert_eq!((s, list["scenarios"][0]["name"].clone()), (StatusCode::OK, json!("Plan")));
    let (s, one) = app.get(&format!("/api/v1/scenarios/{id}"), Some(&read)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(dec(&one["estimate"]["cost_per_task_mean"]), d("2.50"));

    let (s, va) = app.get(&format!("/api/v1/scenarios/{id}/actual?days=7&tolerance=25"), Some(&read)).await;
    assert_eq!(s, StatusCode::OK, "{va}");
    let obs = &va["actual"]["observed"];
    // 3 tasks in 7 days.
    assert_eq!(dec(&obs["tasks_per_day"]), d("0.4"));
    assert_eq!(dec(&obs["loops_mean"]), d("1.67"));
    let rows = va["comparison"].as_array().unwrap();
    let row = |label: &str| rows.iter().find(|r| r["label"] == label).unwrap().clone();
    // Modelled 10 tasks a day, observed 0.4: flagged.
    assert_eq!(row("Tasks per day")["flagged"], true);
    assert_eq!(dec(&row("Cost per task")["observed"]), d("0.666666667"));
    // The calibrated scenario reproduces the observed loops and mix.
    let cal = &va["actual"]["calibrated"];
    assert_eq!(cal["routine_model"], "gpt-4o-mini");
    assert_eq!(cal["escalation_model"], "claude-opus-4-1");
    let (s, c) = app.get("/api/v1/model/calibrate?workflow=wf&days=7", Some(&read)).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["calibrated"], *cal);

    let (s, b) =
        app.json("POST", "/api/v1/scenarios", &admin, json!({"name": "x", "scenario": scenario(), "extra": 1})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b.to_string().contains("extra"), "{b}");
    let (s, _) = app.json("POST", "/api/v1/scenarios", &read, json!({"name": "x", "scenario": scenario()})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.json("DELETE", &format!("/api/v1/scenarios/{id}"), &admin, json!(null)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/v1/scenarios/{id}"), Some(&read)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Each change was audited.
    let (_, audit) = app.get("/api/v1/audit?kind=scenario", Some(&admin)).await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2, "{audit}");
}
