//! The ingest service: the one path every call Bursar is told about takes,
//! whether it came as REST (`POST /api/v1/events`), as OTLP spans, from the
//! demo generator or from the bench:
//!
//! 1. **parse**: [`parse`] validates a JSON body into events (OTLP spans
//!    arrive already typed, see `domain::ingest::otlp`);
//! 2. **taxonomy**: each event's tags are folded and checked by the taxonomy
//!    (`domain::attribution::taxonomy`), and a key bound to tag values
//!    refuses the rest;
//! 3. **price**: the catalog prices what the caller did not
//!    (`domain::pricing::catalog`), and a call it cannot price is kept, flagged;
//! 4. **store**: one transaction stores the events, their rollups and the
//!    budget counters ([`store::EventStore::insert_events`]);
//! 5. **caps**: the caps the batch reached are reported, and alert delivery is woken.
//!
//! Before any of that, a request takes a backpressure [`Ingest::slot`], so
//! overload is answered with 503 rather than a pile-up; what each request
//! did is counted in [`Metrics`].

pub mod metrics;
mod report;
pub mod retention;

pub use metrics::{Metrics, PoolStat};
pub use report::{FlaggedEvent, IngestReport, Rejected, MAX_FLAGGED_LISTED};

use catalog::CatalogService;
use domain::ingest::event::{BodyError, IngestBody};
use domain::ingest::key_limits::TagLimits;
use domain::{CostSource, PricedEvent};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::{EventStore, StoreError};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// Parses a request body: a whole-body error, or one result per event.
pub fn parse(bytes: &[u8]) -> Result<IngestBody, BodyError> {
    domain::ingest::event::parse_body(bytes)
}

/// Why no ingest slot was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Busy {
    /// Every slot stayed taken for the whole wait.
    Overloaded,
    /// The process is shutting down.
    Closed,
}

/// The service. Cheap to share: hold it in an `Arc`.
pub struct Ingest {
    events: Arc<dyn EventStore>,
    catalog: Arc<CatalogService>,
    alerts_fired: Arc<Notify>,
    slots: Arc<Semaphore>,
    queue_wait: Duration,
    metrics: Arc<Metrics>,
    /// `BURSAR_RETAIN_CALLS_DAYS` (0: keep every call).
    retain_days: AtomicU32,
}

impl Ingest {
    /// A service storing into `events`, pricing and folding tags with
    /// `catalog`'s current catalog and taxonomy, waking `alerts_fired` when
    /// a batch fires alerts, and admitting as many requests at once as
    /// `slots` has permits, each waiting at most `queue_wait` for one.
    pub fn new(
        events: Arc<dyn EventStore>,
        catalog: Arc<CatalogService>,
        alerts_fired: Arc<Notify>,
        slots: Arc<Semaphore>,
        queue_wait: Duration,
        metrics: Arc<Metrics>,
    ) -> Arc<Ingest> {
        Arc::new(Ingest { events, catalog, alerts_fired, slots, queue_wait, metrics, retain_days: AtomicU32::new(0) })
    }

    /// Refuses calls older than `days` (`BURSAR_RETAIN_CALLS_DAYS`; 0 keeps
    /// every call): such a call may already be retired, and a resent one
    /// could not be told from it (see `domain::attribution::retention`).
    pub fn set_retention(&self, days: u32) {
        self.retain_days.store(days, Ordering::Relaxed);
    }

    /// The oldest instant a call may have, if retention is on.
    fn oldest_kept(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let days = self.retain_days.load(Ordering::Relaxed);
        (days > 0).then(|| domain::attribution::retention::window_start(chrono::Utc::now(), days))
    }

    /// The process's metrics, which this service adds to.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Takes an ingest slot, waiting at most the queue wait
    /// (`BURSAR_INGEST_QUEUE_WAIT_MS`). Hold it while the body is read and stored.
    ///
    /// Errors: [`Busy::Overloaded`] when every slot stays busy, [`Busy::Closed`] at shutdown.
    pub async fn slot(&self) -> Result<OwnedSemaphorePermit, Busy> {
        tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| Busy::Overloaded)?
            .map_err(|_| Busy::Closed)
    }

    /// Folds tags, prices and stores the valid events of a parsed body, and
    /// counts the request in the metrics. An event outside `limits` (a key
    /// bound to tag values, checked after the taxonomy's folding) is
    /// rejected by index, naming the tag. Nothing is acknowledged unless the
    /// store has committed it.
    ///
    /// Errors: the store's, when the batch could not be committed (nothing of it was stored).
    #[tracing::instrument(skip_all, fields(events = body.len()))]
    pub async fn ingest(&self, body: IngestBody, limits: Option<&TagLimits>) -> Result<IngestReport, StoreError> {
        let report = self.store(body, limits).await?;
        self.metrics.record_ingest(&report);
        Ok(report)
    }

    async fn store(&self, body: IngestBody, limits: Option<&TagLimits>) -> Result<IngestReport, StoreError> {
        let mut report = IngestReport::default();
        let mut seen = HashSet::new();
        let mut priced: Vec<PricedEvent> = Vec::with_capacity(body.len());
        let mut flagged: Vec<FlaggedEvent> = Vec::new();
        let (catalog, taxonomy) = (self.catalog.catalog(), self.catalog.taxonomy());
        let oldest = self.oldest_kept();
        for (index, item) in body.into_iter().enumerate() {
            match item {
                Err(bad) => report.rejected.push(Rejected { index, id: bad.id, error: bad.error.to_string() }),
                Ok(event) if oldest.is_some_and(|o| event.timestamp < o) => {
                    let error = format!(
                        "timestamp: is before {}, the start of the calls Bursar keeps (BURSAR_RETAIN_CALLS_DAYS={}); \
                         a call that old may already be retired, so this one could be counted twice",
                        oldest.unwrap_or_default().format("%Y-%m-%d %H:%M UTC"),
                        self.retain_days.load(Ordering::Relaxed)
                    );
                    report.rejected.push(Rejected { index, id: Some(event.id), error });
                }
                Ok(mut event) => {
                    let flags = match taxonomy.apply(&mut event.tags) {
                        Ok(flags) => flags,
                        Err(e) => {
                            report.rejected.push(Rejected { index, id: Some(event.id), error: e.to_string() });
                            continue;
                        }
                    };
                    if let Some(e) = limits.and_then(|l| l.check(&event.tags).err()) {
                        report.rejected.push(Rejected { index, id: Some(event.id), error: e.to_string() });
                        continue;
                    }
                    if !seen.insert(event.id.clone()) {
                        report.duplicates += 1;
                        continue;
                    }
                    if !flags.is_empty() {
                        flagged.push(FlaggedEvent { index, id: event.id.clone(), flags });
                    }
                    priced.push(catalog.price(event));
                }
            }
        }
        if priced.is_empty() {
            return Ok(report);
        }
        let outcome = self.events.insert_events(&priced).await?;
        report.caps_reached = budgets::caps::reached(&outcome.budget_changes);
        if !outcome.alerts.is_empty() {
            self.alerts_fired.notify_one();
        }
        for e in &priced {
            if outcome.inserted.contains(&e.event.id) {
                report.accepted += 1;
                if e.source == CostSource::Unpriced {
                    report.unpriced += 1;
                }
            } else {
                report.duplicates += 1;
            }
        }
        flagged.retain(|f| outcome.inserted.contains(&f.id));
        report.flagged_count = flagged.len();
        flagged.truncate(MAX_FLAGGED_LISTED);
        report.flagged = flagged;
        Ok(report)
    }
}
