//! The demo shows a cap doing its job: its agents ask the check before each
//! call, so the runaway bug-triage loop ends at its task's $50 hard cap, the
//! cap alert fires, and the task page says where it was stopped.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;

const RUNAWAY: &str = "bug-triage-runaway-7f3a";

async fn runaway_stops_at_its_cap(app: &TestApp) {
    let summary = bursar::tools::demo::load(&app.state, 90, 42, 0.02).await.unwrap();
    assert!(summary.contains(&format!("the longest, {RUNAWAY}")), "{summary}");

    let viewer = app.sign_in_as("viewer").await;
    let (status, body) = app.server_fn("/api/task", &format!("id={RUNAWAY}"), Some(&viewer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let task: Value = serde_json::from_str(&body).unwrap();
    let calls = task["calls"].as_array().unwrap().len();
    // Money crosses the server function as integer nano-dollars.
    let nanos = |v: &Value| Decimal::from(v.as_i64().unwrap()) / Decimal::from(1_000_000_000);
    let total = nanos(&task["total"]);
    let last = nanos(&task["calls"][calls - 1]["cost"]);
    // Before the check, the loop ran all 1,200 calls to $486.20. Now it stops
    // with the call that reaches $50: the total is past $50 by less than that call.
    assert!(calls < 1_200, "{calls} calls");
    assert!(total >= Decimal::from(50) && total - last < Decimal::from(50), "total {total}, last call {last}");
    let stop = &task["stopped_by"];
    assert_eq!(stop["budget_name"], "Bug triage, each task", "{task}");
    assert_eq!(nanos(&stop["limit"]), Decimal::from(50));
    assert_eq!(nanos(&stop["spent"]), total);

    let key = app.read_key.clone();
    let (_, alerts) = app.get("/api/v1/alerts?kind=cap&status=all&limit=1000", Some(&key)).await;
    let fired: Vec<&Value> = alerts.as_array().unwrap().iter().filter(|a| a["split_value"] == RUNAWAY).collect();
    assert_eq!(fired.len(), 1, "the cap alert fired once: {alerts}");
}

#[tokio::test]
async fn the_demo_runaway_stops_at_its_cap_on_sqlite() {
    runaway_stops_at_its_cap(&TestApp::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runaway_stops_at_its_cap_on_postgres() {
    let Some(app) = TestApp::postgres("demo_caps").await else { return };
    runaway_stops_at_its_cap(&app).await;
    app.finish().await;
}
