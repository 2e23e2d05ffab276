//! The Postgres backend, for scale: many stateless Bursar processes share
//! one database, so everything that must be exact across them lives here.

use crate::backend::impl_store;
use crate::impls::accounts::impl_accounts_store;
use crate::impls::audit::impl_audit_store;
use crate::impls::bills::impl_bills_store;
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
    /// Months whose `events` partition this process knows exists (by start, µs).
    months: Mutex<std::collections::HashSet<i64>>,
}

impl PgStore {
    /// Connects to the database a `postgres://` URL names.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        Ok(PgStore {
            writer: pool.clone(),
            reader: pool,
            tagsets: Mutex::new(HashMap::new()),
            months: Mutex::new(Default::default()),
        })
    }

    /// Makes the `events` partition of each month a batch's calls fall in,
    /// unless this process knows it exists. Outside the batch's transaction:
    /// making a partition locks `events` for a moment, once a month.
    async fn prepare_batch(&self, events: &[domain::PricedEvent]) -> Result<(), StoreError> {
        let months: std::collections::BTreeSet<i64> = {
            let known = self.months.lock().unwrap_or_else(|p| p.into_inner());
            events
                .iter()
                .map(|e| crate::partitions::month_start(crate::rollup::micros(e.event.timestamp)))
                .filter(|m| !known.contains(m))
                .collect()
        };
        for m in months.into_iter().map(crate::partitions::month_of) {
            let sql = format!(
                "create table if not exists {} partition of events for values from ({}) to ({})",
                m.name, m.from_us, m.to_us
            );
            match sqlx::query(&sql).execute(&self.writer).await {
                Ok(_) => {}
                // Another process made it at the same moment.
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P07") => {}
                Err(e) => return Err(e.into()),
            }
            self.months.lock().unwrap_or_else(|p| p.into_inner()).insert(m.from_us);
        }
        Ok(())
    }

    /// Drops the partitions of months wholly before `edge` (µs), oldest
    /// first, each keeping its calls' share of the budget counters in the
    /// same transaction; how many calls they held.
    async fn drop_months_before(&self, edge: i64, now: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "select c.relname::text from pg_inherits i join pg_class c on c.oid = i.inhrelid \
             join pg_class p on p.oid = i.inhparent where p.relname = 'events'",
        )
        .fetch_all(&self.reader)
        .await?;
        let mut months: Vec<_> =
            names.iter().filter_map(|n| crate::partitions::parse(n)).filter(|m| m.to_us <= edge).collect();
        months.sort_by_key(|m| m.from_us);
        let mut dropped = 0;
        for m in months {
            let mut tx = self.retiring().await?;
            // Another process's pass may have dropped it meanwhile.
            let there: bool =
                sqlx::query_scalar("select to_regclass($1) is not null").bind(&m.name).fetch_one(&mut *tx).await?;
            if !there {
                continue;
            }
            // Nothing writes to the month while its share is counted and it is dropped.
            sqlx::query(&format!("lock table {} in access exclusive mode", m.name)).execute(&mut *tx).await?;
            let (from, to) = (crate::rollup::from_micros(m.from_us), crate::rollup::from_micros(m.to_us));
            self.keep_retired_share(&mut tx, "events", (Some(from), to), now).await?;
            let calls: i64 =
                sqlx::query_scalar(&format!("select count(*) from {}", m.name)).fetch_one(&mut *tx).await?;
            sqlx::query(&format!("drop table {}", m.name)).execute(&mut *tx).await?;
            tx.commit().await?;
            self.months.lock().unwrap_or_else(|p| p.into_inner()).remove(&m.from_us);
            dropped += calls as u64;
        }
        Ok(dropped)
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

    /// Deletes up to `batch` calls before the retention edge, keeping their
    /// share of the budget counters: whole months first (their partitions
    /// dropped), then the rows of the month the edge is in, then the ids of
    /// retired calls (`event_ids`).
    async fn retire_here(&self, batch: i64, now: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        let Some(edge) = crate::EventStore::retired_before(self).await? else { return Ok(0) };
        let edge = crate::rollup::micros(edge);
        let mut n = self.drop_months_before(edge, now).await?;
        n += self.retire_batch(batch, edge, now).await?;
        n += sqlx::query("delete from event_ids where id in (select id from event_ids where ts_us < $1 limit $2)")
            .bind(edge)
            .bind(batch)
            .execute(&self.writer)
            .await?
            .rows_affected();
        Ok(n)
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
impl_bills_store!(PgStore, Postgres, Dialect::Postgres, Backend::Postgres, MIGRATOR);
impl_budget_counting!(PgStore, Postgres, Dialect::Postgres);
impl_task_rollup!(PgStore, Postgres, Dialect::Postgres);
impl_reservations!(PgStore, Postgres, Dialect::Postgres);
