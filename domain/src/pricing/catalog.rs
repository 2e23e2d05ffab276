//! The price catalog and cost arithmetic.
//!
//! Rates are USD per million tokens, exact decimals. Each model has dated
//! price versions; an event is priced with the version in force at its own
//! timestamp, so a price change never rewrites history. A version may carry
//! long-context tiers: when a call's input exceeds a tier's threshold the
//! whole call is priced at that tier's rates, as providers bill it.

use crate::ingest::event::Usage;
use crate::pricing::money::Nanos;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Rates for one token class each, in USD per 1M tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    #[serde(with = "rust_decimal::serde::str")]
    pub input: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub output: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_read: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_write: Decimal,
}

/// A long-context tier: applies when `input_tokens > above_input_tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub above_input_tokens: i64,
    #[serde(flatten)]
    pub rates: Rates,
}

/// One dated price of a model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceVersion {
    pub effective_from: NaiveDate,
    #[serde(flatten)]
    pub rates: Rates,
    #[serde(default)]
    pub tiers: Vec<Tier>,
}

/// A model and its price history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelPrice {
    pub model: String,
    pub provider: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub prices: Vec<PriceVersion>,
}

/// The catalog file: where its numbers came from, and the models.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogFile {
    pub source: String,
    pub retrieved: String,
    #[serde(default)]
    pub unit: String,
    pub models: Vec<ModelPrice>,
}

/// Where an event's cost came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// The caller sent it.
    Caller,
    /// Bursar computed it from the catalog.
    Catalog,
    /// No cost was sent and the catalog has no price for the model at that time.
    Unpriced,
}

impl CostSource {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::Caller => "caller",
            CostSource::Catalog => "catalog",
            CostSource::Unpriced => "unpriced",
        }
    }
}

/// Why a catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("price catalog is not valid JSON of the expected shape: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("price catalog: model {model:?}: {reason}")]
    Invalid { model: String, reason: String },
}

/// An event with its cost settled, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedEvent {
    pub event: crate::ingest::event::Event,
    /// `None` when unpriced.
    pub cost: Option<Nanos>,
    pub source: CostSource,
}

/// The loaded catalog, indexed by every spelling of every model.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    models: Vec<ModelPrice>,
    /// Lower-case model name → entries of that name (one per provider).
    names: HashMap<String, Vec<usize>>,
    /// Lower-case alias → entries listing it. A name beats an alias.
    aliases: HashMap<String, Vec<usize>>,
    /// Where the numbers came from.
    pub source: String,
}

