//! Unit tests of `litellm`.

use super::*;
use crate::ingest::event::Usage;
use crate::pricing::catalog::compute_cost;
use crate::Nanos;

/// Entries shaped exactly as in LiteLLM's file (fields and number
/// spellings copied from it), plus two it must skip.
const FRAGMENT: &str = r#"{
    "sample_spec": { "max_tokens": "LEGACY parameter", "input_cost_per_token": 0.0, "mode": "one of: chat, embedding" },
    "gemini/gemini-2.5-pro": {
        "cache_read_input_token_cost": 1.25e-07,
        "cache_read_input_token_cost_above_200k_tokens": 2.5e-07,
        "input_cost_per_token": 1.25e-06,
        "input_cost_per_token_above_200k_tokens": 2.5e-06,
        "litellm_provider": "gemini",
        "max_input_tokens": 1048576,
        "mode": "chat",
        "output_cost_per_token": 1e-05,
        "output_cost_per_token_above_200k_tokens": 1.5e-05
    },
    "claude-sonnet-4-5": {
        "cache_creation_input_token_cost": 3.75e-06,
        "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
        "cache_read_input_token_cost": 3e-07,
        "cache_read_input_token_cost_above_200k_tokens": 6e-07,
        "input_cost_per_token": 3e-06,
        "input_cost_per_token_above_200k_tokens": 6e-06,
        "litellm_provider": "anthropic",
        "mode": "chat",
        "output_cost_per_token": 1.5e-05,
        "output_cost_per_token_above_200k_tokens": 2.25e-05
    },
    "gpt-4o": {
        "cache_read_input_token_cost": 1.25e-06,
        "input_cost_per_token": 2.5e-06,
        "litellm_provider": "openai",
        "mode": "chat",
        "output_cost_per_token": 1e-05
    },
    "azure/gpt-4o": {
        "cache_read_input_token_cost": 1.25e-06,
        "input_cost_per_token": 2.75e-06,
        "litellm_provider": "azure",
        "mode": "chat",
        "output_cost_per_token": 1.1e-05
    },
    "text-embedding-3-small": {
        "input_cost_per_token": 2e-08,
        "litellm_provider": "openai",
        "mode": "embedding",
        "output_cost_per_token": 0.0
    },
    "deepseek/deepseek-chat": {
        "cache_creation_input_token_cost": 0.0,
        "cache_read_input_token_cost": 2.8e-08,
        "input_cost_per_token": 2.8e-07,
        "litellm_provider": "deepseek",
        "mode": "chat",
        "output_cost_per_token": 4.2e-07
    }
}"#;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn entry<'a>(p: &'a Parsed, key: &str) -> &'a Entry {
    p.entries.iter().find(|e| e.key == key).unwrap()
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
fn reads_per_token_floats_as_exact_rates_per_million() {
    let p = parse(FRAGMENT, day("2026-12-01")).unwrap();
    assert_eq!(p.entries.len(), 5);
    assert_eq!(p.skipped, 1, "the embedding model");
    let gem = entry(&p, "gemini/gemini-2.5-pro");
    assert_eq!(gem.provider, "google");
    assert_eq!(gem.version.rates.input, dec("1.25"));
    assert_eq!(gem.version.rates.output, dec("10"));
    assert_eq!(gem.version.rates.cache_read, dec("0.125"));
    assert_eq!(gem.version.rates.cache_write, dec("1.25"), "no cache-write rate: the input rate");
    let t = &gem.version.tiers[0];
    assert_eq!(t.above_input_tokens, 200_000);
    assert_eq!((t.rates.input, t.rates.output, t.rates.cache_read), (dec("2.5"), dec("15"), dec("0.25")));
    assert_eq!(t.rates.cache_write, dec("2.5"), "a cache rate the file never lists follows the tier's input");
    let ds = entry(&p, "deepseek/deepseek-chat");
    assert_eq!(ds.version.rates.cache_write, dec("0.28"), "a zero cache-write rate means the input rate");
    assert_eq!(ds.version.rates.cache_read, dec("0.028"));
}

