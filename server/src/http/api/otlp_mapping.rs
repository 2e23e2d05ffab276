//! `/api/v1/otlp/mapping`: which OpenTelemetry attributes become which tags
//! and which one names the task (`GET` scope `read`, `PUT` scope `admin`).

use super::auth::ApiKey;
use super::error::ApiError;
use super::params::invalid;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// A mapping as the API shows it: `{"tags": [{"attribute", "tag"}], "task_attribute"}`.
fn mapping_json(m: &domain::ingest::otlp::Mapping) -> Value {
    let tags: Vec<Value> = m.tags.iter().map(|(a, k)| json!({"attribute": a, "tag": k})).collect();
    json!({ "tags": tags, "task_attribute": m.task_attribute })
}

/// `GET /otlp/mapping`: the saved OpenTelemetry mapping.
pub async fn get_otlp_mapping(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let m = state.catalog_service.otlp_mapping().await?;
    Ok(Json(mapping_json(&m)))
}

/// `PUT /otlp/mapping`: `{"tags": [{"attribute": "app.feature", "tag": "workflow"}], "task_attribute": "gen_ai.conversation.id"}`.
pub async fn put_otlp_mapping(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
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

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/otlp/mapping", get(get_otlp_mapping).put(put_otlp_mapping))
}
