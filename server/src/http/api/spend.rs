//! `GET /api/v1/spend`: spend totals and groups over a range (scope `read`),
//! on the recorded basis or, with `basis=invoice`, the invoice's (true-up).

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::{FieldError, SpendQuery, SpendReport};

/// Answers a spend query; see the README for the parameters.
pub async fn get_spend(
    State(state): State<AppState>,
    params: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SpendReport>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::Invalid(FieldError { field: "query".into(), reason: e.body_text() }))?;
    let q = SpendQuery::from_params(&params, chrono::Utc::now()).map_err(ApiError::Invalid)?;
    let basis = params.iter().rev().find(|(k, _)| k == "basis").map(|(_, v)| v.as_str());
    match domain::invoice::true_up::Basis::parse(basis).map_err(ApiError::Invalid)? {
        domain::invoice::true_up::Basis::Recorded => Ok(Json(state.store.spend(&q).await?)),
        domain::invoice::true_up::Basis::Invoice => Ok(Json(state.invoices.spend(&q).await?)),
    }
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/spend", get(get_spend))
}
