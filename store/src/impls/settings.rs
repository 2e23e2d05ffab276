//! The `SettingsStore` of both backends: settings and the database itself, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::SettingsStore`] for a backend (see `crate::backend`).
macro_rules! impl_settings_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::SettingsStore for $ty {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn migrate(&self) -> Result<(), $crate::StoreError> {
                $migrator.run(&self.writer).await?;
                Ok(())
            }

            fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
                vec![
                    ("writer", self.writer.size(), self.writer.num_idle()),
                    ("reader", self.reader.size(), self.reader.num_idle()),
                ]
            }

            async fn readiness(&self) -> Result<(), String> {
                let latest = $migrator.iter().map(|m| m.version).max().unwrap_or(0);
                let applied: Option<i64> =
                    sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
                        .fetch_one(&self.reader)
                        .await
                        .map_err(|e| {
                            // The database's own words (hosts, users, SQL) go to the log, not to whoever asks.
                            tracing::warn!(error = %e, "readiness check failed");
                            "the database does not answer or is not migrated; the server log has the details".to_string()
                        })?;
                match applied {
                    Some(v) if v >= latest => Ok(()),
                    v => Err(format!("migrations pending: the database is at {}, this build needs {latest}", v.unwrap_or(0))),
                }
            }

            // In a read transaction that is rolled back (Postgres sets a planner option in it).
            async fn query_plan(&self, built: &$crate::sql::Built) -> Result<Vec<String>, $crate::StoreError> {
                use sqlx::Row;
                let mut tx = self.reader.begin().await?;
                let explain = match $dialect {
                    $crate::sql::Dialect::Sqlite => format!("explain query plan {}", built.sql),
                    $crate::sql::Dialect::Postgres => {
                        sqlx::query("set local enable_seqscan = off").execute(&mut *tx).await?;
                        format!("explain {}", built.sql)
                    }
                };
                let rows = Self::bound(&explain, &built.binds).fetch_all(&mut *tx).await?;
                let detail = match $dialect {
                    $crate::sql::Dialect::Sqlite => 3,
                    $crate::sql::Dialect::Postgres => 0,
                };
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(r.try_get::<String, _>(detail)?);
                }
                tx.rollback().await?;
                Ok(out)
            }

            async fn config_revisions(&self) -> Result<(i64, i64), $crate::StoreError> {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("select name, revision from config_revisions").fetch_all(&self.reader).await?;
                let get = |n: &str| rows.iter().find(|r| r.0 == n).map(|r| r.1).unwrap_or(0);
                Ok((get("prices"), get("taxonomy")))
            }

            async fn setting(&self, name: &str) -> Result<Option<String>, $crate::StoreError> {
                let sql = self.q("select value from settings where name = ?");
                Ok(sqlx::query_scalar(&sql).bind(name).fetch_optional(&self.reader).await?)
            }

            async fn put_setting(
                &self,
                name: &str,
                value: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let sql = self.q(
                    "insert into settings (name, value, updated_us) values (?, ?, ?) \
                     on conflict (name) do update set value = excluded.value, updated_us = excluded.updated_us",
                );
                sqlx::query(&sql).bind(name).bind(value).bind($crate::rollup::micros(at)).execute(&self.writer).await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_settings_store;
