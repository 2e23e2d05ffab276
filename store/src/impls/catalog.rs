//! The `CatalogStore` of both backends: prices, the taxonomy, tag sets and jobs, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::CatalogStore`] for a backend (see `crate::backend`).
macro_rules! impl_catalog_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::CatalogStore for $ty {
            async fn list_price_models(&self) -> Result<Vec<domain::pricing::catalog::ModelPrice>, $crate::StoreError> {
                self.g_list_price_models().await
            }

            async fn put_price_models(
                &self,
                models: &[domain::pricing::catalog::ModelPrice],
                at: chrono::DateTime<chrono::Utc>,
                only_missing: bool,
            ) -> Result<usize, $crate::StoreError> {
                self.g_put_price_models(models, at, only_missing).await
            }

            async fn taxonomy(&self) -> Result<domain::attribution::taxonomy::Taxonomy, $crate::StoreError> {
                self.g_taxonomy().await
            }

            async fn put_taxonomy(
                &self,
                taxonomy: &domain::attribution::taxonomy::Taxonomy,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.g_put_taxonomy(taxonomy, at).await
            }

            async fn create_job(&self, job: &$crate::JobRecord) -> Result<(), $crate::StoreError> {
                self.g_create_job(job).await
            }

            async fn update_job(&self, job: &$crate::JobRecord) -> Result<(), $crate::StoreError> {
                self.g_update_job(job).await
            }

            async fn list_jobs(&self, limit: i64) -> Result<Vec<$crate::JobRecord>, $crate::StoreError> {
                self.g_list_jobs(None, limit).await
            }

            async fn get_job(&self, id: &str) -> Result<Option<$crate::JobRecord>, $crate::StoreError> {
                Ok(self.g_list_jobs(Some(id), 1).await?.pop())
            }

            async fn interrupt_stale_jobs(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                self.g_interrupt_stale_jobs(before).await
            }

            async fn tagsets_with_events(&self) -> Result<Vec<(i64, domain::TagSet)>, $crate::StoreError> {
                self.g_tagsets_with_events().await
            }

            async fn remap_tagset(&self, from: i64, to: &domain::TagSet) -> Result<i64, $crate::StoreError> {
                self.g_remap_tagset(from, to).await
            }

            async fn unpriced_models(&self) -> Result<Vec<$crate::UnpricedModel>, $crate::StoreError> {
                self.g_unpriced_models().await
            }

            async fn reprice(
                &self,
                model: &str,
                catalog: &domain::Catalog,
                after_seq: i64,
                limit: i64,
            ) -> Result<$crate::RepriceStep, $crate::StoreError> {
                self.g_reprice(model, catalog, after_seq, limit).await
            }
        }
    };
}

pub(crate) use impl_catalog_store;
