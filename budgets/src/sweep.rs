//! The forecast sweep: every few minutes, each budget's current counters
//! are projected to the period's end from their run rate; one that will pass
//! its amount fires a "forecast to breach" alert (once per period and value).

use crate::Budgets;
use chrono::{DateTime, Utc};
use domain::budgets::alert::{forecast, AlertKind};
use domain::budgets::budget::BudgetPeriod;
use domain::budgets::window::{self, Tz};
use store::{NewAlert, StoreError};

/// Most split values looked at per budget per sweep (the biggest spenders).
const VALUES_PER_BUDGET: i64 = 1_000;

impl Budgets {
    /// Runs one sweep; returns how many forecast alerts it fired.
    pub async fn sweep_forecasts(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut fired = 0;
        for b in self.budget_store.list_budgets().await? {
            if b.spec.period == BudgetPeriod::Total {
                continue;
            }
            let zone = window::zone(&b.spec.time_zone).unwrap_or(Tz::UTC);
            let w = window::window(b.spec.period, zone, now);
            for c in self.budget_store.budget_counters(&b.id, w.start, VALUES_PER_BUDGET).await? {
                if c.spent.0 >= b.spec.amount.0 {
                    continue;
                }
                let Some(projected) = forecast(c.spent, w.start, w.end, now) else { continue };
                if projected.0 <= b.spec.amount.0 {
                    continue;
                }
                let alert = NewAlert {
                    budget_id: b.id.clone(),
                    budget_name: b.spec.name.clone(),
                    split_value: c.split_value,
                    window: w,
                    kind: AlertKind::Forecast,
                    threshold: 100,
                    spent: c.spent,
                    limit: b.spec.amount,
                    forecast: Some(projected),
                    webhook: b.spec.webhook.clone(),
                    fired: now,
                    message: None,
                };
                if self.budget_store.fire_alert(&alert).await?.is_some() {
                    fired += 1;
                }
            }
        }
        Ok(fired)
    }
}
