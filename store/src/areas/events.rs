//! The `EventStore` area of the store.

use crate::*;
use async_trait::async_trait;
use domain::attribution::report::{build_report, SpendReport, SpendRow};
use domain::attribution::time::{plan_segments, Segment, Source};
use domain::{PricedEvent, SpendQuery};

/// Calls: storing them with their rollups and counters, reading them back, and spend over them.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Stores a batch of events and their rollups atomically. Events whose id
    /// is already stored are skipped, so a replay is counted once. Returns
    /// only after the transaction has committed.
    async fn insert_events(&self, events: &[PricedEvent]) -> Result<InsertOutcome, StoreError>;

    /// Sums for one segment of a query, grouped by the query's dimensions and,
    /// when it has a granularity, by native bucket (hour or day start).
    async fn spend_rows(&self, segment: Segment, q: &SpendQuery) -> Result<Vec<SpendRow>, StoreError>;

    /// How many events are stored.
    async fn count_events(&self) -> Result<i64, StoreError>;

    /// Lists calls: newest first, or a task's calls oldest first.
    async fn list_events(&self, q: &EventQuery) -> Result<Vec<StoredEvent>, StoreError>;

    /// Every tag key some stored call carries.
    async fn known_tag_keys(&self) -> Result<Vec<String>, StoreError>;

    /// The daily rollup rows of one UTC day, each with its tag set's id (for FOCUS exports).
    async fn day_sums(
        &self,
        day: chrono::NaiveDate,
    ) -> Result<Vec<(i64, domain::attribution::focus::DaySum)>, StoreError>;

    /// Answers a spend query from rollups, reading raw events only at the
    /// range's unaligned edges; a query on a key the rollups do not keep
    /// (such as `user`) is answered from the events.
    async fn spend(&self, q: &SpendQuery) -> Result<SpendReport, StoreError> {
        if !q.rollups_suffice() {
            return self.spend_from_events(q).await;
        }
        let allow_days = q.granularity != Some(domain::Granularity::Hour);
        let mut rows = Vec::new();
        for seg in plan_segments(q.from, q.to, allow_days) {
            rows.extend(self.spend_rows(seg, q).await?);
            domain::attribution::report::check_size(q, &rows).map_err(StoreError::Refused)?;
        }
        Ok(build_report(q, rows))
    }

    /// Answers a spend query from raw events alone: slow, and the reference
    /// the rollups are checked against.
    async fn spend_from_events(&self, q: &SpendQuery) -> Result<SpendReport, StoreError> {
        let seg = Segment { source: Source::Raw, from: q.from, to: q.to };
        let rows = self.spend_rows(seg, q).await?;
        domain::attribution::report::check_size(q, &rows).map_err(StoreError::Refused)?;
        Ok(build_report(q, rows))
    }
}
