//! The REST API under `/api/v1`: ingest, spend queries, budgets, alerts, the pre-call check, prices and the taxonomy, signals and the cost model, authenticated
//! with API keys. Handlers are thin: authorise, parse, call the service or
//! store, map errors.

mod alerts;
pub(crate) mod auth;
mod body;
pub mod budgets;
mod catalog_api;
mod check;
pub(crate) mod error;
mod events;
pub mod otlp;
pub mod otlp_size;
mod signals;
mod spend;
mod table;

pub use auth::{authorize, KeyCache, KEY_CACHE_TTL};
pub use error::ApiError;

use crate::AppState;
use axum::{Json, Router};

/// Every `/api/v1` route, from the endpoint table.
pub fn router() -> Router<AppState> {
    table::register(Router::new(), Some("/api/v1")).fallback(not_found)
}

/// Adds the described endpoints outside `/api/v1` (OTLP, health, metrics, the OpenAPI document, FOCUS for people).
pub fn top_level(router: Router<AppState>) -> Router<AppState> {
    table::register(router, None)
}

/// `GET /api/openapi.json`: every endpoint, as OpenAPI 3.1.
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(app::api_catalog::openapi(env!("CARGO_PKG_VERSION")))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /healthz`: the process is up (liveness).
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration this build knows is applied (readiness).
pub async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.store.readiness().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(reason) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "not ready", "reason": reason })),
        )
            .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route; see the README's API section".into())
}
