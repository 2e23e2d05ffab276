//! Health and discovery, no key needed: `/api/v1/health` and `/healthz`
//! (the process is up), `/readyz` (the database answers and every migration
//! is applied), and `/api/openapi.json` (every endpoint, as OpenAPI 3.1).

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// `GET /api/openapi.json`: every endpoint, as OpenAPI 3.1.
pub async fn openapi_json() -> Json<Value> {
    Json(app::api_catalog::openapi(env!("CARGO_PKG_VERSION")))
}

/// `GET /healthz` and `GET /api/v1/health`: the process is up (liveness).
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration this build knows is applied (readiness).
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.readiness().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(reason) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "not ready", "reason": reason }))).into_response()
        }
    }
}

/// This resource's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/health", get(healthz))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/openapi.json", get(openapi_json))
}
