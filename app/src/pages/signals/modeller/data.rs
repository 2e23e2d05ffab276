//! The cost modeller's data: saved scenarios, the models and prices the
//! page prices with, and the server functions that read, save, delete and
//! compare scenarios with what a workflow did.

use domain::costmodel::calibrate::Actual;
use domain::costmodel::Scenario;
use domain::pricing::catalog::ModelPrice;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A saved scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub id: String,
    pub name: String,
    pub workflow: Option<String>,
    pub spec: Scenario,
    pub created_by: String,
    pub updated: chrono::DateTime<chrono::Utc>,
}

/// The page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModellerData {
    /// The price catalog the estimate runs on.
    pub models: Vec<ModelPrice>,
    pub scenarios: Vec<Saved>,
    /// Workflows seen in the last 90 days.
    pub workflows: Vec<String>,
    pub can_edit: bool,
}

/// The catalog, saved scenarios and known workflows.
#[server(endpoint = "modeller")]
pub async fn get_modeller() -> Result<ModellerData, ServerFnError> {
    use domain::people::users::Role;
    let (person, store) = crate::server::context::require(Role::Viewer).await?;
    let svc = crate::server::context::signals()?;
    let models = crate::server::context::catalog_service()?.catalog().models().to_vec();
    let scenarios = svc
        .scenarios()
        .await
        .map_err(crate::server::errors::store_failed)?
        .into_iter()
        .map(|s| Saved {
            id: s.id,
            name: s.name,
            workflow: s.workflow,
            spec: s.spec,
            created_by: s.created_by,
            updated: s.updated,
        })
        .collect();
    let today = chrono::Utc::now().date_naive();
    let mut workflows: Vec<String> = store
        .signal_days("workflow", today - chrono::Duration::days(89), today)
        .await
        .map_err(crate::server::errors::store_failed)?
        .into_iter()
        .filter_map(|d| d.value)
        .collect();
    workflows.sort();
    workflows.dedup();
    Ok(ModellerData { models, scenarios, workflows, can_edit: person.role >= Role::Lead })
}

/// Saves a scenario (`id` empty: a new one); `spec` is the scenario as JSON. Returns its id.
#[server(endpoint = "save_scenario")]
pub async fn save_scenario(id: String, name: String, workflow: String, spec: String) -> Result<String, ServerFnError> {
    let (person, _) = crate::server::context::require(domain::people::users::Role::Lead).await?;
    let spec: Scenario = serde_json::from_str(&spec).map_err(|e| ServerFnError::new(format!("scenario: {e}")))?;
    let id = Some(id).filter(|i| !i.is_empty());
    let workflow = Some(workflow).filter(|w| !w.is_empty());
    let svc = crate::server::context::signals()?;
    if let Some(id) = &id {
        svc.may_change_scenario(&person, id).await.map_err(crate::server::errors::refused)?;
    }
    let saved = svc
        .save_scenario(&person.email, id.as_deref(), &name, workflow.as_deref(), spec)
        .await
        .map_err(crate::server::errors::refused)?;
    Ok(saved.id)
}

/// Deletes a scenario.
#[server(endpoint = "delete_scenario")]
pub async fn delete_scenario(id: String) -> Result<(), ServerFnError> {
    let (person, _) = crate::server::context::require(domain::people::users::Role::Lead).await?;
    let svc = crate::server::context::signals()?;
    svc.may_change_scenario(&person, &id).await.map_err(crate::server::errors::refused)?;
    svc.delete_scenario(&person.email, &id).await.map_err(crate::server::errors::refused)?;
    Ok(())
}

/// What a workflow did over the last `days` days.
#[server(endpoint = "workflow_actual")]
pub async fn workflow_actual(workflow: String, days: u32) -> Result<Actual, ServerFnError> {
    crate::server::context::require(domain::people::users::Role::Viewer).await?;
    crate::server::context::signals()?
        .actual(&workflow, days, chrono::Utc::now().date_naive())
        .await
        .map_err(crate::server::errors::refused)
}
