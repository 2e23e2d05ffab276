//! `/api/v1/alerts`: the alert history (scope `read`), one alert with its
//! delivery attempts, and acknowledgement (scope `admin`).

use super::auth::ApiKey;
use super::error::ApiError;
use crate::keys::{grants, Scope};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::routing;
use axum::{Json, Router};
use domain::budgets::alert::{Alert, AlertQuery, Attempt};
use domain::FieldError;
use serde::Serialize;

/// An alert with its delivery attempts.
#[derive(Serialize)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: Alert,
    pub delivery_attempts: Vec<Attempt>,
}

/// Alerts, newest first: `status=open|acked|all`, `budget=<id>`, `kind=threshold|forecast|cap`, `limit` (≤ 1000).
pub async fn list(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    params: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Alert>>, ApiError> {
    let admin = grants(&key.scopes, Scope::Admin);
    let Query(params) =
        params.map_err(|e| ApiError::Invalid(FieldError { field: "query".into(), reason: e.body_text() }))?;
    let q = AlertQuery::from_params(&params).map_err(ApiError::Invalid)?;
    let alerts = state.store.list_alerts(&q).await?;
    Ok(Json(alerts.into_iter().map(|a| if admin { a } else { a.for_reader() }).collect()))
}

/// One alert and its delivery attempts.
pub async fn get(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    let id = alert_id(&id)?;
    let alert = state.store.get_alert(id).await?.ok_or_else(|| not_found(id))?;
    let alert = if grants(&key.scopes, Scope::Admin) { alert } else { alert.for_reader() };
    let delivery_attempts = state.store.alert_attempts(id).await?;
    Ok(Json(AlertDetail { alert, delivery_attempts }))
}

/// Acknowledges an alert as the key's name; the first acknowledgement stands.
pub async fn ack(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    let id = alert_id(&id)?;
    let alert = state
        .store
        .ack_alert(id, &format!("key:{}", key.name), chrono::Utc::now())
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Json(alert))
}

fn alert_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::Invalid(FieldError { field: "id".into(), reason: format!("must be an alert's number (got {raw:?})") })
    })
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("no alert with id {id}"))
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", routing::get(list))
        .route("/api/v1/alerts/{id}", routing::get(get))
        .route("/api/v1/alerts/{id}/ack", routing::post(ack))
}
