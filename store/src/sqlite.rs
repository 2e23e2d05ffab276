//! The SQLite backend: the embedded default. One writer connection (SQLite
//! admits one writer at a time, and queueing in-process beats busy-waiting)
//! and a small pool of readers, in WAL mode with full fsync on commit.

use crate::backend::impl_store;
use crate::backend_budgets::impl_budgets;
use crate::backend_people::impl_people;
use crate::sql::Dialect;
use crate::{Backend, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// A store on a SQLite file.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    tagsets: Mutex<HashMap<String, i64>>,
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
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.read_only(true))
            .await?;
        Ok(SqliteStore { writer, reader, tagsets: Mutex::new(HashMap::new()) })
    }
}

impl_store!(SqliteStore, Sqlite, Dialect::Sqlite, Backend::Sqlite, MIGRATOR);
impl_people!(SqliteStore, Sqlite, Dialect::Sqlite);
impl_budgets!(SqliteStore, Sqlite, Dialect::Sqlite);
