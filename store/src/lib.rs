//! Bursar's persistence: one [`Store`] trait with a SQLite and a Postgres
//! backend, chosen by the database URL's scheme.
//!
//! Raw events are kept forever, keyed by the caller's id (the idempotency
//! key). Hourly and daily rollups are maintained in the same transaction as
//! the events they sum, so spend queries read a few thousand rollup rows
//! instead of millions of events and still agree with them exactly.

mod areas;
mod backend;
mod budgets;
mod error;
mod group;
mod impls;
mod jobs;
mod mirror;
mod partitions;
mod people;
mod postgres;
mod refusal;
mod rollup;
mod signals;
pub mod sql;
mod sqlite;

pub use areas::{
    accounts::AccountStore,
    audit::{save_audited, AuditStore, Change},
    bills::{BillImportRecord, BillStore, NewBillImport},
    budgets::BudgetStore,
    catalog::CatalogStore,
    events::EventStore,
    settings::SettingsStore,
    signals::SignalStore,
};
pub use budgets::{
    BudgetRecord, CapLoad, Counter, CounterChange, CounterKey, Leased, NewAlert, Reservation, ReservationSummary,
    Reserved,
};
pub use domain::budgets::alert::AlertQuery;
pub use error::StoreError;
pub use jobs::{JobRecord, RepriceStep, UnpricedModel};
pub use people::{EventQuery, StoredEvent, UserRecord};
pub use postgres::PgStore;
pub use refusal::Refusal;
pub use signals::{ScenarioRecord, SignalRuleRecord, TaskRollupRow};
pub use sqlite::SqliteStore;

/// The setting holding the retention edge, in microseconds since 1970 (see `EventStore::retired_before`).
pub const RETENTION_EDGE: &str = "retention_edge_us";

use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::Arc;

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What an insert did: the ids that were new. Every other id was already stored.
#[derive(Clone, Debug, Default)]
pub struct InsertOutcome {
    pub inserted: HashSet<String>,
    /// How the new events moved budget counters.
    pub budget_changes: Vec<CounterChange>,
    /// Alerts the new events fired (ids).
    pub alerts: Vec<i64>,
}

/// An API key as stored: never the key itself, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    /// Who made it: an email, `cli`, or empty for keys from before this was kept.
    pub created_by: String,
    pub prefix: String,
    pub key_hash: String,
    pub scopes: Vec<String>,
    pub created: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
    /// The tag values the key may write and check; `None`: any.
    pub tag_limits: Option<domain::ingest::key_limits::TagLimits>,
}

/// Everything Bursar needs from a database: the sum of the area traits, so
/// that `connect` hands out one `Arc<dyn Store>` while each service can be
/// given only the area it uses. Implemented for every type that implements
/// them all.
pub trait Store:
    EventStore + BudgetStore + CatalogStore + AccountStore + SignalStore + AuditStore + SettingsStore + BillStore + 'static
{
}

impl<
        T: EventStore
            + BudgetStore
            + CatalogStore
            + AccountStore
            + SignalStore
            + AuditStore
            + SettingsStore
            + BillStore
            + 'static,
    > Store for T
{
}

/// Opens the store a URL names: `sqlite:PATH` (created if missing) or
/// `postgres://…`. Does not migrate.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(StoreError::Config(format!(
            "database URL must start with sqlite: or postgres:// (got {:?})",
            url.split(':').next().unwrap_or("")
        )))
    }
}
