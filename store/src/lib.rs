//! Bursar's persistence: one [`Store`] trait with a SQLite and a Postgres
//! backend, chosen by the database URL's scheme.
//!
//! Raw events are kept forever, keyed by the caller's id (the idempotency
//! key). Hourly and daily rollups are maintained in the same transaction as
//! the events they sum, so spend queries read a few thousand rollup rows
//! instead of millions of events and still agree with them exactly.

mod backend;
mod error;
mod postgres;
mod rollup;
mod sql;
mod sqlite;

pub use error::StoreError;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::report::{build_report, SpendReport, SpendRow};
use domain::time::{plan_segments, Segment, Source};
use domain::{PricedEvent, SpendQuery};
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
}

/// An API key as stored: never the key itself, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub scopes: Vec<String>,
    pub created: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
}

/// The operations Bursar needs from a database.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Applies pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Stores a batch of events and their rollups atomically. Events whose id
    /// is already stored are skipped, so a replay is counted once. Returns
    /// only after the transaction has committed.
    async fn insert_events(&self, events: &[PricedEvent]) -> Result<InsertOutcome, StoreError>;

    /// Sums for one segment of a query, grouped by the query's dimensions and,
    /// when it has a granularity, by native bucket (hour or day start).
    async fn spend_rows(&self, segment: Segment, q: &SpendQuery) -> Result<Vec<SpendRow>, StoreError>;

    /// How many events are stored.
    async fn count_events(&self) -> Result<i64, StoreError>;

    /// Saves a new API key.
    async fn create_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;

    /// Finds a key by the SHA-256 of its text (revoked keys too).
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// Records that a key was used.
    async fn touch_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Answers a spend query from rollups, reading raw events only at the
    /// range's unaligned edges.
    async fn spend(&self, q: &SpendQuery) -> Result<SpendReport, StoreError> {
        let allow_days = q.granularity != Some(domain::Granularity::Hour);
        let mut rows = Vec::new();
        for seg in plan_segments(q.from, q.to, allow_days) {
            rows.extend(self.spend_rows(seg, q).await?);
        }
        Ok(build_report(q, rows))
    }

    /// Answers a spend query from raw events alone: slow, and the reference
    /// the rollups are checked against.
    async fn spend_from_events(&self, q: &SpendQuery) -> Result<SpendReport, StoreError> {
        let seg = Segment { source: Source::Raw, from: q.from, to: q.to };
        Ok(build_report(q, self.spend_rows(seg, q).await?))
    }
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
