//! What an ingest request did, per event: the answer the REST and OTLP
//! endpoints give (`accepted`, `duplicates`, `rejected` by index, `unpriced`,
//! taxonomy `flagged`, `caps_reached`).

use serde::Serialize;

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
