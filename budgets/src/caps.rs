//! The pre-call check: may a call with these tags (and this task) go ahead,
//! or has a hard cap it counts towards been reached?
//!
//! The hard-capped budgets' definitions are cached for a second (a change
//! made on this process takes effect at once, one made on another process
//! within [`REFRESH`]); the spend they are checked against is always read
//! from the database, so every process sees every committed call.
//!
//! A check with a reservation (`reserve`: the call's id) holds its
//! estimated cost against every cap it matches, in the database, all or
//! none, until the call is ingested or the hold expires (default
//! [`domain::budgets::cap::DEFAULT_RESERVATION_TTL_SECS`]). Every check
//! counts live holds as spend, so callers that reserve cannot together pass
//! a cap by more than their real costs exceed their estimates.
//!
//! Where processes share the counters (Postgres), a plain check that carries
//! an `estimated_cost` is answered from this process's lease on each counter
//! ([`crate::leases`]); one without an estimate is read from the database,
//! together with the other reads waiting at that moment ([`crate::gather`]).

use crate::leases::Answer;
use chrono::{DateTime, Utc};
use domain::budgets::budget::BudgetSpec;
use domain::budgets::window::{self, Tz};
use domain::{Nanos, TagSet};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use store::{BudgetStore, CapLoad, CounterChange, CounterKey, Reservation, Reserved, StoreError};

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
    /// The call's id, to hold `estimated_cost` under until that call is ingested.
    pub reserve: Option<String>,
}

/// A reservation a check took (or found already held under the same id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The call's id: ingesting the call with this id settles the hold.
    pub id: String,
    #[serde(with = "domain::pricing::money::usd_str")]
    pub amount: Nanos,
    pub expires_at: DateTime<Utc>,
    /// How many cap counters hold it (zero when no hard cap matches the call).
    pub caps: usize,
    /// True when this id was already held: nothing more was held.
    pub already_held: bool,
}

/// What a check answers: the caps that refuse the call (none: allowed), and
/// the reservation taken when one was asked for and the call is allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub blocked_by: Vec<BlockedBy>,
    pub hold: Option<Hold>,
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
    /// Live reservations held against the cap (counted with `spent`).
    #[serde(with = "domain::pricing::money::usd_str", default)]
    pub reserved: Nanos,
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
    /// How long a reservation is held unless its call is ingested, in seconds.
    ttl_secs: AtomicU64,
    /// This process's leases, for plain checks when processes share the counters.
    pub leases: crate::leases::Leases,
    /// Where this process's counter reads go together, when processes share the counters.
    gather: crate::gather::Gather,
}

impl CapIndex {
    pub(crate) fn new(store: Arc<dyn BudgetStore>) -> CapIndex {
        CapIndex {
            store,
            cached: RwLock::new(None),
            reloading: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            ttl_secs: AtomicU64::new(domain::budgets::cap::DEFAULT_RESERVATION_TTL_SECS),
            leases: Default::default(),
            gather: Default::default(),
        }
    }

    /// Sets how long reservations are held (`BURSAR_RESERVATION_TTL_SECS`).
    pub fn set_reservation_ttl(&self, ttl: Duration) {
        self.ttl_secs.store(ttl.as_secs().max(1), Ordering::Relaxed);
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

    /// The caps that refuse this call (empty: allowed), and, when the
    /// request asks to reserve and the call is allowed, the hold taken.
    /// Errors only when the store cannot be read or written.
    pub async fn check(&self, req: &CheckRequest, now: DateTime<Utc>) -> Result<Checked, StoreError> {
        let caps = self.caps().await?;
        let mut keys = Vec::new();
        let mut which = Vec::new();
        for cap in caps.iter().filter(|c| c.spec.applies(&req.tags)) {
            let Some(split) = cap.spec.split_value(&req.tags, req.task_id.as_deref()) else { continue };
            let w = cap.window_at(now);
            keys.push(CounterKey { budget_id: cap.id.clone(), split_value: split, period_start: w.start });
            which.push((cap, w));
        }
        let extra = req.estimated_cost.unwrap_or_default();
        let loads = match &req.reserve {
            Some(id) => {
                let expires = now + chrono::Duration::seconds(self.ttl_secs.load(Ordering::Relaxed) as i64);
                let holds = keys.iter().cloned().zip(which.iter().map(|(cap, _)| cap.spec.amount)).collect();
                let r = Reservation { id: id.clone(), amount: extra, expires, holds };
                let hold = |amount, expires_at, already_held| Hold {
                    id: id.clone(),
                    amount,
                    expires_at,
                    caps: keys.len(),
                    already_held,
                };
                match self.store.reserve(&r, now).await? {
                    Reserved::Granted { expires } => {
                        return Ok(Checked { blocked_by: vec![], hold: Some(hold(extra, expires, false)) })
                    }
                    Reserved::AlreadyHeld { amount, expires } => {
                        return Ok(Checked { blocked_by: vec![], hold: Some(hold(amount, expires, true)) })
                    }
                    Reserved::Refused(loads) => loads,
                }
            }
            None if keys.is_empty() => return Ok(Checked::default()),
            // Only an estimate can be taken from a lease: a check without one reads the database.
            None if extra.0 > 0 && self.leases.enabled() && self.store.shared_counters() => {
                let limits: Vec<(CounterKey, Nanos)> =
                    keys.iter().cloned().zip(which.iter().map(|(cap, _)| cap.spec.amount)).collect();
                let answers = self.leases.admit(&self.store, &self.gather, &limits, extra, now).await?;
                let refused = answers
                    .iter()
                    .zip(&which)
                    .any(|(a, (cap, _))| matches!(a, Answer::Load(l) if refuses(cap.spec.amount, l.total(), extra)));
                if refused {
                    for (a, key) in answers.iter().zip(&keys) {
                        if let Answer::Admitted(generation) = a {
                            self.leases.give_back(key, extra, *generation);
                        }
                    }
                }
                // An admitted counter's lease covered the estimate: it does not refuse.
                answers
                    .into_iter()
                    .map(|a| match a {
                        Answer::Admitted(_) => CapLoad::default(),
                        Answer::Load(l) => l,
                    })
                    .collect()
            }
            None if self.store.shared_counters() => self.gather.load(&self.store, &keys, now).await?,
            None => self.store.cap_load(&keys, now).await?,
        };
        let blocked_by = keys
            .into_iter()
            .zip(which)
            .zip(loads)
            .filter(|((_, (cap, _)), load)| refuses(cap.spec.amount, load.total(), extra))
            .map(|((key, (cap, w)), load)| BlockedBy {
                budget_id: key.budget_id,
                name: cap.spec.name.clone(),
                split_value: Some(key.split_value).filter(|v| !v.is_empty()),
                limit: cap.spec.amount,
                spent: load.spent,
                reserved: load.reserved,
                period_end: w.end,
            })
            .collect();
        Ok(Checked { blocked_by, hold: None })
    }
}

pub use domain::budgets::cap::refuses;

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
            reserved: Nanos(0),
            period_end: c.window.end,
        })
        .collect()
}
