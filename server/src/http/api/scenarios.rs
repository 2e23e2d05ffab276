//! `/api/v1/scenarios`: saved cost-model scenarios with their estimates and
//! model-vs-actual (reading takes scope `read`; saving and deleting, `admin`).

use super::auth::ApiKey;
use super::error::ApiError;
use super::params::{invalid, json_body, number};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use domain::costmodel::Scenario;
use serde_json::{json, Value};
use std::collections::HashMap;

pub(super) fn parse_scenario(v: &Value, field: &str) -> Result<Scenario, ApiError> {
    serde_json::from_value(v.clone()).map_err(|e| invalid(field, format!("is not a scenario: {e}")))
}

fn scenario_json(s: &store::ScenarioRecord) -> Value {
    json!({
        "id": s.id,
        "name": s.name,
        "workflow": s.workflow,
        "scenario": s.spec,
        "created_by": s.created_by,
        "created": s.created,
        "updated": s.updated,
    })
}

/// `GET /scenarios`.
pub async fn list_scenarios(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list: Vec<Value> = state.signals.scenarios().await?.iter().map(scenario_json).collect();
    Ok(Json(json!({ "scenarios": list })))
}

/// Reads `{name, workflow?, scenario}`.
fn scenario_body(body: &Bytes) -> Result<(String, Option<String>, Scenario), ApiError> {
    let v = json_body(body)?;
    let obj = v.as_object().ok_or_else(|| invalid("body", "must be an object: {name, workflow, scenario}"))?;
    if let Some(extra) = obj.keys().find(|k| !["name", "workflow", "scenario"].contains(&k.as_str())) {
        return Err(invalid(extra, "is not a scenario field; send name, workflow and scenario"));
    }
    let name = obj.get("name").and_then(Value::as_str).ok_or_else(|| invalid("name", "required: a string"))?;
    let workflow = match obj.get("workflow") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid("workflow", "must be a workflow tag value or null")),
    };
    let scenario = parse_scenario(obj.get("scenario").ok_or_else(|| invalid("scenario", "required"))?, "scenario")?;
    Ok((name.to_string(), workflow, scenario))
}

/// `POST /scenarios`: saves a new scenario.
pub async fn create_scenario(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (name, workflow, spec) = scenario_body(&body)?;
    let s = state
        .signals
        .save_scenario(&format!("key:{}", key.name), None, &name, workflow.as_deref(), spec)
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(scenario_json(&s))))
}

/// `GET /scenarios/{id}`: the scenario and its estimate.
pub async fn get_scenario(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let s = state.signals.scenario(&id).await.map_err(ApiError::from)?;
    let mut v = scenario_json(&s);
    v["estimate"] = match domain::costmodel::estimate(&s.spec, &state.catalog_service.catalog(), Utc::now()) {
        Ok(e) => json!(e),
        Err(errs) => json!({ "errors": errs.iter().map(|e| e.to_string()).collect::<Vec<_>>() }),
    };
    Ok(Json(v))
}

/// `PUT /scenarios/{id}`.
pub async fn replace_scenario(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (name, workflow, spec) = scenario_body(&body)?;
    let s = state
        .signals
        .save_scenario(&format!("key:{}", key.name), Some(&id), &name, workflow.as_deref(), spec)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(scenario_json(&s)))
}

/// `DELETE /scenarios/{id}`.
pub async fn delete_scenario(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.signals.delete_scenario(&format!("key:{}", key.name), &id).await.map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /scenarios/{id}/actual?days=30&tolerance=25`: the scenario's modelled
/// figures beside what its workflow did, departures over the tolerance flagged.
pub async fn scenario_actual(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let s = state.signals.scenario(&id).await.map_err(ApiError::from)?;
    let workflow =
        s.workflow.clone().ok_or_else(|| invalid("workflow", "this scenario is not linked to a workflow"))?;
    let days = number(&params, "days", 30, 365)?;
    let tolerance = number(&params, "tolerance", 25, 1000)?;
    let e =
        domain::costmodel::estimate(&s.spec, &state.catalog_service.catalog(), Utc::now()).map_err(ApiError::Fields)?;
    let actual = state.signals.actual(&workflow, days, Utc::now().date_naive()).await.map_err(ApiError::from)?;
    let rows =
        domain::costmodel::calibrate::compare(&s.spec, &e, &actual.observed, rust_decimal::Decimal::from(tolerance));
    Ok(Json(json!({ "scenario": scenario_json(&s), "estimate": e, "actual": actual, "comparison": rows })))
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/scenarios", get(list_scenarios).post(create_scenario))
        .route("/api/v1/scenarios/{id}", get(get_scenario).put(replace_scenario).delete(delete_scenario))
        .route("/api/v1/scenarios/{id}/actual", get(scenario_actual))
}
