//! Unit tests of `event`.

use super::*;
use serde_json::json;

fn base() -> Value {
    json!({"id":"e1","timestamp":"2026-11-01T10:00:00Z","model":"gpt-4o","input_tokens":1000,"output_tokens":200})
}

fn with(field: &str, v: Value) -> Value {
    let mut b = base();
    b.as_object_mut().unwrap().insert(field.into(), v);
    b
}

fn err(v: Value) -> String {
    parse_event(&v).unwrap_err().to_string()
}

#[test]
fn parses_a_minimal_event() {
    let e = parse_event(&base()).unwrap();
    assert_eq!(e.usage.input_tokens, 1000);
    assert_eq!(e.usage.cache_read_tokens, 0);
    assert!(e.cost.is_none());
    assert!(e.tags.0.is_empty());
}

#[test]
fn names_the_field_and_the_reason() {
    assert_eq!(err(with("input_tokens", json!(-5))), "input_tokens: must be a non-negative integer (got -5)");
    assert_eq!(err(with("output_tokens", json!(1.5))), "output_tokens: must be a non-negative integer (got 1.5)");
    assert!(err(with("cache_read_tokens", json!(2000))).starts_with("cache_read_tokens: must be ≤ input_tokens"));
    assert!(err(with("cost", json!("abc"))).starts_with("cost: must be a decimal string"));
    assert!(err(with("cost", json!(0.5))).contains("got a number"));
    assert!(err(with("cost", json!("-1"))).starts_with("cost: must not be negative"));
    assert!(err(with("timestamp", json!("2026-11-01T10:00:00")))
        .starts_with("timestamp: must be RFC 3339 with a time zone"));
    assert_eq!(err(with("id", json!("x".repeat(200)))), "id: must be 1-128 characters (got 200)");
    assert_eq!(err(with("tags", json!({"user": 42}))), "tags.user: must be a string (got a number)");
    assert!(
        err(with("timestamp", json!("1969-12-31T23:59:59Z"))).starts_with("timestamp: must be in the years 2000-2099")
    );
    assert!(err(with("cost", json!("250000"))).starts_with("cost: must be at most 100000 USD"));
    assert_eq!(err(with("output_tokens", json!(2_000_000_000i64))), "output_tokens: must be at most 1000000000");
    assert!(err(with("tags", json!({"Team": "x"}))).starts_with("tags.Team: key must start"));
    let mut no_model = base();
    no_model.as_object_mut().unwrap().remove("model");
    assert_eq!(err(no_model), "model: required");
}

#[test]
fn accepts_cost_tags_and_cache_tokens() {
    let mut v = base();
    let o = v.as_object_mut().unwrap();
    o.insert("cost".into(), json!("0.0125"));
    o.insert("cache_read_tokens".into(), json!(600));
    o.insert("cache_write_tokens".into(), json!(400));
    o.insert("tags".into(), json!({"team":"core","workflow":"bug-triage"}));
    let e = parse_event(&v).unwrap();
    assert_eq!(e.cost, Some(Nanos(12_500_000)));
    assert_eq!(e.usage.uncached_input(), 0);
    assert_eq!(e.tags.get("workflow"), Some("bug-triage"));
}

#[test]
fn body_errors_are_whole_request_errors() {
    assert!(matches!(parse_body(b"{\"events\": [}"), Err(BodyError::Malformed { line: 1, .. })));
    assert_eq!(parse_body(br#"{"events":[]}"#), Err(BodyError::Empty));
    assert_eq!(parse_body(br#"{"event":[]}"#), Err(BodyError::MissingEvents));
    assert_eq!(parse_body(br#"[1]"#), Err(BodyError::NotAnObject));
    let many = format!("{{\"events\":[{}]}}", vec!["{}"; 5001].join(","));
    assert!(matches!(parse_body(many.as_bytes()), Err(BodyError::TooMany { .. })));
}

#[test]
fn one_bad_event_does_not_spoil_the_rest() {
    let body = json!({"events":[base(), with("input_tokens", json!(-1))]}).to_string();
    let items = parse_body(body.as_bytes()).unwrap();
    assert!(items[0].is_ok());
    assert!(items[1].is_err());
}

#[test]
fn a_cost_in_another_currency_is_refused_never_taken_as_usd() {
    let with = |currency: serde_json::Value| {
        serde_json::json!({"id": "c1", "timestamp": "2026-11-28T09:30:00Z", "model": "gpt-4o", "input_tokens": 10,
            "output_tokens": 1, "cost": "10.00", "cost_currency": currency})
    };
    let e = parse_event(&with(serde_json::json!("EUR"))).unwrap_err();
    assert_eq!(e.field, "cost_currency");
    assert!(e.reason.starts_with("costs in EUR are not converted"), "{}", e.reason);
    assert_eq!(parse_event(&with(serde_json::json!("dollars"))).unwrap_err().field, "cost_currency");
    assert_eq!(parse_event(&with(serde_json::json!(840))).unwrap_err().field, "cost_currency");
    let ok = parse_event(&with(serde_json::json!("usd"))).unwrap();
    assert_eq!(ok.cost, Some(crate::Nanos(10_000_000_000)));
}
