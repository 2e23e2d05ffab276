//! The `AuditStore` of both backends: the audit log, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::AuditStore`] for a backend (see `crate::backend`).
macro_rules! impl_audit_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::AuditStore for $ty {
            async fn record_audit(&self, entry: &domain::people::audit::Entry) -> Result<(), $crate::StoreError> {
                let e = entry;
                let sql = self.q(
                    "insert into audit_log (at_us, actor, action, target, before_json, after_json) values (?, ?, ?, ?, ?, ?)",
                );
                sqlx::query(&sql)
                    .bind($crate::rollup::micros(e.at))
                    .bind(&e.actor)
                    .bind(&e.action)
                    .bind(&e.target)
                    .bind(e.before.as_ref().map(|v| v.to_string()))
                    .bind(e.after.as_ref().map(|v| v.to_string()))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn list_audit(
                &self,
                q: &domain::people::audit::Query,
            ) -> Result<Vec<domain::people::audit::Entry>, $crate::StoreError> {

                let mut sql = "select id, at_us, actor, action, target, before_json, after_json from audit_log where 1 = 1".to_string();
                let mut binds: Vec<$crate::sql::Bind> = Vec::new();
                if !q.actor.is_empty() {
                    sql.push_str(" and lower(actor) like ?");
                    binds.push($crate::sql::Bind::Text(format!("%{}%", q.actor)));
                }
                if !q.kind.is_empty() {
                    sql.push_str(" and action like ?");
                    binds.push($crate::sql::Bind::Text(format!("{}.%", q.kind)));
                }
                if !q.target.is_empty() {
                    sql.push_str(" and lower(target) like ?");
                    binds.push($crate::sql::Bind::Text(format!("%{}%", q.target)));
                }
                if let Some(from) = q.from {
                    sql.push_str(" and at_us >= ?");
                    binds.push($crate::sql::Bind::Int($crate::rollup::micros(from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())));
                }
                if let Some(to) = q.to.and_then(|d| d.succ_opt()) {
                    sql.push_str(" and at_us < ?");
                    binds.push($crate::sql::Bind::Int($crate::rollup::micros(to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())));
                }
                sql.push_str(" order by id desc limit ?");
                binds.push($crate::sql::Bind::Int(q.limit.max(1)));
                let built = $crate::sql::Built { sql: self.q(&sql), binds, has_bucket: false, n_keys: 0 };
                use sqlx::Row;
                let rows = self.fetch_built(&built).await?;
                let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
                rows.into_iter()
                    .map(|r| {
                        Ok(domain::people::audit::Entry {
                            id: r.try_get(0)?,
                            at: $crate::rollup::from_micros(r.try_get(1)?),
                            actor: r.try_get(2)?,
                            action: r.try_get(3)?,
                            target: r.try_get(4)?,
                            before: json(r.try_get(5)?),
                            after: json(r.try_get(6)?),
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_audit_store;
