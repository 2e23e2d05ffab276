//! Retiring old calls (`BURSAR_RETAIN_CALLS_DAYS`): one pass moves the
//! retention edge to the window's start, then deletes the calls before it in
//! small batches, each keeping its share of the budget counters the rollups
//! cannot recount (`store::EventStore::retire_calls`). The rules are in
//! `domain::attribution::retention`; every process may run a pass (the edge
//! only moves forward, and the store lets one batch delete at a time).

use chrono::{DateTime, Utc};
use domain::attribution::retention::{next_edge, window_start};
use std::time::Duration;
use store::{Store, StoreError};

/// Calls deleted per statement: small, so ingest never waits long for the writer.
pub const BATCH: i64 = 5_000;

/// The pause between batches, so that ingest's transactions come in between.
pub const PAUSE: Duration = Duration::from_millis(20);

/// What one pass did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retired {
    /// The edge after the pass: every call before it is gone.
    pub edge: DateTime<Utc>,
    /// Where the window puts it (earlier than `edge` only when an earlier
    /// pass ran with a shorter window: the edge never moves back).
    pub window_start: DateTime<Utc>,
    /// Rows deleted: calls, and on Postgres their ids too.
    pub deleted: u64,
}

/// Moves the edge for a window of `days` at `now` and deletes the calls before it.
///
/// Errors: the store's; the calls deleted so far stay deleted (the rollups hold them).
pub async fn retire(store: &dyn Store, days: u32, now: DateTime<Utc>) -> Result<Retired, StoreError> {
    let start = window_start(now, days);
    let edge = store.raise_retention_edge(next_edge(store.retired_before().await?, start)).await?;
    let mut deleted = 0;
    loop {
        let n = store.retire_calls(BATCH, now).await?;
        deleted += n;
        if n == 0 {
            break;
        }
        tokio::time::sleep(PAUSE).await;
    }
    Ok(Retired { edge, window_start: start, deleted })
}
