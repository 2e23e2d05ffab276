//! The `SignalStore` of both backends: signals, model tiers, rules and scenarios, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::SignalStore`] for a backend (see `crate::backend`).
macro_rules! impl_signals_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::SignalStore for $ty {
            async fn signal_days(
                &self,
                key: &str,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<domain::signals::signal::DayRow>, $crate::StoreError> {
                self.s_signal_days(key, from, to).await
            }

            async fn signal_tasks(
                &self,
                key: &str,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
                value: Option<&str>,
            ) -> Result<Vec<domain::signals::signal::TaskRow>, $crate::StoreError> {
                self.s_signal_tasks(key, from, to, value).await
            }

            async fn model_tiers(
                &self,
            ) -> Result<Vec<(String, domain::signals::signal::ModelTier)>, $crate::StoreError> {
                self.s_model_tiers().await
            }

            async fn set_model_tier(
                &self,
                model: &str,
                tier: Option<domain::signals::signal::ModelTier>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.s_set_model_tier(model, tier, at).await
            }

            async fn list_signal_rules(&self) -> Result<Vec<$crate::SignalRuleRecord>, $crate::StoreError> {
                self.s_list_signal_rules().await
            }

            async fn put_signal_rule(&self, rule: &$crate::SignalRuleRecord) -> Result<(), $crate::StoreError> {
                self.s_put_signal_rule(rule).await
            }

            async fn delete_signal_rule(&self, id: &str) -> Result<bool, $crate::StoreError> {
                self.s_delete_signal_rule(id).await
            }

            async fn list_scenarios(&self) -> Result<Vec<$crate::ScenarioRecord>, $crate::StoreError> {
                self.s_list_scenarios().await
            }

            async fn put_scenario(&self, scenario: &$crate::ScenarioRecord) -> Result<(), $crate::StoreError> {
                self.s_put_scenario(scenario).await
            }

            async fn delete_scenario(&self, id: &str) -> Result<bool, $crate::StoreError> {
                self.s_delete_scenario(id).await
            }
        }
    };
}

pub(crate) use impl_signals_store;
