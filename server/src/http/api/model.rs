//! `/api/v1/model`: the cost model's stateless estimate and calibration from a
//! workflow's observed signals (scope `read`), and model tiers (`PUT` scope `admin`).

use super::auth::ApiKey;
use super::error::ApiError;
use super::params::{invalid, json_body, number};
use super::scenarios::parse_scenario;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `GET /model/tiers`: every catalog model's tier.
pub async fn get_tiers(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "tiers": state.signals.tiers().await? })))
}

/// `PUT /model/tiers/{model}`: `{"tier": "premium" | "routine" | null}` (null: back to the default from price).
pub async fn put_tier(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(model): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
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

/// `POST /model/estimate`: a scenario in, its estimate out (nothing is stored).
pub async fn estimate(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let v = json_body(&body)?;
    let scenario = parse_scenario(&v, "body")?;
    let catalog = state.catalog_service.catalog();
    let e = domain::costmodel::estimate(&scenario, &catalog, Utc::now()).map_err(ApiError::Fields)?;
    Ok(Json(json!({ "scenario": scenario, "estimate": e })))
}

/// `GET /model/calibrate?workflow=&days=30`: a scenario pre-filled from a workflow's observed signals.
pub async fn calibrate(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let workflow = params
        .get("workflow")
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .ok_or_else(|| invalid("workflow", "required"))?;
    let days = number(&params, "days", 30, 365)?;
    let actual = state.signals.actual(workflow, days, Utc::now().date_naive()).await.map_err(ApiError::from)?;
    Ok(Json(json!(actual)))
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/model/estimate", post(estimate))
        .route("/api/v1/model/calibrate", get(calibrate))
        .route("/api/v1/model/tiers", get(get_tiers))
        .route("/api/v1/model/tiers/{model}", put(put_tier))
}