/// Hand-worked from Google's Gemini API price page (2.5 Pro: $1.25/$10 per
/// 1M up to 200k prompt tokens, $2.50/$15 above) and Anthropic's (Sonnet
/// 4.5: $3/$15, $6/$22.50 above 200k; cache reads $0.30, $0.60 above).
#[test]
fn tiers_price_like_the_public_price_pages() {
    let p = parse(FRAGMENT, day("2024-01-01")).unwrap();
    let gem = &entry(&p, "gemini/gemini-2.5-pro").version;
    // 200,000 prompt + 10,000 output: 0.2M×$1.25 + 0.01M×$10 = $0.25 + $0.10.
    assert_eq!(compute_cost(gem, &usage(200_000, 10_000, 0, 0)), Some(Nanos(350_000_000)));
    // 300,000 prompt + 10,000 output, all above 200k: 0.3M×$2.50 + 0.01M×$15 = $0.75 + $0.15.
    assert_eq!(compute_cost(gem, &usage(300_000, 10_000, 0, 0)), Some(Nanos(900_000_000)));
    let sonnet = &entry(&p, "claude-sonnet-4-5").version;
    // 250,000 input of which 100,000 cache reads and 50,000 cache writes, 2,000 output:
    // 0.1M×$6 + 0.1M×$0.60 + 0.05M×$7.50 + 0.002M×$22.50 = $0.60 + $0.06 + $0.375 + $0.045.
    assert_eq!(compute_cost(sonnet, &usage(250_000, 2_000, 100_000, 50_000)), Some(Nanos(1_080_000_000)));
}

#[test]
fn the_diff_against_the_shipped_catalog() {
    let cat = Catalog::from_json(include_str!("../../../../catalog/prices.json")).unwrap();
    let d = diff(&cat, parse(FRAGMENT, day("2026-12-01")).unwrap(), day("2026-11-29"));
    // The shipped catalog came from this file's numbers, so its models are unchanged…
    assert_eq!(d.unchanged, 4, "{d:?}");
    // …and azure/gpt-4o is Azure's own entry, not OpenAI's gpt-4o: the
    // file's $2.75 moves it, and only it.
    assert_eq!(d.changed.iter().map(|c| c.model.as_str()).collect::<Vec<_>>(), vec!["azure/gpt-4o"]);
    assert_eq!(d.changed[0].next.rates.input, dec("2.75"));
    assert!(d.new.is_empty(), "{:?}", d.new);

    let cheaper = FRAGMENT.replace("\"input_cost_per_token\": 2.5e-06", "\"input_cost_per_token\": 2e-06");
    let d = diff(&cat, parse(&cheaper, day("2026-12-01")).unwrap(), day("2026-11-29"));
    assert_eq!(d.changed.len(), 2);
    let c = d.changed.iter().find(|c| c.model == "gpt-4o").unwrap();
    assert_eq!(c.current.as_ref().unwrap().rates.input, dec("2.50"));
    assert_eq!(c.next.rates.input, dec("2"));
    let applied = apply(&cat, &d, false);
    assert_eq!(applied.len(), 2);
    let gpt = applied.iter().find(|m| m.model == "gpt-4o").unwrap();
    assert_eq!(gpt.prices.last().unwrap().effective_from, day("2026-12-01"));
    assert!(gpt.prices.len() >= 2, "history is kept: {:?}", gpt.prices);
    let mut fragment: serde_json::Value = serde_json::from_str(FRAGMENT).unwrap();
    fragment["mistral/my-new-model"] = fragment["gemini/gemini-2.5-pro"].clone();
    fragment["mistral/my-new-model"]["litellm_provider"] = "mistral".into();
    let d = diff(&cat, parse(&fragment.to_string(), day("2026-12-01")).unwrap(), day("2026-11-29"));
    assert_eq!(d.new.iter().map(|m| m.model.as_str()).collect::<Vec<_>>(), vec!["my-new-model"]);
    assert_eq!(apply(&cat, &d, false).len(), 1, "new models wait for the admin's say-so");
    assert_eq!(apply(&cat, &d, true).len(), 2);
}

#[test]
fn bad_files_are_refused_with_a_reason() {
    assert!(parse("[1,2]", day("2026-01-01")).unwrap_err().contains("JSON object"));
    assert!(parse("{", day("2026-01-01")).unwrap_err().contains("not valid JSON"));
    assert!(parse(r#"{"x": {"mode": "embedding"}}"#, day("2026-01-01")).unwrap_err().contains("no text model"));
    let p = parse(r#"{"m": {"input_cost_per_token": -1, "output_cost_per_token": 1}}"#, day("2026-01-01")).unwrap();
    assert_eq!(p.invalid, vec!["m".to_string()]);
}
