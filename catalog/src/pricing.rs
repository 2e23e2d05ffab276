//! Changing the price catalog: a model, a price version, a LiteLLM import
//! (previewed as a diff first), and repricing the calls stored unpriced.

use crate::{json, CatalogError, CatalogService};
use chrono::NaiveDate;
use domain::pricing::catalog::ModelPrice;
use domain::pricing::litellm::{self, Diff};
use domain::pricing::price_edit::PriceDraft;
use std::sync::Arc;
use store::{Change, JobRecord};

/// The largest catalog file accepted (LiteLLM's whole file is about 1.5 MB).
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

impl CatalogService {
    /// Adds a model. Audited.
    pub async fn add_model(&self, actor: &str, draft: &PriceDraft) -> Result<ModelPrice, CatalogError> {
        let m = draft.new_model(&self.catalog()).map_err(CatalogError::Invalid)?;
        self.save_model(
            Change { actor, action: "price.add_model", target: &m.model, before: None, after: json(&m) },
            &m,
        )
        .await?;
        Ok(m)
    }

    /// Adds a price version to a model from a date. Audited, as the model
    /// before and after.
    pub async fn add_version(&self, actor: &str, draft: &PriceDraft) -> Result<ModelPrice, CatalogError> {
        let catalog = self.catalog();
        let m = draft.new_version(&catalog).map_err(CatalogError::Invalid)?;
        let before = catalog.find(&m.model).cloned();
        let change =
            Change { actor, action: "price.add_version", target: &m.model, before: json(&before), after: json(&m) };
        self.save_model(change, &m).await?;
        Ok(m)
    }

    /// Adds other names to a model (Azure deployment names, say). Audited,
    /// as the model before and after.
    pub async fn add_aliases(&self, actor: &str, draft: &PriceDraft) -> Result<ModelPrice, CatalogError> {
        let catalog = self.catalog();
        let m = draft.add_aliases(&catalog).map_err(CatalogError::Invalid)?;
        let before = catalog.models().iter().find(|b| b.model == m.model).cloned();
        let change =
            Change { actor, action: "price.add_aliases", target: &m.model, before: json(&before), after: json(&m) };
        self.save_model(change, &m).await?;
        Ok(m)
    }

    /// Stores one model's prices, audits `change`, and reloads the catalog.
    async fn save_model(&self, change: Change<'_>, m: &ModelPrice) -> Result<(), CatalogError> {
        let put = self.catalog_store.put_price_models(std::slice::from_ref(m), chrono::Utc::now(), false);
        store::save_audited(&*self.audit_store, change, put).await?;
        Ok(self.refresh().await?)
    }

    /// What importing a LiteLLM file would change, with prices from `from`.
    pub fn preview_import(&self, text: &str, from: NaiveDate) -> Result<Diff, CatalogError> {
        if text.len() > MAX_IMPORT_BYTES {
            return Err(CatalogError::field("file", format!("must be at most {} MB", MAX_IMPORT_BYTES / 1024 / 1024)));
        }
        let parsed = litellm::parse(text, from).map_err(|e| CatalogError::field("file", e))?;
        let catalog = self.catalog();
        let diff = litellm::diff(&catalog, parsed, chrono::Utc::now().date_naive());
        // New prices go after the history they extend: an earlier date would rewrite it.
        let latest = |model: &str| catalog.find(model).and_then(|m| m.prices.last()).map(|p| p.effective_from);
        if let Some((c, date)) =
            diff.changed.iter().find_map(|c| latest(&c.model).filter(|d| *d > from).map(|d| (c, d)))
        {
            return Err(CatalogError::field(
                "from",
                format!("must be on or after {date}, when {}'s latest price starts; an import adds prices, it never rewrites history", c.model),
            ));
        }
        Ok(diff)
    }

    /// Applies a LiteLLM file: new price versions for changed models, and new
    /// models when `add_new`. Audited, one entry per model. Returns what changed.
    pub async fn apply_import(
        &self,
        actor: &str,
        text: &str,
        from: NaiveDate,
        add_new: bool,
    ) -> Result<Vec<ModelPrice>, CatalogError> {
        let diff = self.preview_import(text, from)?;
        let catalog = self.catalog();
        let changed = litellm::apply(&catalog, &diff, add_new);
        if changed.is_empty() {
            return Ok(changed);
        }
        self.catalog_store.put_price_models(&changed, chrono::Utc::now(), false).await?;
        for m in &changed {
            let before = catalog.find(&m.model).filter(|b| b.model == m.model).cloned();
            let action = if before.is_some() { "price.import_version" } else { "price.import_model" };
            self.audit(actor, action, &m.model, json(&before), json(m)).await?;
        }
        self.refresh().await?;
        Ok(changed)
    }

    /// Starts repricing the unpriced calls of the given model names (as
    /// sent); each must now have a price in the catalog. Audited.
    pub async fn start_reprice(self: &Arc<Self>, actor: &str, models: &[String]) -> Result<JobRecord, CatalogError> {
        let catalog = self.catalog();
        if models.is_empty() {
            return Err(CatalogError::field("models", "name at least one model"));
        }
        if let Some(m) = models.iter().find(|m| catalog.find(m).is_none()) {
            return Err(CatalogError::field("models", format!("{m:?} has no price in the catalog yet; add it first")));
        }
        let job = self.start_job(actor, "price.reprice", serde_json::json!({ "models": models })).await?;
        self.audit(actor, "price.reprice", &models.join(", "), None, Some(serde_json::json!({ "job": job.id })))
            .await?;
        Ok(job)
    }
}
