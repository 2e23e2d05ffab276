//! `/api/v1/audit`: the audit log, newest first (scope `admin`).

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The audit log, newest first: `?actor=&kind=&target=&from=&to=&limit=`.
pub async fn get_audit(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let q = domain::people::audit::Query::from_params(|k| params.get(k).cloned()).map_err(ApiError::Invalid)?;
    Ok(Json(json!({ "entries": state.store.list_audit(&q).await? })))
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(get_audit))
}
