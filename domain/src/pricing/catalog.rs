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

/// A priced event reads as its event (`p.model`, `p.tags`, `p.usage`); its
/// own fields come first, so `p.cost` is the settled cost, not the one sent.
impl std::ops::Deref for PricedEvent {
    type Target = crate::ingest::event::Event;

    fn deref(&self) -> &Self::Target {
        &self.event
    }
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

    /// The model maker's entry for `model`, whatever cloud it was called
    /// through: the first spelling from [`crate::pricing::model_id::candidates`]
    /// that names an entry of a provider that is not a cloud route. So
    /// `us.anthropic.claude-sonnet-4-5-20250929-v1:0` and
    /// `claude-sonnet-4-5@20250929` both find Anthropic's `claude-sonnet-4-5`.
    pub fn find_maker(&self, model: &str) -> Option<&ModelPrice> {
        use crate::pricing::model_id::{candidates, ROUTES};
        candidates(model).iter().find_map(|n| {
            let mut found = self.names.get(n).into_iter().flatten().chain(self.aliases.get(n).into_iter().flatten());
            found.find(|&&i| !ROUTES.contains(&self.models[i].provider.as_str())).map(|&i| &self.models[i])
        })
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
mod tests;
