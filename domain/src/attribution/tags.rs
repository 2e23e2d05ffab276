//! Tags: the key/value labels that attribute a call to a team, product,
//! workflow, user, project or task type (or any other key an org uses).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The conventional tag keys, in the order pages show them.
pub const CONVENTIONAL_KEYS: [&str; 6] = ["team", "product", "workflow", "user", "project", "task_type"];

/// Tag keys kept in the hourly and daily rollups. `user` (and any other key)
/// can have as many values as there are people, which would make a rollup as
/// large as the events it sums; spend grouped or filtered by those keys is
/// read from the events instead.
pub const ROLLUP_KEYS: [&str; 5] = ["team", "product", "workflow", "project", "task_type"];

/// Longest tag key accepted.
pub const MAX_KEY_LEN: usize = 64;
/// Longest tag value accepted.
pub const MAX_VALUE_LEN: usize = 256;
/// Most tags one event may carry.
pub const MAX_TAGS: usize = 32;

/// A tag key: 1-64 characters of `a-z`, `0-9`, `_`, `-` and `.`, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagKey(String);

impl TagKey {
    /// Parses a key, saying what is wrong with it when it is not one.
    pub fn parse(raw: &str) -> Result<TagKey, String> {
        if raw.is_empty() || raw.len() > MAX_KEY_LEN {
            return Err(format!("must be 1-{MAX_KEY_LEN} characters"));
        }
        let mut chars = raw.chars();
        let first = chars.next().unwrap_or(' ');
        if !first.is_ascii_lowercase() {
            return Err("must start with a lowercase letter".into());
        }
        if let Some(bad) =
            raw.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.')))
        {
            return Err(format!("may hold only a-z, 0-9, '_', '-' and '.' (found {bad:?})"));
        }
        Ok(TagKey(raw.to_string()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TagKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        TagKey::parse(&s)
    }
}

impl From<TagKey> for String {
    fn from(k: TagKey) -> String {
        k.0
    }
}

impl fmt::Display for TagKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a tag value: non-empty, at most 256 characters, no control characters.
pub fn check_value(raw: &str) -> Result<(), String> {
    if raw.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if raw.chars().count() > MAX_VALUE_LEN {
        return Err(format!("must be at most {MAX_VALUE_LEN} characters"));
    }
    if raw.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// The tags of one event, ordered by key. Its canonical text is how the
/// store recognises that two events carry the same set.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TagSet(pub BTreeMap<TagKey, String>);

impl TagSet {
    /// An empty set: an untagged call.
    pub fn new() -> TagSet {
        TagSet(BTreeMap::new())
    }

    /// Canonical text: compact JSON of the sorted map, e.g. `{"team":"core"}`.
    pub fn canonical(&self) -> String {
        let map: BTreeMap<&str, &str> = self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
    }

    /// The value for a key, if the set has one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v.as_str())
    }

    /// Only the tags the rollups keep (see [`ROLLUP_KEYS`]).
    pub fn rollup_part(&self) -> TagSet {
        TagSet(
            self.0
                .iter()
                .filter(|(k, _)| ROLLUP_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// Adds or replaces a tag.
    pub fn insert(&mut self, key: TagKey, value: impl Into<String>) {
        self.0.insert(key, value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(TagKey::parse("team").is_ok());
        assert!(TagKey::parse("task_type").is_ok());
        assert!(TagKey::parse("k8s.namespace").is_ok());
        assert_eq!(TagKey::parse("").unwrap_err(), "must be 1-64 characters");
        assert!(TagKey::parse("Team").unwrap_err().contains("lowercase"));
        assert!(TagKey::parse("te am").unwrap_err().contains("' '"));
        assert!(TagKey::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn canonical_text_ignores_insertion_order() {
        let mut a = TagSet::new();
        a.insert(TagKey::parse("workflow").unwrap(), "triage");
        a.insert(TagKey::parse("team").unwrap(), "core");
        let mut b = TagSet::new();
        b.insert(TagKey::parse("team").unwrap(), "core");
        b.insert(TagKey::parse("workflow").unwrap(), "triage");
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.canonical(), r#"{"team":"core","workflow":"triage"}"#);
        assert_eq!(TagSet::new().canonical(), "{}");
    }

    #[test]
    fn values_are_checked() {
        assert!(check_value("support-bot").is_ok());
        assert!(check_value("").is_err());
        assert!(check_value("a\nb").is_err());
        assert!(check_value(&"x".repeat(257)).is_err());
    }
}
