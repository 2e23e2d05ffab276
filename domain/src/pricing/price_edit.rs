//! Changing the price catalog by hand: a new model, or a new price version
//! of a model from a date. Rates are typed as USD per 1M tokens; a blank
//! cache rate means the input rate, as providers without a cache discount
//! bill it. A version from a date the model already has replaces it; older
//! versions are never touched, so calls already priced keep their price.
//! A new version keeps the long-context tiers of the one before it.

use crate::ingest::event::FieldError;
use crate::pricing::catalog::{Catalog, ModelPrice, PriceVersion, Rates};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The form's fields, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceDraft {
    pub model: String,
    /// Needed for a new model; ignored for a new version.
    pub provider: String,
    /// Comma-separated other names (new models only).
    pub aliases: String,
    pub effective_from: String,
    pub input: String,
    pub output: String,
    pub cache_read: String,
    pub cache_write: String,
}

fn err(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), reason: reason.into() }
}

/// A rate in USD per 1M tokens: a plain non-negative decimal under $100,000.
pub fn parse_rate(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    let s = raw.trim().trim_start_matches('$');
    let d = Decimal::from_str(s)
        .ok()
        .filter(|_| !s.contains(['e', 'E']))
        .ok_or_else(|| err(field, format!("must be USD per 1M tokens, like 2.50 (got {raw:?})")))?;
    if d.is_sign_negative() {
        return Err(err(field, "must not be negative"));
    }
    if d > Decimal::from(100_000) {
        return Err(err(field, "must be under $100,000 per 1M tokens"));
    }
    Ok(d.normalize())
}

impl PriceDraft {
    fn version(&self, errs: &mut Vec<FieldError>) -> Option<PriceVersion> {
        let date = NaiveDate::parse_from_str(self.effective_from.trim(), "%Y-%m-%d").map_err(|_| {
            err("effective_from", format!("must be a date like 2026-12-01 (got {:?})", self.effective_from))
        });
        // `fallback`: None when the field is required; Some(None) when it falls
        // back to a rate that was itself wrong (already reported).
        let mut rate = |f: &str, raw: &str, fallback: Option<Option<Decimal>>| match (raw.trim().is_empty(), fallback) {
            (true, Some(d)) => d,
            (true, None) => {
                errs.push(err(f, "required"));
                None
            }
            (false, _) => parse_rate(f, raw).map_err(|e| errs.push(e)).ok(),
        };
        let input = rate("input", &self.input, None);
        let output = rate("output", &self.output, None);
        let cache_read = rate("cache_read", &self.cache_read, Some(input));
        let cache_write = rate("cache_write", &self.cache_write, Some(input));
        let date = date.map_err(|e| errs.push(e)).ok();
        Some(PriceVersion {
            effective_from: date?,
            rates: Rates { input: input?, output: output?, cache_read: cache_read?, cache_write: cache_write? },
            tiers: vec![],
        })
    }

    /// A new model for the catalog, or every field's problem.
    pub fn new_model(&self, catalog: &Catalog) -> Result<ModelPrice, Vec<FieldError>> {
        let mut errs = Vec::new();
        let model = self.model.trim().to_lowercase();
        let name_ok =
            |n: &str| !n.is_empty() && n.len() <= 128 && !n.chars().any(|c| c.is_whitespace() || c.is_control());
        if !name_ok(&model) {
            errs.push(err("model", "must be 1-128 characters without spaces"));
        } else if let Some(m) = catalog.find(&model).filter(|m| m.model == model || m.aliases.contains(&model)) {
            errs.push(err(
                "model",
                format!("{model:?} is already in the catalog (as {:?}); add a price version to it", m.model),
            ));
        }
        let provider = self.provider.trim().to_lowercase();
        if !name_ok(&provider) || provider.len() > 64 {
            errs.push(err("provider", "required: 1-64 characters without spaces, like openai"));
        }
        let aliases: Vec<String> =
            self.aliases.split(',').map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect();
        for a in &aliases {
            if !name_ok(a) {
                errs.push(err("aliases", format!("{a:?} is not a model name")));
            } else if catalog.find(a).is_some_and(|m| m.model == *a || m.aliases.contains(a)) {
                errs.push(err("aliases", format!("{a:?} already names a model in the catalog")));
            }
        }
        let version = self.version(&mut errs);
        match version {
            Some(v) if errs.is_empty() => Ok(ModelPrice { model, provider, aliases, prices: vec![v] }),
            _ => Err(errs),
        }
    }

    /// The model with a new price version added, or every field's problem.
    pub fn new_version(&self, catalog: &Catalog) -> Result<ModelPrice, Vec<FieldError>> {
        let mut errs = Vec::new();
        let found = catalog.find(self.model.trim()).filter(|m| m.model == self.model.trim().to_lowercase());
        if found.is_none() {
            errs.push(err("model", format!("{:?} is not in the catalog; add it as a new model", self.model.trim())));
        }
        let version = self.version(&mut errs);
        match (found, version) {
            (Some(m), Some(mut v)) if errs.is_empty() => {
                // Long-context tiers carry over from the version before (the form has no tier fields).
                if let Some(prev) = m.prices.iter().rev().find(|p| p.effective_from < v.effective_from) {
                    v.tiers = prev.tiers.clone();
                }
                let mut m = m.clone();
                m.prices.retain(|p| p.effective_from != v.effective_from);
                m.prices.push(v);
                m.prices.sort_by_key(|p| p.effective_from);
                Ok(m)
            }
            _ => Err(errs),
        }
    }
}

