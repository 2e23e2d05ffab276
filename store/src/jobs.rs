//! Records of the catalog store (`CatalogStore`): background jobs and the
//! unpriced-events summary.

use chrono::{DateTime, Utc};

/// A background job and how far it has got. Progress lives in the database,
/// so every process shows the same.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct JobRecord {
    pub id: String,
    /// `taxonomy.apply` or `price.reprice`.
    pub kind: String,
    pub params: serde_json::Value,
    /// `running`, `done`, `failed` or `interrupted` (its process stopped).
    pub state: String,
    pub done: i64,
    pub total: i64,
    /// What it did, or why it failed.
    pub detail: String,
    pub created_by: String,
    pub created: DateTime<Utc>,
    pub heartbeat: DateTime<Utc>,
    pub finished: Option<DateTime<Utc>>,
}

/// Stored calls without a cost, for one model name as sent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UnpricedModel {
    pub model: String,
    pub calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

/// What one step of repricing did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RepriceStep {
    /// Calls that now have a cost.
    pub repriced: i64,
    /// Calls the catalog still has no price for (before the model's first price).
    pub still_unpriced: i64,
    /// The last call looked at; `None` when there were none left.
    pub last_seq: Option<i64>,
}
