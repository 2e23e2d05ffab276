//! The ingest service: validate, price, store, and say what happened to each
//! event. The HTTP handler, the demo generator and the benchmarks all go
//! through [`ingest`], so demo data takes the same path as real data.

use crate::AppState;
use domain::ingest::event::{BodyError, IngestBody};
use domain::{CostSource, PricedEvent};
use serde::Serialize;
use std::collections::HashSet;
use store::StoreError;

/// One event that was refused, by its position in the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub index: usize,
    pub id: Option<String>,
    pub error: String,
}

/// An accepted event with tags the taxonomy flags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlaggedEvent {
    pub index: usize,
    pub id: String,
    pub flags: Vec<domain::attribution::taxonomy::Flag>,
}

/// Flagged events listed in one answer; the rest are only counted in `flagged_count`.
pub const MAX_FLAGGED_LISTED: usize = 100;

/// The answer to an ingest request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Events stored by this request.
    pub accepted: usize,
    /// Events whose id was already stored (or repeated within the request).
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
    /// Accepted events with no cost: no price in the catalog and none sent. Kept, and flagged.
    pub unpriced: usize,
    /// Accepted events whose tags the taxonomy flags (a value not allowed, a
    /// required key missing). They are stored; this says what to fix.
    pub flagged: Vec<FlaggedEvent>,
    /// Hard caps this batch's calls have reached: later checks against them answer "not allowed".
    pub caps_reached: Vec<budgets::caps::BlockedBy>,
    /// How many accepted events were flagged.
    pub flagged_count: usize,
}

/// Parses a request body: a whole-body error, or one result per event.
pub fn parse(bytes: &[u8]) -> Result<IngestBody, BodyError> {
    domain::ingest::event::parse_body(bytes)
}

/// Prices and stores the valid events of a parsed body. Nothing is
/// acknowledged unless the store has committed it.
pub async fn ingest(state: &AppState, body: IngestBody) -> Result<IngestReport, StoreError> {
    ingest_as(state, body, None).await
}

/// [`ingest`] for a key bound to tag values: an event outside `limits`
/// (after the taxonomy's folding) is rejected by index, naming the tag.
#[tracing::instrument(skip_all, fields(events = body.len()))]
pub async fn ingest_as(
    state: &AppState,
    body: IngestBody,
    limits: Option<&domain::ingest::key_limits::TagLimits>,
) -> Result<IngestReport, StoreError> {
    let mut report = IngestReport::default();
    let mut seen = HashSet::new();
    let mut priced: Vec<PricedEvent> = Vec::with_capacity(body.len());
    let mut flagged: Vec<FlaggedEvent> = Vec::new();
    let (catalog, taxonomy) = (state.catalog_service.catalog(), state.catalog_service.taxonomy());
    for (index, item) in body.into_iter().enumerate() {
        match item {
            Err(bad) => report.rejected.push(Rejected { index, id: bad.id, error: bad.error.to_string() }),
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
    let outcome = state.store.insert_events(&priced).await?;
    report.caps_reached = budgets::caps::reached(&outcome.budget_changes);
    if !outcome.alerts.is_empty() {
        state.alerts_fired.notify_one();
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
