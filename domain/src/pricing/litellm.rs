//! Importing a price catalog in LiteLLM's `model_prices_and_context_window.json`
//! format, and the diff an admin reviews before it is applied.
//!
//! LiteLLM gives USD per token as JSON numbers (`3e-06`). Each is read back
//! as the shortest decimal that names the same number, which is what the
//! file's author wrote, and multiplied by 1,000,000 exactly. The rules match
//! `catalog/extract_litellm.py`, which built the shipped catalog:
//! - a missing or zero cache rate means the input rate;
//! - `<field>_above_<N>k_tokens` is a long-context tier from N×1000 input
//!   tokens; a tier without a field uses the base rate for it (its own input
//!   rate for a cache rate LiteLLM does not list at all).
//!
//! Only text models are imported (`mode` chat, completion or responses, or
//! none) with both an input and an output price. An import adds models and
//! price versions; it never rewrites or removes what the catalog has.

use crate::pricing::catalog::{Catalog, ModelPrice, PriceVersion, Rates, Tier};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

const INPUT: &str = "input_cost_per_token";
const OUTPUT: &str = "output_cost_per_token";
const CACHE_READ: &str = "cache_read_input_token_cost";
const CACHE_WRITE: &str = "cache_creation_input_token_cost";

/// One model as the file prices it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The file's key, e.g. `gemini/gemini-2.5-pro`.
    pub key: String,
    /// Bursar's provider name (`gemini` becomes `google`).
    pub provider: String,
    pub version: PriceVersion,
}

/// What a file holds that Bursar can use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    /// Entries left out: not text models, or without an input and output price.
    pub skipped: usize,
    /// Entries with a price that is not a non-negative number, by key.
    pub invalid: Vec<String>,
}

/// Reads a LiteLLM catalog; its prices take effect on `from`.
pub fn parse(text: &str, from: NaiveDate) -> Result<Parsed, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(root) = root else {
        return Err("must be a JSON object of model name → prices, as LiteLLM's file is".into());
    };
    let mut out = Parsed::default();
    for (key, v) in &root {
        let Value::Object(e) = v else {
            out.skipped += 1;
            continue;
        };
        if key == "sample_spec" {
            continue;
        }
        let mode = e.get("mode").and_then(Value::as_str).unwrap_or("chat");
        if !matches!(mode, "chat" | "completion" | "responses") || !e.contains_key(INPUT) || !e.contains_key(OUTPUT) {
            out.skipped += 1;
            continue;
        }
        match version(e, from) {
            Some(version) => {
                let litellm = e.get("litellm_provider").and_then(Value::as_str).unwrap_or("");
                let provider = match litellm {
                    "" => crate::pricing::model_id::canonical_provider(
                        key.split_once('/').map(|(p, _)| p).unwrap_or("unknown"),
                    ),
                    other => crate::pricing::model_id::canonical_provider(other),
                };
                out.entries.push(Entry { key: key.clone(), provider, version });
            }
            None => out.invalid.push(key.clone()),
        }
    }
    if out.entries.is_empty() && out.invalid.is_empty() {
        return Err("holds no text model with an input_cost_per_token and an output_cost_per_token".into());
    }
    Ok(out)
}

/// USD per token as a JSON number → exact USD per 1M tokens. serde_json is
/// built with `float_roundtrip`, so the f64 is the one the text names and its
/// shortest decimal form is the text's value.
fn per_million(v: &Value) -> Option<Decimal> {
    let n = v.as_f64().filter(|n| n.is_finite() && *n >= 0.0)?;
    let d = Decimal::from_str(&format!("{n}")).ok()?;
    Some(d.checked_mul(Decimal::from(1_000_000))?.normalize())
}

/// A rate the entry lists, unless absent or zero.
fn listed(e: &Map<String, Value>, field: &str) -> Option<Option<Decimal>> {
    match e.get(field) {
        None | Some(Value::Null) => Some(None),
        Some(v) => per_million(v).map(|d| (!d.is_zero()).then_some(d)),
    }
}

fn version(e: &Map<String, Value>, from: NaiveDate) -> Option<PriceVersion> {
    let input = per_million(e.get(INPUT)?)?;
    let output = per_million(e.get(OUTPUT)?)?;
    let listed_read = listed(e, CACHE_READ)?;
    let listed_write = listed(e, CACHE_WRITE)?;
    let rates =
        Rates { input, output, cache_read: listed_read.unwrap_or(input), cache_write: listed_write.unwrap_or(input) };
    let mut tiers: BTreeMap<i64, BTreeMap<&str, Decimal>> = BTreeMap::new();
    for (field, v) in e {
        let Some((base, rest)) = field.split_once("_above_") else { continue };
        let Some(k) = rest.strip_suffix("k_tokens").and_then(|k| k.parse::<i64>().ok()) else { continue };
        let Some(base) = [INPUT, OUTPUT, CACHE_READ, CACHE_WRITE].into_iter().find(|f| *f == base) else { continue };
        tiers.entry(k * 1000).or_default().insert(base, per_million(v)?);
    }
    let tiers = tiers
        .into_iter()
        .map(|(above, t)| {
            let ti = t.get(INPUT).copied().unwrap_or(input);
            let cache = |field: &str, base: Option<Decimal>| {
                t.get(field).copied().unwrap_or(match base {
                    Some(_) => {
                        if field == CACHE_READ {
                            rates.cache_read
                        } else {
                            rates.cache_write
                        }
                    }
                    None => ti,
                })
            };
            Tier {
                above_input_tokens: above,
                rates: Rates {
                    input: ti,
                    output: t.get(OUTPUT).copied().unwrap_or(output),
                    cache_read: cache(CACHE_READ, listed_read),
                    cache_write: cache(CACHE_WRITE, listed_write),
                },
            }
        })
        .collect();
    Some(PriceVersion { effective_from: from, rates, tiers })
}

