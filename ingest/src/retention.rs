//! Retiring old calls (`BURSAR_RETAIN_CALLS_DAYS`): one pass moves the
//! retention edge as far as what still needs raw calls allows, then deletes
//! the calls before it in small batches. The rules are in
//! `domain::attribution::retention`; every process may run a pass (the edge
//! only moves forward and the deletes are idempotent).

use chrono::{DateTime, Utc};
use domain::attribution::retention::{needs_calls_from, next_edge, window_start};
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
    /// Where the window alone would have put it (later than `edge` when a
    /// budget's recount still needs calls).
    pub window_start: DateTime<Utc>,
    /// Rows deleted: calls, and on Postgres their ids too.
    pub deleted: u64,
}

/// Moves the edge for a window of `days` at `now` and deletes the calls before it.
///
/// Errors: the store's; the calls deleted so far stay deleted (the rollups hold them).
pub async fn retire(store: &dyn Store, days: u32, now: DateTime<Utc>) -> Result<Retired, StoreError> {
    let needs: Vec<DateTime<Utc>> =
        store.list_budgets().await?.iter().filter_map(|b| needs_calls_from(&b.spec, now)).collect();
    let start = window_start(now, days);
    let edge = store.raise_retention_edge(next_edge(store.retired_before().await?, start, needs)).await?;
    let mut deleted = 0;
    loop {
        let n = store.retire_calls(BATCH).await?;
        deleted += n;
        if n == 0 {
            break;
        }
        tokio::time::sleep(PAUSE).await;
    }
    Ok(Retired { edge, window_start: start, deleted })
}
