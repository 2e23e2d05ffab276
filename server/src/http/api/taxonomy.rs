//! `/api/v1/taxonomy`: the tag taxonomy (`GET` scope `read`; `PUT` scope
//! `admin`, optionally starting a job that rewrites stored calls' tags).

use super::auth::ApiKey;
use super::error::ApiError;
use super::params::invalid;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use domain::attribution::taxonomy::{KeyRule, Taxonomy};
use serde_json::{json, Value};

/// The taxonomy: `{"keys": [rule, …]}`.
pub async fn get_taxonomy(State(state): State<AppState>) -> Result<Json<Taxonomy>, ApiError> {
    Ok(Json(state.store.taxonomy().await?))
}

/// Replaces the taxonomy: `{"keys": [...], "apply_to_stored": false}`. With
/// `apply_to_stored`, a job rewrites stored calls' tags; the answer names it.
pub async fn put_taxonomy(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
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

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/taxonomy", get(get_taxonomy).put(put_taxonomy))
}
