//! `/api/v1/prices`: the price catalog and unpriced calls (scope `read`);
//! LiteLLM imports (a diff unless `apply=true`) and repricing (scope `admin`).

use super::auth::ApiKey;
use super::error::ApiError;
use super::params::invalid;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The price catalog: every model with its price versions.
pub async fn get_prices(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "unit": "USD per 1M tokens", "models": state.catalog_service.catalog().models() })))
}

/// Imports a LiteLLM `model_prices_and_context_window.json` (the body).
/// `from` (default today) dates the new prices; without `apply=true` only
/// the diff is returned; `add_new=true` also adds models the catalog lacks.
pub async fn import_prices(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Query(params): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let flag = |name: &str| -> Result<bool, ApiError> {
        match params.get(name).map(String::as_str) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(other) => Err(invalid(name, format!("must be true or false (got {other:?})"))),
        }
    };
    let (apply, add_new) = (flag("apply")?, flag("add_new")?);
    let from = match params.get("from") {
        None => chrono::Utc::now().date_naive(),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| invalid("from", format!("must be a date like 2026-12-01 (got {s:?})")))?,
    };
    let limit = catalog::pricing::MAX_IMPORT_BYTES;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::TooLarge { limit })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid("body", "must be UTF-8 JSON"))?;
    let diff = state.catalog_service.preview_import(text, from).map_err(ApiError::from)?;
    let applied = if apply {
        let actor = format!("key:{}", key.name);
        Some(state.catalog_service.apply_import(&actor, text, from, add_new).await.map_err(ApiError::from)?.len())
    } else {
        None
    };
    Ok(Json(json!({ "diff": diff, "applied": applied })))
}

/// Stored calls without a cost, by model.
pub async fn get_unpriced(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "models": state.store.unpriced_models().await? })))
}

/// Starts repricing: `{"models": ["name as sent", …]}`; answers with the job.
pub async fn reprice(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<Json<store::JobRecord>, ApiError> {
    let v: Value = serde_json::from_slice(&body).map_err(|e| invalid("body", format!("is not valid JSON: {e}")))?;
    let models: Vec<String> = v
        .get("models")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|m| m.as_str().map(String::from)).collect())
        .ok_or_else(|| invalid("models", "required: an array of model names"))?;
    let job =
        state.catalog_service.start_reprice(&format!("key:{}", key.name), &models).await.map_err(ApiError::from)?;
    Ok(Json(job))
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/prices", get(get_prices))
        .route("/api/v1/prices/import", post(import_prices))
        .route("/api/v1/prices/unpriced", get(get_unpriced))
        .route("/api/v1/prices/reprice", post(reprice))
}
