//! A budget's standing in its current period, as the pages and the REST API
//! show it: spent, remaining, % used, the forecast, the top split values and
//! a burn-down series. Built from counters and spend points by [`build`].

use crate::budgets::alert::forecast;
use crate::budgets::budget::BudgetSpec;
use crate::pricing::money::Nanos;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One split value's standing (or the whole budget's, when unsplit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitView {
    /// The user, task, … ; `None` for an unsplit budget.
    pub value: Option<String>,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub spent: Nanos,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub remaining: Nanos,
    /// Spent as a percentage of the amount (a ratio, not money).
    pub percent: f64,
    pub calls: i64,
    /// Whether a hard cap now refuses this value's calls.
    pub blocked: bool,
}

/// Cumulative spend at a point in the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnPoint {
    pub at: DateTime<Utc>,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub spent: Nanos,
}

/// A budget and how it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetView {
    pub id: String,
    #[serde(flatten)]
    pub spec: BudgetSpec,
    pub summary: String,
    pub created_by: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// All spend in scope this period (across every split value).
    #[serde(with = "crate::pricing::money::usd_str")]
    pub spent: Nanos,
    /// The value nearest its limit (the whole budget when unsplit).
    pub nearest: SplitView,
    /// Split values, biggest first (empty when unsplit).
    pub top: Vec<SplitView>,
    /// Projected spend of the nearest value at the period's end, from its run rate so far.
    #[serde(with = "crate::pricing::money::opt_usd_str")]
    pub forecast: Option<Nanos>,
    /// Cumulative spend of the nearest value through the period (empty for task splits).
    pub burn: Vec<BurnPoint>,
    /// Which value the burn-down follows.
    pub burn_of: Option<String>,
    /// Reservations held against the cap this period (hard caps only).
    #[serde(default)]
    pub reservations: Reservations,
}

/// A hard cap's reservations this period: the holds of checks that
/// reserved (`POST /api/v1/check` with `"reserve": true`) and whose call is
/// not yet ingested, and those that expired unsettled in the last day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reservations {
    /// Live holds: how many, and their sum (counted with spend by every check).
    pub live: i64,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub reserved: Nanos,
    /// Holds that expired in the last day without their call being ingested.
    pub expired: i64,
}

impl BudgetView {
    /// The view for a reader who may not change the budget: its webhook's secret hidden.
    pub fn for_reader(mut self) -> BudgetView {
        self.spec.webhook = self.spec.webhook.as_deref().map(crate::budgets::webhook_target::redact_webhook);
        self
    }
}

/// Where a budget stands: the parts the store and spend queries supply.
pub struct Parts<'a> {
    pub id: &'a str,
    pub spec: &'a BudgetSpec,
    pub created_by: &'a str,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Counters of the current period, biggest first: (split value or "", spent, calls).
    pub counters: &'a [(String, Nanos, i64)],
    /// Spend per bucket of the nearest value, oldest first.
    pub buckets: &'a [(DateTime<Utc>, Nanos)],
    pub reservations: Reservations,
    pub now: DateTime<Utc>,
}

