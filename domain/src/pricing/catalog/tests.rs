//! Unit tests of `catalog`.

use super::*;
use std::str::FromStr;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn rates(i: &str, o: &str, cr: &str, cw: &str) -> Rates {
    Rates { input: dec(i), output: dec(o), cache_read: dec(cr), cache_write: dec(cw) }
}

fn catalog() -> Catalog {
    let sonnet = ModelPrice {
        model: "claude-sonnet-4-5".into(),
        provider: "anthropic".into(),
        aliases: vec!["claude-sonnet-4-5-20250929".into()],
        prices: vec![PriceVersion {
            effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            rates: rates("3", "15", "0.30", "3.75"),
            tiers: vec![Tier { above_input_tokens: 200_000, rates: rates("6", "22.50", "0.60", "7.50") }],
        }],
    };
    let gpt = ModelPrice {
        model: "gpt-4o".into(),
        provider: "openai".into(),
        aliases: vec![],
        prices: vec![
            PriceVersion {
                effective_from: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
                rates: rates("2.50", "10", "1.25", "2.50"),
                tiers: vec![],
            },
            PriceVersion {
                effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
                rates: rates("5", "15", "5", "5"),
                tiers: vec![],
            },
        ],
    };
    Catalog::new(vec![sonnet, gpt], "test".into()).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn usage(input: i64, output: i64, cr: i64, cw: i64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        cache_read_tokens: cr,
        cache_write_tokens: cw,
        reasoning_tokens: 0,
    }
}

#[test]
fn prices_every_token_class() {
    // Sonnet 4.5, 10k input of which 6k cache read and 2k cache write, 1k output:
    // 2000×$3 + 6000×$0.30 + 2000×$3.75 + 1000×$15 per 1M = $0.006+$0.0018+$0.0075+$0.015 = $0.0303
    let (c, src) = catalog().cost_of(
        None,
        "claude-sonnet-4-5",
        at("2026-01-01T00:00:00Z"),
        &usage(10_000, 1_000, 6_000, 2_000),
        None,
    );
    assert_eq!(src, CostSource::Catalog);
    assert_eq!(c, Some(Nanos(30_300_000)));
}

#[test]
fn long_context_tier_prices_the_whole_call() {
    // 250k input, 2k output over the 200k threshold: 250000×$6 + 2000×$22.50 per 1M = $1.545
    let (c, _) =
        catalog().cost_of(None, "claude-sonnet-4-5", at("2026-01-01T00:00:00Z"), &usage(250_000, 2_000, 0, 0), None);
    assert_eq!(c, Some(Nanos(1_545_000_000)));
    // Exactly at the threshold stays on the base rate: 200000×$3 = $0.60
    let (c, _) =
        catalog().cost_of(None, "claude-sonnet-4-5", at("2026-01-01T00:00:00Z"), &usage(200_000, 0, 0, 0), None);
    assert_eq!(c, Some(Nanos(600_000_000)));
}

#[test]
fn a_price_change_does_not_rewrite_history() {
    let cat = catalog();
    let u = usage(1_000_000, 0, 0, 0);
    assert_eq!(cat.cost_of(None, "gpt-4o", at("2025-05-31T23:59:59Z"), &u, None).0, Some(Nanos(5_000_000_000)));
    assert_eq!(cat.cost_of(None, "gpt-4o", at("2025-06-01T00:00:00Z"), &u, None).0, Some(Nanos(2_500_000_000)));
    assert_eq!(cat.cost_of(None, "gpt-4o", at("2023-12-31T00:00:00Z"), &u, None), (None, CostSource::Unpriced));
}

#[test]
fn finds_models_by_alias_prefix_and_date_suffix() {
    let cat = catalog();
    assert_eq!(cat.find("claude-sonnet-4-5-20250929").unwrap().model, "claude-sonnet-4-5");
    assert_eq!(cat.find("anthropic/Claude-Sonnet-4-5").unwrap().model, "claude-sonnet-4-5");
    assert!(cat.find("gpt-4o-2099-01-01").is_none(), "an unlisted snapshot is not guessed");
    assert!(cat.find("llama-3-70b").is_none());
}

#[test]
fn callers_cost_wins_and_unknown_models_are_unpriced() {
    let cat = catalog();
    let u = usage(100, 10, 0, 0);
    assert_eq!(
        cat.cost_of(None, "gpt-4o", at("2026-01-01T00:00:00Z"), &u, Some(Nanos(7))),
        (Some(Nanos(7)), CostSource::Caller)
    );
    assert_eq!(cat.cost_of(None, "my-finetune", at("2026-01-01T00:00:00Z"), &u, None), (None, CostSource::Unpriced));
}

#[test]
fn sub_nano_costs_round_half_to_even() {
    // One cache-read token at $0.0375/1M is 37.5 nano-dollars and rounds to 38;
    // 2 uncached + 1 cached input and 1 output token come to 487.5, which rounds to 488.
    let v = PriceVersion {
        effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        rates: rates("0.075", "0.30", "0.0375", "0.075"),
        tiers: vec![],
    };
    assert_eq!(compute_cost(&v, &usage(1, 0, 1, 0)), Some(Nanos(38)));
    assert_eq!(compute_cost(&v, &usage(3, 1, 1, 0)), Some(Nanos(488)));
    // Half a nano-dollar rounds to the even neighbour: 0.5 → 0, 1.5 → 2.
    let half = PriceVersion { rates: rates("0.0005", "0", "0", "0"), ..v };
    assert_eq!(compute_cost(&half, &usage(1, 0, 0, 0)), Some(Nanos(0)));
    assert_eq!(compute_cost(&half, &usage(3, 0, 0, 0)), Some(Nanos(2)));
}

#[test]
fn the_shipped_catalog_loads() {
    let text = include_str!("../../../../catalog/prices.json");
    let cat = Catalog::from_json(text).unwrap();
    assert!(cat.models().len() >= 25, "only {} models", cat.models().len());
    for name in [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-5",
        "o3",
        "claude-sonnet-4-5",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "deepseek-chat",
    ] {
        assert!(cat.find(name).is_some(), "catalog lacks {name}");
    }
}
