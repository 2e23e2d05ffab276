//! Properties of the cost model that must hold for any scenario: more loops
//! never cost less, and a higher cache hit never costs more while reading
//! from cache is cheaper than plain input.

use chrono::{NaiveDate, TimeZone, Utc};
use domain::costmodel::{estimate, Loops, Scenario};
use domain::pricing::catalog::{ModelPrice, PriceVersion, Rates};
use domain::Catalog;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn catalog(input: u32, output: u32, read: u32, write: u32) -> Catalog {
    // Rates in cents per 1M tokens.
    let r = |c: u32| Decimal::new(i64::from(c), 2);
    let m = |name: &str, extra: u32| ModelPrice {
        model: name.into(),
        provider: "p".into(),
        aliases: vec![],
        prices: vec![PriceVersion {
            effective_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            rates: Rates {
                input: r(input + extra),
                output: r(output + extra),
                cache_read: r(read),
                // A charged write costs at least the model's own input rate,
                // for the escalation model too (its input is `extra` higher).
                cache_write: r(if write == 0 { 0 } else { write + extra }),
            },
            tiers: vec![],
        }],
    };
    Catalog::new(vec![m("a", 0), m("b", 500)], "props".into()).unwrap()
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        (1u32..200, 1u32..30, 0u32..40),
        (0i64..20_000, 0i64..5_000, 0i64..5_000, 0i64..4_000),
        (0u32..=100, 0u32..=100, 0u32..=50, prop::option::of(1u32..20)),
    )
        .prop_map(|((tasks, mean, extra), (sys, turn, carry, out), (esc, hit, retry, window))| Scenario {
            tasks_per_day: Decimal::from(tasks),
            growth_per_month: Decimal::ZERO,
            loops: Loops { mean: Decimal::from(mean), p95: Decimal::from(mean + extra), distribution: vec![] },
            system_tokens: sys,
            turn_tokens: turn,
            carry_tokens: carry,
            window_turns: window,
            output_tokens: out,
            routine_model: "a".into(),
            escalation_model: "b".into(),
            escalation_rate: Decimal::from(esc),
            cache_hit_rate: Decimal::from(hit),
            retry_rate: Decimal::from(retry),
            prune_to_turns: 5,
        })
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

proptest! {
    #[test]
    fn more_loops_never_cost_less(s in scenario(), more in 1u32..20, (i, o, r, w) in (1u32..2000, 1u32..8000, 0u32..500, 0u32..3000)) {
        let cat = catalog(i, o, r, w);
        let base = estimate(&s, &cat, at()).unwrap();
        let mut longer = s.clone();
        longer.loops.mean += Decimal::from(more);
        longer.loops.p95 += Decimal::from(more);
        let e = estimate(&longer, &cat, at()).unwrap();
        prop_assert!(e.cost_per_task_mean >= base.cost_per_task_mean);
        prop_assert!(e.cost_per_task_p95 >= base.cost_per_task_p95);
        prop_assert!(e.cost_per_month >= base.cost_per_month);
    }

    #[test]
    fn a_higher_cache_hit_never_costs_more_when_reads_are_cheaper(
        s in scenario(), up in 0u32..=100, (i, o) in (1u32..2000, 1u32..8000), read_share in 0u32..100, write_extra in 0u32..2000
    ) {
        // Reads cost less than input; writes (when charged) cost at least input, as every provider bills them.
        let read = i * read_share / 100;
        let write = if write_extra % 2 == 0 { 0 } else { i + write_extra };
        prop_assume!(read < i);
        let cat = catalog(i, o, read, write);
        let base = estimate(&s, &cat, at()).unwrap();
        let mut better = s.clone();
        better.cache_hit_rate = (s.cache_hit_rate + Decimal::from(up)).min(Decimal::from(100));
        let e = estimate(&better, &cat, at()).unwrap();
        prop_assert!(e.cost_per_task_mean <= base.cost_per_task_mean);
    }
}
