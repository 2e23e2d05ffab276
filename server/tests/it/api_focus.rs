//! The FOCUS 1.2 export reconciles with the spend API to the cent (here, to
//! the nano-dollar), carries the mandatory columns, and refuses bad ranges.

use crate::helpers::{event, TestApp};
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

/// Splits one CSV line, honouring quotes.
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn call(id: &str, at: &str, model: &str, tokens: (i64, i64, i64), cost: Option<&str>, workflow: &str) -> Value {
    let mut e = event(id);
    let o = e.as_object_mut().unwrap();
    o.insert("timestamp".into(), json!(at));
    o.insert("model".into(), json!(model));
    o.insert("input_tokens".into(), json!(tokens.0));
    o.insert("output_tokens".into(), json!(tokens.1));
    o.insert("cache_read_tokens".into(), json!(tokens.2));
    o.insert("tags".into(), json!({"team": "core", "workflow": workflow}));
    if let Some(c) = cost {
        o.insert("cost".into(), json!(c));
    }
    e
}

#[tokio::test]
async fn the_focus_file_reconciles_with_the_spend_api() {
    let app = TestApp::new().await;
    let events = json!([
        call("f1", "2026-11-01T10:00:00Z", "gpt-4o", (1_234_567, 89_012, 200_000), None, "triage"),
        call("f2", "2026-11-01T23:59:59Z", "claude-sonnet-4-5", (77_777, 3_333, 0), None, "support"),
        // A negotiated price: the caller sends its own cost.
        call("f3", "2026-11-02T08:00:00Z", "gpt-4o", (1_000_000, 0, 0), Some("1.999999997"), "triage"),
        call("f4", "2026-11-03T12:00:00Z", "gpt-4o-mini", (333_333, 111_111, 33_333), None, "support"),
        // An unpriced model: kept, at zero cost.
        call("f5", "2026-11-03T13:00:00Z", "my-finetune", (1_000, 10, 0), None, "support"),
        // Outside the range.
        call("f6", "2026-11-04T00:00:00Z", "gpt-4o", (1_000, 10, 0), None, "support"),
    ]);
    let (status, body) = app.post_events(events).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, headers, text) = app.focus_csv("2026-11-01", "2026-11-03").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let mut lines = text.lines();
    let head = fields(lines.next().unwrap());
    for col in [
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
        "BillingCurrency",
        "BillingPeriodStart",
        "BillingPeriodEnd",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "ChargeCategory",
        "ChargeClass",
        "ChargeDescription",
        "PricingQuantity",
        "PricingUnit",
        "ProviderName",
        "PublisherName",
        "InvoiceIssuerName",
        "ServiceCategory",
        "ServiceName",
        "BillingAccountId",
        "BillingAccountName",
        "ConsumedQuantity",
        "ConsumedUnit",
        "ListUnitPrice",
        "SkuId",
        "ResourceId",
        "ResourceType",
        "SubAccountId",
        "SubAccountName",
        "Tags",
    ] {
        assert!(head.iter().any(|h| h == col), "no column {col}");
    }
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let rows: Vec<Vec<String>> = lines.map(fields).collect();
    assert!(rows.iter().all(|r| r.len() == head.len()));
    let billed: Decimal = rows.iter().map(|r| Decimal::from_str(&r[col("BilledCost")]).unwrap()).sum();
    let (status, spend) = app.spend("from=2026-11-01&to=2026-11-03").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(billed, Decimal::from_str(spend["total"]["cost"].as_str().unwrap()).unwrap(), "{text}");
    // Per day, too.
    for day in ["2026-11-01", "2026-11-02", "2026-11-03"] {
        let day_billed: Decimal = rows
            .iter()
            .filter(|r| r[col("ChargePeriodStart")].starts_with(day))
            .map(|r| Decimal::from_str(&r[col("BilledCost")]).unwrap())
            .sum();
        let (_, s) = app.spend(&format!("from={day}&to={day}")).await;
        assert_eq!(day_billed, Decimal::from_str(s["total"]["cost"].as_str().unwrap()).unwrap(), "{day}");
    }
    // The negotiated call: list $2.50, effective $1.999999997.
    let f3: Vec<&Vec<String>> = rows.iter().filter(|r| r[col("ChargePeriodStart")].starts_with("2026-11-02")).collect();
    assert_eq!(f3.len(), 1);
    assert_eq!((f3[0][col("ListCost")].as_str(), f3[0][col("EffectiveCost")].as_str()), ("2.5", "1.999999997"));
    assert_eq!(f3[0][col("SkuId")], "openai/gpt-4o/input");
    assert_eq!(f3[0][col("SubAccountName")], "core");
    assert_eq!(f3[0][col("Tags")], r#"{"team":"core","workflow":"triage"}"#);
    assert_eq!(f3[0][col("ServiceCategory")], "AI and Machine Learning");
    assert!(rows.iter().all(|r| r[col("ChargeCategory")] == "Usage" && r[col("ConsumedUnit")] == "Tokens"));

    // Bad ranges.
    let read = app.read_key.clone();
    for (q, field) in
        [("to=2026-11-03", "from"), ("from=2026-11-05&to=2026-11-03", "to"), ("from=nov&to=2026-11-03", "from")]
    {
        let (status, body) = app.get(&format!("/api/v1/export/focus.csv?{q}"), Some(&read)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert!(body.to_string().contains(field), "{q}: {body}");
    }
}
