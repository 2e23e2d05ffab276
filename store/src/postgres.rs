//! The Postgres backend, for scale: many stateless Bursar processes share
//! one database, so everything that must be exact across them lives here.

use crate::backend::impl_store;
use crate::impls::accounts::impl_accounts_store;
use crate::impls::audit::impl_audit_store;
use crate::impls::budgets::impl_budgets_store;
use crate::impls::catalog::impl_catalog_store;
use crate::impls::counting::impl_budget_counting;
use crate::impls::events::impl_events_store;
use crate::impls::reservations::impl_reservations;
use crate::impls::settings::impl_settings_store;
use crate::impls::signals::impl_signals_store;
use crate::impls::tasks::impl_task_rollup;
use crate::sql::Dialect;
use crate::{Backend, StoreError};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// A store on a Postgres database.
pub struct PgStore {
    writer: PgPool,
    reader: PgPool,
    tagsets: Mutex<HashMap<String, i64>>,
}

impl PgStore {
    /// Connects to the database a `postgres://` URL names.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        Ok(PgStore { writer: pool.clone(), reader: pool, tagsets: Mutex::new(HashMap::new()) })
    }

    /// Counter values, always from the database: other processes write them too.
    async fn counters_read(&self, keys: &[crate::CounterKey]) -> Result<Vec<domain::Nanos>, StoreError> {
        Ok(self.counters_in_db(keys).await?.into_iter().map(|v| domain::Nanos(v.unwrap_or(0))).collect())
    }

    /// Spend and live holds, in one statement: other processes hold too.
    async fn cap_load_now(
        &self,
        keys: &[crate::CounterKey],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::CapLoad>, StoreError> {
        self.loads_in_db(keys, crate::rollup::micros(now)).await
    }

    /// Other processes hold too: ingest always looks for holds to settle.
    fn holds_may_be_live(&self) -> bool {
        true
    }

    /// Takes a reservation under its counters' row locks.
    async fn reserve_here(
        &self,
        r: &crate::Reservation,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::Reserved, StoreError> {
        self.reserve_now(r, now).await
    }

    /// Postgres takes concurrent writers: each batch commits on its own.
    fn group_commit(&self) -> Option<&crate::group::GroupCommit> {
        None
    }

    fn counters_committed(&self, _changes: &[crate::CounterChange], _began: std::time::Instant) {}

    fn counters_forget(&self, _budget_id: &str) {}
}

impl_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_events_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_budgets_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_catalog_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_accounts_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_signals_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_audit_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_settings_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_budget_counting!(PgStore, Postgres, Dialect::Postgres);
impl_task_rollup!(PgStore, Postgres, Dialect::Postgres);
impl_reservations!(PgStore, Postgres, Dialect::Postgres);
