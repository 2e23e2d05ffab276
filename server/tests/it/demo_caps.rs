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
    reconcile_explains_the_demos_bills(app).await;
}

/// The demo's bills for last month: Reconcile finds the uninstrumented batch
/// job, Google's 7% discount and the dropped Sonnet cache writes (and the
/// unpriced fine-tune), and explains the whole gap.
async fn reconcile_explains_the_demos_bills(app: &TestApp) {
    let today = chrono::Utc::now().date_naive();
    let first = chrono::Datelike::with_day(&today, 1).unwrap();
    let from = chrono::Datelike::with_day(&(first - chrono::Duration::days(1)), 1).unwrap();
    let last = first - chrono::Duration::days(1);
    let path = format!("/api/v1/reconcile?from={from}&to={last}&group_by=provider,model");
    let (status, r) = app.get(&path, Some(&app.read_key)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let found: Vec<(String, String, Option<String>, Option<String>)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().map(String::from);
            (s("kind").unwrap(), s("provider").unwrap(), s("model"), s("token_class"))
        })
        .collect();
    let has = |kind: &str, provider: &str, model: Option<&str>, class: Option<&str>| {
        found.contains(&(kind.into(), provider.into(), model.map(String::from), class.map(String::from)))
    };
    assert!(has("uninstrumented", "openai", Some("gpt-4.1-nano"), None), "{found:?}");
    assert!(has("price_difference", "google", None, None), "{found:?}");
    assert!(
        has("under_reported_token_class", "anthropic", Some("claude-sonnet-4-5"), Some("cache_write")),
        "{found:?}"
    );
    assert!(has("unpriced", "openai", Some("ft:gpt-4.1-mini:acme:onboarding-v3"), None), "{found:?}");
    assert_eq!(found.len(), 4, "nothing else: {found:?}");
    let google = r["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "price_difference").unwrap();
    assert!(google["text"].as_str().unwrap().contains("93.00%"), "{google}");
    assert_eq!(r["unexplained"], "0.00", "the findings explain the whole gap: {}", r["totals"]);

    // The Reconcile page's data: the same findings for finance; the runs for admins only.
    let viewer = app.sign_in_as("viewer").await;
    let (status, body) = app.server_fn("/api/reconcile", "month=", Some(&viewer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["findings"], r["findings"]);
    assert_eq!(page["month"], from.format("%Y-%m").to_string());
    assert_eq!(page["runs"].as_array().unwrap().len(), 0, "finance does not see the runs");
    let admin = app.sign_in_as("admin").await;
    let (_, body) = app.server_fn("/api/reconcile", "month=", Some(&admin)).await;
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["runs"].as_array().unwrap().len(), 3, "{}", page["runs"]);
    let (status, _, html) =
        app.send(TestApp::browser("GET", "/reconcile", Some(&viewer)).body(axum::body::Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("reconcile-findings") && html.contains("uninstrumented"), "the page renders its findings");
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
