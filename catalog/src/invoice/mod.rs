//! The invoice service: bills imported from a file or a connector's poll,
//! admins' mapping rules, and reconcile (billed against attributed). Shared
//! by the REST API, the Reconcile page and the connectors' job. The
//! invoice basis (true-up) is in [`basis`], signal rules on bills in [`watch`].

mod basis;
mod watch;

use crate::{json, CatalogError, CatalogService};
use chrono::{NaiveDate, Utc};
use domain::invoice::{self, BillSource, Imported, MappingRule, ReconcileQuery, Reconciliation};
use domain::pricing::money::{usd_str, Nanos};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use store::{BillImportRecord, BillStore, Change, NewBillImport, Store};

/// The largest bill file accepted: a month of a large organisation's AI rows
/// in FOCUS is a few MB; a whole cloud's export should be filtered first.
pub const MAX_BILL_BYTES: usize = 64 * 1024 * 1024;
/// Most unmatched or skipped rows an answer lists (the counts are whole).
pub const MAX_LISTED: usize = 100;

/// A currency's billed total in an import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTotal {
    pub currency: String,
    #[serde(with = "usd_str")]
    pub billed: Nanos,
}

/// A line that was kept but maps to no known model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmappedRow {
    pub day: NaiveDate,
    pub provider: String,
    pub description: String,
    #[serde(with = "usd_str")]
    pub billed: Nanos,
    pub reason: String,
}

/// What an import read: the answer of `POST /api/v1/bills/import`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportAnswer {
    pub import_id: i64,
    pub source: BillSource,
    /// Bill lines stored.
    pub rows: usize,
    /// The UTC days the file covers: an API poll's days (their earlier lines
    /// of the feed were replaced), and every day a line is charged on.
    pub days: usize,
    /// The billing periods a FOCUS file restated (their first days).
    pub periods: Vec<NaiveDate>,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub providers: Vec<String>,
    pub totals: Vec<CurrencyTotal>,
    /// Lines kept and counted that map to no known model (add a mapping rule), at most 100.
    pub unmatched: Vec<UnmappedRow>,
    pub unmatched_count: usize,
    /// Source rows that could not be read, each with its reason, at most 100.
    pub skipped: Vec<invoice::SkippedRow>,
    pub skipped_count: usize,
}

/// Bills, rules and reconcile.
pub struct Invoices {
    gov: Arc<CatalogService>,
    bills: Arc<dyn BillStore>,
    events: Arc<dyn store::EventStore>,
    audit: Arc<dyn store::AuditStore>,
    /// Signal rules on bills are read from the signal store and fire into the alert history.
    signal_rules: Arc<dyn store::SignalStore>,
    alerts: Arc<dyn store::BudgetStore>,
}

impl Invoices {
    /// The service over a store; matching reads `gov`'s catalog.
    pub fn new(store: Arc<dyn Store>, gov: Arc<CatalogService>) -> Arc<Invoices> {
        Arc::new(Invoices {
            gov,
            bills: store.clone(),
            events: store.clone(),
            audit: store.clone(),
            signal_rules: store.clone(),
            alerts: store,
        })
    }

    /// Reads a file of `source` and stores its lines, replacing the feed's
    /// lines on the days it covers, and records the run.
    ///
    /// Errors: `body` when the file is larger than [`MAX_BILL_BYTES`] or not
    /// of the source's shape (nothing is stored); the store's.
    pub async fn import(
        &self,
        source: BillSource,
        text: &[u8],
        trigger: &str,
        actor: &str,
    ) -> Result<ImportAnswer, CatalogError> {
        if text.len() > MAX_BILL_BYTES {
            return Err(CatalogError::field("body", format!("a bill file may be at most {} MB", MAX_BILL_BYTES >> 20)));
        }
        let read = invoice::read(source, text).map_err(|e| CatalogError::Invalid(vec![e]))?;
        self.store_imported(source, read, trigger, actor, Utc::now()).await
    }

