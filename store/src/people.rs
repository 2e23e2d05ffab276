//! Records for people, sessions and stored calls, as the store returns them.

use chrono::{DateTime, Utc};
use domain::pricing::catalog::CostSource;
use domain::{PricedEvent, TagSet};

/// A person as stored. The password hash is argon2's PHC string.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    /// Explicitly not shown in `Debug`, and never serialised.
    pub password_hash: String,
    pub role: String,
    pub teams: Vec<String>,
    pub created: DateTime<Utc>,
    pub deactivated: Option<DateTime<Utc>>,
    /// When the password last changed; `None` if never since the account was made.
    pub password_changed: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("teams", &self.teams)
            .field("deactivated", &self.deactivated)
            .finish_non_exhaustive()
    }
}

/// One stored LLM call: the priced event as it was stored, read back. It
/// reads as the priced event (`e.cost` is the stored cost, `e.source` how it
/// was settled) and, through it, as the event (`e.id`, `e.tags`, `e.usage`,
/// `e.usage_note`). The event's own `cost` is the one the caller sent
/// (`None` unless `source` is `Caller`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent(pub PricedEvent);

impl std::ops::Deref for StoredEvent {
    type Target = PricedEvent;

    fn deref(&self) -> &PricedEvent {
        &self.0
    }
}

/// Which calls to list: a range, filters, and a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventQuery {
    pub spend: domain::SpendQuery,
    /// Only this task's calls (then ordered oldest first).
    pub task_id: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// Parses a stored cost source.
pub fn cost_source(s: &str) -> CostSource {
    match s {
        "caller" => CostSource::Caller,
        "catalog" => CostSource::Catalog,
        _ => CostSource::Unpriced,
    }
}

/// Parses a tag set's canonical text back into tags.
pub fn tags_from_key(key: &str) -> TagSet {
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(key).unwrap_or_default();
    let mut set = TagSet::new();
    for (k, v) in map {
        if let Ok(k) = domain::TagKey::parse(&k) {
            set.insert(k, v);
        }
    }
    set
}
