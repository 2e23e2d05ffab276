//! Signals and the cost model over REST: signal reports, signal alert rules,
//! model tiers, the stateless estimate, saved scenarios and model-vs-actual.
//! Reading takes scope `read`; changing rules, tiers and scenarios, `admin`.

use super::{authorize, ApiError};
use crate::keys::Scope;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::Utc;
use domain::costmodel::Scenario;
use domain::signals::signal_rule::RuleSpec;
use domain::FieldError;
use serde_json::{json, Value};
use std::collections::HashMap;

fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::Invalid(FieldError { field: field.into(), reason: reason.into() })
}

fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| invalid("body", format!("is not valid JSON: {e}")))
}

/// Reads a whole number parameter within a range, or its default.
fn number(params: &HashMap<String, String>, name: &str, default: u32, max: u32) -> Result<u32, ApiError> {
    match params.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(invalid(name, format!("must be a whole number from 1 to {max} (got {v:?})"))),
        },
    }
}

/// `GET /signals?key=workflow&days=90`: each value's daily signals, drifts and anomalies.
pub async fn get_signals(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    let key = params.get("key").map(|k| k.trim()).filter(|k| !k.is_empty()).unwrap_or("workflow");
    let key = domain::TagKey::parse(key).map_err(|r| invalid("key", r))?;
    let days = number(&params, "days", 90, 365)?;
    if !domain::signals::signals_report::PERIODS.contains(&days) {
        let offered = domain::signals::signals_report::PERIODS.map(|d| d.to_string()).join(" or ");
        return Err(invalid("days", format!("must be {offered}, the periods the Signals page offers (got {days})")));
    }
    let report = state.signals.report(key.as_str(), days, Utc::now().date_naive()).await?;
    Ok(Json(serde_json::to_value(&*report).map_err(|e| ApiError::Internal(e.to_string()))?))
}

/// `GET /signals/rules`.
pub async fn list_rules(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
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
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
    let spec = parse_rule(&body)?;
    let r = state.signals.save_rule(&format!("key:{}", key.name), None, spec, None).await.map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(rule_json(&r))))
}

/// `PUT /signals/rules/{id}`: replaces a rule.
pub async fn replace_rule(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
    let spec = parse_rule(&body)?;
    let r =
        state.signals.save_rule(&format!("key:{}", key.name), Some(&id), spec, None).await.map_err(ApiError::from)?;
    Ok(Json(rule_json(&r)))
}

/// `DELETE /signals/rules/{id}`.
pub async fn delete_rule(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
    state.signals.delete_rule(&format!("key:{}", key.name), &id).await.map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /model/tiers`: every catalog model's tier.
pub async fn get_tiers(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    Ok(Json(json!({ "tiers": state.signals.tiers().await? })))
}

/// `PUT /model/tiers/{model}`: `{"tier": "premium" | "routine" | null}` (null: back to the default from price).
pub async fn put_tier(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(model): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
    let v = json_body(&body)?;
    let tier = match v.get("tier") {
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(domain::signals::signal::ModelTier::parse(s).map_err(|r| invalid("tier", r))?),
        _ => return Err(invalid("tier", "required: \"premium\", \"routine\" or null")),
    };
    state.signals.set_tier(&format!("key:{}", key.name), &model, tier).await.map_err(ApiError::from)?;
    let row = state.signals.tiers().await?.into_iter().find(|t| t.model == model);
    Ok(Json(json!({ "tier": row })))
}

fn parse_scenario(v: &Value, field: &str) -> Result<Scenario, ApiError> {
    serde_json::from_value(v.clone()).map_err(|e| invalid(field, format!("is not a scenario: {e}")))
}

/// `POST /model/estimate`: a scenario in, its estimate out (nothing is stored).
pub async fn estimate(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    let v = json_body(&body)?;
    let scenario = parse_scenario(&v, "body")?;
    let catalog = state.catalog_service.catalog();
    let e = domain::costmodel::estimate(&scenario, &catalog, Utc::now()).map_err(ApiError::Fields)?;
    Ok(Json(json!({ "scenario": scenario, "estimate": e })))
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
pub async fn list_scenarios(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
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
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
    let (name, workflow, spec) = scenario_body(&body)?;
    let s = state
        .signals
        .save_scenario(&format!("key:{}", key.name), None, &name, workflow.as_deref(), spec)
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(scenario_json(&s))))
}

/// `GET /scenarios/{id}`: the scenario and its estimate.
pub async fn get_scenario(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
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
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
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
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key = authorize(&state, &headers, Scope::Admin).await?;
    state.signals.delete_scenario(&format!("key:{}", key.name), &id).await.map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /scenarios/{id}/actual?days=30&tolerance=25`: the scenario's modelled
/// figures beside what its workflow did, departures over the tolerance flagged.
pub async fn scenario_actual(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
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

/// `GET /model/calibrate?workflow=&days=30`: a scenario pre-filled from a workflow's observed signals.
pub async fn calibrate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    let workflow = params
        .get("workflow")
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .ok_or_else(|| invalid("workflow", "required"))?;
    let days = number(&params, "days", 30, 365)?;
    let actual = state.signals.actual(workflow, days, Utc::now().date_naive()).await.map_err(ApiError::from)?;
    Ok(Json(json!(actual)))
}
