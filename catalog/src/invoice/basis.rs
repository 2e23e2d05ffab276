//! The invoice basis: admins' true-up choices and spend reports with each
//! provider-day's bill gap added (`domain::invoice::true_up`).

use super::Invoices;
use crate::{json, CatalogError};
use chrono::{NaiveDate, Utc};
use domain::attribution::report::{SpendReport, SpendRow};
use domain::invoice::true_up::{self, Mode, TrueUp};
use domain::invoice::{self, ReconcileQuery};
use domain::{Dimension, Granularity, SpendQuery};
use store::Change;

impl Invoices {
    /// Every true-up choice.
    pub async fn true_ups(&self) -> Result<Vec<TrueUp>, CatalogError> {
        Ok(self.bills.true_ups().await?)
    }

    /// Sets how a provider-month's gap is shown (`None` clears it). Audited.
    ///
    /// Errors: `provider` empty or longer than 64 characters.
    pub async fn set_true_up(
        &self,
        actor: &str,
        provider: &str,
        month: NaiveDate,
        mode: Option<Mode>,
    ) -> Result<(), CatalogError> {
        let provider = domain::pricing::model_id::canonical_provider(provider);
        if provider.is_empty() || provider.len() > 64 {
            return Err(CatalogError::field("provider", "must be a provider name of at most 64 characters"));
        }
        let before = self.bills.true_ups().await?.into_iter().find(|t| t.provider == provider && t.month == month);
        let after = mode.map(|mode| TrueUp { provider: provider.clone(), month, mode });
        let target = format!("{provider} {}", month.format("%Y-%m"));
        let change =
            Change { actor, action: "true_up.set", target: &target, before: json(&before), after: json(&after) };
        let put = async {
            self.bills.set_true_up(&provider, month, mode, actor, Utc::now()).await.map_err(CatalogError::from)
        };
        store::save_audited(&*self.audit, change, put).await
    }

    /// Each provider-day's gap in `[from, to)` on the provider-months a
    /// true-up is set for (see `domain::invoice::true_up::day_gaps`).
    pub async fn day_gaps(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<true_up::DayGap>, CatalogError> {
        let true_ups = self.bills.true_ups().await?;
        if true_ups.is_empty() {
            return Ok(Vec::new());
        }
        let rq = ReconcileQuery { from, to, by_model: false, by_day: true };
        let (catalog, rules) = (self.gov.catalog(), self.bills.bill_rules().await?);
        let bills = self.bills.bill_parts(from, to).await?;
        let spent = self.events.spend_by_model_day(from, to).await?;
        Ok(true_up::day_gaps(&invoice::reconcile::ledger(&rq, &bills, &spent, &rules, &catalog), &true_ups))
    }

    /// A spend report on the invoice basis: the recorded report, plus each
    /// provider-day's gap where a true-up is set, allocated or as its own
    /// group (see `domain::invoice::true_up`).
    ///
    /// Errors: `granularity` when it is `hour` (gaps are daily); `from` when
    /// the range is longer than `domain::invoice::reconcile::MAX_DAYS`; the store's.
    pub async fn spend(&self, q: &SpendQuery) -> Result<SpendReport, CatalogError> {
        if q.granularity == Some(Granularity::Hour) {
            return Err(CatalogError::field(
                "granularity",
                "the invoice basis is counted by day: use day, week or month",
            ));
        }
        if q.to - q.from > chrono::Duration::days(invoice::reconcile::MAX_DAYS) {
            return Err(CatalogError::field(
                "from",
                format!("the invoice basis covers at most {} days", invoice::reconcile::MAX_DAYS),
            ));
        }
        let recorded = self.events.spend(q).await?;
        let from = q.from.date_naive();
        let to = (q.to - chrono::Duration::microseconds(1)).date_naive() + chrono::Duration::days(1);
        let gaps = self.day_gaps(from, to).await?;
        if gaps.is_empty() {
            return Ok(recorded);
        }
        // Every group's spend per provider-day, by the view's dimensions and those it filters by.
        let mut dims: Vec<Dimension> = q.group_by.clone();
        for d in q.filters.iter().map(|f| &f.dimension).chain(std::iter::once(&Dimension::Provider)) {
            if !dims.contains(d) {
                dims.push(d.clone());
            }
        }
        let at = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
        let alloc_q = SpendQuery {
            group_by: dims.clone(),
            granularity: Some(Granularity::Day),
            ..SpendQuery::new(at(from), at(to))
        };
        let provider_at = dims.iter().position(|d| *d == Dimension::Provider).unwrap_or(0);
        let mut spend = Vec::new();
        for g in self.events.spend(&alloc_q).await?.groups {
            let provider = g.values.get(provider_at).cloned().flatten().unwrap_or_else(|| "unknown".into());
            for p in g.series.unwrap_or_default() {
                spend.push(true_up::GroupDay {
                    values: g.values.clone(),
                    provider: provider.clone(),
                    day: p.start.date_naive(),
                    cost: p.totals.cost,
                });
            }
        }
        let keep = |values: &[Option<String>]| {
            q.filters
                .iter()
                .all(|f| dims.iter().position(|d| *d == f.dimension).is_some_and(|i| f.values.contains(&values[i])))
        };
        let in_range = |t: chrono::DateTime<Utc>| q.from <= t && t < q.to;
        let names: Vec<String> = dims.iter().map(|d| d.name().to_string()).collect();
        let added = true_up::rows(&names, &gaps, &spend, &keep, &in_range);
        let mut rows: Vec<SpendRow> = Vec::new();
        for g in &recorded.groups {
            match &g.series {
                Some(points) => rows.extend(points.iter().map(|p| SpendRow {
                    bucket: Some(p.start),
                    key: g.values.clone(),
                    totals: p.totals,
                })),
                None => rows.push(SpendRow { bucket: None, key: g.values.clone(), totals: g.totals }),
            }
        }
        let width = q.group_by.len();
        rows.extend(added.into_iter().map(|mut r| {
            r.key.truncate(width);
            r
        }));
        Ok(domain::attribution::report::build_report(q, rows))
    }
}
