//! Records for signal alert rules and cost-model scenarios, as stored.

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
