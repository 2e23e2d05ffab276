//! The OpenTelemetry mapping admins keep: which span or resource attributes
//! become which tags, and which attribute names a task. Stored as a setting;
//! every change is audited.

use crate::{CatalogError, CatalogService};
use domain::ingest::otlp::Mapping;
use store::StoreError;

/// The setting's name.
pub const SETTING: &str = "otlp_mapping";

impl CatalogService {
    /// The saved mapping (empty until an admin saves one).
    pub async fn otlp_mapping(&self) -> Result<Mapping, StoreError> {
        match self.settings_store.setting(SETTING).await? {
            None => Ok(Mapping::default()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| StoreError::Config(format!("the saved OpenTelemetry mapping is unreadable: {e}"))),
        }
    }

    /// Saves the mapping from its page text (`attribute => tag` lines and a task attribute).
    pub async fn save_otlp_mapping(
        &self,
        actor: &str,
        lines: &str,
        task_attribute: &str,
    ) -> Result<Mapping, CatalogError> {
        let mapping = Mapping::parse(lines, task_attribute).map_err(|e| CatalogError::Invalid(vec![e]))?;
        let before = self.otlp_mapping().await?;
        let json = serde_json::to_string(&mapping).map_err(|e| StoreError::Config(e.to_string()))?;
        let (before, after) = (serde_json::to_value(&before).ok(), serde_json::to_value(&mapping).ok());
        let change = store::Change { actor, action: "taxonomy.otlp", target: SETTING, before, after };
        let put = self.settings_store.put_setting(SETTING, &json, chrono::Utc::now());
        store::save_audited(&*self.audit_store, change, put).await?;
        Ok(mapping)
    }
}