impl Catalog {
    /// Parses and checks a catalog file.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile = serde_json::from_str(text)?;
        Catalog::new(file.models, file.source)
    }

    /// Builds a catalog, checking rates are non-negative and versions distinct.
    pub fn new(mut models: Vec<ModelPrice>, source: String) -> Result<Catalog, CatalogError> {
        let mut names: HashMap<String, Vec<usize>> = HashMap::new();
        let mut aliases: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in models.iter_mut().enumerate() {
            let invalid = |reason: &str| CatalogError::Invalid { model: m.model.clone(), reason: reason.into() };
            if m.prices.is_empty() {
                return Err(invalid("has no prices"));
            }
            m.prices.sort_by_key(|p| p.effective_from);
            if m.prices.windows(2).any(|w| w[0].effective_from == w[1].effective_from) {
                return Err(invalid("has two prices from the same date"));
            }
            let all_rates =
                m.prices.iter().flat_map(|p| std::iter::once(&p.rates).chain(p.tiers.iter().map(|t| &t.rates)));
            if all_rates
                .clone()
                .any(|r| [r.input, r.output, r.cache_read, r.cache_write].iter().any(|d| d.is_sign_negative()))
            {
                return Err(invalid("has a negative rate"));
            }
            for p in &mut m.prices {
                p.tiers.sort_by_key(|t| t.above_input_tokens);
            }
            m.provider = crate::pricing::model_id::canonical_provider(&m.provider);
            names.entry(m.model.to_lowercase()).or_default().push(i);
            // A dated snapshot is a model of its own: listed as the alias of a
            // model whose price changed over time, it would take that model's
            // history (gpt-4o-2024-08-06 priced at gpt-4o's May 2024 rate), so
            // such an alias is not followed; the snapshot needs its own entry.
            let history = m.prices.len() > 1;
            for a in m.aliases.iter().filter(|a| !(history && crate::pricing::model_id::is_dated_snapshot(a))) {
                aliases.entry(a.to_lowercase()).or_default().push(i);
            }
        }
        Ok(Catalog { models, names, aliases, source })
    }

    /// Every model, in file order.
    pub fn models(&self) -> &[ModelPrice] {
        &self.models
    }

    /// Finds a model by the name a caller sent, whatever the provider: see
    /// [`Catalog::find_for`].
    pub fn find(&self, model: &str) -> Option<&ModelPrice> {
        self.find_for(None, model)
    }

    /// Finds the entry that prices `model` called through `provider`.
    ///
    /// Each spelling from [`crate::pricing::model_id::candidates`] is tried in turn
    /// (the id as sent, then without route prefixes, Bedrock's region and
    /// version, Vertex's `@date`), first as a model name and then as an alias
    /// (any case). Among the entries of one spelling, the provider's own wins;
    /// a cloud without its own entry (see [`crate::pricing::model_id::ROUTES`]) is
    /// priced at the model maker's list price; with no provider, the maker's
    /// entry wins over a cloud's. Dated snapshots are their own models, so
    /// `gpt-4o-2024-08-06` never takes `gpt-4o`'s history.
    pub fn find_for(&self, provider: Option<&str>, model: &str) -> Option<&ModelPrice> {
        use crate::pricing::model_id::{candidates, canonical_provider, infer_provider, ROUTES};
        let provider = provider.map(canonical_provider).or_else(|| infer_provider(model).map(String::from));
        let route = |i: usize| ROUTES.contains(&self.models[i].provider.as_str());
        let names = candidates(model);
        let hits = |name: &String| -> Vec<usize> {
            let mut found = self.names.get(name).cloned().unwrap_or_default();
            found.extend(self.aliases.get(name).into_iter().flatten());
            found
        };
        let first = |keep: &dyn Fn(usize) -> bool| names.iter().find_map(|n| hits(n).into_iter().find(|&i| keep(i)));
        let own = provider.as_deref().and_then(|p| first(&|i| self.models[i].provider == p));
        let maker = || first(&|i| !route(i));
        // With no provider, a model only a cloud lists is still found.
        let any = || if provider.is_none() { first(&|_| true) } else { None };
        let pick = own.or_else(maker).or_else(any);
        pick.map(|i| &self.models[i])
    }

    /// The rates in force for `model` at `at`, if the catalog has any.
    pub fn version_at(&self, model: &str, at: DateTime<Utc>) -> Option<&PriceVersion> {
        version_in(self.find(model)?, at)
    }

    /// The rates in force for `model` called through `provider` at `at`.
    pub fn version_for(&self, provider: Option<&str>, model: &str, at: DateTime<Utc>) -> Option<&PriceVersion> {
        version_in(self.find_for(provider, model)?, at)
    }

    /// Settles an event's cost (see [`Catalog::cost_of`]). The provider is
    /// spelled as Bursar spells it; a call without one gets the provider its
    /// id's shape names, else the catalog's for its model.
    pub fn price(&self, mut event: crate::ingest::event::Event) -> PricedEvent {
        event.provider = event
            .provider
            .as_deref()
            .map(crate::pricing::model_id::canonical_provider)
            .or_else(|| crate::pricing::model_id::infer_provider(&event.model).map(String::from));
        let model = self.find_for(event.provider.as_deref(), &event.model);
        if event.provider.is_none() {
            event.provider = model.map(|m| m.provider.clone());
        }
        let (cost, source) = settle(model, event.timestamp, &event.usage, event.cost);
        PricedEvent { event, cost, source }
    }

    /// Prices a call: the caller's cost when sent, else the catalog's, else unpriced.
    pub fn cost_of(
        &self,
        provider: Option<&str>,
        model: &str,
        at: DateTime<Utc>,
        usage: &Usage,
        sent: Option<Nanos>,
    ) -> (Option<Nanos>, CostSource) {
        settle(self.find_for(provider, model), at, usage, sent)
    }
}

/// The caller's cost when sent, else the catalog's for the model (if known), else unpriced.
fn settle(
    model: Option<&ModelPrice>,
    at: DateTime<Utc>,
    usage: &Usage,
    sent: Option<Nanos>,
) -> (Option<Nanos>, CostSource) {
    if let Some(c) = sent {
        return (Some(c), CostSource::Caller);
    }
    match model.and_then(|m| version_in(m, at)).and_then(|v| compute_cost(v, usage)) {
        Some(c) => (Some(c), CostSource::Catalog),
        None => (None, CostSource::Unpriced),
    }
}

/// The version of a model's price in force at `at`.
fn version_in(m: &ModelPrice, at: DateTime<Utc>) -> Option<&PriceVersion> {
    let day = at.date_naive();
    m.prices.iter().rev().find(|p| p.effective_from <= day)
}

/// The cost of one call under one price version, exact to the nano-dollar
/// (rounded half to even); `None` only if it overflows.
pub fn compute_cost(version: &PriceVersion, usage: &Usage) -> Option<Nanos> {
    let rates = version
        .tiers
        .iter()
        .rev()
        .find(|t| usage.input_tokens > t.above_input_tokens)
        .map(|t| &t.rates)
        .unwrap_or(&version.rates);
    let d = |n: i64| Decimal::from(n);
    let per_million = d(usage.uncached_input()).checked_mul(rates.input)?
        + d(usage.cache_read_tokens).checked_mul(rates.cache_read)?
        + d(usage.cache_write_tokens).checked_mul(rates.cache_write)?
        + d(usage.output_tokens).checked_mul(rates.output)?;
    Nanos::from_usd(per_million / Decimal::from(1_000_000)).ok()
}

#[cfg(test)]
mod tests {
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
        let (c, _) = catalog().cost_of(
            None,
            "claude-sonnet-4-5",
            at("2026-01-01T00:00:00Z"),
            &usage(250_000, 2_000, 0, 0),
            None,
        );
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
        assert_eq!(
            cat.cost_of(None, "my-finetune", at("2026-01-01T00:00:00Z"), &u, None),
            (None, CostSource::Unpriced)
        );
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
        let text = include_str!("../../../catalog/prices.json");
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
}
