//! Explore, the calls list, the task view and the CSV export, over HTTP as a
//! signed-in browser sees them.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::json;

async fn seeded() -> (TestApp, String) {
    let app = TestApp::new().await;
    let now = Utc::now() - Duration::hours(1);
    let mut events = Vec::new();
    for i in 0..12 {
        let (team, wf) = if i % 3 == 0 { ("platform", "bug-triage") } else { ("support", "support-chat") };
        events.push(json!({
            "id": format!("x{i}"), "timestamp": (now + Duration::seconds(i)).to_rfc3339(), "model": "gpt-4o",
            "input_tokens": 1000 + i * 100, "output_tokens": 10, "cost": format!("{}.25", i + 1),
            "task_id": if i % 3 == 0 { "loop-7" } else { "chat-1" },
            "tags": {"team": team, "workflow": wf, "user": format!("u{}", i % 2)}
        }));
    }
    let (status, body) = app.post_events(json!(events)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = app.sign_in_as("viewer").await;
    (app, cookie)
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let (s, h, b) = app.send(TestApp::browser("GET", path, Some(cookie)).body(Body::empty()).unwrap()).await;
    (s, h, String::from_utf8(b).unwrap())
}

#[tokio::test]
async fn explore_groups_filters_and_links_each_row_down() {
    let (app, cookie) = seeded().await;
    let (status, _, html) = get(&app, "/explore?period=7d&by=workflow", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("bug-triage") && html.contains("support-chat"));
    // 1.25+4.25+7.25+10.25 = 23.00 for bug-triage; 58.00 for support-chat; 81.00 in all.
    assert!(html.contains("$81.00"), "total");
    assert!(html.contains("$23.00") && html.contains("$58.00"));
    assert!(html.contains("f=workflow%3Abug-triage"), "rows drill down by filtering");
    let (_, _, html) = get(&app, "/explore?period=7d&by=user&f=workflow%3Abug-triage", &cookie).await;
    assert!(html.contains("$23.00") && !html.contains("$58.00"), "the filter narrows the view");
    assert!(html.contains("/tasks/loop-7"), "the calls list links to the task");
}

#[tokio::test]
async fn the_task_view_lists_a_tasks_calls_in_order() {
    let (app, cookie) = seeded().await;
    let (status, _, html) = get(&app, "/tasks/loop-7", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("$23.00"), "task total");
    let at = html.find("task-loops").expect("loop count");
    assert!(html[at..at + 40].contains(">4<"), "four loops: {}", &html[at..at + 40]);
}

#[tokio::test]
async fn csv_export_sums_to_the_page_total() {
    let (app, cookie) = seeded().await;
    let (status, headers, csv) = get(&app, "/explore.csv?period=7d&by=team&then=workflow", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "team,workflow,cost_usd,calls,tokens,share,previous_cost_usd");
    let total: rust_decimal::Decimal =
        lines.map(|l| l.split(',').nth(2).unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
    assert_eq!(total.to_string(), "81.00");
}

#[tokio::test]
async fn explore_and_exports_need_a_session() {
    let (app, _) = seeded().await;
    for path in ["/explore", "/tasks/loop-7", "/explore.csv"] {
        let (status, headers, _) = app.send(TestApp::browser("GET", path, None).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert!(headers.get("location").unwrap().to_str().unwrap().starts_with("/login"));
    }
    for (path, body) in [("/api/explore", "query="), ("/api/task", "id=loop-7")] {
        let req = TestApp::browser("POST", path, None)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        assert_eq!(app.send(req).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }
}
