//! Budgets at rest: records, per-period spend counters, and the pure step
//! that turns a batch of newly stored events into counter increments.
//!
//! Counters are keyed by budget, split value and period start. A batch adds
//! to them in the transaction that stores its events, with `RETURNING` the
//! new totals, so the spend before and after each batch is exact even when
//! batches from many processes race: the row lock orders them.

use chrono::{DateTime, Utc};
use domain::budgets::alert::{crossings, AlertKind};
use domain::budgets::budget::{BudgetPeriod, BudgetSpec};
use domain::budgets::window::{self, Window};
use domain::{Nanos, PricedEvent};
use std::collections::BTreeMap;

/// Postgres advisory lock: ingest holds it shared, budget changes exclusive,
/// so a recount never misses a batch that is committing at the same moment.
pub(crate) const BUDGET_LOCK: i64 = 0x6275_7273_6172; // "bursar"

/// A budget as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetRecord {
    pub id: String,
    pub spec: BudgetSpec,
    /// Spend before this instant is not counted.
    pub counted_from: DateTime<Utc>,
    /// Who created it (a person's email, or an API key's name).
    pub created_by: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// Spend counted against one split value (or `""`) in one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counter {
    pub split_value: String,
    pub spent: Nanos,
    pub calls: i64,
}

/// Names one counter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CounterKey {
    pub budget_id: String,
    pub split_value: String,
    pub period_start: DateTime<Utc>,
}

/// How a batch moved one counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterChange {
    pub budget_id: String,
    pub budget_name: String,
    pub limit: Nanos,
    pub hard_cap: bool,
    pub split_value: String,
    pub window: Window,
    pub before: Nanos,
    pub after: Nanos,
}

/// An alert to record (once: a second identical one is ignored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAlert {
    pub budget_id: String,
    pub budget_name: String,
    /// `""` for an unsplit budget.
    pub split_value: String,
    pub window: Window,
    pub kind: AlertKind,
    pub threshold: u32,
    pub spent: Nanos,
    pub limit: Nanos,
    pub forecast: Option<Nanos>,
    pub webhook: Option<String>,
    pub fired: DateTime<Utc>,
    /// For signal and anomaly alerts: what was seen.
    pub message: Option<String>,
}

/// A budget ready to count events: its zone parsed.
pub(crate) struct Loaded {
    pub id: String,
    pub spec: BudgetSpec,
    pub zone: domain::budgets::window::Tz,
    pub counted_from: DateTime<Utc>,
}

impl Loaded {
    pub fn new(id: String, spec: BudgetSpec, counted_from: DateTime<Utc>) -> Loaded {
        let zone = window::zone(&spec.time_zone).unwrap_or(domain::budgets::window::Tz::UTC);
        Loaded { id, spec, zone, counted_from }
    }

    /// The counter an event counts towards, if any.
    pub fn counter_for(&self, e: &PricedEvent) -> Option<(String, Window)> {
        e.cost?;
        let ev = &e.event;
        if ev.timestamp < self.counted_from || !self.spec.applies(&ev.tags) {
            return None;
        }
        let split = self.spec.split_value(&ev.tags, ev.task_id.as_deref())?;
        Some((split, window::window(self.spec.period, self.zone, ev.timestamp)))
    }
}

/// A counter's increment from one batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Increment {
    pub cost: i64,
    pub calls: i64,
}

/// Sums a batch's newly stored events into counter increments, keyed by
/// (budget id, split value, period start in Unix seconds), sorted.
pub(crate) fn increments<'a>(
    budgets: &[Loaded],
    events: impl Iterator<Item = &'a PricedEvent>,
) -> BTreeMap<(String, String, i64), (Increment, Window)> {
    let mut out: BTreeMap<(String, String, i64), (Increment, Window)> = BTreeMap::new();
    for e in events {
        for b in budgets {
            if let Some((split, w)) = b.counter_for(e) {
                let slot = out.entry((b.id.clone(), split, w.start.timestamp())).or_insert((Increment::default(), w));
                slot.0.cost += e.cost.map(|c| c.0).unwrap_or(0);
                slot.0.calls += 1;
            }
        }
    }
    out
}

/// The windows a new or changed budget recounts: the current period and the
/// one before it (so late events for last period still count), or all time.
pub(crate) fn recount_windows(
    period: BudgetPeriod,
    zone: domain::budgets::window::Tz,
    now: DateTime<Utc>,
) -> Vec<Window> {
    if period == BudgetPeriod::Total {
        return vec![window::all_time()];
    }
    vec![window::previous(period, zone, now), window::window(period, zone, now)]
}

/// An alert a counter change fires, before it is stored.
pub(crate) struct Firing {
    pub kind: AlertKind,
    pub threshold: u32,
}

/// The alerts a change fires.
pub(crate) fn firings(spec: &BudgetSpec, before: i64, after: i64) -> Vec<Firing> {
    crossings(spec.amount, &spec.thresholds, spec.hard_cap, before, after)
        .into_iter()
        .map(|(kind, threshold)| Firing { kind, threshold })
        .collect()
}
