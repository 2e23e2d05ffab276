//! Pre-aggregation of a batch into rollup deltas, so that a batch of a
//! thousand events becomes a few dozen upserts: hourly and daily sums, and
//! one row per task. Keys come out sorted, which also gives concurrent
//! Postgres transactions one lock order.

use chrono::{DateTime, Utc};
use domain::attribution::report::Totals;
use domain::PricedEvent;
use std::collections::BTreeMap;

/// A rollup row's key: bucket start (Unix seconds), tag set, model, provider
/// (`""` when none was given).
pub type RollupKey = (i64, i64, String, String);

/// The sums to add to the hourly and daily rollups for a batch.
#[derive(Default, Debug)]
pub struct Deltas {
    pub hour: BTreeMap<RollupKey, Totals>,
    pub day: BTreeMap<RollupKey, Totals>,
}

/// Sums `events` (with their tag-set ids) by hour and by day.
pub fn deltas<'a>(events: impl Iterator<Item = (&'a PricedEvent, i64)>) -> Deltas {
    let mut d = Deltas::default();
    for (e, tagset) in events {
        let provider = e.event.provider.as_deref().unwrap_or_default();
        d.add(e.event.timestamp.timestamp(), tagset, &e.event.model, provider, &totals_of(e));
    }
    d
}

impl Deltas {
    /// Adds one call's sums (at Unix second `secs`) to its hour and day rows.
    pub fn add(&mut self, secs: i64, tagset: i64, model: &str, provider: &str, t: &Totals) {
        let hour = secs.div_euclid(3600) * 3600;
        let day = secs.div_euclid(86_400) * 86_400;
        self.hour.entry((hour, tagset, model.to_string(), provider.to_string())).or_default().add(t);
        self.day.entry((day, tagset, model.to_string(), provider.to_string())).or_default().add(t);
    }
}

/// What a batch adds to one task's row of `task_rollup`: its first and last
/// call (microseconds), the tag set of its first call, the calls and their
/// cost (nano-USD; unpriced calls add none), and the smallest and largest
/// input (tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDelta {
    pub first_us: i64,
    pub last_us: i64,
    pub tagset: i64,
    pub calls: i64,
    pub cost: i64,
    pub min_input: i64,
    pub max_input: i64,
}

/// Sums `events` (with their full tag-set ids) by task; calls without a task are left out.
pub fn task_deltas<'a>(events: impl Iterator<Item = (&'a PricedEvent, i64)>) -> BTreeMap<String, TaskDelta> {
    let mut out: BTreeMap<String, TaskDelta> = BTreeMap::new();
    for (e, tagset) in events {
        let Some(task) = &e.event.task_id else { continue };
        let (at, input, cost) = (micros(e.event.timestamp), e.event.usage.input_tokens, e.cost.map_or(0, |c| c.0));
        match out.get_mut(task) {
            None => {
                let d =
                    TaskDelta { first_us: at, last_us: at, tagset, calls: 1, cost, min_input: input, max_input: input };
                out.insert(task.clone(), d);
            }
            Some(d) => {
                if at < d.first_us {
                    (d.first_us, d.tagset) = (at, tagset);
                }
                d.last_us = d.last_us.max(at);
                d.calls += 1;
                d.cost += cost;
                d.min_input = d.min_input.min(input);
                d.max_input = d.max_input.max(input);
            }
        }
    }
    out
}

/// One event's contribution to the sums.
pub fn totals_of(e: &PricedEvent) -> Totals {
    let u = &e.event.usage;
    Totals {
        cost: e.cost.unwrap_or_default(),
        calls: 1,
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cache_read_tokens: u.cache_read_tokens,
        cache_write_tokens: u.cache_write_tokens,
        reasoning_tokens: u.reasoning_tokens,
        unpriced_calls: i64::from(e.cost.is_none()),
    }
}

/// Microseconds since the epoch.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// A UTC day's midnight in microseconds since 1970 (how bills store days).
pub fn day_micros(d: chrono::NaiveDate) -> i64 {
    micros(d.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// The instant `us` microseconds after the epoch.
pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}