    /// Stores what a file or a poll read (see [`Invoices::import`]).
    pub async fn store_imported(
        &self,
        source: BillSource,
        read: Imported,
        trigger: &str,
        actor: &str,
        started: chrono::DateTime<Utc>,
    ) -> Result<ImportAnswer, CatalogError> {
        let mut answer = self.describe(source, &read).await?;
        let covered = covered_days(&read);
        let (first, last) = (covered.first().copied(), covered.last().copied());
        let run = NewBillImport {
            source,
            trigger: trigger.into(),
            actor: actor.into(),
            started,
            finished: Utc::now(),
            ok: true,
            lines: read.lines.len() as i64,
            first_day: first,
            last_day: last,
            detail: serde_json::to_string(&answer).unwrap_or_default(),
        };
        let feeds: Vec<String> = read.feeds.iter().cloned().collect();
        let days: Vec<NaiveDate> = read.days.iter().copied().collect();
        let periods: Vec<NaiveDate> = read.periods.iter().copied().collect();
        answer.import_id = self.bills.replace_bill_lines(&feeds, &days, &periods, &read.lines, &run).await?;
        Ok(answer)
    }

    /// Records a run that failed (a poll's error); nothing else changes.
    pub async fn record_failure(
        &self,
        source: BillSource,
        actor: &str,
        started: chrono::DateTime<Utc>,
        error: &str,
    ) -> Result<(), CatalogError> {
        let run = NewBillImport {
            source,
            trigger: "connector".into(),
            actor: actor.into(),
            started,
            finished: Utc::now(),
            ok: false,
            lines: 0,
            first_day: None,
            last_day: None,
            detail: serde_json::json!({ "error": error }).to_string(),
        };
        self.bills.record_bill_import(&run).await?;
        Ok(())
    }

    async fn describe(&self, source: BillSource, read: &Imported) -> Result<ImportAnswer, CatalogError> {
        let rules = self.bills.bill_rules().await?;
        let catalog = self.gov.catalog();
        let mut totals: BTreeMap<String, Nanos> = BTreeMap::new();
        let mut providers: Vec<String> = Vec::new();
        let mut unmatched = Vec::new();
        let covered = covered_days(read);
        let mut matcher = invoice::matching::Matcher::default();
        for (_, l) in &read.lines {
            *totals.entry(l.currency.clone()).or_default() += l.billed;
            let m = matcher.get(source, l, &rules, &catalog);
            if !providers.contains(&m.provider) {
                providers.push(m.provider.clone());
            }
            if m.model.is_none() || !m.known {
                let reason = match &m.model {
                    None => {
                        "no model could be read from the line: it is counted under its provider as unmatched".into()
                    }
                    Some(k) => format!(
                        "the model {k:?} is not in the price catalog: it is counted, and meets only calls of that name"
                    ),
                };
                unmatched.push(UnmappedRow {
                    day: l.day,
                    provider: m.provider,
                    description: l.description.clone(),
                    billed: l.billed,
                    reason,
                });
            }
        }
        providers.sort();
        Ok(ImportAnswer {
            import_id: 0,
            source,
            rows: read.lines.len(),
            days: covered.len(),
            first_day: covered.first().copied(),
            last_day: covered.last().copied(),
            periods: read.periods.iter().copied().collect(),
            providers,
            totals: totals.into_iter().map(|(currency, billed)| CurrencyTotal { currency, billed }).collect(),
            unmatched_count: unmatched.len(),
            unmatched: unmatched.into_iter().take(MAX_LISTED).collect(),
            skipped_count: read.skipped.len(),
            skipped: read.skipped.iter().take(MAX_LISTED).cloned().collect(),
        })
    }

