//! The `SignalStore` area of the store.

use crate::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Signals read from the rollups, model tiers, signal rules and saved scenarios.
#[async_trait]
pub trait SignalStore: Send + Sync {
    /// Daily sums per model and per value of tag `key`, for the days `from..=to` (UTC), from the rollups.
    async fn signal_days(
        &self,
        key: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<domain::signals::signal::DayRow>, StoreError>;

    /// One task's row of the task rollup (`None`: no call of the task is
    /// stored): its first and last call, the tags of its first call, its
    /// calls, their cost, and its smallest and largest input.
    async fn task_rollup(&self, task_id: &str) -> Result<Option<TaskRollupRow>, StoreError>;

    /// What signals read of the tasks whose first call was on the days
    /// `from..=to` (UTC), summed per value of tag `key` on each task's first
    /// call and day, from the task rollup (no raw call is read, and no row
    /// per task is returned); only tasks of `value` when given.
    async fn signal_task_days(
        &self,
        key: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        value: Option<&str>,
    ) -> Result<domain::signals::signal::TaskDays, StoreError>;

    /// The tiers admins have set, by model.
    async fn model_tiers(&self) -> Result<Vec<(String, domain::signals::signal::ModelTier)>, StoreError>;

    /// Sets a model's tier, or with `None` returns it to the default from its price.
    async fn set_model_tier(
        &self,
        model: &str,
        tier: Option<domain::signals::signal::ModelTier>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Every signal alert rule, by name.
    async fn list_signal_rules(&self) -> Result<Vec<SignalRuleRecord>, StoreError>;

    /// Saves a signal alert rule (new or replacing the one with its id).
    async fn put_signal_rule(&self, rule: &SignalRuleRecord) -> Result<(), StoreError>;

    /// Deletes a signal alert rule; its alerts stay. False when there was none.
    async fn delete_signal_rule(&self, id: &str) -> Result<bool, StoreError>;

    /// Every saved scenario, by name.
    async fn list_scenarios(&self) -> Result<Vec<ScenarioRecord>, StoreError>;

    /// Saves a scenario (new or replacing the one with its id).
    async fn put_scenario(&self, scenario: &ScenarioRecord) -> Result<(), StoreError>;

    /// Deletes a scenario; false when there was none.
    async fn delete_scenario(&self, id: &str) -> Result<bool, StoreError>;
}