impl PriceDraft {
    /// The model `self.model` (its exact name) with the names in
    /// `self.aliases` (comma separated) added as other names for it: how an
    /// admin maps Azure OpenAI deployment names, which Azure sends as the
    /// model, to the model they run. A name another model of the same
    /// provider already answers to is refused, naming that model.
    pub fn add_aliases(&self, catalog: &Catalog) -> Result<ModelPrice, Vec<FieldError>> {
        let mut errs = Vec::new();
        let wanted = self.model.trim().to_lowercase();
        let found = catalog.models().iter().find(|m| m.model == wanted);
        if found.is_none() {
            errs.push(err("model", format!("{:?} is not in the catalog", self.model.trim())));
        }
        let names: Vec<String> =
            self.aliases.split(',').map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect();
        if names.is_empty() {
            errs.push(err("aliases", "required: one or more names, comma separated"));
        }
        let provider = found.map(|m| m.provider.as_str()).unwrap_or_default();
        for a in &names {
            if a.len() > 128 || a.chars().any(|c| c.is_whitespace() || c.is_control()) {
                errs.push(err("aliases", format!("{a:?} is not a model name (1-128 characters, no spaces)")));
            } else if let Some(other) = catalog
                .models()
                .iter()
                .find(|m| m.provider == provider && (m.model == *a || m.aliases.contains(a)) && m.model != wanted)
            {
                errs.push(err("aliases", format!("{a:?} already names {:?}", other.model)));
            }
        }
        match found {
            Some(m) if errs.is_empty() => {
                let mut m = m.clone();
                for a in names {
                    if !m.aliases.contains(&a) {
                        m.aliases.push(a);
                    }
                }
                Ok(m)
            }
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::from_json(include_str!("../../../catalog/prices.json")).unwrap()
    }

    fn draft(model: &str) -> PriceDraft {
        PriceDraft {
            model: model.into(),
            provider: "acme".into(),
            aliases: "acme-chat-v1, ".into(),
            effective_from: "2026-11-01".into(),
            input: "0.40".into(),
            output: "$1.60".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_model_with_blank_cache_rates_uses_the_input_rate() {
        let m = draft("Acme-Chat").new_model(&catalog()).unwrap();
        assert_eq!(m.model, "acme-chat");
        assert_eq!(m.aliases, vec!["acme-chat-v1"]);
        let r = &m.prices[0].rates;
        assert_eq!(
            (r.input, r.output, r.cache_read, r.cache_write),
            (
                Decimal::from_str("0.4").unwrap(),
                Decimal::from_str("1.6").unwrap(),
                Decimal::from_str("0.4").unwrap(),
                Decimal::from_str("0.4").unwrap()
            )
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = PriceDraft {
            model: "gpt-4o".into(),
            provider: "".into(),
            effective_from: "soon".into(),
            input: "-1".into(),
            output: "1e3".into(),
            ..Default::default()
        };
        let errs = bad.new_model(&catalog()).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["model", "provider", "input", "output", "effective_from"], "{errs:?}");
    }

    #[test]
    fn a_new_version_keeps_history() {
        let cat = catalog();
        let before = cat.find("gpt-4o").unwrap().prices.len();
        let mut d = draft("gpt-4o");
        d.effective_from = "2027-01-01".into();
        let m = d.new_version(&cat).unwrap();
        assert_eq!(m.prices.len(), before + 1);
        assert_eq!(m.prices.last().unwrap().rates.input, Decimal::from_str("0.4").unwrap());
        assert!(draft("no-such-model").new_version(&cat).unwrap_err()[0].reason.contains("not in the catalog"));
        let mut sonnet = draft("claude-sonnet-4-5");
        sonnet.effective_from = "2027-01-01".into();
        let m = sonnet.new_version(&cat).unwrap();
        assert_eq!(m.prices.last().unwrap().tiers[0].above_input_tokens, 200_000, "the 200k tier carries over");
    }

    #[test]
    fn an_azure_deployment_name_maps_to_the_model_it_runs() {
        let cat = catalog();
        let d = PriceDraft { model: "azure/gpt-4o".into(), aliases: "Prod-4o, eastus-4o".into(), ..Default::default() };
        let m = d.add_aliases(&cat).unwrap();
        assert_eq!(m.aliases, vec!["gpt-4o", "prod-4o", "eastus-4o"]);
        let mapped = Catalog::new(vec![m], "t".into()).unwrap();
        assert_eq!(mapped.find_for(Some("azure"), "prod-4o").unwrap().model, "azure/gpt-4o");
        // A name another Azure model answers to is refused, naming it.
        let taken = PriceDraft { model: "azure/gpt-4o".into(), aliases: "gpt-5.1".into(), ..Default::default() };
        assert_eq!(taken.add_aliases(&cat).unwrap_err()[0].reason, "\"gpt-5.1\" already names \"azure/gpt-5.1\"");
        let missing = PriceDraft { model: "azure/nope".into(), aliases: "".into(), ..Default::default() };
        let fields: Vec<String> = missing.add_aliases(&cat).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["model", "aliases"]);
    }
}
