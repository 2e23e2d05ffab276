//! Hand-worked examples of the cost model. Every expected figure below is
//! computed by hand in the comment beside it.

use super::*;
use crate::pricing::catalog::{ModelPrice, Tier};
use chrono::{NaiveDate, TimeZone};
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn rates(i: &str, o: &str, cr: &str, cw: &str) -> Rates {
    Rates { input: d(i), output: d(o), cache_read: d(cr), cache_write: d(cw) }
}

fn model(name: &str, r: Rates, tiers: Vec<Tier>) -> ModelPrice {
    ModelPrice {
        model: name.into(),
        provider: "test".into(),
        aliases: vec![],
        prices: vec![PriceVersion { effective_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), rates: r, tiers }],
    }
}

fn catalog() -> Catalog {
    Catalog::new(
        vec![
            // $3 in, $15 out, $0.30 cache read, no cache-write charge.
            model("mid", rates("3", "15", "0.30", "0"), vec![]),
            // $15 in, $75 out, no caching.
            model("big", rates("15", "75", "0", "0"), vec![]),
            // Anthropic-style: cache writes at $3.75.
            model("writer", rates("3", "15", "0.30", "3.75"), vec![]),
            // A long-context tier above 20,000 input tokens: everything doubles.
            model(
                "tiered",
                rates("1", "2", "0", "0"),
                vec![Tier { above_input_tokens: 20_000, rates: rates("2", "4", "0", "0") }],
            ),
        ],
        "test".into(),
    )
    .unwrap()
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// Ten turns, always: system 10,000, turn 1,000, carry 2,000, output 500, on "mid".
fn ten_turns() -> Scenario {
    Scenario {
        tasks_per_day: d("100"),
        growth_per_month: Decimal::ZERO,
        loops: Loops { mean: d("10"), p95: d("10"), distribution: vec![] },
        system_tokens: 10_000,
        turn_tokens: 1_000,
        carry_tokens: 2_000,
        window_turns: None,
        output_tokens: 500,
        routine_model: "mid".into(),
        escalation_model: String::new(),
        escalation_rate: Decimal::ZERO,
        cache_hit_rate: Decimal::ZERO,
        retry_rate: Decimal::ZERO,
        prune_to_turns: 3,
    }
}

fn usd_of(n: Nanos) -> Decimal {
    n.to_usd().normalize()
}

#[test]
fn a_ten_turn_loop_with_carry_over_grows_quadratically() {
    // Turn i sends 11,000 + 2,000·i tokens: Σ over i = 0..9 is 110,000 + 2,000·45 = 200,000.
    // Input $3/M → $0.60; output 10 × 500 = 5,000 at $15/M → $0.075. Task: $0.675.
    let e = estimate(&ten_turns(), &catalog(), at()).unwrap();
    assert_eq!(usd_of(e.cost_per_task_mean), d("0.675"));
    assert_eq!(usd_of(e.cost_per_task_p95), d("0.675"));
    // Month: 100 tasks × 30 days × $0.675 = $2,025.
    assert_eq!(usd_of(e.cost_per_month), d("2025"));
    assert_eq!(e.turns.len(), 10);
    assert_eq!(e.turns[0].input_tokens, 11_000);
    assert_eq!(e.turns[9].input_tokens, 29_000);
    // Turn 10: 29,000 × 3/M + 500 × 15/M = 0.087 + 0.0075.
    assert_eq!(usd_of(e.turns[9].cost), d("0.0945"));

    // Twenty turns: Σ input = 220,000 + 2,000·190 = 600,000 → $1.80, output $0.15: $1.95.
    // Double the loops, close to triple the input: the quadratic term.
    let mut twenty = ten_turns();
    twenty.loops = Loops { mean: d("20"), p95: d("20"), distribution: vec![] };
    let e20 = estimate(&twenty, &catalog(), at()).unwrap();
    assert_eq!(usd_of(e20.cost_per_task_mean), d("1.95"));
    let loops_x2 = &e.sensitivity[1];
    assert_eq!(loops_x2.label, "Loops ×2");
    assert_eq!(usd_of(loops_x2.cost_per_task), d("1.95"));
    // (1.95 − 0.675) / 0.675 = 188.9%.
    assert_eq!(loops_x2.change_pct, d("188.9"));
}

#[test]
fn cache_hits_read_the_system_prompt_at_the_cache_rate() {
    // Half the calls read the 10,000-token prefix: 5,000 expected per call, 50,000 per task
    // at $0.30/M = $0.015; the other 150,000 input tokens at $3/M = $0.45; output $0.075.
    let mut s = ten_turns();
    s.cache_hit_rate = d("50");
    let e = estimate(&s, &catalog(), at()).unwrap();
    assert_eq!(usd_of(e.cost_per_task_mean), d("0.54"));
    // 50,000 of 200,000 input tokens came from cache.
    assert_eq!(e.token_cache_hit, d("25"));
    let read = e.lines.iter().find(|l| l.class == "cache_read").unwrap();
    assert_eq!(read.tokens_per_task, d("50000"));
    assert_eq!(usd_of(read.cost_per_task), d("0.015"));
}

#[test]
fn misses_pay_for_cache_writes_where_the_model_charges_them() {
    // "writer": each of 10 misses writes 10,000 tokens at $3.75/M = $0.375; the other
    // 100,000 input tokens at $3/M = $0.30; output $0.075. Task: $0.75.
    let mut s = ten_turns();
    s.routine_model = "writer".into();
    let e = estimate(&s, &catalog(), at()).unwrap();
    assert_eq!(usd_of(e.cost_per_task_mean), d("0.75"));
}

#[test]
fn a_window_prunes_the_carried_context() {
    // Window 3: carried context is 2,000 × min(i, 3); Σ min(i, 3) for i < 10 = 0+1+2+3·7 = 24.
    // Input 110,000 + 48,000 = 158,000 → $0.474; output $0.075. Task: $0.549.
    let mut s = ten_turns();
    s.window_turns = Some(3);
    let e = estimate(&s, &catalog(), at()).unwrap();
    assert_eq!(usd_of(e.cost_per_task_mean), d("0.549"));
    // The unpruned scenario's sensitivity row says the same.
    let e0 = estimate(&ten_turns(), &catalog(), at()).unwrap();
    assert_eq!(e0.sensitivity[4].label, "Context pruned to 3 turns");
    assert_eq!(usd_of(e0.sensitivity[4].cost_per_task), d("0.549"));
}

#[test]
fn escalation_and_retries_mix_in() {
    // On "big" the task costs 200,000 × 15/M + 5,000 × 75/M = 3.00 + 0.375 = $3.375.
    // 10% escalation: 0.9 × 0.675 + 0.1 × 3.375 = $0.945; 10% retries: × 1.1 = $1.0395.
    let mut s = ten_turns();
    s.escalation_model = "big".into();
    s.escalation_rate = d("10");
    let e = estimate(&s, &catalog(), at()).unwrap();
    assert_eq!(usd_of(e.cost_per_task_mean), d("0.945"));
    let models: Vec<&str> = e.lines.iter().map(|l| l.model.as_str()).collect();
    assert!(models.contains(&"mid") && models.contains(&"big"));
    s.retry_rate = d("10");
    let e = estimate(&s, &catalog(), at()).unwrap();
    assert_eq!(usd_of(e.cost_per_task_mean), d("1.0395"));
    // +10 pts escalation: 0.8 × 0.675 + 0.2 × 3.375 = 1.215, × 1.1 = $1.3365.
    assert_eq!(usd_of(e.sensitivity[3].cost_per_task), d("1.3365"));
}

#[test]
fn long_context_tiers_price_the_whole_call() {
    // "tiered", one turn of 25,000 input tokens (above 20,000): 25,000 × 2/M + 500 × 4/M = $0.052.
    let mut s = ten_turns();
    s.routine_model = "tiered".into();
    s.system_tokens = 20_000;
    s.turn_tokens = 5_000;
    s.loops = Loops { mean: d("1"), p95: d("1"), distribution: vec![] };
    let e = estimate(&s, &catalog(), at()).unwrap();
    assert_eq!(usd_of(e.cost_per_task_mean), d("0.052"));
}

#[test]
fn mean_and_p95_become_a_distribution_with_the_same_mean() {
    let mut s = ten_turns();
    s.loops = Loops { mean: d("4"), p95: d("20"), distribution: vec![] };
    // 5% at 20; the rest at (4 − 1)/0.95 = 3.157…, split between 3 and 4.
    let dist = s.distribution();
    let mean: Decimal = dist.iter().map(|(l, w)| Decimal::from(*l) * w).sum();
    assert_eq!(mean.round_dp(12), d("4"));
    assert_eq!(dist.iter().map(|(_, w)| *w).sum::<Decimal>().round_dp(12), Decimal::ONE);
    assert_eq!(s.p95_loops(), 20);
    // A very long tail: everyone else makes one call.
    s.loops = Loops { mean: d("2"), p95: d("100"), distribution: vec![] };
    let dist = s.distribution();
    assert_eq!(dist[0].0, 1);
    let mean: Decimal = dist.iter().map(|(l, w)| Decimal::from(*l) * w).sum();
    assert_eq!(mean.round_dp(12), d("2"));
}

#[test]
fn an_explicit_distribution_is_used_as_given() {
    // Half the tasks at 1 turn ($0.033 + $0.0075 = $0.0405), half at 10 ($0.675): mean $0.35775.
    let mut s = ten_turns();
    s.loops.distribution = vec![LoopShare { loops: 1, share: d("1") }, LoopShare { loops: 10, share: d("1") }];
    let e = estimate(&s, &catalog(), at()).unwrap();
    assert_eq!(usd_of(e.cost_per_task_mean), d("0.35775"));
    assert_eq!(e.p95_loops, 10);
    assert_eq!(usd_of(e.cost_per_task_p95), d("0.675"));
}

#[test]
fn growth_compounds_month_by_month() {
    let mut s = ten_turns();
    s.growth_per_month = d("10");
    let e = estimate(&s, &catalog(), at()).unwrap();
    // Month 1: 3,000 tasks; month 2: 3,300; month 3: 3,630 (× $0.675 = $2,450.25).
    assert_eq!(e.months[1].tasks, d("3300"));
    assert_eq!(usd_of(e.months[2].cost), d("2450.25"));
    assert_eq!(e.months.len(), 12);
}

#[test]
fn bad_scenarios_name_each_field() {
    let mut s = ten_turns();
    s.loops.p95 = d("2");
    s.cache_hit_rate = d("120");
    s.routine_model = "nope".into();
    s.escalation_rate = d("5");
    let errs = estimate(&s, &catalog(), at()).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["loops.p95", "cache_hit_rate", "routine_model", "escalation_model"]);
    assert!(errs[2].reason.contains("\"nope\" has no price"), "{}", errs[2].reason);
}

#[test]
fn scenarios_read_numbers_or_strings() {
    let j = r#"{"tasks_per_day": 120, "loops": {"mean": "6.5", "p95": 14}, "system_tokens": 100,
                "turn_tokens": 10, "carry_tokens": 0, "output_tokens": 5, "routine_model": "mid",
                "cache_hit_rate": 0.7}"#;
    let s: Scenario = serde_json::from_str(j).unwrap();
    assert_eq!(s.tasks_per_day, d("120"));
    assert_eq!(s.loops.mean, d("6.5"));
    assert_eq!(s.cache_hit_rate, d("0.7"));
    assert_eq!(s.prune_to_turns, 5);
}
