//! The audit log: who changed what, when, with the state before and after.
//! Entries are only ever added; nothing in Bursar edits or deletes one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What kind of thing changed: the first part of an action (`budget.update`).
pub const KINDS: [&str; 7] = ["budget", "taxonomy", "price", "key", "user", "signal", "scenario"];

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// An email, `key:<name>` or `cli`.
    pub actor: String,
    /// `<kind>.<verb>`, e.g. `budget.update`, `key.revoke`.
    pub action: String,
    /// What changed: a budget's, key's or person's id, a tag key, a model.
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Entry {
    /// A new entry (its id and time are set when stored).
    pub fn new(actor: &str, action: &str, target: &str, before: Option<Value>, after: Option<Value>) -> Entry {
        Entry {
            id: 0,
            at: Utc::now(),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            before,
            after,
        }
    }

    /// The kind of thing changed.
    pub fn kind(&self) -> &str {
        self.action.split('.').next().unwrap_or("")
    }

    /// The top-level fields that differ between before and after, each with
    /// both values (absent is `null`), for showing a change at a glance.
    pub fn changes(&self) -> Vec<(String, Value, Value)> {
        let obj = |v: &Option<Value>| match v {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Some(other) => BTreeMap::from([("value".to_string(), other.clone())]),
            None => BTreeMap::new(),
        };
        let (b, a): (BTreeMap<String, Value>, BTreeMap<String, Value>) = (obj(&self.before), obj(&self.after));
        let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        keys.into_iter()
            .filter_map(|k| {
                let (x, y) = (b.get(k).cloned().unwrap_or(Value::Null), a.get(k).cloned().unwrap_or(Value::Null));
                (x != y).then(|| (k.clone(), x, y))
            })
            .collect()
    }
}

/// A filter on the log. Empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Part of the actor (case-insensitive).
    pub actor: String,
    /// One of [`KINDS`], or empty.
    pub kind: String,
    /// Part of the target (case-insensitive).
    pub target: String,
    pub from: Option<NaiveDate>,
    /// Inclusive.
    pub to: Option<NaiveDate>,
    pub limit: i64,
}

impl Query {
    /// Reads a filter from query parameters, saying which is wrong.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Result<Query, crate::FieldError> {
        let err = |f: &str, r: String| crate::FieldError { field: f.into(), reason: r };
        let date = |f: &str| -> Result<Option<NaiveDate>, crate::FieldError> {
            match get(f).filter(|s| !s.trim().is_empty()) {
                None => Ok(None),
                Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| err(f, format!("must be a date like 2026-11-29 (got {s:?})"))),
            }
        };
        let kind = get("kind").unwrap_or_default().trim().to_string();
        if !kind.is_empty() && !KINDS.contains(&kind.as_str()) {
            return Err(err("kind", format!("must be one of {} (got {kind:?})", KINDS.join(", "))));
        }
        let limit = match get("limit").filter(|s| !s.is_empty()) {
            None => 200,
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| err("limit", "must be 1-1000".into()))?,
        };
        Ok(Query {
            actor: get("actor").unwrap_or_default().trim().to_lowercase(),
            kind,
            target: get("target").unwrap_or_default().trim().to_lowercase(),
            from: date("from")?,
            to: date("to")?,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_list_the_fields_that_differ() {
        let e = Entry::new(
            "ana@example.com",
            "budget.update",
            "b1",
            Some(json!({"name": "x", "amount": "10.00", "thresholds": [50, 80]})),
            Some(json!({"name": "x", "amount": "20.00", "thresholds": [50, 80], "hard_cap": true})),
        );
        assert_eq!(e.kind(), "budget");
        let c = e.changes();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0], ("amount".into(), json!("10.00"), json!("20.00")));
        assert_eq!(c[1], ("hard_cap".into(), Value::Null, json!(true)));
    }

    #[test]
    fn query_params_are_checked() {
        let q = Query::from_params(|k| match k {
            "kind" => Some("key".into()),
            "from" => Some("2026-11-01".into()),
            "actor" => Some(" Ana ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!((q.kind.as_str(), q.actor.as_str(), q.limit), ("key", "ana", 200));
        let bad = Query::from_params(|k| (k == "kind").then(|| "robot".to_string())).unwrap_err();
        assert_eq!(bad.field, "kind");
        let bad = Query::from_params(|k| (k == "to").then(|| "yesterday".to_string())).unwrap_err();
        assert_eq!(bad.field, "to");
    }
}
