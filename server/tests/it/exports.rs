//! Every export reconciles with the spend API for every shape of call, to
//! the nano-dollar: FOCUS, the Explore CSV and the calls list, in a property
//! test over random mixes of the shapes that once broke one (a cost with no
//! tokens dropped its FOCUS row).

use crate::helpers::{event, TestApp};
use axum::http::StatusCode;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

/// One call of a given shape on a given day of November 2026.
fn shaped(i: usize, shape: u8, day: u32, n: i64) -> Value {
    let mut e = event(&format!("x{i}"));
    let o = e.as_object_mut().unwrap();
    o.insert("timestamp".into(), json!(format!("2026-11-{day:02}T{:02}:17:00Z", i % 24)));
    let (model, input, output, cache, cost): (&str, i64, i64, i64, Option<String>) = match shape {
        // Priced from the catalog.
        0 => ("gpt-4o", 1_000 + n, 100 + n % 997, n % 500, None),
        // A cost but no tokens (per-request billing, or a caller that sends cost only).
        1 => ("gpt-4o", 0, 0, 0, Some(format!("0.{:09}", 1 + n % 999_999_999))),
        // No tokens and no cost: $0, still a call.
        2 => ("gpt-4o-mini", 0, 0, 0, None),
        // A model without a price: kept, unpriced.
        3 => ("my-finetune", 500 + n, 50, 0, None),
        // The caller's own (negotiated) price.
        4 => {
            ("claude-sonnet-4-5", 10_000 + n, 500, 0, Some(format!("{}.{:09}", n % 3, n % 1_000_000_007 % 999_999_999)))
        }
        // Over the long-context tier.
        5 => ("claude-sonnet-4-5", 200_001 + n, 1_000, 1_000, None),
        // Through a cloud, at its own rate.
        _ => ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", 3_000 + n, 300, 100, None),
    };
    o.insert("model".into(), json!(model));
    o.remove("provider");
    o.insert("input_tokens".into(), json!(input));
    o.insert("output_tokens".into(), json!(output));
    o.insert("cache_read_tokens".into(), json!(cache));
    let team = ["core", "search", "data"][i % 3];
    o.insert("tags".into(), json!({"team": team, "workflow": "w"}));
    if let Some(c) = cost {
        o.insert("cost".into(), json!(c));
    }
    e
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn check(calls: Vec<(u8, u32, i64)>) {
    let app = TestApp::new().await;
    let events: Vec<Value> = calls.iter().enumerate().map(|(i, &(s, d, n))| shaped(i, s, d, n)).collect();
    let (status, body) = app.post_events(json!(events)).await;
    assert_eq!((status, body["rejected"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{body}");
    let (status, _, text) = app.focus_csv("2026-11-01", "2026-11-30").await;
    assert_eq!(status, StatusCode::OK);
    // BilledCost is the first column and never quoted.
    let billed: Decimal = text.lines().skip(1).map(|l| Decimal::from_str(l.split(',').next().unwrap()).unwrap()).sum();
    let (_, spend) = app.spend("from=2026-11-01&to=2026-11-30").await;
    let total = Decimal::from_str(spend["total"]["cost"].as_str().unwrap()).unwrap();
    assert_eq!(billed, total, "FOCUS against the spend API for {calls:?}");
    // The Explore CSV of the same days, as a signed-in person downloads it.
    let cookie = app.sign_in_as("viewer").await;
    let view = "by=team&period=custom&from=2026-11-01&to=2026-11-30";
    let (status, _, bytes) = app
        .send(
            TestApp::browser("GET", &format!("/explore.csv?{view}"), Some(&cookie))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(bytes).unwrap();
    let explored: Decimal = csv.lines().skip(1).map(|l| Decimal::from_str(l.split(',').nth(1).unwrap()).unwrap()).sum();
    assert_eq!(explored, total, "the Explore CSV against the spend API: {csv}");
    // The calls list behind the view, every page of it.
    let mut listed = Decimal::ZERO;
    for page in 0.. {
        let form = format!("query={}", urlencode(&format!("{view}&p={page}")));
        let (status, body) = app.server_fn("/api/explore", &form, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data: serde_json::Value = serde_json::from_str(&body).unwrap();
        let nanos: i64 = data["calls"].as_array().unwrap().iter().filter_map(|c| c["cost"].as_i64()).sum();
        listed += Decimal::from(nanos) / Decimal::from(1_000_000_000);
        if data["more_calls"] != true {
            break;
        }
    }
    assert_eq!(listed, total, "the calls list against the spend API");
    // Grouped by team and by model the groups add up to the total too.
    for group in ["team", "model,provider"] {
        let (_, g) = app.spend(&format!("from=2026-11-01&to=2026-11-30&group_by={group}")).await;
        let sum: Decimal = g["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| Decimal::from_str(x["cost"].as_str().unwrap()).unwrap())
            .sum();
        assert_eq!(sum, total, "groups by {group}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn focus_reconciles_with_spend_for_every_shape_of_call(
        calls in proptest::collection::vec((0u8..7, 1u32..29, 0i64..1_000_000), 1..40)
    ) {
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(check(calls));
    }
}

#[tokio::test]
async fn the_issue_s_case_a_cost_with_no_tokens_beside_ordinary_calls() {
    // $0.25 with no tokens beside $0.23 of ordinary calls: FOCUS bills $0.48.
    let app = TestApp::new().await;
    let mut zero = shaped(0, 1, 5, 0);
    zero["cost"] = json!("0.25");
    let mut a = shaped(1, 4, 5, 0);
    a["cost"] = json!("0.20");
    let mut b = shaped(2, 4, 6, 0);
    b["cost"] = json!("0.03");
    app.post_events(json!([zero, a, b])).await;
    let (_, _, text) = app.focus_csv("2026-11-01", "2026-11-30").await;
    let billed: Decimal = text.lines().skip(1).map(|l| Decimal::from_str(l.split(',').next().unwrap()).unwrap()).sum();
    assert_eq!(billed, Decimal::from_str("0.48").unwrap(), "{text}");
    let (_, spend) = app.spend("from=2026-11-01&to=2026-11-30").await;
    assert_eq!(
        Decimal::from_str(spend["total"]["cost"].as_str().unwrap()).unwrap(),
        Decimal::from_str("0.48").unwrap()
    );
}
