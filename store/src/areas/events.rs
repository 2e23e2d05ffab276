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

    /// Whether any call was ever stored: the daily rollups remember calls
    /// retention has deleted.
    async fn ever_stored(&self) -> Result<bool, StoreError>;

    /// The retention edge (`None`: no call was ever retired): every call
    /// before it is deleted and only the rollups hold it; every call after it
    /// is kept. See `domain::attribution::retention`.
    async fn retired_before(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError>;

    /// Moves the retention edge forward to `edge` (never back); where it is now.
    async fn raise_retention_edge(
        &self,
        edge: chrono::DateTime<chrono::Utc>,
    ) -> Result<chrono::DateTime<chrono::Utc>, StoreError>;

    /// Deletes up to `batch` calls from before the retention edge, oldest
    /// first, in short transactions, so ingest never waits long; how many
    /// rows it deleted (zero: nothing before the edge is left). Each keeps,
    /// in the same transaction, the deleted calls' share of every budget
    /// counter whose recount at `now` the hourly rollups cannot serve
    /// (`budget_retired`; `domain::attribution::retention::kept_share_windows`).
    /// On Postgres a month wholly before the edge goes at once (its
    /// partition is dropped), and the ids of retired calls are deleted too.
    async fn retire_calls(&self, batch: i64, now: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError>;

    /// Lists calls: newest first, or a task's calls oldest first.
    async fn list_events(&self, q: &EventQuery) -> Result<Vec<StoredEvent>, StoreError>;

    /// Every tag key some stored call carries.
    async fn known_tag_keys(&self) -> Result<Vec<String>, StoreError>;

    /// The tags of the named tag sets (those missing are left out).
    async fn tagsets(&self, ids: &[i64]) -> Result<Vec<(i64, domain::TagSet)>, StoreError>;

    /// The daily rollup rows of one UTC day, each with its tag set's id (for FOCUS exports).
    async fn day_sums(
        &self,
        day: chrono::NaiveDate,
    ) -> Result<Vec<(i64, domain::attribution::focus::DaySum)>, StoreError>;

    /// Answers a spend query from rollups, reading raw events only at the
    /// range's unaligned edges; a query on a key the rollups do not keep
    /// (such as `user`) is answered from the events.
    ///
    /// Errors: `Refused` naming `from` when the answer needs calls from
    /// before the retention edge (they are deleted; the rollups do not keep
    /// the key asked for, or the range starts off the hour).
    async fn spend(&self, q: &SpendQuery) -> Result<SpendReport, StoreError> {
        let edge = self.retired_before().await?;
        if !q.rollups_suffice() {
            if let Some(edge) = edge.filter(|e| q.from < *e) {
                return Err(retired(
                    edge,
                    "grouping or filtering by a key the rollups do not keep (such as user) reads each call",
                ));
            }
            return self.spend_from_events(q).await;
        }
        let allow_days = q.granularity != Some(domain::Granularity::Hour);
        let segments = plan_segments(q.from, q.to, allow_days);
        if let Some(edge) = edge {
            if segments.iter().any(|s| s.source == Source::Raw && s.from < edge) {
                return Err(retired(edge, "a range starting off the hour reads each call of its first hour"));
            }
        }
        let mut rows = Vec::new();
        for seg in segments {
            rows.extend(self.spend_rows(seg, q).await?);
            domain::attribution::report::check_size(q, &rows).map_err(StoreError::Refused)?;
        }
        Ok(build_report(q, rows))
    }

    /// Like [`Self::spend`], but a query that needs retired calls is answered
    /// from the retention edge on: the report, and the instant it then starts
    /// at (`None`: at `q.from`). A range wholly before the edge answers an
    /// empty report starting at the edge. For pages that show what is left
    /// rather than fail (a budget's burn-down, the values a taxonomy key took).
    ///
    /// Errors: the store's, and every refusal but the retention edge's.
    async fn spend_since_edge(
        &self,
        q: &SpendQuery,
    ) -> Result<(SpendReport, Option<chrono::DateTime<chrono::Utc>>), StoreError> {
        match self.spend(q).await {
            Err(StoreError::Refused(e)) if e.field == "from" => match self.retired_before().await? {
                Some(edge) if q.from < edge && edge < q.to => {
                    Ok((self.spend(&SpendQuery { from: edge, ..q.clone() }).await?, Some(edge)))
                }
                Some(edge) if q.to <= edge => Ok((build_report(q, vec![]), Some(edge))),
                _ => Err(StoreError::Refused(e)),
            },
            other => Ok((other?, None)),
        }
    }

    /// Recorded spend per provider, model and UTC day over the days
    /// `[from, to)`: the spend API's own sums (`group_by=provider,model`,
    /// `granularity=day`), which reconcile sets against a bill. A call
    /// without a provider is booked to `unknown`.
    ///
    /// Errors: as [`Self::spend`].
    async fn spend_by_model_day(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<domain::invoice::AttributedPart>, StoreError> {
        let at = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
        let q = SpendQuery {
            group_by: vec![domain::Dimension::Provider, domain::Dimension::Model],
            granularity: Some(domain::Granularity::Day),
            ..SpendQuery::new(at(from), at(to))
        };
        let report = self.spend(&q).await?;
        let mut out = Vec::new();
        for g in report.groups {
            let provider = g.values.first().cloned().flatten().unwrap_or_else(|| "unknown".into());
            let model = g.values.get(1).cloned().flatten().unwrap_or_default();
            for p in g.series.unwrap_or_default().into_iter().filter(|p| p.totals.calls > 0 || p.totals.cost.0 != 0) {
                out.push(domain::invoice::AttributedPart {
                    day: p.start.date_naive(),
                    provider: provider.clone(),
                    model: model.clone(),
                    totals: p.totals,
                });
            }
        }
        Ok(out)
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

/// The refusal of a spend query that needs retired calls, naming `from`.
fn retired(edge: chrono::DateTime<chrono::Utc>, why: &str) -> StoreError {
    StoreError::Refused(domain::FieldError {
        field: "from".into(),
        reason: format!(
            "Per-call detail before {} is retired (BURSAR_RETAIN_CALLS_DAYS), and {why}: start at or after it, \
             or on the hour and group by a key the rollups keep ({})",
            edge.format("%Y-%m-%d %H:%M UTC"),
            domain::attribution::tags::ROLLUP_KEYS.join(", ")
        ),
    })
}
