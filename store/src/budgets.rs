//! Budgets at rest: records, per-period spend counters and the alerts they
//! fire. Which counters a call moves is decided in `domain::budgets::counting`.
//!
//! Counters are keyed by budget, split value and period start. A batch adds
//! to them in the transaction that stores its events, with `RETURNING` the
//! new totals, so the spend before and after each batch is exact even when
//! batches from many processes race: the row lock orders them.

use chrono::{DateTime, Utc};
use domain::budgets::alert::AlertKind;
use domain::budgets::budget::BudgetSpec;
use domain::budgets::window::Window;
use domain::Nanos;

/// Postgres advisory lock: ingest holds it shared, budget changes exclusive,
/// so a recount never misses a batch that is committing at the same moment.
pub(crate) const BUDGET_LOCK: i64 = 0x6275_7273_6172; // "bursar"

/// Postgres advisory lock a retiring batch holds exclusive (with the budget
/// lock shared): two processes' passes never keep the same calls' share twice.
pub(crate) const RETIRE_LOCK: i64 = 0x7265_7469_7265; // "retire"

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

/// What a hard cap's counter carries right now: committed spend, the holds
/// of live (unexpired, unsettled) reservations on it, and the live leases
/// processes hold on it (Postgres; zero on SQLite).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapLoad {
    pub spent: Nanos,
    pub reserved: Nanos,
    pub leased: Nanos,
}

impl CapLoad {
    /// Spend plus live reservations and leases: what a check compares with the cap.
    pub fn total(&self) -> Nanos {
        Nanos(self.spent.0.saturating_add(self.reserved.0).saturating_add(self.leased.0))
    }
}

/// A reservation to take: `amount` held against every counter in `holds`
/// (each with its cap's limit), all or none, until `expires` or until the
/// call with id `id` is ingested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The call's id, as it will be ingested.
    pub id: String,
    pub amount: Nanos,
    pub expires: DateTime<Utc>,
    /// Each counter with its cap's limit.
    pub holds: Vec<(CounterKey, Nanos)>,
}

/// The outcome of [`Reservation`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// Held against every counter, until `expires`.
    Granted { expires: DateTime<Utc> },
    /// A live reservation with this id was already held; nothing more is held.
    AlreadyHeld { amount: Nanos, expires: DateTime<Utc> },
    /// Refused: each counter's load, in the order of `holds` (nothing is held).
    Refused(Vec<CapLoad>),
}

/// A budget period's reservations, for the budget page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReservationSummary {
    /// Live holds: how many, and their sum.
    pub live: i64,
    pub reserved: Nanos,
    /// Holds that expired unsettled in the last day (their call was never ingested).
    pub expired: i64,
}

/// A lease granted to one process on one counter (see `BudgetStore::lease`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Leased {
    /// The slice of the room this process may admit estimates against, in memory.
    pub granted: Nanos,
    /// The counter's load when granted; its `leased` is the other holders' live leases.
    pub load: CapLoad,
}
