//! The price catalog page's data and server functions: models with their
//! price versions, adding a model or a version, previewing and applying a
//! LiteLLM import, setting a model's tier, and pricing what was stored unpriced.

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One price version, rates as USD per 1M tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub from: String,
    pub input: String,
    pub output: String,
    pub cache_read: String,
    pub cache_write: String,
    /// e.g. "above 200k input: $2.50 / $15"
    pub tiers: Vec<String>,
}

/// One model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    pub model: String,
    pub provider: String,
    pub aliases: Vec<String>,
    /// Oldest first; the last is in force from its date.
    pub versions: Vec<VersionRow>,
    /// `premium` or `routine`: premium models count as escalation on the Signals page.
    pub tier: String,
    /// Whether an admin set the tier (else it follows the price).
    pub tier_set: bool,
}

/// Calls stored without a cost, for one model name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnpricedRow {
    pub model: String,
    pub calls: i64,
    pub tokens: i64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// The catalog now has a price for it (the calls only wait for repricing).
    pub priced_now: bool,
}

/// The page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PricesData {
    pub models: Vec<ModelRow>,
    pub unpriced: Vec<UnpricedRow>,
}

/// What an import would change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// (model, provider, input, output) of models the catalog lacks.
    pub new: Vec<(String, String, String, String)>,
    /// (model, field, now, after) for every rate that changes.
    pub changed: Vec<(String, String, String, String)>,
    pub changed_models: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub invalid: Vec<String>,
    pub from: String,
}

#[cfg(feature = "ssr")]
fn version_row(v: &domain::pricing::catalog::PriceVersion) -> VersionRow {
    VersionRow {
        from: v.effective_from.to_string(),
        input: v.rates.input.to_string(),
        output: v.rates.output.to_string(),
        cache_read: v.rates.cache_read.to_string(),
        cache_write: v.rates.cache_write.to_string(),
        tiers: v
            .tiers
            .iter()
            .map(|t| {
                format!(
                    "above {}k input: ${} in / ${} out / ${} cache read",
                    t.above_input_tokens / 1000,
                    t.rates.input,
                    t.rates.output,
                    t.rates.cache_read
                )
            })
            .collect(),
    }
}

#[cfg(feature = "ssr")]
fn date(field: &str, s: &str) -> Result<chrono::NaiveDate, ServerFnError> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ServerFnError::new(format!("{field}: must be a date like 2026-12-01 (got {s:?})")))
}

/// The catalog and the unpriced calls.
#[server(endpoint = "prices")]
pub async fn get_prices() -> Result<PricesData, ServerFnError> {
    let (_, store) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let gov = crate::server::context::catalog_service()?;
    let catalog = gov.catalog();
    let tiers = crate::server::context::signals()?.tiers().await.map_err(crate::server::errors::store_failed)?;
    let models = catalog
        .models()
        .iter()
        .map(|m| {
            let tier = tiers.iter().find(|t| t.model == m.model);
            ModelRow {
                model: m.model.clone(),
                provider: m.provider.clone(),
                aliases: m.aliases.clone(),
                versions: m.prices.iter().map(version_row).collect(),
                tier: tier.map(|t| t.tier.as_str()).unwrap_or("routine").to_string(),
                tier_set: tier.is_some_and(|t| t.set),
            }
        })
        .collect();
    let unpriced = store
        .unpriced_models()
        .await
        .map_err(crate::server::errors::store_failed)?
        .into_iter()
        .map(|u| UnpricedRow {
            priced_now: catalog.find(&u.model).is_some(),
            model: u.model,
            calls: u.calls,
            tokens: u.input_tokens + u.output_tokens,
            first: u.first,
            last: u.last,
        })
        .collect();
    Ok(PricesData { models, unpriced })
}

/// Sets a model's tier (`premium`, `routine`, or empty for the default from its price).
#[server(endpoint = "set_model_tier")]
pub async fn set_model_tier(model: String, tier: String) -> Result<(), ServerFnError> {
    let (person, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let tier = match tier.as_str() {
        "" => None,
        t => Some(domain::signals::signal::ModelTier::parse(t).map_err(|r| ServerFnError::new(format!("tier {r}")))?),
    };
    crate::server::context::signals()?
        .set_tier(&person.email, &model, tier)
        .await
        .map_err(crate::server::errors::refused)
}

/// Adds a model to the catalog.
#[server(endpoint = "add_price_model")]
pub async fn add_model(
    model: String,
    provider: String,
    aliases: String,
    effective_from: String,
    input: String,
    output: String,
    cache_read: String,
    cache_write: String,
) -> Result<(), ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let draft = domain::pricing::price_edit::PriceDraft {
        model,
        provider,
        aliases,
        effective_from,
        input,
        output,
        cache_read,
        cache_write,
    };
    crate::server::context::catalog_service()?
        .add_model(&me.email, &draft)
        .await
        .map_err(crate::server::errors::refused)?;
    Ok(())
}

