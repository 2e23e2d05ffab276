//! Tag restrictions on an ingest key. One key is one application's
//! credential; without a restriction it could tag a $100,000 call with
//! another team's tag and exhaust that team's hard cap. An admin can bind a
//! key to tag values (`team=search`); then every event the key sends must
//! carry one of the allowed values for each restricted key, or it is
//! rejected by index, naming the tag, and `/check` with the key is held to
//! the same rule.

use crate::attribution::tags::{check_value, TagKey, TagSet};
use crate::ingest::event::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Restricted tag keys and the values each allows (values as calls carry
/// them after the taxonomy's folding). Empty: no restriction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagLimits(pub BTreeMap<String, Vec<String>>);

impl TagLimits {
    /// Reads `team=search, team=search-infra, product=web` (commas or new
    /// lines); repeating a key allows more values. Errors name the entry.
    pub fn parse(text: &str) -> Result<TagLimits, String> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for item in text.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
            let (k, v) = item.split_once('=').ok_or_else(|| format!("{item:?} must be key=value"))?;
            let key = TagKey::parse(k.trim()).map_err(|r| format!("{item:?}: {r}"))?;
            let value = v.trim();
            check_value(value).map_err(|r| format!("{item:?}: {r}"))?;
            let values = out.entry(key.as_str().to_string()).or_default();
            if !values.iter().any(|x| x == value) {
                values.push(value.to_string());
            }
        }
        Ok(TagLimits(out))
    }

    /// Whether the key is unrestricted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The restriction as an admin writes it: `team=search, team=search-infra`.
    pub fn text(&self) -> String {
        self.0.iter().flat_map(|(k, vs)| vs.iter().map(move |v| format!("{k}={v}"))).collect::<Vec<_>>().join(", ")
    }

    /// Checks a call's tags: each restricted key present with an allowed value.
    ///
    /// Errors: field `tags.<key>`, saying which values the key may write.
    pub fn check(&self, tags: &TagSet) -> Result<(), FieldError> {
        for (key, allowed) in &self.0 {
            let list = allowed.join(" or ");
            let reason = match tags.get(key) {
                Some(v) if allowed.iter().any(|a| a == v) => continue,
                Some(v) => format!("this API key may write only {key}={list} (got {v:?})"),
                None => format!("this API key's calls must carry {key}={list}"),
            };
            return Err(FieldError { field: format!("tags.{key}"), reason });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> TagSet {
        let mut t = TagSet::new();
        for (k, v) in pairs {
            t.insert(TagKey::parse(k).unwrap(), *v);
        }
        t
    }

    #[test]
    fn a_restricted_key_writes_only_its_values() {
        let l = TagLimits::parse("team=search, team=search-infra\nproduct=web").unwrap();
        assert_eq!(l.text(), "product=web, team=search, team=search-infra");
        assert_eq!(l.check(&tags(&[("team", "search"), ("product", "web"), ("user", "ana")])), Ok(()));
        let e = l.check(&tags(&[("team", "platform"), ("product", "web")])).unwrap_err();
        assert_eq!(e.field, "tags.team");
        assert_eq!(e.reason, "this API key may write only team=search or search-infra (got \"platform\")");
        let e = l.check(&tags(&[("team", "search")])).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("tags.product", "this API key's calls must carry product=web")
        );
        assert_eq!(TagLimits::default().check(&tags(&[("team", "x")])), Ok(()));
    }

    #[test]
    fn bad_entries_are_named() {
        assert_eq!(TagLimits::parse("team").unwrap_err(), "\"team\" must be key=value");
        assert!(TagLimits::parse("bad key=x").unwrap_err().starts_with("\"bad key=x\""));
        assert!(TagLimits::parse("").unwrap().is_empty());
    }
}
