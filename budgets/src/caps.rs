//! The pre-call check: may a call with these tags (and this task) go ahead,
//! or has a hard cap it counts towards been reached?
//!
//! The hard-capped budgets' definitions are cached for a second (a change
//! made on this process takes effect at once, one made on another process
//! within [`REFRESH`]); the spend they are checked against is always read
//! from the database, so every process sees every committed call.

use chrono::{DateTime, Utc};
use domain::budgets::budget::BudgetSpec;
use domain::budgets::window::{self, Tz};
use domain::{Nanos, TagSet};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use store::{BudgetStore, CounterChange, CounterKey, StoreError};

/// How long budget definitions are cached.
pub const REFRESH: Duration = Duration::from_secs(1);

/// What a caller asks before a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckRequest {
    pub tags: TagSet,
    pub task_id: Option<String>,
    /// The model about to be called (for the caller's logs; caps are by tags and task).
    pub model: Option<String>,
    /// What the call is expected to cost; refused if it would take spend past a cap.
    pub estimated_cost: Option<Nanos>,
}

/// A cap that refuses a call (or that a batch has reached).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedBy {
    pub budget_id: String,
    pub name: String,
    pub split_value: Option<String>,
    #[serde(with = "domain::pricing::money::usd_str")]
    pub limit: Nanos,
    #[serde(with = "domain::pricing::money::usd_str")]
    pub spent: Nanos,
    pub period_end: DateTime<Utc>,
}

struct Cap {
    id: String,
    spec: BudgetSpec,
    zone: Tz,
    /// The period current when the cap was loaded (recomputed when a check falls outside it).
    window: window::Window,
}

impl Cap {
    fn window_at(&self, now: DateTime<Utc>) -> window::Window {
        if self.window.start <= now && now < self.window.end {
            self.window
        } else {
            window::window(self.spec.period, self.zone, now)
        }
    }
}

/// The hard-capped budgets, reloaded from the store at most once per [`REFRESH`].
pub struct CapIndex {
    /// Only the budget area: the index reads budgets and their committed spend.
    store: Arc<dyn BudgetStore>,
    cached: RwLock<Option<(Instant, Arc<Vec<Cap>>)>>,
    reloading: AtomicBool,
    /// Bumped by every change: a reload begun before one does not cache its stale list.
    generation: AtomicU64,
}

impl CapIndex {
    pub(crate) fn new(store: Arc<dyn BudgetStore>) -> CapIndex {
        CapIndex { store, cached: RwLock::new(None), reloading: AtomicBool::new(false), generation: AtomicU64::new(0) }
    }

    /// Forgets the cached definitions (after a change on this process).
    pub fn invalidate(&self) {
        let mut cached = self.cached.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *cached = None;
    }

    async fn caps(&self) -> Result<Arc<Vec<Cap>>, StoreError> {
        let cached = self.cached.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some((at, caps)) = &cached {
            // Stale: one caller reloads while the others carry on with what is cached.
            if at.elapsed() < REFRESH || self.reloading.swap(true, Ordering::AcqRel) {
                return Ok(caps.clone());
            }
        } else {
            self.reloading.store(true, Ordering::Release);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let loaded = self.store.list_budgets().await;
        self.reloading.store(false, Ordering::Release);
        let caps: Arc<Vec<Cap>> = Arc::new(
            loaded?
                .into_iter()
                .filter(|b| b.spec.hard_cap)
                .map(|b| {
                    let zone = window::zone(&b.spec.time_zone).unwrap_or(Tz::UTC);
                    let window = window::window(b.spec.period, zone, Utc::now());
                    Cap { zone, window, id: b.id, spec: b.spec }
                })
                .collect(),
        );
        let mut cached = self.cached.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            *cached = Some((Instant::now(), caps.clone()));
        }
        Ok(caps)
    }

    /// The caps that refuse this call; empty means allowed.
    pub async fn check(&self, req: &CheckRequest, now: DateTime<Utc>) -> Result<Vec<BlockedBy>, StoreError> {
        let caps = self.caps().await?;
        let mut keys = Vec::new();
        let mut which = Vec::new();
        for cap in caps.iter().filter(|c| c.spec.applies(&req.tags)) {
            let Some(split) = cap.spec.split_value(&req.tags, req.task_id.as_deref()) else { continue };
            let w = cap.window_at(now);
            keys.push(CounterKey { budget_id: cap.id.clone(), split_value: split, period_start: w.start });
            which.push((cap, w));
        }
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let spent = self.store.cap_spent(&keys).await?;
        let extra = req.estimated_cost.unwrap_or_default();
        Ok(keys
            .into_iter()
            .zip(which)
            .zip(spent)
            .filter(|((_, (cap, _)), spent)| refuses(cap.spec.amount, *spent, extra))
            .map(|((key, (cap, w)), spent)| BlockedBy {
                budget_id: key.budget_id,
                name: cap.spec.name.clone(),
                split_value: Some(key.split_value).filter(|v| !v.is_empty()),
                limit: cap.spec.amount,
                spent,
                period_end: w.end,
            })
            .collect())
    }
}

/// A cap refuses a call once spend has reached it, or when the call's
/// estimated cost would take spend past it.
pub fn refuses(limit: Nanos, spent: Nanos, estimate: Nanos) -> bool {
    spent.0 >= limit.0 || (estimate.0 > 0 && spent.0.saturating_add(estimate.0) > limit.0)
}

/// The hard caps a batch's counter changes have reached (for ingest's answer).
pub fn reached(changes: &[CounterChange]) -> Vec<BlockedBy> {
    changes
        .iter()
        .filter(|c| c.hard_cap && c.after.0 >= c.limit.0)
        .map(|c| BlockedBy {
            budget_id: c.budget_id.clone(),
            name: c.budget_name.clone(),
            split_value: Some(c.split_value.clone()).filter(|v| !v.is_empty()),
            limit: c.limit,
            spent: c.after,
            period_end: c.window.end,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_refuses_at_its_limit_or_when_the_estimate_would_pass_it() {
        assert!(!refuses(Nanos(100), Nanos(99), Nanos(0)));
        assert!(refuses(Nanos(100), Nanos(100), Nanos(0)));
        assert!(!refuses(Nanos(100), Nanos(90), Nanos(10)), "exactly reaching the cap is allowed");
        assert!(refuses(Nanos(100), Nanos(90), Nanos(11)));
    }
}
