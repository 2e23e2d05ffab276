//! `/api/v1/budgets`: list and read budgets with where they stand (scope
//! `read`); create, replace and delete them (scope `admin`).

use super::auth::ApiKey;
use super::error::ApiError;
use crate::keys::{grants, Scope};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing;
use axum::{Json, Router};
use budgets::Actor;
use chrono::Utc;
use domain::budgets::budget_view::BudgetView;
use domain::budgets::draft::Draft;
use domain::FieldError;

/// Every budget, by name, with its standing this period.
pub async fn list(State(state): State<AppState>, ApiKey(key): ApiKey) -> Result<Json<Vec<BudgetView>>, ApiError> {
    let admin = grants(&key.scopes, Scope::Admin);
    let views = state.budgets.views(Utc::now()).await?;
    Ok(Json(views.into_iter().map(|v| if admin { v } else { v.for_reader() }).collect()))
}

/// One budget with its standing and burn-down.
pub async fn get(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<BudgetView>, ApiError> {
    let v = view(&state, &id).await?;
    Ok(Json(if grants(&key.scopes, Scope::Admin) { v } else { v.for_reader() }))
}

/// Creates a budget from a JSON body; answers 201 with it.
pub async fn create(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    body: Bytes,
) -> Result<(StatusCode, Json<BudgetView>), ApiError> {
    let draft = draft(&body)?;
    let saved =
        state.budgets.save(&Actor::Key { name: key.name }, None, &draft, Utc::now()).await.map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(view(&state, &saved.id).await?)))
}

/// Replaces a budget's definition (every field; omitted ones take their defaults).
pub async fn replace(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<BudgetView>, ApiError> {
    let draft = draft(&body)?;
    state.budgets.save(&Actor::Key { name: key.name }, Some(&id), &draft, Utc::now()).await.map_err(ApiError::from)?;
    Ok(Json(view(&state, &id).await?))
}

/// Deletes a budget; its alerts stay in the history. 204.
pub async fn delete(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.budgets.delete(&Actor::Key { name: key.name }, &id).await.map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn view(state: &AppState, id: &str) -> Result<BudgetView, ApiError> {
    state.budgets.view(id, Utc::now()).await?.ok_or_else(|| ApiError::NotFound(format!("no budget with id {id:?}")))
}

fn draft(body: &[u8]) -> Result<Draft, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::Invalid(FieldError { field: "body".into(), reason: format!("is not valid JSON: {e}") })
    })?;
    Draft::from_json(&value).map_err(ApiError::Invalid)
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/budgets", routing::get(list).post(create))
        .route("/api/v1/budgets/{id}", routing::get(get).put(replace).delete(delete))
}
