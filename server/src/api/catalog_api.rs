//! CatalogService over REST: the tag taxonomy (`GET` with scope `read`, `PUT`
//! with `admin`), the price catalog, LiteLLM imports (a diff unless
//! `apply=true`), unpriced calls and repricing them, background jobs, and
//! the audit log (scope `admin`).

use super::{authorize, ApiError};
use crate::keys::Scope;
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use domain::attribution::taxonomy::{KeyRule, Taxonomy};
use domain::FieldError;
use serde_json::{json, Value};
use std::collections::HashMap;

fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::Invalid(FieldError { field: field.into(), reason: reason.into() })
}

/// A mapping as the API shows it: `{"tags": [{"attribute", "tag"}], "task_attribute"}`.
fn mapping_json(m: &domain::ingest::otlp::Mapping) -> Value {
    let tags: Vec<Value> = m.tags.iter().map(|(a, k)| json!({"attribute": a, "tag": k})).collect();
    json!({ "tags": tags, "task_attribute": m.task_attribute })
}

/// `GET /otlp/mapping`: the saved OpenTelemetry mapping.
pub async fn get_otlp_mapping(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    let m = state.catalog_service.otlp_mapping().await?;
    Ok(Json(mapping_json(&m)))
}

/// `PUT /otlp/mapping`: `{"tags": [{"attribute": "app.feature", "tag": "workflow"}], "task_attribute": "gen_ai.conversation.id"}`.
pub async fn put_otlp_mapping(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
    let v: Value = serde_json::from_slice(&body).map_err(|e| invalid("body", format!("is not valid JSON: {e}")))?;
    let tags = v
        .get("tags")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("tags", "required: an array of {attribute, tag}"))?;
    let mut lines = Vec::new();
    for (i, t) in tags.iter().enumerate() {
        let (Some(a), Some(k)) = (t.get("attribute").and_then(Value::as_str), t.get("tag").and_then(Value::as_str))
        else {
            return Err(invalid(&format!("tags[{i}]"), "must be {\"attribute\": …, \"tag\": …}"));
        };
        if a.contains("=>") {
            return Err(invalid(&format!("tags[{i}].attribute"), "must not contain =>"));
        }
        lines.push(format!("{a} => {k}"));
    }
    let task = match v.get("task_attribute") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(invalid("task_attribute", "must be a string or null")),
    };
    let m = state
        .catalog_service
        .save_otlp_mapping(&format!("key:{}", key.name), &lines.join("\n"), task)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(mapping_json(&m)))
}

/// The taxonomy: `{"keys": [rule, …]}`.
pub async fn get_taxonomy(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Taxonomy>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    Ok(Json(state.store.taxonomy().await?))
}

/// Replaces the taxonomy: `{"keys": [...], "apply_to_stored": false}`. With
/// `apply_to_stored`, a job rewrites stored calls' tags; the answer names it.
pub async fn put_taxonomy(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
    let v: Value = serde_json::from_slice(&body).map_err(|e| invalid("body", format!("is not valid JSON: {e}")))?;
    let obj = v.as_object().ok_or_else(|| invalid("body", "must be a JSON object with a \"keys\" array"))?;
    if let Some(extra) = obj.keys().find(|k| !["keys", "apply_to_stored"].contains(&k.as_str())) {
        return Err(invalid(extra, "is not a taxonomy field; send keys and apply_to_stored"));
    }
    let keys =
        obj.get("keys").and_then(Value::as_array).ok_or_else(|| invalid("keys", "required: an array of rules"))?;
    let mut rules = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let rule: KeyRule =
            serde_json::from_value(k.clone()).map_err(|e| invalid(&format!("keys[{i}]"), e.to_string()))?;
        rules.push(rule);
    }
    let apply = match obj.get("apply_to_stored") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("apply_to_stored", "must be true or false")),
    };
    let actor = format!("key:{}", key.name);
    let saved = state.catalog_service.put_taxonomy(&actor, Taxonomy { keys: rules }).await.map_err(ApiError::from)?;
    let job = if apply {
        Some(state.catalog_service.start_apply_taxonomy(&actor).await.map_err(ApiError::from)?)
    } else {
        None
    };
    Ok(Json(json!({ "keys": saved.keys, "job": job })))
}

/// One background job and its progress.
pub async fn get_job(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<store::JobRecord>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    state.store.get_job(&id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no job with id {id:?}")))
}

/// The price catalog: every model with its price versions.
pub async fn get_prices(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    Ok(Json(json!({ "unit": "USD per 1M tokens", "models": state.catalog_service.catalog().models() })))
}

/// Imports a LiteLLM `model_prices_and_context_window.json` (the body).
/// `from` (default today) dates the new prices; without `apply=true` only
/// the diff is returned; `add_new=true` also adds models the catalog lacks.
pub async fn import_prices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
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
pub async fn get_unpriced(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    Ok(Json(json!({ "models": state.store.unpriced_models().await? })))
}

/// Starts repricing: `{"models": ["name as sent", …]}`; answers with the job.
pub async fn reprice(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<store::JobRecord>, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
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

/// The audit log, newest first: `?actor=&kind=&target=&from=&to=&limit=`.
pub async fn get_audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Admin).await?;
    let q = domain::people::audit::Query::from_params(|k| params.get(k).cloned()).map_err(ApiError::Invalid)?;
    Ok(Json(json!({ "entries": state.store.list_audit(&q).await? })))
}