    /// Billed against attributed over `q` (see `domain::invoice::reconcile`),
    /// with the findings that explain the gap (read by provider and model
    /// over the whole range, whatever `q` groups by).
    pub async fn reconcile(&self, q: &ReconcileQuery) -> Result<Reconciliation, CatalogError> {
        let mut views = self.reconcile_views(q.from, q.to, &[(q.by_model, q.by_day)]).await?;
        Ok(views.remove(0))
    }

    /// The days `[from, to)` reconciled once per shape `(by_model, by_day)`,
    /// from one read of the bills and the recorded spend, with the findings
    /// worked out once.
    pub async fn reconcile_views(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        shapes: &[(bool, bool)],
    ) -> Result<Vec<Reconciliation>, CatalogError> {
        let catalog = self.gov.catalog();
        let rules = self.bills.bill_rules().await?;
        let bills = self.bills.bill_parts(from, to).await?;
        let spent = self.events.spend_by_model_day(from, to).await?;
        let ledger = |by_model, by_day| {
            let q = ReconcileQuery { from, to, by_model, by_day };
            let l = invoice::reconcile::ledger(&q, &bills, &spent, &rules, &catalog);
            (q, l)
        };
        let (_, by_model) = ledger(true, false);
        let findings = invoice::findings::findings(&by_model);
        Ok(shapes
            .iter()
            .map(|&(m, d)| {
                let (q, l) = ledger(m, d);
                invoice::report::reconciliation(&q, &l, findings.clone())
            })
            .collect())
    }

    /// The latest import and connector runs, newest first.
    pub async fn runs(&self, limit: i64) -> Result<Vec<BillImportRecord>, CatalogError> {
        Ok(self.bills.bill_imports(limit.clamp(1, 500)).await?)
    }

    /// Admins' mapping rules, in the order they apply.
    pub async fn rules(&self) -> Result<Vec<MappingRule>, CatalogError> {
        Ok(self.bills.bill_rules().await?)
    }

    /// Adds a mapping rule. Audited.
    ///
    /// Errors: the rule's fields (`pattern`, `model`, `provider`); more than
    /// `domain::invoice::matching::MAX_RULES` rules.
    pub async fn add_rule(&self, actor: &str, rule: MappingRule) -> Result<MappingRule, CatalogError> {
        let rule = rule.checked().map_err(|e| CatalogError::Invalid(vec![e]))?;
        if self.bills.bill_rules().await?.len() >= invoice::matching::MAX_RULES {
            return Err(CatalogError::field(
                "pattern",
                format!("at most {} mapping rules", invoice::matching::MAX_RULES),
            ));
        }
        let put = async { self.bills.add_bill_rule(&rule, actor, Utc::now()).await.map_err(CatalogError::from) };
        let change = Change { actor, action: "bill_rule.add", target: &rule.pattern, before: None, after: json(&rule) };
        let id = store::save_audited(&*self.audit, change, put).await?;
        Ok(MappingRule { id, ..rule })
    }

    /// Deletes a mapping rule. Audited.
    ///
    /// Errors: not found, naming the id.
    pub async fn delete_rule(&self, actor: &str, id: i64) -> Result<(), CatalogError> {
        let before = self.bills.bill_rules().await?.into_iter().find(|r| r.id == id);
        let Some(before) = before else {
            return Err(CatalogError::NotFound(format!("mapping rule {id} does not exist")));
        };
        let target = id.to_string();
        let change = Change { actor, action: "bill_rule.delete", target: &target, before: json(&before), after: None };
        let put = async { self.bills.delete_bill_rule(id).await.map_err(CatalogError::from) };
        store::save_audited(&*self.audit, change, put).await?;
        Ok(())
    }
}

/// The days an import covers: an API poll's days and every line's day.
fn covered_days(read: &Imported) -> Vec<NaiveDate> {
    let mut days: std::collections::BTreeSet<NaiveDate> = read.days.clone();
    days.extend(read.lines.iter().map(|(_, l)| l.day));
    days.into_iter().collect()
}