/// A model whose price the file changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// The catalog's name for it.
    pub model: String,
    /// The file's key.
    pub key: String,
    /// The version in force now (`None` if none is yet).
    pub current: Option<PriceVersion>,
    /// The version the import adds.
    pub next: PriceVersion,
}

/// What applying a file would do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    /// Models the catalog lacks, named as they would be added.
    pub new: Vec<ModelPrice>,
    pub changed: Vec<Changed>,
    /// Models whose price in force equals the file's.
    pub unchanged: usize,
    /// Entries left out (not text models, or unpriced).
    pub skipped: usize,
    /// Entries with a bad price.
    pub invalid: Vec<String>,
}

/// Compares a parsed file with the catalog as it stands on `today`.
/// A file key matches a catalog model by exact name or alias, or without a
/// `provider/` prefix, and only when the provider is the same (so
/// `azure/gpt-4o` is not OpenAI's `gpt-4o`, nor a Vertex AI `gemini-…` entry
/// Google's AI Studio model). When several keys match one model, the one
/// spelled like the model wins. A file entry without long-context tiers
/// keeps the tiers the model has (LiteLLM lists some tiers only for some
/// models), so an import never drops a tier silently.
pub fn diff(catalog: &Catalog, parsed: Parsed, today: NaiveDate) -> Diff {
    let mut d = Diff { skipped: parsed.skipped, invalid: parsed.invalid, ..Default::default() };
    let strip = |k: &str| k.rsplit('/').next().unwrap_or(k).to_lowercase();
    let mut entries = parsed.entries;
    // Exact spellings first, so they claim their model before an alias does.
    entries.sort_by_key(|e| (catalog.find(&e.key).map(|m| m.model != strip(&e.key)).unwrap_or(true), e.key.clone()));
    let mut claimed: HashSet<String> = HashSet::new();
    let mut new_names: HashSet<String> = HashSet::new();
    for e in entries {
        let existing = catalog.find_for(Some(&e.provider), &e.key).filter(|m| m.provider == e.provider);
        match existing {
            Some(m) => {
                if !claimed.insert(m.model.clone()) {
                    continue;
                }
                let at = today.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
                let current = catalog.version_at(&m.model, at).cloned();
                let mut e = e;
                if e.version.tiers.is_empty() {
                    e.version.tiers = current.as_ref().map(|c| c.tiers.clone()).unwrap_or_default();
                }
                let same = current.as_ref().is_some_and(|c| c.rates == e.version.rates && c.tiers == e.version.tiers);
                if same {
                    d.unchanged += 1;
                } else {
                    d.changed.push(Changed { model: m.model.clone(), key: e.key, current, next: e.version });
                }
            }
            None => {
                let (prefix, stripped) = e.key.split_once('/').unwrap_or(("", &e.key));
                let short = stripped.to_lowercase();
                let provider_prefix = prefix == e.provider || (prefix == "gemini" && e.provider == "google");
                let name = if provider_prefix && catalog.find(&short).is_none() && !new_names.contains(&short) {
                    short
                } else {
                    e.key.to_lowercase()
                };
                let taken = catalog.find(&name).is_some_and(|m| m.model == name || m.aliases.contains(&name))
                    || catalog.find(&e.key).is_some_and(|m| m.model == e.key.to_lowercase());
                if taken || !new_names.insert(name.clone()) {
                    continue;
                }
                d.new.push(ModelPrice { model: name, provider: e.provider, aliases: vec![], prices: vec![e.version] });
            }
        }
    }
    d.changed.sort_by(|a, b| a.model.cmp(&b.model));
    d.new.sort_by(|a, b| a.model.cmp(&b.model));
    d
}

/// The catalog's models after applying a diff: changed models gain their new
/// version (replacing one from the same date), and new models are added if
/// `add_new`. Returns the models that changed, as they will be stored.
pub fn apply(catalog: &Catalog, diff: &Diff, add_new: bool) -> Vec<ModelPrice> {
    let mut out = Vec::new();
    for c in &diff.changed {
        let Some(m) = catalog.find(&c.model) else { continue };
        let mut m = m.clone();
        m.prices.retain(|p| p.effective_from != c.next.effective_from);
        m.prices.push(c.next.clone());
        m.prices.sort_by_key(|p| p.effective_from);
        out.push(m);
    }
    if add_new {
        out.extend(diff.new.iter().cloned());
    }
    out
}

#[cfg(test)]
mod tests {
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
        let cat = Catalog::from_json(include_str!("../../../catalog/prices.json")).unwrap();
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
}
