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

/// One change to a saved spec as the audit log records it: who (`actor`) did
/// what (`action`, such as `signal.update`) to which record (`target`), with
/// the spec before and after as JSON in the shape the log shows (webhook URLs
/// redacted; `None` where there was, or is, none).
pub struct Change<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The one path every saved spec takes (budgets, signal rules, scenarios,
/// model tiers, the taxonomy, the OTLP mapping): `put` stores the change and,
/// only once it has, the audit log records `change`. A change that was not
/// stored is never audited.
///
/// Errors: `put`'s, or the audit log's (the change is then stored but not audited).
pub async fn save_audited<T, E: From<StoreError>>(
    audit: &dyn AuditStore,
    change: Change<'_>,
    put: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let saved = put.await?;
    let entry =
        domain::people::audit::Entry::new(change.actor, change.action, change.target, change.before, change.after);
    audit.record_audit(&entry).await?;
    Ok(saved)
}
