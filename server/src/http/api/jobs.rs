//! `/api/v1/jobs/{id}`: one background job and its progress (scope `read`).

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

/// One background job and its progress.
pub async fn get_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<store::JobRecord>, ApiError> {
    state.store.get_job(&id).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("no job with id {id:?}")))
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/jobs/{id}", get(get_job))
}
