//! Retention (`BURSAR_RETAIN_CALLS_DAYS`) through the API: old calls are
//! refused at ingest, a pass keeps the retired calls' share of a budget the
//! rollups cannot recount, a budget that would need retired calls is
//! refused, and the FOCUS export keeps the tags of retired days.

use crate::helpers::{event, TestApp};
use axum::http::StatusCode;
use chrono::{Duration, DurationRound, Utc};
use serde_json::{json, Value};

fn call(id: &str, days_ago: i64, cost: &str) -> Value {
    let mut e = event(id);
    let o = e.as_object_mut().unwrap();
    let at = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(days_ago);
    o.insert("timestamp".into(), json!(at.to_rfc3339()));
    o.insert("cost".into(), json!(cost));
    o.insert("tags".into(), json!({"team": "core", "user": "ana"}));
    e
}

#[tokio::test]
async fn old_calls_retire_and_what_needs_them_is_refused() {
    let app = TestApp::with_config(|c| c.retain_calls_days = 30).await;
    let (status, body) =
        app.post_events(json!([call("old", 31, "1.00"), call("a", 29, "2.00"), call("b", 1, "3.00")])).await;
    assert_eq!((status, body["accepted"].as_i64()), (StatusCode::OK, Some(2)), "{body}");
    let error = body["rejected"][0]["error"].as_str().unwrap();
    assert!(error.starts_with("timestamp: is before ") && error.contains("BURSAR_RETAIN_CALLS_DAYS=30"), "{error}");

    // An all-time budget by user: the rollups cannot recount it, so the pass keeps
    // the retired call's share of its counter, and nothing waits.
    let admin = app.admin_key.clone();
    let by_user = |name: &str| json!({"name": name, "amount": "50", "period": "total", "split_by": "user"});
    let (status, created) = app.json("POST", "/api/v1/budgets", &admin, by_user("Per user")).await;
    assert_eq!((status, created["spent"].as_str()), (StatusCode::CREATED, Some("5.00")), "{created}");
    let now = Utc::now();
    let r = ingest::retention::retire(&*app.store, 2, now).await.unwrap();
    assert_eq!((r.edge, r.deleted), (r.window_start, 1));
    assert_eq!(app.store.count_events().await.unwrap(), 1);
    // Renaming it recounts it: the retired $2 still counts.
    let id = created["id"].as_str().unwrap().to_string();
    let (status, view) = app.json("PUT", &format!("/api/v1/budgets/{id}"), &admin, by_user("Per user, all time")).await;
    assert_eq!((status, view["spent"].as_str()), (StatusCode::OK, Some("5.00")), "{view}");
    let day = |d: chrono::DateTime<Utc>| d.format("%Y-%m-%d").to_string();
    let (from, to) = (day(now - Duration::days(40)), day(now));
    let (status, spend) = app.spend(&format!("from={from}&to={to}&group_by=team")).await;
    assert_eq!(status, StatusCode::OK, "{spend}");
    let cost: rust_decimal::Decimal = spend["total"]["cost"].as_str().unwrap().parse().unwrap();
    assert_eq!(cost, rust_decimal::Decimal::from(5), "{spend}");

    // A new budget by user would need retired calls: refused, naming split_by;
    // and so is changing the kept one to count other calls (its share would not apply).
    let (status, body) = app.json("POST", "/api/v1/budgets", &admin, by_user("Another")).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("split_by")), "{body}");
    let by_user_in_core = json!({"name": "Per user", "amount": "50", "period": "total", "split_by": "user",
                                 "scope": {"team": "core"}});
    let (status, body) = app.json("PUT", &format!("/api/v1/budgets/{id}"), &admin, by_user_in_core).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("split_by")), "{body}");
    // Spend by user over retired days too, naming from.
    let (status, body) = app.spend(&format!("from={from}&to={to}&group_by=user")).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("from")), "{body}");

    // Explore says where per-call detail ends; a view by user over retired days says why it cannot be read.
    let cookie = app.sign_in_as("viewer").await;
    let page = |path: &str| {
        let req = TestApp::browser("GET", path, Some(&cookie)).body(axum::body::Body::empty()).unwrap();
        app.send(req)
    };
    let (status, _, html) = page("/explore?period=90d&by=team").await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"data-testid="retired-note""#) && html.contains("are retired: totals come from the rollups")
    );
    // By user, the view starts at the edge and says why.
    let (status, _, html) = page("/explore?period=90d&by=user").await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("this grouping needs each call, so the view starts there"), "{html}");

    // Untagged spend by user over retired days is measured since the edge, not an error.
    let (status, _, html) = page("/untagged?period=90d").await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Untagged spend") && !html.contains("could not be read"), "{html}");

    // The FOCUS export of a retired day carries its tags (read from the rollups' own tag sets).
    let retired_day = day(now - Duration::days(29));
    let (status, _, csv) = app.focus_csv(&retired_day, &retired_day).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.lines().nth(1).is_some_and(|l| l.contains(r#"""team"":""core"""#)), "{csv}");
}
