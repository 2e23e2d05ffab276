//! Unit tests of `budget`.

use super::*;
use crate::budgets::draft::*;
use crate::budgets::webhook_target::redact_webhook;
use crate::ingest::event::FieldError;
use serde_json::Value;

fn keys() -> Vec<String> {
    ["team", "product", "workflow", "user", "project", "task_type"].iter().map(|s| s.to_string()).collect()
}

fn check(d: &Draft) -> Result<BudgetSpec, Vec<FieldError>> {
    let keys = keys();
    validate(d, &Context { known_keys: &keys, default_zone: "UTC", zone_ok: &|z| z == "Europe/London" })
}

fn draft() -> Draft {
    Draft {
        name: "Platform".into(),
        scope: vec![("team".into(), "platform".into())],
        period: "month".into(),
        amount: "5000".into(),
        thresholds: "50, 80, 100".into(),
        hard_cap: true,
        ..Draft::default()
    }
}

fn fields(d: &Draft) -> Vec<String> {
    check(d).unwrap_err().into_iter().map(|e| format!("{}: {}", e.field, e.reason)).collect()
}

#[test]
fn a_valid_draft_becomes_a_budget() {
    let b = check(&draft()).unwrap();
    assert_eq!(b.amount, Nanos(5_000_000_000_000));
    assert_eq!(b.thresholds, vec![50, 80, 100]);
    assert_eq!(b.scope_text(), "team=platform");
    assert_eq!(b.time_zone, "UTC");
    assert_eq!(b.summary(), "$5,000.00 per month");
}

#[test]
fn zero_and_negative_amounts_are_refused() {
    for a in ["0", "-5", "0.0000000001", "lots", ""] {
        let f = fields(&Draft { amount: a.into(), ..draft() });
        assert!(f.iter().any(|e| e.starts_with("amount: ")), "{a}: {f:?}");
    }
}

#[test]
fn thresholds_must_be_sorted_and_in_range() {
    assert!(parse_thresholds("80, 50").unwrap_err().contains("ascending"));
    assert!(parse_thresholds("50, 50").unwrap_err().contains("ascending"));
    assert!(parse_thresholds("0").unwrap_err().contains("between 1 and 1000"));
    assert!(parse_thresholds("1001").unwrap_err().contains("between 1 and 1000"));
    assert!(parse_thresholds("5.5").unwrap_err().contains("whole"));
    assert_eq!(parse_thresholds("50%, 80%, 1000").unwrap(), vec![50, 80, 1000]);
    assert_eq!(parse_thresholds("").unwrap(), Vec::<u32>::new());
    assert!(fields(&Draft { thresholds: "100, 90".into(), ..draft() })[0].starts_with("thresholds: "));
}

#[test]
fn split_by_and_scope_keys_must_exist() {
    let f = fields(&Draft { split_by: "customer".into(), ..draft() });
    assert!(f[0].starts_with("split_by: no call has been tagged with \"customer\""), "{f:?}");
    let f = fields(&Draft { scope: vec![("region".into(), "eu".into())], ..draft() });
    assert!(f[0].starts_with("scope: no call has been tagged with \"region\""), "{f:?}");
    let f = fields(&Draft { split_by: "team".into(), ..draft() });
    assert!(f[0].contains("already fixes"), "{f:?}");
    assert_eq!(check(&Draft { split_by: "task".into(), ..draft() }).unwrap().split_by, Some(SplitBy::Task));
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let d = Draft {
        name: " ".into(),
        period: "year".into(),
        webhook: "ftp://x".into(),
        time_zone: "Mars/Olympus".into(),
        ..draft()
    };
    let f: Vec<String> = check(&d).unwrap_err().into_iter().map(|e| e.field).collect();
    assert_eq!(f, vec!["name", "period", "webhook", "time_zone"]);
}

#[test]
fn json_drafts_name_the_wrong_field() {
    let e = |v: Value| Draft::from_json(&v).unwrap_err().field;
    assert_eq!(e(serde_json::json!({"amount": true})), "amount");
    assert_eq!(e(serde_json::json!({"thresholds": "x", "hard_cap": "yes"})), "hard_cap");
    assert_eq!(e(serde_json::json!({"scope": {"team": 1}})), "scope.team");
    assert_eq!(e(serde_json::json!({"colour": "red"})), "colour");
    let d = Draft::from_json(&serde_json::json!({
        "name": "x", "scope": {"team": "platform"}, "amount": 12.5, "thresholds": [50, 100], "period": "day"
    }))
    .unwrap();
    assert_eq!((d.amount.as_str(), d.thresholds.as_str()), ("12.5", "50, 100"));
}

#[test]
fn webhooks_are_shown_to_readers_without_their_secret() {
    assert_eq!(redact_webhook("https://hooks.slack.com/services/T0/B0/xyz"), "https://hooks.slack.com/…");
    assert_eq!(redact_webhook("http://user:pw@10.0.0.5:8080/hook?k=1"), "http://10.0.0.5:8080/…");
}

#[test]
fn scopes_and_splits_match_calls() {
    let b = check(&Draft { split_by: "user".into(), ..draft() }).unwrap();
    let mut tags = TagSet::new();
    tags.insert(TagKey::parse("team").unwrap(), "platform");
    assert!(b.applies(&tags));
    assert_eq!(b.split_value(&tags, None), None);
    tags.insert(TagKey::parse("user").unwrap(), "ana");
    assert_eq!(b.split_value(&tags, None).as_deref(), Some("ana"));
    let mut other = TagSet::new();
    other.insert(TagKey::parse("team").unwrap(), "search");
    assert!(!b.applies(&other));
}
