//! Matching bill lines to Bursar's provider, model and token class, with the
//! same model-id rules as pricing (`crate::pricing::model_id`,
//! `Catalog::find_for`), and admins' mapping rules first.
//!
//! A model is keyed by its maker's catalog entry (its name, lower case), so
//! `us.anthropic.claude-sonnet-4-5-20250929-v1:0` on a call and
//! `claude-sonnet-4-5-20250929` on a bill meet as `claude-sonnet-4-5`; a
//! model the catalog lacks is keyed by its most general spelling
//! ([`crate::pricing::model_id::candidates`]). A line whose model cannot be
//! read stays in its provider's total, as unmatched.

use super::bill::{BillLine, BillSource, TokenClass};
use crate::ingest::event::FieldError;
use crate::pricing::model_id::{candidates, canonical_provider, is_dated_snapshot};
use crate::pricing::Catalog;
use serde::{Deserialize, Serialize};

/// Longest pattern or model a rule may hold.
pub const MAX_RULE_TEXT: usize = 200;
/// Most rules kept.
pub const MAX_RULES: usize = 500;

/// An admin's rule for bill lines the defaults do not read: a line of
/// `source` (any when `None`) whose description (or model) contains
/// `pattern`, in any case, takes the rule's provider, model and class where
/// the rule sets them. The first matching rule (lowest id) wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRule {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub source: Option<BillSource>,
    pub pattern: String,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub token_class: Option<TokenClass>,
}

impl MappingRule {
    /// Checks a rule an admin sent; trims its text and spells its provider
    /// as Bursar does. Errors name `pattern`, `model` or `provider`.
    pub fn checked(mut self) -> Result<MappingRule, FieldError> {
        let err = |f: &str, r: &str| FieldError { field: f.into(), reason: r.into() };
        self.pattern = self.pattern.trim().to_string();
        if self.pattern.is_empty() || self.pattern.len() > MAX_RULE_TEXT {
            return Err(err("pattern", "must be 1 to 200 characters of the line's description"));
        }
        self.model = self.model.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
        if self.model.as_ref().is_some_and(|m| m.len() > MAX_RULE_TEXT) {
            return Err(err("model", "must be at most 200 characters"));
        }
        self.provider = self.provider.map(|p| canonical_provider(&p)).filter(|p| !p.is_empty());
        if self.provider.as_ref().is_some_and(|p| p.len() > 64 || p.contains(char::is_whitespace)) {
            return Err(err("provider", "must be a provider name without spaces, at most 64 characters"));
        }
        if self.provider.is_none() && self.model.is_none() && self.token_class.is_none() {
            return Err(err("pattern", "a rule must set a provider, a model or a token class"));
        }
        Ok(self)
    }

    fn applies(&self, source: BillSource, line: &BillLine) -> bool {
        let p = self.pattern.to_lowercase();
        self.source.is_none_or(|s| s == source)
            && (line.description.to_lowercase().contains(&p)
                || line.model.as_ref().is_some_and(|m| m.to_lowercase().contains(&p)))
    }
}

/// A bill line as reconcile groups it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matched {
    pub provider: String,
    /// The model's key ([`model_key`]); `None`: no model could be read.
    pub model: Option<String>,
    /// Whether the catalog knows the model (an unknown one meets only calls of the same spelling).
    pub known: bool,
    pub token_class: Option<TokenClass>,
    /// The rule that read the line, if one did.
    pub rule: Option<i64>,
}

/// The key a model is grouped by: its maker's catalog entry
/// ([`Catalog::find_maker`]), so a cloud's regional spelling meets the
/// maker's; else the entry that prices it through `provider`; else its most
/// general spelling.
pub fn model_key(catalog: &Catalog, provider: &str, model: &str) -> String {
    match catalog.find_maker(model).or_else(|| catalog.find_for(Some(provider), model)) {
        Some(m) => m.model.to_lowercase(),
        None => candidates(model).pop().unwrap_or_else(|| model.trim().to_lowercase()),
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).flat_map(char::to_lowercase).collect()
}

/// Strips a snapshot date: `claude-3-5-sonnet-20240620` → `claude-3-5-sonnet`.
fn undated(name: &str) -> Option<&str> {
    if !is_dated_snapshot(name) {
        return None;
    }
    let n = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
    Some(n.trim_end_matches('@')).filter(|n| !n.is_empty())
}

/// The model a description names, read as the catalog spells models with
/// punctuation dropped (an AWS usage type `USE1-Claude3.5Sonnet-input-tokens`
/// holds `claude35sonnet`): the longest full name found wins; a name found
/// only without its snapshot date counts when every snapshot it could be is
/// priced by one entry, else the line stays unmatched (no guessing).
pub fn model_in_text(catalog: &Catalog, provider: &str, text: &str) -> Option<String> {
    let hay = squash(text);
    let mut best: Option<(usize, String)> = None;
    let mut loose: Vec<(usize, String)> = Vec::new();
    for m in catalog.models() {
        for name in std::iter::once(&m.model).chain(&m.aliases) {
            let full = squash(name);
            if full.len() >= 5 && hay.contains(&full) && best.as_ref().is_none_or(|(l, _)| full.len() > *l) {
                best = Some((full.len(), model_key(catalog, provider, name)));
            }
            if let Some(short) = undated(name).map(squash).filter(|s| s.len() >= 5 && hay.contains(s.as_str())) {
                loose.push((short.len(), model_key(catalog, provider, name)));
            }
        }
    }
    if let Some((_, key)) = best {
        return Some(key);
    }
    let longest = loose.iter().map(|l| l.0).max()?;
    let mut keys: Vec<&String> = loose.iter().filter(|l| l.0 == longest).map(|l| &l.1).collect();
    keys.dedup();
    (keys.len() == 1).then(|| keys[0].clone())
}

/// Matches one line: the first rule that applies, then the line's own
/// provider, model and class, then (for a line without a model) a model
/// named in its description.
pub fn match_line(source: BillSource, line: &BillLine, rules: &[MappingRule], catalog: &Catalog) -> Matched {
    let rule = rules.iter().find(|r| r.applies(source, line));
    let provider = rule.and_then(|r| r.provider.clone()).unwrap_or_else(|| canonical_provider(&line.provider));
    let model = match rule.and_then(|r| r.model.as_deref()).or(line.model.as_deref()) {
        Some(m) => Some(model_key(catalog, &provider, m)),
        None => model_in_text(catalog, &provider, &line.description),
    };
    let known = model.as_ref().is_some_and(|m| catalog.find_for(Some(&provider), m).is_some());
    Matched {
        provider,
        model,
        known,
        token_class: rule.and_then(|r| r.token_class).or(line.token_class),
        rule: rule.map(|r| r.id),
    }
}

/// The fields a line is matched by.
type LineShape = (BillSource, String, Option<String>, String, Option<TokenClass>);

/// Matches lines, once per distinct shape (source, description, model,
/// provider and class): a catalog scan per line would make a big bill slow.
#[derive(Default)]
pub struct Matcher {
    seen: std::collections::HashMap<LineShape, Matched>,
}

impl Matcher {
    /// [`match_line`], remembered.
    pub fn get(&mut self, source: BillSource, line: &BillLine, rules: &[MappingRule], catalog: &Catalog) -> Matched {
        let key = (source, line.description.clone(), line.model.clone(), line.provider.clone(), line.token_class);
        self.seen.entry(key).or_insert_with(|| match_line(source, line, rules, catalog)).clone()
    }
}
