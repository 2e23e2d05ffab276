//! `GET /api/v1/spend`: spend totals and groups over a range (scope `read`).

use super::{authorize, ApiError};
use crate::keys::Scope;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use domain::{FieldError, SpendQuery, SpendReport};

/// Answers a spend query; see the README for the parameters.
pub async fn get_spend(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SpendReport>, ApiError> {
    authorize(&state, &headers, Scope::Read).await?;
    let Query(params) =
        params.map_err(|e| ApiError::Invalid(FieldError { field: "query".into(), reason: e.body_text() }))?;
    let q = SpendQuery::from_params(&params, chrono::Utc::now()).map_err(ApiError::Invalid)?;
    Ok(Json(state.store.spend(&q).await?))
}
