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
mod tests {
    use super::*;

    fn rule(policy: Policy, allowed: &[&str], aliases: &[(&str, &str)]) -> KeyRule {
        KeyRule {
            key: "workflow".into(),
            description: String::new(),
            required: false,
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
            aliases: aliases.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            policy,
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> TagSet {
        let mut t = TagSet::new();
        for (k, v) in pairs {
            t.insert(TagKey::parse(k).unwrap(), *v);
        }
        t
    }

    fn tax(r: KeyRule) -> Taxonomy {
        Taxonomy { keys: vec![r] }.validate().unwrap()
    }

    #[test]
    fn aliases_apply_under_every_policy() {
        for p in [Policy::Accept, Policy::Normalize, Policy::Reject] {
            let r = rule(p, &[], &[("bug_triage", "bug-triage"), ("bug triage", "bug-triage")]);
            assert_eq!(r.normalize("Bug_Triage"), "bug-triage", "{p:?}");
            assert_eq!(r.normalize(" bug triage "), "bug-triage", "{p:?}");
        }
    }

    #[test]
    fn case_folding_only_under_normalize() {
        let any = rule(Policy::Normalize, &[], &[]);
        assert_eq!(any.normalize("Bug-Triage"), "bug-triage");
        let listed = rule(Policy::Normalize, &["Support", "bug-triage"], &[]);
        assert_eq!(listed.normalize("SUPPORT"), "Support", "folds to the allowed spelling");
        assert_eq!(listed.normalize("Other"), "Other", "a value not allowed is left as sent");
        assert_eq!(rule(Policy::Accept, &[], &[]).normalize("Bug-Triage"), "Bug-Triage");
    }

    #[test]
    fn accept_flags_reject_refuses_naming_the_allowed_values() {
        let mut t = tags(&[("workflow", "chaos")]);
        let flags = tax(rule(Policy::Accept, &["support", "bug-triage"], &[])).apply(&mut t).unwrap();
        assert_eq!(flags, vec![Flag::NotAllowed { key: "workflow".into(), value: "chaos".into() }]);
        assert_eq!(t.get("workflow"), Some("chaos"), "accept stores it as sent");

        let err = tax(rule(Policy::Reject, &["support", "bug-triage"], &[("triage", "bug-triage")]))
            .apply(&mut tags(&[("workflow", "chaos")]))
            .unwrap_err();
        assert_eq!(err.field, "tags.workflow");
        assert_eq!(err.reason, "\"chaos\" is not allowed; allowed values: support, bug-triage");

        let mut ok = tags(&[("workflow", "Triage")]);
        let r = tax(rule(Policy::Reject, &["support", "bug-triage"], &[("triage", "bug-triage")]));
        assert!(r.apply(&mut ok).unwrap().is_empty(), "an alias rescues a value reject would refuse");
        assert_eq!(ok.get("workflow"), Some("bug-triage"));
    }

    #[test]
    fn normalize_stores_the_canonical_value_and_flags_the_rest() {
        let t = tax(rule(Policy::Normalize, &["support", "bug-triage"], &[("bug_triage", "bug-triage")]));
        let mut a = tags(&[("workflow", "Bug_Triage"), ("team", "core")]);
        assert!(t.apply(&mut a).unwrap().is_empty());
        assert_eq!(a.get("workflow"), Some("bug-triage"));
        assert_eq!(a.get("team"), Some("core"), "keys without a rule are untouched");
        let mut b = tags(&[("workflow", "Chaos")]);
        assert_eq!(t.apply(&mut b).unwrap().len(), 1);
    }

    #[test]
    fn required_keys_are_flagged_or_refused() {
        let mut r = rule(Policy::Accept, &[], &[]);
        r.required = true;
        assert_eq!(tax(r.clone()).apply(&mut TagSet::new()).unwrap(), vec![Flag::Missing { key: "workflow".into() }]);
        r.policy = Policy::Reject;
        assert_eq!(tax(r.clone()).apply(&mut TagSet::new()).unwrap_err().reason, "required");
        assert_eq!(tax(r).required_keys(), vec!["workflow".to_string()]);
    }

    #[test]
    fn validation_names_each_bad_field() {
        let bad = Taxonomy {
            keys: vec![
                rule(Policy::Normalize, &["a", "A"], &[("Up", "a"), ("x", "b")]),
                KeyRule { key: "Bad Key".into(), ..Default::default() },
                rule(Policy::Accept, &[], &[]),
            ],
        };
        let errs = bad.validate().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"keys[0].allowed"), "{errs:?}");
        assert!(fields.contains(&"keys[0].aliases.Up"), "{errs:?}");
        assert!(fields.contains(&"keys[0].aliases.x"), "{errs:?}");
        assert!(fields.contains(&"keys[1].key"), "{errs:?}");
        assert!(fields.contains(&"keys[2].key"), "workflow twice: {errs:?}");
        let chain = Taxonomy { keys: vec![rule(Policy::Accept, &[], &[("a", "b"), ("b", "c")])] };
        assert!(chain.validate().unwrap_err()[0].reason.contains("itself an alias"));
    }

    #[test]
    fn remap_changes_only_what_the_rules_change() {
        let t = tax(rule(Policy::Accept, &[], &[("bug_triage", "bug-triage")]));
        let old = tags(&[("workflow", "bug_triage"), ("team", "core")]);
        assert_eq!(t.remap(&old), Some(tags(&[("workflow", "bug-triage"), ("team", "core")])));
        assert_eq!(t.remap(&tags(&[("workflow", "bug-triage")])), None);
    }

    #[test]
    fn page_text_parses() {
        let a = parse_aliases("Bug-Triage => bug-triage\n\n bug_triage = bug-triage ").unwrap();
        assert_eq!(a.get("bug-triage").map(String::as_str), Some("bug-triage"));
        assert_eq!(a.get("bug_triage").map(String::as_str), Some("bug-triage"));
        assert!(parse_aliases("nonsense").unwrap_err().contains("line 1"));
        assert_eq!(parse_values("a\n b\n\nbilling, EU\na"), vec!["a", "b", "billing, EU"]);
        let long = "İ".repeat(200);
        assert_eq!(rule(Policy::Normalize, &[], &[]).normalize(&long), long, "not folded past the length limit");
        let model = Taxonomy { keys: vec![KeyRule { key: "model".into(), ..Default::default() }] };
        assert_eq!(model.validate().unwrap_err()[0].field, "keys[0].key");
    }
}
