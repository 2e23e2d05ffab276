//! The `SettingsStore` area of the store.

use crate::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Settings and configuration history, and the database itself: its backend, migrations, pools, readiness and query plans.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Applies pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Each connection pool's (name, open connections, idle connections).
    fn pool_stats(&self) -> Vec<(&'static str, u32, usize)>;

    /// Whether the database answers and every migration this build knows is
    /// applied; the reason when not.
    async fn readiness(&self) -> Result<(), String>;

    /// The plan the database chooses for a built statement, one line per step
    /// (`EXPLAIN QUERY PLAN` on SQLite; `EXPLAIN` on Postgres, with sequential
    /// scans priced out so that any usable index shows). Tests of the hot
    /// queries use it to catch a lost index.
    async fn query_plan(&self, built: &sql::Built) -> Result<Vec<String>, StoreError>;

    /// The revisions of the price catalog and the taxonomy: each moves on every change.
    async fn config_revisions(&self) -> Result<(i64, i64), StoreError>;

    /// A run-time setting's JSON value, if one was saved.
    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Saves a run-time setting.
    async fn put_setting(&self, name: &str, value: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
}
