//! Fresh stores for each test case.

use std::sync::Arc;
use store::Store;

/// A migrated store on a new SQLite file in a temporary folder.
pub async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("bursar.db").display());
    let store = store::connect(&url).await.expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    (store, dir)
}

/// Drops the per-test Postgres database when the case is done.
pub struct PgGuard {
    admin_url: String,
    name: String,
}

impl PgGuard {
    pub async fn drop_database(self) {
        if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!("drop database if exists {} with (force)", self.name)).execute(&mut c).await;
        }
    }
}

/// The Postgres URL tests use.
pub fn postgres_url() -> String {
    std::env::var("BURSAR_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether an unreachable Postgres fails the run instead of skipping.
pub fn postgres_required() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
    set("CI") || set("BURSAR_REQUIRE_POSTGRES")
}

/// A migrated store on a new Postgres database, or `None` (after saying so)
/// when Postgres is unreachable and not required.
pub async fn postgres(case: &str) -> Option<(Arc<dyn Store>, PgGuard)> {
    let (url, guard) = postgres_database(case).await?;
    let store = store::connect(&url).await.expect("open postgres");
    store.migrate().await.expect("migrate postgres");
    Some((store, guard))
}

/// A new, empty Postgres database (its URL), or `None` as for [`postgres`].
pub async fn postgres_database(case: &str) -> Option<(String, PgGuard)> {
    let admin_url = postgres_url();
    let mut admin = match <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await {
        Ok(c) => c,
        Err(e) if !postgres_required() => {
            eprintln!(
                "SKIPPED postgres::{case}: Postgres at {admin_url} is unreachable ({e}); set BURSAR_TEST_POSTGRES_URL"
            );
            return None;
        }
        Err(e) => panic!("Postgres at {admin_url} is unreachable ({e}) and CI/BURSAR_REQUIRE_POSTGRES requires it"),
    };
    let name = format!("bursar_t_{}_{}", &case[..case.len().min(30)], rand::random::<u32>());
    sqlx::query(&format!("create database {name}")).execute(&mut admin).await.expect("create test database");
    let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin_url.clone());
    Some((format!("{base}/{name}"), PgGuard { admin_url, name }))
}
