//! The `BudgetStore` area of the store.

use crate::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Budgets, their counters and caps, and the alerts they fire with their delivery.
#[async_trait]
pub trait BudgetStore: Send + Sync {
    /// Saves a new budget and counts the spend it already covers (this
    /// period and the last). The stored record is returned.
    async fn create_budget(&self, budget: &BudgetRecord, now: DateTime<Utc>) -> Result<BudgetRecord, StoreError>;

    /// Replaces a budget's definition and recounts its spend; `None` when there is no such budget.
    async fn update_budget(
        &self,
        budget: &BudgetRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<BudgetRecord>, StoreError>;

    /// Deletes a budget and its counters; its alerts stay. False when there was none.
    async fn delete_budget(&self, id: &str) -> Result<bool, StoreError>;

    /// One budget.
    async fn get_budget(&self, id: &str) -> Result<Option<BudgetRecord>, StoreError>;

    /// Every budget, by name.
    async fn list_budgets(&self) -> Result<Vec<BudgetRecord>, StoreError>;

    /// A budget's counters for the period starting at `period_start`, biggest first.
    async fn budget_counters(
        &self,
        budget_id: &str,
        period_start: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Counter>, StoreError>;

    /// Committed spend of each counter named (zero for one that has none yet), read from the database.
    async fn cap_spent(&self, keys: &[CounterKey]) -> Result<Vec<domain::Nanos>, StoreError>;

    /// Each counter's committed spend and the reservations and leases live
    /// on it at `now`: what the pre-call check compares with the cap.
    async fn cap_load(&self, keys: &[CounterKey], now: DateTime<Utc>) -> Result<Vec<CapLoad>, StoreError>;

    /// Holds `r.amount` against every counter of `r.holds` until `r.expires`,
    /// all or none: refused (nothing held) when any counter's load plus the
    /// amount would pass its limit (`domain::budgets::cap::refuses`). A live
    /// reservation with the same id is not held twice. Ingesting the call
    /// with that id settles it.
    async fn reserve(&self, r: &Reservation, now: DateTime<Utc>) -> Result<Reserved, StoreError>;

    /// A budget period's live holds and those that expired unsettled in the last day.
    async fn reservation_summary(
        &self,
        budget_id: &str,
        period_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ReservationSummary, StoreError>;

    /// Forgets holds and leases that expired before `before`; how many.
    async fn prune_reservations(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Whether other processes write the counters too (Postgres): plain
    /// checks are then answered from per-process leases.
    fn shared_counters(&self) -> bool;

    /// Grants `holder` a lease on each counter of `keys` (with its cap's
    /// limit) until `expires`: a `1/share` slice of the room left under the
    /// limit after spend, live reservations and other holders' live leases,
    /// or nothing when that slice is below `min` (the estimate asking, so a
    /// useless slice holds no room), replacing its last one. Taken under the
    /// counters' row locks, so the live leases of all holders never add up to
    /// more than the room they were granted from. One result per key, in order.
    async fn lease(
        &self,
        holder: &str,
        keys: &[(CounterKey, domain::Nanos)],
        share_and_min: (i64, domain::Nanos),
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<Vec<Leased>, StoreError>;

    /// Records an alert unless an identical one exists; its id when new.
    async fn fire_alert(&self, alert: &NewAlert) -> Result<Option<i64>, StoreError>;

    /// Alerts, newest first.
    async fn list_alerts(&self, q: &AlertQuery) -> Result<Vec<domain::budgets::alert::Alert>, StoreError>;

    /// One alert.
    async fn get_alert(&self, id: i64) -> Result<Option<domain::budgets::alert::Alert>, StoreError>;

    /// Acknowledges an alert (the first acknowledgement stands); `None` when there is no such alert.
    async fn ack_alert(
        &self,
        id: i64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<domain::budgets::alert::Alert>, StoreError>;

    /// An alert's delivery attempts, in order.
    async fn alert_attempts(&self, id: i64) -> Result<Vec<domain::budgets::alert::Attempt>, StoreError> {
        Ok(self.alerts_attempts(&[id]).await?.remove(&id).unwrap_or_default())
    }

    /// The delivery attempts of several alerts, by alert, each in order (one query).
    async fn alerts_attempts(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<domain::budgets::alert::Attempt>>, StoreError>;

    /// Leases alerts due for delivery until `lease_until`, so that one process delivers each.
    async fn claim_alerts(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<domain::budgets::alert::Alert>, StoreError>;

    /// Records a delivery attempt (if one was made) and where delivery now
    /// stands, releasing the lease that ends at `lease_until`. False (and
    /// nothing recorded) when that lease has been lost to another process.
    async fn finish_attempt(
        &self,
        id: i64,
        lease_until: DateTime<Utc>,
        attempt: Option<&domain::budgets::alert::Attempt>,
        delivery: domain::budgets::alert::Delivery,
        next_attempt: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError>;

    /// Recounts every budget's current and previous period from the stored
    /// events and fires what the recounted spend has passed. Returns how many budgets.
    async fn recount_budgets(&self, now: DateTime<Utc>) -> Result<usize, StoreError>;
}
