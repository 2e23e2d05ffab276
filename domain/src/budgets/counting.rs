//! Which budget counters a call moves, and what a change fires: the pure
//! step of budget counting. The store runs it inside the ingest transaction
//! (adding each increment to its counter row, `RETURNING` the new total) and
//! when a budget is recounted.
//!
//! A counter is keyed by budget, split value and period start. A call counts
//! towards a budget when it has a cost, is not older than the budget's
//! `counted_from`, matches its scope and yields a split value; the period is
//! the budget's window in its time zone ([`crate::budgets::window`]).

use crate::budgets::alert::{crossings, AlertKind};
use crate::budgets::budget::{BudgetPeriod, BudgetSpec};
use crate::budgets::window::{self, Window};
use crate::PricedEvent;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A budget ready to count calls: its zone parsed.
pub struct CountingBudget {
    pub id: String,
    pub spec: BudgetSpec,
    pub zone: window::Tz,
    pub counted_from: DateTime<Utc>,
}

impl CountingBudget {
    pub fn new(id: String, spec: BudgetSpec, counted_from: DateTime<Utc>) -> CountingBudget {
        let zone = window::zone(&spec.time_zone).unwrap_or(window::Tz::UTC);
        CountingBudget { id, spec, zone, counted_from }
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
pub struct Increment {
    pub cost: i64,
    pub calls: i64,
}

/// Sums a batch's newly stored events into counter increments, keyed by
/// (budget id, split value, period start in Unix seconds), sorted.
pub fn increments<'a>(
    budgets: &[CountingBudget],
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
pub fn recount_windows(period: BudgetPeriod, zone: window::Tz, now: DateTime<Utc>) -> Vec<Window> {
    if period == BudgetPeriod::Total {
        return vec![window::all_time()];
    }
    vec![window::previous(period, zone, now), window::window(period, zone, now)]
}

/// An alert a counter change fires, before it is stored.
pub struct Firing {
    pub kind: AlertKind,
    pub threshold: u32,
}

/// The alerts a change fires.
pub fn firings(spec: &BudgetSpec, before: i64, after: i64) -> Vec<Firing> {
    crossings(spec.amount, &spec.thresholds, spec.hard_cap, before, after)
        .into_iter()
        .map(|(kind, threshold)| Firing { kind, threshold })
        .collect()
}
