//! The `BillStore` area of the store: imported bills, their import runs and
//! admins' mapping rules (issue 19, the invoice).

use crate::*;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::invoice::true_up::TrueUp;
use domain::invoice::{BillLine, BillPart, BillSource, MappingRule};

/// An import or connector run to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBillImport {
    pub source: BillSource,
    /// `upload` (the API) or `connector` (a poll).
    pub trigger: String,
    /// Who ran it: an email, an API key's name, or `connector`.
    pub actor: String,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub ok: bool,
    pub lines: i64,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// JSON: what was read, or the error.
    pub detail: String,
}

/// A recorded run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillImportRecord {
    pub id: i64,
    pub run: NewBillImport,
}

/// Bills: lines replaced a feed-day at a time, summed for reconcile.
#[async_trait]
pub trait BillStore: Send + Sync {
    /// In one transaction: deletes the lines of every feed in `feeds` on
    /// every day in `days` and in every billing period in `periods`, inserts
    /// `lines` (each with its feed), and records `run`. Re-importing a period
    /// therefore restates it and never doubles it, even when two processes
    /// import the same feed at once (on Postgres each feed's lock is taken
    /// first, in order; SQLite has one writer). Returns the run's id.
    async fn replace_bill_lines(
        &self,
        feeds: &[String],
        days: &[NaiveDate],
        periods: &[NaiveDate],
        lines: &[(String, BillLine)],
        run: &NewBillImport,
    ) -> Result<i64, StoreError>;

    /// Records a run that stored nothing (a failed poll); its id.
    async fn record_bill_import(&self, run: &NewBillImport) -> Result<i64, StoreError>;

    /// The latest runs, newest first.
    async fn bill_imports(&self, limit: i64) -> Result<Vec<BillImportRecord>, StoreError>;

    /// The bill lines of days in `[from, to)`, summed over everything reconcile
    /// does not read apart (the feed and the import), ordered by day.
    async fn bill_parts(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<BillPart>, StoreError>;

    /// Admins' mapping rules, lowest id (oldest) first.
    async fn bill_rules(&self) -> Result<Vec<MappingRule>, StoreError>;

    /// Adds a rule (already checked); its id.
    async fn add_bill_rule(&self, rule: &MappingRule, by: &str, at: DateTime<Utc>) -> Result<i64, StoreError>;

    /// Deletes a rule; whether it existed.
    async fn delete_bill_rule(&self, id: i64) -> Result<bool, StoreError>;

    /// Every true-up choice, by provider and month.
    async fn true_ups(&self) -> Result<Vec<TrueUp>, StoreError>;

    /// Sets (`Some`) or clears (`None`) the choice for a provider and month.
    async fn set_true_up(
        &self,
        provider: &str,
        month: NaiveDate,
        mode: Option<domain::invoice::true_up::Mode>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}
