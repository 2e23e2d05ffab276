//! Records for signal alert rules and cost-model scenarios, as stored.

use crate::StoreError;
use chrono::{DateTime, Utc};
use domain::costmodel::Scenario;
use domain::signals::signal_rule::RuleSpec;

/// A signal alert rule as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalRuleRecord {
    pub id: String,
    pub spec: RuleSpec,
    pub created_by: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl SignalRuleRecord {
    /// The alert this rule records when it fires: its window the firing's
    /// days (UTC), its spend the firing's, its limit `limit`.
    pub fn alert(
        &self,
        f: &domain::signals::signal_rule::Firing,
        limit: domain::Nanos,
        now: DateTime<Utc>,
    ) -> crate::NewAlert {
        let at = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
        crate::NewAlert {
            budget_id: self.id.clone(),
            budget_name: self.spec.name.clone(),
            split_value: f.value.clone(),
            window: domain::budgets::window::Window { start: at(f.from), end: at(f.to + chrono::Duration::days(1)) },
            kind: self.spec.condition.kind(),
            threshold: 0,
            spent: f.spend,
            limit,
            forecast: None,
            webhook: self.spec.webhook.clone(),
            fired: now,
            message: Some(f.message.clone()),
        }
    }
}

/// A saved cost-model scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioRecord {
    pub id: String,
    pub name: String,
    /// The workflow tag value it models, for model-vs-actual.
    pub workflow: Option<String>,
    pub spec: Scenario,
    pub created_by: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A saved spec read back from its JSON column; `what` and `id` name it when
/// it cannot be read (a `Config` error: the database holds something this
/// build does not understand).
pub(crate) fn saved_spec<T: serde::de::DeserializeOwned>(what: &str, id: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Config(format!("{what} {id} is unreadable: {e}")))
}

/// One task's sums as the task rollup keeps them (`task_rollup`, written with
/// its calls in the ingest transaction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRollupRow {
    pub task_id: String,
    /// Its first and last call.
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// The tags of its first call.
    pub tags: domain::TagSet,
    pub calls: i64,
    /// The cost of its priced calls.
    pub cost: domain::Nanos,
    /// Its smallest and largest input, in tokens.
    pub min_input: i64,
    pub max_input: i64,
}
