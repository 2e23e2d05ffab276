//! The tag taxonomy: what each tag key means, whether calls must carry it,
//! which values it allows, which spellings are aliases of one canonical
//! value, and what ingest does with a value that is not allowed.
//!
//! Rules for one value, in order:
//! 1. **Aliases** apply under every policy. A spelling is matched on the
//!    value trimmed and lower-cased, so the alias `bug_triage => bug-triage`
//!    also catches `"Bug_Triage"` and `" bug_triage"`.
//! 2. **Case-folding** applies under `normalize` only: a value that is not an
//!    alias becomes the allowed value it equals ignoring case, or (when any
//!    value is allowed) its lower-case form.
//! 3. A value still not allowed is stored and flagged (`accept`,
//!    `normalize`) or refused with an error naming the allowed values
//!    (`reject`).
//!
//! Normalising twice gives what normalising once gave: [`Taxonomy::validate`]
//! refuses rule sets for which that would not hold (an alias pointing to an
//! alias, an alias target that is not allowed, two allowed values that differ
//! only in case).

use crate::attribution::tags::{check_value, TagKey, TagSet};
use crate::ingest::event::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What ingest does with a value the key does not allow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Store it as sent, and flag it.
    #[default]
    Accept,
    /// Apply aliases and case-folding; store and flag what is still not allowed.
    Normalize,
    /// Refuse the call with an error naming the key and the allowed values.
    Reject,
}

impl Policy {
    /// Parses `accept`, `normalize` or `reject`.
    pub fn parse(s: &str) -> Result<Policy, String> {
        match s.trim() {
            "accept" => Ok(Policy::Accept),
            "normalize" => Ok(Policy::Normalize),
            "reject" => Ok(Policy::Reject),
            other => Err(format!("must be accept, normalize or reject (got {other:?})")),
        }
    }

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Accept => "accept",
            Policy::Normalize => "normalize",
            Policy::Reject => "reject",
        }
    }
}

/// The rule for one tag key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRule {
    pub key: String,
    #[serde(default)]
    pub description: String,
    /// Calls without this key count as untagged.
    #[serde(default)]
    pub required: bool,
    /// Allowed values; empty means any value.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Spelling → canonical value. Spellings are matched trimmed and lower-cased.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    #[serde(default)]
    pub policy: Policy,
}

/// Why a value was flagged at ingest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Flag {
    /// The value is not one of the key's allowed values.
    NotAllowed { key: String, value: String },
    /// A required key is missing.
    Missing { key: String },
}

/// How a spelling is matched: trimmed and lower-cased.
pub fn fold(value: &str) -> String {
    value.trim().to_lowercase()
}

impl KeyRule {
    /// Whether a value is allowed (every value is, when the list is empty).
    pub fn allows(&self, value: &str) -> bool {
        self.allowed.is_empty() || self.allowed.iter().any(|a| a == value)
    }

    /// The value after aliases (and, under `normalize`, case-folding).
    pub fn normalize(&self, value: &str) -> String {
        let f = fold(value);
        if let Some(target) = self.aliases.get(&f) {
            return target.clone();
        }
        if self.policy != Policy::Normalize {
            return value.to_string();
        }
        if self.allowed.is_empty() {
            // Lower-casing can lengthen a value (İ → i̇) past what a tag may hold.
            return if check_value(&f).is_ok() { f } else { value.to_string() };
        }
        self.allowed.iter().find(|a| fold(a) == f).cloned().unwrap_or_else(|| value.to_string())
    }

    /// Every problem with this rule, as field errors under `prefix` (e.g. `keys[0]`).
    fn problems(&self, prefix: &str) -> Vec<FieldError> {
        let mut errs = Vec::new();
        let mut err =
            |field: &str, reason: String| errs.push(FieldError { field: format!("{prefix}.{field}"), reason });
        if let Err(e) = TagKey::parse(&self.key) {
            err("key", e);
        } else if matches!(self.key.as_str(), "model" | "provider") {
            err("key", "model and provider are fields of a call, not tags".into());
        }
        if self.description.chars().count() > 500 {
            err("description", "must be at most 500 characters".into());
        }
        if self.allowed.len() > 1000 {
            err("allowed", "at most 1000 values".into());
        }
        let mut folded = BTreeSet::new();
        for a in &self.allowed {
            if let Err(e) = check_value(a) {
                err("allowed", format!("{a:?} {e}"));
            } else if a.trim() != a {
                err("allowed", format!("{a:?} must not start or end with spaces"));
            } else if !folded.insert(fold(a)) {
                err("allowed", format!("{a:?} is listed twice (values are compared ignoring case)"));
            }
        }
        if self.aliases.len() > 1000 {
            err("aliases", "at most 1000 aliases".into());
        }
        for (spelling, target) in &self.aliases {
            let field = format!("aliases.{spelling}");
            if let Err(e) = check_value(spelling) {
                err(&field, format!("the spelling {e}"));
                continue;
            }
            if *spelling != fold(spelling) {
                err(&field, format!("write the spelling trimmed and in lower case ({:?})", fold(spelling)));
            }
            if let Err(e) = check_value(target) {
                err(&field, format!("the canonical value {e}"));
                continue;
            }
            if target.trim() != target {
                err(&field, format!("the canonical value {target:?} must not start or end with spaces"));
            } else if !self.allowed.is_empty() && !self.allowed.contains(target) {
                err(&field, format!("the canonical value {target:?} must be one of the allowed values"));
            } else if self.allowed.is_empty() && self.policy == Policy::Normalize && fold(target) != *target {
                err(&field, format!("under normalize, canonical values are lower case ({:?})", fold(target)));
            } else if self.aliases.get(&fold(target)).is_some_and(|t| t != target) {
                err(&field, format!("{target:?} is itself an alias; point to its canonical value instead"));
            }
        }
        errs
    }
}

