//! The `AuditStore` of both backends: the audit log, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::AuditStore`] for a backend (see `crate::backend`).
macro_rules! impl_audit_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::AuditStore for $ty {
            async fn record_audit(&self, entry: &domain::people::audit::Entry) -> Result<(), $crate::StoreError> {
                self.g_record_audit(entry).await
            }

            async fn list_audit(
                &self,
                q: &domain::people::audit::Query,
            ) -> Result<Vec<domain::people::audit::Entry>, $crate::StoreError> {
                self.g_list_audit(q).await
            }
        }
    };
}

pub(crate) use impl_audit_store;
