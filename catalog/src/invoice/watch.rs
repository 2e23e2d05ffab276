//! Signal rules on bills (bill coverage below N%, gap above $X per
//! provider), judged beside the other signal rules (`domain::invoice::watch`).

use super::Invoices;
use crate::CatalogError;
use chrono::Utc;
use domain::invoice::{self, ReconcileQuery};

impl Invoices {
    /// Judges the signal rules on bills (bill coverage below N%, gap above
    /// $X; `domain::invoice::watch`) for each day from the later of the day
    /// before a rule was made (where a breach already under way fires) and
    /// `LOOKBACK_DAYS` ago through today, and records what fired in the alert history (once per
    /// rule, provider and window, whichever process judges). Returns how many
    /// alerts are new.
    pub async fn judge_rules(&self, now: chrono::DateTime<Utc>) -> Result<usize, CatalogError> {
        let rules: Vec<_> = self
            .signal_rules
            .list_signal_rules()
            .await?
            .into_iter()
            .filter(|r| r.spec.condition.reads_bills())
            .collect();
        if rules.is_empty() {
            return Ok(0);
        }
        let today = now.date_naive();
        let first = today - chrono::Duration::days(domain::signals::signal_rule::LOOKBACK_DAYS);
        let from = first - chrono::Duration::days(28);
        let q = ReconcileQuery { from, to: today + chrono::Duration::days(1), by_model: false, by_day: true };
        let (catalog, rules_map) = (self.gov.catalog(), self.bills.bill_rules().await?);
        let bills = self.bills.bill_parts(q.from, q.to).await?;
        if bills.is_empty() {
            return Ok(0);
        }
        let spent = self.events.spend_by_model_day(q.from, q.to).await?;
        let daily = invoice::watch::daily(&invoice::reconcile::ledger(&q, &bills, &spent, &rules_map, &catalog));
        let mut fired = 0;
        for r in &rules {
            let made = r.created.date_naive() - chrono::Duration::days(1);
            let start = first.max(made);
            for day in domain::signals::signal::dates(start, today) {
                for f in invoice::watch::evaluate(&r.spec, &daily, day, day == made) {
                    let alert = r.alert(&f, f.limit, now);
                    if self.alerts.fire_alert(&alert).await?.is_some() {
                        fired += 1;
                    }
                }
            }
        }
        Ok(fired)
    }
}
