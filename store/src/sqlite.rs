//! The SQLite backend: the embedded default. One writer connection (SQLite
//! admits one writer at a time, and queueing in-process beats busy-waiting)
//! and a small pool of readers, in WAL mode with full fsync on commit.

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
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// The writer connection's page cache, in KiB.
const WRITER_CACHE_KIB: u32 = 64 * 1024;
/// WAL pages written before SQLite checkpoints them into the database.
const WAL_CHECKPOINT_PAGES: u32 = 8_000;

/// A store on a SQLite file.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    tagsets: Mutex<HashMap<String, i64>>,
    /// Committed budget counter values, for the pre-call check.
    counters: crate::mirror::Mirror,
    /// Batches waiting for the one writer, committed together.
    group: crate::group::GroupCommit,
    /// The latest expiry of any reservation held (µs), read from the file
    /// once and raised by every reservation this process takes before it is
    /// written: while no hold can be live, a check reads spend from the
    /// mirror alone. (Reservations taken by another process on the same file
    /// are seen only after a restart; scale-out runs on Postgres.)
    holds_until: tokio::sync::OnceCell<std::sync::atomic::AtomicI64>,
}

impl SqliteStore {
    /// Opens (creating if missing, with its folder) the file a `sqlite:` URL names.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or("");
        if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Config(format!("cannot create the folder {}: {e}", dir.display())))?;
        }
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("invalid SQLite URL {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // The writer keeps the hot pages of every index it appends to in its
        // own cache (SQLite's default is 2 MB), so a batch does not read them
        // back from the file; a larger WAL between checkpoints copies a page
        // touched by many batches into the database once.
        let writer_opts = opts
            .clone()
            .pragma("cache_size", format!("-{}", WRITER_CACHE_KIB))
            .pragma("wal_autocheckpoint", WAL_CHECKPOINT_PAGES.to_string());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(writer_opts)
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.read_only(true))
            .await?;
        Ok(SqliteStore {
            writer,
            reader,
            tagsets: Mutex::new(HashMap::new()),
            counters: Default::default(),
            group: Default::default(),
            holds_until: Default::default(),
        })
    }

    /// Counter values from the mirror, reading only what it lacks.
    async fn counters_read(&self, keys: &[crate::CounterKey]) -> Result<Vec<domain::Nanos>, StoreError> {
        // Periods due to be read whole (small enough ones) or verified, by this caller alone.
        use crate::mirror::{Read, COMPLETE_MAX};
        for read in self.counters.claim_reads(keys) {
            let read_at = std::time::Instant::now();
            match &read {
                Read::Whole { budget_id, period_start } => {
                    match self.period_counters(budget_id, *period_start, COMPLETE_MAX + 1).await {
                        Ok(rows) if rows.len() as i64 <= COMPLETE_MAX => {
                            self.counters.fill_complete(budget_id, *period_start, read_at, rows)
                        }
                        Ok(_) => self.counters.too_large(budget_id, *period_start),
                        Err(e) => {
                            self.counters.release(budget_id, *period_start);
                            return Err(e);
                        }
                    }
                }
                Read::Verify { budget_id, period_start, .. } => {
                    match self.period_total(budget_id, *period_start).await {
                        Ok((count, sum)) => self.counters.verified(&read, read_at, count, sum),
                        Err(e) => {
                            self.counters.release(budget_id, *period_start);
                            return Err(e);
                        }
                    }
                }
            }
        }
        let mirrored = self.counters.get(keys);
        let missing: Vec<crate::CounterKey> =
            keys.iter().zip(&mirrored).filter(|(_, m)| m.is_none()).map(|(k, _)| k.clone()).collect();
        if missing.is_empty() {
            return Ok(mirrored.into_iter().map(|m| domain::Nanos(m.unwrap_or_default())).collect());
        }
        let read_at = std::time::Instant::now();
        let read = self.counters_in_db(&missing).await?;
        // Only rows that exist are mirrored: the mirror holds what the database holds.
        self.counters.fill(read_at, missing.iter().cloned().zip(read.iter()).filter_map(|(k, v)| v.map(|v| (k, v))));
        let mut read = read.into_iter();
        Ok(mirrored
            .into_iter()
            .map(|m| domain::Nanos(m.unwrap_or_else(|| read.next().flatten().unwrap_or(0))))
            .collect())
    }

    /// The latest expiry of a hold, read from the file the first time.
    async fn holds_until(&self) -> Result<&std::sync::atomic::AtomicI64, StoreError> {
        self.holds_until
            .get_or_try_init(|| async {
                let latest: i64 = sqlx::query_scalar("select coalesce(max(expires_us), 0) from cap_reservations")
                    .fetch_one(&self.writer)
                    .await?;
                Ok::<_, StoreError>(std::sync::atomic::AtomicI64::new(latest))
            })
            .await
    }

    /// Nothing to prepare: SQLite's `events` is one table.
    async fn prepare_batch(&self, _events: &[domain::PricedEvent]) -> Result<(), StoreError> {
        Ok(())
    }

    /// Deletes up to `batch` calls before the retention edge, oldest first,
    /// keeping their share of the budget counters.
    async fn retire_here(&self, batch: i64, now: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        let Some(edge) = crate::EventStore::retired_before(self).await? else { return Ok(0) };
        self.retire_batch(batch, crate::rollup::micros(edge), now).await
    }

    /// Whether a hold may be live now (the hint is unread, or its latest
    /// expiry is still ahead): ingest settles holds only then.
    fn holds_may_be_live(&self) -> bool {
        self.holds_until
            .get()
            .is_none_or(|t| t.load(std::sync::atomic::Ordering::Acquire) > crate::rollup::micros(chrono::Utc::now()))
    }

    /// Spend from the mirror; holds from the file only while one may be live.
    async fn cap_load_now(
        &self,
        keys: &[crate::CounterKey],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::CapLoad>, StoreError> {
        let spent = self.counters_read(keys).await?;
        let now_us = crate::rollup::micros(now);
        let reserved = if self.holds_until().await?.load(std::sync::atomic::Ordering::Acquire) > now_us {
            self.reserved_in_db(keys, now_us).await?
        } else {
            vec![domain::Nanos(0); keys.len()]
        };
        Ok(spent
            .into_iter()
            .zip(reserved)
            .map(|(spent, reserved)| crate::CapLoad { spent, reserved, leased: domain::Nanos(0) })
            .collect())
    }

    /// Raises the hint before a reservation is written, then takes it.
    async fn reserve_here(
        &self,
        r: &crate::Reservation,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::Reserved, StoreError> {
        self.holds_until().await?.fetch_max(crate::rollup::micros(r.expires), std::sync::atomic::Ordering::AcqRel);
        self.reserve_now(r, now).await
    }

    fn group_commit(&self) -> Option<&crate::group::GroupCommit> {
        Some(&self.group)
    }

    fn counters_committed(&self, changes: &[crate::CounterChange], began: std::time::Instant) {
        self.counters.committed(changes, began);
    }

    fn counters_forget(&self, budget_id: &str) {
        self.counters.forget(budget_id);
    }
}

impl_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_events_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_budgets_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_catalog_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_accounts_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_signals_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_audit_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_settings_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_bills_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_budget_counting!(SqliteStore, Sqlite, Dialect::Sqlite);
impl_task_rollup!(SqliteStore, Sqlite, Dialect::Sqlite);
impl_reservations!(SqliteStore, Sqlite, Dialect::Sqlite);
