//! The catalog service, shared by the REST API and the admin pages: the
//! price catalog and the tag taxonomy as every process sees them, the changes
//! admins make to them, background jobs that carry those changes into stored
//! calls, and the audit log every change is written to.
//!
//! The catalog and the taxonomy live in the database. Each process keeps the
//! parsed copy ingest needs and reloads it when the database's revision
//! moves (checked every second by [`CatalogService::refresh`], and at once after
//! a change made through this process).

pub mod invoice;
pub mod jobs;
pub mod otlp_mapping;
pub mod pricing;
pub mod taxonomy;

use domain::attribution::taxonomy::Taxonomy;
use domain::Catalog;
use serde_json::Value;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use store::{Store, StoreError};

/// Why a change to prices, the taxonomy or the OTLP mapping was refused.
pub type CatalogError = store::Refusal;

/// The service. Cheap to share: hold it in an `Arc`.
pub struct CatalogService {
    catalog_store: Arc<dyn store::CatalogStore>,
    budget_store: Arc<dyn store::BudgetStore>,
    settings_store: Arc<dyn store::SettingsStore>,
    audit_store: Arc<dyn store::AuditStore>,
    catalog: RwLock<Arc<Catalog>>,
    taxonomy: RwLock<Arc<Taxonomy>>,
    /// The (prices, taxonomy) revisions the cached copies were read at.
    revisions: Mutex<(i64, i64)>,
    /// Where the shipped catalog's numbers came from.
    source: String,
    /// How long a taxonomy job waits before rewriting stored calls, so that
    /// every process has picked up the new rules (they reload each second).
    settle: Duration,
}

impl CatalogService {
    /// Loads the catalog and taxonomy, first adding to the database any model
    /// of the shipped catalog it lacks (models already there are left as admins set them).
    pub async fn load(store: Arc<dyn Store>, shipped: &Catalog) -> Result<Arc<CatalogService>, StoreError> {
        CatalogService::load_with_settle(store, shipped, Duration::from_millis(1500)).await
    }

    /// [`CatalogService::load`] with a chosen wait before taxonomy jobs rewrite
    /// stored calls (zero in tests, where no other process runs).
    pub async fn load_with_settle(
        store: Arc<dyn Store>,
        shipped: &Catalog,
        settle: Duration,
    ) -> Result<Arc<CatalogService>, StoreError> {
        store.put_price_models(shipped.models(), chrono::Utc::now(), true).await?;
        let gov = CatalogService {
            catalog_store: store.clone(),
            budget_store: store.clone(),
            settings_store: store.clone(),
            audit_store: store,
            catalog: RwLock::new(Arc::new(Catalog::default())),
            taxonomy: RwLock::new(Arc::default()),
            revisions: Mutex::new((-1, -1)),
            source: shipped.source.clone(),
            settle,
        };
        gov.refresh().await?;
        Ok(Arc::new(gov))
    }

    /// The price catalog as this process last read it.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The tag taxonomy as this process last read it.
    pub fn taxonomy(&self) -> Arc<Taxonomy> {
        self.taxonomy.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rereads the catalog and the taxonomy if either changed in the database.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let (prices, tax) = self.settings_store.config_revisions().await?;
        let known = *self.revisions.lock().unwrap_or_else(|p| p.into_inner());
        if prices != known.0 {
            let models = self.catalog_store.list_price_models().await?;
            match Catalog::new(models, self.source.clone()) {
                Ok(c) => *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(c),
                Err(e) => tracing::error!(error = %e, "the stored price catalog is invalid; keeping the last good one"),
            }
        }
        if tax != known.1 {
            let t = self.catalog_store.taxonomy().await?;
            *self.taxonomy.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(t);
        }
        *self.revisions.lock().unwrap_or_else(|p| p.into_inner()) = (prices, tax);
        Ok(())
    }

    /// Reloads every second until the process ends.
    pub fn spawn_refresh(self: &Arc<Self>) {
        let gov = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(gov) = gov.upgrade() else { return };
                if let Err(e) = gov.refresh().await {
                    tracing::warn!(error = %e, "could not reload the price catalog and taxonomy");
                }
            }
        });
    }

    /// Writes an audit entry.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), StoreError> {
        self.audit_store.record_audit(&domain::people::audit::Entry::new(actor, action, target, before, after)).await
    }
}

/// A value as JSON for the audit log.
pub fn json<T: serde::Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}
