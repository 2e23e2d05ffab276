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
mod tests;