/// Adds a price version to a model from a date.
#[server(endpoint = "add_price_version")]
pub async fn add_version(
    model: String,
    effective_from: String,
    input: String,
    output: String,
    cache_read: String,
    cache_write: String,
) -> Result<(), ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let draft = domain::pricing::price_edit::PriceDraft {
        model,
        effective_from,
        input,
        output,
        cache_read,
        cache_write,
        ..Default::default()
    };
    crate::server::context::catalog_service()?
        .add_version(&me.email, &draft)
        .await
        .map_err(crate::server::errors::refused)?;
    Ok(())
}

/// What importing a LiteLLM file would change.
#[server(endpoint = "preview_price_import")]
pub async fn preview_import(text: String, from: String) -> Result<ImportPreview, ServerFnError> {
    crate::server::context::require(domain::people::users::Role::Admin).await?;
    let from_date = date("from", &from)?;
    let diff = crate::server::context::catalog_service()?
        .preview_import(&text, from_date)
        .map_err(crate::server::errors::refused)?;
    let mut changed = Vec::new();
    for c in &diff.changed {
        let now = c.current.as_ref().map(version_row);
        let next = version_row(&c.next);
        let fields = [
            ("input", now.as_ref().map(|n| n.input.clone()), next.input.clone()),
            ("output", now.as_ref().map(|n| n.output.clone()), next.output.clone()),
            ("cache read", now.as_ref().map(|n| n.cache_read.clone()), next.cache_read.clone()),
            ("cache write", now.as_ref().map(|n| n.cache_write.clone()), next.cache_write.clone()),
            ("tiers", now.as_ref().map(|n| n.tiers.join("; ")), next.tiers.join("; ")),
        ];
        let rates_now = c.current.as_ref().map(|v| &v.rates);
        for (i, (field, was, will)) in fields.into_iter().enumerate() {
            let same = match (i, rates_now) {
                (0, Some(r)) => r.input == c.next.rates.input,
                (1, Some(r)) => r.output == c.next.rates.output,
                (2, Some(r)) => r.cache_read == c.next.rates.cache_read,
                (3, Some(r)) => r.cache_write == c.next.rates.cache_write,
                (4, _) => c.current.as_ref().is_some_and(|v| v.tiers == c.next.tiers),
                _ => false,
            };
            if !same {
                changed.push((c.model.clone(), field.to_string(), was.unwrap_or_else(|| "none".into()), will));
            }
        }
    }
    Ok(ImportPreview {
        new: diff
            .new
            .iter()
            .map(|m| {
                let r = &m.prices[0].rates;
                (m.model.clone(), m.provider.clone(), r.input.to_string(), r.output.to_string())
            })
            .collect(),
        changed,
        changed_models: diff.changed.len(),
        unchanged: diff.unchanged,
        skipped: diff.skipped,
        invalid: diff.invalid,
        from: from_date.to_string(),
    })
}

/// Applies a LiteLLM file; answers how many models changed.
#[server(endpoint = "apply_price_import")]
pub async fn apply_import(text: String, from: String, add_new: Option<String>) -> Result<usize, ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let from = date("from", &from)?;
    let changed = crate::server::context::catalog_service()?
        .apply_import(&me.email, &text, from, add_new.is_some())
        .await
        .map_err(crate::server::errors::refused)?;
    Ok(changed.len())
}

/// Prices an unpriced model (adding it to the catalog under the name its
/// calls carry, unless the catalog already prices it) and reprices its calls.
#[server(endpoint = "price_unpriced")]
pub async fn price_unpriced(
    model: String,
    provider: String,
    effective_from: String,
    input: String,
    output: String,
    cache_read: String,
    cache_write: String,
) -> Result<String, ServerFnError> {
    let (me, _) = crate::server::context::require(domain::people::users::Role::Admin).await?;
    let gov = crate::server::context::catalog_service()?;
    if gov.catalog().find(&model).is_none() {
        let draft = domain::pricing::price_edit::PriceDraft {
            model: model.clone(),
            provider,
            aliases: String::new(),
            effective_from,
            input,
            output,
            cache_read,
            cache_write,
        };
        gov.add_model(&me.email, &draft).await.map_err(crate::server::errors::refused)?;
    }
    Ok(gov.start_reprice(&me.email, &[model]).await.map_err(crate::server::errors::refused)?.id)
}
