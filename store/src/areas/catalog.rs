//! The `CatalogStore` area of the store.

use crate::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The price catalog, the taxonomy, tag sets, and the background jobs that rewrite stored calls.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Every model in the price catalog, by provider and name.
    async fn list_price_models(&self) -> Result<Vec<domain::pricing::catalog::ModelPrice>, StoreError>;

    /// Adds or replaces models in the price catalog (whole records); with
    /// `only_missing`, models already stored are left alone. Returns how many rows changed.
    async fn put_price_models(
        &self,
        models: &[domain::pricing::catalog::ModelPrice],
        at: DateTime<Utc>,
        only_missing: bool,
    ) -> Result<usize, StoreError>;

    /// The tag taxonomy (empty until an admin sets one).
    async fn taxonomy(&self) -> Result<domain::attribution::taxonomy::Taxonomy, StoreError>;

    /// Replaces the tag taxonomy (already validated).
    async fn put_taxonomy(
        &self,
        taxonomy: &domain::attribution::taxonomy::Taxonomy,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records a new background job.
    async fn create_job(&self, job: &JobRecord) -> Result<(), StoreError>;

    /// Saves a job's state, progress and heartbeat.
    async fn update_job(&self, job: &JobRecord) -> Result<(), StoreError>;

    /// Recent jobs, newest first.
    async fn list_jobs(&self, limit: i64) -> Result<Vec<JobRecord>, StoreError>;

    /// One job.
    async fn get_job(&self, id: &str) -> Result<Option<JobRecord>, StoreError>;

    /// Marks running jobs whose heartbeat stopped before `before` as interrupted.
    async fn interrupt_stale_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Every tag set some stored call carries, with its id.
    async fn tagsets_with_events(&self) -> Result<Vec<(i64, domain::TagSet)>, StoreError>;

    /// Moves every call carrying tag set `from` to the set `to`, moving their
    /// share of the rollups with them, in one transaction. Returns how many calls moved.
    async fn remap_tagset(&self, from: i64, to: &domain::TagSet) -> Result<i64, StoreError>;

    /// Stored calls without a cost, grouped by model name, most calls first.
    async fn unpriced_models(&self) -> Result<Vec<UnpricedModel>, StoreError>;

    /// Prices up to `limit` unpriced calls of `model` (after call `after_seq`)
    /// with the catalog, adding their cost to the rollups in the same transaction.
    async fn reprice(
        &self,
        model: &str,
        catalog: &domain::Catalog,
        after_seq: i64,
        limit: i64,
    ) -> Result<RepriceStep, StoreError>;
}
