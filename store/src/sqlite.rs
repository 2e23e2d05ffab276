//! The SQLite backend: the embedded default. One writer connection (SQLite
//! admits one writer at a time, and queueing in-process beats busy-waiting)
//! and a small pool of readers, in WAL mode with full fsync on commit.

use crate::backend::impl_store;
use crate::impls::accounts::impl_accounts_store;
use crate::impls::audit::impl_audit_store;
use crate::impls::budgets::impl_budgets_store;
use crate::impls::catalog::impl_catalog_store;
use crate::impls::counting::impl_budget_counting;
use crate::impls::events::impl_events_store;
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
impl_budget_counting!(SqliteStore, Sqlite, Dialect::Sqlite);
impl_task_rollup!(SqliteStore, Sqlite, Dialect::Sqlite);
