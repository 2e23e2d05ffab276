//! The ingest service: validate, price, store, and say what happened to each
//! event. The HTTP handler, the demo generator and the benchmarks all go
//! through [`ingest`], so demo data takes the same path as real data.

use crate::AppState;
use domain::event::{BodyError, IngestBody};
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
    /// Hard caps this batch's calls have reached: later checks against them answer "not allowed".
    pub caps_reached: Vec<budgets::caps::BlockedBy>,
}

/// Parses a request body: a whole-body error, or one result per event.
pub fn parse(bytes: &[u8]) -> Result<IngestBody, BodyError> {
    domain::event::parse_body(bytes)
}

/// Prices and stores the valid events of a parsed body. Nothing is
/// acknowledged unless the store has committed it.
#[tracing::instrument(skip_all, fields(events = body.len()))]
pub async fn ingest(state: &AppState, body: IngestBody) -> Result<IngestReport, StoreError> {
    let mut report = IngestReport::default();
    let mut seen = HashSet::new();
    let mut priced: Vec<PricedEvent> = Vec::with_capacity(body.len());
    for (index, item) in body.into_iter().enumerate() {
        match item {
            Err(bad) => report.rejected.push(Rejected { index, id: bad.id, error: bad.error.to_string() }),
            Ok(event) => {
                if !seen.insert(event.id.clone()) {
                    report.duplicates += 1;
                    continue;
                }
                priced.push(state.catalog.price(event));
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
    Ok(report)
}
