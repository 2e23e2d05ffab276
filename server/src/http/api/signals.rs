//! `/api/v1/signals`: each tag value's daily signals, drifts and anomalies (scope `read`).

use super::error::ApiError;
use super::params::{invalid, number};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::Value;
use std::collections::HashMap;

/// `GET /signals?key=workflow&days=90`: each value's daily signals, drifts and anomalies.
pub async fn get_signals(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
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

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/signals", get(get_signals))
}
