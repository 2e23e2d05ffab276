//! Unit tests of `signal_rule`.

use super::*;
use crate::signals::signal::{DayRow, TaskDays};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
}

/// 100 calls a day of "wf"; 40% of input cached until the 15th, 10% after.
fn daily() -> Daily {
    let rows: Vec<DayRow> = (1..=21)
        .map(|d| DayRow {
            day: day(d),
            value: Some("wf".into()),
            model: "m".into(),
            calls: 100,
            cost: Nanos(if d == 20 { 900_000_000_000 } else { 10_000_000_000 }),
            input_tokens: 10_000,
            cache_read_tokens: if d < 15 { 4_000 } else { 1_000 },
            output_tokens: 0,
        })
        .collect();
    Daily::build(&rows, &TaskDays::default(), &|_| false)
}

fn rule(condition: Condition) -> RuleSpec {
    RuleSpec { name: "r".into(), key: "workflow".into(), value: None, condition, min_calls: 20, webhook: None }
}

#[test]
fn a_fall_fires_once_when_it_starts() {
    let r = rule(Condition::Fall { signal: Signal::CacheHit, percent: Decimal::from(50), window_days: 1 });
    assert!(evaluate(&r, &daily(), day(14)).is_empty());
    let f = evaluate(&r, &daily(), day(15));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].message, "wf: cache hit rate fell 40% → 10% (-75%) on 2026-10-15 against the day before");
    // The next day compares 10% with 10%: nothing new.
    assert!(evaluate(&r, &daily(), day(16)).is_empty());
}

#[test]
fn a_level_fires_when_crossed_not_every_day_after() {
    let r = rule(Condition::Below { signal: Signal::CacheHit, threshold: Decimal::from(20), window_days: 3 });
    // Windows ending on the 15th and 16th still average above 20%; the 17th's is 10%.
    assert!(evaluate(&r, &daily(), day(16)).is_empty());
    let f = evaluate(&r, &daily(), day(17));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].from, f[0].to), (day(15), day(17)));
    assert!(evaluate(&r, &daily(), day(18)).is_empty(), "still below, already alerted");
}

#[test]
fn an_anomaly_names_the_day_and_its_baseline() {
    let r = rule(Condition::Anomaly(AnomalyParams::default()));
    let f = evaluate(&r, &daily(), day(20));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].spend, Nanos(900_000_000_000));
    assert!(f[0].message.starts_with("wf: spend of $900.00 on 2026-10-20 is 90× its usual day"), "{}", f[0].message);
    assert!(evaluate(&r, &daily(), day(19)).is_empty());
    // Days before the value's first call (and the day after them) judge nothing.
    let before = NaiveDate::from_ymd_opt(2026, 9, 20).unwrap();
    assert!(evaluate(&r, &daily(), before).is_empty());
    assert!(evaluate(&r, &daily(), day(1)).is_empty());
}

#[test]
fn bad_rules_name_their_fields() {
    let mut r = rule(Condition::Rise { signal: Signal::LoopsP95, percent: Decimal::ZERO, window_days: 40 });
    r.name = " ".into();
    r.key = "bad key".into();
    let errs = r.validate().unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["name", "key", "condition.percent", "condition.window_days"]);
}

#[test]
fn rules_read_from_json() {
    let j = r#"{"name": "Triage escalation", "key": "workflow", "value": "bug-triage",
                "condition": {"type": "above", "signal": "escalation_calls", "threshold": "30", "window_days": 7}}"#;
    let r: RuleSpec = serde_json::from_str(j).unwrap();
    assert_eq!(r.condition.describe(), "escalation rate above 30% over 7 days");
    assert_eq!(r.min_calls, 20);
}
