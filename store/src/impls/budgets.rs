//! The `BudgetStore` of both backends: budgets, counters and alerts, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::BudgetStore`] for a backend (see `crate::backend`).
macro_rules! impl_budgets_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::BudgetStore for $ty {
            async fn create_budget(
                &self,
                b: &$crate::BudgetRecord,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::BudgetRecord, $crate::StoreError> {
                let saved = self.b_save_budget(b, now, true).await;
                self.counters_forget(&b.id);
                saved?.ok_or_else(|| $crate::StoreError::Config("budget not created".into()))
            }

            async fn update_budget(
                &self,
                b: &$crate::BudgetRecord,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::BudgetRecord>, $crate::StoreError> {
                let saved = self.b_save_budget(b, now, false).await;
                self.counters_forget(&b.id);
                saved
            }

            async fn delete_budget(&self, id: &str) -> Result<bool, $crate::StoreError> {
                let deleted = self.b_delete_budget(id).await;
                self.counters_forget(id);
                deleted
            }

            async fn get_budget(&self, id: &str) -> Result<Option<$crate::BudgetRecord>, $crate::StoreError> {
                Ok(self.b_list_budgets(Some(id)).await?.pop())
            }

            async fn list_budgets(&self) -> Result<Vec<$crate::BudgetRecord>, $crate::StoreError> {
                self.b_list_budgets(None).await
            }

            async fn budget_counters(
                &self,
                budget_id: &str,
                period_start: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<$crate::Counter>, $crate::StoreError> {
                self.b_counters(budget_id, period_start, limit).await
            }

            async fn cap_spent(&self, keys: &[$crate::CounterKey]) -> Result<Vec<domain::Nanos>, $crate::StoreError> {
                self.counters_read(keys).await
            }

            async fn fire_alert(&self, a: &$crate::NewAlert) -> Result<Option<i64>, $crate::StoreError> {
                self.b_fire_alert(a).await
            }

            async fn list_alerts(
                &self,
                q: &$crate::AlertQuery,
            ) -> Result<Vec<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.b_list_alerts(q).await
            }

            async fn get_alert(&self, id: i64) -> Result<Option<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.b_get_alert(id).await
            }

            async fn ack_alert(
                &self,
                id: i64,
                by: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.b_ack_alert(id, by, at).await
            }

            async fn alerts_attempts(
                &self,
                ids: &[i64],
            ) -> Result<std::collections::HashMap<i64, Vec<domain::budgets::alert::Attempt>>, $crate::StoreError> {
                self.b_attempts(ids).await
            }

            async fn claim_alerts(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.b_claim_alerts(now, lease_until, limit).await
            }

            async fn finish_attempt(
                &self,
                id: i64,
                lease_until: chrono::DateTime<chrono::Utc>,
                attempt: Option<&domain::budgets::alert::Attempt>,
                delivery: domain::budgets::alert::Delivery,
                next_attempt: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<bool, $crate::StoreError> {
                self.b_finish_attempt(id, lease_until, attempt, delivery, next_attempt).await
            }

            async fn recount_budgets(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, $crate::StoreError> {
                self.g_recount_budgets(now).await
            }
        }
    };
}

pub(crate) use impl_budgets_store;