/// Every key's rule, by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taxonomy {
    pub keys: Vec<KeyRule>,
}

/// The most keys a taxonomy may define.
pub const MAX_RULES: usize = 64;

impl Taxonomy {
    /// Checks every rule; the errors name `keys[i].field`.
    pub fn validate(mut self) -> Result<Taxonomy, Vec<FieldError>> {
        let mut errs = Vec::new();
        if self.keys.len() > MAX_RULES {
            errs.push(FieldError { field: "keys".into(), reason: format!("at most {MAX_RULES} keys") });
        }
        let mut seen = BTreeSet::new();
        for (i, rule) in self.keys.iter().enumerate() {
            errs.extend(rule.problems(&format!("keys[{i}]")));
            if !seen.insert(rule.key.clone()) {
                errs.push(FieldError {
                    field: format!("keys[{i}].key"),
                    reason: format!("{:?} is defined twice", rule.key),
                });
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        self.keys.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(self)
    }

    /// The rule for a key.
    pub fn rule(&self, key: &str) -> Option<&KeyRule> {
        self.keys.iter().find(|r| r.key == key)
    }

    /// Keys that calls must carry; calls lacking one count as untagged.
    pub fn required_keys(&self) -> Vec<String> {
        self.keys.iter().filter(|r| r.required).map(|r| r.key.clone()).collect()
    }

    /// Applies the rules to one call's tags at ingest: normalises values in
    /// place and returns what to flag, or the error that refuses the call.
    pub fn apply(&self, tags: &mut TagSet) -> Result<Vec<Flag>, FieldError> {
        let mut flags = Vec::new();
        for rule in &self.keys {
            // Found by name: no key is parsed or value copied for a call the rule leaves alone.
            let Some(value) = tags.0.iter_mut().find(|(k, _)| k.as_str() == rule.key).map(|(_, v)| v) else {
                if rule.required {
                    if rule.policy == Policy::Reject {
                        return Err(FieldError { field: format!("tags.{}", rule.key), reason: "required".into() });
                    }
                    flags.push(Flag::Missing { key: rule.key.clone() });
                }
                continue;
            };
            let normal = rule.normalize(value);
            if !rule.allows(&normal) {
                if rule.policy == Policy::Reject {
                    return Err(FieldError {
                        field: format!("tags.{}", rule.key),
                        reason: format!("{normal:?} is not allowed; allowed values: {}", rule.allowed.join(", ")),
                    });
                }
                flags.push(Flag::NotAllowed { key: rule.key.clone(), value: normal.clone() });
            }
            *value = normal;
        }
        Ok(flags)
    }

    /// What a stored tag set becomes under the rules (aliases and folding,
    /// never rejection), or `None` when it stays as it is.
    pub fn remap(&self, tags: &TagSet) -> Option<TagSet> {
        let mut out = tags.clone();
        for (k, v) in out.0.iter_mut() {
            if let Some(rule) = self.rule(k.as_str()) {
                *v = rule.normalize(v);
            }
        }
        (out != *tags).then_some(out)
    }
}

/// Parses the page's alias text: one `spelling => canonical` per line (or
/// `spelling = canonical`); spellings are folded.
pub fn parse_aliases(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (from, to) = line
            .split_once("=>")
            .or_else(|| line.split_once('='))
            .ok_or_else(|| format!("line {}: write `spelling => canonical value`", n + 1))?;
        let (from, to) = (fold(from), to.trim().to_string());
        if from.is_empty() || to.is_empty() {
            return Err(format!("line {}: both sides of => must be filled in", n + 1));
        }
        out.insert(from, to);
    }
    Ok(out)
}

/// Parses a list of allowed values: one per line (a value may hold commas).
pub fn parse_values(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in text.lines().map(str::trim).filter(|v| !v.is_empty()) {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests;
