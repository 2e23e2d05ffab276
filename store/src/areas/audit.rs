//! The `AuditStore` area of the store.

use crate::*;
use async_trait::async_trait;

/// The audit log of who changed what.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry to the audit log.
    async fn record_audit(&self, entry: &domain::people::audit::Entry) -> Result<(), StoreError>;

    /// Audit entries matching a filter, newest first.
    async fn list_audit(
        &self,
        q: &domain::people::audit::Query,
    ) -> Result<Vec<domain::people::audit::Entry>, StoreError>;
}
