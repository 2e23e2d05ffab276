//! The task sums signals read (`store::SignalStore::signal_task_days`),
//! kept per tag key and settled day, so that a report or the sweep reads
//! from the task rollup only the days whose tasks may still change.
//!
//! A task counts on the UTC day of its first call. Tasks that began today or
//! yesterday may still be running, so those two days are always read afresh.
//! An earlier day changes only when a late call for one of its tasks
//! arrives, or its calls are retagged or repriced; it is kept for
//! [`SETTLED_TTL`], so such a change shows within that time (at once after
//! `Signals::forget_reports`). What is kept is bounded by tag keys × days ×
//! the rows of a day (loop sizes, cost buckets and one top task per value),
//! never by the number of tasks.

use chrono::{Duration, NaiveDate};
use domain::signals::signal::TaskDays;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use store::{SignalStore, StoreError};

/// How long a settled day's sums are kept.
pub const SETTLED_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Days before this many days back from today are settled.
const FRESH_DAYS: i64 = 2;

/// Settled days' sums by (tag key, day), with when they were read.
type Kept = HashMap<(String, NaiveDate), (Instant, Arc<TaskDays>)>;

/// The kept days of one process.
#[derive(Default)]
pub(crate) struct DayCache {
    days: Mutex<Kept>,
}

impl DayCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.days.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets every kept day.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// The task sums of tag `key` for tasks that began on `from..=to`
    /// (only `value`'s when given), as `SignalStore::signal_task_days`
    /// answers them: settled days from memory where kept (the missing ones
    /// read in one range), the last [`FRESH_DAYS`] to `today` from the store.
    ///
    /// Errors: the store's.
    pub(crate) async fn read(
        &self,
        store: &dyn SignalStore,
        key: &str,
        (from, to): (NaiveDate, NaiveDate),
        value: Option<&str>,
        today: NaiveDate,
    ) -> Result<TaskDays, StoreError> {
        let settled_to = to.min(today - Duration::days(FRESH_DAYS));
        let mut out = TaskDays::default();
        if from <= settled_to {
            let settled: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= settled_to).collect();
            // What is kept now, taken as it is: a day that expires meanwhile still answers this read.
            let mut have: BTreeMap<NaiveDate, Arc<TaskDays>> = {
                let kept = self.lock();
                settled
                    .iter()
                    .filter_map(|d| {
                        let (at, rows) = kept.get(&(key.to_string(), *d))?;
                        (at.elapsed() < SETTLED_TTL).then(|| (*d, rows.clone()))
                    })
                    .collect()
            };
            let missing: Vec<NaiveDate> = settled.iter().copied().filter(|d| !have.contains_key(d)).collect();
            if let (Some(lo), Some(hi)) = (missing.first(), missing.last()) {
                let mut read = store.signal_task_days(key, *lo, *hi, None).await?.by_day();
                let mut kept = self.lock();
                kept.retain(|_, (at, _)| at.elapsed() < SETTLED_TTL);
                let now = Instant::now();
                for d in lo.iter_days().take_while(|d| d <= hi) {
                    let rows = Arc::new(read.remove(&d).unwrap_or_default());
                    kept.insert((key.to_string(), d), (now, rows.clone()));
                    have.entry(d).or_insert(rows);
                }
            }
            for rows in have.values() {
                out.append(rows, value);
            }
        }
        let fresh_from = from.max(settled_to + Duration::days(1));
        if fresh_from <= to {
            out.append(&store.signal_task_days(key, fresh_from, to, value).await?, None);
        }
        Ok(out)
    }
}