/// Builds the view.
pub fn build(p: Parts) -> BudgetView {
    let amount = p.spec.amount;
    let split = |(value, spent, calls): &(String, Nanos, i64)| SplitView {
        value: Some(value.clone()).filter(|_| p.spec.split_by.is_some()),
        spent: *spent,
        remaining: Nanos((amount.0 - spent.0).max(0)),
        percent: percent(*spent, amount),
        calls: *calls,
        blocked: p.spec.hard_cap && spent.0 >= amount.0,
    };
    let top: Vec<SplitView> =
        if p.spec.split_by.is_some() { p.counters.iter().take(10).map(split).collect() } else { vec![] };
    let nearest = p.counters.first().map(split).unwrap_or_else(|| split(&(String::new(), Nanos::ZERO, 0)));
    let spent = Nanos(p.counters.iter().map(|c| c.1 .0).sum());
    // Spend before the first bucket (a `total` budget's older spend) is the line's starting point;
    // each point is the cumulative spend by the end of its bucket.
    let in_buckets: i64 = p.buckets.iter().map(|b| b.1 .0).sum();
    let mut running = Nanos((nearest.spent.0 - in_buckets).max(0));
    let burn: Vec<BurnPoint> = p
        .buckets
        .iter()
        .map(|(at, cost)| {
            running += *cost;
            BurnPoint { at: (*at).max(p.period_start), spent: running }
        })
        .collect();
    BudgetView {
        id: p.id.to_string(),
        spec: p.spec.clone(),
        summary: p.spec.summary(),
        created_by: p.created_by.to_string(),
        created: p.created,
        updated: p.updated,
        period_start: p.period_start,
        period_end: p.period_end,
        spent,
        // A total budget has no period end to project to.
        forecast: (p.spec.period != crate::budgets::budget::BudgetPeriod::Total)
            .then(|| forecast(nearest.spent, p.period_start, p.period_end, p.now))
            .flatten(),
        burn_of: nearest.value.clone(),
        nearest,
        top,
        burn,
        reservations: p.reservations,
    }
}

/// `spent / amount` in percent.
pub fn percent(spent: Nanos, amount: Nanos) -> f64 {
    if amount.0 <= 0 {
        return 0.0;
    }
    (spent.0 as f64 / amount.0 as f64) * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::tags::TagSet;
    use crate::budgets::budget::{BudgetPeriod, SplitBy};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn spec(split: Option<SplitBy>) -> BudgetSpec {
        BudgetSpec {
            name: "x".into(),
            scope: TagSet::new(),
            split_by: split,
            period: BudgetPeriod::Month,
            amount: Nanos(100),
            thresholds: vec![],
            hard_cap: true,
            webhook: None,
            owner: String::new(),
            description: String::new(),
            time_zone: "UTC".into(),
        }
    }

    fn parts<'a>(
        spec: &'a BudgetSpec,
        counters: &'a [(String, Nanos, i64)],
        buckets: &'a [(DateTime<Utc>, Nanos)],
    ) -> Parts<'a> {
        Parts {
            id: "b",
            spec,
            created_by: "me",
            created: t("2026-11-01T00:00:00Z"),
            updated: t("2026-11-01T00:00:00Z"),
            period_start: t("2026-11-01T00:00:00Z"),
            period_end: t("2026-12-01T00:00:00Z"),
            counters,
            buckets,
            reservations: Reservations::default(),
            now: t("2026-11-16T00:00:00Z"),
        }
    }

    #[test]
    fn an_unsplit_budget_shows_spent_remaining_forecast_and_burn() {
        let s = spec(None);
        let counters = [(String::new(), Nanos(40), 4)];
        let buckets = [(t("2026-11-01T00:00:00Z"), Nanos(10)), (t("2026-11-02T00:00:00Z"), Nanos(30))];
        let v = build(parts(&s, &counters, &buckets));
        assert_eq!((v.spent, v.nearest.remaining, v.nearest.percent), (Nanos(40), Nanos(60), 40.0));
        assert_eq!(v.forecast, Some(Nanos(80)));
        assert_eq!(v.burn.iter().map(|b| b.spent.0).collect::<Vec<_>>(), vec![10, 40]);
        assert!(v.top.is_empty() && !v.nearest.blocked);
    }

    #[test]
    fn a_split_budget_shows_its_top_values() {
        let s = spec(Some(SplitBy::Task));
        let counters = [("t1".to_string(), Nanos(120), 9), ("t2".to_string(), Nanos(30), 2)];
        let v = build(parts(&s, &counters, &[]));
        assert_eq!(v.spent, Nanos(150));
        assert_eq!(v.nearest.value.as_deref(), Some("t1"));
        assert!(v.nearest.blocked && v.nearest.remaining == Nanos(0));
        assert_eq!(v.top.len(), 2);
        assert!(v.burn.is_empty());
    }
}
