//! `/api/v1/signals/rules`: signal alert rules (reading takes scope `read`;
//! creating, replacing and deleting, `admin`).

use super::auth::ApiKey;
use super::error::ApiError;
use super::params::{invalid, json_body};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use domain::signals::signal_rule::RuleSpec;
use serde_json::{json, Value};

/// `GET /signals/rules`.
pub async fn list_rules(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let rules: Vec<Value> = state.signals.rules().await?.iter().map(rule_json).collect();
    Ok(Json(json!({ "rules": rules })))
}

fn rule_json(r: &store::SignalRuleRecord) -> Value {
    let mut spec = r.spec.clone();
    spec.webhook = spec.webhook.as_deref().map(domain::budgets::webhook_target::redact_webhook);
    json!({
        "id": r.id,
        "rule": spec,
        "describe": format!("{}: {}", r.spec.scope_text(), r.spec.condition.describe()),
        "created_by": r.created_by,
        "created": r.created,
        "updated": r.updated,
    })
}

fn parse_rule(body: &Bytes) -> Result<RuleSpec, ApiError> {
    serde_json::from_value(json_body(body)?).map_err(|e| invalid("body", format!("is not a signal rule: {e}")))
}

/// `POST /signals/rules`: a new rule (`{name, key, value?, condition: {type, …}, min_calls?, webhook?}`).
pub async fn create_rule(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let spec = parse_rule(&body)?;
    let r = state.signals.save_rule(&format!("key:{}", key.name), None, spec, None).await.map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(rule_json(&r))))
}

/// `PUT /signals/rules/{id}`: replaces a rule.
pub async fn replace_rule(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let spec = parse_rule(&body)?;
    let r =
        state.signals.save_rule(&format!("key:{}", key.name), Some(&id), spec, None).await.map_err(ApiError::from)?;
    Ok(Json(rule_json(&r)))
}

/// `DELETE /signals/rules/{id}`.
pub async fn delete_rule(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.signals.delete_rule(&format!("key:{}", key.name), &id).await.map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/signals/rules", get(list_rules).post(create_rule))
        .route("/api/v1/signals/rules/{id}", put(replace_rule).delete(delete_rule))
}
