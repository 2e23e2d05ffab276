//! Unit tests of `signal`.

use super::*;
use crate::signals::drift::drifts;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn row(d: u32, model: &str, calls: i64, cost: i64, input: i64, cached: i64) -> DayRow {
    DayRow {
        day: day(d),
        value: Some("wf".into()),
        model: model.into(),
        calls,
        cost: Nanos(cost),
        input_tokens: input,
        cache_read_tokens: cached,
        output_tokens: 0,
    }
}

fn task(id: &str, d: u32, calls: i64, cost: i64, min: i64, max: i64) -> TaskRow {
    TaskRow {
        task_id: id.into(),
        value: Some("wf".into()),
        day: day(d),
        calls,
        cost: Nanos(cost),
        min_input: min,
        max_input: max,
    }
}

#[test]
fn signals_over_a_hand_made_week() {
    let days = [
        row(1, "cheap", 90, 900, 9_000, 4_500),
        row(1, "dear", 10, 1_100, 1_000, 0),
        row(2, "cheap", 20, 200, 2_000, 0),
    ];
    let tasks = [task("a", 1, 1, 100, 10, 10), task("b", 1, 4, 400, 100, 400), task("c", 2, 10, 1_700, 50, 950)];
    let d = Daily::build(&days, &TaskDays::of(&tasks), &|m| m == "dear");
    let a = d.window(&Some("wf".into()), day(1), day(2));
    let v = |s: Signal| s.value(&a).unwrap();
    // 10 of 120 calls, 1,100 of 2,200 nano-dollars on the premium model.
    assert_eq!(v(Signal::EscalationCalls), Decimal::new(83, 1));
    assert_eq!(v(Signal::EscalationSpend), Decimal::from(50));
    // 4,500 of 12,000 input tokens read from cache.
    assert_eq!(v(Signal::CacheHit), Decimal::new(375, 1));
    // Loops 1, 4, 10: mean 5, p50 4, p95 10, max 10.
    assert_eq!(v(Signal::LoopsMean), Decimal::from(5));
    assert_eq!(v(Signal::LoopsP50), Decimal::from(4));
    assert_eq!(v(Signal::LoopsP95), Decimal::from(10));
    assert_eq!(v(Signal::LoopsMax), Decimal::from(10));
    // 12,000 input tokens over 120 calls.
    assert_eq!(v(Signal::ContextDepth), Decimal::from(100));
    // Growth per turn: b (400 − 100) / 3 = 100, c (950 − 50) / 9 = 100.
    assert_eq!(v(Signal::ContextGrowth), Decimal::from(100));
    // Cost per task: (100 + 400 + 1,700) / 3 nano-dollars; p95 is c.
    assert_eq!(v(Signal::CostPerTask), Nanos(733).to_usd());
    assert_eq!(v(Signal::CostPerTaskP95), Nanos(1_700).to_usd());
    // Nothing behind a signal is None, not zero.
    assert_eq!(Signal::LoopsMean.value(&Agg::default()), None);
    assert_eq!(Signal::CacheHit.value(&d.window(&Some("wf".into()), day(3), day(9))), None);
}

#[test]
fn a_cache_regression_is_a_drift_in_the_bad_direction_only() {
    let week = |cached: i64| Agg { calls: 100, input_tokens: 100_000, cache_read_tokens: cached, ..Agg::default() };
    let d = drifts("bug-triage", &week(41_000), &week(12_000));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].sentence, "bug-triage: cache hit rate fell 41% → 12% this week");
    assert!(drifts("bug-triage", &week(12_000), &week(41_000)).is_empty(), "a better cache is not a warning");
    let small = Agg { calls: 10, ..week(0) };
    assert!(drifts("x", &small, &week(41_000)).is_empty(), "too few calls to say");
}

#[test]
fn tiers_default_from_the_input_price() {
    use crate::pricing::catalog::{ModelPrice, PriceVersion, Rates};
    let m = |input: i64| ModelPrice {
        model: "m".into(),
        provider: "p".into(),
        aliases: vec![],
        prices: vec![PriceVersion {
            effective_from: day(1),
            rates: Rates {
                input: Decimal::from(input),
                output: Decimal::ZERO,
                cache_read: Decimal::ZERO,
                cache_write: Decimal::ZERO,
            },
            tiers: vec![],
        }],
    };
    assert_eq!(default_tier(&m(15)), ModelTier::Premium);
    assert_eq!(default_tier(&m(3)), ModelTier::Routine);
}

#[test]
fn values_show_in_their_units() {
    assert_eq!(show(Unit::Percent, Decimal::new(412, 1)), "41.2%");
    assert_eq!(show(Unit::Tokens, Decimal::from(1_234_567)), "1,234,567 tokens");
    assert_eq!(show(Unit::Usd, Decimal::new(1234, 2)), "$12.34");
    assert_eq!(show(Unit::Usd, Decimal::new(125, 5)), "$0.0012");
}
